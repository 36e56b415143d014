/*
 * idhash - HMAC-SHA256 of national IDs with GnuTLS (see idhash.h).
 */
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "err.h"
#include "idhash.h"
#include "kcg.h"
#include "secret.h"
#include "xalloc.h"

struct idhash {
	char *key;
	size_t key_len;
};

int idhash_open(const char *key_file, struct idhash **ih_r,
		const char **error_r)
{
	int r;
	char *key = NULL;
	size_t len = 0;
	struct idhash *ih = NULL;

	r = secret_read_file(key_file, 1, &key, &len, error_r);
	if (r < 0)
		goto out;
	if (len < IDHASH_MIN_KEY) {
		*error_r = err_fmt("%s: 金鑰太短 / key is shorter than %d "
				   "bytes",
				   key_file, IDHASH_MIN_KEY);
		r = KCG_EINVAL;
		goto out;
	}
	ih = xcalloc(1, sizeof(*ih));
	ih->key = key;
	ih->key_len = len;
	key = NULL;
	*ih_r = ih;
	r = 0;
out:
	xfree_secret(&key);
	return r;
}

int idhash_compute(const struct idhash *ih, const char *natid,
		   char hex_r[IDHASH_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char mac[32];
	size_t i;

	if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, ih->key, ih->key_len, natid,
			     strlen(natid), mac) < 0)
		return KCG_EINTERNAL;
	for (i = 0; i < sizeof(mac); i++) {
		hex_r[2 * i] = digits[mac[i] >> 4];
		hex_r[2 * i + 1] = digits[mac[i] & 15];
	}
	hex_r[IDHASH_HEX_LEN] = '\0';
	explicit_bzero(mac, sizeof(mac));
	return 0;
}

void idhash_free(struct idhash **ihp)
{
	struct idhash *ih = *ihp;

	if (ih == NULL)
		return;
	explicit_bzero(ih->key, ih->key_len);
	free(ih->key);
	free(ih);
	*ihp = NULL;
}
