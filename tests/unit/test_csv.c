/*
 * test_csv - the RFC 4180 roster reader: quoting, line numbers, recovery
 * after a bad record, and the limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "csv.h"
#include "kcg.h"

#define MAX_TEST_FIELDS	 6
#define MAX_TEST_RECORDS 6

/* One csv_next result: a record (r 1) or an error (r KCG_EINVAL). */
struct rec {
	int r;
	unsigned long line;
	size_t n;
	const char *f[MAX_TEST_FIELDS];
	const char *error; /* a part of the message, for errors */
};

struct csv_case {
	const char *what;
	const char *in;
	size_t len; /* 0: strlen */
	struct rec recs[MAX_TEST_RECORDS];
};

static const struct csv_case cases[] = {
	{"plain LF",
	 "a,b,c\n1,2,3\n",
	 0,
	 {{1, 1, 3, {"a", "b", "c"}, NULL}, {1, 2, 3, {"1", "2", "3"}, NULL}}},
	{"no final line break",
	 "a,b\nc,d",
	 0,
	 {{1, 1, 2, {"a", "b"}, NULL}, {1, 2, 2, {"c", "d"}, NULL}}},
	{"CRLF",
	 "a,b\r\nc,d\r\n",
	 0,
	 {{1, 1, 2, {"a", "b"}, NULL}, {1, 2, 2, {"c", "d"}, NULL}}},
	{"quoted commas",
	 "\"a, b\",c\n\"高雄市, 苓雅區\"\n",
	 0,
	 {{1, 1, 2, {"a, b", "c"}, NULL}, {1, 2, 1, {"高雄市, 苓雅區"}, NULL}}},
	{"doubled quotes",
	 "\"say \"\"hi\"\"\",x\n\"\"\"\"\n\"a\"\"b,c\"\n",
	 0,
	 {{1, 1, 2, {"say \"hi\"", "x"}, NULL},
	  {1, 2, 1, {"\""}, NULL},
	  {1, 3, 1, {"a\"b,c"}, NULL}}},
	{"empty fields",
	 ",,\n\"\"\na,\"\"\n",
	 0,
	 {{1, 1, 3, {"", "", ""}, NULL},
	  {1, 2, 1, {""}, NULL},
	  {1, 3, 2, {"a", ""}, NULL}}},
	{"trailing comma at EOF", "a,", 0, {{1, 1, 2, {"a", ""}, NULL}}},
	{"BOM",
	 "\xef\xbb\xbfname,id\r\n王小明,A123456789\r\n",
	 0,
	 {{1, 1, 2, {"name", "id"}, NULL},
	  {1, 2, 2, {"王小明", "A123456789"}, NULL}}},
	{"BOM only at the start",
	 "\xef\xbb\xbf\xef\xbb\xbf"
	 "a\n",
	 0,
	 {{1,
	   1,
	   1,
	   {"\xef\xbb\xbf"
	    "a"},
	   NULL}}},
	{"BOM then blank lines",
	 "\xef\xbb\xbf\r\n\na\n",
	 0,
	 {{1, 3, 1, {"a"}, NULL}}},
	{"blank lines",
	 "\n\na,1\n\r\n\nb,2\n\n\r\n",
	 0,
	 {{1, 3, 2, {"a", "1"}, NULL}, {1, 6, 2, {"b", "2"}, NULL}}},
	{"white space is data",
	 " a , b \n",
	 0,
	 {{1, 1, 2, {" a ", " b "}, NULL}}},
	{"TAB is allowed", "a\tb,c\n", 0, {{1, 1, 2, {"a\tb", "c"}, NULL}}},
	{"UTF-8",
	 "王小明,高雄市政府,人事處\n",
	 0,
	 {{1, 1, 3, {"王小明", "高雄市政府", "人事處"}, NULL}}},
	{"empty input", "", 0, {{0}}},
	{"only blank lines", "\n\r\n\n", 0, {{0}}},

	/* a line break inside quotes is parsed as RFC 4180 says, and refused */
	{"embedded LF",
	 "a,1\nx,\"line1\nline2\"\ny,z\n",
	 0,
	 {{1, 1, 2, {"a", "1"}, NULL},
	  {KCG_EINVAL, 2, 0, {NULL}, "field 2"},
	  {1, 4, 2, {"y", "z"}, NULL}}},
	{"embedded CRLF",
	 "\"a\r\nb\r\nc\"\r\nd\r\n",
	 0,
	 {{KCG_EINVAL, 1, 0, {NULL}, "line break"}, {1, 4, 1, {"d"}, NULL}}},
	{"quoted LF, then junk",
	 "\"a\nb\"x,c\nd\n",
	 0,
	 {{KCG_EINVAL, 1, 0, {NULL}, "closing quote"}, {1, 3, 1, {"d"}, NULL}}},

	{"invalid UTF-8",
	 "good,1\nA123456789\xff,2\ngood,3\n",
	 0,
	 {{1, 1, 2, {"good", "1"}, NULL},
	  {KCG_EINVAL, 2, 0, {NULL}, "field 1 is not valid UTF-8"},
	  {1, 3, 2, {"good", "3"}, NULL}}},
	{"Big5",
	 "\xa4\xa4\xa4\xe5\nok\n",
	 0,
	 {{KCG_EINVAL, 1, 0, {NULL}, "UTF-8"}, {1, 2, 1, {"ok"}, NULL}}},
	{"invalid UTF-8 in quotes",
	 "\"a,\xc3\"\nok\n",
	 0,
	 {{KCG_EINVAL, 1, 0, {NULL}, "UTF-8"}, {1, 2, 1, {"ok"}, NULL}}},
	{"NUL byte",
	 "a\0b,c\nd\n",
	 8,
	 {{KCG_EINVAL, 1, 0, {NULL}, "NUL"}, {1, 2, 1, {"d"}, NULL}}},
	{"C0 control",
	 "a,b\x1b[0m\nd\n",
	 0,
	 {{KCG_EINVAL, 1, 0, {NULL}, "field 2"}, {1, 2, 1, {"d"}, NULL}}},
	{"DEL",
	 "a\x7f\nd\n",
	 0,
	 {{KCG_EINVAL, 1, 0, {NULL}, "control"}, {1, 2, 1, {"d"}, NULL}}},
	{"C1 control",
	 "a\xc2\x85z\nd\n",
	 0,
	 {{KCG_EINVAL, 1, 0, {NULL}, "control"}, {1, 2, 1, {"d"}, NULL}}},
	{"unterminated quote",
	 "a,b\n\"open,c\nd,e\n",
	 0,
	 {{1, 1, 2, {"a", "b"}, NULL},
	  {KCG_EINVAL, 2, 0, {NULL}, "unterminated"}}},
	{"unterminated quote at once",
	 "\"",
	 0,
	 {{KCG_EINVAL, 1, 0, {NULL}, "unterminated"}}},
	{"quote in an unquoted field",
	 "ab\"c,d\ne,f\n",
	 0,
	 {{KCG_EINVAL, 1, 0, {NULL}, "unquoted"}, {1, 2, 2, {"e", "f"}, NULL}}},
	{"space before a quote",
	 " \"a\",b\ne\n",
	 0,
	 {{KCG_EINVAL, 1, 0, {NULL}, "unquoted"}, {1, 2, 1, {"e"}, NULL}}},
	{"junk after a closing quote",
	 "\"ab\"c,d\ne,f\n",
	 0,
	 {{KCG_EINVAL, 1, 0, {NULL}, "closing quote"},
	  {1, 2, 2, {"e", "f"}, NULL}}},
	{"bare CR in a field",
	 "a\rb,c\nd,e\n",
	 0,
	 {{KCG_EINVAL, 1, 0, {NULL}, "bare CR"}, {1, 2, 2, {"d", "e"}, NULL}}},
	{"bare CR as a line",
	 "a\n\rx\ny\n",
	 0,
	 {{1, 1, 1, {"a"}, NULL},
	  {KCG_EINVAL, 2, 0, {NULL}, "bare CR"},
	  {1, 3, 1, {"y"}, NULL}}},
	{"bare CR after a quote",
	 "\"a\"\rb\nc\n",
	 0,
	 {{KCG_EINVAL, 1, 0, {NULL}, "bare CR"}, {1, 2, 1, {"c"}, NULL}}},
	{"CR at EOF", "a\r", 0, {{KCG_EINVAL, 1, 0, {NULL}, "bare CR"}}},
	{"errors in a row",
	 "\"x\"y\n\xff\n\"z\nq\n",
	 0,
	 {{KCG_EINVAL, 1, 0, {NULL}, "closing quote"},
	  {KCG_EINVAL, 2, 0, {NULL}, "UTF-8"},
	  {KCG_EINVAL, 3, 0, {NULL}, "unterminated"}}},
};

/* open_string - a FILE reading LEN bytes of S */
static FILE *open_string(const char *s, size_t len)
{
	FILE *fp = NULL;

	/* glibc refuses a zero-size buffer on old versions: use /dev/null */
	if (len == 0)
		fp = fopen("/dev/null", "r");
	else
		fp = fmemopen((void *)s, len, "r");
	assert_non_null(fp);
	return fp;
}

/* run_case - read T to the end and compare every result */
static void run_case(const struct csv_case *t)
{
	size_t len = t->len ? t->len : strlen(t->in);
	FILE *fp = open_string(t->in, len);
	struct csv *csv = csv_open(fp, "test.csv");
	size_t i = 0;
	size_t k = 0;

	for (i = 0; i < MAX_TEST_RECORDS && t->recs[i].r != 0; i++) {
		const struct rec *want = &t->recs[i];
		char **fields = NULL;
		size_t n = 0;
		unsigned long line = 0;
		const char *error = NULL;
		int r = csv_next(csv, &fields, &n, &line, &error);

		if (r != want->r)
			fail_msg("%s, result %zu: returned %d, expected %d "
				 "(%s)",
				 t->what, i, r, want->r,
				 error ? error : "no error");
		if (line != want->line)
			fail_msg("%s, result %zu: line %lu, expected %lu",
				 t->what, i, line, want->line);
		if (r < 0) {
			assert_non_null(error);
			assert_non_null(strstr(error, " / "));
			assert_null(strstr(error, "test.csv:"));
			if (strstr(error, want->error) == NULL)
				fail_msg("%s: \"%s\" lacks \"%s\"", t->what,
					 error, want->error);
			/* field contents never reach a message */
			assert_null(strstr(error, "A123456789"));
			continue;
		}
		if (n != want->n)
			fail_msg("%s, result %zu: %zu fields, expected %zu",
				 t->what, i, n, want->n);
		for (k = 0; k < n; k++)
			assert_string_equal(fields[k], want->f[k]);
		assert_null(fields[n]);
	}
	/* then the end, and it stays the end */
	for (k = 0; k < 2; k++) {
		char **fields = NULL;
		size_t n = 0;
		unsigned long line = 0;
		const char *error = NULL;
		int r = csv_next(csv, &fields, &n, &line, &error);

		if (r != 0)
			fail_msg("%s: returned %d at the end (%s)", t->what, r,
				 error ? error : "no error");
	}
	csv_free(&csv);
	assert_null(csv);
	fclose(fp);
}

/* test_cases - every case in the table */
static void test_cases(void **state)
{
	size_t i = 0;

	for (i = 0; i < KCG_N_ELEMENTS(cases); i++)
		run_case(&cases[i]);
}

/* make_fields - N fields "f" joined by commas, a LF, then "next\n" */
static char *make_fields(size_t n)
{
	char *s = malloc(n * 2 + 16);
	size_t i = 0;

	assert_non_null(s);
	s[0] = '\0';
	for (i = 0; i < n; i++)
		strcat(s, i ? ",f" : "f");
	strcat(s, "\nnext\n");
	return s;
}

/* test_max_fields - 64 fields are fine, 65 are an error */
static void test_max_fields(void **state)
{
	char *s = NULL;
	FILE *fp = NULL;
	struct csv *csv = NULL;
	char **fields = NULL;
	size_t n = 0;
	unsigned long line = 0;
	const char *error = NULL;

	s = make_fields(CSV_MAX_FIELDS);
	fp = open_string(s, strlen(s));
	csv = csv_open(fp, "max.csv");
	assert_int_equal(csv_next(csv, &fields, &n, &line, &error), 1);
	assert_int_equal(n, CSV_MAX_FIELDS);
	assert_string_equal(fields[CSV_MAX_FIELDS - 1], "f");
	assert_int_equal(csv_next(csv, &fields, &n, &line, &error), 1);
	assert_string_equal(fields[0], "next");
	assert_int_equal(line, 2);
	csv_free(&csv);
	fclose(fp);
	free(s);

	s = make_fields(CSV_MAX_FIELDS + 1);
	fp = open_string(s, strlen(s));
	csv = csv_open(fp, "max.csv");
	assert_int_equal(csv_next(csv, &fields, &n, &line, &error), KCG_EINVAL);
	assert_int_equal(line, 1);
	assert_non_null(strstr(error, "fields"));
	assert_int_equal(csv_next(csv, &fields, &n, &line, &error), 1);
	assert_string_equal(fields[0], "next");
	assert_int_equal(line, 2);
	assert_int_equal(csv_next(csv, &fields, &n, &line, &error), 0);
	csv_free(&csv);
	fclose(fp);
	free(s);
}

/* make_long - a record of SIZE bytes in two quoted fields, then "next" */
static char *make_long(size_t size, const char *eol)
{
	char *s = malloc(size + 32);
	size_t half = size / 2;

	assert_non_null(s);
	/* "xxx","yyy": the quotes and the comma count toward SIZE */
	s[0] = '"';
	memset(s + 1, 'x', half - 2);
	s[half - 1] = '"';
	s[half] = ',';
	s[half + 1] = '"';
	memset(s + half + 2, 'y', size - half - 3);
	s[size - 1] = '"';
	strcpy(s + size, eol);
	strcat(s, "next");
	return s;
}

/* test_max_record - CSV_MAX_RECORD bytes are fine, one more is an error */
static void test_max_record(void **state)
{
	static const char *const eols[] = {"\n", "\r\n"};
	size_t e = 0;

	for (e = 0; e < KCG_N_ELEMENTS(eols); e++) {
		char *s = NULL;
		FILE *fp = NULL;
		struct csv *csv = NULL;
		char **fields = NULL;
		size_t n = 0;
		unsigned long line = 0;
		const char *error = NULL;

		s = make_long(CSV_MAX_RECORD, eols[e]);
		fp = open_string(s, strlen(s));
		csv = csv_open(fp, "long.csv");
		assert_int_equal(csv_next(csv, &fields, &n, &line, &error), 1);
		assert_int_equal(n, 2);
		assert_int_equal(strlen(fields[0]) + strlen(fields[1]) + 5,
				 CSV_MAX_RECORD);
		assert_int_equal(csv_next(csv, &fields, &n, &line, &error), 1);
		assert_string_equal(fields[0], "next");
		csv_free(&csv);
		fclose(fp);
		free(s);

		s = make_long(CSV_MAX_RECORD + 1, eols[e]);
		fp = open_string(s, strlen(s));
		csv = csv_open(fp, "long.csv");
		assert_int_equal(csv_next(csv, &fields, &n, &line, &error),
				 KCG_EINVAL);
		assert_null(strstr(error, "long.csv"));
		assert_int_equal(csv_next(csv, &fields, &n, &line, &error), 1);
		assert_string_equal(fields[0], "next");
		assert_int_equal(line, 2);
		assert_int_equal(csv_next(csv, &fields, &n, &line, &error), 0);
		csv_free(&csv);
		fclose(fp);
		free(s);
	}
}

/* test_huge_quoted - a runaway quote does not grow the reader unbounded */
static void test_huge_quoted(void **state)
{
	size_t size = 4 * CSV_MAX_RECORD;
	char *s = malloc(size + 1);
	FILE *fp = NULL;
	struct csv *csv = NULL;
	char **fields = NULL;
	size_t n = 0;
	unsigned long line = 0;
	const char *error = NULL;
	size_t i = 0;

	assert_non_null(s);
	s[0] = '"';
	for (i = 1; i < size; i++)
		s[i] = i % 80 == 0 ? '\n' : 'z';
	s[size] = '\0';
	fp = open_string(s, size);
	csv = csv_open(fp, "huge.csv");
	assert_int_equal(csv_next(csv, &fields, &n, &line, &error), KCG_EINVAL);
	assert_int_equal(line, 1);
	assert_int_equal(csv_next(csv, &fields, &n, &line, &error), 0);
	csv_free(&csv);
	fclose(fp);
	free(s);
}

/* test_free_null - csv_free of nothing is harmless */
static void test_free_null(void **state)
{
	struct csv *csv = NULL;

	csv_free(&csv);
	csv_free(NULL);
	assert_null(csv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_max_fields),
		cmocka_unit_test(test_max_record),
		cmocka_unit_test(test_huge_quoted),
		cmocka_unit_test(test_free_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
