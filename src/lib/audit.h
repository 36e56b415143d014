/*
 * audit - who changed what, when: one JSON line per write, to an
 * append-only file and to syslog.
 *
 *   {"time":"2026-11-30T05:40:00Z","actor":"kcgidm:uid=0","action":
 *    "approve","target":"wangxm","result":"ok","reason":"..."}
 *
 * Every library function that writes to the directory or the spool
 * records itself here, so the CLI, kcgidmd and kcgidm-mailer are covered
 * alike. Never pass a password, a token or a national ID: targets are
 * uids, mail addresses or masked IDs.
 */
#ifndef KCG_AUDIT_H
#define KCG_AUDIT_H

/*
 * audit_open - start recording for PROGRAM ("kcgidm", "kcgidmd", ...)
 * into FILE (created 0660, for the programs' shared group; its folder is
 * created 2770 when missing).
 * Returns 0, or KCG_EINTERNAL with the reason (the caller decides whether
 * to go on: writes are still logged to syslog).
 */
int audit_open(const char *program, const char *file, const char **error_r);

/* audit_set_actor - who acts from now on, e.g. "web:203.0.113.5" (NULL:
 * the program and its Unix user). Copied. */
void audit_set_actor(const char *actor);

/*
 * audit_record - one event. RESULT is 0 for success or a KCG_E* code;
 * REASON (printf format, may be NULL) says why, for people.
 */
void audit_record(const char *action, const char *target, int result,
		  const char *reason_fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * audit_result - the outcome R of ACTION on TARGET: on failure ERROR (the
 * error_r text) is the reason, on success NOTE (may be NULL).
 */
void audit_result(const char *action, const char *target, int r,
		  const char *error, const char *note);

/* audit_close - flush and close the file. */
void audit_close(void);

#endif
