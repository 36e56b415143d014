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
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
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

/* sandbox_cmd - scripts/slapd-sandbox CMD <dir> [OPT VALUE]; its exit
 * status. Its output goes to stderr when it fails, or always with
 * KCG_DEBUG_SANDBOX set. */
static int sandbox_cmd2(const char *cmd, const char *opt, const char *value)
{
	char script[512], module[512];
	struct run r;
	char *argv[] = {script,	     (char *)cmd,   sandbox,
			(char *)opt, (char *)value, NULL};

	snprintf(script, sizeof(script), "%s/scripts/slapd-sandbox",
		 env_or("KCG_TOP_SRCDIR", "."));
	snprintf(module, sizeof(module),
		 "%s/src/slapd/.libs/kcg_check_password.so",
		 env_or("KCG_TOP_BUILDDIR", "."));
	setenv("KCG_CHECK_MODULE", module, 1);
	harness_run(&r, NULL, argv);
	if (r.status != 0 || getenv("KCG_DEBUG_SANDBOX"))
		fprintf(stderr, "slapd-sandbox %s: %s%s", cmd, r.out, r.err);
	harness_run_free(&r);
	return r.status;
}

/* sandbox_cmd - scripts/slapd-sandbox CMD <dir>. */
static int sandbox_cmd(const char *cmd)
{
	return sandbox_cmd2(cmd, NULL, NULL);
}

void harness_sandbox_smtp(int port)
{
	char p[16];

	snprintf(p, sizeof(p), "%d", port);
	assert_int_equal(sandbox_cmd2("start", "--smtp-port", p), 0);
}

void harness_ldapmodify_admin(const char *ldif)
{
	char *argv[] = {"/usr/bin/ldapmodify",
			"-Q",
			"-Y",
			"EXTERNAL",
			"-H",
			ldapi,
			NULL};
	struct run r;

	harness_run(&r, ldif, argv);
	if (r.status != 0)
		fail_msg("ldapmodify: %s%s", r.out, r.err);
	harness_run_free(&r);
}

void harness_slapmodify(const char *ldif)
{
	char confdir[300];
	char *argv[] = {"/usr/sbin/slapmodify", "-F", confdir, "-b",
			"dc=kcg,dc=gov,dc=tw",	NULL};
	struct run r;

	snprintf(confdir, sizeof(confdir), "%s/slapd.d", sandbox);
	harness_sandbox_stop();
	harness_run(&r, ldif, argv);
	if (r.status != 0)
		fail_msg("slapmodify: %s%s", r.out, r.err);
	harness_run_free(&r);
	harness_sandbox_restart();
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
	return harness_slapcat_filter(NULL);
}

/* Not slapcat -s: 2.5.13 aborts with it. */
char *harness_slapcat_filter(const char *filter)
{
	char confdir[300];
	char *argv[] = {"/usr/sbin/slapcat",
			"-F",
			confdir,
			"-o",
			"ldif_wrap=no",
			filter != NULL ? "-a" : NULL,
			(char *)filter,
			NULL};
	struct run r;

	snprintf(confdir, sizeof(confdir), "%s/slapd.d", sandbox);
	harness_run(&r, NULL, argv);
	assert_int_equal(r.status, 0);
	free(r.err);
	return r.out;
}

int harness_bind_dn(const char *dn, const char *pw)
{
	char f[512];
	char *argv[] = {"/usr/bin/ldapwhoami",
			"-x",
			"-H",
			ldapi,
			"-D",
			(char *)dn,
			"-y",
			f,
			NULL};
	struct run r;

	snprintf(f, sizeof(f), "%s", harness_write_file("bind.pw", pw));
	harness_run(&r, NULL, argv);
	harness_run_free(&r);
	return r.status;
}

int harness_bind(const char *uid, const char *pw)
{
	char dn[160];

	snprintf(dn, sizeof(dn), "uid=%s,ou=people,dc=kcg,dc=gov,dc=tw", uid);
	return harness_bind_dn(dn, pw);
}

int harness_count(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
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

const char *harness_conf(void)
{
	return conf;
}

static char sink_dir[256];
static pid_t sink_pid = -1;

int harness_free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* port_open - something accepts connections on 127.0.0.1:PORT. */
static int port_open(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((unsigned short)port);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

static int sink_port;

int harness_sink_start(const char *const *extra_args)
{
	char pattern[300], addr[64];
	char *argv[32];
	int n = 0, i;

	if (access("/usr/sbin/smtp-sink", X_OK) != 0) {
		fprintf(stderr, "SKIP: smtp-sink is not installed\n");
		exit(77);
	}
	if (sink_dir[0] == '\0') {
		snprintf(sink_dir, sizeof(sink_dir), "/tmp/kcgidm-sink.XXXXXX");
		assert_non_null(mkdtemp(sink_dir));
		chmod(sink_dir, 0777); /* smtp-sink writes as nobody */
	}
	if (sink_port == 0)
		sink_port = harness_free_port();
	snprintf(pattern, sizeof(pattern), "%s/%%Y%%m%%d%%H%%M%%S.", sink_dir);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", sink_port);
	argv[n++] = "/usr/sbin/smtp-sink";
	if (getuid() == 0) {
		argv[n++] = "-u";
		argv[n++] = "nobody";
	}
	argv[n++] = "-d";
	argv[n++] = pattern;
	for (i = 0; extra_args != NULL && extra_args[i] != NULL && n < 28; i++)
		argv[n++] = (char *)extra_args[i];
	argv[n++] = addr;
	argv[n++] = "10";
	argv[n] = NULL;
	sink_pid = fork();
	assert_true(sink_pid >= 0);
	if (sink_pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	for (i = 0; i < 100 && !port_open(sink_port); i++)
		usleep(50000);
	assert_true(port_open(sink_port));
	return sink_port;
}

void harness_sink_stop(void)
{
	if (sink_pid > 0) {
		kill(sink_pid, SIGTERM);
		waitpid(sink_pid, NULL, 0);
		sink_pid = -1;
	}
}

const char *harness_sink_dir(void)
{
	return sink_dir;
}

/* b64val - the value of base64 character C, or -1. */
static int b64val(int c)
{
	const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			"0123456789+/";
	const char *p = c ? strchr(a, c) : NULL;

	return p != NULL ? (int)(p - a) : -1;
}

/* decode_body - MSG (LF line ends) with its body decoded per
 * Content-Transfer-Encoding. */
static char *decode_body(const char *msg)
{
	const char *body = strstr(msg, "\n\n");
	const char *cte = strcasestr(msg, "Content-Transfer-Encoding:");
	size_t hlen, o;
	char *out;
	unsigned int acc = 0;
	int bits = 0, v;
	const char *p;

	if (body == NULL)
		return strdup(msg);
	body += 2;
	hlen = (size_t)(body - msg);
	out = calloc(1, strlen(msg) + 1);
	memcpy(out, msg, hlen);
	o = hlen;
	if (cte != NULL && cte < body &&
	    strncasecmp(cte + 26 + strspn(cte + 26, " "), "base64", 6) == 0) {
		for (p = body; *p; p++) {
			if ((v = b64val(*p)) < 0)
				continue;
			acc = acc << 6 | (unsigned)v;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				out[o++] = (char)((acc >> bits) & 0xff);
			}
		}
	} else if (cte != NULL && cte < body &&
		   strncasecmp(cte + 26 + strspn(cte + 26, " "),
			       "quoted-printable", 16) == 0) {
		for (p = body; *p; p++) {
			if (p[0] == '=' && p[1] == '\n') {
				p += 1;
			} else if (p[0] == '=' && p[1] && p[2]) {
				char hex[3] = {p[1], p[2], 0};

				out[o++] = (char)strtol(hex, NULL, 16);
				p += 2;
			} else {
				out[o++] = *p;
			}
		}
	} else {
		strcpy(out + o, body);
		o += strlen(body);
	}
	out[o] = '\0';
	return out;
}

/* by_name - qsort comparison of file names. */
static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **harness_sink_messages(void)
{
	DIR *d = opendir(sink_dir);
	struct dirent *de;
	char **names = calloc(1, sizeof(char *)), **out;
	size_t n = 0, i;
	char path[600];
	FILE *fp;
	char *raw;
	long len;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		names = realloc(names, (n + 2) * sizeof(char *));
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(char *), by_name);
	out = calloc(n + 1, sizeof(char *));
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", sink_dir, names[i]);
		fp = fopen(path, "r");
		assert_non_null(fp);
		fseek(fp, 0, SEEK_END);
		len = ftell(fp);
		rewind(fp);
		raw = calloc(1, (size_t)len + 1);
		assert_int_equal(fread(raw, 1, (size_t)len, fp), (size_t)len);
		fclose(fp);
		{
			char *src, *dst; /* smtp-sink keeps CRs of some lines */

			for (src = dst = raw; *src; src++)
				if (*src != '\r')
					*dst++ = *src;
			*dst = '\0';
		}
		out[i] = decode_body(raw);
		free(raw);
		free(names[i]);
	}
	free(names);
	return out;
}

void harness_strv_free(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

void harness_sink_clear(void)
{
	DIR *d = opendir(sink_dir);
	struct dirent *de;
	char path[600];

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", sink_dir, de->d_name);
		unlink(path);
	}
	closedir(d);
}
