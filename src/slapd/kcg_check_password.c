/*
 * kcg_check_password - kcgidm's password-quality module for slapd 2.5's
 * ppolicy overlay.
 *
 * The policy entry names this file (objectClass pwdPolicyChecker,
 * pwdCheckModule: /usr/lib/ldap/kcg_check_password.so) and ppolicy calls
 * check_password() for every new cleartext userPassword set by someone who
 * is not a password administrator. The rules themselves live in
 * src/lib/pwquality.c, compiled into this module, so the server and the
 * CLI apply one code path.
 *
 * Contract, read in OpenLDAP 2.5.13 servers/slapd/overlays/ppolicy.c,
 * check_password_quality() (tag OPENLDAP_REL_ENG_2_5_13):
 *   int (*prog)( char *passwd, char **text, Entry *ent,
 *                struct berval *arg );
 *   ...
 *   ok = prog( ptr, txt, e, arg );
 *  - PASSWD is the cleartext (a "{cleartext}" prefix already removed),
 *    NUL-terminated; its length is not passed.
 *  - *TEXT starts as NULL. A non-NULL value becomes the client's diagnostic
 *    message and ppolicy releases it with free(), so it must come from
 *    malloc().
 *  - ENT is the entry whose password changes: the new entry for an add, the
 *    stored entry for a modify or a Password Modify exop.
 *  - ARG is pwdCheckModuleArg, or NULL when the policy has none. This
 *    module takes no argument and ignores it.
 *  - Calls are serialised by ppolicy's chk_syntax_mutex, but the module is
 *    lt_dlopen'ed and closed around every call outside that lock: it keeps
 *    no state, and it must also be named in olcModuleLoad (init_module).
 * Any non-zero return makes ppolicy answer constraintViolation (19) with
 * our text and the insufficientPasswordQuality control value.
 *
 * The uid comes from the entry's uid attribute through the SLAPI accessors
 * (slapi-plugin.h, package slapi-dev). Debian's slapd is linked with
 * libslapi-2.5.so.0, and in slapd's own slapi.h "slapi_entry" is #defined
 * to Entry, so a Slapi_Entry pointer is the Entry pointer ppolicy passes:
 * this file needs no knowledge of the Entry layout. The module is not
 * linked with libslapi (that library needs slapd's own symbols and cannot
 * be loaded anywhere else); slapd already has it loaded, and the module is
 * linked with -z now so that a slapd without it fails to load the module,
 * which ppolicy turns into rejecting every password, rather than crashing
 * on first use.
 *
 * Known limits of the 2.5 contract, seen in a real slapd 2.5.13:
 *  - the password arrives as a C string, so bytes after an embedded NUL
 *    are not seen: "Taipei2025x\0<TAB>..." is accepted and stored whole;
 *  - ppolicy applies the policy's own pwdMinLength before calling us and
 *    then answers its generic "Password fails quality checking policy";
 *    without pwdMinLength our bilingual "too short" text reaches the client.
 *
 * SECURITY
 *	This code runs inside slapd, with slapd's privileges and address
 *	space, on a password chosen by a remote, possibly hostile, client.
 *	It is safe because it only reads: the password is scanned in place,
 *	never copied, logged or stored, and the rules code neither allocates
 *	nor logs. It never exits or aborts; NULL arguments and
 *	arbitrarily long input are handled; the only allocations (the
 *	message and a copy of the non-secret uid) are checked and their
 *	failure rejects the password with LDAP_OTHER, so every error path
 *	fails closed. Only check_password and init_module are exported
 *	(-fvisibility=hidden); init_module only looks up slapd's own libltdl
 *	and marks the module resident.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include <slapi-plugin.h>

#include "pwquality.h"

/* ppolicy's Entry is SLAPI's Slapi_Entry (see above). */
typedef Slapi_Entry Entry;

int check_password(char *pPasswd, char **ppErrStr, Entry *pEntry,
		   struct berval *pArg) __attribute__((visibility("default")));
int init_module(int argc, char *argv[]) __attribute__((visibility("default")));

/*
 * init_module - slapd's entry point when the module is also named in
 * olcModuleLoad, which it must be (ldif/config.ldif.in). ppolicy 2.5
 * lt_dlopen's and lt_dlclose's the module around every check, outside any
 * lock, and libltdl is not thread-safe: with checks running at once slapd
 * 2.5.13 crashed (a general protection fault in libltdl; every time with 8
 * connections setting passwords). Loaded at start and made resident here,
 * the module stays in libltdl's list for good: a check only finds it
 * there, and a lost update of its reference count can no longer unload it
 * under another check. libltdl is slapd's own (looked up at run time, so
 * the module does not link it). Returns 0 (slapd refuses a module whose
 * init fails): a libltdl that is not found leaves the module loaded as
 * slapd loaded it.
 */
static const char self_marker = 0; /* an address inside this module */

int init_module(int argc, char *argv[])
{
	void *(*lt_open)(const char *);
	int (*lt_resident)(void *);
	void *h;
	Dl_info self;

	(void)argc;
	(void)argv;
	*(void **)&lt_open = dlsym(RTLD_DEFAULT, "lt_dlopen");
	*(void **)&lt_resident = dlsym(RTLD_DEFAULT, "lt_dlmakeresident");
	/* our own file: through a static object, since the name init_module
	 * resolves to libc's (the kernel-module system call) */
	if (lt_open == NULL || lt_resident == NULL ||
	    dladdr((void *)&self_marker, &self) == 0 || self.dli_fname == NULL)
		return 0;
	h = lt_open(self.dli_fname); /* slapd's handle, one more reference */
	if (h != NULL)
		(void)lt_resident(h);
	return 0;
}

/* dup_text - malloc'd, NUL-terminated copy of S[0..LEN), or NULL. */
static char *dup_text(const char *s, size_t len)
{
	char *p = NULL;

	if (len == (size_t)-1)
		return NULL;
	p = malloc(len + 1);
	if (p == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* check_uid_value - the uid rule for one uid value BV; -1 on no memory. */
static int check_uid_value(const char *pw, size_t len, const struct berval *bv,
			   enum pwquality_result *result_r)
{
	char *uid = NULL;

	*result_r = PWQ_OK;
	if (bv == NULL || bv->bv_val == NULL || bv->bv_len == 0)
		return 0;
	/* Copied so that only bv_len bytes need be readable. */
	uid = dup_text(bv->bv_val, bv->bv_len);
	if (uid == NULL)
		return -1;
	*result_r = pwquality_check(pw, len, uid);
	free(uid);
	return 0;
}

/* check_entry - every rule for PW, once per uid value of E (may be NULL). */
static int check_entry(const char *pw, size_t len, Slapi_Entry *e,
		       enum pwquality_result *result_r)
{
	char uid_type[] = "uid"; /* the SLAPI prototype takes char * */
	Slapi_Attr *attr = NULL;
	Slapi_Value *v = NULL;
	enum pwquality_result res = PWQ_OK;
	int i;
	int r = 0;

	/* Every rule but the uid one; with no uid, this is the answer. */
	res = pwquality_check(pw, len, NULL);
	if (res != PWQ_OK || e == NULL)
		goto out;
	if (slapi_entry_attr_find(e, uid_type, &attr) != 0 || attr == NULL)
		goto out;
	/* OpenLDAP 2.5: first returns 1, next(a, i, &v) fetches value i. */
	for (i = slapi_attr_first_value(attr, &v); i != -1 && v != NULL;
	     i = slapi_attr_next_value(attr, i, &v)) {
		r = check_uid_value(pw, len, slapi_value_get_berval(v), &res);
		if (r != 0 || res != PWQ_OK)
			goto out;
		v = NULL;
	}
out:
	*result_r = res;
	return r;
}

/*
 * check_password - ppolicy's entry point: LDAP_SUCCESS to accept; otherwise
 * LDAP_CONSTRAINT_VIOLATION with *ppErrStr set to a malloc'd zh-TW + English
 * reason (freed by slapd), or LDAP_OTHER, *ppErrStr NULL, on no memory.
 * A NULL password is rejected as empty; a NULL entry skips only the uid
 * rule; pArg (pwdCheckModuleArg) is ignored.
 */
int check_password(char *pPasswd, char **ppErrStr, Entry *pEntry,
		   struct berval *pArg)
{
	enum pwquality_result res = PWQ_EMPTY;
	const char *text = NULL;
	char *msg = NULL;
	int rc = LDAP_OTHER;

	(void)pArg;
	if (ppErrStr != NULL)
		*ppErrStr = NULL;
	if (pPasswd != NULL &&
	    check_entry(pPasswd, strlen(pPasswd), pEntry, &res) != 0)
		goto out;
	if (res == PWQ_OK) {
		rc = LDAP_SUCCESS;
		goto out;
	}
	rc = LDAP_CONSTRAINT_VIOLATION;
	text = pwquality_message(res);
	if (ppErrStr == NULL || text == NULL)
		goto out;
	msg = dup_text(text, strlen(text));
	if (msg == NULL) {
		rc = LDAP_OTHER;
		goto out;
	}
	*ppErrStr = msg;
out:
	return rc;
}
