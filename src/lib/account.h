/*
 * account - the seed's application flow (section A): verify, uid check,
 * apply, approve, show.
 *
 * An account is uid=<uid>,ou=people,<suffix>, an inetOrgPerson with the
 * kcgAccount class, linked to its roster record. It is created in one LDAP
 * add, so there is never a half-made account. Two racing applications for
 * the same person cannot both win: before the add, the applicant's roster
 * record is claimed by adding the single-valued kcgAccountUid, which slapd
 * refuses atomically when it already has a value; the claim is released if
 * the add fails. (The unique overlay on uid, kcgMail and kcgNationalIdHash
 * is a second line of defence.) A claim left behind by a crash between the
 * two writes lapses after account.claim_stale_seconds.
 */
#ifndef KCG_ACCOUNT_H
#define KCG_ACCOUNT_H

#include "uidname.h"

struct dir;
struct dir_entry;
struct idhash;
struct kcg_config;

/* What the seed's 人員資訊 table shows, as stored in the roster. */
struct account_hr {
	char *name;	    /* 姓名 */
	char *category;	    /* 類別 */
	char *agency;	    /* 所屬機關 */
	char *unit;	    /* 所屬單位, may be "" */
	char *title;	    /* 職稱, may be "" */
	char *hire_date;    /* 到職日 as a ROC date ("99-12-25") or "" */
	char *account_type; /* personnel | general */
	char *masked_id;    /* E12*****89 */
	char *roster_dn;
	char *id_hash; /* hex */
};

/* The seed's 帳號申請單. */
struct account_receipt {
	char *uid;
	char *mail;	     /* NULL without a mailbox */
	char *recovery_mail; /* may be NULL */
	char *status;	     /* "pending" */
	char *method;	     /* VMETHOD_*: "personal-data", ... */
	char *privacy_version;
	char *privacy_time;	  /* GeneralizedTime */
	char *mail_rules_version; /* NULL without a mailbox */
	char *mail_rules_time;
	struct account_hr *hr;
};

struct account_apply_req {
	const char *name;
	const char *national_id;
	const char *uid;
	const char *password;
	const char *privacy_version; /* what the applicant agreed to */
	long long privacy_time;	     /* when; 0 = now */
	int want_mail;
	const char *mail_rules_version; /* required with want_mail */
	long long mail_rules_time;	/* 0 = now */
	const char *recovery_mail;	/* required with want_mail */
	const char *method; /* VMETHOD_* the caller verified with; NULL:
			       personal-data (see vmethod.h) */
};

/* The seed's messages, shown as is. */
#define ACCOUNT_MSG_HAS_ACCOUNT "您具備有效帳號，無法申請帳號。"
#define ACCOUNT_MSG_UID_OK	"通過"

/*
 * account_verify - 個人資料驗證: the person named NAME with NATIONAL_ID may
 * apply. Returns 0 with their HR record in *hr_r (free with
 * account_hr_free); KCG_EINVAL for a malformed ID or empty name;
 * KCG_ENOTFOUND when no active roster record matches both (the same
 * answer for a wrong name, a wrong ID and a former employee, so that
 * nobody can probe the roster); KCG_ECONFLICT with ACCOUNT_MSG_HAS_ACCOUNT
 * when they already hold an account.
 */
int account_verify(struct dir *dir, const struct idhash *ih, const char *name,
		   const char *national_id, struct account_hr **hr_r,
		   const char **error_r);

/*
 * account_find_person - the uid of the account of the active employee NAME
 * with NATIONAL_ID: 0 with *uid_r (caller frees) or NULL when they have
 * none; KCG_EINVAL / KCG_ENOTFOUND as account_verify.
 */
int account_find_person(struct dir *dir, const struct idhash *ih,
			const char *name, const char *national_id, char **uid_r,
			const char **error_r);

/*
 * account_uid_check - 檢查重複: UID is valid, not reserved and free.
 * Returns 0 with the normalized uid in uid_r; KCG_EINVAL with the reason
 * for bad syntax or a reserved name; KCG_ECONFLICT when taken.
 */
int account_uid_check(struct dir *dir, const struct kcg_config *cfg,
		      const char *uid, char uid_r[UIDNAME_MAX + 1],
		      const char **error_r);

/*
 * account_apply - 提出申請: check everything again and create the account,
 * status pending. Returns 0 with the receipt in *receipt_r (free with
 * account_receipt_free); KCG_EINVAL for bad input (consent version other
 * than the current one, bad addresses, ...); KCG_ENOTFOUND / KCG_ECONFLICT
 * as account_verify and account_uid_check; KCG_EPOLICY when the password
 * breaks the seed's rules or slapd's policy refused it; KCG_EDIR. On any
 * failure the directory is as before.
 */
int account_apply(struct dir *dir, const struct kcg_config *cfg,
		  const struct idhash *ih, const struct account_apply_req *req,
		  struct account_receipt **receipt_r, const char **error_r);

/*
 * account_approve - the review step: pending becomes active (a single
 * compare-and-swap modify). Returns 0; KCG_ENOTFOUND; KCG_ECONFLICT when
 * the account is not pending (with its status in the message).
 */
int account_approve(struct dir *dir, const char *uid, const char **error_r);

/*
 * account_show - the account as an admin needs to see it: its attributes
 * without the ID hash, tokens or passwords, plus the masked ID from its
 * roster record. Returns 0 with the entry in *entry_r (free with
 * dir_entry_free) and the masked ID in *masked_id_r (new memory, "" when
 * the roster record is gone; caller frees), KCG_EINVAL for a bad uid,
 * KCG_ENOTFOUND.
 */
int account_show(struct dir *dir, const char *uid, struct dir_entry **entry_r,
		 char **masked_id_r, const char **error_r);

/*
 * account_passwd - the user changes their own password: a bind as the
 * user with OLD_PW, then a Password Modify with OLD_PW and NEW_PW, both
 * under slapd's policy (history included). DIR is the provisioner's
 * session, used only to find the account. NEW_PW is first checked against
 * the seed's rules for an early answer. Returns 0; KCG_EINVAL for a bad
 * uid or a wrong old password; KCG_EPOLICY with the specific reason (too
 * short, a rule of the check module, in history, locked); KCG_ENOTFOUND;
 * KCG_EDIR.
 */
int account_passwd(struct dir *dir, const struct kcg_config *cfg,
		   const char *uid, const char *old_pw, const char *new_pw,
		   const char **error_r);

/*
 * account_reset - an admin sets a new password for UID (the provisioner's
 * Password Modify without the old password). The provisioner is not a
 * password admin, so the policy still applies. Returns as account_passwd.
 */
int account_reset(struct dir *dir, const char *uid, const char *new_pw,
		  const char **error_r);

/*
 * account_unlock - clear a ppolicy lockout (pwdAccountLockedTime).
 * Returns 0 (also when the account was not locked: *was_locked_r tells);
 * KCG_ECONFLICT for a disabled account (its lock is the disable: use
 * lifecycle_enable); KCG_EINVAL; KCG_ENOTFOUND; KCG_EDIR.
 */
int account_unlock(struct dir *dir, const char *uid, int *was_locked_r,
		   const char **error_r);

/*
 * account_read - the account UID (normalized into norm_r) with ATTRS
 * (NULL: all user attributes). Returns 0 with the entry in *entry_r
 * (caller frees with dir_entry_free); KCG_EINVAL for a malformed uid;
 * KCG_ENOTFOUND ("no account UID"); KCG_EDIR.
 */
int account_read(struct dir *dir, const char *uid, const char *const *attrs,
		 char norm_r[UIDNAME_MAX + 1], struct dir_entry **entry_r,
		 const char **error_r);

/* account_dn - uid=UID,ou=people,<suffix> in new memory (caller frees). */
char *account_dn(const struct dir *dir, const char *uid);

void account_hr_free(struct account_hr **hrp);
void account_receipt_free(struct account_receipt **rp);

#endif
