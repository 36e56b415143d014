/*
 * audit - JSON lines to an append-only file and syslog (see audit.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <paths.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "audit.h"
#include "err.h"
#include "kcg.h"
#include "xalloc.h"

static int audit_fd = -1;
static char *audit_program;
static char *audit_actor;
/* "PROGRAM:uid=N", made once by audit_open: an import writes a record a
 * row, and getuid() was one system call of every record */
static char *audit_self;

/* result_name - a stable word for a KCG_E* code. */
static const char *result_name(int r)
{
	switch (r) {
	case 0:
		return "ok";
	case KCG_EINVAL:
		return "invalid";
	case KCG_ECONFLICT:
		return "conflict";
	case KCG_ENOTFOUND:
		return "not-found";
	case KCG_EPOLICY:
		return "policy";
	case KCG_EDIR:
		return "directory-unavailable";
	case KCG_EMAIL:
		return "mail-failure";
	default:
		return "internal-error";
	}
}

int audit_open(const char *program, const char *file, const char **error_r)
{
	char *dir = xstrdup(file), *slash = strrchr(dir, '/');
	struct stat st;

	audit_close();
	free(audit_program);
	audit_program = xstrdup(program);
	free(audit_self);
	audit_self = xasprintf("%s:uid=%u", program, (unsigned)getuid());
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0770) == 0)
			(void)chmod(dir, 02770);
	}
	free(dir);
	/* kcgidm, kcgidmd and the mailer may be different users of one group:
	 * 0660, whatever the umask (others never read it) */
	audit_fd = open(file,
			O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK |
				O_NOFOLLOW,
			0660);
	if (audit_fd >= 0 &&
	    (fstat(audit_fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(audit_fd);
		audit_fd = -1;
		errno = EINVAL; /* a FIFO or a device would block or mislead */
	}
	if (audit_fd >= 0)
		(void)fchmod(audit_fd, 0660);
	if (audit_fd < 0) {
		*error_r = err_fmt("%s: 無法寫入稽核紀錄 / cannot open the "
				   "audit log: %s",
				   file, strerror(errno));
		return KCG_EINTERNAL;
	}
	return 0;
}

void audit_set_actor(const char *actor)
{
	free(audit_actor);
	audit_actor = actor != NULL ? xstrdup(actor) : NULL;
}

/* syslog_there - whether a syslog daemon listens on /dev/log, checked at
 * most once a minute: without one, glibc's syslog() tries to connect on
 * every call (four system calls a record, wasted, in containers). */
static int syslog_there(time_t now)
{
	static time_t next_check;
	static int there;

	if (now >= next_check) {
		there = access(_PATH_LOG, W_OK) == 0;
		next_check = now + 60;
	}
	return there;
}

void audit_record(const char *action, const char *target, int result,
		  const char *reason_fmt, ...)
{
	char when[32], actor[128], reason[512] = "";
	time_t now = time(NULL);
	struct tm tm;
	va_list ap;
	json_t *j;
	char *line;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (audit_actor != NULL)
		snprintf(actor, sizeof(actor), "%s", audit_actor);
	else if (audit_self != NULL)
		snprintf(actor, sizeof(actor), "%s", audit_self);
	else
		snprintf(actor, sizeof(actor), "%s:uid=%u",
			 audit_program ? audit_program : "kcgidm",
			 (unsigned)getuid());
	if (reason_fmt != NULL) {
		va_start(ap, reason_fmt);
		vsnprintf(reason, sizeof(reason), reason_fmt, ap);
		va_end(ap);
	}
	j = json_pack("{s:s,s:s,s:s,s:s,s:s}", "time", when, "actor", actor,
		      "action", action, "target", target ? target : "",
		      "result", result_name(result));
	if (j == NULL)
		return;
	if (reason[0] != '\0') /* a reason that is not UTF-8 is dropped */
		json_object_set_new(j, "reason", json_string(reason));
	line = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (line == NULL)
		return;
	if (syslog_there(now))
		syslog(LOG_AUTHPRIV | LOG_NOTICE, "audit %s", line);
	if (audit_fd >= 0) {
		size_t len = strlen(line);

		line[len] = '\n'; /* one write: lines never interleave */
		if (write(audit_fd, line, len + 1) < 0)
			syslog(LOG_AUTHPRIV | LOG_ERR, "audit log: %s",
			       strerror(errno));
	}
	free(line);
}

void audit_result(const char *action, const char *target, int r,
		  const char *error, const char *note)
{
	const char *why = r < 0 ? error : note;

	if (why != NULL)
		audit_record(action, target, r, "%s", why);
	else
		audit_record(action, target, r, NULL);
}

void audit_close(void)
{
	if (audit_fd >= 0) {
		fsync(audit_fd);
		close(audit_fd);
		audit_fd = -1;
	}
}
