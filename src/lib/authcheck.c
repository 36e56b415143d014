/*
 * authcheck - a consumer's login sequence, step by step (see authcheck.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "authcheck.h"
#include "config.h"
#include "dir.h"
#include "err.h"
#include "kcg.h"
#include "xalloc.h"

/* step - record a step of RES. */
static void step(struct authcheck_result *res, const char *label, int ok,
		 const char *detail)
{
	if (res->n_steps < AUTHCHECK_MAX_STEPS) {
		res->steps[res->n_steps].label = label;
		res->steps[res->n_steps].ok = ok;
		snprintf(res->steps[res->n_steps].detail,
			 sizeof(res->steps[res->n_steps].detail), "%s",
			 detail != NULL ? detail : "");
		res->n_steps++;
	}
}

/* is - attribute ATTR of E has VALUE. */
static int is(const struct dir_entry *e, const char *attr, const char *value)
{
	const char *v = dir_entry_value(e, attr);

	return v != NULL && strcmp(v, value) == 0;
}

/* dupe - VALUE or "" in new memory. */
static char *dupe(const char *value)
{
	return xstrdup(value != NULL ? value : "");
}

int authcheck_run(struct dir *dir, const struct kcg_config *cfg,
		  enum authcheck_service service, const char *login,
		  const char *password, struct authcheck_result *res,
		  const char **error_r)
{
	static const char *const attrs[] = {
		"uid", "kcgAccountStatus", "kcgMailEnabled", "kcgIkpdStatus",
		NULL,
	};
	static const char *const shown[] = {
		"cn",
		"kcgAgency",
		"kcgIkpdAccountType",
		"kcgAccountType",
		"pwdLastSuccess",
		NULL,
	};
	char uid[UIDNAME_MAX + 1];
	struct dir_entry *e = NULL, *me = NULL;
	struct dir *user = NULL;
	const char *err = NULL;
	char *dn = NULL;
	int r;

	memset(res, 0, sizeof(*res));
	r = uidname_normalize(login, uid, error_r);
	if (r < 0) {
		step(res, "登入帳號 / login name", 0, *error_r);
		return r;
	}
	dn = account_dn(dir, uid);
	r = dir_read(dir, dn, attrs, &e, &err);
	if (r == KCG_ENOTFOUND)
		err = "沒有此帳號 / no such account";
	step(res, "查詢帳號 / look up the account", r == 0,
	     r == 0 ? dir_entry_dn(e) : err);
	if (r < 0) {
		*error_r = err;
		goto out;
	}
	if (!is(e, "kcgAccountStatus", "active")) {
		err = err_fmt("帳號未啟用 / the account is not active "
			      "(status: %s)",
			      dir_entry_value(e, "kcgAccountStatus")
				      ? dir_entry_value(e, "kcgAccountStatus")
				      : "?");
		step(res, "帳號狀態 / account status", 0, err);
		*error_r = err;
		r = KCG_ECONFLICT;
		goto out;
	}
	step(res, "帳號狀態 / account status", 1, "active");
	if (service == AUTHCHECK_MAIL && !is(e, "kcgMailEnabled", "TRUE")) {
		err = "此帳號未申請市府信箱 / no mailbox for this account";
		r = KCG_ECONFLICT;
	} else if (service == AUTHCHECK_IKPD &&
		   !is(e, "kcgIkpdStatus", "active")) {
		err = err_fmt("IKPD 尚未開通 / IKPD is not active (status: %s)",
			      dir_entry_value(e, "kcgIkpdStatus")
				      ? dir_entry_value(e, "kcgIkpdStatus")
				      : "none");
		r = KCG_ECONFLICT;
	}
	step(res,
	     service == AUTHCHECK_MAIL ? "信箱啟用 / mailbox enabled"
				       : "IKPD 已開通 / IKPD active",
	     r == 0, r == 0 ? "yes" : err);
	if (r < 0) {
		*error_r = err;
		goto out;
	}
	r = dir_open_user(cfg, dir_entry_dn(e), password, &user, &err);
	step(res, "密碼驗證 / bind as the user", r == 0, r == 0 ? "ok" : err);
	if (r < 0) {
		*error_r = err;
		goto out;
	}
	res->dn = xstrdup(dir_entry_dn(e));
	/* what the portal shows after login, read as the user */
	if (dir_read(user, dir_entry_dn(e), shown, &me, &err) == 0) {
		res->name = dupe(dir_entry_value(me, "cn"));
		res->agency = dupe(dir_entry_value(me, "kcgAgency"));
		res->account_type =
			dupe(dir_entry_value(me, "kcgIkpdAccountType")
				     ? dir_entry_value(me, "kcgIkpdAccountType")
				     : dir_entry_value(me, "kcgAccountType"));
		res->last_login = dupe(dir_entry_value(me, "pwdLastSuccess"));
	}
out:
	dir_entry_free(&me);
	dir_free(&user);
	dir_entry_free(&e);
	free(dn);
	return r;
}

void authcheck_result_clear(struct authcheck_result *res)
{
	free(res->dn);
	free(res->name);
	free(res->agency);
	free(res->account_type);
	free(res->last_login);
	memset(res, 0, sizeof(*res));
}
