/*
 * test_secret - reading passwords and keys: first line only, no NUL,
 * length limits, and the 0600 rule for private files.
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

#include "kcg.h"
#include "secret.h"
#include "xalloc.h"

static char dir[] = "/tmp/test_secret.XXXXXX";

/* put - a file NAME with LEN bytes of DATA and MODE; its path (static). */
static const char *put(const char *name, const char *data, size_t len,
		       mode_t mode)
{
	static char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
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

static void test_password_file(void **state)
{
	static const struct {
		const char *data;
		size_t len;
		int r;
		const char *want; /* the password, or a word of the error */
	} cases[] = {
		{"Secret123\n", 10, 0, "Secret123"},
		{"Secret123\r\nsecond line\n", 23, 0, "Secret123"},
		{"Secret123", 9, 0, "Secret123"},
		{"Sec\0ret123\n", 11, KCG_EINVAL, "NUL"},
		{"\n", 1, KCG_EINVAL, "empty"},
		{"", 0, KCG_EINVAL, "no password"},
	};
	char *pw = NULL;
	const char *err = NULL;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err = NULL;
		assert_int_equal(secret_read_password(put("pw", cases[i].data,
							  cases[i].len, 0600),
						      "p: ", NULL, &pw, &err),
				 cases[i].r);
		if (cases[i].r == 0) {
			assert_string_equal(pw, cases[i].want);
			xfree_secret(&pw);
			assert_null(pw);
		} else {
			assert_null(pw);
			assert_non_null(strstr(err, cases[i].want));
		}
	}
}

static void test_too_long(void **state)
{
	char *big = xmalloc(8192), *pw = NULL;
	const char *err = NULL;

	memset(big, 'A', 8192);
	assert_int_equal(secret_read_password(put("big", big, 8192, 0600),
					      "p: ", NULL, &pw, &err),
			 KCG_EINVAL);
	assert_non_null(strstr(err, "too long"));
	assert_int_equal(secret_read_file(put("big", big, 8192, 0600), 1, &pw,
					  NULL, &err),
			 KCG_EINVAL);
	free(big);
}

static void test_private_file_mode(void **state)
{
	char *s = NULL;
	size_t len = 0;
	const char *err = NULL;

	assert_int_equal(
		secret_read_file(put("k", "key\n", 4, 0600), 1, &s, &len, &err),
		0);
	assert_string_equal(s, "key");
	assert_int_equal(len, 3);
	xfree_secret(&s);
	assert_int_equal(
		secret_read_file(put("k", "key\n", 4, 0640), 1, &s, &len, &err),
		KCG_EINVAL);
	assert_non_null(strstr(err, "0600"));
	assert_null(s);
	/* not private: a world-readable file is fine */
	assert_int_equal(
		secret_read_file(put("k", "key\n", 4, 0644), 0, &s, &len, &err),
		0);
	xfree_secret(&s);
	assert_int_equal(secret_read_file(dir, 1, &s, &len, &err), KCG_EINVAL);
	assert_non_null(strstr(err, "regular"));
	assert_int_equal(
		secret_read_file(put("k", "a\0b", 3, 0600), 1, &s, &len, &err),
		KCG_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_file),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_private_file_mode),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
