/*
 * err - short-lived error text for `const char **error_r` parameters.
 *
 * A function that fails with a formatted reason puts it here, the way
 * Dovecot uses its data stack: the text lives in a per-thread ring of
 * ERR_RING buffers, so it stays valid until ERR_RING more messages have
 * been formatted in the same thread. Callers print or copy it at once.
 * Static strings may be returned through error_r directly.
 */
#ifndef KCG_ERR_H
#define KCG_ERR_H

#define ERR_RING 16
#define ERR_MAX	 1024

/* err_fmt - format a message (truncated to ERR_MAX - 1 bytes). */
const char *err_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
