/*
 * fuzz_token - token_hash on arbitrary link tokens.
 *
 * Invariants, against a reference written from token.h: the input is
 * accepted exactly when it is 43 base64url characters with only white
 * space around them (the implementation skips " \t\n" in front and
 * " \t\r\n" behind); the hash is 64 lower-case hex digits, the same as
 * for the bare token; a refusal is KCG_EINVAL with a reason that never
 * quotes the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kcg.h"
#include "token.h"

static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* ref_token - where the token of IN starts, or NULL when IN is malformed */
static const char *ref_token(const char *in)
{
	size_t i = 0;

	while (*in == ' ' || *in == '\t' || *in == '\n')
		in++;
	for (i = 0; i < TOKEN_LEN; i++) {
		if (in[i] == '\0' || strchr(b64url, in[i]) == NULL)
			return NULL;
	}
	for (i = TOKEN_LEN; in[i] != '\0'; i++) {
		if (strchr(" \t\r\n", in[i]) == NULL)
			return NULL;
	}
	return in;
}

int FUZZ_ENTRY(token)(const uint8_t *data, size_t size)
{
	char *in = fuzz_cstring(data, size);
	char hash[TOKEN_HASH_LEN + 1], again[TOKEN_HASH_LEN + 1];
	char bare[TOKEN_LEN + 1];
	const char *error = NULL;
	const char *tok = ref_token(in);
	size_t i = 0;
	int r = 0;

	memset(hash, 0, sizeof(hash));
	r = token_hash(in, hash, &error);
	if (r != 0) {
		FUZZ_ASSERT(r == KCG_EINVAL);
		FUZZ_ASSERT(tok == NULL);
		FUZZ_ASSERT(error != NULL && error[0] != '\0');
		/* a reason never quotes the token */
		if (strlen(in) >= 8)
			FUZZ_ASSERT(strstr(error, in) == NULL);
		goto out;
	}
	FUZZ_ASSERT(tok != NULL);
	FUZZ_ASSERT(strlen(hash) == TOKEN_HASH_LEN);
	for (i = 0; i < TOKEN_HASH_LEN; i++)
		FUZZ_ASSERT((hash[i] >= '0' && hash[i] <= '9') ||
			    (hash[i] >= 'a' && hash[i] <= 'f'));
	memcpy(bare, tok, TOKEN_LEN);
	bare[TOKEN_LEN] = '\0';
	FUZZ_ASSERT(token_hash(bare, again, &error) == 0);
	FUZZ_ASSERT(strcmp(hash, again) == 0);
out:
	free(in);
	return 0;
}
