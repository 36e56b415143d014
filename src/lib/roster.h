/*
 * roster - the HR roster: import from CSV into ou=roster.
 *
 * One entry per person, kcgNationalIdHash=<hmac>,ou=roster,<suffix>: the
 * DN is derived from the keyed hash of the ID, so a rerun finds each
 * record directly and the import is idempotent. The plaintext ID is never
 * stored; only its HMAC and a masked form ("E12*****89").
 *
 * CSV columns (header row required, any order):
 *   national_id,name,birth_date,category,agency,unit,title,hire_date,
 *   account_type,status
 * Dates are ROC dates (99-12-25); account_type is personnel|general or
 * 人事人員|一般人員; status is active|left or 在職|離職. unit, title and
 * hire_date may be empty.
 */
#ifndef KCG_ROSTER_H
#define KCG_ROSTER_H

#include <stdio.h>

struct dir;
struct idhash;
struct kcg_config;

struct roster_report {
	unsigned long added;
	unsigned long updated;
	unsigned long unchanged;
	unsigned long rejected;
	unsigned long left;		/* --full: no longer in the file */
	unsigned long accounts_updated; /* name, agency, ... copied over */
	unsigned long accounts_disabled;
	int full_skipped; /* --full not applied: rows were rejected */
};

/*
 * roster_reject_fn - called once for each rejected row with its line,
 * the offending column (or "row") and the reason. The strings are valid
 * only during the call.
 */
typedef void roster_reject_fn(void *ctx, unsigned long line, const char *field,
			      const char *reason);

/*
 * roster_account_fn - called for each account that an HR change touched:
 * CHANGE is "updated" (name, agency, unit, title, category or type copied
 * from the roster) or "disabled" (the person left).
 */
typedef void roster_account_fn(void *ctx, const char *uid, const char *change);

struct roster_options {
	int dry_run; /* count and report, write nothing */
	int full;    /* the file is the whole roster: people missing from it
			have left (applied only when no row was rejected) */
	roster_reject_fn *reject;
	roster_account_fn *account; /* may be NULL */
	/* called after each group commit with the counts so far; may be
	 * NULL */
	void (*progress)(void *ctx, const struct roster_report *rep);
	void *ctx;
	unsigned batch; /* rows per transaction; 0: ROSTER_BATCH_DEFAULT,
			   1: no transactions */
	/* with JOBS > 1 and CFG, that many worker processes (each with its
	 * own session per CFG) write batches side by side; the callbacks
	 * still run here, in file order within each batch */
	unsigned jobs;
	const struct kcg_config *cfg;
	/* --full: the largest share (percent) of the active people that may
	 * be marked as left at once, when more than ROSTER_LEFT_FLOOR would
	 * be; 0: ROSTER_MAX_LEFT_DEFAULT, 100: no limit */
	unsigned max_left;
};

/* A --full import refuses to mark more than ROSTER_MAX_LEFT_DEFAULT
 * percent of the active people as left (a file cut short, or one agency's
 * file taken for the whole roster), unless it is at most ROSTER_LEFT_FLOOR
 * people, or the admin raises the share (--max-left). */
#define ROSTER_MAX_LEFT_DEFAULT 10
#define ROSTER_LEFT_FLOOR	20

/* Rows per LDAP transaction (RFC 5805). slapd 2.5.13 leaks some memory
 * per transaction (ITS#9892), and a commit holds the database's write
 * lock for the whole batch, so batches stay bounded. */
#define ROSTER_BATCH_DEFAULT 1000
#define ROSTER_BATCH_MAX     5000
/*
 * Fewer rows than this are written one by one, not in a transaction.
 * slapd 2.5.13 answers a write inside a transaction before the thread
 * that ran it is done with it; a commit that frees the operations while
 * such a thread still works on one crashes slapd (SIGSEGV in do_add; seen
 * here with transactions of 2 rows, about once in a few hundred, and once
 * with 52 rows on a busy machine). A long commit gives those threads time
 * to finish: no crash was seen in 240 commits of 500 rows. So only large
 * transactions are sent, and dir_txn_end waits a little before each
 * commit. This narrows the race; it cannot close it (docs/performance.md).
 */
#define ROSTER_TXN_MIN 500

/*
 * roster_import - read the CSV in FP (NAME for messages) and bring
 * ou=roster in line with it: add new people, update changed ones, leave
 * the rest. HR changes flow to the person's account: name, agency, unit,
 * title, category and type are copied over, and an account whose person
 * has left (離職, or missing from a --full import) is disabled, not
 * deleted. A bad row is reported through REJECT and never stops the good
 * ones; it never leaves a partial entry, because each row is one add or
 * one modify. The same national ID twice is an error on the later rows.
 * Returns 0 when the whole file was processed (even if rows were
 * rejected; see report_r), KCG_EINVAL when the header is unusable,
 * KCG_EDIR when the directory became unavailable (the import can simply
 * be rerun: it ends with the same directory). *report_r is filled in
 * every case, so a cut-off import can say how far it got.
 */
int roster_import(struct dir *dir, const struct idhash *ih, FILE *fp,
		  const char *name, const struct roster_options *opt,
		  struct roster_report *report_r, const char **error_r);

/*
 * roster_export_ldif - write the records that roster_import would add for
 * the CSV in FP (NAME for messages) to OUT as LDIF, for a first load of an
 * empty directory with `slapadd -q` (offline: no overlays, no ACLs, so the
 * rows get exactly the checks of an import, and a national ID that
 * appears twice is rejected). SUFFIX is the directory's suffix. Rejects
 * and the count (report_r->added) as roster_import. Returns 0,
 * KCG_EINVAL for an unusable header, KCG_EINTERNAL when OUT fails.
 */
int roster_export_ldif(const struct idhash *ih, const char *suffix, FILE *fp,
		       const char *name, FILE *out,
		       const struct roster_options *opt,
		       struct roster_report *report_r, const char **error_r);

/*
 * roster_account_type_label / roster_status_label - zh-TW labels for the
 * stored values ("personnel" -> 人事人員, "left" -> 離職). Static.
 */
const char *roster_account_type_label(const char *value);
const char *roster_status_label(const char *value);

/*
 * roster_dn - the DN of the record for the hash HEX, in new memory owned
 * by the caller.
 */
char *roster_dn(const struct dir *dir, const char *hex);

#endif
