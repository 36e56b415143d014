/*
 * test_rocdate - ROC dates: parsing, formatting and GeneralizedTime.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kcg.h"
#include "rocdate.h"

struct parse_case {
	const char *in;
	int r;
	int year, month, day;
};

static const struct parse_case parse_cases[] = {
	/* the seed's hire date */
	{"99-12-25", 0, 2010, 12, 25},
	{"099-12-25", 0, 2010, 12, 25},
	/* ROC year 1 is 1912 */
	{"1-01-01", 0, 1912, 1, 1},
	{"001-01-01", 0, 1912, 1, 1},
	{"01-01-01", 0, 1912, 1, 1},
	{"112-01-05", 0, 2023, 1, 5},
	{"999-12-31", 0, 2910, 12, 31},
	/* one-digit month and day */
	{"99-1-5", 0, 2010, 1, 5},
	{"99-01-5", 0, 2010, 1, 5},
	/* surrounding white space */
	{"  99-12-25", 0, 2010, 12, 25},
	{"99-12-25 \t\r\n", 0, 2010, 12, 25},
	/* leap years: 2020 is, 2023 is not, 2000 is, 2100 is not */
	{"109-02-29", 0, 2020, 2, 29},
	{"112-02-29", KCG_EINVAL, 0, 0, 0},
	{"89-02-29", 0, 2000, 2, 29},
	{"189-02-29", KCG_EINVAL, 0, 0, 0},
	{"112-02-28", 0, 2023, 2, 28},
	{"112-02-30", KCG_EINVAL, 0, 0, 0},
	{"112-04-31", KCG_EINVAL, 0, 0, 0},
	{"112-04-30", 0, 2023, 4, 30},
	{"112-12-32", KCG_EINVAL, 0, 0, 0},
	{"112-00-10", KCG_EINVAL, 0, 0, 0},
	{"112-13-10", KCG_EINVAL, 0, 0, 0},
	{"112-01-00", KCG_EINVAL, 0, 0, 0},
	/* year range */
	{"0-01-01", KCG_EINVAL, 0, 0, 0},
	{"000-01-01", KCG_EINVAL, 0, 0, 0},
	{"1000-01-01", KCG_EINVAL, 0, 0, 0},
	{"2010-12-25", KCG_EINVAL, 0, 0, 0},
	/* shape */
	{"", KCG_EINVAL, 0, 0, 0},
	{"   ", KCG_EINVAL, 0, 0, 0},
	{"99", KCG_EINVAL, 0, 0, 0},
	{"99-12", KCG_EINVAL, 0, 0, 0},
	{"99-12-", KCG_EINVAL, 0, 0, 0},
	{"-99-12-25", KCG_EINVAL, 0, 0, 0},
	{"+99-12-25", KCG_EINVAL, 0, 0, 0},
	{"99/12/25", KCG_EINVAL, 0, 0, 0},
	{"99.12.25", KCG_EINVAL, 0, 0, 0},
	{"99--12-25", KCG_EINVAL, 0, 0, 0},
	{"99-012-25", KCG_EINVAL, 0, 0, 0},
	{"99-12-025", KCG_EINVAL, 0, 0, 0},
	{"99-12-25x", KCG_EINVAL, 0, 0, 0},
	{"99-12-25-", KCG_EINVAL, 0, 0, 0},
	{"99 -12-25", KCG_EINVAL, 0, 0, 0},
	{"99-12-2 5", KCG_EINVAL, 0, 0, 0},
	{"９９-12-25", KCG_EINVAL, 0, 0, 0},
	{"民國99-12-25", KCG_EINVAL, 0, 0, 0},
};

/* test_parse - every case in the table */
static void test_parse(void **state)
{
	size_t i = 0;

	for (i = 0; i < KCG_N_ELEMENTS(parse_cases); i++) {
		const struct parse_case *t = &parse_cases[i];
		struct rocdate date = {-1, -1, -1};
		const char *error = NULL;
		int r = rocdate_parse(t->in, &date, &error);

		if (r != t->r)
			fail_msg("case %zu \"%s\": returned %d, expected %d", i,
				 t->in, r, t->r);
		if (r == 0) {
			assert_int_equal(date.year, t->year);
			assert_int_equal(date.month, t->month);
			assert_int_equal(date.day, t->day);
			assert_null(error);
		} else {
			assert_int_equal(date.year, -1);
			assert_non_null(error);
			assert_non_null(strstr(error, " / "));
		}
	}
	assert_int_equal(rocdate_parse(NULL, NULL, NULL), KCG_EINVAL);
}

/* test_reasons - the reason names the part that is wrong */
static void test_reasons(void **state)
{
	static const struct {
		const char *in;
		const char *part;
	} reasons[] = {
		{"1000-01-01", "ROC year"},   {"2010-12-25", "ROC year"},
		{"0-01-01", "ROC year"},      {"99-13-01", "month"},
		{"112-02-29", "no such day"}, {"99/12/25", "e.g. 99-12-25"},
	};
	size_t i = 0;

	for (i = 0; i < KCG_N_ELEMENTS(reasons); i++) {
		struct rocdate date;
		const char *error = NULL;

		assert_int_equal(rocdate_parse(reasons[i].in, &date, &error),
				 KCG_EINVAL);
		if (strstr(error, reasons[i].part) == NULL)
			fail_msg("%s: \"%s\"", reasons[i].in, error);
	}
}

struct format_case {
	struct rocdate date;
	size_t size;
	int r;
	const char *out;
};

static const struct format_case format_cases[] = {
	{{2010, 12, 25}, 32, 8, "99-12-25"},
	{{2023, 1, 5}, 32, 9, "112-01-05"},
	{{1912, 1, 1}, 32, 7, "1-01-01"},
	{{2020, 2, 29}, 32, 9, "109-02-29"},
	/* exactly big enough, then one byte short */
	{{2010, 12, 25}, 9, 8, "99-12-25"},
	{{2010, 12, 25}, 8, -1, NULL},
	{{2010, 12, 25}, 0, -1, NULL},
	/* before ROC year 1 */
	{{1911, 12, 31}, 32, -1, NULL},
	{{1, 1, 1}, 32, -1, NULL},
	/* impossible dates */
	{{2023, 2, 29}, 32, -1, NULL},
	{{2023, 13, 1}, 32, -1, NULL},
	{{2023, 1, 0}, 32, -1, NULL},
};

/* test_format - every case in the table */
static void test_format(void **state)
{
	size_t i = 0;

	for (i = 0; i < KCG_N_ELEMENTS(format_cases); i++) {
		const struct format_case *t = &format_cases[i];
		char out[32];
		int r = rocdate_format(&t->date, out, t->size);

		if (r != t->r)
			fail_msg("case %zu: returned %d, expected %d", i, r,
				 t->r);
		if (r >= 0)
			assert_string_equal(out, t->out);
	}
	assert_int_equal(rocdate_format(NULL, NULL, 0), -1);
}

/* test_round_trip - parse, format and parse again give the same date */
static void test_round_trip(void **state)
{
	static const char *const texts[] = {"99-12-25", "1-01-01", "109-02-29",
					    "112-01-05", "999-12-31"};
	size_t i = 0;

	for (i = 0; i < KCG_N_ELEMENTS(texts); i++) {
		struct rocdate date;
		struct rocdate again;
		char out[16];
		const char *error = NULL;

		assert_int_equal(rocdate_parse(texts[i], &date, &error), 0);
		assert_int_equal(rocdate_format(&date, out, sizeof(out)),
				 (int)strlen(texts[i]));
		assert_string_equal(out, texts[i]);
		assert_int_equal(rocdate_parse(out, &again, &error), 0);
		assert_memory_equal(&date, &again, sizeof(date));
	}
}

struct gt_case {
	const char *gt;
	int r;
	int year, month, day;
};

static const struct gt_case gt_cases[] = {
	{"20101225000000Z", 0, 2010, 12, 25},
	{"19120101000000Z", 0, 1912, 1, 1},
	{"20200229000000Z", 0, 2020, 2, 29},
	{"29101231000000Z", 0, 2910, 12, 31},
	/* only midnight UTC */
	{"20101225120000Z", KCG_EINVAL, 0, 0, 0},
	{"20101224160000Z", KCG_EINVAL, 0, 0, 0},
	{"20101225000000+0800", KCG_EINVAL, 0, 0, 0},
	{"20101225000000.0Z", KCG_EINVAL, 0, 0, 0},
	{"20101225000000", KCG_EINVAL, 0, 0, 0},
	{"201012250000Z", KCG_EINVAL, 0, 0, 0},
	/* impossible or outside ROC years 1..999 */
	{"20230229000000Z", KCG_EINVAL, 0, 0, 0},
	{"20101325000000Z", KCG_EINVAL, 0, 0, 0},
	{"19111231000000Z", KCG_EINVAL, 0, 0, 0},
	{"29110101000000Z", KCG_EINVAL, 0, 0, 0},
	{"2010122x000000Z", KCG_EINVAL, 0, 0, 0},
	{"", KCG_EINVAL, 0, 0, 0},
	{NULL, KCG_EINVAL, 0, 0, 0},
};

/* test_generalized - GeneralizedTime both ways */
static void test_generalized(void **state)
{
	size_t i = 0;

	for (i = 0; i < KCG_N_ELEMENTS(gt_cases); i++) {
		const struct gt_case *t = &gt_cases[i];
		struct rocdate date = {-1, -1, -1};
		char out[16];
		int r = rocdate_from_generalized(t->gt, &date);

		if (r != t->r)
			fail_msg("case %zu: returned %d, expected %d", i, r,
				 t->r);
		if (r != 0) {
			assert_int_equal(date.year, -1);
			continue;
		}
		assert_int_equal(date.year, t->year);
		assert_int_equal(date.month, t->month);
		assert_int_equal(date.day, t->day);
		rocdate_to_generalized(&date, out);
		assert_string_equal(out, t->gt);
	}
}

/* test_seed_to_directory - "99-12-25" becomes "20101225000000Z" and back */
static void test_seed_to_directory(void **state)
{
	struct rocdate date;
	struct rocdate back;
	const char *error = NULL;
	char gt[16];
	char text[16];

	assert_int_equal(rocdate_parse("99-12-25", &date, &error), 0);
	rocdate_to_generalized(&date, gt);
	assert_string_equal(gt, "20101225000000Z");
	assert_int_equal(rocdate_from_generalized(gt, &back), 0);
	assert_int_equal(rocdate_format(&back, text, sizeof(text)), 8);
	assert_string_equal(text, "99-12-25");

	/* an impossible date gives an empty string */
	date.day = 32;
	rocdate_to_generalized(&date, gt);
	assert_string_equal(gt, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_generalized),
		cmocka_unit_test(test_seed_to_directory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
