/*
 * test_utf8 - well-formedness (RFC 3629) and code point counting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kcg.h"
#include "utf8.h"

struct utf8_case {
	const char *s;
	size_t len; /* 0: strlen */
	int valid;
	size_t count; /* code points, when valid */
};

static const struct utf8_case cases[] = {
	{"", 0, 1, 0},
	{"abc", 0, 1, 3},
	{"a\tb", 0, 1, 3},
	{"王小明", 0, 1, 3},
	{"高雄市政府 KCG", 0, 1, 9},
	{"Ａbc12345", 0, 1, 8},
	{"\xc2\x80", 0, 1, 1},	       /* U+0080, first 2-byte */
	{"\xdf\xbf", 0, 1, 1},	       /* U+07FF */
	{"\xe0\xa0\x80", 0, 1, 1},     /* U+0800, first 3-byte */
	{"\xed\x9f\xbf", 0, 1, 1},     /* U+D7FF, below surrogates */
	{"\xee\x80\x80", 0, 1, 1},     /* U+E000, above surrogates */
	{"\xef\xbb\xbf", 0, 1, 1},     /* U+FEFF, the BOM */
	{"\xef\xbf\xbf", 0, 1, 1},     /* U+FFFF */
	{"\xf0\x90\x80\x80", 0, 1, 1}, /* U+10000, first 4-byte */
	{"\xf0\x9f\x98\x80", 0, 1, 1}, /* U+1F600 */
	{"\xf4\x8f\xbf\xbf", 0, 1, 1}, /* U+10FFFF, the last */
	{"\x7e", 0, 1, 1},
	{"\x7f", 0, 1, 1}, /* DEL is not a C0 control */
	/* NUL and C0 controls other than TAB */
	{"a\0b", 3, 0, 0},
	{"\0", 1, 0, 0},
	{"a\nb", 0, 0, 0},
	{"a\rb", 0, 0, 0},
	{"\x01", 0, 0, 0},
	{"\x1b[0m", 0, 0, 0},
	{"\x1f", 0, 0, 0},
	/* stray continuation and impossible lead bytes */
	{"\x80", 0, 0, 0},
	{"\xbf", 0, 0, 0},
	{"a\x80z", 0, 0, 0},
	{"\xfe", 0, 0, 0},
	{"\xff", 0, 0, 0},
	{"\xf5\x80\x80\x80", 0, 0, 0},
	/* overlong forms */
	{"\xc0\xaf", 0, 0, 0},
	{"\xc1\xbf", 0, 0, 0},
	{"\xe0\x80\xaf", 0, 0, 0},
	{"\xe0\x9f\xbf", 0, 0, 0},
	{"\xf0\x80\x80\xaf", 0, 0, 0},
	{"\xf0\x8f\xbf\xbf", 0, 0, 0},
	{"\xc0\x80", 0, 0, 0}, /* "modified UTF-8" NUL */
	/* surrogates */
	{"\xed\xa0\x80", 0, 0, 0},
	{"\xed\xbf\xbf", 0, 0, 0},
	{"\xed\xa0\xbd\xed\xb8\x80", 0, 0, 0},
	/* above U+10FFFF */
	{"\xf4\x90\x80\x80", 0, 0, 0},
	/* truncated sequences */
	{"\xc3", 0, 0, 0},
	{"\xe7\x8e", 0, 0, 0},
	{"\xf0\x9f\x98", 0, 0, 0},
	{"\xe7\x8e"
	 "a",
	 0, 0, 0},
	{"\xe7"
	 "ab",
	 0, 0, 0},
	/* Big5 and Latin-1 are not UTF-8 */
	{"\xa4\xa4\xa4\xe5", 0, 0, 0}, /* 中文 in Big5 */
	{"caf\xe9", 0, 0, 0},
};

/* test_valid - every case in the table */
static void test_valid(void **state)
{
	size_t i = 0;

	for (i = 0; i < KCG_N_ELEMENTS(cases); i++) {
		const struct utf8_case *t = &cases[i];
		size_t len = t->len ? t->len : strlen(t->s);

		if (!utf8_valid(t->s, len) != !t->valid)
			fail_msg("case %zu: expected valid=%d", i, t->valid);
		if (t->valid && utf8_count(t->s, len) != t->count)
			fail_msg("case %zu: %zu code points, expected %zu", i,
				 utf8_count(t->s, len), t->count);
	}
}

/* test_len - only LEN bytes are looked at */
static void test_len(void **state)
{
	const char *s = "王小明";

	/* a cut inside a character */
	assert_false(utf8_valid(s, 4));
	assert_true(utf8_valid(s, 6));
	assert_int_equal(utf8_count(s, 6), 2);
	assert_true(utf8_valid("ab\n", 2));
	assert_true(utf8_valid("", 0));
	assert_int_equal(utf8_count("", 0), 0);
}

/* test_null - NULL is answered, not dereferenced */
static void test_null(void **state)
{
	assert_false(utf8_valid(NULL, 3));
	assert_false(utf8_valid(NULL, 0));
	assert_int_equal(utf8_count(NULL, 3), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_len),
		cmocka_unit_test(test_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
