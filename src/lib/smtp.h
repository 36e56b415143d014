/*
 * smtp - the SMTP client kcgidm-mailer hands mail to the MTA with
 * (libetpan), one session per spool drain.
 *
 * smtp.uri is smtp://host[:port] (plain, or STARTTLS with smtp.tls =
 * "starttls", EHLO again afterwards) or smtps://host[:port] (TLS from the
 * start). With TLS the server's certificate chain is verified here with
 * GnuTLS against smtp.tls_ca_file (else the system trust store) and
 * smtp.uri's host name, before anything is sent: libetpan's own TLS
 * verifies nothing. With smtp.credentials_file ("user\npassword\n", mode
 * 0600) the client authenticates with AUTH PLAIN, only over TLS or to a
 * loopback address; the password is wiped from memory after use. Every
 * connect, TLS handshake, command and reply waits at most smtp.timeout
 * seconds.
 *
 * The process must not die of SIGPIPE when the server hangs up: smtp_open
 * sets SIGPIPE to SIG_IGN.
 */
#ifndef KCG_SMTP_H
#define KCG_SMTP_H

#include <stddef.h>

struct kcg_config;
struct smtp;

/*
 * smtp_open - a client for CFG's smtp.* settings (CFG must outlive it).
 * Nothing is connected yet: the first smtp_send connects. Returns 0 with
 * the handle in *smtp_r (free with smtp_free), or KCG_EINVAL with the
 * reason for an unusable smtp.uri or smtp.helo.
 */
int smtp_open(const struct kcg_config *cfg, struct smtp **smtp_r,
	      const char **error_r);

/*
 * smtp_send - deliver MSG (LEN bytes, CRLF line endings, as
 * mailmsg_compose makes it; a final CRLF is stripped here, because
 * libetpan appends "\r\n.\r\n" itself) from ENV_FROM to RCPT in one SMTP
 * transaction, connecting first when needed and reusing the session
 * otherwise.
 *
 * Returns 0 when the server answered 2xx to the end of DATA. Otherwise
 * KCG_EMAIL with the reason ("RCPT TO: 550 5.1.1 ...") in *error_r and
 * in *code_r the reply code to MAIL, RCPT, DATA or the end of DATA, or 0
 * when the session failed (connect, greeting, EHLO, STARTTLS,
 * certificate, AUTH, time-out, lost connection): those are not about the
 * message, and once a session could not be set up, every later call on
 * this handle fails the same way at once (the next drain tries again).
 * KCG_EINVAL (and *code_r 0) for an envelope address with white space,
 * angle brackets, CR/LF or another control character.
 */
int smtp_send(struct smtp *smtp, const char *env_from, const char *rcpt,
	      const char *msg, size_t len, int *code_r, const char **error_r);

/* smtp_free - QUIT, close, free *smtpp and set it to NULL. */
void smtp_free(struct smtp **smtpp);

#endif
