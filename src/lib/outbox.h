/*
 * outbox - hand a mail to the spool: compose it (mailmsg) and queue it
 * durably (spool). kcgidm-mailer sends it later; the directory work of the
 * caller never waits for an SMTP server.
 */
#ifndef KCG_OUTBOX_H
#define KCG_OUTBOX_H

struct kcg_config;

/*
 * outbox_send - queue a UTF-8 text mail FROM -> TO in cfg->spool_dir.
 * Returns 0 once it is durable; KCG_EINVAL for a bad header value (CR/LF,
 * bad address); KCG_EMAIL when the spool cannot be written.
 */
int outbox_send(const struct kcg_config *cfg, const char *from, const char *to,
		const char *subject, const char *body, const char **error_r);

/*
 * outbox_taipei_time - T as Taiwan time for a mail body, e.g.
 * "2026-12-02 12:00（台北時間）". Taiwan keeps UTC+8 all year. OUT must
 * hold 64 bytes.
 */
void outbox_taipei_time(long long t, char out[64]);

#endif
