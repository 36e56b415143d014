/*
 * test_pwquality - the password rules, their order and the strength meter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kcg.h"
#include "pwquality.h"

#define L129                                                                   \
	"Aa1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"   \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

struct check_case {
	const char *password;
	size_t len; /* 0: strlen, unless password is NULL */
	const char *uid;
	enum pwquality_result result;
};

static const struct check_case check_cases[] = {
	/* the seed's example */
	{"1Qaz2wsx", 0, "abc", PWQ_OK},
	{"1Qaz2wsx", 0, NULL, PWQ_OK},
	{"1Qaz2wsx", 0, "", PWQ_OK},
	{"Abcdefg1", 0, "xyz", PWQ_OK},
	{"P@ssw0rd!", 0, "jdoe", PWQ_OK},
	{"Zz9~`{}|", 0, "abc", PWQ_OK},
	/* empty */
	{NULL, 0, "abc", PWQ_EMPTY},
	{"", 0, "abc", PWQ_EMPTY},
	/* length */
	{"Ab1", 0, NULL, PWQ_TOO_SHORT},
	{"Ab1!xyz", 0, NULL, PWQ_TOO_SHORT},
	{L129, 128, NULL, PWQ_OK},
	{L129, 0, NULL, PWQ_TOO_LONG},
	/* characters: spaces, tabs, controls, non-ASCII, invalid UTF-8 */
	{"Abc 12345", 0, NULL, PWQ_BAD_CHAR},
	{" Abc12345", 0, NULL, PWQ_BAD_CHAR},
	{"Abc12345 ", 0, NULL, PWQ_BAD_CHAR},
	{"Abc\t12345", 0, NULL, PWQ_BAD_CHAR},
	{"Abc12345\n", 0, NULL, PWQ_BAD_CHAR},
	{"Abc\x7f"
	 "12345",
	 0, NULL, PWQ_BAD_CHAR},
	{"Abc\0"
	 "12345",
	 9, NULL, PWQ_BAD_CHAR},
	{"Ａbc12345", 0, NULL, PWQ_BAD_CHAR},
	{"Abc１2345", 0, NULL, PWQ_BAD_CHAR},
	{"密碼Abc12345", 0, NULL, PWQ_BAD_CHAR},
	{"Abc12345密碼", 0, NULL, PWQ_BAD_CHAR},
	{"Abc\xff"
	 "12345",
	 0, NULL, PWQ_BAD_CHAR},
	/* bad characters are reported before the length */
	{"密碼", 0, NULL, PWQ_BAD_CHAR},
	{"a b", 0, NULL, PWQ_BAD_CHAR},
	/* classes */
	{"alllowercase", 0, NULL, PWQ_FEW_CLASSES},
	{"ALLUPPERCASE", 0, NULL, PWQ_FEW_CLASSES},
	{"12345678", 0, NULL, PWQ_FEW_CLASSES},
	{"Abcdefgh", 0, NULL, PWQ_FEW_CLASSES},
	{"abcdefg1", 0, NULL, PWQ_FEW_CLASSES},
	{"!@#$%^&*", 0, NULL, PWQ_FEW_CLASSES},
	{"abcdefg1!", 0, NULL, PWQ_NEED_UPPER},
	{"ABCDEFG1!", 0, NULL, PWQ_NEED_LOWER},
	{"Abcdefgh!", 0, NULL, PWQ_NEED_DIGIT},
	/* the uid, in any case */
	{"Abc12345", 0, "abc", PWQ_CONTAINS_UID},
	{"xABC12yz", 0, "abc", PWQ_CONTAINS_UID},
	{"1Qaz2wsx", 0, "QAZ", PWQ_CONTAINS_UID},
	{"1Qaz2wsx", 0, "2WSX", PWQ_CONTAINS_UID},
	{"Xy1jdoe!", 0, "JDoe", PWQ_CONTAINS_UID},
	{"Xy1jdo!e", 0, "jdoe", PWQ_OK},
	{"Abc12345", 0, "abc123456", PWQ_OK},
	/* order: the first broken rule wins */
	{"abc", 0, "abc", PWQ_TOO_SHORT},
	{"abcdefgh", 0, "abc", PWQ_FEW_CLASSES},
	{"abcdefg1!", 0, "abc", PWQ_NEED_UPPER},
};

/* test_check - every case in the table */
static void test_check(void **state)
{
	size_t i = 0;

	assert_int_equal(strlen(L129), PWQUALITY_MAX_LENGTH + 1);
	for (i = 0; i < KCG_N_ELEMENTS(check_cases); i++) {
		const struct check_case *t = &check_cases[i];
		size_t len = t->len;
		enum pwquality_result r = PWQ_OK;

		if (len == 0 && t->password != NULL)
			len = strlen(t->password);
		r = pwquality_check(t->password, len, t->uid);
		if (r != t->result)
			fail_msg("case %zu: got %d (%s), expected %d", i, r,
				 pwquality_message(r), t->result);
	}
}

/* test_not_terminated - LEN is honoured, no NUL is needed */
static void test_not_terminated(void **state)
{
	const char buf[9] = {'1', 'Q', 'a', 'z', '2', 'w', 's', 'x', ' '};

	assert_int_equal(pwquality_check(buf, 8, "abc"), PWQ_OK);
	assert_int_equal(pwquality_check(buf, 9, "abc"), PWQ_BAD_CHAR);
	/* the uid past the end does not count */
	assert_int_equal(pwquality_check("Abcdefg1abc", 8, "abc1"), PWQ_OK);
}

struct class_case {
	const char *password;
	unsigned int classes;
};

static const struct class_case class_cases[] = {
	{"", 0},
	{"A", PWQ_UPPER},
	{"z", PWQ_LOWER},
	{"5", PWQ_DIGIT},
	{"!", PWQ_SYMBOL},
	{"~", PWQ_SYMBOL},
	{" ", 0},
	{"\t", 0},
	{"密", 0},
	{"Ａ", 0},
	{"1Qaz2wsx", PWQ_UPPER | PWQ_LOWER | PWQ_DIGIT},
	{"Ab1!", PWQ_UPPER | PWQ_LOWER | PWQ_DIGIT | PWQ_SYMBOL},
	{"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", PWQ_SYMBOL},
};

/* test_classes - every case in the table */
static void test_classes(void **state)
{
	size_t i = 0;

	for (i = 0; i < KCG_N_ELEMENTS(class_cases); i++) {
		const char *p = class_cases[i].password;

		if (pwquality_classes(p, strlen(p)) != class_cases[i].classes)
			fail_msg("case %zu", i);
	}
	assert_int_equal(pwquality_classes(NULL, 5), 0);
}

struct strength_case {
	const char *password;
	size_t len; /* 0: strlen, unless password is NULL */
	enum pwquality_strength strength;
};

static const struct strength_case strength_cases[] = {
	{NULL, 0, PWQ_STRENGTH_NONE},
	{"", 0, PWQ_STRENGTH_NONE},
	/* 3 classes: 1-6 weak, 7-10 medium, more than 10 strong */
	{"Ab1", 0, PWQ_STRENGTH_WEAK},
	{"Ab1xyz", 0, PWQ_STRENGTH_WEAK},
	{"Ab1!xyz", 0, PWQ_STRENGTH_MEDIUM},
	{"1Qaz2wsx", 0, PWQ_STRENGTH_MEDIUM},
	{"Abcdefg12!", 0, PWQ_STRENGTH_MEDIUM},
	{"Abcdefg123!", 0, PWQ_STRENGTH_STRONG},
	{"Ab1!Ab1!Ab1!Ab1!", 0, PWQ_STRENGTH_STRONG},
	/* fewer than 3 classes is weak at any length */
	{"abcdefghijkl", 0, PWQ_STRENGTH_WEAK},
	{"abcdefghijkl123456", 0, PWQ_STRENGTH_WEAK},
	{"a", 0, PWQ_STRENGTH_WEAK},
	/* code points, not bytes: 8 characters in 12 bytes */
	{"密碼Ab1234", 0, PWQ_STRENGTH_MEDIUM},
	/* 11 characters in 15 bytes */
	{"密碼Ab1234567", 0, PWQ_STRENGTH_STRONG},
	/* full-width letters add no class */
	{"Ａbc12345", 0, PWQ_STRENGTH_WEAK},
	/* invalid UTF-8 counts bytes: 7 and 6 */
	{"\xff"
	 "Ab1234",
	 0, PWQ_STRENGTH_MEDIUM},
	{"\xe5\xaf"
	 "Ab12",
	 0, PWQ_STRENGTH_WEAK},
};

/* test_strength - every case in the table */
static void test_strength(void **state)
{
	size_t i = 0;

	for (i = 0; i < KCG_N_ELEMENTS(strength_cases); i++) {
		const struct strength_case *t = &strength_cases[i];
		size_t len = t->len;
		enum pwquality_strength s = PWQ_STRENGTH_NONE;

		if (len == 0 && t->password != NULL)
			len = strlen(t->password);
		s = pwquality_strength(t->password, len);
		if (s != t->strength)
			fail_msg("case %zu: got %d, expected %d", i, s,
				 t->strength);
	}
}

/* test_labels - the meter's words */
static void test_labels(void **state)
{
	assert_string_equal(pwquality_strength_label(PWQ_STRENGTH_NONE), "");
	assert_string_equal(pwquality_strength_label(PWQ_STRENGTH_WEAK), "弱");
	assert_string_equal(pwquality_strength_label(PWQ_STRENGTH_MEDIUM),
			    "中");
	assert_string_equal(pwquality_strength_label(PWQ_STRENGTH_STRONG),
			    "強");
	assert_string_equal(
		pwquality_strength_label((enum pwquality_strength)42), "");
}

/* test_messages - every result has a zh-TW / English line */
static void test_messages(void **state)
{
	int r = 0;

	for (r = PWQ_OK; r <= PWQ_CONTAINS_UID; r++) {
		const char *m = pwquality_message((enum pwquality_result)r);

		assert_non_null(m);
		assert_non_null(strstr(m, " / "));
		assert_null(strchr(m, '\n'));
	}
	assert_non_null(strstr(pwquality_message(PWQ_TOO_SHORT), "8"));
	assert_non_null(strstr(pwquality_message(PWQ_TOO_LONG), "128"));
	assert_string_equal(pwquality_message(PWQ_NEED_UPPER),
			    "密碼需包含大寫英文字母 / must contain an "
			    "upper-case letter");
	assert_non_null(pwquality_message((enum pwquality_result)99));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_not_terminated),
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_strength),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
