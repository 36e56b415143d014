/*
 * test_mailaddr - the plain addr-spec subset we store and put in headers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kcg.h"
#include "mailaddr.h"

struct normalize_case {
	const char *in;
	int r;
	const char *out;
};

static const struct normalize_case normalize_cases[] = {
	/* the seed's addresses */
	{"abc@kcg.gov.tw", 0, "abc@kcg.gov.tw"},
	{"KPDFForum@kcg.gov.tw", 0, "KPDFForum@kcg.gov.tw"},
	/* the domain is lower-cased, the local part kept as typed */
	{"John.Doe@KCG.GOV.TW", 0, "John.Doe@kcg.gov.tw"},
	{"user+tag@Example.COM", 0, "user+tag@example.com"},
	{"a!#$%&'*+-/=?^_`{|}~z@example.org", 0,
	 "a!#$%&'*+-/=?^_`{|}~z@example.org"},
	{"x@a-b.example.com", 0, "x@a-b.example.com"},
	{"x@xn--fiqs8s.tw", 0, "x@xn--fiqs8s.tw"},
	{"x@123.example", 0, "x@123.example"},
	/* no @, two @, empty sides */
	{"", KCG_EINVAL, NULL},
	{"abc", KCG_EINVAL, NULL},
	{"abc@", KCG_EINVAL, NULL},
	{"@kcg.gov.tw", KCG_EINVAL, NULL},
	{"a@b@kcg.gov.tw", KCG_EINVAL, NULL},
	/* dot-atom local part */
	{".abc@kcg.gov.tw", KCG_EINVAL, NULL},
	{"abc.@kcg.gov.tw", KCG_EINVAL, NULL},
	{"a..bc@kcg.gov.tw", KCG_EINVAL, NULL},
	{"\"abc\"@kcg.gov.tw", KCG_EINVAL, NULL},
	{"a(b)c@kcg.gov.tw", KCG_EINVAL, NULL},
	{"a,bc@kcg.gov.tw", KCG_EINVAL, NULL},
	{"a;bc@kcg.gov.tw", KCG_EINVAL, NULL},
	{"a<bc>@kcg.gov.tw", KCG_EINVAL, NULL},
	{"a\\bc@kcg.gov.tw", KCG_EINVAL, NULL},
	/* the domain: LDH labels, a dot, no literal, no numeric top label */
	{"abc@localhost", KCG_EINVAL, NULL},
	{"abc@kcg..gov.tw", KCG_EINVAL, NULL},
	{"abc@.kcg.gov.tw", KCG_EINVAL, NULL},
	{"abc@kcg.gov.tw.", KCG_EINVAL, NULL},
	{"abc@-kcg.gov.tw", KCG_EINVAL, NULL},
	{"abc@kcg-.gov.tw", KCG_EINVAL, NULL},
	{"abc@kcg_x.gov.tw", KCG_EINVAL, NULL},
	{"abc@[127.0.0.1]", KCG_EINVAL, NULL},
	{"abc@127.0.0.1", KCG_EINVAL, NULL},
	{"abc@kcg.gov.tw>", KCG_EINVAL, NULL},
	/* white space, controls, CR/LF and non-ASCII */
	{" abc@kcg.gov.tw", KCG_EINVAL, NULL},
	{"abc@kcg.gov.tw ", KCG_EINVAL, NULL},
	{"abc@kcg.gov.tw\r\nBcc: x@evil.example", KCG_EINVAL, NULL},
	{"abc\n@kcg.gov.tw", KCG_EINVAL, NULL},
	{"a\tbc@kcg.gov.tw", KCG_EINVAL, NULL},
	{"a\x7f"
	 "bc@kcg.gov.tw",
	 KCG_EINVAL, NULL},
	{"王小明@kcg.gov.tw", KCG_EINVAL, NULL},
	{"abc@高雄.tw", KCG_EINVAL, NULL},
	{"ａｂｃ@kcg.gov.tw", KCG_EINVAL, NULL},
	{"Name <abc@kcg.gov.tw>", KCG_EINVAL, NULL},
};

/* test_normalize - every case in the table */
static void test_normalize(void **state)
{
	size_t i = 0;

	for (i = 0; i < KCG_N_ELEMENTS(normalize_cases); i++) {
		const struct normalize_case *t = &normalize_cases[i];
		char out[MAILADDR_MAX + 1] = "untouched";
		const char *error = NULL;
		int r = mailaddr_normalize(t->in, out, &error);

		if (r != t->r)
			fail_msg("case %zu: returned %d, expected %d", i, r,
				 t->r);
		if (r == 0) {
			assert_string_equal(out, t->out);
			assert_null(error);
		} else {
			assert_string_equal(out, "untouched");
			assert_non_null(error);
			assert_non_null(strstr(error, " / "));
		}
	}
	assert_int_equal(mailaddr_normalize(NULL, NULL, NULL), KCG_EINVAL);
}

/* fill - S becomes N copies of C, NUL-terminated */
static void fill(char *s, char c, size_t n)
{
	memset(s, c, n);
	s[n] = '\0';
}

/* test_lengths - 64 for the local part, 63 per label, 254 in all */
static void test_lengths(void **state)
{
	char in[400];
	char out[MAILADDR_MAX + 1];
	const char *error = NULL;
	size_t n = 0;

	fill(in, 'a', 64);
	strcat(in, "@kcg.gov.tw");
	assert_int_equal(mailaddr_normalize(in, out, &error), 0);
	fill(in, 'a', 65);
	strcat(in, "@kcg.gov.tw");
	assert_int_equal(mailaddr_normalize(in, out, &error), KCG_EINVAL);

	strcpy(in, "a@");
	fill(in + 2, 'b', 63);
	strcat(in, ".tw");
	assert_int_equal(mailaddr_normalize(in, out, &error), 0);
	strcpy(in, "a@");
	fill(in + 2, 'b', 64);
	strcat(in, ".tw");
	assert_int_equal(mailaddr_normalize(in, out, &error), KCG_EINVAL);

	/* "a@" + labels of 49 + "." up to exactly 254, then 255 */
	strcpy(in, "a@");
	for (n = 0; n < 5; n++) {
		fill(in + strlen(in), 'c', 49);
		strcat(in, ".");
	}
	n = strlen(in);
	fill(in + n, 'd', MAILADDR_MAX - n);
	assert_int_equal(strlen(in), MAILADDR_MAX);
	assert_int_equal(mailaddr_normalize(in, out, &error), 0);
	assert_string_equal(out, in);
	strcat(in, "d");
	assert_int_equal(mailaddr_normalize(in, out, &error), KCG_EINVAL);
}

struct domain_case {
	const char *addr;
	const char *domain;
	int in;
};

static const struct domain_case domain_cases[] = {
	{"abc@kcg.gov.tw", "kcg.gov.tw", 1},
	{"abc@kcg.gov.tw", "KCG.gov.TW", 1},
	{"abc@KCG.GOV.TW", "kcg.gov.tw", 1},
	{"abc@mail.kcg.gov.tw", "kcg.gov.tw", 0},
	{"abc@kcg.gov.tw.evil.example", "kcg.gov.tw", 0},
	{"abc@evilkcg.gov.tw", "kcg.gov.tw", 0},
	{"abc@kcg.gov.t", "kcg.gov.tw", 0},
	{"abc@kcg.gov.tw", "", 0},
	{"abc", "kcg.gov.tw", 0},
	{NULL, "kcg.gov.tw", 0},
	{"abc@kcg.gov.tw", NULL, 0},
};

/* test_in_domain - every case in the table */
static void test_in_domain(void **state)
{
	size_t i = 0;

	for (i = 0; i < KCG_N_ELEMENTS(domain_cases); i++) {
		const struct domain_case *t = &domain_cases[i];

		if (!mailaddr_in_domain(t->addr, t->domain) != !t->in)
			fail_msg("case %zu: expected %d", i, t->in);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_in_domain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
