/*
 * token - random link tokens and their hashes (see token.h).
 */
#include <string.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "kcg.h"
#include "token.h"

static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* hex - LEN bytes of IN as lower-case hex into OUT (2 * LEN + 1). */
static void hex(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

/* sha256_hex - the hash of the TOKEN_LEN characters at TOKEN. */
static int sha256_hex(const char *token, char hash_r[TOKEN_HASH_LEN + 1])
{
	unsigned char digest[32];

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, token, TOKEN_LEN, digest) < 0)
		return KCG_EINTERNAL;
	hex(digest, sizeof(digest), hash_r);
	return 0;
}

int token_new(char token_r[TOKEN_LEN + 1], char hash_r[TOKEN_HASH_LEN + 1])
{
	unsigned char raw[33]; /* 32 random bytes, one pad for the last group */
	size_t i, o = 0;
	unsigned int v;
	int r;

	memset(raw, 0, sizeof(raw));
	if (gnutls_rnd(GNUTLS_RND_KEY, raw, 32) < 0)
		return KCG_EINTERNAL;
	for (i = 0; i < 33; i += 3) {
		v = (unsigned)raw[i] << 16 | (unsigned)raw[i + 1] << 8 |
		    raw[i + 2];
		token_r[o++] = b64url[(v >> 18) & 63];
		token_r[o++] = b64url[(v >> 12) & 63];
		token_r[o++] = b64url[(v >> 6) & 63];
		token_r[o++] = b64url[v & 63];
	}
	/* 44 characters were written; 43 carry the 256 bits */
	token_r[TOKEN_LEN] = '\0';
	explicit_bzero(raw, sizeof(raw));
	r = sha256_hex(token_r, hash_r);
	return r;
}

int token_issue(long long lifetime, char token_r[TOKEN_LEN + 1],
		char hash_r[TOKEN_HASH_LEN + 1], long long *expiry_r,
		const char **error_r)
{
	int r = token_new(token_r, hash_r);

	if (r < 0) {
		*error_r = "無法產生亂數 / no randomness";
		return r;
	}
	*expiry_r = (long long)time(NULL) + lifetime;
	return 0;
}

int token_hash(const char *token, char hash_r[TOKEN_HASH_LEN + 1],
	       const char **error_r)
{
	size_t len, i;

	if (token == NULL)
		goto bad;
	while (*token == ' ' || *token == '\t' || *token == '\n')
		token++;
	len = strcspn(token, " \t\r\n");
	if (len != TOKEN_LEN ||
	    token[len + strspn(token + len, " \t\r\n")] != '\0')
		goto bad;
	for (i = 0; i < len; i++)
		if (strchr(b64url, token[i]) == NULL || token[i] == '\0')
			goto bad;
	return sha256_hex(token, hash_r);
bad:
	*error_r = "連結格式錯誤 / the link's token is malformed";
	return KCG_EINVAL;
}
