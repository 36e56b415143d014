/*
 * fuzz_mailaddr - mailaddr_normalize and mailaddr_in_domain on arbitrary
 * text.
 *
 * Invariants: an accepted address is printable ASCII without space, has
 * exactly one '@', equals the input with only the domain lower-cased,
 * re-normalizes to itself and is in its own domain; nothing that could
 * split a header (CR, LF, NUL, space, ',', '<', '>') is ever accepted.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kcg.h"
#include "mailaddr.h"

int FUZZ_ENTRY(mailaddr)(const uint8_t *data, size_t size)
{
	char *in = fuzz_cstring(data, size);
	char out[MAILADDR_MAX + 1], again[MAILADDR_MAX + 1];
	const char *error = NULL;
	const char *at = NULL;
	size_t len = 0, i = 0;
	int r = 0;

	/* any input: no crash, and a string is never in an empty domain */
	FUZZ_ASSERT(!mailaddr_in_domain(in, ""));
	(void)mailaddr_in_domain(in, in);

	r = mailaddr_normalize(in, out, &error);
	if (r != 0) {
		FUZZ_ASSERT(r == KCG_EINVAL);
		FUZZ_ASSERT(error != NULL && error[0] != '\0');
		goto out;
	}
	len = strlen(out);
	FUZZ_ASSERT(len > 0 && len <= MAILADDR_MAX && len == strlen(in));
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)out[i];

		FUZZ_ASSERT(c > 0x20 && c < 0x7f);
		FUZZ_ASSERT(strchr(",<>()\"\\;:[]", c) == NULL);
	}
	at = strchr(out, '@');
	FUZZ_ASSERT(at != NULL && strchr(at + 1, '@') == NULL);
	FUZZ_ASSERT(at > out && at[1] != '\0');
	/* the local part as typed, the domain lower-cased */
	FUZZ_ASSERT(memcmp(out, in, (size_t)(at - out) + 1) == 0);
	for (i = (size_t)(at - out) + 1; i < len; i++) {
		char c = in[i] >= 'A' && in[i] <= 'Z'
				 ? (char)(in[i] - 'A' + 'a')
				 : in[i];

		FUZZ_ASSERT(out[i] == c);
	}
	FUZZ_ASSERT(strchr(at + 1, '.') != NULL);
	FUZZ_ASSERT(mailaddr_in_domain(out, at + 1));
	FUZZ_ASSERT(mailaddr_in_domain(in, at + 1));
	FUZZ_ASSERT(mailaddr_normalize(out, again, NULL) == 0);
	FUZZ_ASSERT(strcmp(out, again) == 0);
out:
	free(in);
	return 0;
}
