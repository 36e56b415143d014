/*
 * lifecycle - the account after its application: review, reject,
 * disable, enable, delete, and the purge of inactive accounts and stale
 * tokens (the seed: applications are reviewed in 1-4 hours; an account
 * unused for a year may be deleted; abuse ends an account).
 *
 * Disabling sets kcgAccountStatus to disabled and locks the password for
 * good (pwdAccountLockedTime 000001010000Z), so mail and portal logins stop
 * at once, whatever filter a consumer uses. Each change is recorded with
 * its reason (kcgStatusReason and the audit log).
 */
#ifndef KCG_LIFECYCLE_H
#define KCG_LIFECYCLE_H

struct dir;
struct kcg_config;

/*
 * lifecycle_disable / lifecycle_enable / lifecycle_delete - one account,
 * with REASON (required for disable and delete). *changed_r (may be NULL)
 * tells whether anything changed (disabling a disabled account does not).
 * Enabling refuses (KCG_ECONFLICT) when the HR roster no longer lists the
 * person as an active employee. Deleting also releases the person's claim
 * on their roster record, so they may apply again. Return 0, KCG_EINVAL,
 * KCG_ENOTFOUND, KCG_ECONFLICT or KCG_EDIR.
 */
int lifecycle_disable(struct dir *dir, const char *uid, const char *reason,
		      int *changed_r, const char **error_r);
int lifecycle_enable(struct dir *dir, const char *uid, const char *reason,
		     const char **error_r);
int lifecycle_delete(struct dir *dir, const char *uid, const char *reason,
		     const char **error_r);

/*
 * lifecycle_reject - refuse a pending application: the applicant is told
 * at their recovery address (when they gave one), the entry is deleted and
 * the uid and the person are free again. KCG_ECONFLICT when not pending.
 */
int lifecycle_reject(struct dir *dir, const struct kcg_config *cfg,
		     const char *uid, const char *reason, const char **error_r);

/* What review and purge decided about one account. */
typedef void lifecycle_report_fn(void *ctx, const char *uid,
				 const char *decision, const char *reason);

/*
 * lifecycle_review - look at every pending application: the ones whose
 * roster record is gone, not active or under another name are rejected;
 * the others are approved when review.mode is auto and they are at least
 * review.delay_seconds old, and otherwise wait for an admin. With DRY_RUN
 * nothing is written. REPORT is called for each application.
 */
int lifecycle_review(struct dir *dir, const struct kcg_config *cfg, int dry_run,
		     lifecycle_report_fn *report, void *ctx,
		     const char **error_r);

enum lifecycle_purge_mode {
	PURGE_DRY_RUN,
	PURGE_DISABLE,
	PURGE_DELETE,
};

/*
 * lifecycle_purge - accounts whose last successful login (pwdLastSuccess;
 * else the last password change, else creation) is more than DAYS ago are
 * listed (PURGE_DRY_RUN), disabled or deleted. Outside a dry run, pending
 * applications older than review.pending_max_days are rejected and expired
 * IKPD and reset tokens are removed. REPORT is called for each finding.
 */
int lifecycle_purge(struct dir *dir, const struct kcg_config *cfg, int days,
		    enum lifecycle_purge_mode mode, lifecycle_report_fn *report,
		    void *ctx, const char **error_r);

#endif
