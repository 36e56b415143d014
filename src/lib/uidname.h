/*
 * uidname - the syntax of account names (uid, also the mail local part).
 *
 * A uid is 3 to 32 characters of lower-case ASCII letters, digits, '.',
 * '_' and '-'; it starts with a letter, ends with a letter or digit, and
 * has no two punctuation characters in a row. Input in upper case is
 * folded to lower case, because mail local parts and LDAP's uid are
 * compared case-insensitively. Role and system names (postmaster, abuse,
 * root, admin, ...) are reserved.
 */
#ifndef KCG_UIDNAME_H
#define KCG_UIDNAME_H

#define UIDNAME_MAX 32

/*
 * uidname_normalize - validate IN and write its lower-case form to
 * out_r (UIDNAME_MAX + 1 bytes). Returns 0, or KCG_EINVAL with a static
 * zh-TW / English reason in *error_r (syntax, or reserved name).
 */
int uidname_normalize(const char *in, char out_r[UIDNAME_MAX + 1],
		      const char **error_r);

/* uidname_is_reserved - true when the lower-case NAME is reserved. */
int uidname_is_reserved(const char *name);

#endif
