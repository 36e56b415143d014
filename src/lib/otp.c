/*
 * otp - 動態密碼 tokens for slapd's otp overlay (see otp.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "account.h"
#include "audit.h"
#include "dir.h"
#include "err.h"
#include "kcg.h"
#include "log.h"
#include "otp.h"
#include "uidname.h"
#include "xalloc.h"

/* The overlay's objectClass that makes slapd check codes on bind. */
#define OTP_USER_CLASS "oathTOTPUser"

/* RFC 8018 OIDs of the HMACs slapo-otp knows, as otpauth:// names them. */
static const struct {
	const char *oid;
	const char *name;
} algorithms[] = {
	{"1.2.840.113549.2.7", "SHA1"},
	{"1.2.840.113549.2.9", "SHA256"},
	{"1.2.840.113549.2.11", "SHA512"},
};

char *otp_base32(const unsigned char *data, size_t len)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	char *out = xmalloc((len * 8 + 4) / 5 + 1);
	unsigned int buf = 0;
	size_t i, n = 0;
	int bits = 0;

	for (i = 0; i < len; i++) {
		buf = (buf << 8) | data[i];
		bits += 8;
		while (bits >= 5) {
			out[n++] = alphabet[(buf >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[n++] = alphabet[(buf << (5 - bits)) & 31];
	out[n] = '\0';
	explicit_bzero(&buf, sizeof(buf)); /* bits of the secret */
	return out;
}

/* pct_encode - S with everything but RFC 3986 unreserved bytes as %XX. */
static char *pct_encode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = xmalloc(strlen(s) * 3 + 1), *p = out;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c) != NULL) {
			*p++ = (char)c;
		} else {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	*p = '\0';
	return out;
}

char *otp_uri(const char *issuer, const char *uid, const char *secret_b32,
	      const char *algorithm, int digits, int period)
{
	char *is = pct_encode(issuer), *u = pct_encode(uid), *uri;

	uri = xasprintf("otpauth://totp/%s:%s?secret=%s&issuer=%s"
			"&algorithm=%s&digits=%d&period=%d",
			is, u, secret_b32, is, algorithm, digits, period);
	free(is);
	free(u);
	return uri;
}

/* params_dn / container_dn - where otp.ldif puts them (caller frees). */
static char *params_dn(const struct dir *dir)
{
	return xasprintf("cn=totp,ou=policies,%s", dir_suffix(dir));
}

static char *token_dn(const struct dir *dir, const char *norm_uid)
{
	char *parent = xasprintf("ou=otp,%s", dir_suffix(dir));
	char *dn = dir_dn("uid", norm_uid, parent);

	free(parent);
	return dn;
}

/* parse_int - V as an int in [MIN, MAX]; 0 or KCG_EINVAL. */
static int parse_int(const char *v, int min, int max, int *out_r)
{
	char *end = NULL;
	long n;

	if (v == NULL)
		return KCG_EINVAL;
	n = strtol(v, &end, 10);
	if (end == v || *end != '\0' || n < min || n > max)
		return KCG_EINVAL;
	*out_r = (int)n;
	return 0;
}

/* read_params - the URI's algorithm name, digits and period from
 * cn=totp,ou=policies (the values slapd will check codes with). */
static int read_params(struct dir *dir, const char **alg_r, int *digits_r,
		       int *period_r, const char **error_r)
{
	static const char *const attrs[] = {"oathOTPLength",
					    "oathHMACAlgorithm",
					    "oathTOTPTimeStepPeriod", NULL};
	struct dir_entry *e = NULL;
	char *dn = params_dn(dir);
	const char *oid;
	size_t i;
	int r;

	r = dir_read(dir, dn, attrs, &e, error_r);
	if (r == KCG_ENOTFOUND) {
		*error_r = err_fmt("%s 不存在：請載入 ldif/otp.ldif / %s is "
				   "missing: load ldif/otp.ldif",
				   dn, dn);
		goto out;
	}
	if (r < 0)
		goto out;
	oid = dir_entry_value(e, "oathHMACAlgorithm");
	*alg_r = NULL;
	for (i = 0; oid != NULL && i < KCG_N_ELEMENTS(algorithms); i++)
		if (strcmp(oid, algorithms[i].oid) == 0)
			*alg_r = algorithms[i].name;
	if (*alg_r == NULL ||
	    parse_int(dir_entry_value(e, "oathOTPLength"), 6, 8, digits_r) <
		    0 ||
	    parse_int(dir_entry_value(e, "oathTOTPTimeStepPeriod"), 1, 3600,
		      period_r) < 0) {
		*error_r = err_fmt("%s: 參數不支援 / unsupported parameters "
				   "(want 6-8 digits, SHA1/256/512, a period)",
				   dn);
		r = KCG_EINVAL;
	}
out:
	dir_entry_free(&e);
	free(dn);
	return r;
}

/*
 * new_secret - OTP_SECRET_BYTES random bytes in OUT, NUL-terminated. The
 * directory layer passes values as C strings, so a secret containing a
 * zero byte is drawn again: that keeps 20 * log2(255) = 159.9 of the 160
 * bits, and every byte of what slapd stores is random.
 */
static int new_secret(char out[OTP_SECRET_BYTES + 1], const char **error_r)
{
	int tries;

	for (tries = 0; tries < 64; tries++) {
		if (gnutls_rnd(GNUTLS_RND_KEY, out, OTP_SECRET_BYTES) < 0) {
			*error_r = "gnutls_rnd failed";
			return KCG_EINTERNAL;
		}
		out[OTP_SECRET_BYTES] = '\0';
		if (strlen(out) == OTP_SECRET_BYTES)
			return 0;
	}
	*error_r = "gnutls_rnd: no secret without a zero byte in 64 draws";
	return KCG_EINTERNAL;
}

/* has_class - E has objectClass CLASS (case-insensitive). */
static int has_class(const struct dir_entry *e, const char *class)
{
	const char *name;
	char *const *vals;
	size_t i, j, n;

	for (i = 0; dir_entry_attr(e, i, &name, &vals, &n) == 0; i++) {
		if (strcasecmp(name, "objectClass") != 0)
			continue;
		for (j = 0; j < n; j++)
			if (strcasecmp(vals[j], class) == 0)
				return 1;
	}
	return 0;
}

static const char *const account_attrs[] = {"objectClass", "oathTOTPToken",
					    NULL};

/* add_token - the token entry DN for NORM with SECRET; an old token of the
 * same name (an account deleted before kcgidm removed tokens, or an
 * interrupted enrolment) is replaced. */
static int add_token(struct dir *dir, const char *dn, const char *norm,
		     const char *secret, const char **error_r)
{
	struct dir_mods *mods = dir_mods_new();
	char *pdn = params_dn(dir);
	int r;

	dir_mods_add(mods, DIR_MOD_ADD, "objectClass", "account");
	dir_mods_add(mods, DIR_MOD_ADD, "objectClass", "oathTOTPToken");
	dir_mods_add(mods, DIR_MOD_ADD, "uid", norm);
	dir_mods_add(mods, DIR_MOD_ADD, "oathTOTPParams", pdn);
	dir_mods_add_secret(mods, DIR_MOD_ADD, "oathSecret", secret);
	r = dir_add(dir, dn, mods, error_r);
	if (r == KCG_ECONFLICT) {
		r = dir_delete(dir, dn, error_r);
		if (r == 0)
			r = dir_add(dir, dn, mods, error_r);
	}
	dir_mods_free(&mods);
	free(pdn);
	return r;
}

/* enroll - see otp_enroll (not audited). */
static int enroll(struct dir *dir, const char *issuer, const char *uid,
		  char norm[UIDNAME_MAX + 1], char **uri_r, char **secret_r,
		  const char **error_r)
{
	char secret[OTP_SECRET_BYTES + 1];
	struct dir_entry *e = NULL;
	struct dir_mods *mods = NULL;
	char *tdn = NULL, *b32 = NULL;
	const char *alg = NULL, *ignored = NULL;
	int r, digits = 0, period = 0;

	r = account_read(dir, uid, account_attrs, norm, &e, error_r);
	if (r < 0)
		goto out;
	if (dir_entry_value(e, "oathTOTPToken") != NULL ||
	    has_class(e, OTP_USER_CLASS)) {
		*error_r = err_fmt("帳號 %s 已有動態密碼，請先 otp disable / "
				   "%s is enrolled already: otp disable first",
				   norm, norm);
		r = KCG_ECONFLICT;
		goto out;
	}
	r = read_params(dir, &alg, &digits, &period, error_r);
	if (r < 0)
		goto out;
	r = new_secret(secret, error_r);
	if (r < 0)
		goto out;
	tdn = token_dn(dir, norm);
	r = add_token(dir, tdn, norm, secret, error_r);
	if (r < 0)
		goto out;
	mods = dir_mods_new();
	dir_mods_add(mods, DIR_MOD_ADD, "objectClass", OTP_USER_CLASS);
	dir_mods_add(mods, DIR_MOD_ADD, "oathTOTPToken", tdn);
	r = dir_modify(dir, dir_entry_dn(e), mods, error_r);
	if (r < 0) {
		(void)dir_delete(dir, tdn, &ignored);
		goto out;
	}
	b32 = otp_base32((const unsigned char *)secret, OTP_SECRET_BYTES);
	*uri_r = otp_uri(issuer, norm, b32, alg, digits, period);
	*secret_r = b32;
	b32 = NULL;
out:
	explicit_bzero(secret, sizeof(secret));
	xfree_secret(&b32);
	dir_mods_free(&mods);
	dir_entry_free(&e);
	free(tdn);
	return r;
}

int otp_enroll(struct dir *dir, const char *issuer, const char *uid,
	       char **uri_r, char **secret_r, const char **error_r)
{
	char norm[UIDNAME_MAX + 1] = "";
	int r = enroll(dir, issuer, uid, norm, uri_r, secret_r, error_r);

	audit_result("otp-enroll", norm[0] != '\0' ? norm : uid, r,
		     r < 0 ? *error_r : NULL, NULL);
	return r;
}

/* disable - see otp_disable (not audited). */
static int disable(struct dir *dir, const char *uid, char norm[UIDNAME_MAX + 1],
		   const char **error_r)
{
	struct dir_entry *e = NULL;
	struct dir_mods *mods = NULL;
	const char *tdn, *ignored = NULL;
	int r, r2;

	r = account_read(dir, uid, account_attrs, norm, &e, error_r);
	if (r < 0)
		goto out;
	tdn = dir_entry_value(e, "oathTOTPToken");
	if (tdn == NULL && !has_class(e, OTP_USER_CLASS)) {
		*error_r = err_fmt("帳號 %s 沒有動態密碼 / %s has no OTP "
				   "token",
				   norm, norm);
		r = KCG_ENOTFOUND;
		goto out;
	}
	/* The account first: from here on plain binds work, whatever
	 * happens to the token. */
	mods = dir_mods_new();
	if (has_class(e, OTP_USER_CLASS))
		dir_mods_add(mods, DIR_MOD_DELETE, "objectClass",
			     OTP_USER_CLASS);
	if (tdn != NULL)
		dir_mods_add(mods, DIR_MOD_DELETE, "oathTOTPToken", NULL);
	r = dir_modify(dir, dir_entry_dn(e), mods, error_r);
	if (r < 0)
		goto out;
	/* An unreferenced token checks nothing; one left behind by a
	 * failure here is replaced by the next enrolment. */
	if (tdn != NULL && (r2 = dir_delete(dir, tdn, &ignored)) < 0 &&
	    r2 != KCG_ENOTFOUND)
		log_warning("%s: token %s left behind: %s", norm, tdn, ignored);
out:
	dir_mods_free(&mods);
	dir_entry_free(&e);
	return r;
}

int otp_disable(struct dir *dir, const char *uid, const char **error_r)
{
	char norm[UIDNAME_MAX + 1] = "";
	int r = disable(dir, uid, norm, error_r);

	audit_result("otp-disable", norm[0] != '\0' ? norm : uid, r,
		     r < 0 ? *error_r : NULL, NULL);
	return r;
}

int otp_status(struct dir *dir, const char *uid, int *enrolled_r,
	       char since_r[16], long long *last_used_r, const char **error_r)
{
	static const char *const token_attrs[] = {"oathTOTPLastTimeStep",
						  "oathTOTPParams",
						  "createTimestamp", NULL};
	static const char *const period_attrs[] = {"oathTOTPTimeStepPeriod",
						   NULL};
	char norm[UIDNAME_MAX + 1];
	struct dir_entry *e = NULL, *t = NULL, *p = NULL;
	const char *tdn, *v, *ignored = NULL;
	long long step;
	int r, period = 0;

	r = account_read(dir, uid, account_attrs, norm, &e, error_r);
	if (r < 0)
		goto out;
	*enrolled_r = 0;
	since_r[0] = '\0';
	*last_used_r = -1;
	tdn = dir_entry_value(e, "oathTOTPToken");
	if (tdn == NULL || !has_class(e, OTP_USER_CLASS))
		goto out;
	*enrolled_r = 1;
	r = dir_read(dir, tdn, token_attrs, &t, error_r);
	if (r == KCG_ENOTFOUND) { /* binds fail until disable + enroll */
		*error_r = err_fmt("帳號 %s 的動態密碼設定不存在 / %s's token "
				   "%s is missing: otp disable, then enroll",
				   norm, norm, tdn);
		r = KCG_EINTERNAL;
	}
	if (r < 0)
		goto out;
	if ((v = dir_entry_value(t, "createTimestamp")) != NULL)
		snprintf(since_r, 16, "%.15s", v);
	v = dir_entry_value(t, "oathTOTPLastTimeStep");
	if (v != NULL && dir_entry_value(t, "oathTOTPParams") != NULL &&
	    dir_read(dir, dir_entry_value(t, "oathTOTPParams"), period_attrs,
		     &p, &ignored) == 0 &&
	    parse_int(dir_entry_value(p, "oathTOTPTimeStepPeriod"), 1, 3600,
		      &period) == 0 &&
	    (step = strtoll(v, NULL, 10)) > 0)
		*last_used_r = step * period;
out:
	dir_entry_free(&p);
	dir_entry_free(&t);
	dir_entry_free(&e);
	return r;
}

int otp_forget(struct dir *dir, const char *uid, const char **error_r)
{
	char *dn = token_dn(dir, uid);
	int r = dir_delete(dir, dn, error_r);

	if (r == KCG_ENOTFOUND)
		r = 0;
	free(dn);
	return r;
}
