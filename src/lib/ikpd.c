/*
 * ikpd - IKPD portal registration and activation (see ikpd.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "account.h"
#include "audit.h"
#include "config.h"
#include "dir.h"
#include "err.h"
#include "idhash.h"
#include "ikpd.h"
#include "kcg.h"
#include "natid.h"
#include "outbox.h"
#include "pwquality.h"
#include "rocdate.h"
#include "token.h"
#include "xalloc.h"

#define MSG_NO_MAILBOX                                                         \
	"查無已開通的市府信箱帳號 / no active city mailbox has this name"
#define MSG_MISMATCH                                                                       \
	"身分證號或生日與人事資料不符 / the national ID or birth date does " \
	"not match"

static const char subject[] = "高雄市政府人事處iKPD人事服務網帳號開通通知";

/* local_part - "abc" from "abc" or "abc@<domain>", normalized. */
static int local_part(const struct kcg_config *cfg, const char *mail,
		      char uid_r[UIDNAME_MAX + 1], const char **error_r)
{
	const char *at = strchr(mail, '@');
	char buf[UIDNAME_MAX + 2];
	size_t len = at != NULL ? (size_t)(at - mail) : strlen(mail);

	if (at != NULL && strcasecmp(at + 1, cfg->mail_domain) != 0) {
		*error_r = err_fmt("請輸入 @%s 信箱 @ 前的字串 / give the part "
				   "before @%s",
				   cfg->mail_domain, cfg->mail_domain);
		return KCG_EINVAL;
	}
	if (len > UIDNAME_MAX) {
		*error_r = "帳號太長 / the account name is too long";
		return KCG_EINVAL;
	}
	memcpy(buf, mail, len);
	buf[len] = '\0';
	return uidname_normalize(buf, uid_r, error_r);
}

/* body - the seed's activation mail with LINK and the expiry written out. */
static char *body(const struct kcg_config *cfg, const char *link,
		  long long expiry)
{
	char when[64];

	outbox_taipei_time(expiry, when);
	return xasprintf(
		"您好，\n\n"
		"歡迎您申請使用高雄市政府人事處iKPD人事服務網，請點擊以下超連結"
		"，"
		"即可完成帳號開通。若無法點選超連結，請複製下列網址至您的瀏覽器"
		"(IE、Chrome等)\n\n"
		"%s\n\n"
		"若您不是本人，請忽略此郵件。\n\n"
		"請於%d小時內啟用此帳號，%d小時後此連結自動失效。\n"
		"此連結將於 %s 失效。\n\n"
		"若在%d小時後啟用，請回到高雄市政府人事處iKPD人事服務網重新申請"
		"帳號。\n\n"
		"※ 本信件由系統直接發送！請勿直接回覆，謝謝！\n",
		link, cfg->ikpd_token_hours, cfg->ikpd_token_hours, when,
		cfg->ikpd_token_hours);
}

/* check_person - step 1's ID and birth date against the roster. */
static int check_person(struct dir *dir, const struct idhash *ih,
			const struct dir_entry *acct,
			const struct ikpd_register_req *req,
			const char **error_r)
{
	static const char *const attrs[] = {"kcgBirthDate", NULL};
	char id[NATID_LEN + 1], hash[IDHASH_HEX_LEN + 1], gt[16];
	struct rocdate birth;
	struct dir_entry *roster = NULL;
	const char *ref = dir_entry_value(acct, "kcgRosterRef");
	const char *stored = dir_entry_value(acct, "kcgNationalIdHash");
	const char *stored_birth;
	int r;

	r = natid_normalize(req->national_id, id, NULL, error_r);
	if (r < 0)
		return r;
	r = rocdate_parse(req->birth_date, &birth, error_r);
	if (r < 0)
		goto out;
	rocdate_to_generalized(&birth, gt);
	r = idhash_compute(ih, id, hash);
	if (r < 0) {
		*error_r = "無法計算雜湊 / cannot hash";
		goto out;
	}
	if (ref == NULL || stored == NULL || strcasecmp(stored, hash) != 0) {
		*error_r = MSG_MISMATCH;
		r = KCG_ENOTFOUND;
		goto out;
	}
	r = dir_read(dir, ref, attrs, &roster, error_r);
	if (r == KCG_ENOTFOUND)
		*error_r = MSG_MISMATCH;
	if (r < 0)
		goto out;
	stored_birth = dir_entry_value(roster, "kcgBirthDate");
	if (stored_birth == NULL || strcmp(stored_birth, gt) != 0) {
		*error_r = MSG_MISMATCH;
		r = KCG_ENOTFOUND;
	}
out:
	explicit_bzero(id, sizeof(id));
	dir_entry_free(&roster);
	return r;
}

/* step1 - the mail local part, ID and birth date of REQ name an active
 * mailbox whose IKPD is not active; the uid and the account entry. */
static int step1(struct dir *dir, const struct kcg_config *cfg,
		 const struct idhash *ih, const struct ikpd_register_req *req,
		 char uid_r[UIDNAME_MAX + 1], struct dir_entry **acct_r,
		 const char **error_r)
{
	static const char *const attrs[] = {
		"cn",
		"kcgAccountStatus",
		"kcgMailEnabled",
		"kcgMail",
		"kcgRosterRef",
		"kcgNationalIdHash",
		"kcgIkpdStatus",
		"kcgAccountType",
		NULL,
	};
	struct dir_entry *acct = NULL;
	char *dn = NULL;
	const char *v;
	int r;

	r = local_part(cfg, req->mail, uid_r, error_r);
	if (r < 0)
		return r;
	dn = account_dn(dir, uid_r);
	r = dir_read(dir, dn, attrs, &acct, error_r);
	free(dn);
	if (r == KCG_ENOTFOUND)
		*error_r = MSG_NO_MAILBOX;
	if (r < 0)
		return r;
	v = dir_entry_value(acct, "kcgAccountStatus");
	if (v == NULL || strcmp(v, "active") != 0 ||
	    (v = dir_entry_value(acct, "kcgMailEnabled")) == NULL ||
	    strcmp(v, "TRUE") != 0) {
		*error_r = MSG_NO_MAILBOX;
		r = KCG_ENOTFOUND;
		goto out;
	}
	r = check_person(dir, ih, acct, req, error_r);
	if (r < 0)
		goto out;
	v = dir_entry_value(acct, "kcgIkpdStatus");
	if (v != NULL && strcmp(v, "active") == 0) {
		*error_r = "IKPD 帳號已開通，請直接登入 / IKPD is already "
			   "active for this account";
		r = KCG_ECONFLICT;
		goto out;
	}
	*acct_r = acct;
	acct = NULL;
out:
	dir_entry_free(&acct);
	return r;
}

int ikpd_identify(struct dir *dir, const struct kcg_config *cfg,
		  const struct idhash *ih, const char *mail,
		  const char *national_id, const char *birth_date, char **uid_r,
		  char **name_r, const char **error_r)
{
	struct ikpd_register_req req = {mail, national_id, birth_date, NULL};
	char uid[UIDNAME_MAX + 1];
	struct dir_entry *acct = NULL;
	const char *name;
	int r;

	r = step1(dir, cfg, ih, &req, uid, &acct, error_r);
	if (r < 0)
		return r;
	name = dir_entry_value(acct, "cn");
	*uid_r = xstrdup(uid);
	*name_r = xstrdup(name != NULL ? name : "");
	dir_entry_free(&acct);
	return 0;
}

/* do_register - the work of ikpd_register(), without the audit record. */
static int do_register(struct dir *dir, const struct kcg_config *cfg,
		       const struct idhash *ih,
		       const struct ikpd_register_req *req,
		       struct ikpd_registration **reg_r, const char **error_r)
{
	char uid[UIDNAME_MAX + 1], token[TOKEN_LEN + 1],
		hash[TOKEN_HASH_LEN + 1], expiry_gt[16];
	struct dir_entry *acct = NULL;
	struct dir *user = NULL;
	struct dir_mods *mods = NULL;
	struct ikpd_registration *reg = NULL;
	char *dn = NULL, *link = NULL, *text = NULL;
	const char *v, *err = NULL;
	enum pwquality_result q;
	long long expiry;
	int r;

	memset(token, 0, sizeof(token));
	r = step1(dir, cfg, ih, req, uid, &acct, error_r);
	if (r < 0)
		goto out;
	dn = account_dn(dir, uid);

	/* Step 2: the account password, proven by a bind as the user. */
	r = dir_open_user(cfg, dn, req->password, &user, error_r);
	if (r < 0)
		goto out;
	q = pwquality_check(req->password, strlen(req->password), uid);
	if (q != PWQ_OK) {
		*error_r = err_fmt("您的密碼不符合 IKPD 規則，請先變更密碼 / "
				   "change your password first: %s",
				   pwquality_message(q));
		r = KCG_EPOLICY;
		goto out;
	}

	/* Step 3: a new token replaces any earlier one. */
	r = token_issue(3600LL * cfg->ikpd_token_hours, token, hash, &expiry,
			error_r);
	if (r < 0)
		goto out;
	dir_time(expiry, expiry_gt);
	mods = dir_mods_new();
	dir_mods_add(mods, DIR_MOD_REPLACE, "kcgIkpdTokenHash", hash);
	dir_mods_add(mods, DIR_MOD_REPLACE, "kcgIkpdTokenExpiry", expiry_gt);
	dir_mods_add(mods, DIR_MOD_REPLACE, "kcgIkpdStatus", "registered");
	v = dir_entry_value(acct, "kcgAccountType");
	if (v != NULL)
		dir_mods_add(mods, DIR_MOD_REPLACE, "kcgIkpdAccountType", v);
	r = dir_modify(dir, dn, mods, error_r);
	if (r < 0)
		goto out;
	link = xasprintf("%s/ikpd/activate?token=%s", cfg->web_base_url, token);
	text = body(cfg, link, expiry);
	r = outbox_send(cfg, cfg->mail_from_ikpd,
			dir_entry_value(acct, "kcgMail"), subject, text,
			error_r);
	if (r < 0) {
		/* no mail, no registration: take the token back */
		dir_mods_free(&mods);
		mods = dir_mods_new();
		dir_mods_add(mods, DIR_MOD_DELETE, "kcgIkpdTokenHash", hash);
		dir_mods_add(mods, DIR_MOD_DELETE, "kcgIkpdTokenExpiry", NULL);
		(void)dir_modify(dir, dn, mods, &err);
		goto out;
	}
	reg = xcalloc(1, sizeof(*reg));
	reg->uid = xstrdup(uid);
	reg->name = xstrdup(
		dir_entry_value(acct, "cn") ? dir_entry_value(acct, "cn") : "");
	reg->mail = xstrdup(dir_entry_value(acct, "kcgMail"));
	reg->expiry = expiry;
	*reg_r = reg;
out:
	explicit_bzero(token, sizeof(token));
	if (link != NULL)
		explicit_bzero(link, strlen(link));
	if (text != NULL)
		explicit_bzero(text, strlen(text));
	free(link);
	free(text);
	dir_mods_free(&mods);
	dir_free(&user);
	dir_entry_free(&acct);
	free(dn);
	return r;
}

/* find_token - the account holding HASH as a live or a used token. */
static int find_token(struct dir *dir, const char *hash, struct dir_entry **e_r,
		      const char **error_r)
{
	static const char *const attrs[] = {
		"uid",
		"kcgIkpdTokenHash",
		"kcgIkpdTokenExpiry",
		"kcgIkpdUsedTokenHash",
		"kcgAccountStatus",
		NULL,
	};
	struct dir_result *res = NULL;
	char *base = xasprintf("ou=people,%s", dir_suffix(dir));
	char *filter =
		xasprintf("(|(kcgIkpdTokenHash=%s)(kcgIkpdUsedTokenHash=%s))",
			  hash, hash); /* HASH is hex: nothing to escape */
	int r;

	r = dir_search(dir, base, DIR_SCOPE_ONE, filter, attrs, &res, error_r);
	if (r == 0 && dir_result_count(res) != 1) {
		*error_r =
			"此連結無效，或已被較新的註冊取代 / this link is not "
			"valid (a newer registration replaces older links)";
		r = KCG_ENOTFOUND;
	}
	if (r == 0)
		*e_r = dir_result_take(res, 0);
	dir_result_free(&res);
	free(filter);
	free(base);
	return r;
}

/* do_activate - the work of ikpd_activate(), without the audit record. */
static int do_activate(struct dir *dir, const struct kcg_config *cfg,
		       const char *token, const char *password, char **uid_r,
		       const char **error_r)
{
	char hash[TOKEN_HASH_LEN + 1], now[16];
	struct dir_entry *e = NULL;
	struct dir *user = NULL;
	struct dir_mods *mods = NULL;
	const char *v;
	long long expiry;
	int r, attempt;

	r = token_hash(token, hash, error_r);
	if (r < 0)
		return r;
	for (attempt = 0; attempt < 2; attempt++) {
		dir_entry_free(&e);
		r = find_token(dir, hash, &e, error_r);
		if (r < 0)
			goto out;
		v = dir_entry_value(e, "kcgIkpdUsedTokenHash");
		if (v != NULL && strcasecmp(v, hash) == 0) {
			*error_r =
				"此連結已使用過，帳號已開通，請直接登入 / this "
				"link was used already; the account is "
				"active";
			r = KCG_ECONFLICT;
			goto out;
		}
		v = dir_entry_value(e, "kcgIkpdTokenExpiry");
		if (v == NULL || dir_time_parse(v, &expiry) < 0 ||
		    expiry <= (long long)time(NULL)) {
			*error_r =
				err_fmt("此連結已超過 %d 小時失效，請回到人事"
					"服務網重新註冊 / this link has "
					"expired: register again",
					cfg->ikpd_token_hours);
			r = KCG_EINVAL;
			goto out;
		}
		v = dir_entry_value(e, "kcgAccountStatus");
		if (v == NULL || strcmp(v, "active") != 0) {
			*error_r = MSG_NO_MAILBOX;
			r = KCG_ENOTFOUND;
			goto out;
		}
		if (user == NULL) {
			r = dir_open_user(cfg, dir_entry_dn(e), password, &user,
					  error_r);
			if (r < 0)
				goto out;
		}
		/* Single use: deleting the exact token value fails if
		 * someone else used or replaced it first. */
		dir_time_now(now);
		dir_mods_free(&mods);
		mods = dir_mods_new();
		dir_mods_add(mods, DIR_MOD_DELETE, "kcgIkpdTokenHash", hash);
		dir_mods_add(mods, DIR_MOD_DELETE, "kcgIkpdTokenExpiry", NULL);
		dir_mods_add(mods, DIR_MOD_REPLACE, "kcgIkpdUsedTokenHash",
			     hash);
		dir_mods_add(mods, DIR_MOD_REPLACE, "kcgIkpdStatus", "active");
		dir_mods_add(mods, DIR_MOD_REPLACE, "kcgIkpdActivateTime", now);
		r = dir_modify(dir, dir_entry_dn(e), mods, error_r);
		if (r != KCG_ECONFLICT)
			break;
	}
	if (r < 0)
		goto out;
	*uid_r = xstrdup(dir_entry_value(e, "uid"));
out:
	dir_mods_free(&mods);
	dir_free(&user);
	dir_entry_free(&e);
	return r;
}

void ikpd_registration_free(struct ikpd_registration **regp)
{
	struct ikpd_registration *reg = *regp;

	if (reg == NULL)
		return;
	free(reg->uid);
	free(reg->name);
	free(reg->mail);
	free(reg);
	*regp = NULL;
}

int ikpd_register(struct dir *dir, const struct kcg_config *cfg,
		  const struct idhash *ih, const struct ikpd_register_req *req,
		  struct ikpd_registration **reg_r, const char **error_r)
{
	int r = do_register(dir, cfg, ih, req, reg_r, error_r);

	audit_result("ikpd-register", req->mail, r, r < 0 ? *error_r : NULL,
		     "activation mail queued");
	return r;
}

int ikpd_activate(struct dir *dir, const struct kcg_config *cfg,
		  const char *token, const char *password, char **uid_r,
		  const char **error_r)
{
	int r = do_activate(dir, cfg, token, password, uid_r, error_r);

	audit_result("ikpd-activate", r == 0 ? *uid_r : "-", r,
		     r < 0 ? *error_r : NULL, NULL);
	return r;
}
