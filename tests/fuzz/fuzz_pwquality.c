/*
 * fuzz_pwquality - the password rules and the strength meter.
 *
 * Input: "UID <0xff> PASSWORD" (the password is raw bytes, NULs and all,
 * passed with its length); without 0xff the whole input is the password
 * and there is no uid.
 *
 * Invariants: pwquality_check, pwquality_classes and pwquality_strength
 * agree with a reference model written from pwquality.h (rule order,
 * BAD_CHAR right after EMPTY, uid compared case-insensitively); an
 * accepted password is never NONE, nor WEAK, on the meter; every result
 * has a message and every strength a label.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pwquality.h"

/* ref_classes - the PWQ_* classes of P[0..LEN) */
static unsigned int ref_classes(const uint8_t *p, size_t len)
{
	unsigned int c = 0;
	size_t i = 0;

	for (i = 0; i < len; i++) {
		if (p[i] >= 'A' && p[i] <= 'Z')
			c |= PWQ_UPPER;
		else if (p[i] >= 'a' && p[i] <= 'z')
			c |= PWQ_LOWER;
		else if (p[i] >= '0' && p[i] <= '9')
			c |= PWQ_DIGIT;
		else if (p[i] > 0x20 && p[i] < 0x7f)
			c |= PWQ_SYMBOL;
	}
	return c;
}

/* n_classes - how many classes C has */
static int n_classes(unsigned int c)
{
	return !!(c & PWQ_UPPER) + !!(c & PWQ_LOWER) + !!(c & PWQ_DIGIT) +
	       !!(c & PWQ_SYMBOL);
}

/* fold - ASCII lower case */
static uint8_t fold(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') : c;
}

/* ref_contains - P[0..LEN) holds UID, ignoring ASCII case */
static int ref_contains(const uint8_t *p, size_t len, const char *uid)
{
	size_t n = strlen(uid), i = 0, k = 0;

	for (i = 0; n > 0 && i + n <= len; i++) {
		for (k = 0; k < n && fold(p[i + k]) == fold((uint8_t)uid[k]);
		     k++)
			;
		if (k == n)
			return 1;
	}
	return 0;
}

/* ref_check - the rules of pwquality.h, in their documented order */
static enum pwquality_result ref_check(const uint8_t *p, size_t len,
				       const char *uid)
{
	unsigned int c = ref_classes(p, len);
	size_t i = 0;

	if (len == 0)
		return PWQ_EMPTY;
	for (i = 0; i < len; i++) {
		if (p[i] <= 0x20 || p[i] >= 0x7f)
			return PWQ_BAD_CHAR;
	}
	if (len < PWQUALITY_MIN_LENGTH)
		return PWQ_TOO_SHORT;
	if (len > PWQUALITY_MAX_LENGTH)
		return PWQ_TOO_LONG;
	if (n_classes(c) < 3)
		return PWQ_FEW_CLASSES;
	if (!(c & PWQ_UPPER))
		return PWQ_NEED_UPPER;
	if (!(c & PWQ_LOWER))
		return PWQ_NEED_LOWER;
	if (!(c & PWQ_DIGIT))
		return PWQ_NEED_DIGIT;
	if (uid != NULL && ref_contains(p, len, uid))
		return PWQ_CONTAINS_UID;
	return PWQ_OK;
}

/* ref_strength - the seed's meter, characters counted as code points */
static enum pwquality_strength ref_strength(const uint8_t *p, size_t len)
{
	size_t chars = 0, i = 0;

	if (len == 0)
		return PWQ_STRENGTH_NONE;
	if (n_classes(ref_classes(p, len)) < 3)
		return PWQ_STRENGTH_WEAK;
	if (fuzz_utf8_valid(p, len)) {
		for (i = 0; i < len; i++)
			chars += (p[i] & 0xc0) != 0x80;
	} else {
		chars = len;
	}
	if (chars <= 6)
		return PWQ_STRENGTH_WEAK;
	return chars <= 10 ? PWQ_STRENGTH_MEDIUM : PWQ_STRENGTH_STRONG;
}

int FUZZ_ENTRY(pwquality)(const uint8_t *data, size_t size)
{
	const uint8_t *sep = memchr(data, 0xff, size);
	const uint8_t *pw = data;
	char *uid = NULL;
	size_t len = size;
	enum pwquality_result res = PWQ_OK;
	enum pwquality_strength strength = PWQ_STRENGTH_NONE;
	const char *text = NULL;

	if (sep != NULL) {
		uid = fuzz_cstring(data, (size_t)(sep - data));
		pw = sep + 1;
		len = size - (size_t)(sep - data) - 1;
	}
	/* exact-size copy: ASan sees any read past LEN */
	pw = memcpy(fuzz_alloc(len), pw, len);

	res = pwquality_check((const char *)pw, len, uid);
	strength = pwquality_strength((const char *)pw, len);
	FUZZ_ASSERT(res == ref_check(pw, len, uid));
	FUZZ_ASSERT(strength == ref_strength(pw, len));
	FUZZ_ASSERT(pwquality_classes((const char *)pw, len) ==
		    ref_classes(pw, len));
	if (res == PWQ_OK) {
		FUZZ_ASSERT(strength != PWQ_STRENGTH_NONE);
		FUZZ_ASSERT(strength >= PWQ_STRENGTH_MEDIUM);
	}
	/* no uid, NULL or empty: the uid rule is skipped */
	FUZZ_ASSERT(pwquality_check((const char *)pw, len, NULL) ==
		    pwquality_check((const char *)pw, len, ""));
	text = pwquality_message(res);
	FUZZ_ASSERT(text != NULL && text[0] != '\0');
	text = pwquality_strength_label(strength);
	FUZZ_ASSERT(text != NULL &&
		    (text[0] != '\0') == (strength != PWQ_STRENGTH_NONE));

	free((void *)pw);
	free(uid);
	return 0;
}
