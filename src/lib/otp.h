/*
 * otp - 動態密碼 (TOTP, RFC 6238) tokens for slapd's otp overlay.
 *
 * slapd checks the codes itself (slapo-otp): a simple bind to an account
 * with objectClass oathTOTPUser must send the password followed by the
 * current code of the token named by the account's oathTOTPToken. This
 * module only manages the tokens, bound as the provisioner:
 *
 *   uid=<uid>,ou=otp,<suffix>     objectClass account + oathTOTPToken:
 *                                 oathSecret (raw bytes), oathTOTPParams,
 *                                 oathTOTPLastTimeStep (written by slapd)
 *   cn=totp,ou=policies,<suffix>  oathTOTPParams: digits, HMAC, period
 *
 * The token lives in its own subtree rather than below the account so that
 * the account stays a leaf (delete works as before) and so that one ACL on
 * ou=otp keeps every secret away from services, users and anonymous.
 * Enrolment writes the token first and the account's pointer second, so an
 * interruption leaves at worst an unreferenced token, which the next
 * enrolment replaces. Every change is audited (otp-enroll, otp-disable).
 */
#ifndef KCG_OTP_H
#define KCG_OTP_H

#include <stddef.h>

struct dir;

/* The shared secret's length: 160 bits, RFC 4226's recommendation. */
#define OTP_SECRET_BYTES 20

/*
 * otp_base32 - DATA (LEN bytes) in RFC 4648 base32, upper case, without
 * padding (what authenticator apps expect), in new memory owned by the
 * caller (xfree_secret when DATA is a secret).
 */
char *otp_base32(const unsigned char *data, size_t len);

/*
 * otp_uri - the Key URI authenticator apps read:
 * otpauth://totp/ISSUER:UID?secret=SECRET_B32&issuer=ISSUER&algorithm=ALG
 * &digits=DIGITS&period=PERIOD, with ISSUER and UID percent-encoded. New
 * memory owned by the caller; it holds the secret, so free it with
 * xfree_secret.
 */
char *otp_uri(const char *issuer, const char *uid, const char *secret_b32,
	      const char *algorithm, int digits, int period);

/*
 * otp_enroll - give account UID a new TOTP token with a fresh secret from
 * gnutls_rnd(GNUTLS_RND_KEY), and turn on the overlay's check for it.
 * ISSUER names the service in the URI (otp.issuer). Returns 0 with the
 * otpauth:// URI in *uri_r and the base32 secret in *secret_r (both the
 * caller's, holding the secret: xfree_secret); KCG_ECONFLICT when UID is
 * enrolled already (disable first); KCG_EINVAL; KCG_ENOTFOUND (no such
 * account, or the directory lacks ldif/otp.ldif's entries); KCG_EDIR.
 */
int otp_enroll(struct dir *dir, const char *issuer, const char *uid,
	       char **uri_r, char **secret_r, const char **error_r);

/*
 * otp_disable - turn the check off for UID (plain binds again) and delete
 * its token. Returns 0; KCG_ENOTFOUND when UID has no account or no token;
 * KCG_EINVAL; KCG_EDIR.
 */
int otp_disable(struct dir *dir, const char *uid, const char **error_r);

/*
 * otp_status - whether UID is enrolled (*enrolled_r), since when
 * (*since_r, GeneralizedTime of the token's creation, or "" ) and the
 * start of the last time step slapd accepted a code for (*last_used_r,
 * Unix time, or -1 when never). SINCE_R is the caller's, 16 bytes.
 * Returns 0; KCG_ENOTFOUND for no account; KCG_EINVAL; KCG_EDIR.
 */
int otp_status(struct dir *dir, const char *uid, int *enrolled_r,
	       char since_r[16], long long *last_used_r, const char **error_r);

/*
 * otp_forget - delete UID's token entry if there is one (the account is
 * being deleted). Returns 0 also when there was none; KCG_EDIR.
 */
int otp_forget(struct dir *dir, const char *uid, const char **error_r);

#endif
