/*
 * vmethod - the verification methods (see vmethod.h).
 */
#include <string.h>

#include "account.h"
#include "cert.h"
#include "err.h"
#include "kcg.h"
#include "natid.h"
#include "vmethod.h"

#define MSG_ID_NOT_CERT                                                        \
	"身分證字號與憑證不符 / the national ID does not match the " \
	"certificate"

/* always - personal data needs nothing but the roster. */
static int always(const struct vmethod_ctx *ctx)
{
	(void)ctx;
	return 1;
}

/* never - the mobile method has no national service to talk to. */
static int never(const struct vmethod_ctx *ctx)
{
	(void)ctx;
	return 0;
}

/* has_trust - citizen certificates need cert.ca_file and cert.crl_file. */
static int has_trust(const struct vmethod_ctx *ctx)
{
	return ctx->trust != NULL;
}

/* personal_data - 個人資料驗證: name and national ID. */
static int personal_data(const struct vmethod_ctx *ctx,
			 const struct vmethod_input *in,
			 struct account_hr **hr_r, const char **error_r)
{
	return account_verify(ctx->dir, ctx->ih, in->name, in->national_id,
			      hr_r, error_r);
}

/*
 * citizen_cert - 自然人憑證驗證: the chain verifies, the typed ID ends in
 * the certificate's four digits, and the roster has an active record for
 * that ID under the certificate's name.
 */
static int citizen_cert(const struct vmethod_ctx *ctx,
			const struct vmethod_input *in,
			struct account_hr **hr_r, const char **error_r)
{
	struct cert_holder *h = NULL;
	char id[NATID_LEN + 1];
	int r;

	r = natid_normalize(in->national_id, id, NULL, error_r);
	if (r < 0)
		return r;
	if (in->cert_pem != NULL)
		r = cert_check_pem(ctx->trust, in->cert_pem, in->cert_pem_len,
				   &h, error_r);
	else
		r = cert_check_der(ctx->trust, in->cert_der, in->cert_der_len,
				   in->cert_n, &h, error_r);
	if (r < 0)
		goto out;
	if (!cert_holder_id_matches(h, id)) {
		*error_r = MSG_ID_NOT_CERT;
		r = KCG_EINVAL;
		goto out;
	}
	r = account_verify(ctx->dir, ctx->ih, h->name, id, hr_r, error_r);
out:
	explicit_bzero(id, sizeof(id));
	cert_holder_free(&h);
	return r;
}

/* mobile_cert - 行動自然人憑證: disabled (see vmethod.h). */
static int mobile_cert(const struct vmethod_ctx *ctx,
		       const struct vmethod_input *in, struct account_hr **hr_r,
		       const char **error_r)
{
	(void)ctx;
	(void)in;
	(void)hr_r;
	*error_r = "本伺服器未啟用行動自然人憑證驗證 / mobile citizen "
		   "certificate verification is not enabled here";
	return KCG_EPOLICY;
}

static const struct vmethod methods[] = {
	{VMETHOD_PERSONAL_DATA, "個人資料驗證", always, personal_data},
	{VMETHOD_CITIZEN_CERT, "自然人憑證驗證", has_trust, citizen_cert},
	{VMETHOD_MOBILE_CERT, "行動自然人憑證驗證", never, mobile_cert},
};

const struct vmethod *vmethod_find(const char *id)
{
	size_t i;

	for (i = 0; id != NULL && i < KCG_N_ELEMENTS(methods); i++)
		if (strcmp(methods[i].id, id) == 0)
			return &methods[i];
	return NULL;
}

const char *vmethod_label(const char *id)
{
	const struct vmethod *m = vmethod_find(id);

	if (m != NULL)
		return m->label;
	return id != NULL ? id : "";
}

int vmethod_available(const struct vmethod *m, const struct vmethod_ctx *ctx)
{
	return m->available(ctx);
}

int vmethod_verify(const struct vmethod *m, const struct vmethod_ctx *ctx,
		   const struct vmethod_input *in, struct account_hr **hr_r,
		   const char **error_r)
{
	if (!m->available(ctx)) {
		*error_r = err_fmt("本伺服器未啟用%s / this verification "
				   "method (%s) is not enabled here",
				   m->label, m->id);
		return KCG_EPOLICY;
	}
	return m->verify(ctx, in, hr_r, error_r);
}
