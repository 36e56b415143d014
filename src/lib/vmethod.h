/*
 * vmethod - the seed's verification methods for 申請帳號, behind one
 * interface: 個人資料驗證 (name + national ID against the roster),
 * 自然人憑證驗證 (a citizen certificate plus the national ID) and
 * 行動自然人憑證 (the national mobile certificate service).
 *
 * Each method ends where 個人資料驗證 ends: with the applicant's active
 * roster record (account_verify), so everything after it (人員資訊, the
 * notices, the uid, the password) is shared. The method's id is what the
 * account records in kcgVerificationMethod and its label is the receipt's
 * 驗證方式.
 *
 * The mobile method is declared but disabled: it needs the national
 * service (TW FidO), which cannot be reached or tested offline. Its
 * interface is what it would need: the national ID the applicant types,
 * and the transaction id of the service's push to their phone, whose
 * server-side result must name the same ID (docs/citizen-certificate.md).
 */
#ifndef KCG_VMETHOD_H
#define KCG_VMETHOD_H

#include <stddef.h>

struct account_hr;
struct cert_trust;
struct dir;
struct idhash;

#define VMETHOD_PERSONAL_DATA "personal-data"
#define VMETHOD_CITIZEN_CERT  "citizen-certificate"
#define VMETHOD_MOBILE_CERT   "mobile-citizen-certificate"

/* What the methods need; each uses its own part. Nothing is kept. */
struct vmethod_input {
	const char *national_id; /* as typed; every method */
	const char *name;	 /* personal-data: as typed */
	/* citizen-certificate: the presented chain, leaf first, either as
	 * PEM text or as DER certificates from the TLS session */
	const char *cert_pem;
	size_t cert_pem_len;
	const unsigned char *const *cert_der;
	const size_t *cert_der_len;
	size_t cert_n;
	/* mobile-citizen-certificate: the service's transaction id */
	const char *mobile_txn;
};

/* Where the methods look. */
struct vmethod_ctx {
	struct dir *dir;
	const struct idhash *ih;
	const struct cert_trust *trust; /* NULL: no citizen certificates */
};

struct vmethod {
	const char *id;	   /* VMETHOD_*, stored on the account */
	const char *label; /* 驗證方式 */
	/* available - usable with CTX's configuration */
	int (*available)(const struct vmethod_ctx *ctx);
	/* verify - as vmethod_verify */
	int (*verify)(const struct vmethod_ctx *ctx,
		      const struct vmethod_input *in, struct account_hr **hr_r,
		      const char **error_r);
};

/* vmethod_find - the method ID (VMETHOD_*), or NULL. Static. */
const struct vmethod *vmethod_find(const char *id);

/*
 * vmethod_label - the receipt's 驗證方式 for the stored method ID
 * (個人資料驗證, 自然人憑證驗證, 行動自然人憑證驗證); ID itself when unknown,
 * "" for NULL. Static or ID.
 */
const char *vmethod_label(const char *id);

/* vmethod_available - M can be used with CTX's configuration: 1 or 0. */
int vmethod_available(const struct vmethod *m, const struct vmethod_ctx *ctx);

/*
 * vmethod_verify - run method M on IN. Returns 0 with the applicant's HR
 * record in *hr_r (free with account_hr_free; hr->name is the roster's,
 * which account_apply takes as the name); KCG_EPOLICY when M is not
 * available here; KCG_EINVAL for bad input or, for a certificate, one that
 * does not verify or whose last four ID digits differ from the typed ID;
 * KCG_ENOTFOUND / KCG_ECONFLICT as account_verify (the certificate's name
 * is matched against the roster exactly as a typed name would be).
 */
int vmethod_verify(const struct vmethod *m, const struct vmethod_ctx *ctx,
		   const struct vmethod_input *in, struct account_hr **hr_r,
		   const char **error_r);

#endif
