/*
 * recovery - the sign-in page's 忘記密碼 and 忘記帳號.
 *
 * Both send mail only to the account's recovery address (密碼復原用電子
 * 郵件) and say the same thing on screen whether or not an account exists,
 * so that they cannot be used to find out who has an account. Each
 * account gets at most one such mail per account.forgot_interval_seconds
 * (kcgRecoveryMailTime, updated by compare-and-swap so that two racing
 * requests send one mail). A reset link carries a 256-bit token stored
 * only as its hash, expires after account.reset_token_minutes, and works
 * once.
 */
#ifndef KCG_RECOVERY_H
#define KCG_RECOVERY_H

struct dir;
struct idhash;
struct kcg_config;

/* What the screen says after either request, whatever happened. */
#define RECOVERY_MSG_SENT                                                                                \
	"若資料正確，通知信已寄至您的密碼復原用電子郵件，請查收。 / If the " \
	"details are right, a message was sent to the recovery address."

/*
 * recovery_forgot_password - mail a reset link for UID. Returns 0 also
 * when nothing was sent (no such account, not active, no recovery
 * address, rate limit); KCG_EINVAL for a malformed uid; KCG_EMAIL;
 * KCG_EDIR.
 */
int recovery_forgot_password(struct dir *dir, const struct kcg_config *cfg,
			     const char *uid, const char **error_r);

/*
 * recovery_reset - set NEW_PW with the reset TOKEN, under slapd's policy.
 * Returns 0 with the uid in *uid_r (caller frees); KCG_ENOTFOUND for an
 * unknown or used token; KCG_EINVAL for an expired or malformed one;
 * KCG_EPOLICY when the password is refused (the token stays valid then);
 * KCG_EDIR.
 */
int recovery_reset(struct dir *dir, const struct kcg_config *cfg,
		   const char *token, const char *new_pw, char **uid_r,
		   const char **error_r);

/*
 * recovery_forgot_account - mail the uid of the active employee NAME with
 * NATIONAL_ID to their recovery address. Returns 0 also when nothing was
 * sent; KCG_EINVAL for malformed input; KCG_EMAIL; KCG_EDIR.
 */
int recovery_forgot_account(struct dir *dir, const struct kcg_config *cfg,
			    const struct idhash *ih, const char *name,
			    const char *national_id, const char **error_r);

#endif
