/*
 * mailaddr - checks for mail addresses we store or put in a header.
 *
 * Deliberately narrower than RFC 5322: a plain ASCII local@domain with a
 * dot-atom local part and an LDH domain, so that no address can carry a
 * CR/LF, a comment or a second recipient into a header. Nothing here
 * allocates.
 */
#include <stddef.h>
#include <string.h>

#include "kcg.h"
#include "mailaddr.h"

#define LOCAL_MAX 64
#define LABEL_MAX 63

/* is_alnum - ASCII letter or digit, independent of the locale */
static int is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* is_atext - RFC 5322 atext: letters, digits and !#$%&'*+-/=?^_`{|}~ */
static int is_atext(char c)
{
	return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* to_lower - ASCII lower case, independent of the locale */
static char to_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* local_ok - S[0..LEN) is a dot-atom of at most LOCAL_MAX characters */
static int local_ok(const char *s, size_t len)
{
	size_t i = 0;

	if (len == 0 || len > LOCAL_MAX || s[0] == '.' || s[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (s[i - 1] == '.')
				return 0;
		} else if (!is_atext(s[i])) {
			return 0;
		}
	}
	return 1;
}

/* domain_ok - S[0..LEN) is two or more LDH labels, the last not numeric */
static int domain_ok(const char *s, size_t len)
{
	size_t start = 0;
	size_t labels = 0;
	size_t i = 0;
	int numeric = 1;

	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			size_t n = i - start;

			if (n == 0 || n > LABEL_MAX || s[start] == '-' ||
			    s[i - 1] == '-')
				return 0;
			labels++;
			if (i == len)
				break;
			start = i + 1;
			numeric = 1;
			continue;
		}
		if (!is_alnum(s[i]) && s[i] != '-')
			return 0;
		if (s[i] < '0' || s[i] > '9')
			numeric = 0;
	}
	/* an all-numeric top label would make "1.2.3.4" look like a host */
	return labels >= 2 && !numeric;
}

int mailaddr_normalize(const char *in, char out_r[MAILADDR_MAX + 1],
		       const char **error_r)
{
	const char *at = NULL;
	const char *error = NULL;
	size_t len = 0;
	size_t local_len = 0;
	size_t i = 0;
	int r = KCG_EINVAL;

	if (in == NULL || in[0] == '\0') {
		error = "未輸入電子郵件地址 / mail address is missing";
		goto out;
	}
	len = strnlen(in, MAILADDR_MAX + 1);
	if (len > MAILADDR_MAX) {
		error = "電子郵件地址過長 / mail address is too long";
		goto out;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c <= 0x20 || c >= 0x7f) {
			error = "電子郵件地址只能使用半形英數字及符號 / "
				"mail address may only use ASCII letters, "
				"digits and symbols";
			goto out;
		}
	}
	at = strchr(in, '@');
	if (at == NULL || strchr(at + 1, '@') != NULL) {
		error = "電子郵件地址須為 名稱@網域 / "
			"mail address must be name@domain";
		goto out;
	}
	local_len = (size_t)(at - in);
	if (!local_ok(in, local_len)) {
		error = "電子郵件地址 @ 前的名稱格式錯誤 / "
			"the part before @ is not valid";
		goto out;
	}
	if (!domain_ok(at + 1, len - local_len - 1)) {
		error = "電子郵件地址的網域格式錯誤 / "
			"the domain is not valid";
		goto out;
	}

	for (i = 0; i < len; i++)
		out_r[i] = i > local_len ? to_lower(in[i]) : in[i];
	out_r[len] = '\0';
	r = 0;
out:
	if (r != 0 && error_r != NULL)
		*error_r = error;
	return r;
}

int mailaddr_in_domain(const char *addr, const char *domain)
{
	const char *at = NULL;
	const char *d = NULL;

	if (addr == NULL || domain == NULL || domain[0] == '\0')
		return 0;
	at = strrchr(addr, '@');
	if (at == NULL)
		return 0;
	for (d = at + 1; *d != '\0' && *domain != '\0'; d++, domain++) {
		if (to_lower(*d) != to_lower(*domain))
			return 0;
	}
	return *d == '\0' && *domain == '\0';
}
