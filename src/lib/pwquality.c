/*
 * pwquality - the seed's password rules and strength meter.
 *
 * This file is linked into the slapd ppolicy check module as well as the
 * programs, so it never allocates, logs, exits or touches stdio, and a
 * NULL argument is an answer, not a crash.
 */
#include <stddef.h>

#include "pwquality.h"
#include "utf8.h"

/* the messages spell the limits out */
_Static_assert(PWQUALITY_MIN_LENGTH == 8, "update pwquality_message");
_Static_assert(PWQUALITY_MAX_LENGTH == 128, "update pwquality_message");

/* is_printable - printable ASCII other than space: 0x21..0x7e */
static int is_printable(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e;
}

/* to_lower - ASCII lower case, independent of the locale */
static unsigned char to_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* count_classes - how many of the four classes the bits CLASSES name */
static unsigned int count_classes(unsigned int classes)
{
	unsigned int n = 0;

	for (; classes != 0; classes >>= 1)
		n += classes & 1;
	return n;
}

/* contains_ignoring_case - P[0..LEN) contains NEEDLE, ASCII case folded */
static int contains_ignoring_case(const char *p, size_t len, const char *needle)
{
	const unsigned char *h = (const unsigned char *)p;
	const unsigned char *n = (const unsigned char *)needle;
	size_t n_len = 0;
	size_t i = 0;
	size_t k = 0;

	while (n[n_len] != '\0')
		n_len++;
	if (n_len == 0 || n_len > len)
		return 0;
	for (i = 0; i + n_len <= len; i++) {
		for (k = 0; k < n_len; k++) {
			if (to_lower(h[i + k]) != to_lower(n[k]))
				break;
		}
		if (k == n_len)
			return 1;
	}
	return 0;
}

unsigned int pwquality_classes(const char *password, size_t len)
{
	const unsigned char *p = (const unsigned char *)password;
	unsigned int classes = 0;
	size_t i = 0;

	if (password == NULL)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = p[i];

		if (c >= 'A' && c <= 'Z')
			classes |= PWQ_UPPER;
		else if (c >= 'a' && c <= 'z')
			classes |= PWQ_LOWER;
		else if (c >= '0' && c <= '9')
			classes |= PWQ_DIGIT;
		else if (is_printable(c))
			classes |= PWQ_SYMBOL;
	}
	return classes;
}

enum pwquality_result pwquality_check(const char *password, size_t len,
				      const char *uid)
{
	const unsigned char *p = (const unsigned char *)password;
	unsigned int classes = 0;
	size_t i = 0;

	if (password == NULL || len == 0)
		return PWQ_EMPTY;
	/*
	 * Characters first: once the password is known to be printable
	 * ASCII, its length in bytes is its length in characters.
	 */
	for (i = 0; i < len; i++) {
		if (!is_printable(p[i]))
			return PWQ_BAD_CHAR;
	}
	if (len < PWQUALITY_MIN_LENGTH)
		return PWQ_TOO_SHORT;
	if (len > PWQUALITY_MAX_LENGTH)
		return PWQ_TOO_LONG;
	classes = pwquality_classes(password, len);
	if (count_classes(classes) < 3)
		return PWQ_FEW_CLASSES;
	if (!(classes & PWQ_UPPER))
		return PWQ_NEED_UPPER;
	if (!(classes & PWQ_LOWER))
		return PWQ_NEED_LOWER;
	if (!(classes & PWQ_DIGIT))
		return PWQ_NEED_DIGIT;
	if (uid != NULL && contains_ignoring_case(password, len, uid))
		return PWQ_CONTAINS_UID;
	return PWQ_OK;
}

const char *pwquality_message(enum pwquality_result result)
{
	switch (result) {
	case PWQ_OK:
		return "密碼符合規則 / password meets the rules";
	case PWQ_EMPTY:
		return "請輸入密碼 / password is empty";
	case PWQ_TOO_SHORT:
		return "密碼最少須有 8 個字元 / "
		       "must be at least 8 characters";
	case PWQ_TOO_LONG:
		return "密碼不可超過 128 個字元 / "
		       "must be at most 128 characters";
	case PWQ_BAD_CHAR:
		return "密碼不可包含空白、中文、全形字或控制字元 / "
		       "no spaces, Chinese, full-width or control characters";
	case PWQ_FEW_CLASSES:
		return "密碼需包含大寫英文、小寫英文、數字、特殊符號其中 3 種"
		       " / must use 3 of: upper case, lower case, digit, "
		       "symbol";
	case PWQ_NEED_UPPER:
		return "密碼需包含大寫英文字母 / must contain an upper-case "
		       "letter";
	case PWQ_NEED_LOWER:
		return "密碼需包含小寫英文字母 / must contain a lower-case "
		       "letter";
	case PWQ_NEED_DIGIT:
		return "密碼需包含數字 / must contain a digit";
	case PWQ_CONTAINS_UID:
		return "密碼禁止包含帳戶登入名稱 / must not contain the login "
		       "name";
	}
	return "密碼不符合規則 / password does not meet the rules";
}

enum pwquality_strength pwquality_strength(const char *password, size_t len)
{
	size_t chars = 0;

	if (password == NULL || len == 0)
		return PWQ_STRENGTH_NONE;
	if (count_classes(pwquality_classes(password, len)) < 3)
		return PWQ_STRENGTH_WEAK;
	chars = utf8_valid(password, len) ? utf8_count(password, len) : len;
	if (chars <= 6)
		return PWQ_STRENGTH_WEAK;
	if (chars <= 10)
		return PWQ_STRENGTH_MEDIUM;
	return PWQ_STRENGTH_STRONG;
}

const char *pwquality_strength_label(enum pwquality_strength s)
{
	switch (s) {
	case PWQ_STRENGTH_WEAK:
		return "弱";
	case PWQ_STRENGTH_MEDIUM:
		return "中";
	case PWQ_STRENGTH_STRONG:
		return "強";
	case PWQ_STRENGTH_NONE:
		break;
	}
	return "";
}
