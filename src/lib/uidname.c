/*
 * uidname - the syntax of account names (uid, also the mail local part).
 *
 * Upper case is folded because mail local parts and LDAP's uid compare
 * case-insensitively; role and system names are refused so that nobody
 * can claim postmaster@ or a service's bind identity. Nothing here
 * allocates.
 */
#include <stddef.h>
#include <string.h>

#include "kcg.h"
#include "uidname.h"

#define UIDNAME_MIN 3

/*
 * Role mailboxes (RFC 2142 and common practice), the directory's service
 * identities, the seed's own sender (KPDFForum@) and Unix system accounts.
 */
static const char *const reserved[] = {
	"abuse",	 "admin",	 "administrator", "anonymous",
	"apache",	 "backup",	 "bin",		  "bounce",
	"bounces",	 "daemon",	 "dns",		  "do-not-reply",
	"donotreply",	 "dovecot",	 "ftp",		  "games",
	"guest",	 "help",	 "helpdesk",	  "hostmaster",
	"http",		 "ikpd",	 "imap",	  "info",
	"kcg",		 "kcgidm",	 "kpdfforum",	  "ldap",
	"list",		 "listmaster",	 "lists",	  "mail",
	"mailer-daemon", "mailerdaemon", "mailman",	  "majordomo",
	"man",		 "manager",	 "marketing",	  "news",
	"nginx",	 "noc",		 "nobody",	  "no-reply",
	"noreply",	 "ntp",		 "openldap",	  "operator",
	"pop",		 "pop3",	 "postfix",	  "postmaster",
	"provisioner",	 "proxy",	 "root",	  "sales",
	"security",	 "service",	 "slapd",	  "smtp",
	"ssladmin",	 "sshd",	 "staff",	  "superuser",
	"support",	 "sync",	 "sys",		  "sysadmin",
	"system",	 "test",	 "uucp",	  "usenet",
	"vmail",	 "webmaster",	 "www",		  "www-data",
};

/* is_lower_alnum - lower-case ASCII letter or digit */
static int is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* is_punct - the punctuation a uid may contain */
static int is_punct(char c)
{
	return c == '.' || c == '_' || c == '-';
}

/* same_ignoring_case - ASCII case-insensitive equality of two strings */
static int same_ignoring_case(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
		char y = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;

		if (x != y)
			return 0;
	}
	return *a == *b;
}

int uidname_is_reserved(const char *name)
{
	size_t i = 0;

	if (name == NULL)
		return 0;
	for (i = 0; i < KCG_N_ELEMENTS(reserved); i++) {
		if (same_ignoring_case(name, reserved[i]))
			return 1;
	}
	return 0;
}

int uidname_normalize(const char *in, char out_r[UIDNAME_MAX + 1],
		      const char **error_r)
{
	char uid[UIDNAME_MAX + 1];
	const char *error = NULL;
	size_t len = 0;
	size_t i = 0;
	int r = KCG_EINVAL;

	if (in == NULL || in[0] == '\0') {
		error = "未輸入帳號 / account name is missing";
		goto out;
	}
	len = strnlen(in, UIDNAME_MAX + 1);
	if (len < UIDNAME_MIN || len > UIDNAME_MAX) {
		error = "帳號長度須為 3 至 32 字元 / "
			"account name must be 3 to 32 characters";
		goto out;
	}
	for (i = 0; i < len; i++) {
		char c = in[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!is_lower_alnum(c) && !is_punct(c)) {
			error = "帳號只能使用英文字母、數字及 . _ - / "
				"account name may only use letters, digits "
				"and . _ -";
			goto out;
		}
		if (i > 0 && is_punct(c) && is_punct(uid[i - 1])) {
			error = "帳號不可連續使用 . _ - / account name may "
				"not have two punctuation marks in a row";
			goto out;
		}
		uid[i] = c;
	}
	uid[len] = '\0';
	if (uid[0] < 'a' || uid[0] > 'z') {
		error = "帳號須以英文字母開頭 / "
			"account name must start with a letter";
		goto out;
	}
	if (!is_lower_alnum(uid[len - 1])) {
		error = "帳號須以英文字母或數字結尾 / "
			"account name must end with a letter or digit";
		goto out;
	}
	if (uidname_is_reserved(uid)) {
		error = "此帳號為系統保留名稱，請改用其他帳號 / "
			"this account name is reserved";
		goto out;
	}

	memcpy(out_r, uid, len + 1);
	r = 0;
out:
	if (r != 0 && error_r != NULL)
		*error_r = error;
	return r;
}
