/*
 * recovery - forgot password, reset, forgot account (see recovery.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "account.h"
#include "audit.h"
#include "config.h"
#include "dir.h"
#include "err.h"
#include "kcg.h"
#include "log.h"
#include "outbox.h"
#include "pwquality.h"
#include "recovery.h"
#include "token.h"
#include "xalloc.h"

static const char *const acct_attrs[] = {
	"uid",	   "kcgAccountStatus",	  "kcgRecoveryMail",
	"kcgMail", "kcgRecoveryMailTime", NULL,
};

/* usable - the account at DN may receive recovery mail now; 0 with the
 * entry, 1 when not (the reason is logged, never shown). */
static int usable(struct dir *dir, const struct kcg_config *cfg, const char *dn,
		  struct dir_entry **e_r, const char **error_r)
{
	struct dir_entry *e = NULL;
	const char *v;
	long long last;
	int r;

	r = dir_read(dir, dn, acct_attrs, &e, error_r);
	if (r == KCG_ENOTFOUND) {
		log_info("%s: no such account", dn);
		return 1;
	}
	if (r < 0)
		return r;
	v = dir_entry_value(e, "kcgAccountStatus");
	if (v == NULL || strcmp(v, "active") != 0 ||
	    dir_entry_value(e, "kcgRecoveryMail") == NULL) {
		log_info("%s: not active or no recovery address", dn);
		dir_entry_free(&e);
		return 1;
	}
	v = dir_entry_value(e, "kcgRecoveryMailTime");
	if (v != NULL && dir_time_parse(v, &last) == 0 &&
	    (long long)time(NULL) - last < cfg->forgot_interval_seconds) {
		log_info("%s: rate limited", dn);
		dir_entry_free(&e);
		return 1;
	}
	*e_r = e;
	return 0;
}

/* stamp_mods - set kcgRecoveryMailTime by compare-and-swap against E. */
static void stamp_mods(struct dir_mods *mods, const struct dir_entry *e)
{
	char now[16];
	const char *old = dir_entry_value(e, "kcgRecoveryMailTime");

	dir_time_now(now);
	if (old != NULL)
		dir_mods_add(mods, DIR_MOD_DELETE, "kcgRecoveryMailTime", old);
	dir_mods_add(mods, DIR_MOD_ADD, "kcgRecoveryMailTime", now);
}

/* forgot_password - the work of recovery_forgot_password(), without the audit
 * record. */
static int forgot_password(struct dir *dir, const struct kcg_config *cfg,
			   const char *uid, const char **error_r)
{
	char norm[UIDNAME_MAX + 1], token[TOKEN_LEN + 1],
		hash[TOKEN_HASH_LEN + 1], expiry_gt[16], when[64];
	struct dir_entry *e = NULL;
	struct dir_mods *mods = NULL;
	char *dn = NULL, *link = NULL, *text = NULL;
	const char *err = NULL;
	long long expiry;
	int r;

	memset(token, 0, sizeof(token));
	r = uidname_normalize(uid, norm, error_r);
	if (r < 0)
		return r;
	dn = account_dn(dir, norm);
	r = usable(dir, cfg, dn, &e, error_r);
	if (r != 0) {
		r = r > 0 ? 0 : r;
		goto out;
	}
	r = token_issue(60LL * cfg->reset_token_minutes, token, hash, &expiry,
			error_r);
	if (r < 0)
		goto out;
	dir_time(expiry, expiry_gt);
	mods = dir_mods_new();
	stamp_mods(mods, e);
	dir_mods_add(mods, DIR_MOD_REPLACE, "kcgResetTokenHash", hash);
	dir_mods_add(mods, DIR_MOD_REPLACE, "kcgResetTokenExpiry", expiry_gt);
	r = dir_modify(dir, dn, mods, error_r);
	if (r == KCG_ECONFLICT) { /* a racing request won: it sends */
		r = 0;
		goto out;
	}
	if (r < 0)
		goto out;
	link = xasprintf("%s/reset?token=%s", cfg->web_base_url, token);
	outbox_taipei_time(expiry, when);
	text = xasprintf(
		"您好，\n\n"
		"我們收到重設市府帳號 %s "
		"密碼的申請。請點擊以下超連結設定新密碼。"
		"若無法點選超連結，請複製下列網址至您的瀏覽器：\n\n"
		"%s\n\n"
		"此連結將於 %s 失效，且只能使用一次。\n\n"
		"若您沒有申請重設密碼，請忽略此郵件，您的密碼不會變更。\n\n"
		"※ 本信件由系統直接發送！請勿直接回覆，謝謝！\n",
		norm, link, when);
	r = outbox_send(cfg, cfg->mail_from_account,
			dir_entry_value(e, "kcgRecoveryMail"),
			"高雄市政府帳號管理系統密碼重設通知", text, error_r);
	if (r < 0) {
		if (r == KCG_EINVAL) {
			/* a stored address that cannot be mailed: say no
			 * more on screen than for no account at all */
			log_warning("%s: recovery address unusable: %s", dn,
				    *error_r);
			r = 0;
		}
		dir_mods_free(&mods);
		mods = dir_mods_new();
		dir_mods_add(mods, DIR_MOD_DELETE, "kcgResetTokenHash", hash);
		dir_mods_add(mods, DIR_MOD_DELETE, "kcgResetTokenExpiry", NULL);
		(void)dir_modify(dir, dn, mods, &err);
	}
out:
	explicit_bzero(token, sizeof(token));
	if (link != NULL)
		explicit_bzero(link, strlen(link));
	if (text != NULL)
		explicit_bzero(text, strlen(text));
	free(link);
	free(text);
	dir_mods_free(&mods);
	dir_entry_free(&e);
	free(dn);
	return r;
}

/* token_mods - MODS that delete (or restore) the reset token HASH. */
static struct dir_mods *token_mods(enum dir_mod_op op, const char *hash,
				   const char *expiry)
{
	struct dir_mods *mods = dir_mods_new();

	dir_mods_add(mods, op, "kcgResetTokenHash", hash);
	dir_mods_add(
		mods, op == DIR_MOD_DELETE ? DIR_MOD_DELETE : DIR_MOD_REPLACE,
		"kcgResetTokenExpiry", op == DIR_MOD_DELETE ? NULL : expiry);
	return mods;
}

/* reset_with_token - the work of recovery_reset(), without the audit record. */
static int reset_with_token(struct dir *dir, const struct kcg_config *cfg,
			    const char *token, const char *new_pw, char **uid_r,
			    const char **error_r)
{
	static const char *const attrs[] = {"uid", "kcgResetTokenExpiry", NULL};
	char hash[TOKEN_HASH_LEN + 1];
	struct dir_result *res = NULL;
	struct dir_mods *mods = NULL;
	const struct dir_entry *e;
	char *base = NULL, *filter = NULL, *expiry_gt = NULL;
	const char *uid, *v, *err = NULL;
	enum pwquality_result q;
	long long expiry;
	int r;

	r = token_hash(token, hash, error_r);
	if (r < 0)
		return r;
	base = xasprintf("ou=people,%s", dir_suffix(dir));
	filter = xasprintf("(kcgResetTokenHash=%s)", hash);
	r = dir_search(dir, base, DIR_SCOPE_ONE, filter, attrs, &res, error_r);
	if (r < 0)
		goto out;
	if (dir_result_count(res) != 1) {
		*error_r = "此連結無效或已使用過 / this link is not valid or "
			   "was used already";
		r = KCG_ENOTFOUND;
		goto out;
	}
	e = dir_result_entry(res, 0);
	uid = dir_entry_value(e, "uid");
	v = dir_entry_value(e, "kcgResetTokenExpiry");
	if (uid == NULL || v == NULL || dir_time_parse(v, &expiry) < 0 ||
	    expiry <= (long long)time(NULL)) {
		*error_r = "此連結已失效，請重新申請忘記密碼 / this link has "
			   "expired: ask for a new one";
		r = KCG_EINVAL;
		goto out;
	}
	expiry_gt = xstrdup(v);
	q = pwquality_check(new_pw, strlen(new_pw), uid);
	if (q != PWQ_OK) {
		*error_r = pwquality_message(q);
		r = KCG_EPOLICY;
		goto out;
	}
	/* Use the token up first (compare-and-swap: one reset per link). */
	mods = token_mods(DIR_MOD_DELETE, hash, NULL);
	r = dir_modify(dir, dir_entry_dn(e), mods, error_r);
	if (r == KCG_ECONFLICT)
		*error_r = "此連結已使用過 / this link was used already";
	if (r < 0)
		goto out;
	r = dir_passwd(dir, dir_entry_dn(e), NULL, new_pw, error_r);
	if (r < 0) {
		/* refused by the policy: the link stays usable */
		dir_mods_free(&mods);
		mods = token_mods(DIR_MOD_ADD, hash, expiry_gt);
		(void)dir_modify(dir, dir_entry_dn(e), mods, &err);
		goto out;
	}
	*uid_r = xstrdup(uid);
out:
	dir_mods_free(&mods);
	dir_result_free(&res);
	free(expiry_gt);
	free(filter);
	free(base);
	return r;
}

/* forgot_account - the work of recovery_forgot_account(), without the audit
 * record. */
static int forgot_account(struct dir *dir, const struct kcg_config *cfg,
			  const struct idhash *ih, const char *name,
			  const char *national_id, const char **error_r)
{
	struct dir_entry *e = NULL;
	struct dir_mods *mods = NULL;
	char *uid = NULL, *dn = NULL, *text = NULL;
	int r;

	r = account_find_person(dir, ih, name, national_id, &uid, error_r);
	if (r == KCG_ENOTFOUND || (r == 0 && uid == NULL)) {
		log_info("forgot-account: no matching account");
		r = 0;
		goto out;
	}
	if (r < 0)
		goto out;
	dn = account_dn(dir, uid);
	r = usable(dir, cfg, dn, &e, error_r);
	if (r != 0) {
		r = r > 0 ? 0 : r;
		goto out;
	}
	mods = dir_mods_new();
	stamp_mods(mods, e);
	r = dir_modify(dir, dn, mods, error_r);
	if (r == KCG_ECONFLICT) {
		r = 0;
		goto out;
	}
	if (r < 0)
		goto out;
	text = xasprintf(
		"您好，\n\n"
		"您申請查詢市府帳號。\n\n"
		"帳號：%s\n"
		"%s%s%s\n"
		"若忘記密碼，請於帳號管理系統使用「忘記密碼」重設。\n"
		"若您沒有提出查詢，請忽略此郵件。\n\n"
		"※ 本信件由系統直接發送！請勿直接回覆，謝謝！\n",
		uid, dir_entry_value(e, "kcgMail") ? "公務電子郵件：" : "",
		dir_entry_value(e, "kcgMail") ? dir_entry_value(e, "kcgMail")
					      : "",
		dir_entry_value(e, "kcgMail") ? "\n" : "");
	r = outbox_send(cfg, cfg->mail_from_account,
			dir_entry_value(e, "kcgRecoveryMail"),
			"高雄市政府帳號管理系統帳號查詢通知", text, error_r);
	if (r == KCG_EINVAL) { /* as in forgot_password */
		log_warning("%s: recovery address unusable: %s", dn, *error_r);
		r = 0;
	}
out:
	free(text);
	dir_mods_free(&mods);
	dir_entry_free(&e);
	free(dn);
	free(uid);
	return r;
}

int recovery_forgot_password(struct dir *dir, const struct kcg_config *cfg,
			     const char *uid, const char **error_r)
{
	int r = forgot_password(dir, cfg, uid, error_r);

	audit_result("forgot-password", uid, r, r < 0 ? *error_r : NULL, NULL);
	return r;
}

int recovery_reset(struct dir *dir, const struct kcg_config *cfg,
		   const char *token, const char *new_pw, char **uid_r,
		   const char **error_r)
{
	int r = reset_with_token(dir, cfg, token, new_pw, uid_r, error_r);

	audit_result("password-reset", r == 0 ? *uid_r : "-", r,
		     r < 0 ? *error_r : NULL, "with a reset link");
	return r;
}

int recovery_forgot_account(struct dir *dir, const struct kcg_config *cfg,
			    const struct idhash *ih, const char *name,
			    const char *national_id, const char **error_r)
{
	int r = forgot_account(dir, cfg, ih, name, national_id, error_r);

	audit_result("forgot-account", "-", r, r < 0 ? *error_r : NULL, NULL);
	return r;
}
