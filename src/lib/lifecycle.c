/*
 * lifecycle - review, reject, disable, enable, delete, purge (see
 * lifecycle.h).
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
#include "lifecycle.h"
#include "otp.h"
#include "outbox.h"
#include "utf8.h"
#include "xalloc.h"

/* The value ppolicy reads as "locked until an admin unlocks". */
#define LOCKED_FOR_GOOD "000001010000Z"

static const char *const acct_attrs[] = {
	"uid",
	"cn",
	"kcgAccountStatus",
	"kcgRosterRef",
	"kcgRecoveryMail",
	"kcgApplyTime",
	"pwdAccountLockedTime",
	NULL,
};

/* read_account - account_read() with the attributes lifecycle needs. */
static int read_account(struct dir *dir, const char *uid,
			char norm_r[UIDNAME_MAX + 1], struct dir_entry **e_r,
			const char **error_r)
{
	return account_read(dir, uid, acct_attrs, norm_r, e_r, error_r);
}

/* status_is - E's kcgAccountStatus is STATUS. */
static int status_is(const struct dir_entry *e, const char *status)
{
	const char *v = dir_entry_value(e, "kcgAccountStatus");

	return v != NULL && strcmp(v, status) == 0;
}

/*
 * read_in_status - read_account(), refused with KCG_ECONFLICT unless the
 * account's kcgAccountStatus is STATUS (NOT_ZH says it is not, in Chinese).
 */
static int read_in_status(struct dir *dir, const char *uid, const char *status,
			  const char *not_zh, char norm_r[UIDNAME_MAX + 1],
			  struct dir_entry **e_r, const char **error_r)
{
	struct dir_entry *e = NULL;
	int r = read_account(dir, uid, norm_r, &e, error_r);

	if (r < 0)
		return r;
	if (!status_is(e, status)) {
		*error_r = err_fmt("帳號 %s %s / account %s is not %s", norm_r,
				   not_zh, norm_r, status);
		dir_entry_free(&e);
		return KCG_ECONFLICT;
	}
	*e_r = e;
	return 0;
}

/* need_reason - REASON must be given for ACTION. */
static int need_reason(const char *reason, const char **error_r)
{
	if (reason == NULL || reason[strspn(reason, " \t")] == '\0') {
		*error_r = "請說明原因 (--reason) / a reason is required";
		return KCG_EINVAL;
	}
	if (strpbrk(reason, "\r\n") != NULL || strlen(reason) > 1000) {
		*error_r = "原因須為一行，最多 1000 字元 / the reason must be "
			   "one line of at most 1000 characters";
		return KCG_EINVAL;
	}
	/* before slapd refuses the syntax and it looks like our fault */
	if (!utf8_valid(reason, strlen(reason))) {
		*error_r = "原因含無效的 UTF-8 或控制字元 / the reason holds "
			   "invalid UTF-8 or a control character";
		return KCG_EINVAL;
	}
	return 0;
}

/* release_claim - let the person of roster record REF apply again. */
static void release_claim(struct dir *dir, const char *ref, const char *uid)
{
	struct dir_mods *mods;
	const char *err = NULL;

	if (ref == NULL)
		return;
	mods = dir_mods_new();
	dir_mods_add(mods, DIR_MOD_DELETE, "kcgAccountUid", uid);
	dir_mods_add(mods, DIR_MOD_DELETE, "kcgAccountClaimTime", NULL);
	(void)dir_modify(dir, ref, mods, &err); /* gone already: fine */
	dir_mods_free(&mods);
}

/* remove_account - delete the account E (uid NORM) and what hangs on it. */
static int remove_account(struct dir *dir, const struct dir_entry *e,
			  const char *norm, const char **error_r)
{
	int r = dir_delete(dir, dir_entry_dn(e), error_r);

	if (r == 0) {
		const char *ignored = NULL;

		release_claim(dir, dir_entry_value(e, "kcgRosterRef"), norm);
		/* A 動態密碼 secret must not outlive its account. */
		(void)otp_forget(dir, norm, &ignored);
	}
	return r;
}

/* disable - see lifecycle_disable. */
static int disable(struct dir *dir, const char *uid, const char *reason,
		   int *changed_r, const char **error_r)
{
	char norm[UIDNAME_MAX + 1];
	struct dir_entry *e = NULL;
	struct dir_mods *mods = NULL;
	int r;

	*changed_r = 0;
	r = need_reason(reason, error_r);
	if (r == 0)
		r = read_account(dir, uid, norm, &e, error_r);
	if (r < 0)
		return r;
	if (status_is(e, "disabled")) {
		dir_entry_free(&e);
		return 0;
	}
	mods = dir_mods_new();
	dir_mods_add(mods, DIR_MOD_REPLACE, "kcgAccountStatus", "disabled");
	dir_mods_add(mods, DIR_MOD_REPLACE, "kcgStatusReason", reason);
	dir_mods_add(mods, DIR_MOD_REPLACE, "pwdAccountLockedTime",
		     LOCKED_FOR_GOOD);
	r = dir_modify(dir, dir_entry_dn(e), mods, error_r);
	*changed_r = r == 0;
	dir_mods_free(&mods);
	dir_entry_free(&e);
	return r;
}

int lifecycle_disable(struct dir *dir, const char *uid, const char *reason,
		      int *changed_r, const char **error_r)
{
	int changed = 0, r = disable(dir, uid, reason, &changed, error_r);

	if (changed_r != NULL)
		*changed_r = changed;
	audit_result("disable", uid, r, r < 0 ? *error_r : NULL,
		     changed ? reason : "already disabled");
	return r;
}

/* enable - see lifecycle_enable. */
static int enable(struct dir *dir, const char *uid, const char *reason,
		  const char **error_r)
{
	static const char *const roster_attrs[] = {"kcgEmploymentStatus", NULL};
	char norm[UIDNAME_MAX + 1];
	struct dir_entry *e = NULL, *roster = NULL;
	struct dir_mods *mods = NULL;
	const char *ref, *v;
	int r;

	if (reason != NULL && (r = need_reason(reason, error_r)) < 0)
		return r;
	r = read_in_status(dir, uid, "disabled", "未停用", norm, &e, error_r);
	if (r < 0)
		return r;
	ref = dir_entry_value(e, "kcgRosterRef");
	r = ref != NULL ? dir_read(dir, ref, roster_attrs, &roster, error_r)
			: KCG_ENOTFOUND;
	v = r == 0 ? dir_entry_value(roster, "kcgEmploymentStatus") : NULL;
	if (r == KCG_EDIR)
		goto out;
	if (v == NULL || strcmp(v, "active") != 0) {
		*error_r = "人事資料非在職，請先更新人事資料 / the HR roster "
			   "does not list this person as an active employee";
		r = KCG_ECONFLICT;
		goto out;
	}
	mods = dir_mods_new();
	dir_mods_add(mods, DIR_MOD_REPLACE, "kcgAccountStatus", "active");
	dir_mods_add(mods, DIR_MOD_REPLACE, "kcgStatusReason",
		     reason != NULL && reason[0] ? reason : "enabled");
	if (dir_entry_value(e, "pwdAccountLockedTime") != NULL)
		dir_mods_add(mods, DIR_MOD_DELETE, "pwdAccountLockedTime",
			     NULL);
	r = dir_modify(dir, dir_entry_dn(e), mods, error_r);
out:
	dir_mods_free(&mods);
	dir_entry_free(&roster);
	dir_entry_free(&e);
	return r;
}

int lifecycle_enable(struct dir *dir, const char *uid, const char *reason,
		     const char **error_r)
{
	int r = enable(dir, uid, reason, error_r);

	audit_result("enable", uid, r, r < 0 ? *error_r : NULL, reason);
	return r;
}

/* delete_account - see lifecycle_delete (REASON checked by the caller). */
static int delete_account(struct dir *dir, const char *uid,
			  const char **error_r)
{
	char norm[UIDNAME_MAX + 1];
	struct dir_entry *e = NULL;
	int r;

	r = read_account(dir, uid, norm, &e, error_r);
	if (r < 0)
		return r;
	r = remove_account(dir, e, norm, error_r);
	dir_entry_free(&e);
	return r;
}

int lifecycle_delete(struct dir *dir, const char *uid, const char *reason,
		     const char **error_r)
{
	int r = need_reason(reason, error_r);

	if (r == 0)
		r = delete_account(dir, uid, error_r);
	audit_result("delete", uid, r, r < 0 ? *error_r : NULL, reason);
	return r;
}

/* reject - see lifecycle_reject. */
static int reject(struct dir *dir, const struct kcg_config *cfg,
		  const char *uid, const char *reason, const char **error_r)
{
	char norm[UIDNAME_MAX + 1];
	struct dir_entry *e = NULL;
	const char *to;
	char *text = NULL;
	int r;

	r = need_reason(reason, error_r);
	if (r == 0)
		r = read_in_status(dir, uid, "pending", "不在待審核狀態", norm,
				   &e, error_r);
	if (r < 0)
		return r;
	to = dir_entry_value(e, "kcgRecoveryMail");
	if (to != NULL) {
		text = xasprintf(
			"您好，\n\n"
			"您申請的市府帳號 %s 未通過審核。\n"
			"原因：%s\n\n"
			"如有疑問，請洽所屬機關人事室或資訊中心。\n\n"
			"※ 本信件由系統直接發送！請勿直接回覆，謝謝！\n",
			norm, reason);
		r = outbox_send(cfg, cfg->mail_from_account, to,
				"高雄市政府帳號申請審核結果通知", text,
				error_r);
		if (r < 0)
			goto out;
	}
	r = remove_account(dir, e, norm, error_r);
out:
	free(text);
	dir_entry_free(&e);
	return r;
}

int lifecycle_reject(struct dir *dir, const struct kcg_config *cfg,
		     const char *uid, const char *reason, const char **error_r)
{
	int r = reject(dir, cfg, uid, reason, error_r);

	audit_result("reject", uid, r, r < 0 ? *error_r : NULL, reason);
	return r;
}

/* search_people - kcgAccount entries matching FILTER (already escaped). */
static int search_people(struct dir *dir, const char *filter,
			 const char *const *attrs, struct dir_result **res_r,
			 const char **error_r)
{
	char *base = xasprintf("ou=people,%s", dir_suffix(dir));
	int r = dir_search(dir, base, DIR_SCOPE_ONE, filter, attrs, res_r,
			   error_r);

	free(base);
	return r;
}

/* roster_check - why the pending application E cannot be approved, or
 * NULL when its roster record is active under the same name. */
static const char *roster_check(struct dir *dir, const struct dir_entry *e,
				int *dir_error_r)
{
	static const char *const attrs[] = {"cn", "kcgEmploymentStatus", NULL};
	struct dir_entry *roster = NULL;
	const char *ref = dir_entry_value(e, "kcgRosterRef"), *err = NULL,
		   *why = NULL, *v;
	int r;

	*dir_error_r = 0;
	r = ref != NULL ? dir_read(dir, ref, attrs, &roster, &err)
			: KCG_ENOTFOUND;
	if (r == KCG_EDIR) {
		*dir_error_r = r;
		return err;
	}
	v = r == 0 ? dir_entry_value(roster, "kcgEmploymentStatus") : NULL;
	if (v == NULL || strcmp(v, "active") != 0)
		why = "人事資料已非在職 / the HR roster no longer lists this "
		      "person as an active employee";
	else if (dir_entry_value(roster, "cn") == NULL ||
		 dir_entry_value(e, "cn") == NULL ||
		 strcmp(dir_entry_value(roster, "cn"),
			dir_entry_value(e, "cn")) != 0)
		why = "姓名與人事資料不符 / the name no longer matches the HR "
		      "roster";
	dir_entry_free(&roster);
	return why;
}

int lifecycle_review(struct dir *dir, const struct kcg_config *cfg, int dry_run,
		     lifecycle_report_fn *report, void *ctx,
		     const char **error_r)
{
	struct dir_result *res = NULL;
	const struct dir_entry *e;
	const char *uid, *why, *err = NULL, *applied;
	long long t, now = (long long)time(NULL);
	size_t i;
	int r, dr, auto_mode = strcmp(cfg->review_mode, "auto") == 0;

	r = search_people(dir,
			  "(&(objectClass=kcgAccount)"
			  "(kcgAccountStatus=pending))",
			  acct_attrs, &res, error_r);
	if (r < 0)
		return r;
	for (i = 0; i < dir_result_count(res); i++) {
		e = dir_result_entry(res, i);
		uid = dir_entry_value(e, "uid");
		if (uid == NULL)
			continue;
		why = roster_check(dir, e, &dr);
		if (dr < 0) {
			*error_r = why;
			r = dr;
			break;
		}
		if (why != NULL) {
			if (!dry_run &&
			    lifecycle_reject(dir, cfg, uid, why, &err) < 0) {
				report(ctx, uid, "error", err);
				continue;
			}
			report(ctx, uid, "reject", why);
			continue;
		}
		applied = dir_entry_value(e, "kcgApplyTime");
		if (!auto_mode) {
			report(ctx, uid, "wait",
			       "人工審核 / review.mode is manual: kcgidm "
			       "approve");
		} else if (applied == NULL || dir_time_parse(applied, &t) < 0 ||
			   now - t < cfg->review_delay_seconds) {
			report(ctx, uid, "wait",
			       "未達審核時間 / not old enough yet");
		} else if (!dry_run && account_approve(dir, uid, &err) < 0) {
			report(ctx, uid, "error", err);
		} else {
			report(ctx, uid, "approve",
			       "人事資料相符 / the HR roster matches");
		}
	}
	dir_result_free(&res);
	return r;
}

/* age_of - the time of E's last sign of use, and what it was. */
static long long age_of(const struct dir_entry *e, const char **what_r)
{
	static const struct {
		const char *attr, *what;
	} order[] = {
		{"pwdLastSuccess", "最近登入 / last login"},
		{"pwdChangedTime", "從未登入，密碼變更於 / never logged in; "
				   "password changed"},
		{"createTimestamp", "從未登入，建立於 / never logged in; "
				    "created"},
	};
	long long t;
	size_t i;
	const char *v;

	for (i = 0; i < KCG_N_ELEMENTS(order); i++) {
		v = dir_entry_value(e, order[i].attr);
		if (v != NULL && dir_time_parse(v, &t) == 0) {
			*what_r = order[i].what;
			return t;
		}
	}
	*what_r = "無使用紀錄 / no record of use";
	return 0;
}

/* drop_token - remove an expired token (attribute HASH_ATTR and
 * EXPIRY_ATTR) from E; for IKPD also reset the registration. */
static int drop_token(struct dir *dir, const struct dir_entry *e,
		      const char *hash_attr, const char *expiry_attr,
		      const char **error_r)
{
	struct dir_mods *mods = dir_mods_new();
	int r;

	dir_mods_add(mods, DIR_MOD_DELETE, expiry_attr,
		     dir_entry_value(e, expiry_attr));
	if (dir_entry_value(e, hash_attr) != NULL)
		dir_mods_add(mods, DIR_MOD_DELETE, hash_attr, NULL);
	if (strcmp(hash_attr, "kcgIkpdTokenHash") == 0)
		dir_mods_add(mods, DIR_MOD_REPLACE, "kcgIkpdStatus", "none");
	r = dir_modify(dir, dir_entry_dn(e), mods, error_r);
	dir_mods_free(&mods);
	return r;
}

/* expired - E's attribute ATTR holds a time before NOW. */
static int expired(const struct dir_entry *e, const char *attr, long long now)
{
	const char *v = dir_entry_value(e, attr);
	long long t;

	return v != NULL && dir_time_parse(v, &t) == 0 && t <= now;
}

int lifecycle_purge(struct dir *dir, const struct kcg_config *cfg, int days,
		    enum lifecycle_purge_mode mode, lifecycle_report_fn *report,
		    void *ctx, const char **error_r)
{
	static const char *const attrs[] = {
		"uid",
		"kcgAccountStatus",
		"kcgApplyTime",
		"pwdLastSuccess",
		"pwdChangedTime",
		"createTimestamp",
		"kcgIkpdTokenHash",
		"kcgIkpdTokenExpiry",
		"kcgIkpdStatus",
		"kcgResetTokenHash",
		"kcgResetTokenExpiry",
		NULL,
	};
	struct dir_result *res = NULL;
	const struct dir_entry *e;
	const char *uid, *what, *err = NULL, *decision;
	char when[32], *why = NULL;
	long long now = (long long)time(NULL), last, t;
	size_t i;
	int r, ok, changed;

	if (days < 1) {
		*error_r = "--days 須為正數 / --days must be positive";
		return KCG_EINVAL;
	}
	r = search_people(dir, "(objectClass=kcgAccount)", attrs, &res,
			  error_r);
	if (r < 0)
		return r;
	for (i = 0; i < dir_result_count(res); i++) {
		e = dir_result_entry(res, i);
		uid = dir_entry_value(e, "uid");
		if (uid == NULL)
			continue;
		if (status_is(e, "pending")) {
			const char *v = dir_entry_value(e, "kcgApplyTime");

			if (v == NULL || dir_time_parse(v, &t) < 0 ||
			    now - t < 86400LL * cfg->pending_max_days)
				continue;
			free(why);
			why = xasprintf("申請超過 %d 天未審核 / pending for "
					"more than %d days",
					cfg->pending_max_days,
					cfg->pending_max_days);
			ok = mode == PURGE_DRY_RUN ||
			     lifecycle_reject(dir, cfg, uid, why, &err) == 0;
			report(ctx, uid, ok ? "reject" : "error",
			       ok ? why : err);
			continue;
		}
		if (expired(e, "kcgIkpdTokenExpiry", now)) {
			ok = mode == PURGE_DRY_RUN ||
			     drop_token(dir, e, "kcgIkpdTokenHash",
					"kcgIkpdTokenExpiry", &err) == 0;
			report(ctx, uid, ok ? "expired-ikpd-link" : "error",
			       ok ? "IKPD 開通連結已失效 / IKPD activation "
				    "link expired"
				  : err);
		}
		if (expired(e, "kcgResetTokenExpiry", now)) {
			ok = mode == PURGE_DRY_RUN ||
			     drop_token(dir, e, "kcgResetTokenHash",
					"kcgResetTokenExpiry", &err) == 0;
			report(ctx, uid, ok ? "expired-reset-link" : "error",
			       ok ? "密碼重設連結已失效 / reset link expired"
				  : err);
		}
		last = age_of(e, &what);
		if (now - last <= 86400LL * days)
			continue;
		dir_time(last, when);
		free(why);
		why = xasprintf("超過 %d 天未使用 / unused for more than %d "
				"days: %s %.4s-%.2s-%.2s",
				days, days, what, when, when + 4, when + 6);
		decision = mode == PURGE_DELETE	   ? "delete"
			   : mode == PURGE_DISABLE ? "disable"
						   : "inactive";
		if (mode == PURGE_DISABLE && status_is(e, "disabled"))
			continue;
		ok = 1;
		if (mode == PURGE_DISABLE)
			ok = lifecycle_disable(dir, uid, why, &changed, &err) ==
			     0;
		else if (mode == PURGE_DELETE)
			ok = lifecycle_delete(dir, uid, why, &err) == 0;
		report(ctx, uid, ok ? decision : "error", ok ? why : err);
	}
	free(why);
	dir_result_free(&res);
	return 0;
}
