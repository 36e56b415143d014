/*
 * authcheck - run the login sequence a consumer of the directory runs,
 * step by step, and say which step failed (like `doveadm auth test`).
 *
 *   mail (Dovecot passdb): find uid=<login> under ou=people; it must be
 *        active with a mailbox; bind as that DN with the password.
 *   ikpd (the portal): find uid=<login> among accounts with IKPD active;
 *        bind as that DN with the ppolicy request control; read what the
 *        portal shows after login.
 *
 * The lookup runs on the caller's directory session (the provisioner),
 * which reads the same attributes the service identities read; the bind
 * is the user's own, so it counts toward the lockout like a real login.
 */
#ifndef KCG_AUTHCHECK_H
#define KCG_AUTHCHECK_H

#include <stddef.h>

struct dir;
struct kcg_config;

enum authcheck_service {
	AUTHCHECK_MAIL,
	AUTHCHECK_IKPD,
};

/* One step of the sequence, for printing. */
struct authcheck_step {
	const char *label; /* zh-TW / English */
	int ok;
	char detail[512]; /* reason or value (a copy) */
};

#define AUTHCHECK_MAX_STEPS 6

struct authcheck_result {
	struct authcheck_step steps[AUTHCHECK_MAX_STEPS];
	size_t n_steps;
	/* after a successful login: what the portal shows */
	char *dn, *name, *agency, *account_type, *last_login;
};

/*
 * authcheck_run - the sequence of SERVICE for LOGIN (the mail local part)
 * and PASSWORD. Fills *res (free its strings with authcheck_result_clear)
 * in every case. Returns 0 when the login succeeds; KCG_EINVAL for a
 * malformed login or a wrong password; KCG_ENOTFOUND for no such account;
 * KCG_ECONFLICT when the account is not active or the service is not
 * enabled for it; KCG_EPOLICY when it is locked or its password expired;
 * KCG_EDIR. *error_r says why.
 */
int authcheck_run(struct dir *dir, const struct kcg_config *cfg,
		  enum authcheck_service service, const char *login,
		  const char *password, struct authcheck_result *res,
		  const char **error_r);

void authcheck_result_clear(struct authcheck_result *res);

#endif
