/*
 * fuzz_uidname - account names: uidname_normalize and
 * uidname_is_reserved on arbitrary text.
 *
 * Invariants: an accepted uid is the input lower-cased, 3 to 32
 * characters of [a-z0-9._-], starting with a letter, ending with a letter
 * or digit, without two punctuation marks in a row, not reserved, and it
 * re-validates to itself; a reserved name is always refused.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kcg.h"
#include "uidname.h"

/* is_punct - the punctuation a uid may contain */
static int is_punct(char c)
{
	return c == '.' || c == '_' || c == '-';
}

int FUZZ_ENTRY(uidname)(const uint8_t *data, size_t size)
{
	char *in = fuzz_cstring(data, size);
	char out[UIDNAME_MAX + 1], again[UIDNAME_MAX + 1];
	const char *error = NULL;
	size_t len = 0, i = 0;
	int r = 0;

	memset(out, 0, sizeof(out));
	r = uidname_normalize(in, out, &error);
	if (r != 0) {
		FUZZ_ASSERT(r == KCG_EINVAL);
		FUZZ_ASSERT(error != NULL && error[0] != '\0');
		goto out;
	}
	len = strlen(out);
	FUZZ_ASSERT(len >= 3 && len <= UIDNAME_MAX);
	FUZZ_ASSERT(strlen(in) == len);
	for (i = 0; i < len; i++) {
		char c = out[i];
		char want = in[i] >= 'A' && in[i] <= 'Z'
				    ? (char)(in[i] - 'A' + 'a')
				    : in[i];

		FUZZ_ASSERT(c == want);
		FUZZ_ASSERT((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			    is_punct(c));
		FUZZ_ASSERT(i == 0 || !is_punct(c) || !is_punct(out[i - 1]));
	}
	FUZZ_ASSERT(out[0] >= 'a' && out[0] <= 'z');
	FUZZ_ASSERT(!is_punct(out[len - 1]));
	FUZZ_ASSERT(!uidname_is_reserved(out));
	FUZZ_ASSERT(!uidname_is_reserved(in));
	FUZZ_ASSERT(uidname_normalize(out, again, NULL) == 0);
	FUZZ_ASSERT(strcmp(out, again) == 0);
out:
	if (uidname_is_reserved(in))
		FUZZ_ASSERT(uidname_normalize(in, again, NULL) == KCG_EINVAL);
	free(in);
	return 0;
}
