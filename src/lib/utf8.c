/*
 * utf8 - UTF-8 validation, shared by everything that takes text input.
 *
 * Also linked into the slapd password check module: no allocation, no
 * stdio, no exit, and NULL is answered rather than dereferenced.
 */
#include <stddef.h>

#include "utf8.h"

/* seq_len - length of the sequence led by byte B and its minimum code point */
static size_t seq_len(unsigned char b, unsigned int *min_r)
{
	if (b >= 0xc2 && b <= 0xdf) {
		*min_r = 0x80;
		return 2;
	}
	if (b >= 0xe0 && b <= 0xef) {
		*min_r = 0x800;
		return 3;
	}
	if (b >= 0xf0 && b <= 0xf4) {
		*min_r = 0x10000;
		return 4;
	}
	/* 0x80..0xc1 (continuation or overlong lead) and 0xf5..0xff */
	return 0;
}

int utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	if (s == NULL)
		return 0;
	while (i < len) {
		unsigned char b = p[i];
		unsigned int cp = 0;
		unsigned int min = 0;
		size_t n = 0;
		size_t k = 0;

		if (b < 0x80) {
			if (b < 0x20 && b != '\t')
				return 0;
			i++;
			continue;
		}
		n = seq_len(b, &min);
		if (n == 0 || n > len - i)
			return 0;
		cp = b & (0x7f >> n);
		for (k = 1; k < n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n;
	}
	return 1;
}

size_t utf8_count(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;
	size_t i = 0;

	if (s == NULL)
		return 0;
	for (i = 0; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			n++;
	}
	return n;
}
