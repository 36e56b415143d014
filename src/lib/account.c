/*
 * account - verify, uid check, apply, approve, show (see account.h).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "account.h"
#include "audit.h"
#include "config.h"
#include "dir.h"
#include "err.h"
#include "idhash.h"
#include "kcg.h"
#include "mailaddr.h"
#include "natid.h"
#include "pwquality.h"
#include "rocdate.h"
#include "roster.h"
#include "utf8.h"
#include "vmethod.h"
#include "xalloc.h"

#define MSG_NO_RECORD                                                                        \
	"查無符合的在職人員資料，請確認姓名與身分證字號 / no active " \
	"employee record matches this name and national ID"
#define MSG_UID_TAKEN "此帳號已被使用 / this uid is taken"

/* what hr_from_entry() and claim() read of a roster record */
#define ROSTER_ATTRS                                                           \
	"cn", "kcgCategory", "kcgAgency", "kcgUnit", "title", "kcgHireDate",   \
		"kcgAccountType", "kcgEmploymentStatus",                       \
		"kcgNationalIdMasked", "kcgAccountUid", "kcgAccountClaimTime"

static const char *const roster_attrs[] = {ROSTER_ATTRS, NULL};

char *account_dn(const struct dir *dir, const char *uid)
{
	char *parent = xasprintf("ou=people,%s", dir_suffix(dir));
	char *dn = dir_dn("uid", uid, parent);

	free(parent);
	return dn;
}

/* people_base - ou=people,<suffix> in new memory. */
static char *people_base(const struct dir *dir)
{
	return xasprintf("ou=people,%s", dir_suffix(dir));
}

/* dupe - VALUE or "" in new memory. */
static char *dupe(const char *value)
{
	return xstrdup(value != NULL ? value : "");
}

/* trimmed_equal - A equals B, ignoring ASCII white space around B. */
static int name_matches(const char *stored, const char *given)
{
	size_t len;

	while (*given == ' ' || *given == '\t')
		given++;
	len = strlen(given);
	while (len > 0 && (given[len - 1] == ' ' || given[len - 1] == '\t'))
		len--;
	return stored != NULL && strlen(stored) == len &&
	       memcmp(stored, given, len) == 0;
}

/* hr_from_entry - the HR record in roster entry E. */
static struct account_hr *hr_from_entry(const struct dir_entry *e,
					const char *hash)
{
	struct account_hr *hr = xcalloc(1, sizeof(*hr));
	const char *hire = dir_entry_value(e, "kcgHireDate");
	struct rocdate d;
	char buf[32] = "";

	if (hire != NULL && rocdate_from_generalized(hire, &d) == 0)
		rocdate_format(&d, buf, sizeof(buf));
	hr->name = dupe(dir_entry_value(e, "cn"));
	hr->category = dupe(dir_entry_value(e, "kcgCategory"));
	hr->agency = dupe(dir_entry_value(e, "kcgAgency"));
	hr->unit = dupe(dir_entry_value(e, "kcgUnit"));
	hr->title = dupe(dir_entry_value(e, "title"));
	hr->hire_date = xstrdup(buf);
	hr->account_type = dupe(dir_entry_value(e, "kcgAccountType"));
	hr->masked_id = dupe(dir_entry_value(e, "kcgNationalIdMasked"));
	hr->roster_dn = xstrdup(dir_entry_dn(e));
	hr->id_hash = xstrdup(hash);
	return hr;
}

/* find_account_by_hash - the uid of the account of person HASH, if any. */
static int find_account_by_hash(struct dir *dir, const char *hash, char **uid_r,
				const char **error_r)
{
	static const char *const attrs[] = {"uid", NULL};
	struct dir_result *res = NULL;
	char *base = people_base(dir);
	char *filter = NULL, *esc = dir_filter_value(hash);
	int r;

	filter = xasprintf("(&(objectClass=kcgAccount)(kcgNationalIdHash=%s))",
			   esc);
	r = dir_search(dir, base, DIR_SCOPE_ONE, filter, attrs, &res, error_r);
	if (r < 0)
		goto out;
	*uid_r =
		dir_result_count(res) > 0
			? dupe(dir_entry_value(dir_result_entry(res, 0), "uid"))
			: NULL;
out:
	dir_result_free(&res);
	free(filter);
	free(esc);
	free(base);
	return r;
}

/* person_hash - check NAME and NATIONAL_ID as given and compute the ID
 * hash that names the person's roster record. */
static int person_hash(const struct idhash *ih, const char *name,
		       const char *national_id, char hash_r[IDHASH_HEX_LEN + 1],
		       const char **error_r)
{
	char id[NATID_LEN + 1];
	int r;

	if (name == NULL || name[strspn(name, " \t")] == '\0') {
		*error_r = "請輸入姓名 / the name is empty";
		return KCG_EINVAL;
	}
	if (!utf8_valid(name, strlen(name))) {
		*error_r = "姓名含無效的 UTF-8 或控制字元 / the name holds "
			   "invalid UTF-8 or a control character";
		return KCG_EINVAL;
	}
	r = natid_normalize(national_id, id, NULL, error_r);
	if (r < 0)
		return r;
	r = idhash_compute(ih, id, hash_r);
	explicit_bzero(id, sizeof(id));
	if (r < 0)
		*error_r = "無法計算雜湊 / cannot compute the ID hash";
	return r;
}

/* roster_usable - roster entry E (or NULL: none) is an active employee
 * named NAME. The same answer for every failure: nobody probes the
 * roster through it. */
static int roster_usable(const struct dir_entry *e, const char *name,
			 const char **error_r)
{
	const char *status =
		e != NULL ? dir_entry_value(e, "kcgEmploymentStatus") : NULL;

	if (status == NULL || strcmp(status, "active") != 0 ||
	    !name_matches(dir_entry_value(e, "cn"), name)) {
		*error_r = MSG_NO_RECORD;
		return KCG_ENOTFOUND;
	}
	return 0;
}

/* roster_person - the active roster record of NAME with NATIONAL_ID. */
static int roster_person(struct dir *dir, const struct idhash *ih,
			 const char *name, const char *national_id,
			 char hash_r[IDHASH_HEX_LEN + 1],
			 struct dir_entry **e_r, const char **error_r)
{
	struct dir_entry *e = NULL;
	char *dn = NULL;
	int r;

	r = person_hash(ih, name, national_id, hash_r, error_r);
	if (r < 0)
		return r;
	dn = roster_dn(dir, hash_r);
	r = dir_read(dir, dn, roster_attrs, &e, error_r);
	if (r == KCG_ENOTFOUND)
		*error_r = MSG_NO_RECORD;
	if (r == 0)
		r = roster_usable(e, name, error_r);
	if (r == 0) {
		*e_r = e;
		e = NULL;
	}
	free(dn);
	dir_entry_free(&e);
	return r;
}

int account_verify(struct dir *dir, const struct idhash *ih, const char *name,
		   const char *national_id, struct account_hr **hr_r,
		   const char **error_r)
{
	char hash[IDHASH_HEX_LEN + 1];
	struct dir_entry *e = NULL;
	char *uid = NULL;
	int r;

	r = roster_person(dir, ih, name, national_id, hash, &e, error_r);
	if (r < 0)
		return r;
	r = find_account_by_hash(dir, hash, &uid, error_r);
	if (r < 0)
		goto out;
	if (uid != NULL) {
		*error_r = ACCOUNT_MSG_HAS_ACCOUNT;
		r = KCG_ECONFLICT;
		goto out;
	}
	*hr_r = hr_from_entry(e, hash);
out:
	free(uid);
	dir_entry_free(&e);
	return r;
}

int account_find_person(struct dir *dir, const struct idhash *ih,
			const char *name, const char *national_id, char **uid_r,
			const char **error_r)
{
	char hash[IDHASH_HEX_LEN + 1];
	struct dir_entry *e = NULL;
	int r;

	r = roster_person(dir, ih, name, national_id, hash, &e, error_r);
	if (r == 0)
		r = find_account_by_hash(dir, hash, uid_r, error_r);
	dir_entry_free(&e);
	return r;
}

int account_uid_check(struct dir *dir, const struct kcg_config *cfg,
		      const char *uid, char uid_r[UIDNAME_MAX + 1],
		      const char **error_r)
{
	static const char *const attrs[] = {"1.1", NULL};
	char norm[UIDNAME_MAX + 1];
	struct dir_result *res = NULL;
	char *base = NULL, *filter = NULL, *mail = NULL, *esc_uid = NULL,
	     *esc_mail = NULL;
	int r;

	r = uidname_normalize(uid, norm, error_r);
	if (r < 0)
		return r;
	base = people_base(dir);
	mail = xasprintf("%s@%s", norm, cfg->mail_domain);
	esc_uid = dir_filter_value(norm);
	esc_mail = dir_filter_value(mail);
	filter = xasprintf("(|(uid=%s)(kcgMail=%s))", esc_uid, esc_mail);
	r = dir_search(dir, base, DIR_SCOPE_SUB, filter, attrs, &res, error_r);
	if (r < 0)
		goto out;
	if (dir_result_count(res) > 0) {
		*error_r = MSG_UID_TAKEN;
		r = KCG_ECONFLICT;
		goto out;
	}
	memcpy(uid_r, norm, sizeof(norm));
out:
	dir_result_free(&res);
	free(filter);
	free(esc_mail);
	free(esc_uid);
	free(mail);
	free(base);
	return r;
}

/*
 * apply_lookup - what account_verify() and account_uid_check() find, in
 * one search under the suffix instead of three round trips (apply runs
 * them back to back, and a batch of applies keeps slapd's cores busy):
 * the roster record of NAME with NATIONAL_ID, an account of that person,
 * and an account holding UID (normalized) or its mailbox address. Fails
 * as they do and in their order: KCG_ENOTFOUND (MSG_NO_RECORD), then
 * KCG_ECONFLICT with ACCOUNT_MSG_HAS_ACCOUNT, then with MSG_UID_TAKEN.
 * The filter names no objectClass (its index lists every account, more
 * work than the search); the entries are told apart by attributes their
 * classes require: kcgAccountStatus on an account, kcgEmploymentStatus
 * on a roster record.
 */
static int apply_lookup(struct dir *dir, const struct kcg_config *cfg,
			const struct idhash *ih, const char *name,
			const char *national_id, const char *uid,
			struct account_hr **hr_r, const char **error_r)
{
	static const char *const attrs[] = {ROSTER_ATTRS, "kcgNationalIdHash",
					    "kcgAccountStatus", NULL};
	char hash[IDHASH_HEX_LEN + 1];
	struct dir_result *res = NULL;
	const struct dir_entry *e, *roster = NULL;
	const char *id;
	char *filter = NULL, *mail = NULL, *esc_hash = NULL, *esc_uid = NULL,
	     *esc_mail = NULL;
	int r, same, has_account = 0, taken = 0;
	size_t i;

	r = person_hash(ih, name, national_id, hash, error_r);
	if (r < 0)
		return r;
	mail = xasprintf("%s@%s", uid, cfg->mail_domain);
	esc_hash = dir_filter_value(hash);
	esc_uid = dir_filter_value(uid);
	esc_mail = dir_filter_value(mail);
	filter = xasprintf("(|(kcgNationalIdHash=%s)(uid=%s)(kcgMail=%s))",
			   esc_hash, esc_uid, esc_mail);
	r = dir_search(dir, dir_suffix(dir), DIR_SCOPE_SUB, filter, attrs, &res,
		       error_r);
	if (r < 0)
		goto out;
	for (i = 0; i < dir_result_count(res); i++) {
		e = dir_result_entry(res, i);
		id = dir_entry_value(e, "kcgNationalIdHash");
		same = id != NULL && strcasecmp(id, hash) == 0;
		if (dir_entry_value(e, "kcgAccountStatus") != NULL) {
			if (same)
				has_account = 1;
			else
				taken = 1;
		} else if (same &&
			   dir_entry_value(e, "kcgEmploymentStatus") != NULL) {
			roster = e;
		}
	}
	r = roster_usable(roster, name, error_r);
	if (r < 0)
		goto out;
	if (has_account || taken) {
		*error_r =
			has_account ? ACCOUNT_MSG_HAS_ACCOUNT : MSG_UID_TAKEN;
		r = KCG_ECONFLICT;
		goto out;
	}
	*hr_r = hr_from_entry(roster, hash);
out:
	dir_result_free(&res);
	free(filter);
	free(esc_mail);
	free(esc_uid);
	free(esc_hash);
	free(mail);
	return r;
}

/* check_password - the seed's rules, before slapd has its say. */
static int check_password(const char *pw, const char *uid, const char **error_r)
{
	enum pwquality_result q;

	q = pwquality_check(pw, pw != NULL ? strlen(pw) : 0, uid);
	if (q != PWQ_OK) {
		*error_r = pwquality_message(q);
		return KCG_EPOLICY;
	}
	return 0;
}

/* check_request - everything about REQ that needs no directory. */
static int check_request(const struct kcg_config *cfg,
			 const struct account_apply_req *req,
			 char uid_r[UIDNAME_MAX + 1],
			 char recovery_r[MAILADDR_MAX + 1],
			 const char **error_r)
{
	int r;

	if (req->privacy_version == NULL ||
	    strcmp(req->privacy_version, cfg->privacy_version) != 0) {
		*error_r = err_fmt("必須同意目前版本 %s 的個人資料告知聲明 / "
				   "you must agree to the current privacy "
				   "notice, version %s",
				   cfg->privacy_version, cfg->privacy_version);
		return KCG_EINVAL;
	}
	if (req->method != NULL && vmethod_find(req->method) == NULL) {
		*error_r = "未知的驗證方式 / unknown verification method";
		return KCG_EINVAL;
	}
	r = uidname_normalize(req->uid, uid_r, error_r);
	if (r < 0)
		return r;
	recovery_r[0] = '\0';
	if (req->want_mail) {
		if (req->mail_rules_version == NULL ||
		    strcmp(req->mail_rules_version, cfg->mail_rules_version) !=
			    0) {
			*error_r = err_fmt("必須同意目前版本 %s 的電子信箱帳號"
					   "使用管理要點 / you must agree to "
					   "the current mailbox rules, version "
					   "%s",
					   cfg->mail_rules_version,
					   cfg->mail_rules_version);
			return KCG_EINVAL;
		}
		if (req->recovery_mail == NULL) {
			*error_r = "請輸入密碼復原用電子郵件 / a recovery "
				   "address is required with a mailbox";
			return KCG_EINVAL;
		}
	}
	if (req->recovery_mail != NULL) {
		r = mailaddr_normalize(req->recovery_mail, recovery_r, error_r);
		if (r < 0)
			return r;
		if (mailaddr_in_domain(recovery_r, cfg->mail_domain)) {
			*error_r = err_fmt("密碼復原用電子郵件不可為 @%s 信箱 "
					   "/ the recovery address must be "
					   "outside %s",
					   cfg->mail_domain, cfg->mail_domain);
			return KCG_EINVAL;
		}
	}
	return check_password(req->password, uid_r, error_r);
}

/* claim - mark the roster record as taken by UID, atomically. */
static int claim(struct dir *dir, const struct kcg_config *cfg,
		 const struct account_hr *hr, const char *uid,
		 const char **error_r)
{
	struct dir_mods *mods = NULL;
	struct dir_entry *e = NULL;
	const char *old_uid, *old_time;
	char now[16];
	char *dn = NULL, *existing = NULL;
	long long t;
	int r, attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		dir_mods_free(&mods);
		mods = dir_mods_new();
		dir_time_now(now);
		dir_mods_add(mods, DIR_MOD_ADD, "kcgAccountUid", uid);
		dir_mods_add(mods, DIR_MOD_REPLACE, "kcgAccountClaimTime", now);
		r = dir_modify(dir, hr->roster_dn, mods, error_r);
		if (r != KCG_ECONFLICT)
			goto out;
		/* Claimed already: by a live account, a racing apply, or a
		 * crash between claim and add? */
		dir_entry_free(&e);
		r = dir_read(dir, hr->roster_dn, roster_attrs, &e, error_r);
		if (r < 0)
			goto out;
		old_uid = dir_entry_value(e, "kcgAccountUid");
		old_time = dir_entry_value(e, "kcgAccountClaimTime");
		if (old_uid == NULL)
			continue; /* released meanwhile: try again */
		free(dn);
		dn = account_dn(dir, old_uid);
		dir_entry_free(&e);
		r = dir_read(dir, dn, NULL, &e, error_r);
		if (r == 0 || r != KCG_ENOTFOUND) {
			if (r == 0) {
				*error_r = ACCOUNT_MSG_HAS_ACCOUNT;
				r = KCG_ECONFLICT;
			}
			goto out;
		}
		if (old_time == NULL || dir_time_parse(old_time, &t) < 0 ||
		    (long long)time(NULL) - t < cfg->claim_stale_seconds) {
			*error_r =
				"此人員的帳號申請正在處理中 / an application "
				"for this person is in progress";
			r = KCG_ECONFLICT;
			goto out;
		}
		/* A stale claim: remove exactly that one (compare-and-swap;
		 * a racer that removed it first makes this fail). */
		existing = xstrdup(old_uid);
		dir_mods_free(&mods);
		mods = dir_mods_new();
		dir_mods_add(mods, DIR_MOD_DELETE, "kcgAccountUid", existing);
		r = dir_modify(dir, hr->roster_dn, mods, error_r);
		free(existing);
		existing = NULL;
		if (r < 0 && r != KCG_ECONFLICT)
			goto out;
	}
	*error_r = "此人員的帳號申請正在處理中 / an application for this "
		   "person is in progress";
	r = KCG_ECONFLICT;
out:
	free(dn);
	dir_entry_free(&e);
	dir_mods_free(&mods);
	return r;
}

/* release - undo claim(); best effort, the claim lapses anyway. */
static void release(struct dir *dir, const struct account_hr *hr,
		    const char *uid)
{
	struct dir_mods *mods = dir_mods_new();
	const char *err = NULL;

	dir_mods_add(mods, DIR_MOD_DELETE, "kcgAccountUid", uid);
	dir_mods_add(mods, DIR_MOD_DELETE, "kcgAccountClaimTime", NULL);
	(void)dir_modify(dir, hr->roster_dn, mods, &err);
	dir_mods_free(&mods);
}

/* account_mods - the attributes of the new account. */
static struct dir_mods *account_mods(const struct kcg_config *cfg,
				     const struct account_apply_req *req,
				     const struct account_hr *hr,
				     const struct account_receipt *rc)
{
	struct dir_mods *m = dir_mods_new();
	char now[16], quota[32];

	dir_time_now(now);
	dir_mods_add(m, DIR_MOD_ADD, "objectClass", "inetOrgPerson");
	dir_mods_add(m, DIR_MOD_ADD, "objectClass", "kcgAccount");
	dir_mods_add(m, DIR_MOD_ADD, "uid", rc->uid);
	dir_mods_add(m, DIR_MOD_ADD, "cn", hr->name);
	dir_mods_add(m, DIR_MOD_ADD, "sn", hr->name);
	dir_mods_add(m, DIR_MOD_ADD, "kcgAccountStatus", rc->status);
	dir_mods_add(m, DIR_MOD_ADD, "kcgRosterRef", hr->roster_dn);
	dir_mods_add(m, DIR_MOD_ADD, "kcgNationalIdHash", hr->id_hash);
	dir_mods_add(m, DIR_MOD_ADD, "kcgVerificationMethod", rc->method);
	dir_mods_add(m, DIR_MOD_ADD, "kcgPrivacyConsentVersion",
		     rc->privacy_version);
	dir_mods_add(m, DIR_MOD_ADD, "kcgPrivacyConsentTime", rc->privacy_time);
	dir_mods_add(m, DIR_MOD_ADD, "kcgApplyTime", now);
	dir_mods_add(m, DIR_MOD_ADD, "kcgAgency", hr->agency);
	dir_mods_add(m, DIR_MOD_ADD, "kcgCategory", hr->category);
	if (hr->unit[0] != '\0')
		dir_mods_add(m, DIR_MOD_ADD, "kcgUnit", hr->unit);
	if (hr->title[0] != '\0')
		dir_mods_add(m, DIR_MOD_ADD, "title", hr->title);
	if (hr->account_type[0] != '\0')
		dir_mods_add(m, DIR_MOD_ADD, "kcgAccountType",
			     hr->account_type);
	dir_mods_add(m, DIR_MOD_ADD, "kcgIkpdStatus", "none");
	dir_mods_add(m, DIR_MOD_ADD, "kcgMailEnabled",
		     rc->mail != NULL ? "TRUE" : "FALSE");
	if (rc->mail != NULL) {
		snprintf(quota, sizeof(quota), "%lld", cfg->mail_quota_bytes);
		dir_mods_add(m, DIR_MOD_ADD, "kcgMail", rc->mail);
		dir_mods_add(m, DIR_MOD_ADD, "kcgMailQuota", quota);
		dir_mods_add(m, DIR_MOD_ADD, "kcgMailRulesConsentVersion",
			     rc->mail_rules_version);
		dir_mods_add(m, DIR_MOD_ADD, "kcgMailRulesConsentTime",
			     rc->mail_rules_time);
	}
	if (rc->recovery_mail != NULL)
		dir_mods_add(m, DIR_MOD_ADD, "kcgRecoveryMail",
			     rc->recovery_mail);
	dir_mods_add_secret(m, DIR_MOD_ADD, "userPassword", req->password);
	return m;
}

/* apply_account - account_apply() without the audit record. */
static int apply_account(struct dir *dir, const struct kcg_config *cfg,
			 const struct idhash *ih,
			 const struct account_apply_req *req,
			 struct account_receipt **receipt_r,
			 const char **error_r)
{
	char recovery[MAILADDR_MAX + 1], uid[UIDNAME_MAX + 1], t[16];
	struct account_hr *hr = NULL;
	struct account_receipt *rc = NULL;
	struct dir_mods *mods = NULL;
	char *dn = NULL;
	int r, claimed = 0;

	r = check_request(cfg, req, uid, recovery, error_r);
	if (r < 0)
		goto out;
	r = apply_lookup(dir, cfg, ih, req->name, req->national_id, uid, &hr,
			 error_r);
	if (r < 0)
		goto out;

	rc = xcalloc(1, sizeof(*rc));
	rc->uid = xstrdup(uid);
	rc->status = xstrdup("pending");
	rc->method = xstrdup(req->method != NULL ? req->method
						 : VMETHOD_PERSONAL_DATA);
	rc->privacy_version = xstrdup(req->privacy_version);
	dir_time(req->privacy_time ? req->privacy_time : time(NULL), t);
	rc->privacy_time = xstrdup(t);
	if (req->want_mail) {
		rc->mail = xasprintf("%s@%s", uid, cfg->mail_domain);
		rc->mail_rules_version = xstrdup(req->mail_rules_version);
		dir_time(req->mail_rules_time ? req->mail_rules_time
					      : time(NULL),
			 t);
		rc->mail_rules_time = xstrdup(t);
	}
	if (recovery[0] != '\0')
		rc->recovery_mail = xstrdup(recovery);

	r = claim(dir, cfg, hr, uid, error_r);
	if (r < 0)
		goto out;
	claimed = 1;
	mods = account_mods(cfg, req, hr, rc);
	dn = account_dn(dir, uid);
	r = dir_add(dir, dn, mods, error_r);
	if (r == KCG_ECONFLICT && dir_last_code(dir) == 68 /* exists */)
		*error_r = MSG_UID_TAKEN;
	if (r < 0)
		goto out;
	claimed = 0;
	rc->hr = hr;
	hr = NULL;
	*receipt_r = rc;
	rc = NULL;
out:
	if (claimed)
		release(dir, hr, uid);
	dir_mods_free(&mods);
	free(dn);
	account_hr_free(&hr);
	account_receipt_free(&rc);
	return r;
}

/* no_account - the message for a uid that has no account. */
static const char *no_account(const char *uid)
{
	return err_fmt("沒有帳號 %s / no account %s", uid, uid);
}

/* uid_dn - normalize UID into norm_r and give its DN (caller frees). */
static int uid_dn(struct dir *dir, const char *uid,
		  char norm_r[UIDNAME_MAX + 1], char **dn_r,
		  const char **error_r)
{
	int r = uidname_normalize(uid, norm_r, error_r);

	if (r == 0)
		*dn_r = account_dn(dir, norm_r);
	return r;
}

int account_read(struct dir *dir, const char *uid, const char *const *attrs,
		 char norm_r[UIDNAME_MAX + 1], struct dir_entry **entry_r,
		 const char **error_r)
{
	char *dn = NULL;
	int r;

	r = uid_dn(dir, uid, norm_r, &dn, error_r);
	if (r < 0)
		return r;
	r = dir_read(dir, dn, attrs, entry_r, error_r);
	if (r == KCG_ENOTFOUND)
		*error_r = no_account(norm_r);
	free(dn);
	return r;
}

/* existing_dn - account_read() that also gives the DN (caller frees);
 * without E_R the entry is dropped. */
static int existing_dn(struct dir *dir, const char *uid,
		       char norm_r[UIDNAME_MAX + 1], char **dn_r,
		       struct dir_entry **e_r, const char *const *attrs,
		       const char **error_r)
{
	struct dir_entry *e = NULL;
	int r;

	r = account_read(dir, uid, attrs, norm_r, &e, error_r);
	if (r < 0)
		return r;
	*dn_r = xstrdup(dir_entry_dn(e));
	if (e_r != NULL)
		*e_r = e;
	else
		dir_entry_free(&e);
	return 0;
}

/* approve - account_approve() without the audit record. */
static int approve(struct dir *dir, const char *uid, const char **error_r)
{
	static const char *const attrs[] = {"kcgAccountStatus", NULL};
	char norm[UIDNAME_MAX + 1], now[16];
	struct dir_mods *mods = NULL;
	struct dir_entry *e = NULL;
	char *dn = NULL;
	const char *status;
	int r;

	r = uid_dn(dir, uid, norm, &dn, error_r);
	if (r < 0)
		return r;
	dir_time_now(now);
	mods = dir_mods_new();
	dir_mods_add(mods, DIR_MOD_DELETE, "kcgAccountStatus", "pending");
	dir_mods_add(mods, DIR_MOD_ADD, "kcgAccountStatus", "active");
	dir_mods_add(mods, DIR_MOD_REPLACE, "kcgApproveTime", now);
	r = dir_modify(dir, dn, mods, error_r);
	if (r == KCG_ENOTFOUND)
		*error_r = no_account(norm);
	if (r != KCG_ECONFLICT)
		goto out;
	if (dir_read(dir, dn, attrs, &e, error_r) == 0) {
		status = dir_entry_value(e, "kcgAccountStatus");
		*error_r = err_fmt("帳號 %s 不在待審核狀態 / account %s is not "
				   "pending (status: %s)",
				   norm, norm, status ? status : "?");
	}
out:
	dir_entry_free(&e);
	dir_mods_free(&mods);
	free(dn);
	return r;
}

int account_show(struct dir *dir, const char *uid, struct dir_entry **entry_r,
		 char **masked_id_r, const char **error_r)
{
	static const char *const attrs[] = {
		"uid",
		"cn",
		"kcgAccountStatus",
		"kcgStatusReason",
		"kcgVerificationMethod",
		"kcgCategory",
		"kcgAgency",
		"kcgUnit",
		"title",
		"kcgAccountType",
		"kcgMailEnabled",
		"kcgMail",
		"kcgMailQuota",
		"kcgRecoveryMail",
		"kcgPrivacyConsentVersion",
		"kcgPrivacyConsentTime",
		"kcgMailRulesConsentVersion",
		"kcgMailRulesConsentTime",
		"kcgIkpdStatus",
		"kcgIkpdAccountType",
		"kcgApplyTime",
		"kcgApproveTime",
		"kcgRosterRef",
		"createTimestamp",
		"modifyTimestamp",
		"pwdChangedTime",
		"pwdLastSuccess",
		"pwdAccountLockedTime",
		"pwdFailureTime",
		NULL,
	};
	static const char *const roster_masked[] = {"kcgNationalIdMasked",
						    NULL};
	char norm[UIDNAME_MAX + 1];
	struct dir_entry *e = NULL, *re = NULL;
	const char *ref, *err = NULL;
	char *dn = NULL;
	int r;

	r = existing_dn(dir, uid, norm, &dn, &e, attrs, error_r);
	if (r < 0)
		return r;
	ref = dir_entry_value(e, "kcgRosterRef");
	if (ref != NULL)
		(void)dir_read(dir, ref, roster_masked, &re, &err);
	*masked_id_r =
		dupe(re ? dir_entry_value(re, "kcgNationalIdMasked") : NULL);
	*entry_r = e;
	dir_entry_free(&re);
	free(dn);
	return r;
}

/* change_password - account_passwd() without the audit record. */
static int change_password(struct dir *dir, const struct kcg_config *cfg,
			   const char *uid, const char *old_pw,
			   const char *new_pw, const char **error_r)
{
	static const char *const attrs[] = {"1.1", NULL};
	char norm[UIDNAME_MAX + 1];
	struct dir *user = NULL;
	char *dn = NULL;
	int r;

	r = existing_dn(dir, uid, norm, &dn, NULL, attrs, error_r);
	if (r < 0)
		return r;
	r = check_password(new_pw, norm, error_r);
	if (r < 0)
		goto out;
	r = dir_open_user(cfg, dn, old_pw, &user, error_r);
	if (r < 0)
		goto out;
	r = dir_passwd(user, dn, old_pw, new_pw, error_r);
out:
	dir_free(&user);
	free(dn);
	return r;
}

/* reset_password - account_reset() without the audit record. */
static int reset_password(struct dir *dir, const char *uid, const char *new_pw,
			  const char **error_r)
{
	static const char *const attrs[] = {"1.1", NULL};
	char norm[UIDNAME_MAX + 1];
	char *dn = NULL;
	int r;

	r = existing_dn(dir, uid, norm, &dn, NULL, attrs, error_r);
	if (r < 0)
		return r;
	r = check_password(new_pw, norm, error_r);
	if (r == 0)
		r = dir_passwd(dir, dn, NULL, new_pw, error_r);
	free(dn);
	return r;
}

/* unlock - account_unlock() without the audit record. */
static int unlock(struct dir *dir, const char *uid, int *was_locked_r,
		  const char **error_r)
{
	static const char *const attrs[] = {"pwdAccountLockedTime",
					    "kcgAccountStatus", NULL};
	char norm[UIDNAME_MAX + 1];
	struct dir_entry *e = NULL;
	struct dir_mods *mods = NULL;
	const char *status;
	char *dn = NULL;
	int r;

	*was_locked_r = 0;
	r = existing_dn(dir, uid, norm, &dn, &e, attrs, error_r);
	if (r < 0)
		return r;
	/* A disabled account's lock is the disable itself: only enable
	 * (which checks the HR roster) may lift it. */
	status = dir_entry_value(e, "kcgAccountStatus");
	if (status != NULL && strcmp(status, "disabled") == 0) {
		*error_r =
			err_fmt("帳號 %s 已停用，請用 enable / account %s is "
				"disabled: use kcgidm enable",
				norm, norm);
		r = KCG_ECONFLICT;
		goto out;
	}
	*was_locked_r = dir_entry_value(e, "pwdAccountLockedTime") != NULL;
	if (*was_locked_r) {
		/* pwdFailureTime is slapd's own (no user modification); the
		 * next successful bind clears it. */
		mods = dir_mods_new();
		dir_mods_add(mods, DIR_MOD_DELETE, "pwdAccountLockedTime",
			     NULL);
		r = dir_modify(dir, dn, mods, error_r);
		if (r == KCG_ECONFLICT) /* unlocked meanwhile */
			r = 0;
	}
out:
	dir_mods_free(&mods);
	dir_entry_free(&e);
	free(dn);
	return r;
}

void account_hr_free(struct account_hr **hrp)
{
	struct account_hr *hr = *hrp;

	if (hr == NULL)
		return;
	free(hr->name);
	free(hr->category);
	free(hr->agency);
	free(hr->unit);
	free(hr->title);
	free(hr->hire_date);
	free(hr->account_type);
	free(hr->masked_id);
	free(hr->roster_dn);
	free(hr->id_hash);
	free(hr);
	*hrp = NULL;
}

void account_receipt_free(struct account_receipt **rp)
{
	struct account_receipt *rc = *rp;

	if (rc == NULL)
		return;
	free(rc->uid);
	free(rc->mail);
	free(rc->recovery_mail);
	free(rc->status);
	free(rc->method);
	free(rc->privacy_version);
	free(rc->privacy_time);
	free(rc->mail_rules_version);
	free(rc->mail_rules_time);
	account_hr_free(&rc->hr);
	free(rc);
	*rp = NULL;
}

int account_apply(struct dir *dir, const struct kcg_config *cfg,
		  const struct idhash *ih, const struct account_apply_req *req,
		  struct account_receipt **receipt_r, const char **error_r)
{
	int r = apply_account(dir, cfg, ih, req, receipt_r, error_r);

	/* the note says how the applicant was verified (驗證方式) */
	audit_result("apply", req->uid, r, r < 0 ? *error_r : NULL,
		     r < 0 ? NULL
			   : err_fmt("pending%s; verified: %s",
				     req->want_mail ? ", with a mailbox" : "",
				     req->method != NULL
					     ? req->method
					     : VMETHOD_PERSONAL_DATA));
	return r;
}

int account_approve(struct dir *dir, const char *uid, const char **error_r)
{
	int r = approve(dir, uid, error_r);

	audit_result("approve", uid, r, r < 0 ? *error_r : NULL, NULL);
	return r;
}

int account_passwd(struct dir *dir, const struct kcg_config *cfg,
		   const char *uid, const char *old_pw, const char *new_pw,
		   const char **error_r)
{
	int r = change_password(dir, cfg, uid, old_pw, new_pw, error_r);

	audit_result("password-change", uid, r, r < 0 ? *error_r : NULL, NULL);
	return r;
}

int account_reset(struct dir *dir, const char *uid, const char *new_pw,
		  const char **error_r)
{
	int r = reset_password(dir, uid, new_pw, error_r);

	audit_result("password-reset", uid, r, r < 0 ? *error_r : NULL,
		     "by an admin");
	return r;
}

int account_unlock(struct dir *dir, const char *uid, int *was_locked_r,
		   const char **error_r)
{
	int r = unlock(dir, uid, was_locked_r, error_r);

	audit_result("unlock", uid, r, r < 0 ? *error_r : NULL,
		     r == 0 && *was_locked_r ? "was locked" : "was not locked");
	return r;
}
