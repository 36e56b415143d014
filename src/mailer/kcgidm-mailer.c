/*
 * kcgidm-mailer - sends the mail that kcgidm and its web front queue in the
 * spool (activation and password-reset links) to the MTA over SMTP.
 *
 * usage: kcgidm-mailer [-c FILE] [--foreground] [--once] [-v]
 *
 * It drains the spool (spool.h), then sleeps until the next message is
 * due, at most POLL_MAX seconds; a new message in queue/ (inotify),
 * SIGUSR1 or SIGHUP (which also rereads the configuration) wakes it at
 * once. SIGTERM and SIGINT end it cleanly: the message being sent is
 * finished first, because the signals stay blocked and are only looked at
 * between messages and while sleeping. With --once it drains once and
 * exits: 0 when everything due was sent, 7 when something failed
 * (deferred or dead), 8 when the spool could not be used.
 *
 * SECURITY: kcgidm-mailer is the only program that holds the SMTP
 * credentials (smtp.credentials_file, mode 0600, read at each connection
 * and wiped after AUTH). It parses no HTTP and never talks to the
 * directory: its only inputs are the configuration, the spool written by
 * the other kcgidm programs, and the SMTP server's replies. It needs no
 * privilege beyond its spool and the credentials file, so it should run
 * as its own unprivileged user (it warns when started as root). Envelope
 * addresses are checked again before they reach an SMTP command, TLS
 * certificates are verified against smtp.tls_ca_file or the system store
 * and the server's name, and the password is never sent in clear except
 * to a loopback address. Message bodies (which hold one-time links) are
 * never logged, and the process is non-dumpable with no core file
 * (secret_no_core).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "config.h"
#include "kcg.h"
#include "log.h"
#include "secret.h"
#include "spool.h"

#define POLL_MAX 30 /* seconds between drains at most */

static const char usage_text[] =
	"usage: kcgidm-mailer [-c FILE] [--foreground] [--once] [-v]\n"
	"\n"
	"  -c, --config FILE  configuration (default: $KCGIDM_CONF, else\n"
	"                     " CONFIG_DEFAULT_PATH ")\n"
	"  -f, --foreground   do not detach; log to stderr\n"
	"  -1, --once         drain the spool once and exit (0 all sent,\n"
	"                     7 something failed, 8 spool unusable)\n"
	"  -v, --verbose      log debugging detail\n"
	"  -h, --help         this text\n";

static sigset_t handled;

/* stop_pending - SIGTERM or SIGINT is waiting: finish after this one. */
static int stop_pending(void)
{
	sigset_t pending;

	return sigpending(&pending) == 0 &&
	       (sigismember(&pending, SIGTERM) == 1 ||
		sigismember(&pending, SIGINT) == 1);
}

/* watch_queue - an inotify descriptor on queue/ for new messages, or -1
 * (then the daemon only polls). */
static int watch_queue(const struct spool *spool)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd < 0)
		return -1;
	if (inotify_add_watch(fd, spool_queue_dir(spool),
			      IN_MOVED_TO | IN_CREATE | IN_ONLYDIR) < 0) {
		log_warning("inotify on %s: %s; polling every %d s",
			    spool_queue_dir(spool), strerror(errno), POLL_MAX);
		close(fd);
		return -1;
	}
	return fd;
}

/* drain_fd - read and discard what is waiting on nonblocking FD. */
static void drain_fd(int fd)
{
	char buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/* reload - reread the configuration at PATH into *cfgp, keeping the old
 * one when the new one is bad. */
static void reload(const char *path, struct kcg_config **cfgp)
{
	struct kcg_config *cfg = NULL;
	const char *err = NULL;

	if (config_load(path, &cfg, &err) < 0) {
		log_error("keeping the old configuration: %s", err);
		return;
	}
	if (strcmp(cfg->spool_dir, (*cfgp)->spool_dir) != 0)
		log_warning("spool.dir changed: restart kcgidm-mailer to use "
			    "it");
	config_free(cfgp);
	*cfgp = cfg;
	log_info("configuration reloaded from %s", path);
}

/* run - the loop; the exit status. */
static int run(const char *conf, struct kcg_config **cfgp, struct spool *spool,
	       int once)
{
	struct spool_drain_result res;
	struct signalfd_siginfo si;
	struct pollfd pfd[2];
	const char *err = NULL;
	long long now, wait;
	int sfd = -1, ifd = -1, r, status = 0, nfds;

	sfd = signalfd(-1, &handled, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0) {
		log_error("signalfd: %s", strerror(errno));
		return -KCG_EINTERNAL;
	}
	if (!once)
		ifd = watch_queue(spool);
	for (;;) {
		r = spool_drain(spool, *cfgp, 0, stop_pending, &res, &err);
		if (r < 0) {
			log_error("%s", err);
			status = -r;
			memset(&res, 0, sizeof(res));
		} else if (res.sent + res.deferred + res.dead > 0) {
			log_info("sent %u, deferred %u, dead %u, waiting %u",
				 res.sent, res.deferred, res.dead, res.waiting);
		}
		if (once) {
			if (r == 0)
				status = res.deferred + res.dead > 0
						 ? -KCG_EMAIL
						 : 0;
			break;
		}
		if (stop_pending()) {
			status = 0;
			break;
		}
		now = (long long)time(NULL);
		wait = res.next_due != 0 ? res.next_due - now : POLL_MAX;
		if (wait > POLL_MAX)
			wait = POLL_MAX;
		if (wait < 1)
			wait = 1;
		pfd[0].fd = sfd;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		pfd[1].fd = ifd;
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		nfds = ifd >= 0 ? 2 : 1;
		if (poll(pfd, (nfds_t)nfds, (int)wait * 1000) < 0 &&
		    errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			sleep(1);
		}
		if (ifd >= 0 && (pfd[1].revents & POLLIN))
			drain_fd(ifd);
		if (pfd[0].revents & POLLIN) {
			while (read(sfd, &si, sizeof(si)) ==
			       (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGTERM ||
				    si.ssi_signo == SIGINT) {
					status = 0;
					goto out;
				}
				if (si.ssi_signo == SIGHUP)
					reload(conf, cfgp);
			}
		}
		status = 0;
	}
out:
	log_info("stopping");
	if (ifd >= 0)
		close(ifd);
	close(sfd);
	return status;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"foreground", no_argument, NULL, 'f'},
		{"once", no_argument, NULL, '1'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct kcg_config *cfg = NULL;
	struct spool *spool = NULL;
	const char *conf_arg = NULL, *conf, *err = NULL;
	int c, foreground = 0, once = 0, verbose = 0, r, status;

	secret_no_core();
	while ((c = getopt_long(argc, argv, "c:f1vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			conf_arg = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case '1':
			once = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return -KCG_EUSAGE;
		}
	}
	if (optind != argc) {
		fputs(usage_text, stderr);
		return -KCG_EUSAGE;
	}
	umask(077);
	log_init("kcgidm-mailer", !foreground,
		 verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	/* Signals are only ever received through the signalfd or noticed
	 * as pending between messages, never in the middle of one. */
	sigemptyset(&handled);
	sigaddset(&handled, SIGTERM);
	sigaddset(&handled, SIGINT);
	sigaddset(&handled, SIGHUP);
	sigaddset(&handled, SIGUSR1);
	sigprocmask(SIG_BLOCK, &handled, NULL);

	conf = config_path(conf_arg);
	r = config_load(conf, &cfg, &err);
	if (r < 0) {
		fprintf(stderr, "kcgidm-mailer: %s\n", err);
		log_error("%s", err);
		status = -r;
		goto out;
	}
	if (audit_open("kcgidm-mailer", cfg->audit_file, &err) < 0)
		log_warning("%s", err);
	r = spool_open(cfg->spool_dir, &spool, &err);
	if (r < 0) {
		fprintf(stderr, "kcgidm-mailer: %s\n", err);
		log_error("%s", err);
		status = -r;
		goto out;
	}
	if (geteuid() == 0)
		log_warning("running as root: kcgidm-mailer needs no "
			    "privilege; run it as its own user");
	/* Keep the working directory: relative paths in -c or the
	 * configuration stay valid for SIGHUP. */
	if (!foreground && !once && daemon(1, 0) < 0) {
		log_error("daemon: %s", strerror(errno));
		status = -KCG_EINTERNAL;
		goto out;
	}
	log_info("started (spool %s, %s)", cfg->spool_dir, cfg->smtp_uri);
	status = run(conf, &cfg, spool, once);
out:
	spool_free(&spool);
	config_free(&cfg);
	return status;
}
