/*
 * dir - the directory session: connect, bind, search, add, modify.
 *
 * A thin layer over libldap that (1) tries each configured URI in turn,
 * (2) insists on StartTLS for ldap:// to anything but the loopback, (3)
 * binds as the configured identity (simple bind with a password file, or
 * SASL EXTERNAL over ldapi), (4) reconnects once and retries when a read
 * or a write finds the server gone -- to the same server if it answers,
 * else to the next URI; a retried write that finds its own first attempt
 * already applied (replicated before the server went) succeeds -- (5) sends the
 * ppolicy request control with every write and keeps what the server said, and
 * (6) turns LDAP result codes into KCG_E* codes with a readable reason. Results
 * are copied into plain strings so callers never touch LDAPMessage.
 *
 * Escaping: filter values and DN values must go through dir_filter_value()
 * and dir_dn(), which use libldap's own escapers.
 */
#ifndef KCG_DIR_H
#define KCG_DIR_H

#include <stddef.h>

struct kcg_config;
struct dir;
struct dir_result;
struct dir_entry;
struct dir_mods;

enum dir_scope {
	DIR_SCOPE_BASE,
	DIR_SCOPE_ONE,
	DIR_SCOPE_SUB,
};

enum dir_mod_op {
	DIR_MOD_ADD,
	DIR_MOD_DELETE,
	DIR_MOD_REPLACE,
};

/*
 * dir_open - connect and bind per CFG (which must outlive the session).
 * Sets SIGPIPE to SIG_IGN (as does every reconnect): a server that goes
 * away under a request must not kill the process.
 * Returns 0 with a new session in *dir_r (free with dir_free), KCG_EDIR
 * when no server could be reached or the bind failed, KCG_EINVAL when the
 * configured secret file is unusable.
 */
int dir_open(const struct kcg_config *cfg, struct dir **dir_r,
	     const char **error_r);

/*
 * dir_open_user - a session bound as the user DN with PASSWORD (copied and
 * wiped on free), for what a user does as themselves (changing their own
 * password). The bind carries the ppolicy request control, so a locked
 * account is told apart from a wrong password. Returns 0 with the session
 * in *dir_r; KCG_EINVAL (DIR_MSG_BAD_PASSWORD) for a wrong DN or password;
 * KCG_EPOLICY (DIR_MSG_LOCKED) for a locked account; KCG_EDIR.
 */
int dir_open_user(const struct kcg_config *cfg, const char *dn,
		  const char *password, struct dir **dir_r,
		  const char **error_r);

#define DIR_MSG_BAD_PASSWORD "帳號或密碼錯誤 / wrong account or password"
#define DIR_MSG_LOCKED                                                                            \
	"帳號因多次登入失敗已鎖定，請稍後再試或洽管理員 / the account is " \
	"locked after repeated failed logins; try later or ask an admin"

/* dir_free - unbind, free *dirp and set it to NULL. */
void dir_free(struct dir **dirp);

/* dir_suffix - the configured suffix (owned by the config). */
const char *dir_suffix(const struct dir *dir);

/* dir_uri - the URI of the server currently in use (owned by dir). */
const char *dir_uri(const struct dir *dir);

/*
 * dir_failback - for a long-lived session (kcgidmd): when DIR failed over
 * from the first URI (the write provider, docs/replication.md) at least
 * DIR_FAILBACK_SECONDS ago, try the first URI again and move there if it
 * answers. Call it between requests, never inside one: a session reads
 * from the server that took its writes (read-your-writes). Nothing is
 * returned: on failure DIR stays where it is and tries again later.
 */
#define DIR_FAILBACK_SECONDS 60
void dir_failback(struct dir *dir);

/*
 * dir_search - search BASE with SCOPE and FILTER (already escaped),
 * fetching ATTRS (NULL-terminated; NULL for all user attributes).
 * Returns 0 with the entries in *res_r (free with dir_result_free; zero
 * entries is success), KCG_ENOTFOUND when BASE does not exist, KCG_EDIR
 * when the server is unavailable even after one reconnect.
 */
int dir_search(struct dir *dir, const char *base, enum dir_scope scope,
	       const char *filter, const char *const *attrs,
	       struct dir_result **res_r, const char **error_r);

/*
 * dir_read - the entry DN itself (a base search). Returns 0 with exactly
 * one entry in *entry_r (free with dir_entry_free), KCG_ENOTFOUND when it
 * does not exist, or another KCG_E* code.
 */
int dir_read(struct dir *dir, const char *dn, const char *const *attrs,
	     struct dir_entry **entry_r, const char **error_r);

size_t dir_result_count(const struct dir_result *res);
/* dir_result_entry - entry I, owned by RES. */
const struct dir_entry *dir_result_entry(const struct dir_result *res,
					 size_t i);
/*
 * dir_result_take - hand entry I over to the caller, who then owns it
 * (dir_entry_free) while RES forgets it. Returns the entry.
 */
struct dir_entry *dir_result_take(struct dir_result *res, size_t i);
void dir_result_free(struct dir_result **resp);

/* dir_entry_dn - the entry's DN, owned by the entry. */
const char *dir_entry_dn(const struct dir_entry *e);
/*
 * dir_entry_value - the first value of ATTR (case-insensitive name) as a
 * NUL-terminated string owned by the entry, or NULL when absent.
 */
const char *dir_entry_value(const struct dir_entry *e, const char *attr);
/* dir_entry_count - the number of values of ATTR. */
size_t dir_entry_count(const struct dir_entry *e, const char *attr);
/*
 * dir_entry_attr - attribute I (0-based) of E: its name in *name_r and
 * its values in *values_r (count *n_r), all owned by E. Returns 0, or -1
 * past the last attribute. For listing an entry in order.
 */
int dir_entry_attr(const struct dir_entry *e, size_t i, const char **name_r,
		   char *const **values_r, size_t *n_r);
void dir_entry_free(struct dir_entry **ep);

/*
 * dir_mods - a list of modifications, or of attributes for an add.
 * dir_mods_add appends VALUE (copied; NULL for "all values" with DELETE or
 * "no values" with REPLACE) to the last modification when it has the same
 * OP and ATTR, else starts a new one. dir_mods_add_secret does the same
 * but wipes its copy on free (passwords).
 */
struct dir_mods *dir_mods_new(void);
void dir_mods_add(struct dir_mods *mods, enum dir_mod_op op, const char *attr,
		  const char *value);
void dir_mods_add_secret(struct dir_mods *mods, enum dir_mod_op op,
			 const char *attr, const char *value);
/* dir_mods_empty - true when nothing was added. */
int dir_mods_empty(const struct dir_mods *mods);
void dir_mods_free(struct dir_mods **modsp);

/*
 * dir_add / dir_modify / dir_delete - one write. Retried once, on the
 * next server, only when the server went away under it; if the retry then
 * meets "exists" (add), "value exists / no such value" (modify) or "no
 * such entry" (delete), the entry is read and the write counts as done
 * when it already holds what was sent (secret values are not compared).
 * Otherwise not retried (the caller knows whether it is idempotent).
 * dir_passwd is retried the same way but cannot be compared: a change
 * whose first attempt went through is then refused as "in history",
 * although the new password is in force.
 * Returns 0, or:
 *  KCG_ECONFLICT  the entry exists, a unique attribute is taken, a
 *                 single-valued attribute already has a value, or a value
 *                 to delete is gone (someone else changed it first);
 *  KCG_EPOLICY    the password policy refused a password;
 *  KCG_ENOTFOUND  the entry (or its parent) does not exist;
 *  KCG_EDIR       the server is unavailable;
 *  KCG_EINTERNAL  anything else (schema or access errors are our bugs).
 * The reason is in *error_r; dir_ppolicy_error() and dir_last_code() tell
 * the caller more.
 */
int dir_add(struct dir *dir, const char *dn, const struct dir_mods *mods,
	    const char **error_r);
int dir_modify(struct dir *dir, const char *dn, const struct dir_mods *mods,
	       const char **error_r);
int dir_delete(struct dir *dir, const char *dn, const char **error_r);

/*
 * dir_passwd - RFC 3062 Password Modify of DN: OLD_PW may be NULL (an
 * admin reset). Goes through slapd's policy; the ppolicy response control
 * is parsed, so KCG_EPOLICY comes with the specific reason
 * (dir_ppolicy_message). Other codes as dir_modify.
 */
int dir_passwd(struct dir *dir, const char *dn, const char *old_pw,
	       const char *new_pw, const char **error_r);

/*
 * dir_ppolicy_message - zh-TW / English text for a ppolicy error (the PP_*
 * values of ldap.h). For insufficient quality, DIAGNOSTIC (our check
 * module's reason) is used when the server gave one. Static or err_fmt
 * memory.
 */
const char *dir_ppolicy_message(int pperr, const char *diagnostic);

/* dir_last_code - the LDAP result code of the last operation. */
int dir_last_code(const struct dir *dir);
/* dir_last_diagnostic - the server's text for it ("" if none; owned). */
const char *dir_last_diagnostic(const struct dir *dir);
/*
 * dir_ppolicy_error - the ppolicy response control's error of the last
 * write (PP_* values of ldap.h: 5 quality, 6 too short, 8 in history, ...)
 * or -1 when the server sent none.
 */
int dir_ppolicy_error(const struct dir *dir);

/*
 * dir_txn_begin - start an RFC 5805 transaction on this session. Until
 * dir_txn_end, every dir_add/dir_modify/dir_delete joins it: the server
 * answers each with success at once and runs them all, atomically, at
 * the commit (so their real errors surface there). Send one write at a
 * time (slapd 2.5.13 crashed on pipelined writes inside a transaction).
 * Reads are not part of it. Returns 0 with *started_r 1, or 0 with
 * *started_r 0 when the server has no transactions (write without);
 * KCG_EDIR when the server is gone.
 */
int dir_txn_begin(struct dir *dir, int *started_r, const char **error_r);

/*
 * dir_txn_end - commit (COMMIT true) or abort the open transaction.
 * Returns 0 when committed (or aborted); otherwise the code of the write
 * that failed, as dir_add would give it, with the message ID of that
 * write in *failed_msgid_r (-1 when the server did not say; compare with
 * dir_last_msgid() taken after each write) and nothing applied; KCG_EDIR
 * when the connection was lost (nothing applied, unless the commit
 * reached the server before it went: rerun idempotent work).
 */
int dir_txn_end(struct dir *dir, int commit, int *failed_msgid_r,
		const char **error_r);

/* dir_last_msgid - the LDAP message ID of the last write sent. */
int dir_last_msgid(const struct dir *dir);

/*
 * dir_filter_value - VALUE escaped for use inside a filter, in new memory
 * owned by the caller.
 */
char *dir_filter_value(const char *value);

/*
 * dir_dn - "ATTR=VALUE,PARENT" with VALUE escaped as an RDN value, in new
 * memory owned by the caller.
 */
char *dir_dn(const char *attr, const char *value, const char *parent);

/*
 * dir_time_now / dir_time - a time as GeneralizedTime ("20261130043925Z")
 * in OUT (16 bytes). dir_time_parse returns 0 and the time in *t_r, or
 * KCG_EINVAL.
 */
void dir_time(long long t, char out[16]);
void dir_time_now(char out[16]);
int dir_time_parse(const char *gt, long long *t_r);

#endif
