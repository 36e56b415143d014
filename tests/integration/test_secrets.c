/*
 * test_secrets - where passwords, link tokens and national IDs must never
 * be (issue 9, part 7), after real flows against a real slapd and
 * smtp-sink: apply, approve, forgot-password and reset, IKPD registration
 * and activation, mail drained by kcgidm-mailer.
 *
 * - argv: a scanner reads every /proc/PID/cmdline all along the flows.
 *   No process may show a password, a national ID or a token: the flows
 *   give IDs and tokens in files (--national-id-file, --token-file), and
 *   kcgidm spawns nothing that could inherit them. When an ID is given as
 *   an argument after all, kcgidm blanks it in its argv before it waits
 *   for the password (test_no_core_dumps checks /proc/PID/cmdline).
 * - the audit log, slapd's log, kcgidm's output, the spool (passwords and
 *   IDs never; tokens only while their message waits to be sent) and
 *   slapcat (only hashes).
 * - core dumps: kcgidm and kcgidm-mailer run with RLIMIT_CORE 0 and are
 *   not dumpable: killed with SIGSEGV while holding a password they leave
 *   no core file (checked against a control process that does).
 * - an idhash key file readable by others (0644) is refused by kcgidm and
 *   by kcgidmd, which does not start.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define PRIVACY	  "20230307_V1.0"
#define MAILRULES "KCG-MAIL-RULES_V1.0"
#define PW1	  "Secr3t!Apply#Pw"
#define PW2	  "Secr3t!Reset#Pw"
#define PW3	  "Secr3t!Ikpd#Pw9"
/* the control process's argv, as the scanner prints it */
#define DECOY "sh -c sleep 1 sh " PW3

static const char *sandbox;
static char id1[11], id2[11];
static char tokens[2][64];

static int group_setup(void **state)
{
	char text[1024];
	struct run r;
	int st;

	(void)state;
	if (harness_sandbox_start(&sandbox) != 0)
		return -1;
	harness_sandbox_smtp(harness_sink_start(NULL));
	harness_natid('K', 12345670, id1);
	harness_natid('Q', 22345671, id2);
	snprintf(text, sizeof(text),
		 "national_id,name,birth_date,category,agency,unit,title,"
		 "hire_date,account_type,status\n"
		 "%s,秘密一,70-03-04,職員,機關,,,,general,active\n"
		 "%s,秘密二,71-05-06,職員,機關,,,,general,active\n",
		 id1, id2);
	st = harness_kcgidm(&r, NULL, "roster", "import",
			    harness_write_file("secrets.csv", text), NULL);
	harness_run_free(&r);
	return st == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	harness_sink_stop();
	harness_sandbox_destroy();
	return 0;
}

/* read_all - the whole file PATH, NUL-terminated (NUL bytes inside become
 * spaces); caller frees; NULL when it cannot be read. */
static char *read_all(const char *path)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK);
	char *buf = NULL;
	size_t cap = 0, len = 0, i;
	ssize_t n;

	if (fd < 0)
		return NULL;
	do {
		if (cap - len < 4096)
			buf = realloc(buf, cap = cap * 2 + 4096);
		n = read(fd, buf + len, cap - len - 1);
		if (n > 0)
			len += (size_t)n;
	} while (n > 0);
	close(fd);
	for (i = 0; i < len; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[len] = '\0';
	return buf;
}

/* secret_in - the first of the secrets that TEXT holds, or NULL. With
 * IDS_TOO national IDs (and tokens) count, else only passwords. */
static const char *secret_in(const char *text, int ids_too)
{
	const char *pw[] = {PW1, PW2, PW3};
	size_t i;

	if (text == NULL)
		return NULL;
	for (i = 0; i < 3; i++)
		if (strstr(text, pw[i]) != NULL)
			return pw[i];
	if (!ids_too)
		return NULL;
	/* the ID without its letter: also found when lowercased */
	if (strstr(text, id1 + 1) != NULL)
		return id1;
	if (strstr(text, id2 + 1) != NULL)
		return id2;
	for (i = 0; i < 2; i++)
		if (tokens[i][0] != '\0' && strstr(text, tokens[i]) != NULL)
			return tokens[i];
	return NULL;
}

/* --- the argv scanner --------------------------------------------------- */

static pid_t scanner;
static char scan_log[600];

/* scan_forever - read every process's cmdline, again and again; write
 * what shows a secret to SCAN_LOG. Secrets are passed in the environment
 * of the fork, never in an argv. */
static void scan_forever(void)
{
	FILE *out = fopen(scan_log, "w");

	if (out == NULL)
		_exit(1);
	for (;;) {
		DIR *d = opendir("/proc");
		struct dirent *de;
		char path[300], *cmd;
		const char *hit;

		if (d == NULL)
			_exit(1);
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] < '0' || de->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/cmdline",
				 de->d_name);
			cmd = read_all(path);
			/* the flows give IDs and tokens in files
			 * (--national-id-file, --token-file): no process
			 * may show one, nor a password */
			hit = secret_in(cmd, 1);
			if (hit != NULL) {
				fprintf(out, "%s: %s\n", de->d_name, cmd);
				fflush(out);
			}
			free(cmd);
		}
		closedir(d);
		usleep(2000);
	}
}

static void scanner_start(void)
{
	snprintf(scan_log, sizeof(scan_log), "%s/argv-scan.log", sandbox);
	scanner = fork();
	assert_true(scanner >= 0);
	if (scanner == 0)
		scan_forever();
}

/* scanner_stop - stop it; what it found (caller frees, "" for nothing). */
static char *scanner_stop(void)
{
	char *found;

	kill(scanner, SIGKILL);
	waitpid(scanner, NULL, 0);
	found = read_all(scan_log);
	assert_non_null(found);
	return found;
}

/* --- the flows ---------------------------------------------------------- */

/* kcgidm - run kcgidm; fail unless it exits WANT; output checked for
 * passwords and IDs. */
static void kcgidm(int want, const char *input, ...)
{
	char *argv[32] = {NULL};
	const char *a;
	struct run r;
	va_list ap;
	int n = 0;

	va_start(ap, input);
	while ((a = va_arg(ap, const char *)) != NULL && n < 16)
		argv[n++] = (char *)a;
	va_end(ap);
	argv[n] = NULL;
	/* harness_kcgidm stops at the first NULL */
	harness_kcgidm(&r, input, argv[0], argv[1], argv[2], argv[3], argv[4],
		       argv[5], argv[6], argv[7], argv[8], argv[9], argv[10],
		       argv[11], argv[12], argv[13], argv[14], argv[15], NULL);
	if (r.status != want)
		fail_msg("kcgidm %s: exit %d, want %d\n%s%s", argv[0], r.status,
			 want, r.out, r.err);
	if (secret_in(r.out, 0) || secret_in(r.err, 0))
		fail_msg("kcgidm %s shows a password", argv[0]);
	if (strstr(r.out, id1 + 1) || strstr(r.err, id1 + 1) ||
	    strstr(r.out, id2 + 1) || strstr(r.err, id2 + 1))
		fail_msg("kcgidm %s shows a national ID", argv[0]);
	harness_run_free(&r);
}

/* token_of - the link token in the newest sink message into T. */
static void token_of(char t[64])
{
	char **msgs = harness_sink_messages(), *p = NULL;
	size_t i;

	for (i = 0; msgs[i] != NULL; i++)
		if ((p = strstr(msgs[i], "token=")) != NULL)
			snprintf(t, 64, "%.43s", p + 6);
	harness_strv_free(msgs);
	harness_sink_clear();
	assert_int_equal(strlen(t), 43);
}

/* tree_secret - the first file under DIR that holds a secret (IDS_TOO as
 * secret_in); its path in a static buffer, or NULL. */
static const char *tree_secret(const char *dir, int ids_too)
{
	static char found[700];
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[700], *text;
	struct stat st;
	const char *hit = NULL;

	if (d == NULL)
		return NULL;
	while (hit == NULL && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			hit = tree_secret(path, ids_too);
		} else if (S_ISREG(st.st_mode)) {
			text = read_all(path);
			if (secret_in(text, ids_too) != NULL) {
				snprintf(found, sizeof(found), "%s", path);
				hit = found;
			}
			free(text);
		}
	}
	closedir(d);
	return hit;
}

/* file_secret - fail when file NAME in the sandbox holds a secret. */
static void file_secret(const char *name)
{
	char path[600], *text;
	const char *hit;

	snprintf(path, sizeof(path), "%s/%s", sandbox, name);
	text = read_all(path);
	assert_non_null(text);
	hit = secret_in(text, 1);
	if (hit != NULL)
		fail_msg("%s holds the secret %s", name, hit);
	free(text);
}

static void test_flows_leave_no_secret(void **state)
{
	char spool[600], line[32], *found, *ldif, *p;
	pid_t decoy;
	const char *hit,
		*mailer[] = {NULL, "-c", NULL, "--once", "--foreground", NULL};
	char bin[600], *b = getenv("KCG_TOP_BUILDDIR"), id1_file[600];
	struct run r;

	(void)state;
	snprintf(spool, sizeof(spool), "%s/spool", sandbox);
	snprintf(id1_file, sizeof(id1_file), "%s",
		 harness_write_file("id1", id1));
	scanner_start();
	/* the control: a process with a password in its argv is seen */
	decoy = fork();
	assert_true(decoy >= 0);
	if (decoy == 0) {
		execl("/bin/sh", "sh", "-c", "sleep 1", "sh", PW3,
		      (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(decoy, NULL, 0), decoy);
	/* an application with a recovery address, approved */
	kcgidm(0, PW1 "\n", "apply", "--name", "秘密一", "--national-id-file",
	       id1_file, "--uid", "secret1", "--accept-privacy", PRIVACY,
	       "--mail", "--accept-mail-rules", MAILRULES, "--recovery-mail",
	       "home@example.org", NULL);
	kcgidm(0, NULL, "approve", "secret1", NULL);
	kcgidm(0, PW1 "\n", "auth", "test", "secret1", "--service", "mail",
	       NULL);
	/* forgot-password: the reset link goes through the spool */
	kcgidm(0, NULL, "forgot-password", "--uid", "secret1", NULL);
	hit = tree_secret(spool, 0);
	if (hit != NULL)
		fail_msg("the spool holds a password or ID: %s", hit);
	snprintf(bin, sizeof(bin), "%s/src/mailer/kcgidm-mailer",
		 b != NULL && b[0] ? b : ".");
	mailer[0] = bin;
	mailer[2] = harness_conf();
	harness_run(&r, NULL, (char *const *)mailer);
	assert_int_equal(r.status, 0);
	assert_null(secret_in(r.out, 0));
	assert_null(secret_in(r.err, 0));
	harness_run_free(&r);
	token_of(tokens[0]);
	kcgidm(0, PW2 "\n", "reset", "--token-file",
	       harness_write_file("token0", tokens[0]), NULL);
	/* IKPD: register, the activation link, activate */
	kcgidm(0, PW2 "\n", "ikpd", "register", "--mail", "secret1",
	       "--national-id-file", id1_file, "--birth-date", "070-03-04",
	       NULL);
	harness_run(&r, NULL, (char *const *)mailer);
	assert_int_equal(r.status, 0);
	harness_run_free(&r);
	token_of(tokens[1]);
	kcgidm(0, PW2 "\n", "ikpd", "activate", "--token-file",
	       harness_write_file("token1", tokens[1]), NULL);
	/* a wrong national ID for the second person: refused, not echoed */
	kcgidm(4, NULL, "verify", "--name", "秘密一", "--national-id-file",
	       harness_write_file("id2", id2), NULL);
	found = scanner_stop();
	snprintf(line, sizeof(line), "%d: ", (int)decoy);
	if (strncmp(found, line, strlen(line)) != 0)
		fail_msg("the scanner did not see the control process:\n%s",
			 found);
	/* every line but the control's: the control itself, or the child
	 * that dash forks for `sleep 1`, caught before its exec with the
	 * same argv (seen in a CI run) */
	for (p = found; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
		if (*p == '\n' && *++p == '\0')
			break;
		if (strncmp(strchr(p, ' ') ? strchr(p, ' ') + 1 : p, DECOY,
			    strlen(DECOY)) != 0)
			fail_msg("a secret in a process's argv:\n%s", p);
	}
	free(found);

	/* at rest: the logs, the spool (sent: nothing left), the directory */
	file_secret("audit.log");
	file_secret("slapd.log");
	hit = tree_secret(spool, 1);
	if (hit != NULL)
		fail_msg("the spool holds a secret after the drain: %s", hit);
	ldif = harness_slapcat();
	hit = secret_in(ldif, 1);
	if (hit != NULL)
		fail_msg("slapcat shows the secret %s", hit);
	free(ldif);
}

/* --- core dumps ----------------------------------------------------------- */

/* proc_state - the state letter of PID from /proc/PID/stat ('?' if gone) */
static char proc_state(pid_t pid)
{
	char path[64], *t, *p;
	char s = '?';

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	t = read_all(path);
	if (t != NULL && (p = strrchr(t, ')')) != NULL && p[1] == ' ')
		s = p[2];
	free(t);
	return s;
}

/* core_limit_zero - /proc/PID/limits says no core file, soft and hard. */
static int core_limit_zero(pid_t pid)
{
	char path[64], *t, *p;
	int zero = 0;

	snprintf(path, sizeof(path), "/proc/%d/limits", (int)pid);
	t = read_all(path);
	if (t != NULL && (p = strstr(t, "Max core file size")) != NULL) {
		p += strlen("Max core file size");
		zero = strncmp(p + strspn(p, " "), "0 ", 2) == 0;
		p += strspn(p, " ") + 1;
		zero = zero && strncmp(p + strspn(p, " "), "0 ", 2) == 0;
	}
	free(t);
	return zero;
}

/* has_core - a file named core* in DIR. */
static int has_core(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n += strncmp(de->d_name, "core", 4) == 0;
	closedir(d);
	return n;
}

/*
 * crash_in - start ARGV in folder DIR with RLIMIT_CORE unlimited, its
 * standard input a pipe that stays empty (it blocks reading a password);
 * once it sleeps (and, with WANT_LIMIT, shows RLIMIT_CORE 0), SIGSEGV.
 * With HIDDEN, its argv must by then no longer show HIDDEN.
 */
static void crash_in(const char *dir, char *const *argv, int want_limit,
		     const char *hidden)
{
	int in[2], i, ws;
	pid_t pid;

	assert_int_equal(pipe(in), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
		int null = open("/dev/null", O_WRONLY);

		close(in[1]);
		dup2(in[0], 0);
		dup2(null, 1);
		dup2(null, 2);
		if (chdir(dir) != 0)
			_exit(126);
		setrlimit(RLIMIT_CORE, &rl);
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	/* a deadline, not a timing assertion */
	for (i = 0; i < 1000; i++) {
		if (proc_state(pid) == 'S' &&
		    (!want_limit || core_limit_zero(pid)))
			break;
		usleep(10000);
	}
	if (want_limit && !core_limit_zero(pid))
		fail_msg("%s: RLIMIT_CORE is not 0", argv[0]);
	if (hidden != NULL) {
		/* waiting for the password, so past its options: an ID
		 * given as an argument no longer shows (G9) */
		char path[64], *cmd;

		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
		cmd = read_all(path);
		assert_non_null(cmd);
		if (strstr(cmd, "--national-id") == NULL ||
		    strstr(cmd, hidden) != NULL)
			fail_msg("%s: the argument %s still shows: %s", argv[0],
				 hidden, cmd);
		free(cmd);
	}
	kill(pid, SIGSEGV);
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	close(in[1]);
	/* killed by it, or (under ASan, which catches SIGSEGV) aborted */
	assert_true(WIFSIGNALED(ws) || (WIFEXITED(ws) && WEXITSTATUS(ws) != 0));
}

static void test_no_core_dumps(void **state)
{
	char *pattern = read_all("/proc/sys/kernel/core_pattern");
	char dir[600], bin[600], *b = getenv("KCG_TOP_BUILDDIR");
	char *control[] = {"/bin/cat", NULL};
	char *cli[] = {bin,	 "-c",	    (char *)harness_conf(), "apply",
		       "--name", "秘密二",  "--national-id",	    id2,
		       "--uid",	 "secret2", "--accept-privacy",	    PRIVACY,
		       NULL};

	(void)state;
	snprintf(bin, sizeof(bin), "%s/src/kcgidm/kcgidm",
		 b != NULL && b[0] ? b : ".");
	snprintf(dir, sizeof(dir), "%s/cores", sandbox);
	assert_int_equal(mkdir(dir, 0777), 0);
	/* the limits alone, wherever cores go */
	crash_in(dir, cli, 1, id2 + 1);
	if (pattern == NULL || pattern[0] == '|' || pattern[0] == '/' ||
	    strchr(pattern, '%') != NULL) {
		fprintf(stderr,
			"note: core_pattern is \"%s\": only RLIMIT_CORE is "
			"checked\n",
			pattern ? pattern : "?");
		free(pattern);
		return;
	}
	free(pattern);
	/* the control dumps a core here; kcgidm, holding no password yet
	 * but its configuration and ID key, must not */
	crash_in(dir, control, 0, NULL);
	if (has_core(dir) == 0) {
		fprintf(stderr, "note: no core from the control process: "
				"only RLIMIT_CORE is checked\n");
		return;
	}
	{
		char *rm[] = {"/bin/sh", "-c", "rm -f core*", NULL};
		struct run r;

		assert_int_equal(chdir(dir), 0);
		harness_run(&r, NULL, rm);
		harness_run_free(&r);
		assert_int_equal(chdir("/"), 0);
	}
	assert_int_equal(has_core(dir), 0);
	crash_in(dir, cli, 1, id2 + 1);
	assert_int_equal(has_core(dir), 0);
}

/* --- the ID key's mode ---------------------------------------------------- */

static void test_key_file_mode(void **state)
{
	char key[600], conf[600], *text, *p, *q, *out;
	char bin[600], *b = getenv("KCG_TOP_BUILDDIR");
	char *argv[] = {"/usr/bin/timeout", "20", bin, "-c", conf,
			"--foreground",	    NULL};
	struct run r;
	FILE *fp;
	int fd;

	(void)state;
	snprintf(key, sizeof(key), "%s/idhash-0644.key", sandbox);
	snprintf(conf, sizeof(conf), "%s/key-0644.conf", sandbox);
	text = read_all(harness_conf());
	assert_non_null(text);
	/* the same key, mode 0644 */
	p = strstr(text, "key_file = \"");
	assert_non_null(p);
	p += strlen("key_file = \"");
	q = strchr(p, '"');
	{
		char orig[600], *k;

		snprintf(orig, sizeof(orig), "%.*s", (int)(q - p), p);
		k = read_all(orig);
		assert_non_null(k);
		fd = open(key, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, k, strlen(k)), (ssize_t)strlen(k));
		fchmod(fd, 0644);
		close(fd);
		free(k);
	}
	out = malloc(strlen(text) + strlen(key) + 1);
	sprintf(out, "%.*s%s%s", (int)(p - text), text, key, q);
	fp = fopen(conf, "w");
	assert_non_null(fp);
	fputs(out, fp);
	fclose(fp);
	chmod(conf, 0600);
	free(out);
	free(text);

	/* kcgidm refuses it for anything that hashes an ID */
	snprintf(bin, sizeof(bin), "%s/src/kcgidm/kcgidm",
		 b != NULL && b[0] ? b : ".");
	harness_run(&r, NULL,
		    (char *[]){bin, "-c", conf, "verify", "--name", "秘密一",
			       "--national-id", id1, NULL});
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "0600"));
	harness_run_free(&r);
	/* kcgidmd does not start with it (timeout would say 124) */
	snprintf(bin, sizeof(bin), "%s/src/kcgidmd/kcgidmd",
		 b != NULL && b[0] ? b : ".");
	harness_run(&r, NULL, argv);
	assert_int_not_equal(r.status, 0);
	assert_int_not_equal(r.status, 124);
	if (strstr(r.err, "0600") == NULL)
		fail_msg("kcgidmd: %s", r.err);
	harness_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flows_leave_no_secret),
		cmocka_unit_test(test_no_core_dumps),
		cmocka_unit_test(test_key_file_mode),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
