/*
 * fuzz.h - what the fuzz targets in tests/fuzz share.
 *
 * Each fuzz_<target>.c defines its entry point as FUZZ_ENTRY(<target>):
 * LLVMFuzzerTestOneInput when it is built as a libFuzzer program
 * (KCG_LIBFUZZER, set by tests/fuzz/Makefile.inc under --enable-fuzzing),
 * fuzz_<target>_entry otherwise, so that test_fuzz_corpus links every
 * target into one ordinary program and replays the corpora and the
 * regression inputs in each `make check`.
 *
 * An entry point returns 0 and checks invariants with FUZZ_ASSERT, which
 * aborts: libFuzzer then saves the input, and make check fails.
 */
#ifndef KCG_FUZZ_H
#define KCG_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every target, in the order test_fuzz_corpus runs them. */
#define FUZZ_TARGETS(X)                                                        \
	X(natid)                                                               \
	X(rocdate)                                                             \
	X(uidname)                                                             \
	X(mailaddr)                                                            \
	X(csv)                                                                 \
	X(config)                                                              \
	X(token)                                                               \
	X(rfc2047)                                                             \
	X(mailmsg)                                                             \
	X(pwquality)                                                           \
	X(check_password)                                                      \
	X(form)

#ifdef KCG_LIBFUZZER
#define FUZZ_ENTRY(target) LLVMFuzzerTestOneInput
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
#else
#define FUZZ_ENTRY(target) fuzz_##target##_entry
#endif

#define FUZZ_DECLARE(target)                                                   \
	int fuzz_##target##_entry(const uint8_t *data, size_t size);
FUZZ_TARGETS(FUZZ_DECLARE)
#undef FUZZ_DECLARE

/* The byte that splits an input into fields: never valid UTF-8. */
#define FUZZ_SEP 0xff

#define FUZZ_ASSERT(cond)                                                      \
	do {                                                                   \
		if (!(cond))                                                   \
			fuzz_fail(__FILE__, __LINE__, __func__, #cond);        \
	} while (0)

/* fuzz_fail - report a broken invariant and abort (libFuzzer saves it) */
static inline void __attribute__((noreturn))
fuzz_fail(const char *file, int line, const char *func, const char *what)
{
	fprintf(stderr, "%s:%d: %s: invariant broken: %s\n", file, line, func,
		what);
	abort();
}

/* fuzz_alloc - malloc that aborts on failure (sanitizers limit memory) */
static inline void *fuzz_alloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		fuzz_fail(__FILE__, __LINE__, __func__, "out of memory");
	return p;
}

/*
 * fuzz_cstring - DATA[0..SIZE) as a NUL-terminated string in new memory
 * (an embedded NUL ends it early, as it would for any C caller).
 */
static inline char *fuzz_cstring(const uint8_t *data, size_t size)
{
	char *s = fuzz_alloc(size + 1);

	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/*
 * fuzz_split - DATA[0..SIZE) cut at FUZZ_SEP into at most MAX fields, the
 * last taking the rest (separators included). Each field goes to
 * fields_r[i] as a new NUL-terminated string (free with fuzz_split_free)
 * and its length in bytes, embedded NULs included, to lens_r[i]. Returns
 * the number of fields, at least 1.
 */
static inline size_t fuzz_split(const uint8_t *data, size_t size,
				char **fields_r, size_t *lens_r, size_t max)
{
	const uint8_t *sep = NULL;
	size_t pos = 0, n = 0, len = 0;

	for (n = 0; n < max; n++) {
		sep = n + 1 < max && pos < size
			      ? memchr(data + pos, FUZZ_SEP, size - pos)
			      : NULL;
		len = sep != NULL ? (size_t)(sep - (data + pos)) : size - pos;
		fields_r[n] = fuzz_cstring(data + pos, len);
		lens_r[n] = len;
		if (sep == NULL)
			return n + 1;
		pos += len + 1;
	}
	return n;
}

/* fuzz_split_free - free the N fields of fuzz_split */
static inline void fuzz_split_free(char **fields, size_t n)
{
	size_t i = 0;

	for (i = 0; i < n; i++)
		free(fields[i]);
}

/*
 * fuzz_utf8_valid - an independent reference for utf8_valid(): the
 * well-formed byte sequences of Unicode 15, table 3-7, without NUL and
 * without C0 controls other than TAB.
 */
static inline int fuzz_utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t b = s[i];
		uint8_t lo = 0x80, hi = 0xbf;
		size_t n = 0, k = 0;

		if (b < 0x80) {
			if (b < 0x20 && b != '\t')
				return 0;
			i++;
			continue;
		}
		if (b >= 0xc2 && b <= 0xdf) {
			n = 2;
		} else if (b == 0xe0) {
			n = 3, lo = 0xa0;
		} else if ((b >= 0xe1 && b <= 0xec) || b == 0xee || b == 0xef) {
			n = 3;
		} else if (b == 0xed) {
			n = 3, hi = 0x9f;
		} else if (b == 0xf0) {
			n = 4, lo = 0x90;
		} else if (b >= 0xf1 && b <= 0xf3) {
			n = 4;
		} else if (b == 0xf4) {
			n = 4, hi = 0x8f;
		} else {
			return 0;
		}
		if (len - i < n || s[i + 1] < lo || s[i + 1] > hi)
			return 0;
		for (k = 2; k < n; k++) {
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return 0;
		}
		i += n;
	}
	return 1;
}

#endif
