/*
 * cmd_otp - `kcgidm otp enroll|disable|status UID`: 動態密碼 (TOTP) tokens
 * for slapd's otp overlay.
 *
 * SECURITY: enrol prints the new secret (base32 and as an otpauth:// URI)
 * once, on standard output, for the admin to hand to the person; it is
 * never stored by kcgidm, never logged or audited, and is wiped from
 * kcgidm's memory after printing. The QR code is drawn by qrencode, which
 * gets the URI on a pipe to its standard input, never in argv (other users
 * can read a process's argv).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "dir.h"
#include "kcg.h"
#include "otp.h"
#include "out.h"
#include "xalloc.h"

/* find_program - NAME's path on $PATH (caller frees), or NULL. */
static char *find_program(const char *name)
{
	const char *path = getenv("PATH"), *p, *end;
	char *cand;

	for (p = path != NULL ? path : "/usr/bin:/bin"; *p != '\0'; p = end) {
		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		cand = xasprintf("%.*s/%s", (int)(end - p), p, name);
		if (end > p && access(cand, X_OK) == 0)
			return cand;
		free(cand);
		if (*end == ':')
			end++;
	}
	return NULL;
}

/* show_qr - draw URI as a QR code on the terminal with `qrencode -t UTF8`,
 * the URI on its standard input. Returns 0, or -1 when it could not. */
static int show_qr(const char *uri)
{
	char *prog = find_program("qrencode");
	struct sigaction ign, old;
	int fds[2] = {-1, -1}, st = 0, r = -1;
	size_t off = 0, len = strlen(uri);
	ssize_t n;
	pid_t pid = -1;

	if (prog == NULL || pipe(fds) < 0)
		goto out;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		goto out;
	if (pid == 0) {
		if (dup2(fds[0], STDIN_FILENO) < 0)
			_exit(127);
		/* the pipe, and the directory's socket: not qrencode's */
		closefrom(STDERR_FILENO + 1);
		execl(prog, "qrencode", "-t", "UTF8", "-o", "-", (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	fds[0] = -1;
	/* qrencode dying early must not kill us with SIGPIPE. */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, &old);
	while (off < len) {
		n = write(fds[1], uri + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fds[1]);
	fds[1] = -1;
	sigaction(SIGPIPE, &old, NULL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	r = off == len && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
out:
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	free(prog);
	return r;
}

/* enroll_cmd - `otp enroll UID [--qr]`. */
static int enroll_cmd(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"qr", no_argument, NULL, 'q'},
		{NULL, 0, NULL, 0},
	};
	const char *err = NULL;
	char *uri = NULL, *secret = NULL;
	int c, qr = 0, r, status;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'q')
			return cli_usage("usage: otp enroll UID [--qr]");
		qr = 1;
	}
	if (optind != argc - 1)
		return cli_usage("usage: otp enroll UID [--qr]");
	if ((status = cli_dir(cli)) != 0)
		return status;
	r = otp_enroll(cli->dir, cli->cfg->otp_issuer, argv[optind], &uri,
		       &secret, &err);
	if (r < 0)
		return out_error(r, err);
	out_str("uid", "帳號", argv[optind]);
	out_str("result", "結果 / result",
		"已啟用動態密碼 / OTP enrolled: sign in with the password "
		"followed by the code");
	out_str("secret", "金鑰 / secret (base32)", secret);
	out_str("uri", "otpauth URI", uri);
	/* The QR code is for people: never inside JSON output. */
	if (!out_is_json() && (qr || isatty(STDOUT_FILENO))) {
		if (show_qr(uri) < 0)
			fprintf(stderr, "kcgidm: no QR code (qrencode is not "
					"installed or failed): give the person "
					"the secret or the URI\n");
	}
	xfree_secret(&uri);
	xfree_secret(&secret);
	return 0;
}

/* disable_cmd - `otp disable UID`. */
static int disable_cmd(struct cli *cli, int argc, char **argv)
{
	const char *err = NULL;
	int r, status;

	if (argc != 2)
		return cli_usage("usage: otp disable UID");
	if ((status = cli_dir(cli)) != 0)
		return status;
	r = otp_disable(cli->dir, argv[1], &err);
	if (r < 0)
		return out_error(r, err);
	out_str("uid", "帳號", argv[1]);
	out_str("result", "結果 / result",
		"已停用動態密碼 / OTP disabled: the password alone signs in");
	return 0;
}

/* status_cmd - `otp status UID`. */
static int status_cmd(struct cli *cli, int argc, char **argv)
{
	char since[16], last[16];
	const char *err = NULL;
	long long last_used = -1;
	int r, status, enrolled = 0;

	if (argc != 2)
		return cli_usage("usage: otp status UID");
	if ((status = cli_dir(cli)) != 0)
		return status;
	r = otp_status(cli->dir, argv[1], &enrolled, since, &last_used, &err);
	if (r < 0)
		return out_error(r, err);
	out_str("uid", "帳號", argv[1]);
	out_str("otp", "動態密碼 / OTP",
		enrolled ? "enrolled" : "not enrolled");
	if (out_is_json())
		json_object_set_new(out_json(), "enrolled",
				    json_boolean(enrolled));
	if (enrolled) {
		out_time("since", "啟用時間 / enrolled",
			 since[0] ? since : NULL);
		if (last_used >= 0)
			dir_time(last_used, last);
		out_time("last_used", "最近使用 / last code used",
			 last_used >= 0 ? last : NULL);
	}
	return 0;
}

int cmd_otp(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "usage: otp enroll UID [--qr] | "
				    "otp disable UID | otp status UID";

	if (argc < 2)
		return cli_usage("%s", usage);
	if (strcmp(argv[1], "enroll") == 0)
		return enroll_cmd(cli, argc - 1, argv + 1);
	if (strcmp(argv[1], "disable") == 0)
		return disable_cmd(cli, argc - 1, argv + 1);
	if (strcmp(argv[1], "status") == 0)
		return status_cmd(cli, argc - 1, argv + 1);
	return cli_usage("%s", usage);
}
