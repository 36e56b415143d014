/*
 * spool - the durable outbox between the programs that compose mail and
 * kcgidm-mailer, which sends it.
 *
 * Layout under the spool directory: tmp/ (being written), queue/ (ready),
 * dead/ (given up, with the reason). A message is written to tmp/, fsync'ed
 * and renamed into queue/ (then the directory is fsync'ed), so a crash
 * leaves either no message or a whole one. The mailer deletes a message
 * only after the server's 2xx reply to DATA, and moves it to dead/ on a
 * 5xx or when it has been retried past spool.max_age.
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

#endif
