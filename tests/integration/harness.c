/*
 * harness - sandbox slapd and program runner for integration tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static char sandbox[256];
static char conf[300];
static char ldapi[600];

/* env_or - getenv with a default. */
static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : def;
}

/* slurp - the whole of FD from the start, NUL-terminated. */
static char *slurp(int fd)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	while (buf != NULL && (n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 2)
			buf = realloc(buf, cap *= 2);
	}
	if (buf != NULL)
		buf[len] = '\0';
	return buf;
}

void harness_run(struct run *r, const char *input, char *const *argv)
{
	char in_path[] = "/tmp/harness-in.XXXXXX";
	char out_path[] = "/tmp/harness-out.XXXXXX";
	char err_path[] = "/tmp/harness-err.XXXXXX";
	int in = mkstemp(in_path), out = mkstemp(out_path),
	    err = mkstemp(err_path), ws = 0;
	pid_t pid;

	assert_true(in >= 0 && out >= 0 && err >= 0);
	unlink(in_path);
	unlink(out_path);
	unlink(err_path);
	if (input != NULL)
		assert_int_equal(write(in, input, strlen(input)),
				 (ssize_t)strlen(input));
	lseek(in, 0, SEEK_SET);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(in, 0);
		dup2(out, 1);
		dup2(err, 2);
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	r->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	r->out = slurp(out);
	r->err = slurp(err);
	close(in);
	close(out);
	close(err);
}

void harness_run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

/* sandbox_cmd - scripts/slapd-sandbox CMD <dir>; its exit status. */
static int sandbox_cmd(const char *cmd)
{
	char script[512], module[512];
	struct run r;
	char *argv[] = {script, (char *)cmd, sandbox, NULL};

	snprintf(script, sizeof(script), "%s/scripts/slapd-sandbox",
		 env_or("KCG_TOP_SRCDIR", "."));
	snprintf(module, sizeof(module),
		 "%s/src/slapd/.libs/kcg_check_password.so",
		 env_or("KCG_TOP_BUILDDIR", "."));
	setenv("KCG_CHECK_MODULE", module, 1);
	harness_run(&r, NULL, argv);
	if (r.status != 0)
		fprintf(stderr, "slapd-sandbox %s: %s%s", cmd, r.out, r.err);
	harness_run_free(&r);
	return r.status;
}

int harness_sandbox_start(const char **dir_r)
{
	FILE *fp;
	char line[1024], *p, *q;

	if (access("/usr/sbin/slapd", X_OK) != 0) {
		fprintf(stderr, "SKIP: slapd is not installed\n");
		exit(77);
	}
	snprintf(sandbox, sizeof(sandbox), "/tmp/kcgidm-test.XXXXXX");
	if (mkdtemp(sandbox) == NULL)
		return -1;
	if (sandbox_cmd("start") != 0)
		return -1;
	snprintf(conf, sizeof(conf), "%s/kcgidm.conf", sandbox);
	fp = fopen(conf, "r");
	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if ((p = strstr(line, "\"ldapi://")) != NULL &&
		    (q = strchr(p + 1, '"')) != NULL) {
			*q = '\0';
			snprintf(ldapi, sizeof(ldapi), "%s", p + 1);
		}
	fclose(fp);
	*dir_r = sandbox;
	return ldapi[0] != '\0' ? 0 : -1;
}

void harness_sandbox_stop(void)
{
	assert_int_equal(sandbox_cmd("stop"), 0);
}

void harness_sandbox_restart(void)
{
	assert_int_equal(sandbox_cmd("start"), 0);
}

void harness_sandbox_destroy(void)
{
	char *argv[] = {"/bin/rm", "-rf", sandbox, NULL};
	struct run r;

	if (sandbox[0] == '\0')
		return;
	sandbox_cmd("stop");
	if (getenv("KCG_KEEP_SANDBOX") == NULL) {
		harness_run(&r, NULL, argv);
		harness_run_free(&r);
	}
}

const char *harness_ldapi(void)
{
	return ldapi;
}

/* kcgidm_argv - kcgidm -c CONF [--json] ARGS... from AP. */
static char **kcgidm_argv(int json, va_list ap)
{
	static char bin[512];
	char **argv = calloc(64, sizeof(char *));
	const char *a;
	int n = 0;

	snprintf(bin, sizeof(bin), "%s/src/kcgidm/kcgidm",
		 env_or("KCG_TOP_BUILDDIR", "."));
	if (getenv("KCG_VALGRIND_CLI") != NULL) {
		argv[n++] = "/usr/bin/valgrind";
		argv[n++] = "-q";
		argv[n++] = "--error-exitcode=99";
		argv[n++] = "--leak-check=full";
		argv[n++] = "--errors-for-leak-kinds=definite,indirect";
	}
	argv[n++] = bin;
	argv[n++] = "-c";
	argv[n++] = conf;
	if (json)
		argv[n++] = "--json";
	while ((a = va_arg(ap, const char *)) != NULL && n < 63)
		argv[n++] = (char *)a;
	argv[n] = NULL;
	return argv;
}

int harness_kcgidm(struct run *r, const char *input, ...)
{
	va_list ap;
	char **argv;

	va_start(ap, input);
	argv = kcgidm_argv(0, ap);
	va_end(ap);
	harness_run(r, input, argv);
	free(argv);
	return r->status;
}

json_t *harness_kcgidm_json(int *status_r, const char *input, ...)
{
	va_list ap;
	char **argv;
	struct run r;
	json_error_t jerr;
	json_t *j;

	va_start(ap, input);
	argv = kcgidm_argv(1, ap);
	va_end(ap);
	harness_run(&r, input, argv);
	free(argv);
	j = json_loads(r.out, 0, &jerr);
	if (j == NULL)
		fail_msg("not JSON (%s): stdout=%s stderr=%s", jerr.text, r.out,
			 r.err);
	*status_r = r.status;
	harness_run_free(&r);
	return j;
}

char *harness_slapcat(void)
{
	char confdir[300];
	char *argv[] = {"/usr/sbin/slapcat", "-F", confdir, "-o",
			"ldif_wrap=no",	     NULL};
	struct run r;

	snprintf(confdir, sizeof(confdir), "%s/slapd.d", sandbox);
	harness_run(&r, NULL, argv);
	assert_int_equal(r.status, 0);
	free(r.err);
	return r.out;
}

const char *harness_write_file(const char *name, const char *text)
{
	static char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", sandbox, name);
	unlink(path);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fchmod(fileno(fp), 0600); /* ldap tools warn about readable secrets */
	fputs(text, fp);
	fclose(fp);
	return path;
}

void harness_natid(char letter, unsigned long digits8, char out[11])
{
	static const int values[26] = {10, 11, 12, 13, 14, 15, 16, 17, 34,
				       18, 19, 20, 21, 22, 35, 23, 24, 25,
				       26, 27, 28, 29, 32, 30, 31, 33};
	int v = values[letter - 'A'], sum = v / 10 + (v % 10) * 9, i;

	snprintf(out, 11, "%c%08lu", letter, digits8);
	for (i = 0; i < 8; i++)
		sum += (out[1 + i] - '0') * (8 - i);
	out[9] = (char)('0' + (10 - sum % 10) % 10);
	out[10] = '\0';
}
