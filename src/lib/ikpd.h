/*
 * ikpd - registration for the IKPD personnel portal (人事服務網), the
 * seed's section B, on the one directory.
 *
 * Step 1 checks the mail local part names an active account with a
 * mailbox, that the national ID (by its keyed hash) and the birth date
 * match its roster record, and that IKPD is not active yet. Step 2 proves
 * the account password with a bind as the user; a password that does not
 * meet IKPD's rule must be changed first. Step 3 stores the hash of a new
 * token (replacing any earlier one) with its expiry and queues the
 * activation mail. Activation binds with the password again and turns
 * IKPD on; the token works once.
 */
#ifndef KCG_IKPD_H
#define KCG_IKPD_H

struct dir;
struct idhash;
struct kcg_config;

struct ikpd_register_req {
	const char *mail; /* "abc" or "abc@kcg.gov.tw" */
	const char *national_id;
	const char *birth_date; /* ROC, YYY-MM-DD */
	const char *password;
};

struct ikpd_registration {
	char *uid;
	char *name; /* for the seed's greeting "<name> 您好" */
	char *mail;
	long long expiry;
};

#define IKPD_MSG_ACTIVATED "帳號啟用成功, 請重新登入"

/*
 * ikpd_register - steps 1 to 3. Returns 0 with *reg_r (free with
 * ikpd_registration_free) once the mail is queued; KCG_EINVAL for bad
 * input or a wrong password; KCG_ENOTFOUND when no active mailbox matches
 * or the ID or birth date do not match; KCG_ECONFLICT when IKPD is active
 * already; KCG_EPOLICY when the password must be changed first or the
 * account is locked; KCG_EMAIL when the mail could not be queued (nothing
 * is left registered then); KCG_EDIR.
 */
int ikpd_register(struct dir *dir, const struct kcg_config *cfg,
		  const struct idhash *ih, const struct ikpd_register_req *req,
		  struct ikpd_registration **reg_r, const char **error_r);

/*
 * ikpd_identify - step 1 alone (no password yet): the mail local part,
 * national ID and ROC birth date name an active mailbox of a person whose
 * IKPD is not active yet. Returns 0 with the uid and the person's name in
 * *uid_r and *name_r (caller frees), for step 2's greeting "<name> 您好";
 * otherwise the codes of ikpd_register's step 1. ikpd_register checks all
 * of it again.
 */
int ikpd_identify(struct dir *dir, const struct kcg_config *cfg,
		  const struct idhash *ih, const char *mail,
		  const char *national_id, const char *birth_date, char **uid_r,
		  char **name_r, const char **error_r);

/*
 * ikpd_activate - the activation page: TOKEN from the link and the
 * account PASSWORD. Returns 0 with the uid in *uid_r (caller frees);
 * KCG_ENOTFOUND for an unknown token (or one replaced by a newer
 * registration); KCG_ECONFLICT for a token already used; KCG_EINVAL for an
 * expired token (register again), a malformed one or a wrong password;
 * KCG_EPOLICY for a locked account; KCG_EDIR.
 */
int ikpd_activate(struct dir *dir, const struct kcg_config *cfg,
		  const char *token, const char *password, char **uid_r,
		  const char **error_r);

void ikpd_registration_free(struct ikpd_registration **regp);

#endif
