/*
 * test_token - link tokens: form, randomness, and hashing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "kcg.h"
#include "token.h"

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void test_new_tokens(void **state)
{
	char tokens[200][TOKEN_LEN + 1], hash[TOKEN_HASH_LEN + 1],
		again[TOKEN_HASH_LEN + 1];
	const char *err = NULL;
	size_t i, j;

	for (i = 0; i < 200; i++) {
		assert_int_equal(token_new(tokens[i], hash), 0);
		assert_int_equal(strlen(tokens[i]), TOKEN_LEN);
		assert_int_equal(strspn(tokens[i], alphabet), TOKEN_LEN);
		assert_int_equal(strlen(hash), TOKEN_HASH_LEN);
		/* the stored hash is what token_hash finds for the link */
		assert_int_equal(token_hash(tokens[i], again, &err), 0);
		assert_string_equal(hash, again);
		for (j = 0; j < i; j++)
			assert_string_not_equal(tokens[i], tokens[j]);
	}
}

static void test_known_hash(void **state)
{
	/* printf %s "$T" | sha256sum, computed independently */
	const char *t = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	char hash[TOKEN_HASH_LEN + 1];
	const char *err = NULL;

	assert_int_equal(token_hash(t, hash, &err), 0);
	assert_string_equal(hash, "0f007385b6f9d4b7eeb2748605afe1a984a0a3bfa3f0"
				  "14d09e2a784ce9e5cd1a");
	/* white space around a pasted token is forgiven */
	assert_int_equal(token_hash("  AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
				    "AAAA\n",
				    hash, &err),
			 0);
	assert_string_equal(hash, "0f007385b6f9d4b7eeb2748605afe1a984a0a3bfa3f0"
				  "14d09e2a784ce9e5cd1a");
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"short",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",	/* 42 */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* 44 */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",
		"AAAAAAAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAAAAAAA",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\xe5",
		"*)(kcgIkpdTokenHash=*",
	};
	char hash[TOKEN_HASH_LEN + 1];
	const char *err = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = NULL;
		assert_int_equal(token_hash(bad[i], hash, &err), KCG_EINVAL);
		assert_non_null(err);
	}
	assert_int_equal(token_hash(NULL, hash, &err), KCG_EINVAL);
}

/* token_issue: a token as token_new makes, and its expiry LIFETIME on */
static void test_issue(void **state)
{
	char token[TOKEN_LEN + 1], hash[TOKEN_HASH_LEN + 1],
		again[TOKEN_HASH_LEN + 1];
	const char *err = NULL;
	long long before, after, expiry = 0;

	before = (long long)time(NULL);
	assert_int_equal(token_issue(3600LL * 48, token, hash, &expiry, &err),
			 0);
	after = (long long)time(NULL);
	assert_null(err);
	assert_true(expiry >= before + 3600LL * 48);
	assert_true(expiry <= after + 3600LL * 48);
	assert_int_equal(strspn(token, alphabet), TOKEN_LEN);
	assert_int_equal(token_hash(token, again, &err), 0);
	assert_string_equal(hash, again);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_tokens),
		cmocka_unit_test(test_known_hash),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_issue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
