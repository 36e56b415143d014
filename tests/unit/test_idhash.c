/*
 * test_idhash - the keyed national-ID hash and its key-file checks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "idhash.h"
#include "kcg.h"

static char dir[] = "/tmp/test_idhash.XXXXXX";

/* write_key - a key file with CONTENT and MODE; returns its path. */
static const char *write_key(const char *name, const char *content, mode_t mode)
{
	static char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(content, fp);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static int setup(void **state)
{
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_known_value(void **state)
{
	/* The expected value was computed independently with openssl(1). */
	const char *key = "0123456789abcdef0123456789abcdef";
	struct idhash *ih = NULL;
	const char *err = NULL;
	char hex[IDHASH_HEX_LEN + 1];

	assert_int_equal(idhash_open(write_key("k1", key, 0600), &ih, &err), 0);
	assert_int_equal(idhash_compute(ih, "A123456789", hex), 0);
	/* echo -n A123456789 | openssl dgst -sha256 -hmac KEY */
	assert_string_equal(hex, "a402125ac37e39575cdb0cba9b4756d2e6e57540329a1"
				 "eb899fdcffe78f7c4f9");
	idhash_free(&ih);
	assert_null(ih);
}

static void test_trailing_newline_ignored(void **state)
{
	struct idhash *a = NULL, *b = NULL;
	const char *err = NULL;
	char ha[IDHASH_HEX_LEN + 1], hb[IDHASH_HEX_LEN + 1];

	assert_int_equal(
		idhash_open(write_key("k2",
				      "0123456789abcdef0123456789abcdef\n",
				      0600),
			    &a, &err),
		0);
	assert_int_equal(
		idhash_open(write_key("k3", "0123456789abcdef0123456789abcdef",
				      0400),
			    &b, &err),
		0);
	assert_int_equal(idhash_compute(a, "E123456783", ha), 0);
	assert_int_equal(idhash_compute(b, "E123456783", hb), 0);
	assert_string_equal(ha, hb);
	/* different IDs give different hashes */
	assert_int_equal(idhash_compute(b, "E223456712", hb), 0);
	assert_string_not_equal(ha, hb);
	idhash_free(&a);
	idhash_free(&b);
}

static void test_refused_keys(void **state)
{
	static const struct {
		const char *name, *content;
		mode_t mode;
		const char *reason;
	} cases[] = {
		{"r1", "0123456789abcdef0123456789abcdef", 0644, "0600"},
		{"r2", "0123456789abcdef0123456789abcdef", 0640, "0600"},
		{"r3", "0123456789abcdef0123456789abcdef", 0606, "0600"},
		{"r4", "short", 0600, "shorter"},
		{"r5", "\n", 0600, "empty"},
	};
	struct idhash *ih = NULL;
	const char *err = NULL;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err = NULL;
		assert_int_equal(
			idhash_open(write_key(cases[i].name, cases[i].content,
					      cases[i].mode),
				    &ih, &err),
			KCG_EINVAL);
		assert_null(ih);
		assert_non_null(strstr(err, cases[i].reason));
	}
	assert_int_equal(idhash_open("/nonexistent/key", &ih, &err),
			 KCG_EINVAL);
	assert_null(ih);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_value),
		cmocka_unit_test(test_trailing_newline_ignored),
		cmocka_unit_test(test_refused_keys),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
