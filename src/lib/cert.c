/*
 * cert - citizen certificates with GnuTLS's trust lists (see cert.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "cert.h"
#include "err.h"
#include "kcg.h"
#include "natid.h"
#include "utf8.h"
#include "xalloc.h"

#define OID_CN		  "2.5.4.3"
#define OID_SERIAL_NUMBER "2.5.4.5"
#define MAX_CHAIN	  16
#define MAX_ATTR	  256

struct cert_trust {
	gnutls_x509_trust_list_t tl;
	time_t crl_next_update; /* the earliest nextUpdate of the CRLs */
};

static const char *status_message(unsigned int status);

/* load_crls - the CRLs of FILE, PEM or DER. */
static int load_crls(const char *file, gnutls_x509_crl_t **crls_r,
		     unsigned int *n_r, const char **error_r)
{
	gnutls_datum_t data = {NULL, 0};
	gnutls_x509_crl_t *crls = NULL;
	unsigned int n = 0;
	int r = KCG_EINVAL;

	if (gnutls_load_file(file, &data) < 0) {
		*error_r = err_fmt("%s: 無法讀取 / cannot read", file);
		goto out;
	}
	if (gnutls_x509_crl_list_import2(&crls, &n, &data, GNUTLS_X509_FMT_PEM,
					 0) < 0 &&
	    gnutls_x509_crl_list_import2(&crls, &n, &data, GNUTLS_X509_FMT_DER,
					 0) < 0) {
		*error_r = err_fmt("%s: 不是憑證廢止清冊 / not a CRL (PEM or "
				   "DER)",
				   file);
		goto out;
	}
	if (n == 0) {
		*error_r = err_fmt("%s: 沒有憑證廢止清冊 / holds no CRL", file);
		goto out;
	}
	*crls_r = crls;
	*n_r = n;
	crls = NULL;
	r = 0;
out:
	gnutls_free(crls);
	gnutls_free(data.data);
	return r;
}

int cert_trust_open(const char *ca_file, const char *crl_file,
		    struct cert_trust **trust_r, const char **error_r)
{
	struct cert_trust *t = xcalloc(1, sizeof(*t));
	gnutls_x509_crl_t *crls = NULL;
	unsigned int n = 0, i;
	time_t next;
	int r = KCG_EINVAL, ret;

	if (ca_file == NULL || crl_file == NULL) {
		*error_r =
			"須設定 cert.ca_file 與 cert.crl_file / cert.ca_file "
			"and cert.crl_file are both required";
		goto out;
	}
	if (gnutls_x509_trust_list_init(&t->tl, 0) < 0) {
		t->tl = NULL;
		r = KCG_EINTERNAL;
		*error_r = "gnutls_x509_trust_list_init failed";
		goto out;
	}
	ret = gnutls_x509_trust_list_add_trust_file(t->tl, ca_file, NULL,
						    GNUTLS_X509_FMT_PEM, 0, 0);
	if (ret <= 0) {
		*error_r = err_fmt("%s: 沒有可用的 CA 憑證 / no CA certificate "
				   "(%s)",
				   ca_file,
				   ret < 0 ? gnutls_strerror(ret) : "empty");
		goto out;
	}
	r = load_crls(crl_file, &crls, &n, error_r);
	if (r < 0)
		goto out;
	t->crl_next_update = (time_t)-1;
	for (i = 0; i < n; i++) {
		next = gnutls_x509_crl_get_next_update(crls[i]);
		if (next != (time_t)-1 && (t->crl_next_update == (time_t)-1 ||
					   next < t->crl_next_update))
			t->crl_next_update = next;
	}
	if (t->crl_next_update != (time_t)-1 &&
	    time(NULL) > t->crl_next_update) {
		/* GnuTLS would drop it as superseded: say why */
		for (i = 0; i < n; i++)
			gnutls_x509_crl_deinit(crls[i]);
		*error_r = err_fmt(
			"%s: %s", crl_file,
			status_message(GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED));
		r = KCG_EINVAL;
		goto out;
	}
	/* The trust list owns the CRLs from here on: it keeps those that
	 * verify against the CAs and (with NO_DUPLICATES) frees the rest. */
	ret = gnutls_x509_trust_list_add_crls(
		t->tl, crls, n, GNUTLS_TL_VERIFY_CRL | GNUTLS_TL_NO_DUPLICATES,
		0);
	if (ret < 0 || (unsigned int)ret != n) {
		*error_r = err_fmt("%s: 憑證廢止清冊非由設定的 CA 簽發 / a CRL "
				   "is not signed by a CA of cert.ca_file",
				   crl_file);
		r = KCG_EINVAL;
		goto out;
	}
	*trust_r = t;
	t = NULL;
	r = 0;
out:
	gnutls_free(crls);
	cert_trust_free(&t);
	return r;
}

void cert_trust_free(struct cert_trust **trustp)
{
	struct cert_trust *t = *trustp;

	if (t == NULL)
		return;
	if (t->tl != NULL)
		gnutls_x509_trust_list_deinit(t->tl, 1);
	free(t);
	*trustp = NULL;
}

/* status_message - why GnuTLS refused a chain, most telling reason first. */
static const char *status_message(unsigned int status)
{
	if (status & GNUTLS_CERT_REVOKED)
		return "憑證已廢止 / the certificate has been revoked";
	if (status & GNUTLS_CERT_EXPIRED)
		return "憑證已過期 / the certificate has expired";
	if (status & GNUTLS_CERT_NOT_ACTIVATED)
		return "憑證尚未生效 / the certificate is not valid yet";
	if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA))
		return "憑證非由信任的憑證機構簽發 / the certificate is not "
		       "issued by a trusted CA";
	if (status & GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED)
		return "憑證廢止清冊已過期 / the revocation list is out of "
		       "date";
	return "憑證驗證失敗 / the certificate does not verify";
}

/* subject_attr - the only value of OID in CRT's subject, in new memory. */
static int subject_attr(gnutls_x509_crt_t crt, const char *oid, char **value_r)
{
	char buf[MAX_ATTR];
	size_t sz = sizeof(buf);

	if (gnutls_x509_crt_get_dn_by_oid(crt, oid, 0, 0, buf, &sz) < 0 ||
	    sz >= sizeof(buf) || !utf8_valid(buf, sz))
		return KCG_EINVAL;
	buf[sz] = '\0';
	*value_r = xstrdup(buf);
	sz = sizeof(buf);
	/* two CNs or two serialNumbers: which one is the holder? */
	if (gnutls_x509_crt_get_dn_by_oid(crt, oid, 1, 0, buf, &sz) !=
	    GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
		free(*value_r);
		*value_r = NULL;
		return KCG_EINVAL;
	}
	return 0;
}

/* datum_string - D as a NUL-terminated string in new memory; frees D. */
static char *datum_string(gnutls_datum_t *d)
{
	char *s = xmalloc(d->size + 1);

	memcpy(s, d->data, d->size);
	s[d->size] = '\0';
	gnutls_free(d->data);
	d->data = NULL;
	return s;
}

/* holder_of - what the verified leaf CRT says about its holder. */
static int holder_of(gnutls_x509_crt_t crt, struct cert_holder **holder_r,
		     const char **error_r)
{
	struct cert_holder *h = xcalloc(1, sizeof(*h));
	gnutls_datum_t d = {NULL, 0};
	unsigned char serial[64];
	size_t sz = sizeof(serial), i, len;
	char *sn = NULL;
	int r = KCG_EINVAL;

	if (subject_attr(crt, OID_CN, &h->name) < 0 || h->name[0] == '\0') {
		*error_r = "憑證主體沒有唯一的姓名 (CN) / the certificate "
			   "subject has no single commonName";
		goto out;
	}
	if (subject_attr(crt, OID_SERIAL_NUMBER, &sn) < 0 ||
	    (len = strlen(sn)) < CERT_ID_TAIL_LEN ||
	    strspn(sn + len - CERT_ID_TAIL_LEN, "0123456789") !=
		    CERT_ID_TAIL_LEN) {
		*error_r = "憑證主體沒有身分證字號末四碼 (serialNumber) / the "
			   "certificate subject has no serialNumber ending "
			   "in the ID's last four digits";
		goto out;
	}
	memcpy(h->id_tail, sn + len - CERT_ID_TAIL_LEN, CERT_ID_TAIL_LEN);
	h->id_tail[CERT_ID_TAIL_LEN] = '\0';
	if (gnutls_x509_crt_get_dn3(crt, &d, 0) < 0 ||
	    (h->subject = datum_string(&d)) == NULL ||
	    gnutls_x509_crt_get_issuer_dn3(crt, &d, 0) < 0 ||
	    (h->issuer = datum_string(&d)) == NULL ||
	    gnutls_x509_crt_get_serial(crt, serial, &sz) < 0) {
		*error_r = "無法讀取憑證 / cannot read the certificate";
		goto out;
	}
	h->serial = xmalloc(2 * sz + 1);
	for (i = 0; i < sz; i++)
		snprintf(h->serial + 2 * i, 3, "%02x", serial[i]);
	h->serial[2 * sz] = '\0';
	h->not_after = gnutls_x509_crt_get_expiration_time(crt);
	*holder_r = h;
	h = NULL;
	r = 0;
out:
	gnutls_free(d.data);
	free(sn);
	cert_holder_free(&h);
	return r;
}

/* check_chain - verify CRTS[0..N) and read the holder of CRTS[0]. */
static int check_chain(const struct cert_trust *trust, gnutls_x509_crt_t *crts,
		       unsigned int n, struct cert_holder **holder_r,
		       const char **error_r)
{
	unsigned int status = 0;
	time_t now = time(NULL);

	if (gnutls_x509_trust_list_verify_crt2(trust->tl, crts, n, NULL, 0, 0,
					       &status, NULL) < 0) {
		*error_r = "憑證驗證失敗 / the certificate does not verify";
		return KCG_EINVAL;
	}
	if (status != 0) {
		*error_r = status_message(status);
		return KCG_EINVAL;
	}
	/* GnuTLS uses whatever CRL it has; an out-of-date one fails closed */
	if (trust->crl_next_update != (time_t)-1 &&
	    now > trust->crl_next_update) {
		*error_r =
			status_message(GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED);
		return KCG_EINVAL;
	}
	return holder_of(crts[0], holder_r, error_r);
}

int cert_check_der(const struct cert_trust *trust,
		   const unsigned char *const *der, const size_t *len, size_t n,
		   struct cert_holder **holder_r, const char **error_r)
{
	gnutls_x509_crt_t crts[MAX_CHAIN];
	gnutls_datum_t d;
	unsigned int got = 0, i;
	int r = KCG_EINVAL;

	if (n == 0 || n > MAX_CHAIN) {
		*error_r = n == 0 ? "沒有憑證 / no certificate was presented"
				  : "憑證鏈太長 / the chain is too long";
		goto out;
	}
	for (got = 0; got < n; got++) {
		if (gnutls_x509_crt_init(&crts[got]) < 0) {
			r = KCG_EINTERNAL;
			*error_r = "gnutls_x509_crt_init failed";
			goto out;
		}
		d.data = (unsigned char *)der[got];
		d.size = (unsigned int)len[got];
		if (gnutls_x509_crt_import(crts[got], &d, GNUTLS_X509_FMT_DER) <
		    0) {
			got++;
			*error_r = "不是 X.509 憑證 / not an X.509 certificate";
			goto out;
		}
	}
	r = check_chain(trust, crts, got, holder_r, error_r);
out:
	for (i = 0; i < got; i++)
		gnutls_x509_crt_deinit(crts[i]);
	return r;
}

int cert_check_pem(const struct cert_trust *trust, const char *pem, size_t len,
		   struct cert_holder **holder_r, const char **error_r)
{
	gnutls_x509_crt_t *crts = NULL;
	gnutls_datum_t d;
	unsigned int n = 0, i;
	int r = KCG_EINVAL;

	d.data = (unsigned char *)pem;
	d.size = (unsigned int)len;
	if (len == 0 || len > 1024 * 1024 ||
	    gnutls_x509_crt_list_import2(&crts, &n, &d, GNUTLS_X509_FMT_PEM,
					 0) < 0 ||
	    n == 0) {
		*error_r = "不是 PEM 格式的 X.509 憑證 / not a PEM X.509 "
			   "certificate";
		goto out;
	}
	if (n > MAX_CHAIN) {
		*error_r = "憑證鏈太長 / the chain is too long";
		goto out;
	}
	r = check_chain(trust, crts, n, holder_r, error_r);
out:
	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
	return r;
}

int cert_holder_id_matches(const struct cert_holder *h, const char *natid)
{
	const char *tail;
	unsigned char diff = 0;
	size_t i;

	if (natid == NULL || strlen(natid) != NATID_LEN)
		return 0;
	tail = natid + NATID_LEN - CERT_ID_TAIL_LEN;
	for (i = 0; i < CERT_ID_TAIL_LEN; i++)
		diff |= (unsigned char)(tail[i] ^ h->id_tail[i]);
	return diff == 0;
}

void cert_holder_free(struct cert_holder **hp)
{
	struct cert_holder *h = *hp;

	if (h == NULL)
		return;
	free(h->name);
	free(h->subject);
	free(h->issuer);
	free(h->serial);
	explicit_bzero(h, sizeof(*h));
	free(h);
	*hp = NULL;
}
