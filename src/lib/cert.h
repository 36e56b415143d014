/*
 * cert - citizen certificates (自然人憑證): X.509 client certificates
 * checked with GnuTLS against a configured CA bundle and CRL.
 *
 * A cert_trust holds the trust anchors (cert.ca_file: the GRCA root and
 * the MOICA intermediates in production) and the revocation lists
 * (cert.crl_file, each CRL signed by one of those CAs). cert_check_der()
 * verifies a presented chain (leaf first) against them, now (the system clock):
 * signature chain, validity period, revocation, and the staleness of the
 * CRLs themselves (a CRL past its nextUpdate fails closed); with
 * cert_trust_set_ocsp() also the leaf's status at an OCSP responder
 * (fail closed: no good answer, no pass). What passes
 * is reduced to the two subject attributes the roster match uses (see
 * docs/citizen-certificate.md):
 *   - commonName (2.5.4.3): the holder's name in Chinese, NFC UTF-8;
 *   - serialNumber (2.5.4.5): ends in the last four digits of the
 *     holder's national ID. The full ID is not in a MOICA certificate.
 * Nothing here touches the directory and nothing logs.
 */
#ifndef KCG_CERT_H
#define KCG_CERT_H

#include <stddef.h>
#include <time.h>

#define CERT_ID_TAIL_LEN 4

struct cert_trust;

/* What a verified certificate says about its holder. */
struct cert_holder {
	char *name;			    /* subject CN, UTF-8 */
	char id_tail[CERT_ID_TAIL_LEN + 1]; /* last 4 of the national ID */
	char *subject;			    /* RFC 4514 subject DN */
	char *issuer;			    /* RFC 4514 issuer DN */
	char *serial;			    /* certificate serial, hex */
	time_t not_after;
};

/*
 * cert_trust_open - load the CAs in CA_FILE (PEM, at least one) and the
 * CRLs in CRL_FILE (PEM or DER, at least one, each signed by a CA of
 * CA_FILE). Revocation checking is not optional: both files are required.
 * Returns 0 with a new object in *trust_r (free with cert_trust_free);
 * KCG_EINVAL with "FILE: reason" when a file is unreadable or empty, or a
 * CRL is not signed by a configured CA.
 */
int cert_trust_open(const char *ca_file, const char *crl_file,
		    struct cert_trust **trust_r, const char **error_r);

/*
 * cert_trust_set_ocsp - also ask the OCSP responder at URL (http://host[:port]
 * [/path]; NULL or "" turns OCSP off) about every leaf that passes the
 * chain and CRL checks, waiting at most TIMEOUT seconds (1..60) per
 * request. The answer must be signed by the leaf's issuer (or a responder
 * it delegated to), carry our nonce, be current and say "good"; anything
 * else, the responder unreachable included, refuses the certificate.
 * URL is copied. Returns 0; KCG_EINVAL with a reason when URL or TIMEOUT
 * is unusable.
 */
int cert_trust_set_ocsp(struct cert_trust *trust, const char *url, int timeout,
			const char **error_r);

/* cert_trust_free - free *trustp and set it to NULL. */
void cert_trust_free(struct cert_trust **trustp);

/*
 * cert_check_pem - cert_check_der on the PEM certificates in PEM (LEN bytes,
 * leaf first, any intermediates after it). Returns as cert_check_der, and
 * KCG_EINVAL when PEM holds no certificate.
 */
int cert_check_pem(const struct cert_trust *trust, const char *pem, size_t len,
		   struct cert_holder **holder_r, const char **error_r);

/*
 * cert_check_der - verify the chain of N DER certificates DER[i] (LEN[i]
 * bytes each; leaf first, as a TLS peer sends them) now. Returns
 * 0 with the holder in *holder_r (free with cert_holder_free); KCG_EINVAL
 * with a zh-TW / English reason when the chain does not verify (unknown
 * CA, bad signature, expired or not yet valid, revoked, a stale CRL) or
 * the subject lacks a usable CN or serialNumber.
 */
int cert_check_der(const struct cert_trust *trust,
		   const unsigned char *const *der, const size_t *len, size_t n,
		   struct cert_holder **holder_r, const char **error_r);

/*
 * cert_holder_id_matches - the normalized national ID NATID (NATID_LEN
 * characters) ends in H's four digits. Constant time. Returns 1 or 0.
 */
int cert_holder_id_matches(const struct cert_holder *h, const char *natid);

/* cert_holder_free - free *hp and set it to NULL. */
void cert_holder_free(struct cert_holder **hp);

#endif
