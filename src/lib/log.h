/*
 * log - the one log module: stderr for the CLI, syslog for daemons.
 *
 * Never pass a password, token or national ID to these functions.
 */
#ifndef KCG_LOG_H
#define KCG_LOG_H

enum log_level {
	LOG_LVL_DEBUG,
	LOG_LVL_INFO,
	LOG_LVL_WARNING,
	LOG_LVL_ERROR,
};

/*
 * log_init - IDENT prefixes each line; USE_SYSLOG sends lines to syslog
 * (facility LOG_AUTHPRIV) instead of stderr; messages below MIN_LEVEL are
 * dropped.
 */
void log_init(const char *ident, int use_syslog, enum log_level min_level);

/* log_msg - log one line; use the macros, which add the function name. */
void log_msg(enum log_level level, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * log_event - an administrative action, for the record: always to syslog
 * (LOG_AUTHPRIV | LOG_NOTICE), whatever log_init() chose. No secrets.
 * Writes to the directory are recorded by audit.h instead.
 */
void log_event(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define log_debug(...)	 log_msg(LOG_LVL_DEBUG, __func__, __VA_ARGS__)
#define log_info(...)	 log_msg(LOG_LVL_INFO, __func__, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LVL_WARNING, __func__, __VA_ARGS__)
#define log_error(...)	 log_msg(LOG_LVL_ERROR, __func__, __VA_ARGS__)

#endif
