/*
 * token - single-use secrets for links sent by mail (IKPD activation,
 * password reset).
 *
 * A token is 256 random bits from GnuTLS's key-grade generator, written
 * as 43 characters of unpadded base64url so that it survives a URL and a
 * mail client. The directory stores only its SHA-256 (lower-case hex):
 * a copy of the directory does not let anyone use a pending link.
 */
#ifndef KCG_TOKEN_H
#define KCG_TOKEN_H

#define TOKEN_LEN      43
#define TOKEN_HASH_LEN 64

/*
 * token_new - a fresh token in token_r and its hash in hash_r. Returns 0
 * or KCG_EINTERNAL (no randomness). The caller wipes token_r after use.
 */
int token_new(char token_r[TOKEN_LEN + 1], char hash_r[TOKEN_HASH_LEN + 1]);

/*
 * token_issue - token_new() for a link good for LIFETIME seconds from now:
 * the token in token_r, its hash in hash_r, and when it expires (seconds
 * since the epoch) in expiry_r. Returns 0, or KCG_EINTERNAL with the
 * reason in error_r (no randomness). The caller owns the buffers and
 * wipes token_r after use, whatever the result.
 */
int token_issue(long long lifetime, char token_r[TOKEN_LEN + 1],
		char hash_r[TOKEN_HASH_LEN + 1], long long *expiry_r,
		const char **error_r);

/*
 * token_hash - the hash of TOKEN after checking its form (43 base64url
 * characters; surrounding white space ignored). Returns 0, or KCG_EINVAL
 * with a reason that never quotes the token.
 */
int token_hash(const char *token, char hash_r[TOKEN_HASH_LEN + 1],
	       const char **error_r);

#endif
