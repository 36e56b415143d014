/*
 * fuzz_csv - the roster CSV reader on arbitrary bytes (through fmemopen).
 *
 * Invariants: the reader ends (each call consumes input); records start
 * on strictly increasing lines within the input; a record has 1 to
 * CSV_MAX_FIELDS fields of valid UTF-8 without control characters but
 * TAB; an error is KCG_EINVAL with a reason. And a round trip: the records
 * written back as RFC 4180 (every field quoted, CRLF) read back the same,
 * without errors (unless quoting made a record too long).
 *
 * Under -max_len=4096 the 64 KB record limit is out of reach; repeating
 * inputs to reach it cut the rate tenfold, and tests/unit/test_csv checks
 * its edges already.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "fuzz.h"
#include "kcg.h"

/*
 * put_record - FIELDS as one RFC 4180 line on OUT, every field quoted;
 * returns its length without the line break.
 */
static size_t put_record(FILE *out, char **fields, size_t n)
{
	const char *p = NULL;
	size_t i = 0, len = 0;

	for (i = 0; i < n; i++) {
		if (i > 0)
			len += fputc(',', out) != EOF;
		len += fputc('"', out) != EOF;
		for (p = fields[i]; *p != '\0'; p++) {
			if (*p == '"')
				len += fputc('"', out) != EOF;
			len += fputc(*p, out) != EOF;
		}
		len += fputc('"', out) != EOF;
	}
	fputs("\r\n", out);
	return len;
}

/* put_flat - FIELDS as length-prefixed bytes on FLAT, for comparison */
static void put_flat(FILE *flat, char **fields, size_t n)
{
	size_t i = 0, len = 0;

	fwrite(&n, sizeof(n), 1, flat);
	for (i = 0; i < n; i++) {
		len = strlen(fields[i]);
		fwrite(&len, sizeof(len), 1, flat);
		fwrite(fields[i], 1, len, flat);
	}
}

/*
 * read_all - read every record of DATA[0..SIZE), checking each; write the
 * good ones to OUT (when not NULL) as CSV and to FLAT as flat bytes. The
 * length of the longest record written to OUT goes to *longest_r.
 * Returns the number of errors.
 */
static size_t read_all(const uint8_t *data, size_t size, FILE *out, FILE *flat,
		       size_t *longest_r)
{
	static const char empty[1] = "";
	struct csv *csv = NULL;
	FILE *fp = NULL;
	char **fields = NULL;
	const char *error = NULL;
	unsigned long line = 0, last_line = 0, max_line = 1;
	size_t n = 0, i = 0, calls = 0, errors = 0, len = 0;
	int r = 0;

	for (i = 0; i < size; i++)
		max_line += data[i] == '\n';
	/* fmemopen wants at least one byte of buffer */
	fp = fmemopen(size > 0 ? (void *)data : (void *)empty,
		      size > 0 ? size : 1, "r");
	FUZZ_ASSERT(fp != NULL);
	if (size == 0)
		fgetc(fp);
	csv = csv_open(fp, "fuzz.csv");
	for (;;) {
		FUZZ_ASSERT(++calls <= size + 2);
		error = NULL;
		line = 0;
		r = csv_next(csv, &fields, &n, &line, &error);
		if (r == 0)
			break;
		FUZZ_ASSERT(line > last_line && line <= max_line);
		last_line = line;
		if (r < 0) {
			FUZZ_ASSERT(r == KCG_EINVAL);
			FUZZ_ASSERT(error != NULL && error[0] != '\0');
			errors++;
			continue;
		}
		FUZZ_ASSERT(r == 1);
		FUZZ_ASSERT(n >= 1 && n <= CSV_MAX_FIELDS);
		FUZZ_ASSERT(fields[n] == NULL);
		for (i = 0; i < n; i++) {
			const uint8_t *f = (const uint8_t *)fields[i];

			FUZZ_ASSERT(f != NULL);
			FUZZ_ASSERT(fuzz_utf8_valid(f, strlen(fields[i])));
		}
		if (out != NULL) {
			len = put_record(out, fields, n);
			if (len > *longest_r)
				*longest_r = len;
		}
		put_flat(flat, fields, n);
	}
	csv_free(&csv);
	FUZZ_ASSERT(csv == NULL);
	fclose(fp);
	return errors;
}

int FUZZ_ENTRY(csv)(const uint8_t *data, size_t size)
{
	char *text = NULL, *flat1 = NULL, *flat2 = NULL;
	size_t text_len = 0, flat1_len = 0, flat2_len = 0, longest = 0;
	FILE *out = open_memstream(&text, &text_len);
	FILE *flat = open_memstream(&flat1, &flat1_len);

	FUZZ_ASSERT(out != NULL && flat != NULL);
	read_all(data, size, out, flat, &longest);
	fclose(out);
	fclose(flat);

	/* quoting may push a record that was just short enough over */
	if (longest <= CSV_MAX_RECORD) {
		flat = open_memstream(&flat2, &flat2_len);
		FUZZ_ASSERT(flat != NULL);
		FUZZ_ASSERT(read_all((const uint8_t *)text, text_len, NULL,
				     flat, &longest) == 0);
		fclose(flat);
		FUZZ_ASSERT(flat1_len == flat2_len);
		FUZZ_ASSERT(memcmp(flat1, flat2, flat1_len) == 0);
	}

	free(text);
	free(flat1);
	free(flat2);
	return 0;
}
