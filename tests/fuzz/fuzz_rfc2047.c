/*
 * fuzz_rfc2047 - mailmsg_encode_word on arbitrary header text, and
 * utf8_valid / utf8_count against an independent reference.
 *
 * Invariants: NULL exactly for text with a control character or invalid
 * UTF-8; otherwise the output is printable ASCII and "\r\n " folds only.
 * Plain text comes back unchanged; anything else is a sequence of
 * "=?UTF-8?B?...?=" words of at most 75 characters, each holding whole
 * UTF-8 characters, which decode back to the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mailmsg.h"
#include "utf8.h"

#define PREFIX	   "=?UTF-8?B?"
#define PREFIX_LEN (sizeof(PREFIX) - 1)
#define FOLD	   "\r\n "
#define FOLD_LEN   (sizeof(FOLD) - 1)

/* b64_value - the value of base64 digit C, or -1 */
static int b64_value(char c)
{
	static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c != '\0' ? strchr(digits, c) : NULL;

	return p != NULL ? (int)(p - digits) : -1;
}

/*
 * decode_b64 - append the bytes of the padded base64 S[0..LEN) at OUT;
 * returns how many, or -1 when S is not canonical base64.
 */
static long decode_b64(const char *s, size_t len, uint8_t *out)
{
	long n = 0;
	size_t i = 0;
	int v[4], k = 0, pad = 0;

	if (len % 4 != 0)
		return -1;
	for (i = 0; i < len; i += 4) {
		pad = 0;
		for (k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == len && k >= 2) {
				v[k] = 0;
				pad++;
			} else if (pad > 0 ||
				   (v[k] = b64_value(s[i + k])) < 0) {
				return -1;
			}
		}
		out[n++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[n++] = (uint8_t)((v[1] & 15) << 4 | v[2] >> 2);
		if (pad < 1)
			out[n++] = (uint8_t)((v[2] & 3) << 6 | v[3]);
	}
	return n;
}

/* check_words - OUT is encoded words that decode to IN[0..LEN) */
static void check_words(const char *out, const char *in, size_t len)
{
	uint8_t *dec = fuzz_alloc(len + 64);
	const char *p = out, *end = NULL, *next = NULL;
	size_t n = 0, wlen = 0;
	long got = 0;

	for (;;) {
		next = strstr(p, FOLD);
		end = next != NULL ? next : p + strlen(p);
		wlen = (size_t)(end - p);
		FUZZ_ASSERT(wlen <= 75);
		FUZZ_ASSERT(wlen >= PREFIX_LEN + 2);
		FUZZ_ASSERT(memcmp(p, PREFIX, PREFIX_LEN) == 0);
		FUZZ_ASSERT(memcmp(end - 2, "?=", 2) == 0);
		FUZZ_ASSERT(n + wlen <= len + 64);
		got = decode_b64(p + PREFIX_LEN, wlen - PREFIX_LEN - 2,
				 dec + n);
		FUZZ_ASSERT(got >= 0);
		/* each word is whole characters on its own */
		FUZZ_ASSERT(fuzz_utf8_valid(dec + n, (size_t)got));
		FUZZ_ASSERT(got > 0 || len == 0);
		n += (size_t)got;
		if (next == NULL)
			break;
		p = next + FOLD_LEN;
	}
	FUZZ_ASSERT(n == len && memcmp(dec, in, len) == 0);
	free(dec);
}

/* ref_count - code points in well-formed S[0..LEN) */
static size_t ref_count(const uint8_t *s, size_t len)
{
	size_t i = 0, n = 0;

	for (i = 0; i < len; i++)
		n += (s[i] & 0xc0) != 0x80;
	return n;
}

int FUZZ_ENTRY(rfc2047)(const uint8_t *data, size_t size)
{
	char *in = fuzz_cstring(data, size);
	char *out = NULL;
	size_t len = strlen(in), i = 0;
	int valid = fuzz_utf8_valid(data, size);
	int control = 0;

	/* utf8.c against the reference, over the raw bytes */
	FUZZ_ASSERT(utf8_valid((const char *)data, size) == valid);
	if (valid)
		FUZZ_ASSERT(utf8_count((const char *)data, size) ==
			    ref_count(data, size));

	for (i = 0; i < len; i++)
		control |= (uint8_t)in[i] < 0x20 || (uint8_t)in[i] == 0x7f;
	out = mailmsg_encode_word(in);
	if (control || !fuzz_utf8_valid((const uint8_t *)in, len)) {
		FUZZ_ASSERT(out == NULL);
		goto out;
	}
	FUZZ_ASSERT(out != NULL);
	/* printable ASCII, and CR LF only as a fold */
	for (i = 0; out[i] != '\0'; i++) {
		uint8_t c = (uint8_t)out[i];

		if (c == '\r') {
			FUZZ_ASSERT(memcmp(out + i, FOLD, FOLD_LEN) == 0);
			i += FOLD_LEN - 1;
			continue;
		}
		FUZZ_ASSERT(c >= 0x20 && c <= 0x7e);
	}
	if (strncmp(out, PREFIX, PREFIX_LEN) != 0) {
		/* plain text: unchanged, no specials, nothing to fold */
		FUZZ_ASSERT(strcmp(out, in) == 0);
		FUZZ_ASSERT(strstr(out, "=?") == NULL);
		FUZZ_ASSERT(strpbrk(out, "()<>[]:;@\\,.\"") == NULL);
		FUZZ_ASSERT(strstr(out, "  ") == NULL);
		FUZZ_ASSERT(out[0] != ' ' && (len == 0 || out[len - 1] != ' '));
	} else {
		check_words(out, in, len);
	}
out:
	free(out);
	free(in);
	return 0;
}
