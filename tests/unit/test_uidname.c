/*
 * test_uidname - account name syntax and reserved names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kcg.h"
#include "uidname.h"

struct normalize_case {
	const char *in;
	int r;
	const char *out;
};

static const struct normalize_case normalize_cases[] = {
	/* the seed's IKPD example local part */
	{"abc", 0, "abc"},
	{"jdoe", 0, "jdoe"},
	{"j.doe", 0, "j.doe"},
	{"j_doe-2", 0, "j_doe-2"},
	{"a1b", 0, "a1b"},
	{"abc123", 0, "abc123"},
	{"wang.xiao-ming_99", 0, "wang.xiao-ming_99"},
	/* upper case is folded */
	{"JDoe", 0, "jdoe"},
	{"ABC", 0, "abc"},
	/* length: 3 to 32 */
	{"ab", KCG_EINVAL, NULL},
	{"a", KCG_EINVAL, NULL},
	{"", KCG_EINVAL, NULL},
	{"abcdefghijklmnopqrstuvwxyz012345", 0,
	 "abcdefghijklmnopqrstuvwxyz012345"},
	{"abcdefghijklmnopqrstuvwxyz0123456", KCG_EINVAL, NULL},
	/* first a letter, last a letter or digit */
	{"1abc", KCG_EINVAL, NULL},
	{".abc", KCG_EINVAL, NULL},
	{"_abc", KCG_EINVAL, NULL},
	{"-abc", KCG_EINVAL, NULL},
	{"abc.", KCG_EINVAL, NULL},
	{"abc_", KCG_EINVAL, NULL},
	{"abc-", KCG_EINVAL, NULL},
	/* no two punctuation marks in a row */
	{"a..b", KCG_EINVAL, NULL},
	{"a._b", KCG_EINVAL, NULL},
	{"a-_b", KCG_EINVAL, NULL},
	{"a.b.c", 0, "a.b.c"},
	/* characters outside the set, white space included */
	{"a b c", KCG_EINVAL, NULL},
	{" abc", KCG_EINVAL, NULL},
	{"abc ", KCG_EINVAL, NULL},
	{"abc\n", KCG_EINVAL, NULL},
	{"ab+c", KCG_EINVAL, NULL},
	{"ab@c", KCG_EINVAL, NULL},
	{"ab*c", KCG_EINVAL, NULL},
	{"ab(c", KCG_EINVAL, NULL},
	{"ab,c", KCG_EINVAL, NULL},
	{"ab=c", KCG_EINVAL, NULL},
	{"王小明", KCG_EINVAL, NULL},
	{"ａｂｃ", KCG_EINVAL, NULL},
	{"abc\xc3\xa9", KCG_EINVAL, NULL},
	/* reserved, in any case */
	{"postmaster", KCG_EINVAL, NULL},
	{"PostMaster", KCG_EINVAL, NULL},
	{"mailer-daemon", KCG_EINVAL, NULL},
	{"KPDFForum", KCG_EINVAL, NULL},
	{"root", KCG_EINVAL, NULL},
	/* near a reserved name is fine */
	{"roots", 0, "roots"},
	{"admin1", 0, "admin1"},
	{"postmaster2", 0, "postmaster2"},
};

/* test_normalize - every case in the table */
static void test_normalize(void **state)
{
	size_t i = 0;

	for (i = 0; i < KCG_N_ELEMENTS(normalize_cases); i++) {
		const struct normalize_case *t = &normalize_cases[i];
		char out[UIDNAME_MAX + 1] = "untouched";
		const char *error = NULL;
		int r = uidname_normalize(t->in, out, &error);

		if (r != t->r)
			fail_msg("case %zu \"%s\": returned %d, expected %d", i,
				 t->in, r, t->r);
		if (r == 0) {
			assert_string_equal(out, t->out);
			assert_null(error);
		} else {
			assert_string_equal(out, "untouched");
			assert_non_null(error);
			assert_non_null(strstr(error, " / "));
		}
	}
	assert_int_equal(uidname_normalize(NULL, NULL, NULL), KCG_EINVAL);
}

/* test_reserved - the names the brief requires, and some that are not */
static void test_reserved(void **state)
{
	static const char *const reserved[] = {
		"postmaster",	 "abuse",	"root",	     "admin",
		"administrator", "hostmaster",	"webmaster", "mailer-daemon",
		"noreply",	 "no-reply",	"nobody",    "kpdfforum",
		"security",	 "support",	"info",	     "dovecot",
		"postfix",	 "provisioner", "ikpd",	     "ldap",
		"sysadmin",	 "www",		"ftp",	     "daemon",
		"operator",	 "guest",	"test",
	};
	static const char *const free_names[] = {
		"abc", "jdoe", "admins", "tester", "information", "wwwx",
	};
	size_t i = 0;

	for (i = 0; i < KCG_N_ELEMENTS(reserved); i++) {
		char out[UIDNAME_MAX + 1];
		const char *error = NULL;

		if (!uidname_is_reserved(reserved[i]))
			fail_msg("%s is not reserved", reserved[i]);
		assert_int_equal(uidname_normalize(reserved[i], out, &error),
				 KCG_EINVAL);
		assert_non_null(strstr(error, "reserved"));
	}
	for (i = 0; i < KCG_N_ELEMENTS(free_names); i++) {
		if (uidname_is_reserved(free_names[i]))
			fail_msg("%s is reserved", free_names[i]);
	}
	assert_false(uidname_is_reserved(NULL));
	assert_false(uidname_is_reserved(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_reserved),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
