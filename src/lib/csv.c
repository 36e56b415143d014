/*
 * csv - a strict RFC 4180 reader for UTF-8 roster files.
 *
 * The HR roster is the one input we do not control, so every malformed
 * record is reported with its line and skipped, and the next record is
 * read normally: one bad row never stops an import. Records and field
 * counts are bounded, so a hostile file cannot make the reader grow
 * without limit.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "kcg.h"
#include "utf8.h"
#include "xalloc.h"

#define CSV_CHUNK 4096

/* Both places that find a bare CR say the same. */
static const char bare_cr[] = "單獨的 CR 字元，行尾須為 CRLF 或 LF / "
			      "bare CR: lines must end in CRLF or LF";

struct csv {
	FILE *fp;
	char *name;
	unsigned long line; /* physical line of the next byte */
	int bom_checked;

	unsigned char in[CSV_CHUNK];
	size_t in_pos;
	size_t in_len;
	int in_eof;
	int in_error;

	/* the current record: fields NUL-terminated one after another */
	char *buf;
	size_t buf_len;
	size_t buf_size;
	size_t rec_bytes;
	size_t n_fields;
	size_t field_off[CSV_MAX_FIELDS];
	size_t field_len[CSV_MAX_FIELDS];
	char *fields[CSV_MAX_FIELDS + 1];

	char error[512];
};

/* How a record ended. */
enum rec_end {
	REC_DONE,	  /* a whole record was read */
	REC_SYNTAX,	  /* bad syntax: the rest of the line is skipped */
	REC_UNTERMINATED, /* end of input inside quotes */
};

struct csv *csv_open(FILE *fp, const char *name)
{
	struct csv *csv = xcalloc(1, sizeof(*csv));

	csv->fp = fp;
	csv->name = xstrdup(name != NULL ? name : "(csv)");
	csv->line = 1;
	return csv;
}

void csv_free(struct csv **csvp)
{
	if (csvp == NULL || *csvp == NULL)
		return;
	/* a batch file holds passwords: leave none in freed memory */
	if ((*csvp)->buf != NULL)
		explicit_bzero((*csvp)->buf, (*csvp)->buf_size);
	explicit_bzero((*csvp)->in, sizeof((*csvp)->in));
	free((*csvp)->buf);
	free((*csvp)->name);
	free(*csvp);
	*csvp = NULL;
}

/* peek - the next input byte without consuming it, or EOF */
static int peek(struct csv *csv)
{
	size_t n = 0;

	if (csv->in_pos < csv->in_len)
		return csv->in[csv->in_pos];
	if (csv->in_eof)
		return EOF;
	n = fread(csv->in, 1, sizeof(csv->in), csv->fp);
	csv->in_pos = 0;
	csv->in_len = n;
	if (n == 0) {
		csv->in_eof = 1;
		csv->in_error = ferror(csv->fp);
		return EOF;
	}
	return csv->in[0];
}

/* get - consume and return the next input byte, or EOF */
static int get(struct csv *csv)
{
	int c = peek(csv);

	if (c != EOF)
		csv->in_pos++;
	if (c == '\n')
		csv->line++;
	return c;
}

/* skip_bom - drop a UTF-8 byte order mark at the very start of input */
static void skip_bom(struct csv *csv)
{
	csv->bom_checked = 1;
	/* fread fills the whole first chunk unless the input is shorter */
	if (peek(csv) == 0xef && csv->in_len >= 3 && csv->in[1] == 0xbb &&
	    csv->in[2] == 0xbf)
		csv->in_pos = 3;
}

/* skip_line - consume input up to and including the next LF */
static void skip_line(struct csv *csv)
{
	int c = 0;

	do {
		c = get(csv);
	} while (c != '\n' && c != EOF);
}

/* put - append byte C to the current field unless the record is over */
static void put(struct csv *csv, int c)
{
	if (csv->rec_bytes > CSV_MAX_RECORD || csv->n_fields > CSV_MAX_FIELDS)
		return;
	if (csv->buf_len == csv->buf_size) {
		csv->buf_size = csv->buf_size ? csv->buf_size * 2 : 256;
		csv->buf = xrealloc(csv->buf, csv->buf_size);
	}
	csv->buf[csv->buf_len++] = (char)c;
}

/* begin_field - start a new field at the end of the buffer */
static void begin_field(struct csv *csv)
{
	csv->n_fields++;
	if (csv->n_fields <= CSV_MAX_FIELDS)
		csv->field_off[csv->n_fields - 1] = csv->buf_len;
}

/* end_field - terminate the current field and record its length */
static void end_field(struct csv *csv)
{
	size_t i = csv->n_fields - 1;

	if (csv->n_fields > CSV_MAX_FIELDS)
		return;
	csv->field_len[i] = csv->buf_len - csv->field_off[i];
	put(csv, '\0');
}

/* next - consume a byte of the record, counting it against the limit */
static int next(struct csv *csv)
{
	int c = get(csv);

	if (c != EOF)
		csv->rec_bytes++;
	return c;
}

/*
 * end_of_line - after C, which ended a field, tell whether the record
 * goes on (1), ends (0) or has a bare CR (-1).
 */
static int end_of_line(struct csv *csv, int c)
{
	if (c == ',')
		return 1;
	if (c == '\n' || c == EOF)
		return 0;
	/* c == '\r': only CRLF ends a line */
	if (peek(csv) == '\n') {
		get(csv);
		return 0;
	}
	return -1;
}

/* read_record - parse one record into the buffer */
static enum rec_end read_record(struct csv *csv, const char **reason_r)
{
	int c = 0;
	int more = 1;

	while (more) {
		begin_field(csv);
		c = next(csv);
		if (c == '"') {
			for (;;) {
				c = next(csv);
				if (c == EOF)
					return REC_UNTERMINATED;
				if (c == '"') {
					if (peek(csv) != '"')
						break;
					c = next(csv);
				}
				put(csv, c);
			}
			c = next(csv);
			if (c != ',' && c != '\n' && c != '\r' && c != EOF) {
				*reason_r = "引號欄位結束後還有其他字元 / "
					    "characters after a closing quote";
				return REC_SYNTAX;
			}
		} else {
			while (c != ',' && c != '\n' && c != '\r' && c != EOF) {
				if (c == '"') {
					*reason_r =
						"未加引號的欄位中不可有引號 / "
						"quote inside an unquoted "
						"field";
					return REC_SYNTAX;
				}
				put(csv, c);
				c = next(csv);
			}
		}
		/* the line break is not part of the record's size */
		if (c == '\n' || c == '\r')
			csv->rec_bytes--;
		end_field(csv);
		more = end_of_line(csv, c);
		if (more < 0) {
			*reason_r = bare_cr;
			return REC_SYNTAX;
		}
	}
	return REC_DONE;
}

/* has_control - DEL or a C1 control (U+0080..U+009F) in S[0..LEN) */
static int has_control(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	for (i = 0; i < len; i++) {
		if (p[i] == 0x7f || (p[i] == 0xc2 && i + 1 < len &&
				     p[i + 1] >= 0x80 && p[i + 1] <= 0x9f))
			return 1;
	}
	return 0;
}

/* Why a field is refused: zh-TW and English, after "field N". */
struct problem {
	const char *zh;
	const char *en;
};

static const struct problem problem_nul = {"含有 NUL 字元",
					   "contains a NUL byte"};
static const struct problem problem_c0 = {
	"含有換行或控制字元", "contains a line break or control character"};
static const struct problem problem_utf8 = {"不是有效的 UTF-8 編碼",
					    "is not valid UTF-8"};
static const struct problem problem_c1 = {"含有控制字元",
					  "contains a control character"};

/* field_problem - why field S[0..LEN) is unacceptable, or NULL */
static const struct problem *field_problem(const char *s, size_t len)
{
	size_t i = 0;

	if (memchr(s, '\0', len) != NULL)
		return &problem_nul;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 && c != '\t')
			return &problem_c0;
	}
	if (!utf8_valid(s, len))
		return &problem_utf8;
	if (has_control(s, len))
		return &problem_c1;
	return NULL;
}

/* fail - format REASON for the record at LINE into the reader's buffer */
static void fail(struct csv *csv, unsigned long line, const char *reason)
{
	snprintf(csv->error, sizeof(csv->error), "%s", reason);
	(void)line;
}

int csv_next(struct csv *csv, char ***fields_r, size_t *n_fields_r,
	     unsigned long *line_r, const char **error_r)
{
	const char *reason = NULL;
	const struct problem *problem = NULL;
	unsigned long line = 0;
	size_t i = 0;
	int c = 0;
	int r = KCG_EINVAL;

	csv->buf_len = 0;
	csv->rec_bytes = 0;
	csv->n_fields = 0;
	if (!csv->bom_checked)
		skip_bom(csv);

	/* blank lines */
	for (;;) {
		line = csv->line;
		c = peek(csv);
		if (c == '\n') {
			get(csv);
		} else if (c == '\r') {
			get(csv);
			if (peek(csv) != '\n') {
				skip_line(csv);
				fail(csv, line, bare_cr);
				goto out;
			}
			get(csv);
		} else {
			break;
		}
	}
	if (c == EOF) {
		r = 0;
		goto out;
	}

	switch (read_record(csv, &reason)) {
	case REC_DONE:
		break;
	case REC_SYNTAX:
		skip_line(csv);
		fail(csv, line, reason);
		goto out;
	case REC_UNTERMINATED:
		fail(csv, line,
		     "引號未結束（檔案已結束） / unterminated quoted field at "
		     "end of file");
		goto out;
	}
	if (csv->n_fields > CSV_MAX_FIELDS) {
		snprintf(csv->error, sizeof(csv->error),
			 "欄位數超過 %d / more than %d fields", CSV_MAX_FIELDS,
			 CSV_MAX_FIELDS);
		goto out;
	}
	if (csv->rec_bytes > CSV_MAX_RECORD) {
		snprintf(csv->error, sizeof(csv->error),
			 "資料列超過 %d 位元組 / record longer than %d "
			 "bytes",
			 CSV_MAX_RECORD, CSV_MAX_RECORD);
		goto out;
	}
	for (i = 0; i < csv->n_fields; i++) {
		problem = field_problem(csv->buf + csv->field_off[i],
					csv->field_len[i]);
		if (problem != NULL) {
			snprintf(csv->error, sizeof(csv->error),
				 "第 %zu 欄%s / field %zu %s", i + 1,
				 problem->zh, i + 1, problem->en);
			goto out;
		}
	}
	for (i = 0; i < csv->n_fields; i++)
		csv->fields[i] = csv->buf + csv->field_off[i];
	csv->fields[csv->n_fields] = NULL;
	r = 1;
out:
	if (csv->in_error) {
		fail(csv, line, "讀取檔案失敗 / read error");
		r = KCG_EINTERNAL;
	}
	if (r == 1) {
		*fields_r = csv->fields;
		*n_fields_r = csv->n_fields;
	}
	if (r != 0) {
		*line_r = line;
		if (r < 0 && error_r != NULL)
			*error_r = csv->error;
	}
	return r;
}
