/*
 * log - stderr or syslog, with the calling function's name (see log.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "log.h"

static const char *log_ident = "kcgidm";
static int log_syslog;
static enum log_level log_min = LOG_LVL_WARNING;

void log_init(const char *ident, int use_syslog, enum log_level min_level)
{
	log_ident = ident;
	log_syslog = use_syslog;
	log_min = min_level;
	if (use_syslog)
		openlog(ident, LOG_PID, LOG_AUTHPRIV);
}

void log_msg(enum log_level level, const char *func, const char *fmt, ...)
{
	static const int prio[] = {LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR};
	static const char *const name[] = {"debug", "info", "warning", "error"};
	char buf[2048];
	va_list ap;

	if (level < log_min)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (log_syslog)
		syslog(prio[level], "%s: %s", func, buf);
	else
		fprintf(stderr, "%s: %s: %s: %s\n", log_ident, name[level],
			func, buf);
}

void log_event(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	syslog(LOG_AUTHPRIV | LOG_NOTICE, "%s", buf);
	if (log_min <= LOG_LVL_INFO && !log_syslog)
		fprintf(stderr, "%s: event: %s\n", log_ident, buf);
}
