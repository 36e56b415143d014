/*
 * spool - the durable outbox between the programs that compose mail and
 * kcgidm-mailer, which sends it.
 *
 * Layout under the spool directory: tmp/ (being written), queue/ (ready),
 * dead/ (given up, with the reason). A message is written to tmp/, fsync'ed
 * and renamed into queue/ (then queue/ is fsync'ed), so a crash leaves
 * either no message or a whole one. The mailer deletes a message only
 * after the server's 2xx reply to DATA, and moves it to dead/ on a 5xx or
 * when it has been retried past spool.max_age.
 *
 * Each message is one file named by its id: a header of "key value" lines
 * (the first is "kcgidm-spool 1"; then from, rcpt, queued, attempts,
 * next, dead and error), a blank line, and the message as it is sent. A
 * new state (a failed attempt, giving up) rewrites the whole file to
 * tmp/ID.new and renames it over queue/ID. Sending is committed by
 * renaming queue/ID to tmp/ID.sent right after the 2xx (the renames are
 * synced as a group; see spool.c); a second thread of the drain removes
 * it from there. A message is always in exactly one of queue/ or dead/.
 *
 * Only one drain runs at a time: spool_drain() holds an exclusive flock on
 * the file "lock" in the spool directory, and a second drainer waits for
 * it. Enqueueing and listing need no lock.
 */
#ifndef KCG_SPOOL_H
#define KCG_SPOOL_H

#include <stddef.h>

struct kcg_config;
struct spool;

/*
 * spool_open - the spool in DIR, creating DIR (0700) and its folders when
 * missing. Returns 0 with the handle in *spool_r (free with spool_free), or
 * KCG_EINTERNAL with the reason.
 */
int spool_open(const char *dir, struct spool **spool_r, const char **error_r);

/* spool_free - free *spoolp and set it to NULL. */
void spool_free(struct spool **spoolp);

/*
 * spool_enqueue - queue the message MSG (LEN bytes, CRLF line endings, as
 * mailmsg_compose makes it) for RCPT from ENV_FROM (bare addresses).
 * Durable when it returns 0; the new message's id goes to *id_r (may be
 * NULL; caller frees). KCG_EINVAL for a CR/LF in an address, KCG_EINTERNAL
 * for a write failure (nothing is queued then).
 */
int spool_enqueue(struct spool *spool, const char *env_from, const char *rcpt,
		  const char *msg, size_t len, char **id_r,
		  const char **error_r);

/* One message, as `kcgidm mail queue` shows it. */
struct spool_entry {
	char *id;	    /* sorts in queue order */
	char *env_from;	    /* envelope sender */
	char *rcpt;	    /* envelope recipient */
	long long queued;   /* when it was queued (Unix time) */
	int attempts;	    /* failed delivery attempts so far */
	long long next_try; /* not before (Unix time); 0: at once */
	char *last_error;   /* the last failure, or NULL */
	int dead;	    /* in dead/: given up; last_error says why */
};

/*
 * spool_list - every message in queue/ and then dead/, each part in id
 * order. Returns 0 with a new array in *entries_r and its length in *n_r
 * (free with spool_entries_free), or KCG_EINTERNAL with the reason.
 * Messages that vanish while being listed (sent meanwhile) are left out.
 */
int spool_list(struct spool *spool, struct spool_entry **entries_r, size_t *n_r,
	       const char **error_r);

/* spool_entries_free - free the N entries of *entriesp and set it NULL. */
void spool_entries_free(struct spool_entry **entriesp, size_t n);

/*
 * How spool_drain delivers one message; smtp_send (smtp.h) has this form.
 * Returns 0 when the server answered 2xx to the end of DATA. Otherwise
 * KCG_EMAIL with the server's reply code in *code_r (0 when there was no
 * reply: connection, TLS or time-out failure) and the reason in *error_r,
 * or KCG_EINVAL when the message can never be sent as it is.
 */
typedef int spool_send_fn(void *ctx, const char *env_from, const char *rcpt,
			  const char *msg, size_t len, int *code_r,
			  const char **error_r);

/* spool_drain flags */
#define SPOOL_DRAIN_ALL 0x1 /* ignore the backoff (`postqueue -f`) */

/* What one drain did. */
struct spool_drain_result {
	unsigned sent;	    /* 2xx: removed from the queue */
	unsigned deferred;  /* 4xx or no reply: will be retried */
	unsigned dead;	    /* 5xx, unsendable, or too old: moved to dead/ */
	unsigned waiting;   /* not yet due, left alone */
	long long next_due; /* earliest next try left in queue/; 0: none */
};

/*
 * spool_drain_with - deliver the messages in queue/ that are due (all of
 * them with SPOOL_DRAIN_ALL), oldest first, through SEND(CTX, ...).
 * Policy from CFG: after a failure with no reply or a 4xx, the next try
 * is spool.retry_min seconds later, doubling per attempt up to
 * spool.retry_max; a 5xx or KCG_EINVAL, or a failure more than
 * spool.max_age seconds after the message was queued, moves it to dead/.
 * STOP (may be NULL) is asked before each message; when it returns true
 * the drain ends there. Holds the spool lock throughout (waits for another
 * drainer). Returns 0 with the counts in *res_r (the run may still have
 * failed to deliver: see the counts), or KCG_EINTERNAL when the spool
 * itself cannot be read or written.
 */
int spool_drain_with(struct spool *spool, const struct kcg_config *cfg,
		     unsigned flags, spool_send_fn *send, void *ctx,
		     int (*stop)(void), struct spool_drain_result *res_r,
		     const char **error_r);

/*
 * spool_drain - spool_drain_with() over one SMTP session (smtp.h) to the
 * server in CFG's smtp.* settings, opened on the first due message and
 * reused for the rest; used by kcgidm-mailer and `kcgidm mail flush`.
 */
int spool_drain(struct spool *spool, const struct kcg_config *cfg,
		unsigned flags, int (*stop)(void),
		struct spool_drain_result *res_r, const char **error_r);

/*
 * spool_queue_dir - the path of queue/ (borrowed), for a caller that
 * watches it for new messages (kcgidm-mailer uses inotify).
 */
const char *spool_queue_dir(const struct spool *spool);

#endif
