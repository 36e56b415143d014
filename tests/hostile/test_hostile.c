/*
 * test_hostile - hostile input to every kcgidm command that takes outside
 * input, against a real slapd (the sandbox).
 *
 * Each group is a table of cases: the arguments (and standard input, and
 * for roster cases the file), the exact exit status expected and a keyword
 * that stderr (or stdout, where the command reports there) must contain.
 * Around each group the whole directory is dumped with slapcat, before and
 * after, and the two dumps must be byte-identical: refused input writes
 * nothing. No mail may be queued either.
 *
 * The sandbox runs with olcLastBind FALSE. With slapd's default of TRUE
 * every successful bind writes pwdLastSuccess (with entryCSN and
 * modifyTimestamp) into the binding entry, so every kcgidm run, refused or
 * not, writes into cn=provisioner; test_lastbind_is_the_only_write shows
 * that this is the only write a refused command makes. See
 * docs/security.md.
 *
 * Known bugs: a case flagged KB (a refusal that comes out wrong but writes
 * nothing) is reported as "KNOWN BUG" on stderr and tolerated, and a case
 * flagged KBW (one that would write, or change a password, while the bug
 * is there) is skipped -- unless the program is built with
 * -DKCG_HOSTILE_KNOWN_BUGS, which makes both strict. Every case runs with
 * a time limit, so a command that blocks is killed (status 124, as with
 * timeout(1)) instead of hanging make check; a crash (a signal) is never
 * tolerated. Every output is also checked for the plain national IDs of
 * the test people and for the test password: neither may ever appear.
 *
 * The cases of a group write nothing, so they run four at a time.
 * KCG_VALGRIND_CLI=1 runs kcgidm under valgrind, as in tests/integration.
 */
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* Case tables leave their trailing fields out (NULL, 0). */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define PRIVACY	  "20230307_V1.0"
#define MAILRULES "KCG-MAIL-RULES_V1.0"
#define GOOD	  "1Qaz2wsx!Kcg"
#define GOOD_PW	  GOOD "\n"
#define NEW_PW	  "2Wsx3edc!Kcg"
#define SENT	  "If the details are right"

/* Case flags. */
#define KB     0x01u /* known bug, writes nothing: tolerated unless strict */
#define KBW    0x02u /* known bug that writes: run only when strict */
#define SHORT  0x04u /* may block while the bug is there: 1 s limit */
#define NOCONF 0x08u /* the case gives its own -c */
#define FIFOW  0x10u /* {{FILE}} is a FIFO fed with the case's file */
#define MEMCAP 0x20u /* run with a 512 MB address-space limit */

/* ASan reserves terabytes of address space for its shadow memory, so an
 * RLIMIT_AS cap stops a sanitized kcgidm before main: under ASan (the test
 * is built like the programs, see scripts/sanitize) MEMCAP cases run
 * without the cap, still bounded by their time limit. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifdef UNDER_ASAN
static const int under_asan = 1;
#else
static const int under_asan = 0;
#endif

#ifdef KCG_HOSTILE_KNOWN_BUGS
static const int strict = 1;
#else
static const int strict = 0;
#endif

/* One case: kcgidm [-c CONF] ARGV..., with IN on standard input. */
struct hcase {
	const char *label;
	const char *argv[24];
	const char *in; /* may hold NUL bytes: IN_LEN counts */
	size_t in_len;
	int status;
	const char *err_kw; /* must be in stderr (NULL: not checked) */
	const char *out_kw; /* must be in stdout (NULL: not checked) */
	unsigned flags;
	const char *file; /* content of {{FILE}} (may hold NUL bytes) */
	size_t file_len;
};

/* Standard input or file content given as a literal, NULs included. */
#define B(s) s, sizeof(s) - 1
#define NOIN NULL, 0

/* The roster file's header row. */
#define HEADER                                                                 \
	"national_id,name,birth_date,category,agency,unit,title,hire_date,"    \
	"account_type,status\n"

static const char *sandbox;
static unsigned long n_cases, n_known, n_skipped;

/* --- {{TOKEN}} expansion ------------------------------------------------ */

struct tok {
	char *name, *value;
};
static struct tok toks[64];
static size_t n_toks;

static void tok_set(const char *name, const char *value)
{
	size_t i;

	for (i = 0; i < n_toks; i++)
		if (strcmp(toks[i].name, name) == 0) {
			free(toks[i].value);
			toks[i].value = strdup(value);
			return;
		}
	assert_true(n_toks < sizeof(toks) / sizeof(toks[0]));
	toks[n_toks].name = strdup(name);
	toks[n_toks].value = strdup(value);
	n_toks++;
}

static const char *tok_get(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < n_toks; i++)
		if (strlen(toks[i].name) == len &&
		    memcmp(toks[i].name, name, len) == 0)
			return toks[i].value;
	fail_msg("unknown token {{%.*s}}", (int)len, name);
	return NULL;
}

/* expand - S[0..LEN) with every {{NAME}} replaced; new memory, its length
 * in *len_r (NUL bytes of S are kept). */
static char *expand(const char *s, size_t len, size_t *len_r)
{
	size_t cap = len + 256, o = 0, i = 0, vlen;
	char *out = malloc(cap);
	const char *end, *v;

	assert_non_null(out);
	while (i < len) {
		if (i + 1 < len && s[i] == '{' && s[i + 1] == '{' &&
		    (end = memmem(s + i + 2, len - i - 2, "}}", 2)) != NULL) {
			v = tok_get(s + i + 2, (size_t)(end - s - i - 2));
			vlen = strlen(v);
			i = (size_t)(end - s) + 2;
		} else {
			v = s + i++;
			vlen = 1;
		}
		if (o + vlen + 1 > cap) {
			cap = (o + vlen + 1) * 2;
			out = realloc(out, cap);
			assert_non_null(out);
		}
		memcpy(out + o, v, vlen);
		o += vlen;
	}
	out[o] = '\0';
	if (len_r != NULL)
		*len_r = o;
	return out;
}

static char *expand_str(const char *s)
{
	return expand(s, strlen(s), NULL);
}

/* --- files and processes ------------------------------------------------ */

/* sandbox_path - NAME inside the sandbox folder (one of 8 static
 * buffers, so that a few can be used at once). */
static const char *sandbox_path(const char *name)
{
	static char ring[8][512];
	static unsigned next;
	char *path = ring[next++ % 8];

	snprintf(path, 512, "%s/%s", sandbox, name);
	return path;
}

/* write_bytes - a file in the sandbox with DATA[0..LEN) and MODE. */
static const char *write_bytes(const char *name, const char *data, size_t len,
			       mode_t mode)
{
	const char *path = sandbox_path(name);
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	fchmod(fd, mode);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

/* fifo_writer - a child that opens the FIFO PATH for writing (it blocks
 * until a reader comes), writes DATA and exits; killed after the case. */
static pid_t fifo_writer(const char *path, const char *data, size_t len)
{
	pid_t pid = fork();
	int fd;

	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(30);
		fd = open(path, O_WRONLY);
		if (fd >= 0) {
			(void)!write(fd, data, len);
			close(fd);
		}
		_exit(0);
	}
	return pid;
}

static const char *kcgidm_bin(void)
{
	static char bin[512];
	const char *b = getenv("KCG_TOP_BUILDDIR");

	snprintf(bin, sizeof(bin), "%s/src/kcgidm/kcgidm",
		 b != NULL && b[0] != '\0' ? b : ".");
	return bin;
}

/* slurp_fd - everything written to FD, NUL-terminated (new memory). */
static char *slurp_fd(int fd)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	ssize_t k;

	assert_non_null(buf);
	lseek(fd, 0, SEEK_SET);
	while ((k = read(fd, buf + n, cap - n - 1)) > 0) {
		n += (size_t)k;
		if (cap - n < 2) {
			buf = realloc(buf, cap *= 2);
			assert_non_null(buf);
		}
	}
	buf[n] = '\0';
	return buf;
}

/* tmpfile_fd - an unlinked temporary file, open for reading and writing. */
static int tmpfile_fd(void)
{
	char path[] = "/tmp/hostile.XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	return fd;
}

/* --- running cases, a few at a time -------------------------------------
 * Cases of a group are independent (they write nothing), so up to SLOTS
 * run at once; the time of a group is the time of kcgidm starting and
 * binding, which overlaps well. Each slot has its own {{FILE}}. */

#define SLOTS 4

struct job {
	const struct hcase *c;
	pid_t pid, writer;
	int fout, ferr, timed_out;
	struct timespec deadline;
	char *content;
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* job_start - start case C in slot SLOT. */
static void job_start(struct job *j, int slot, const struct hcase *c)
{
	char *argv[64], *expanded[24], *in, name[32];
	const char *file;
	size_t in_len = 0, len;
	int n = 0, i, fin, valgrind = getenv("KCG_VALGRIND_CLI") != NULL;
	int secs = (c->flags & SHORT ? 1 : 60) * (valgrind ? 20 : 1);
	struct rlimit rl = {512UL << 20, 512UL << 20};
	double dl;

	memset(j, 0, sizeof(*j));
	j->c = c;
	j->writer = -1;
	if (c->file != NULL) {
		j->content = expand(c->file, c->file_len, &len);
		if (c->flags & FIFOW) {
			snprintf(name, sizeof(name), "case%d.fifo", slot);
			file = sandbox_path(name);
			unlink(file);
			assert_int_equal(mkfifo(file, 0600), 0);
			j->writer = fifo_writer(file, j->content, len);
		} else {
			snprintf(name, sizeof(name), "case%d.csv", slot);
			file = write_bytes(name, j->content, len, 0600);
		}
		tok_set("FILE", file);
	}
	if (valgrind) {
		argv[n++] = "/usr/bin/valgrind";
		argv[n++] = "-q";
		argv[n++] = "--error-exitcode=99";
		argv[n++] = "--leak-check=full";
		argv[n++] = "--errors-for-leak-kinds=definite,indirect";
	}
	argv[n++] = (char *)kcgidm_bin();
	if (!(c->flags & NOCONF)) {
		argv[n++] = "-c";
		argv[n++] = (char *)harness_conf();
	}
	for (i = 0; i < 23 && c->argv[i] != NULL; i++)
		argv[n++] = expanded[i] = expand_str(c->argv[i]);
	argv[n] = NULL;
	in = c->in != NULL ? expand(c->in, c->in_len, &in_len) : NULL;
	fin = tmpfile_fd();
	j->fout = tmpfile_fd();
	j->ferr = tmpfile_fd();
	if (in_len > 0)
		assert_int_equal(write(fin, in, in_len), (ssize_t)in_len);
	lseek(fin, 0, SEEK_SET);
	j->pid = fork();
	assert_true(j->pid >= 0);
	if (j->pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		dup2(fin, 0);
		dup2(j->fout, 1);
		dup2(j->ferr, 2);
		if ((c->flags & MEMCAP) && !under_asan)
			setrlimit(RLIMIT_AS, &rl);
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fin);
	dl = now_s() + secs;
	j->deadline.tv_sec = (time_t)dl;
	j->deadline.tv_nsec = (long)((dl - (double)(time_t)dl) * 1e9);
	while (--i >= 0)
		free(expanded[i]);
	free(in);
}

/* job_finish - collect the outcome of J (its process has ended with WS). */
static void job_finish(struct job *j, int ws, struct run *r)
{
	r->status = j->timed_out    ? 124
		    : WIFEXITED(ws) ? WEXITSTATUS(ws)
				    : 128 + WTERMSIG(ws);
	r->out = slurp_fd(j->fout);
	r->err = slurp_fd(j->ferr);
	close(j->fout);
	close(j->ferr);
	if (j->writer > 0) {
		kill(j->writer, SIGKILL);
		waitpid(j->writer, NULL, 0);
	}
	free(j->content);
	j->pid = 0;
}

/* --- checks ------------------------------------------------------------- */

/* The plain national IDs of the test people: never in any output. */
static char ids[10][11];

/* leaks_id - the output names a national ID in full. */
static const char *leaks_id(const struct run *r)
{
	size_t i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (ids[i][0] != '\0' && (strstr(r->out, ids[i] + 1) != NULL ||
					  strstr(r->err, ids[i] + 1) != NULL))
			return ids[i];
	return NULL;
}

/* shorten - at most 300 bytes of S for a message (static buffer). */
static const char *shorten(const char *s, int which)
{
	static char buf[2][320];

	snprintf(buf[which], sizeof(buf[which]), "%.300s%s", s,
		 strlen(s) > 300 ? "..." : "");
	return buf[which];
}

/* verdict - NULL when R is what case C expects, else why not. */
static const char *verdict(const struct hcase *c, const struct run *r)
{
	static char why[256];
	const char *id;

	if (r->status != c->status) {
		snprintf(why, sizeof(why), "exit %d, expected %d%s", r->status,
			 c->status,
			 r->status == 124  ? " (killed at the time limit: it "
					     "blocked or looped)"
			 : r->status > 128 ? " (killed by a signal)"
					   : "");
		return why;
	}
	if (c->err_kw != NULL && strstr(r->err, c->err_kw) == NULL) {
		snprintf(why, sizeof(why), "stderr lacks \"%s\"", c->err_kw);
		return why;
	}
	if (c->out_kw != NULL && strstr(r->out, c->out_kw) == NULL) {
		snprintf(why, sizeof(why), "stdout lacks \"%s\"", c->out_kw);
		return why;
	}
	if (c->status != 0 && r->err[0] == '\0') {
		snprintf(why, sizeof(why), "refused without a word on stderr");
		return why;
	}
	if ((id = leaks_id(r)) != NULL) {
		snprintf(why, sizeof(why), "the output shows national ID %s",
			 id);
		return why;
	}
	if (strstr(r->out, GOOD) != NULL || strstr(r->err, GOOD) != NULL) {
		snprintf(why, sizeof(why), "the output shows a password");
		return why;
	}
	return NULL;
}

/* judge - count and report the outcome R of case C; 1 if it failed. */
static int judge(const char *group, const struct hcase *c, const struct run *r)
{
	const char *why = verdict(c, r);
	int crashed = r->status > 128 && r->status != c->status;

	n_cases++;
	if (why == NULL) {
		if (c->flags & (KB | KBW))
			fprintf(stderr,
				"note [%s] %s: passes now; the known bug "
				"seems fixed (drop its KB flag)\n",
				group, c->label);
		return 0;
	}
	if ((c->flags & (KB | KBW)) && !strict && !crashed) {
		n_known++;
		fprintf(stderr, "KNOWN BUG [%s] %s: %s\n", group, c->label,
			why);
		return 0;
	}
	fprintf(stderr, "FAIL [%s] %s: %s\n  stderr: %s\n  stdout: %s\n", group,
		c->label, why, shorten(r->err, 0), shorten(r->out, 1));
	return 1;
}

/* run_cases - every case of CASES, up to SLOTS at once (1: in order);
 * the number that failed. */
static int run_cases(const char *group, const struct hcase *cases, size_t n,
		     int slots)
{
	struct job jobs[SLOTS];
	sigset_t chld, old;
	size_t next = 0;
	int active = 0, failed = 0, i, ws;
	struct timespec wait;
	struct run r;
	pid_t pid;
	double t, first;

	memset(jobs, 0, sizeof(jobs));
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	while (next < n || active > 0) {
		for (i = 0; i < slots && next < n; i++) {
			if (jobs[i].pid != 0)
				continue;
			if ((cases[next].flags & KBW) && !strict) {
				n_skipped++;
				next++;
				i--;
				continue;
			}
			job_start(&jobs[i], i, &cases[next++]);
			active++;
		}
		if (active == 0)
			break;
		/* sleep until a child ends or the first deadline */
		first = 1e18;
		for (i = 0; i < slots; i++)
			if (jobs[i].pid > 0) {
				t = (double)jobs[i].deadline.tv_sec +
				    (double)jobs[i].deadline.tv_nsec / 1e9;
				first = t < first ? t : first;
			}
		t = first - now_s();
		if (t > 0.2)
			t = 0.2;
		if (t < 0)
			t = 0;
		wait.tv_sec = (time_t)t;
		wait.tv_nsec = (long)((t - (double)wait.tv_sec) * 1e9);
		(void)sigtimedwait(&chld, NULL, &wait);
		for (i = 0; i < slots; i++)
			if (jobs[i].pid > 0 && !jobs[i].timed_out &&
			    now_s() > (double)jobs[i].deadline.tv_sec +
					      (double)jobs[i].deadline.tv_nsec /
						      1e9) {
				kill(jobs[i].pid, SIGKILL);
				jobs[i].timed_out = 1;
			}
		for (i = 0; i < slots; i++) {
			if (jobs[i].pid <= 0)
				continue;
			pid = waitpid(jobs[i].pid, &ws, WNOHANG);
			if (pid != jobs[i].pid)
				continue;
			job_finish(&jobs[i], ws, &r);
			failed += judge(group, jobs[i].c, &r);
			harness_run_free(&r);
			active--;
		}
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return failed;
}

/* run_one - one case, alone; 0 when it passed or is a tolerated bug. */
static int run_one(const char *group, const struct hcase *c)
{
	return run_cases(group, c, 1, 1);
}

/* run_case - run C alone into R, without judging it. */
static void run_case(struct run *r, const struct hcase *c)
{
	struct job j;
	int ws = 0;

	job_start(&j, 0, c);
	while (waitpid(j.pid, &ws, 0) < 0 && errno == EINTR)
		;
	job_finish(&j, ws, r);
}

/* spool_files - how many files are in the spool (queued mail). */
static int spool_files(void)
{
	char dir[512];
	char *argv[] = {"/usr/bin/find", dir, "-type", "f", NULL};
	struct run r;
	int n = 0;
	const char *p;

	snprintf(dir, sizeof(dir), "%s/spool", sandbox);
	if (access(dir, F_OK) != 0)
		return 0;
	harness_run(&r, NULL, argv);
	for (p = r.out; *p; p++)
		n += *p == '\n';
	harness_run_free(&r);
	return n;
}

/* show_diff - print what changed between two slapcat dumps. */
static void show_diff(const char *before, const char *after)
{
	char a[600], b[600];
	char *argv[] = {"/usr/bin/diff", "-u", a, b, NULL};
	struct run r;

	snprintf(a, sizeof(a), "%s",
		 write_bytes("slapcat.before", before, strlen(before), 0600));
	snprintf(b, sizeof(b), "%s",
		 write_bytes("slapcat.after", after, strlen(after), 0600));
	harness_run(&r, NULL, argv);
	fprintf(stderr, "%s", r.out);
	harness_run_free(&r);
}

/* run_group - every case of CASES, with the directory and the spool
 * unchanged around the group. */
static void run_group(const char *group, const struct hcase *cases, size_t n)
{
	char *before, *after;
	int failed, spool_before = spool_files();
	double t0 = now_s();

	before = harness_slapcat();
	failed = run_cases(group, cases, n, SLOTS);
	after = harness_slapcat();
	fprintf(stderr, "[%s] %zu cases, %.1f s\n", group, n, now_s() - t0);
	if (strcmp(before, after) != 0) {
		show_diff(before, after);
		fail_msg("%s: the directory changed (slapcat differs)", group);
	}
	free(before);
	free(after);
	assert_int_equal(spool_files(), spool_before);
	if (failed > 0)
		fail_msg("%s: %d of %zu cases failed", group, failed, n);
}

#define RUN_GROUP(name, cases)                                                 \
	run_group(name, cases, sizeof(cases) / sizeof(cases[0]))

/* kcgidm_ok - run kcgidm for the setup; it must succeed. */
static void kcgidm_ok(const char *input, ...)
{
	va_list ap;
	const char *args[20];
	struct hcase c;
	struct run r;
	int n = 0;

	memset(&c, 0, sizeof(c));
	va_start(ap, input);
	while (n < 15 && (args[n] = va_arg(ap, const char *)) != NULL)
		c.argv[n] = args[n], n++;
	va_end(ap);
	c.in = input;
	c.in_len = input != NULL ? strlen(input) : 0;
	run_case(&r, &c);
	if (r.status != 0)
		fail_msg("setup: kcgidm %s %s: exit %d: %s", c.argv[0],
			 c.argv[1] ? c.argv[1] : "", r.status, r.err);
	harness_run_free(&r);
}

static void last_bind(int on)
{
	char ldif[256];

	snprintf(ldif, sizeof(ldif),
		 "dn: olcDatabase={1}mdb,cn=config\nchangetype: modify\n"
		 "replace: olcLastBind\nolcLastBind: %s\n",
		 on ? "TRUE" : "FALSE");
	harness_ldapmodify_admin(ldif);
}

/* --- the setup ----------------------------------------------------------
 * People (national IDs made with harness_natid):
 *   1 王小明 -> wangxm, active, mailbox, recovery wang.home@example.com
 *   2 陳美玲 -> no account (the applicant of the apply cases)
 *   3 黃淑芬 -> left the city
 *   4 林大華 -> linhua, disabled
 *   5 張志明 -> changzm, pending, mailbox
 *   6 李小龍 -> leexl, active (the bind-failure target)
 *   7 吳建國 -> wujg, active, mailbox (the stored-address target)
 *   8 (IDN)  -> nobody: a valid ID that is in no roster
 */

static char *row1; /* person 1's roster row, exactly as imported */

static int group_setup(void **state)
{
	static const struct {
		char letter;
		unsigned long digits;
		const char *rest;
	} people[] = {
		{'E', 10000001,
		 "王小明,68-05-12,職員,仁武高級中學,教務處,教師,99-12-25,"
		 "general,active"},
		{'E', 20000002,
		 "陳美玲,75-11-03,職員,高雄市政府人事處,人事室,科員,105-03-"
		 "01,personnel,active"},
		{'A', 20000003,
		 "黃淑芬,62-08-30,職員,高雄市立仁武高級中學,,主任,88-02-01,"
		 "general,left"},
		{'K', 10000004,
		 "林大華,70-01-01,職員,資訊中心,,,,general,active"},
		{'K', 10000005,
		 "張志明,70-01-01,職員,資訊中心,,,,general,active"},
		{'K', 10000006,
		 "李小龍,70-01-01,職員,資訊中心,,,,general,active"},
		{'K', 10000007,
		 "吳建國,70-01-01,職員,資訊中心,,,,general,active"},
	};
	char csv[4096], name[16], line[512], tmp[11], longs[10241], *big;
	size_t i, len;

	if (harness_sandbox_start(&sandbox) != 0)
		return -1;
	len = (size_t)snprintf(csv, sizeof(csv), "%s", HEADER);
	for (i = 0; i < sizeof(people) / sizeof(people[0]); i++) {
		harness_natid(people[i].letter, people[i].digits, ids[i + 1]);
		snprintf(line, sizeof(line), "%s,%s\n", ids[i + 1],
			 people[i].rest);
		len += (size_t)snprintf(csv + len, sizeof(csv) - len, "%s",
					line);
		snprintf(name, sizeof(name), "ID%zu", i + 1);
		tok_set(name, ids[i + 1]);
		if (i == 0)
			row1 = strdup(line);
	}
	harness_natid('T', 19999998, ids[8]);
	tok_set("IDN", ids[8]);
	/* a wrong check digit for person 1 and for the new person */
	snprintf(tmp, sizeof(tmp), "%s", ids[1]);
	tmp[9] = (char)('0' + (tmp[9] - '0' + 1) % 10);
	tok_set("BADCK1", tmp);
	snprintf(tmp, sizeof(tmp), "%s", ids[8]);
	tmp[9] = (char)('0' + (tmp[9] - '0' + 1) % 10);
	tok_set("BADCKN", tmp);
	snprintf(tmp, sizeof(tmp), "%s", ids[1]);
	tmp[0] = (char)(tmp[0] - 'A' + 'a');
	tok_set("ID1L", tmp);
	tok_set("ROW1", row1);
	tok_set("DIR", sandbox);
	memset(longs, 'a', 10240);
	longs[10240] = '\0';
	tok_set("LONG", longs);
	tok_set("A65", longs + 10240 - 65);
	tok_set("A129", longs + 10240 - 129);
	big = calloc(3414 * 3 + 1, 1);
	for (i = 0; i < 3414; i++)
		memcpy(big + 3 * i, "王", 3);
	tok_set("LONGCJK", big);
	free(big);
	big = calloc(70001, 1);
	memset(big, 'b', 70000);
	tok_set("LONG70K", big);
	free(big);
	tok_set("TOK43", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	/* FIFOs nobody writes to (or reads from): one per case, as cases run
	 * side by side and would unblock each other */
	assert_int_equal(mkfifo(sandbox_path("pw.fifo"), 0600), 0);
	assert_int_equal(mkfifo(sandbox_path("key.fifo"), 0600), 0);
	assert_int_equal(mkfifo(sandbox_path("audit.fifo"), 0600), 0);

	write_bytes("roster.csv", csv, strlen(csv), 0600);
	tok_set("ROSTER", sandbox_path("roster.csv"));
	kcgidm_ok(NULL, "roster", "import", "{{ROSTER}}", NULL);
	kcgidm_ok(GOOD_PW, "apply", "--name", "王小明", "--national-id",
		  "{{ID1}}", "--uid", "wangxm", "--accept-privacy", PRIVACY,
		  "--mail", "--accept-mail-rules", MAILRULES, "--recovery-mail",
		  "wang.home@example.com", NULL);
	kcgidm_ok(NULL, "approve", "wangxm", NULL);
	kcgidm_ok(GOOD_PW, "apply", "--name", "林大華", "--national-id",
		  "{{ID4}}", "--uid", "linhua", "--accept-privacy", PRIVACY,
		  NULL);
	kcgidm_ok(NULL, "approve", "linhua", NULL);
	kcgidm_ok(NULL, "disable", "linhua", "--reason", "test setup", NULL);
	kcgidm_ok(GOOD_PW, "apply", "--name", "張志明", "--national-id",
		  "{{ID5}}", "--uid", "changzm", "--accept-privacy", PRIVACY,
		  "--mail", "--accept-mail-rules", MAILRULES, "--recovery-mail",
		  "chang@example.com", NULL);
	kcgidm_ok(GOOD_PW, "apply", "--name", "李小龍", "--national-id",
		  "{{ID6}}", "--uid", "leexl", "--accept-privacy", PRIVACY,
		  "--mail", "--accept-mail-rules", MAILRULES, "--recovery-mail",
		  "lee@example.com", NULL);
	kcgidm_ok(NULL, "approve", "leexl", NULL);
	kcgidm_ok(GOOD_PW, "apply", "--name", "吳建國", "--national-id",
		  "{{ID7}}", "--uid", "wujg", "--accept-privacy", PRIVACY,
		  "--mail", "--accept-mail-rules", MAILRULES, "--recovery-mail",
		  "wu@example.com", NULL);
	kcgidm_ok(NULL, "approve", "wujg", NULL);
	last_bind(0);
	return 0;
}

static int group_teardown(void **state)
{
	size_t i;

	fprintf(stderr,
		"test_hostile: %lu cases run, %lu known bugs tolerated, %lu "
		"skipped (build with -DKCG_HOSTILE_KNOWN_BUGS to make them "
		"strict)\n",
		n_cases, n_known, n_skipped);
	harness_sandbox_destroy();
	for (i = 0; i < n_toks; i++) {
		free(toks[i].name);
		free(toks[i].value);
	}
	n_toks = 0;
	free(row1);
	return 0;
}

/* --- 0. what a refused command writes with olcLastBind TRUE ------------- */

/* LINES - the lines of entry DN in LDIF (new memory, "" if none). */
static char *entry_of(const char *ldif, const char *dn)
{
	char needle[300];
	const char *p, *end;

	snprintf(needle, sizeof(needle), "dn: %s\n", dn);
	p = strstr(ldif, needle);
	if (p == NULL)
		return strdup("");
	end = strstr(p, "\n\n");
	return strndup(p, end != NULL ? (size_t)(end - p) : strlen(p));
}

/* without_entry - LDIF without entry DN (new memory). */
static char *without_entry(const char *ldif, const char *dn)
{
	char *e = entry_of(ldif, dn), *out = strdup(ldif), *p;

	if (e[0] != '\0' && (p = strstr(out, e)) != NULL)
		memmove(p, p + strlen(e), strlen(p + strlen(e)) + 1);
	free(e);
	return out;
}

/* has_line - LINE[0..LEN) is a whole line of TEXT. */
static int has_line(const char *text, const char *line, size_t len)
{
	const char *p = text, *end;

	while (*p != '\0') {
		end = strchr(p, '\n');
		if (end == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) == len && memcmp(p, line, len) == 0)
			return 1;
		if (*end == '\0')
			break;
		p = end + 1;
	}
	return 0;
}

/* changed_attrs_only - every line that is in only one of the entries A
 * and B starts with one of ALLOWED ("attr:"). */
static void changed_attrs_only(const char *a, const char *b,
			       const char *const *allowed, const char *what)
{
	const char *sides[2] = {a, b}, *p, *nl;
	size_t i, k, len;
	int ok;

	for (i = 0; i < 2; i++)
		for (p = sides[i]; *p != '\0'; p = nl + (*nl != '\0')) {
			nl = strchr(p, '\n');
			if (nl == NULL)
				nl = p + strlen(p);
			len = (size_t)(nl - p);
			if (has_line(sides[1 - i], p, len))
				continue;
			for (ok = 0, k = 0; allowed[k] != NULL; k++)
				ok |= strncmp(p, allowed[k],
					      strlen(allowed[k])) == 0;
			if (!ok)
				fail_msg("%s: unexpected change: %.*s", what,
					 (int)len, p);
		}
}

static void test_lastbind_is_the_only_write(void **state)
{
	static const char prov[] = "cn=provisioner,ou=services,dc=kcg,dc=gov,"
				   "dc=tw";
	static const char *const lastbind[] = {
		"pwdLastSuccess:", "entryCSN:", "modifyTimestamp:",
		"modifiersName:",  NULL,
	};
	static const struct hcase refused = {
		"uid check *", {"uid", "check", "*"}, NOIN, 2, "account name",
	};
	char *before, *after, *rest_b, *rest_a, *eb, *ea;

	/* an old pwdLastSuccess, so that the next bind must rewrite it */
	harness_slapmodify(
		"dn: cn=provisioner,ou=services,dc=kcg,dc=gov,dc=tw\n"
		"changetype: modify\n"
		"replace: pwdLastSuccess\n"
		"pwdLastSuccess: 20200101000000Z\n");
	last_bind(1);
	before = harness_slapcat();
	assert_int_equal(run_one("lastbind", &refused), 0);
	after = harness_slapcat();
	last_bind(0);
	/* nothing else changed... */
	rest_b = without_entry(before, prov);
	rest_a = without_entry(after, prov);
	assert_string_equal(rest_b, rest_a);
	/* ...and in cn=provisioner, only what lastbind writes */
	eb = entry_of(before, prov);
	ea = entry_of(after, prov);
	assert_string_not_equal(eb, ea);
	assert_non_null(strstr(eb, "pwdLastSuccess: 20200101000000Z"));
	assert_null(strstr(ea, "pwdLastSuccess: 20200101000000Z"));
	changed_attrs_only(eb, ea, lastbind, "cn=provisioner");
	free(before);
	free(after);
	free(rest_b);
	free(rest_a);
	free(eb);
	free(ea);
}

/* --- 1. roster rows ------------------------------------------------------ */

#define ROW(label, rows, kw)                                                   \
	{                                                                      \
		label, {"roster", "import", "{{FILE}}"}, NOIN, 2, "rejected",  \
			kw, 0, HEADER rows, sizeof(HEADER rows) - 1            \
	}
/* a new person's row: if the bad field were accepted, the row would be
 * added and the directory would change */
#define NEWP(name, birth, cat, agency, unit, title, hire, type, status)        \
	"{{IDN}}," name "," birth "," cat "," agency "," unit "," title        \
	"," hire "," type "," status "\n"
#define NEWNAME(name)                                                          \
	NEWP(name, "70-01-01", "職員", "機關", "", "", "", "general", "active")

static const struct hcase roster_rows[] = {
	/* national_id */
	ROW("id checksum",
	    "{{BADCKN}},新人,70-01-01,職員,機關,,,,general,active\n",
	    "checksum"),
	ROW("id 9 characters",
	    "E12345678,新人,70-01-01,職員,機關,,,,general,active\n",
	    "10 characters"),
	ROW("id 11 characters",
	    "E1234567890,新人,70-01-01,職員,機關,,,,general,active\n",
	    "10 characters"),
	ROW("id with *",
	    "E1234567*3,新人,70-01-01,職員,機關,,,,general,active\n", "digits"),
	ROW("id is a filter",
	    "\"*)(uid=*\",新人,70-01-01,職員,機關,,,,general,active\n",
	    "10 characters"),
	ROW("id full-width",
	    "Ｅ123456783,新人,70-01-01,職員,機關,,,,general,active\n",
	    "10 characters"),
	ROW("id with backslash",
	    "E12345678\\,新人,70-01-01,職員,機關,,,,general,active\n",
	    "digits"),
	ROW("id with a quoted comma",
	    "\"E1234,6783\",新人,70-01-01,職員,機關,,,,general,active\n",
	    "digits"),
	ROW("id as a spreadsheet formula",
	    "=E12345678,新人,70-01-01,職員,機關,,,,general,active\n", "letter"),
	ROW("id empty", ",新人,70-01-01,職員,機關,,,,general,active\n",
	    "missing"),
	ROW("id 10 KB", "{{LONG}},新人,70-01-01,職員,機關,,,,general,active\n",
	    "10 characters"),
	ROW("id second character",
	    "E323456789,新人,70-01-01,職員,機關,,,,general,active\n",
	    "second character"),
	ROW("id after a BOM",
	    "\xef\xbb\xbf"
	    "{{IDN}},新人,70-01-01,職員,機關,,,,general,active\n",
	    "10 characters"),
	ROW("id with NUL",
	    "E1234\0"
	    "56783,新人,70-01-01,職員,機關,,,,general,active\n",
	    "NUL"),
	ROW("id in CJK",
	    "王小明王小明,新人,70-01-01,職員,機關,,,,general,active\n",
	    "10 characters"),
	ROW("id with RTL override",
	    "\xe2\x80\xae"
	    "E12345678,新人,70-01-01,職員,機關,,,,general,active\n",
	    "10 characters"),
	/* name */
	ROW("name empty", NEWNAME(""), "required"),
	ROW("name 65 characters", NEWNAME("{{A65}}"), "longer than 64"),
	ROW("name 10 KB", NEWNAME("{{LONG}}"), "longer than 64"),
	ROW("name 10 KB of CJK", NEWNAME("{{LONGCJK}}"), "longer than 64"),
	ROW("name invalid UTF-8", NEWNAME("\xff\xfe"), "UTF-8"),
	ROW("name overlong UTF-8", NEWNAME("\xc0\xaf"), "UTF-8"),
	ROW("name UTF-16 surrogate", NEWNAME("\xed\xa0\x80"), "UTF-8"),
	ROW("name cut UTF-8 sequence", NEWNAME("王\xe5\xb0"), "UTF-8"),
	ROW("name with TAB", NEWNAME("王\t小明"), "control"),
	ROW("name with LF", NEWNAME("\"王\n小明\""), "line break"),
	ROW("name with CR", NEWNAME("\"王\r小明\""), "line break"),
	ROW("name with CRLF and a header", NEWNAME("\"x\r\nBcc: a@b.example\""),
	    "line break"),
	ROW("name with NUL",
	    NEWNAME("王\0"
		    "小明"),
	    "NUL"),
	ROW("name with DEL", NEWNAME("王\x7f"), "control"),
	ROW("name with C1 NEL", NEWNAME("王\xc2\x85"), "control"),
	ROW("name with ESC", NEWNAME("\x1b[2J"), "control"),
	/* dates */
	ROW("birth 112-02-30",
	    NEWP("新人", "112-02-30", "職員", "機關", "", "", "", "general",
		 "active"),
	    "no such day"),
	ROW("birth 0-01-01",
	    NEWP("新人", "0-01-01", "職員", "機關", "", "", "", "general",
		 "active"),
	    "1 to 999"),
	ROW("birth 1000-01-01",
	    NEWP("新人", "1000-01-01", "職員", "機關", "", "", "", "general",
		 "active"),
	    "1 to 999"),
	ROW("birth Gregorian",
	    NEWP("新人", "1979-05-12", "職員", "機關", "", "", "", "general",
		 "active"),
	    "1 to 999"),
	ROW("birth month 13",
	    NEWP("新人", "99-13-01", "職員", "機關", "", "", "", "general",
		 "active"),
	    "month"),
	ROW("birth month 0",
	    NEWP("新人", "99-00-10", "職員", "機關", "", "", "", "general",
		 "active"),
	    "month"),
	ROW("birth day 0",
	    NEWP("新人", "99-02-00", "職員", "機關", "", "", "", "general",
		 "active"),
	    "no such day"),
	ROW("birth with slashes",
	    NEWP("新人", "99/12/25", "職員", "機關", "", "", "", "general",
		 "active"),
	    "ROC year-month-day"),
	ROW("birth full-width",
	    NEWP("新人", "６８-０５-１２", "職員", "機關", "", "", "",
		 "general", "active"),
	    "ROC year-month-day"),
	ROW("birth empty",
	    NEWP("新人", "", "職員", "機關", "", "", "", "general", "active"),
	    "ROC year-month-day"),
	ROW("birth negative",
	    NEWP("新人", "-1-01-01", "職員", "機關", "", "", "", "general",
		 "active"),
	    "ROC year-month-day"),
	ROW("birth trailing junk",
	    NEWP("新人", "68-05-12x", "職員", "機關", "", "", "", "general",
		 "active"),
	    "ROC year-month-day"),
	ROW("birth 10 KB",
	    NEWP("新人", "{{LONG}}", "職員", "機關", "", "", "", "general",
		 "active"),
	    "ROC year-month-day"),
	ROW("hire 112-02-29",
	    NEWP("新人", "70-01-01", "職員", "機關", "", "", "112-02-29",
		 "general", "active"),
	    "no such day"),
	ROW("hire with a time",
	    NEWP("新人", "70-01-01", "職員", "機關", "", "", "99-12-25 12:00",
		 "general", "active"),
	    "ROC year-month-day"),
	/* other fields */
	ROW("category empty",
	    NEWP("新人", "70-01-01", "", "機關", "", "", "", "general",
		 "active"),
	    "required"),
	ROW("agency empty",
	    NEWP("新人", "70-01-01", "職員", "", "", "", "", "general",
		 "active"),
	    "required"),
	ROW("agency 129 characters",
	    NEWP("新人", "70-01-01", "職員", "{{A129}}", "", "", "", "general",
		 "active"),
	    "longer than 128"),
	ROW("title 65 characters",
	    NEWP("新人", "70-01-01", "職員", "機關", "", "{{A65}}", "",
		 "general", "active"),
	    "longer than 64"),
	ROW("unit with TAB",
	    NEWP("新人", "70-01-01", "職員", "機關", "a\tb", "", "", "general",
		 "active"),
	    "control"),
	ROW("account_type boss",
	    NEWP("新人", "70-01-01", "職員", "機關", "", "", "", "boss",
		 "active"),
	    "must be one of"),
	ROW("account_type upper case",
	    NEWP("新人", "70-01-01", "職員", "機關", "", "", "", "Personnel",
		 "active"),
	    "must be one of"),
	ROW("account_type *",
	    NEWP("新人", "70-01-01", "職員", "機關", "", "", "", "*", "active"),
	    "must be one of"),
	ROW("account_type empty",
	    NEWP("新人", "70-01-01", "職員", "機關", "", "", "", "", "active"),
	    "must be one of"),
	ROW("account_type full-width",
	    NEWP("新人", "70-01-01", "職員", "機關", "", "", "",
		 "ｇｅｎｅｒａｌ", "active"),
	    "must be one of"),
	ROW("status retired",
	    NEWP("新人", "70-01-01", "職員", "機關", "", "", "", "general",
		 "retired"),
	    "must be one of"),
	ROW("status upper case",
	    NEWP("新人", "70-01-01", "職員", "機關", "", "", "", "general",
		 "ACTIVE"),
	    "must be one of"),
	ROW("status is a filter",
	    NEWP("新人", "70-01-01", "職員", "機關", "", "", "", "general",
		 "(status=*)"),
	    "must be one of"),
	ROW("status empty",
	    NEWP("新人", "70-01-01", "職員", "機關", "", "", "", "general", ""),
	    "must be one of"),
	/* the shape of the row */
	ROW("9 fields", "{{IDN}},新人,70-01-01,職員,機關,,,,general\n",
	    "fields"),
	ROW("11 fields",
	    "{{IDN}},新人,70-01-01,職員,機關,,,,general,active,x\n", "fields"),
	ROW("1 field", "{{IDN}}\n", "fields"),
	ROW("65 fields",
	    "{{IDN}},新人,70-01-01,職員,機關,,,,general,active,,,,,,,,,,,,,,,"
	    ",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\n",
	    "more than 64 fields"),
	ROW("unterminated quote",
	    "{{IDN}},\"新人,70-01-01,職員,機關,,,,general,"
	    "active\n",
	    "unterminated"),
	ROW("text after a closing quote",
	    "{{IDN}},\"新人\"x,70-01-01,職員,機關,,,,general,active\n",
	    "after a closing quote"),
	ROW("quote in an unquoted field", NEWNAME("新\"人"), "quote inside"),
	ROW("bare CR",
	    "{{IDN}},新人,70-01-01,職員,機關,,,,general,active\r"
	    "{{IDN}},新人,70-01-01,職員,機關,,,,general,active\n",
	    "bare CR"),
	ROW("record over 64 KiB", NEWNAME("{{LONG70K}}"), "longer than 65536"),
	/* duplicates (person 1's row is in the directory already) */
	ROW("duplicate row", "{{ROW1}}{{ROW1}}", "earlier row"),
	ROW("duplicate id in lower case",
	    "{{ROW1}}{{ID1L}},王小明,68-05-12,職員,仁武高級中學,教務處,教師,"
	    "99-12-25,general,active\n",
	    "earlier row"),
	ROW("duplicate id padded",
	    "{{ROW1}} {{ID1}} ,別人,70-01-01,職員,機關,,,,"
	    "general,active\n",
	    "earlier row"),
	ROW("concatenated files (BOM and header mid-file)",
	    "{{ROW1}}\xef\xbb\xbf" HEADER, "10 characters"),
	ROW("header repeated", "{{ROW1}}" HEADER, "10 characters"),
};

static void test_roster_rows(void **state)
{
	RUN_GROUP("roster rows", roster_rows);
}

/* --- 2. roster headers and paths ---------------------------------------- */

#define FILECASE(label, content, flags, status, err_kw, out_kw)                \
	{                                                                      \
		label, {"roster", "import", "{{FILE}}"}, NOIN, status, err_kw, \
			out_kw, flags, content, sizeof(content) - 1            \
	}
#define HEADER_BAD(label, content, kw) FILECASE(label, content, 0, 2, kw, NULL)

static const struct hcase roster_files[] = {
	HEADER_BAD("empty file", "", "empty"),
	HEADER_BAD("blank lines only", "\n\n\r\n", "empty"),
	HEADER_BAD("a BOM only", "\xef\xbb\xbf", "empty"),
	HEADER_BAD("unknown column",
		   "nationalid,name,birth_date,category,agency,unit,title,"
		   "hire_date,account_type,status\n",
		   "unknown column"),
	HEADER_BAD("column twice",
		   "national_id,name,name,birth_date,category,agency,unit,"
		   "title,hire_date,account_type,status\n",
		   "appears twice"),
	HEADER_BAD("missing column",
		   "national_id,name,birth_date,category,agency,unit,title,"
		   "hire_date,account_type\n",
		   "missing column"),
	HEADER_BAD("two BOMs", "\xef\xbb\xbf\xef\xbb\xbf" HEADER, "column"),
	HEADER_BAD("header with NUL",
		   "national_id\0,name,birth_date,category,agency,unit,title,"
		   "hire_date,account_type,status\n",
		   "NUL"),
	HEADER_BAD("header invalid UTF-8",
		   "national_id,name\xff,birth_date,category,agency,unit,"
		   "title,hire_date,account_type,status\n",
		   "UTF-8"),
	HEADER_BAD("header full-width",
		   "ｎａｔｉｏｎａｌ_id,name,birth_date,category,agency,unit,"
		   "title,hire_date,account_type,status\n",
		   "column"),
	HEADER_BAD("header 65 columns",
		   "national_id,name,birth_date,category,agency,unit,title,"
		   "hire_date,account_type,status,,,,,,,,,,,,,,,,,,,,,,,,,,,,"
		   ",,,,,,,,,,,,,,,,,,,,,,,,,,,\n",
		   "more than 64"),
	HEADER_BAD("header is a formula",
		   "=cmd|' /C calc'!A0,name,birth_date,category,agency,unit,"
		   "title,hire_date,account_type,status\n",
		   "column"),
	HEADER_BAD("header with a bare CR",
		   "national_id,name\r,birth_date,category,agency,unit,title,"
		   "hire_date,account_type,status\n",
		   "bare CR"),
	/* parse_header() must not quote a data row (a national ID) back */
	FILECASE("data only, no header", "{{ROW1}}", 0, 2, "no header row",
		 NULL),
	/* path tricks */
	/* devices and directories are refused before reading: /dev/zero
	 * would never end */
	{"/dev/null",
	 {"roster", "import", "/dev/null"},
	 NOIN,
	 2,
	 "not a regular file"},
	{"a directory",
	 {"roster", "import", "{{DIR}}"},
	 NOIN,
	 2,
	 "not a regular file"},
	{"no such file",
	 {"roster", "import", "{{DIR}}/nope.csv"},
	 NOIN,
	 2,
	 "cannot open"},
	{"/dev/zero",
	 {"roster", "import", "/dev/zero"},
	 NOIN,
	 2,
	 "not a regular file"},
	{"export-ldif of /dev/zero",
	 {"roster", "export-ldif", "/dev/zero"},
	 NOIN,
	 2,
	 "not a regular file"},
	/* --full with no rows at all would mark everyone as left */
	{"--full with a header and no rows",
	 {"roster", "import", "--full", "{{FILE}}"},
	 NOIN,
	 2,
	 "no rows",
	 NULL,
	 0,
	 B(HEADER)},
	{"--batch-size 0",
	 {"roster", "import", "--batch-size", "0", "{{FILE}}"},
	 NOIN,
	 1,
	 "--batch-size"},
	{"--jobs 65",
	 {"roster", "import", "--jobs", "65", "{{FILE}}"},
	 NOIN,
	 1,
	 "--jobs"},
	{"--jobs -1",
	 {"roster", "import", "--jobs", "-1", "{{FILE}}"},
	 NOIN,
	 1,
	 "--jobs"},
	FILECASE("a FIFO fed a bad row",
		 HEADER "{{BADCKN}},新人,70-01-01,職員,機關,,,,general,"
			"active\n",
		 FIFOW, 2, "rejected", "checksum"),
	/* --full must not mark everyone as left when rows were refused */
	{"--full with only refused rows",
	 {"roster", "import", "--full", "{{FILE}}"},
	 NOIN,
	 2,
	 "rejected",
	 "was not applied",
	 0,
	 B(HEADER "{{BADCKN}},新人,70-01-01,職員,機關,,,,general,active\n")},
	{"--dry-run with a bad row",
	 {"roster", "import", "--dry-run", "{{FILE}}"},
	 NOIN,
	 2,
	 "rejected",
	 "checksum",
	 0,
	 B(HEADER "{{BADCKN}},新人,70-01-01,職員,機關,,,,general,active\n")},
	{"two files",
	 {"roster", "import", "{{ROSTER}}", "{{ROSTER}}"},
	 NOIN,
	 1,
	 "usage"},
	{"no file", {"roster", "import"}, NOIN, 1, "usage"},
	{"unknown subcommand",
	 {"roster", "export", "{{ROSTER}}"},
	 NOIN,
	 1,
	 "usage"},
	{"unknown option",
	 {"roster", "import", "--force", "{{ROSTER}}"},
	 NOIN,
	 1,
	 "usage"},
};

static void test_roster_files(void **state)
{
	RUN_GROUP("roster files", roster_files);
}

/* --- 3. verify and uid check -------------------------------------------- */

#define VERIFY(label, name, id, status, kw)                                    \
	{                                                                      \
		label, {"verify", "--name", name, "--national-id", id}, NOIN,  \
			status, kw                                             \
	}

static const struct hcase verify_cases[] = {
	VERIFY("name *", "*", "{{ID1}}", 4, "no active employee record"),
	VERIFY("name is a filter", "*)(cn=*", "{{ID1}}", 4,
	       "no active employee record"),
	VERIFY("name closes the filter", "王小明)(|(cn=*", "{{ID1}}", 4,
	       "no active employee record"),
	VERIFY("name escaped *", "\\2a", "{{ID1}}", 4,
	       "no active employee record"),
	VERIFY("name with a wildcard", "王*", "{{ID1}}", 4,
	       "no active employee record"),
	VERIFY("name is a DN", "cn=王小明,ou=roster,dc=kcg,dc=gov,dc=tw",
	       "{{ID1}}", 4, "no active employee record"),
	VERIFY("name with CRLF", "王小明\r\n", "{{ID1}}", 2,
	       "control character"),
	VERIFY("name full-width spaces", "　王小明　", "{{ID1}}", 4,
	       "no active employee record"),
	VERIFY("name 10 KB", "{{LONG}}", "{{ID1}}", 4,
	       "no active employee record"),
	{"name invalid UTF-8",
	 {"verify", "--name", "\xff\xfe", "--national-id", "{{ID1}}"},
	 NOIN,
	 2,
	 "UTF-8"},
	VERIFY("name empty", "", "{{ID1}}", 2, "name"),
	VERIFY("name blank", "   ", "{{ID1}}", 2, "name is empty"),
	VERIFY("name with spaces around: has an account", " 王小明 ", "{{ID1}}",
	       3, "您具備有效帳號"),
	VERIFY("someone who left", "黃淑芬", "{{ID3}}", 4,
	       "no active employee record"),
	VERIFY("another person's id", "王小明", "{{ID2}}", 4,
	       "no active employee record"),
	VERIFY("valid id of nobody", "王小明", "{{IDN}}", 4,
	       "no active employee record"),
	VERIFY("id checksum", "王小明", "{{BADCK1}}", 2, "checksum"),
	VERIFY("id with *", "王小明", "E1234567*3", 2, "digits"),
	VERIFY("id *", "王小明", "*", 2, "10 characters"),
	VERIFY("id full-width", "王小明", "Ｅ１２３４５６７８３", 2,
	       "10 characters"),
	VERIFY("id empty", "王小明", "", 2, "missing"),
	VERIFY("id 10 KB", "王小明", "{{LONG}}", 2, "10 characters"),
	VERIFY("id is a filter", "王小明", "*)(|(x=*", 2, "10 characters"),
	{"no id", {"verify", "--name", "王小明"}, NOIN, 1, "usage"},
	{"extra argument",
	 {"verify", "--name", "王小明", "--national-id", "{{ID1}}", "x"},
	 NOIN,
	 1,
	 "usage"},
	{"option without value", {"verify", "--name"}, NOIN, 1, "usage"},
};

static void test_verify(void **state)
{
	RUN_GROUP("verify", verify_cases);
}

#define UIDCHECK(uid, status, kw)                                              \
	{                                                                      \
		"uid check " uid, {"uid", "check", uid}, NOIN, status, kw      \
	}

static const struct hcase uid_check_cases[] = {
	UIDCHECK("*", 2, "account name"),
	UIDCHECK("wang*", 2, "account name"),
	UIDCHECK("*)(uid=*", 2, "account name"),
	UIDCHECK("a)(b", 2, "account name"),
	UIDCHECK("wang\\2axm", 2, "account name"),
	UIDCHECK("wang,xm", 2, "account name"),
	UIDCHECK("wang+xm", 2, "account name"),
	UIDCHECK("wang=xm", 2, "account name"),
	UIDCHECK("#wangxm", 2, "account name"),
	UIDCHECK(" wangxm", 2, "account name"),
	UIDCHECK("wangxm ", 2, "account name"),
	UIDCHECK("uid=wangxm,ou=people,dc=kcg,dc=gov,dc=tw", 2, "account name"),
	UIDCHECK("ｗａｎｇｘｍ", 2, "account name"),
	UIDCHECK("王小明", 2, "account name"),
	UIDCHECK("\xff\xfe\xfd", 2, "account name"),
	UIDCHECK("{{LONG}}", 2, "account name"),
	UIDCHECK("", 2, "account name"),
	UIDCHECK("ab", 2, "3 to 32"),
	UIDCHECK("a..b", 2, "two punctuation"),
	UIDCHECK("1abc", 2, "start with a letter"),
	UIDCHECK("abc.", 2, "end with"),
	UIDCHECK("wang\txm", 2, "account name"),
	UIDCHECK("wang\nxm", 2, "account name"),
	UIDCHECK("postmaster", 2, "reserved"),
	UIDCHECK("Provisioner", 2, "reserved"),
	UIDCHECK("cn=admin", 2, "account name"),
	UIDCHECK("wangxm", 3, "taken"),
	UIDCHECK("WANGXM", 3, "taken"),
	{"uid check, two uids",
	 {"uid", "check", "abc", "def"},
	 NOIN,
	 1,
	 "usage"},
	{"uid, no subcommand", {"uid", "abc"}, NOIN, 1, "usage"},
};

static void test_uid_check(void **state)
{
	RUN_GROUP("uid check", uid_check_cases);
}

/* --- 4. apply ------------------------------------------------------------ */

#define APPLY_ARGS(uid, privacy)                                               \
	"apply", "--name", "陳美玲", "--national-id", "{{ID2}}", "--uid", uid, \
		"--accept-privacy", privacy
#define APPLY(label, uid, privacy, status, kw)                                 \
	{                                                                      \
		label, {APPLY_ARGS(uid, privacy)}, B(GOOD_PW), status, kw      \
	}
#define APPLY_MAIL(label, rules, recovery, status, kw)                         \
	{                                                                      \
		label,                                                         \
			{APPLY_ARGS("chenml", PRIVACY),                        \
			 "--mail",                                             \
			 "--accept-mail-rules",                                \
			 rules,                                                \
			 "--recovery-mail",                                    \
			 recovery},                                            \
			B(GOOD_PW), status, kw                                 \
	}
#define RECOVERY(label, addr, kw) APPLY_MAIL(label, MAILRULES, addr, 2, kw)
#define APPLY_PW(label, pw, status, kw)                                        \
	{                                                                      \
		label, {APPLY_ARGS("chenml", PRIVACY)}, B(pw), status, kw      \
	}

static const struct hcase apply_cases[] = {
	/* uid */
	APPLY("uid *", "*", PRIVACY, 2, "account name"),
	APPLY("uid chen*", "chen*", PRIVACY, 2, "account name"),
	APPLY("uid is a DN", "uid=chenml,ou=people", PRIVACY, 2,
	      "account name"),
	APPLY("uid with ,+=", "a,b+c=d", PRIVACY, 2, "account name"),
	APPLY("uid full-width", "ｃｈｅｎｍｌ", PRIVACY, 2, "account name"),
	APPLY("uid 10 KB", "{{LONG}}", PRIVACY, 2, "account name"),
	APPLY("uid reserved", "postmaster", PRIVACY, 2, "reserved"),
	APPLY("uid a service", "provisioner", PRIVACY, 2, "reserved"),
	APPLY("uid taken", "wangxm", PRIVACY, 3, "taken"),
	APPLY("uid taken, upper case", "WangXM", PRIVACY, 3, "taken"),
	/* consent versions */
	APPLY("privacy old version", "chenml", "20200101_V0.9", 2, PRIVACY),
	APPLY("privacy trailing space", "chenml", PRIVACY " ", 2, PRIVACY),
	APPLY("privacy leading space", "chenml", " " PRIVACY, 2, PRIVACY),
	APPLY("privacy with LF", "chenml", PRIVACY "\n", 2, PRIVACY),
	APPLY("privacy full-width", "chenml", "２０２３０３０７_V1.0", 2,
	      PRIVACY),
	APPLY("privacy lower case", "chenml", "20230307_v1.0", 2, PRIVACY),
	APPLY("privacy *", "chenml", "*", 2, PRIVACY),
	APPLY("privacy empty", "chenml", "", 2, PRIVACY),
	APPLY("privacy 10 KB", "chenml", "{{LONG}}", 2, PRIVACY),
	APPLY_MAIL("mail rules old", "OLD", "chen@example.com", 2, MAILRULES),
	APPLY_MAIL("mail rules with CRLF", MAILRULES "\r\n", "chen@example.com",
		   2, MAILRULES),
	APPLY_MAIL("mail rules empty", "", "chen@example.com", 2, MAILRULES),
	APPLY_MAIL("mail rules privacy's version", PRIVACY, "chen@example.com",
		   2, MAILRULES),
	{"mailbox without a recovery address",
	 {APPLY_ARGS("chenml", PRIVACY), "--mail", "--accept-mail-rules",
	  MAILRULES},
	 B(GOOD_PW),
	 2,
	 "recovery"},
	{"mail rules without --mail",
	 {APPLY_ARGS("chenml", PRIVACY), "--accept-mail-rules", MAILRULES},
	 B(GOOD_PW),
	 1,
	 "--mail"},
	/* the recovery address reaches a To: header */
	RECOVERY("recovery CRLF Bcc", "a@example.com\r\nBcc: x@example.net",
		 "ASCII"),
	RECOVERY("recovery LF Bcc", "a@example.com\nBcc: x@example.net",
		 "ASCII"),
	RECOVERY("recovery CR", "a@example.com\rSubject: x", "ASCII"),
	RECOVERY("recovery angle brackets", "<a@example.com>", "before @"),
	RECOVERY("recovery with a display name", "A <a@example.com>", "ASCII"),
	RECOVERY("recovery two, comma", "a@example.com,b@example.com",
		 "name@domain"),
	RECOVERY("recovery two, space", "a@example.com b@example.com", "ASCII"),
	RECOVERY("recovery two @", "a@b@example.com", "name@domain"),
	RECOVERY("recovery full-width", "ａ@example.com", "ASCII"),
	RECOVERY("recovery CJK", "王@example.com", "ASCII"),
	RECOVERY("recovery 10 KB", "{{LONG}}@example.com", "too long"),
	RECOVERY("recovery empty", "", "missing"),
	RECOVERY("recovery no @", "example.com", "name@domain"),
	RECOVERY("recovery in the city domain", "x@kcg.gov.tw", "outside"),
	RECOVERY("recovery in the city domain, upper case", "x@KCG.GOV.TW",
		 "outside"),
	RECOVERY("recovery trailing dot", "a@example.com.", "domain"),
	RECOVERY("recovery double dot", "a@example..com", "domain"),
	RECOVERY("recovery leading hyphen", "a@-example.com", "domain"),
	RECOVERY("recovery one label", "a@example", "domain"),
	RECOVERY("recovery IP literal", "a@[127.0.0.1]", "domain"),
	RECOVERY("recovery numeric domain", "a@1.2.3.4", "domain"),
	RECOVERY("recovery quoted local part", "\"a b\"@example.com", "ASCII"),
	RECOVERY("recovery leading dot", ".a@example.com", "before @"),
	RECOVERY("recovery parentheses", "a(b)@example.com", "before @"),
	RECOVERY("recovery backslash", "a\\b@example.com", "before @"),
	RECOVERY("recovery trailing space", "a@example.com ", "ASCII"),
	/* the person */
	{"name *",
	 {"apply", "--name", "*", "--national-id", "{{ID2}}", "--uid", "chenml",
	  "--accept-privacy", PRIVACY},
	 B(GOOD_PW),
	 4,
	 "no active employee record"},
	{"name empty",
	 {"apply", "--name", "", "--national-id", "{{ID2}}", "--uid", "chenml",
	  "--accept-privacy", PRIVACY},
	 B(GOOD_PW),
	 2,
	 "name"},
	{"id checksum",
	 {"apply", "--name", "陳美玲", "--national-id", "{{BADCK1}}", "--uid",
	  "chenml", "--accept-privacy", PRIVACY},
	 B(GOOD_PW),
	 2,
	 "checksum"},
	{"has an account already",
	 {"apply", "--name", "王小明", "--national-id", "{{ID1}}", "--uid",
	  "wangxm2", "--accept-privacy", PRIVACY},
	 B(GOOD_PW),
	 3,
	 "您具備有效帳號"},
	{"has a pending application",
	 {"apply", "--name", "張志明", "--national-id", "{{ID5}}", "--uid",
	  "changzm2", "--accept-privacy", PRIVACY},
	 B(GOOD_PW),
	 3,
	 "您具備有效帳號"},
	{"has a disabled account",
	 {"apply", "--name", "林大華", "--national-id", "{{ID4}}", "--uid",
	  "linhua2", "--accept-privacy", PRIVACY},
	 B(GOOD_PW),
	 3,
	 "您具備有效帳號"},
	{"left the city",
	 {"apply", "--name", "黃淑芬", "--national-id", "{{ID3}}", "--uid",
	  "huangsf", "--accept-privacy", PRIVACY},
	 B(GOOD_PW),
	 4,
	 "no active employee record"},
	/* the password, on standard input */
	APPLY_PW("password invalid UTF-8",
		 "\xff\xfe"
		 "Abcdefg1\n",
		 5, "control"),
	APPLY_PW("password full-width", "Ａｂｃｄｅｆｇ１２\n", 5,
		 "full-width"),
	APPLY_PW("password CJK", "密碼Abcdefg1\n", 5, "Chinese"),
	APPLY_PW("password with ESC", "Abcdefg1\x1b[0m\n", 5, "control"),
	APPLY_PW("password with TAB", "Abc\tdefg1\n", 5, "control"),
	APPLY_PW("password with a space", "Pass word12\n", 5, "space"),
	APPLY_PW("password with a bare CR", "Abcdefg1\rXyz\n", 5, "control"),
	APPLY_PW("password 10 KB", "Ab1{{LONG}}\n", 2, "too long"),
	APPLY_PW("password 132 characters", "Ab1{{A129}}\n", 5, "at most 128"),
	APPLY_PW("password empty", "\n", 2, "empty"),
	APPLY_PW("password CRLF only", "\r\n", 2, "empty"),
	APPLY_PW("no password at all", "", 2, "no password"),
	APPLY_PW("password too short", "Ab1!xyz\n", 5, "8"),
	APPLY_PW("password lower case only", "alllowercase1\n", 5, "3 of"),
	APPLY_PW("password contains the uid", "Chenml2024!\n", 5, "login name"),
	APPLY_PW("password contains the uid, upper case", "xCHENMLx1!\n", 5,
		 "login name"),
	/* fgets() used to end the password at a NUL: "1Qaz2wsx" was set
	 * (fixed in a984962) */
	{"password with NUL",
	 {APPLY_ARGS("chenml", PRIVACY)},
	 B("1Qaz2wsx\0!Kcg9\n"),
	 2,
	 "NUL"},
	{"password NUL first",
	 {APPLY_ARGS("chenml", PRIVACY)},
	 B("\0" GOOD_PW),
	 2,
	 "NUL"},
	{"password file /dev/zero",
	 {APPLY_ARGS("chenml", PRIVACY), "--password-file", "/dev/zero"},
	 NOIN,
	 2,
	 "too long"},
	{"password file a directory",
	 {APPLY_ARGS("chenml", PRIVACY), "--password-file", "{{DIR}}"},
	 NOIN,
	 2,
	 "no password"},
	/* the command line */
	{"no --uid",
	 {"apply", "--name", "陳美玲", "--national-id", "{{ID2}}"},
	 B(GOOD_PW),
	 1,
	 "usage"},
	{"unknown option",
	 {APPLY_ARGS("chenml", PRIVACY), "--admin"},
	 B(GOOD_PW),
	 1,
	 "usage"},
	{"extra argument",
	 {APPLY_ARGS("chenml", PRIVACY), "extra"},
	 B(GOOD_PW),
	 1,
	 "usage"},
	{"no privacy consent",
	 {"apply", "--name", "陳美玲", "--national-id", "{{ID2}}", "--uid",
	  "chenml"},
	 B(GOOD_PW),
	 2,
	 "privacy notice"},
};

static void test_apply(void **state)
{
	RUN_GROUP("apply", apply_cases);
}

/* --- 5. every command that takes a uid ---------------------------------- */

static const char *const hostile_uids[] = {
	"",
	"*",
	"wang*",
	"*)(uid=*",
	"wangxm)(|(uid=*",
	"wang\\2axm",
	"wang,xm",
	"wang+xm=x",
	"#wangxm",
	" wangxm",
	"wangxm ",
	"uid=wangxm,ou=people,dc=kcg,dc=gov,dc=tw",
	"ｗａｎｇｘｍ",
	"王小明",
	"\xff\xfe\xfd",
	"{{LONG}}",
	"wang\nxm",
};

/* Commands with {{U}} for the uid; the status and keyword for a uid that
 * is well formed but has no account. */
static const struct {
	const char *argv[12];
	const char *in;
	int missing_status;
	const char *missing_kw;
	int missing_on_stdout;
	const char *missing_uid; /* NULL: "nosuchuser" */
} uid_commands[] = {
	/* the others write audit records about "nosuchuser" */
	{{"log", "{{U}}"}, NULL, 4, "no events", 0, "neverlogged"},
	{{"approve", "{{U}}"}, NULL, 4, "no account"},
	{{"show", "{{U}}"}, NULL, 4, "no account"},
	{{"disable", "{{U}}", "--reason", "test"}, NULL, 4, "no account"},
	{{"enable", "{{U}}", "--reason", "test"}, NULL, 4, "no account"},
	{{"delete", "{{U}}", "--yes", "--reason", "test"},
	 NULL,
	 4,
	 "no account"},
	{{"reject", "{{U}}", "--reason", "test"}, NULL, 4, "no account"},
	{{"unlock", "{{U}}"}, NULL, 4, "no account"},
	{{"forgot-password", "--uid", "{{U}}"}, NULL, 0, SENT, 1},
	{{"passwd", "{{U}}", "--reset"}, GOOD_PW, 4, "no account"},
	{{"passwd", "{{U}}"}, GOOD_PW NEW_PW "\n", 4, "no account"},
	{{"auth", "test", "{{U}}", "--service", "mail"},
	 GOOD_PW,
	 4,
	 "no such account"},
	{{"auth", "test", "{{U}}", "--service", "ikpd"},
	 GOOD_PW,
	 4,
	 "no such account"},
	{{"ikpd", "register", "--mail", "{{U}}", "--national-id", "{{ID1}}",
	  "--birth-date", "68-05-12"},
	 GOOD_PW,
	 4,
	 "no active city mailbox"},
};

static void test_uid_arguments(void **state)
{
	size_t nc = sizeof(uid_commands) / sizeof(uid_commands[0]);
	size_t nu = sizeof(hostile_uids) / sizeof(hostile_uids[0]);
	struct hcase *cases = calloc(nc * (nu + 1), sizeof(*cases));
	char **labels = calloc(nc * (nu + 1), sizeof(char *));
	size_t i, j, k, n = 0;
	char *u;

	/* every command gets "nosuchuser" and half of the hostile uids, every
	 * hostile uid half of the commands (the whole product takes twice
	 * as long and finds nothing more: all go through one function) */
	for (i = 0; i < nc; i++)
		for (j = 0; j <= nu; j++) {
			struct hcase *c = &cases[n];
			const char *uid = j < nu ? hostile_uids[j]
					  : uid_commands[i].missing_uid
						  ? uid_commands[i].missing_uid
						  : "nosuchuser";

			if (j < nu && (i + j) % 2 != 0)
				continue;

			for (k = 0; uid_commands[i].argv[k] != NULL; k++) {
				if (strcmp(uid_commands[i].argv[k], "{{U}}") !=
				    0) {
					c->argv[k] = uid_commands[i].argv[k];
					continue;
				}
				c->argv[k] = uid;
			}
			if (uid_commands[i].in != NULL) {
				c->in = uid_commands[i].in;
				c->in_len = strlen(c->in);
			}
			if (j < nu) {
				c->status = 2;
				c->err_kw = "account name";
			} else {
				c->status = uid_commands[i].missing_status;
				if (uid_commands[i].missing_on_stdout)
					c->out_kw = uid_commands[i].missing_kw;
				else
					c->err_kw = uid_commands[i].missing_kw;
			}
			u = strndup(uid, 24);
			for (k = 0; u[k]; k++)
				if ((unsigned char)u[k] < 0x20)
					u[k] = '?';
			labels[n] = malloc(128);
			snprintf(labels[n], 128, "%s %s \"%s\"",
				 uid_commands[i].argv[0],
				 uid_commands[i].argv[1][0] == '{'
					 ? ""
					 : uid_commands[i].argv[1],
				 u);
			free(u);
			c->label = labels[n];
			n++;
		}
	run_group("uid arguments", cases, n);
	for (i = 0; i < n; i++)
		free(labels[i]);
	free(labels);
	free(cases);
}

/* --- 6. reasons, states ------------------------------------------------- */

static const struct hcase reason_cases[] = {
	{"disable, reason with CRLF",
	 {"disable", "wangxm", "--reason", "a\r\nb"},
	 NOIN,
	 2,
	 "one line"},
	{"disable, reason with a header",
	 {"disable", "wangxm", "--reason", "a\nBcc: x@example.net"},
	 NOIN,
	 2,
	 "one line"},
	{"disable, reason empty",
	 {"disable", "wangxm", "--reason", ""},
	 NOIN,
	 2,
	 "reason is required"},
	{"disable, reason blank",
	 {"disable", "wangxm", "--reason", "  \t "},
	 NOIN,
	 2,
	 "reason is required"},
	{"disable, no reason",
	 {"disable", "wangxm"},
	 NOIN,
	 2,
	 "reason is required"},
	{"disable, reason 10 KB",
	 {"disable", "wangxm", "--reason", "{{LONG}}"},
	 NOIN,
	 2,
	 "1000"},
	{"disable, reason invalid UTF-8",
	 {"disable", "wangxm", "--reason", "bad\xff"},
	 NOIN,
	 2,
	 "UTF-8"},
	{"disable, two uids",
	 {"disable", "wangxm", "wujg", "--reason", "x"},
	 NOIN,
	 1,
	 "usage"},
	{"disable an account that is disabled",
	 {"disable", "linhua", "--reason", "again"},
	 NOIN,
	 0,
	 NULL,
	 "was disabled already"},
	{"reject, reason with CRLF",
	 {"reject", "changzm", "--reason", "a\r\nBcc: x@example.net"},
	 NOIN,
	 2,
	 "one line"},
	{"reject, reason 10 KB",
	 {"reject", "changzm", "--reason", "{{LONG}}"},
	 NOIN,
	 2,
	 "1000"},
	{"reject, reason empty",
	 {"reject", "changzm", "--reason", ""},
	 NOIN,
	 2,
	 "reason is required"},
	{"reject, reason invalid UTF-8",
	 {"reject", "changzm", "--reason", "bad\xff"},
	 NOIN,
	 2,
	 "UTF-8"},
	{"reject an active account",
	 {"reject", "wangxm", "--reason", "x"},
	 NOIN,
	 3,
	 "not pending"},
	{"delete without --yes",
	 {"delete", "wangxm", "--reason", "x"},
	 NOIN,
	 1,
	 "--yes"},
	{"delete, reason with LF",
	 {"delete", "wangxm", "--yes", "--reason", "a\nb"},
	 NOIN,
	 2,
	 "one line"},
	{"delete, reason empty",
	 {"delete", "wangxm", "--yes", "--reason", ""},
	 NOIN,
	 2,
	 "reason is required"},
	{"enable an active account",
	 {"enable", "wangxm", "--reason", "x"},
	 NOIN,
	 3,
	 "not disabled"},
	/* enable() checks a reason it is given (need_reason) */
	{"enable, reason with CRLF",
	 {"enable", "linhua", "--reason", "a\r\nBcc: x@example.net"},
	 NOIN,
	 2,
	 "one line"},
	{"enable, reason 10 KB",
	 {"enable", "linhua", "--reason", "{{LONG}}"},
	 NOIN,
	 2,
	 "1000"},
	{"enable, reason invalid UTF-8",
	 {"enable", "linhua", "--reason", "bad\xff"},
	 NOIN,
	 2,
	 "UTF-8"},
	{"approve an active account",
	 {"approve", "wangxm"},
	 NOIN,
	 3,
	 "not pending"},
	{"approve a disabled account",
	 {"approve", "linhua"},
	 NOIN,
	 3,
	 "not pending"},
	{"approve, two uids", {"approve", "changzm", "wujg"}, NOIN, 1, "usage"},
	{"unlock an account that is not locked",
	 {"unlock", "wangxm"},
	 NOIN,
	 0,
	 NULL,
	 "not locked"},
	{"consent show *", {"consent", "show", "*"}, NOIN, 1, "usage"},
	{"consent show ../../etc/passwd",
	 {"consent", "show", "../../etc/passwd"},
	 NOIN,
	 1,
	 "usage"},
	{"purge-inactive --days 0",
	 {"purge-inactive", "--days", "0"},
	 NOIN,
	 1,
	 "1 to 36500"},
	{"purge-inactive --days x",
	 {"purge-inactive", "--days", "12x"},
	 NOIN,
	 1,
	 "1 to 36500"},
	{"purge-inactive --days huge",
	 {"purge-inactive", "--days", "99999999999999999999"},
	 NOIN,
	 1,
	 "1 to 36500"},
	{"purge-inactive two modes",
	 {"purge-inactive", "--disable", "--delete"},
	 NOIN,
	 1,
	 "usage"},
	{"unknown command", {"frobnicate"}, NOIN, 1, "unknown command"},
	{"unknown command, a path", {"../bin/sh"}, NOIN, 1, "unknown command"},
};

static void test_reasons_and_states(void **state)
{
	RUN_GROUP("reasons and states", reason_cases);
}

/* --- 7. passwords -------------------------------------------------------- */

#define PASSWD(label, input, status, kw)                                       \
	{                                                                      \
		label, {"passwd", "wangxm"}, B(GOOD_PW input), status, kw      \
	}
#define RESET_PW(label, input, status, kw)                                     \
	{                                                                      \
		label, {"passwd", "wangxm", "--reset"}, B(input), status, kw   \
	}
#define RESET_FILE(label, file, status, kw)                                    \
	{                                                                      \
		label,                                                         \
			{"passwd", "wangxm", "--reset", "--password-file",     \
			 file},                                                \
			NOIN, status, kw                                       \
	}

static const struct hcase password_cases[] = {
	PASSWD("new: lower case only", "alllowercase1\n", 5, "3 of"),
	PASSWD("new: too short", "Ab1!xyz\n", 5, "8"),
	PASSWD("new: contains the uid", "Wangxm2024!\n", 5, "login name"),
	PASSWD("new: full-width", "Ａｂｃｄｅｆｇ１２\n", 5, "full-width"),
	PASSWD("new: CJK", "密碼Abcdefg1\n", 5, "Chinese"),
	PASSWD("new: invalid UTF-8",
	       "\xff\xfe"
	       "Abcdefg1\n",
	       5, "control"),
	PASSWD("new: space", "Abc def12\n", 5, "space"),
	PASSWD("new: ESC", "Abcdefg1\x1b[0m\n", 5, "control"),
	PASSWD("new: 10 KB", "{{LONG}}\n", 2, "too long"),
	PASSWD("new: missing", "", 2, "no password"),
	PASSWD("new: empty", "\n", 2, "empty"),
	PASSWD("new: the current one (history)", GOOD_PW, 5, "differ"),
	{"old: empty", {"passwd", "wangxm"}, B("\n" NEW_PW "\n"), 2, "empty"},
	{"old: 10 KB",
	 {"passwd", "wangxm"},
	 B("{{LONG}}\n" NEW_PW "\n"),
	 2,
	 "too long"},
	{"old password file /dev/zero",
	 {"passwd", "wangxm", "--old-password-file", "/dev/zero"},
	 B(NEW_PW "\n"),
	 2,
	 "too long"},
	{"reset with --old-password-file",
	 {"passwd", "wangxm", "--reset", "--old-password-file", "/dev/null"},
	 B(NEW_PW "\n"),
	 1,
	 "usage"},
	{"passwd without a uid", {"passwd"}, B(GOOD_PW), 1, "usage"},
	RESET_PW("reset: lower case only", "alllowercase1\n", 5, "3 of"),
	RESET_PW("reset: contains the uid", "xWANGXMx1!\n", 5, "login name"),
	RESET_PW("reset: full-width", "Ａｂｃｄｅｆｇ１２\n", 5, "full-width"),
	RESET_PW("reset: empty", "\n", 2, "empty"),
	RESET_PW("reset: 10 KB", "{{LONG}}\n", 2, "too long"),
	RESET_PW("reset: a BOM first", "\xef\xbb\xbf" GOOD_PW, 5, "control"),
	/* a NUL used to end the password early (fixed in a984962) */
	{"reset: NUL",
	 {"passwd", "wangxm", "--reset"},
	 B("Abcdefg1\0zzz\n"),
	 2,
	 "NUL"},
	{"new: NUL",
	 {"passwd", "wangxm"},
	 B(GOOD_PW "Abcdefg1\0zzz\n"),
	 2,
	 "NUL"},
	{"old: NUL",
	 {"passwd", "wangxm"},
	 B(GOOD "\0x\n" NEW_PW "\n"),
	 2,
	 "NUL"},
	RESET_FILE("reset file /dev/zero", "/dev/zero", 2, "too long"),
	RESET_FILE("reset file a directory", "{{DIR}}", 2, "no password"),
	RESET_FILE("reset file missing", "{{DIR}}/nope", 2, "cannot open"),
	RESET_FILE("reset file empty", "/dev/null", 2, "no password"),
	RESET_FILE("reset file with a BOM", "{{DIR}}/pw.bom", 5, "control"),
	RESET_FILE("reset file 10 KB", "{{DIR}}/pw.long", 2, "too long"),
	RESET_FILE("reset file CRLF only", "{{DIR}}/pw.crlf", 2, "empty"),
	{"reset file a FIFO fed a weak password",
	 {"passwd", "wangxm", "--reset", "--password-file", "{{FILE}}"},
	 NOIN,
	 5,
	 "3 of",
	 NULL,
	 FIFOW,
	 B("weakpassword1\n")},
	/* the right password, a NUL and junk used to log in (a984962) */
	{"auth test: right password, NUL, junk",
	 {"auth", "test", "wangxm", "--service", "mail"},
	 B(GOOD "\0junk\n"),
	 2,
	 "NUL"},
	{"auth test: bad service",
	 {"auth", "test", "wangxm", "--service", "*"},
	 B(GOOD_PW),
	 1,
	 "usage"},
	{"auth test: no service",
	 {"auth", "test", "wangxm"},
	 B(GOOD_PW),
	 1,
	 "usage"},
	{"auth test: pending account",
	 {"auth", "test", "changzm", "--service", "mail"},
	 B(GOOD_PW),
	 3,
	 "not active"},
	{"auth test: disabled account",
	 {"auth", "test", "linhua", "--service", "mail"},
	 B(GOOD_PW),
	 3,
	 "not active"},
	{"auth test: IKPD not active",
	 {"auth", "test", "wangxm", "--service", "ikpd"},
	 B(GOOD_PW),
	 3,
	 "IKPD is not active"},
	{"auth test: 10 KB password",
	 {"auth", "test", "wangxm", "--service", "mail"},
	 B("{{LONG}}\n"),
	 2,
	 "too long"},
	{"auth test: empty password",
	 {"auth", "test", "wangxm", "--service", "mail"},
	 B("\n"),
	 2,
	 "empty"},
};

static void test_passwords(void **state)
{
	char longpw[10300];

	write_bytes("pw.bom", B("\xef\xbb\xbf" GOOD_PW), 0600);
	memset(longpw, 'A', sizeof(longpw) - 2);
	longpw[sizeof(longpw) - 2] = '\n';
	longpw[sizeof(longpw) - 1] = '\0';
	write_bytes("pw.long", longpw, strlen(longpw), 0600);
	write_bytes("pw.crlf", B("\r\n"), 0600);
	RUN_GROUP("passwords", password_cases);
}

/* --- 8. links, IKPD registration, forgot-* ------------------------------ */

#define TOKEN2(label, tok, status, kw)                                         \
	{"ikpd activate: " label,                                              \
	 {"ikpd", "activate", "--token", tok},                                 \
	 B(GOOD_PW),                                                           \
	 status,                                                               \
	 kw},                                                                  \
	{                                                                      \
		"reset: " label, {"reset", "--token", tok}, B(GOOD_PW),        \
			status, kw                                             \
	}
#define REGISTER(label, mail, id, birth, status, kw)                           \
	{                                                                      \
		"ikpd register: " label,                                       \
			{"ikpd",	  "register", "--mail",	      mail,    \
			 "--national-id", id,	      "--birth-date", birth},  \
			B(GOOD_PW), status, kw                                 \
	}

static const struct hcase link_cases[] = {
	TOKEN2("empty", "", 2, "malformed"),
	TOKEN2("*", "*", 2, "malformed"),
	TOKEN2("a filter", "*)(kcgIkpdTokenHash=*", 2, "malformed"),
	TOKEN2("43 with a *", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA*", 2,
	       "malformed"),
	TOKEN2("42 characters", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 2,
	       "malformed"),
	TOKEN2("44 characters", "{{TOK43}}A", 2, "malformed"),
	TOKEN2("two words", "{{TOK43}} x", 2, "malformed"),
	TOKEN2("CRLF and more", "{{TOK43}}\r\nx", 2, "malformed"),
	TOKEN2("percent-encoded", "%2A%29%28AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	       2, "malformed"),
	TOKEN2("base64 not base64url",
	       "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+", 2, "malformed"),
	TOKEN2("full-width", "ＡＡＡＡＡＡＡＡＡＡＡＡＡＡ", 2, "malformed"),
	TOKEN2("10 KB", "{{LONG}}", 2, "malformed"),
	TOKEN2("invalid UTF-8", "\xff\xfe", 2, "malformed"),
	TOKEN2("a hash instead of a token",
	       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85"
	       "5",
	       2, "malformed"),
	TOKEN2("well formed, unknown", "{{TOK43}}", 4, "not valid"),
	TOKEN2("well formed, spaces around", "  {{TOK43}} ", 4, "not valid"),
	{"ikpd activate: no token",
	 {"ikpd", "activate"},
	 B(GOOD_PW),
	 1,
	 "usage"},
	{"reset: no token", {"reset"}, B(GOOD_PW), 1, "usage"},
	{"reset: token, empty password",
	 {"reset", "--token", "{{TOK43}}"},
	 B("\n"),
	 2,
	 "empty"},
	{"ikpd: unknown subcommand", {"ikpd", "login"}, NOIN, 1, "usage"},
	REGISTER("other domain", "wangxm@evil.example", "{{ID1}}", "68-05-12",
		 2, "before @"),
	REGISTER("city domain then a header",
		 "wangxm@kcg.gov.tw\r\nBcc: x@example.net", "{{ID1}}",
		 "68-05-12", 2, "before @"),
	REGISTER("city domain as a prefix", "wangxm@kcg.gov.tw.evil.example",
		 "{{ID1}}", "68-05-12", 2, "before @"),
	REGISTER("two @", "wangxm@@kcg.gov.tw", "{{ID1}}", "68-05-12", 2,
		 "before @"),
	REGISTER("empty", "", "{{ID1}}", "68-05-12", 2, "account name"),
	REGISTER("pending account", "changzm", "{{ID5}}", "70-01-01", 4,
		 "no active city mailbox"),
	REGISTER("disabled account", "linhua", "{{ID4}}", "70-01-01", 4,
		 "no active city mailbox"),
	REGISTER("id checksum", "wangxm", "{{BADCK1}}", "68-05-12", 2,
		 "checksum"),
	REGISTER("id *", "wangxm", "*", "68-05-12", 2, "10 characters"),
	REGISTER("id full-width", "wangxm", "Ｅ１２３４５６７８３", "68-05-12",
		 2, "10 characters"),
	REGISTER("someone else's id", "wangxm", "{{ID2}}", "68-05-12", 4,
		 "does not match"),
	REGISTER("birth 112-02-30", "wangxm", "{{ID1}}", "112-02-30", 2,
		 "no such day"),
	REGISTER("birth 0-01-01", "wangxm", "{{ID1}}", "0-01-01", 2,
		 "1 to 999"),
	REGISTER("birth Gregorian", "wangxm", "{{ID1}}", "1979-05-12", 2,
		 "1 to 999"),
	REGISTER("birth full-width", "wangxm", "{{ID1}}", "６８-０５-１２", 2,
		 "ROC year-month-day"),
	REGISTER("birth with junk", "wangxm", "{{ID1}}", "68-05-12;x", 2,
		 "ROC year-month-day"),
	REGISTER("birth 10 KB", "wangxm", "{{ID1}}", "{{LONG}}", 2,
		 "ROC year-month-day"),
	REGISTER("birth empty", "wangxm", "{{ID1}}", "", 2,
		 "ROC year-month-day"),
	REGISTER("wrong birth date", "wangxm", "{{ID1}}", "68-05-11", 4,
		 "does not match"),
	{"ikpd register: no birth date",
	 {"ikpd", "register", "--mail", "wangxm", "--national-id", "{{ID1}}"},
	 B(GOOD_PW),
	 1,
	 "usage"},
	/* forgot-*: the same answer whether or not there is an account */
	{"forgot-password: pending account",
	 {"forgot-password", "--uid", "changzm"},
	 NOIN,
	 0,
	 NULL,
	 SENT},
	{"forgot-password: disabled account",
	 {"forgot-password", "--uid", "linhua"},
	 NOIN,
	 0,
	 NULL,
	 SENT},
	{"forgot-password: no --uid", {"forgot-password"}, NOIN, 1, "usage"},
	{"forgot-account: name *",
	 {"forgot-account", "--name", "*", "--national-id", "{{ID1}}"},
	 NOIN,
	 0,
	 NULL,
	 SENT},
	{"forgot-account: name is a filter",
	 {"forgot-account", "--name", "*)(cn=*", "--national-id", "{{ID1}}"},
	 NOIN,
	 0,
	 NULL,
	 SENT},
	{"forgot-account: no account",
	 {"forgot-account", "--name", "陳美玲", "--national-id", "{{ID2}}"},
	 NOIN,
	 0,
	 NULL,
	 SENT},
	{"forgot-account: left the city",
	 {"forgot-account", "--name", "黃淑芬", "--national-id", "{{ID3}}"},
	 NOIN,
	 0,
	 NULL,
	 SENT},
	{"forgot-account: valid id of nobody",
	 {"forgot-account", "--name", "王小明", "--national-id", "{{IDN}}"},
	 NOIN,
	 0,
	 NULL,
	 SENT},
	{"forgot-account: id checksum",
	 {"forgot-account", "--name", "王小明", "--national-id", "{{BADCK1}}"},
	 NOIN,
	 2,
	 "checksum"},
	{"forgot-account: name empty",
	 {"forgot-account", "--name", "", "--national-id", "{{ID1}}"},
	 NOIN,
	 2,
	 "name"},
	{"forgot-account: no id",
	 {"forgot-account", "--name", "王小明"},
	 NOIN,
	 1,
	 "usage"},
};

static void test_links_ikpd_forgot(void **state)
{
	RUN_GROUP("links, ikpd, forgot", link_cases);
}

/* --- 9. configuration files --------------------------------------------- */

/* What make_conf() changes in the sandbox's configuration: NULL keeps
 * the sandbox's value, "" drops the line. */
struct conf_opts {
	const char *ldap_lines; /* more lines in the ldap group */
	const char *suffix, *pwfile, *keyfile, *privacy, *audit;
	const char *extra; /* more groups at the end */
};

/* make_conf - write NAME.conf in the sandbox, like the sandbox's own but
 * with O, and set the token {{C_NAME}} to its path. */
static void make_conf(const char *name, struct conf_opts o)
{
	char text[16384], tok[64], file[64], uri[700] = "", pw[600] = "",
					     privacy[600];
	const char *top = getenv("KCG_TOP_SRCDIR");

	if (top == NULL || top[0] == '\0')
		top = ".";
	if (o.ldap_lines == NULL || strstr(o.ldap_lines, "uri") == NULL)
		snprintf(uri, sizeof(uri), "\turi = [ \"%s\" ];\n",
			 harness_ldapi());
	if (o.pwfile == NULL || o.pwfile[0] != '\0')
		snprintf(pw, sizeof(pw), "\tbind_password_file = \"%s\";\n",
			 o.pwfile ? o.pwfile
				  : sandbox_path("provisioner.secret"));
	if (o.privacy != NULL)
		snprintf(privacy, sizeof(privacy), "%s", o.privacy);
	else
		snprintf(privacy, sizeof(privacy), "%s/etc/privacy-notice.txt",
			 top);
	snprintf(text, sizeof(text),
		 "ldap = {\n%s%s"
		 "\tsuffix = \"%s\";\n"
		 "\tbind_dn = \"cn=provisioner,ou=services,dc=kcg,dc=gov,"
		 "dc=tw\";\n%s};\n"
		 "idhash = {\n\tkey_file = \"%s\";\n};\n"
		 "consent = {\n\tprivacy_text_file = \"%s\";\n"
		 "\tmail_rules_text_file = \"%s/etc/mail-rules.txt\";\n};\n"
		 "spool = {\n\tdir = \"%s/spool\";\n};\n"
		 "audit = {\n\tfile = \"%s\";\n};\n%s",
		 uri, o.ldap_lines ? o.ldap_lines : "",
		 o.suffix ? o.suffix : "dc=kcg,dc=gov,dc=tw", pw,
		 o.keyfile ? o.keyfile : sandbox_path("idhash.key"), privacy,
		 top, sandbox, o.audit ? o.audit : sandbox_path("audit.log"),
		 o.extra ? o.extra : "");
	snprintf(file, sizeof(file), "%s.conf", name);
	write_bytes(file, text, strlen(text), 0600);
	snprintf(tok, sizeof(tok), "C_%s", name);
	tok_set(tok, sandbox_path(file));
}

#define CONF_OPTS(...) ((struct conf_opts){__VA_ARGS__})

#define CONF(label, conf, status, kw)                                          \
	{                                                                      \
		label, {"-c", conf, "uid", "check", "abcd"}, NOIN, status, kw, \
			NULL, NOCONF                                           \
	}
#define CONF_ID(label, conf, status, kw)                                       \
	{                                                                      \
		label, {"-c",	  conf,	    "verify",                          \
			"--name", "王小明", "--national-id",                   \
			"{{ID1}}"},                                            \
			NOIN, status, kw, NULL, NOCONF                         \
	}

static const struct hcase config_cases[] = {
	CONF("control: the good configuration", "{{C_good}}", 0, NULL),
	CONF("-c /dev/zero", "/dev/zero", 2, "syntax error"),
	CONF("-c a directory", "{{DIR}}", 2, "cannot read"),
	CONF("-c missing", "{{DIR}}/nope.conf", 2, "cannot read"),
	CONF("-c empty path", "", 2, "cannot read"),
	{"-c a FIFO fed a bad configuration",
	 {"-c", "{{FILE}}", "uid", "check", "abcd"},
	 NOIN,
	 2,
	 "must be 1 to 300",
	 NULL,
	 NOCONF | FIFOW,
	 B("ldap = { timeout = 0; };\n")},
	CONF("10 KB of garbage", "{{C_garbage}}", 2, "syntax error"),
	CONF("invalid UTF-8", "{{C_utf8}}", 2, "syntax error"),
	CONF("unknown setting", "{{C_unknown}}", 2, "unknown setting"),
	CONF("setting outside a group", "{{C_toplevel}}", 2, "unknown setting"),
	CONF("wrong type", "{{C_type}}", 2, "wrong type"),
	CONF("timeout 0", "{{C_range}}", 2, "must be 1 to 300"),
	CONF("timeout too big for an int", "{{C_range64}}", 2, "must be"),
	/* libconfig 1.5 keeps a big literal as a 32-bit int (2^32 + 10 is
	 * 10): config.c checks the literal as written */
	CONF("timeout 2^32 + 10 does not wrap to 10", "{{C_wrap}}", 2,
	     "must be"),
	CONF("uri http://", "{{C_http}}", 2, "not an ldap"),
	CONF("uri list empty", "{{C_nouri}}", 2, "at least one URI"),
	CONF("bind_dn without a password file", "{{C_nopw}}", 2, "go together"),
	CONF("mail.domain empty", "{{C_domain}}", 2, "not a domain"),
	CONF("mail.domain with @", "{{C_domain_at}}", 2, "not a domain"),
	CONF("mail.quota_bytes -1", "{{C_quota}}", 2, "must be"),
	CONF("review.mode Auto", "{{C_review}}", 2, "manual or auto"),
	CONF("smtp.tls ssl", "{{C_tls}}", 2, "none or starttls"),
	CONF("smtp.uri ftp://", "{{C_smtp}}", 2, "smtp://"),
	CONF("web.base_url javascript:", "{{C_url}}", 2, "http(s)"),
	CONF("@include /dev/zero", "{{C_include}}", 2, "syntax error"),
	/* a NUL byte must not end the file quietly (libconfig refuses it) */
	CONF("NUL byte, then garbage", "{{C_nul}}", 2, "syntax error"),
	CONF("bind password file /dev/zero", "{{C_pw_zero}}", 2,
	     "not a regular file"),
	CONF("bind password file a directory", "{{C_pw_dir}}", 2,
	     "not a regular file"),
	CONF("bind password file mode 0644", "{{C_pw_mode}}", 2, "0600"),
	CONF("bind password file empty", "{{C_pw_empty}}", 2, "empty"),
	CONF("bind password file with NUL", "{{C_pw_nul}}", 2, "NUL"),
	CONF("bind password file too large", "{{C_pw_big}}", 2, "too large"),
	CONF("bind password file missing", "{{C_pw_none}}", 2, "cannot open"),
	{"bind password file a FIFO",
	 {"-c", "{{C_pw_fifo}}", "uid", "check", "abcd"},
	 NOIN,
	 2,
	 "not a regular file",
	 NULL,
	 NOCONF | SHORT},
	/* a wrong secret: reported as "directory unavailable" (6) */
	CONF("bind password wrong", "{{C_pw_wrong}}", 6, "Invalid credentials"),
	CONF_ID("key file mode 0644", "{{C_key_mode}}", 2, "0600"),
	CONF_ID("key file /dev/zero", "{{C_key_zero}}", 2,
		"not a regular file"),
	CONF_ID("key file a symlink to /dev/zero", "{{C_key_link}}", 2,
		"not a regular file"),
	CONF_ID("key file too short", "{{C_key_short}}", 2, "shorter"),
	CONF_ID("key file missing", "{{C_key_none}}", 2, "cannot open"),
	{"key file a FIFO",
	 {"-c", "{{C_key_fifo}}", "verify", "--name", "王小明", "--national-id",
	  "{{ID1}}"},
	 NOIN,
	 2,
	 "not a regular file",
	 NULL,
	 NOCONF | SHORT},
	/* without a writable audit log kcgidm still works (main.c) */
	{"audit file a FIFO",
	 {"-c", "{{C_audit_fifo}}", "uid", "check", "abcd"},
	 NOIN,
	 0,
	 NULL,
	 "abcd",
	 NOCONF | SHORT},
	CONF("audit file a directory", "{{C_audit_dir}}", 0, NULL),
	/* the suffix is checked as a DN (ldap_str2dn) with file:line */
	CONF("suffix not a DN", "{{C_suffix}}", 2, "ldap.suffix"),
	/* the notice must be a regular file of at most 1 MiB: /dev/zero
	 * would run out of memory */
	{"privacy notice /dev/zero",
	 {"-c", "{{C_privacy_zero}}", "consent", "show", "privacy"},
	 NOIN,
	 8,
	 "/dev/zero",
	 NULL,
	 NOCONF | SHORT | MEMCAP},
	/* ... and a directory would be shown as an empty notice, exit 0 */
	{"privacy notice a directory",
	 {"-c", "{{C_privacy_dir}}", "consent", "show", "privacy"},
	 NOIN,
	 8,
	 "directory",
	 NULL,
	 NOCONF},
};

static void test_config_files(void **state)
{
	char garbage[10241], secret[256], text[8192];
	FILE *fp;
	size_t n;

	make_conf("good", CONF_OPTS(.extra = NULL));
	memset(garbage, '}', 10240);
	garbage[10240] = '\0';
	write_bytes("garbage.conf", garbage, 10240, 0600);
	tok_set("C_garbage", sandbox_path("garbage.conf"));
	write_bytes("utf8.conf", B("\xff\xfe = 1;\n"), 0600);
	tok_set("C_utf8", sandbox_path("utf8.conf"));
	make_conf("unknown", CONF_OPTS(.ldap_lines = "\turix = 1;\n"));
	make_conf("toplevel", CONF_OPTS(.extra = "timeout = 5;\n"));
	make_conf("type", CONF_OPTS(.ldap_lines = "\ttimeout = \"soon\";\n"));
	make_conf("range", CONF_OPTS(.ldap_lines = "\ttimeout = 0;\n"));
	make_conf("range64",
		  CONF_OPTS(.ldap_lines = "\ttimeout = 99999999999;\n"));
	make_conf("wrap", CONF_OPTS(.ldap_lines = "\ttimeout = 4294967306;\n"));
	make_conf("http",
		  CONF_OPTS(.ldap_lines = "\turi = [ "
					  "\"http://127.0.0.1/\" ];\n"));
	make_conf("nouri", CONF_OPTS(.ldap_lines = "\turi = [ ];\n"));
	make_conf("nopw", CONF_OPTS(.pwfile = ""));
	make_conf("domain", CONF_OPTS(.extra = "mail = { domain = \"\"; };\n"));
	make_conf("domain_at",
		  CONF_OPTS(.extra = "mail = { domain = "
				     "\"kcg.gov.tw@evil.example\"; };\n"));
	make_conf("quota",
		  CONF_OPTS(.extra = "mail = { quota_bytes = -1; };\n"));
	make_conf("review",
		  CONF_OPTS(.extra = "review = { mode = \"Auto\"; };\n"));
	make_conf("tls", CONF_OPTS(.extra = "smtp = { tls = \"ssl\"; };\n"));
	make_conf("smtp", CONF_OPTS(.extra = "smtp = { uri = "
					     "\"ftp://127.0.0.1\"; };\n"));
	make_conf("url", CONF_OPTS(.extra = "web = { base_url = "
					    "\"javascript:alert(1)\"; };\n"));
	make_conf("include", CONF_OPTS(.extra = "@include \"/dev/zero\"\n"));
	/* the good configuration, a NUL, then no configuration at all */
	fp = fopen(sandbox_path("good.conf"), "r");
	assert_non_null(fp);
	n = fread(text, 1, sizeof(text) - 64, fp);
	fclose(fp);
	memcpy(text + n, "\0}}} this is not a configuration {{{\n", 38);
	write_bytes("nul.conf", text, n + 38, 0600);
	tok_set("C_nul", sandbox_path("nul.conf"));
	make_conf("pw_zero", CONF_OPTS(.pwfile = "/dev/zero"));
	make_conf("pw_dir", CONF_OPTS(.pwfile = sandbox));
	fp = fopen(sandbox_path("provisioner.secret"), "r");
	assert_non_null(fp);
	n = fread(secret, 1, sizeof(secret) - 1, fp);
	fclose(fp);
	write_bytes("pw.mode", secret, n, 0644);
	make_conf("pw_mode", CONF_OPTS(.pwfile = sandbox_path("pw.mode")));
	write_bytes("pw.empty", "", 0, 0600);
	make_conf("pw_empty", CONF_OPTS(.pwfile = sandbox_path("pw.empty")));
	secret[n / 2] = '\0';
	write_bytes("pw.nul", secret, n, 0600);
	make_conf("pw_nul", CONF_OPTS(.pwfile = sandbox_path("pw.nul")));
	write_bytes("pw.big", garbage, 5000, 0600);
	make_conf("pw_big", CONF_OPTS(.pwfile = sandbox_path("pw.big")));
	make_conf("pw_none", CONF_OPTS(.pwfile = sandbox_path("nope.secret")));
	make_conf("pw_fifo", CONF_OPTS(.pwfile = sandbox_path("pw.fifo")));
	make_conf("pw_wrong",
		  CONF_OPTS(.pwfile = sandbox_path("dovecot.secret")));
	fp = fopen(sandbox_path("idhash.key"), "r");
	assert_non_null(fp);
	n = fread(secret, 1, sizeof(secret) - 1, fp);
	fclose(fp);
	write_bytes("key.mode", secret, n, 0644);
	make_conf("key_mode", CONF_OPTS(.keyfile = sandbox_path("key.mode")));
	make_conf("key_zero", CONF_OPTS(.keyfile = "/dev/zero"));
	unlink(sandbox_path("key.link"));
	assert_int_equal(symlink("/dev/zero", sandbox_path("key.link")), 0);
	make_conf("key_link", CONF_OPTS(.keyfile = sandbox_path("key.link")));
	write_bytes("key.short", B("abc\n"), 0600);
	make_conf("key_short", CONF_OPTS(.keyfile = sandbox_path("key.short")));
	make_conf("key_none", CONF_OPTS(.keyfile = sandbox_path("nope.key")));
	make_conf("key_fifo", CONF_OPTS(.keyfile = sandbox_path("key.fifo")));
	make_conf("audit_fifo", CONF_OPTS(.audit = sandbox_path("audit.fifo")));
	make_conf("audit_dir", CONF_OPTS(.audit = sandbox));
	make_conf("suffix", CONF_OPTS(.suffix = "not a DN"));
	make_conf("privacy_zero", CONF_OPTS(.privacy = "/dev/zero"));
	make_conf("privacy_dir", CONF_OPTS(.privacy = sandbox));
	RUN_GROUP("configuration files", config_cases);
}

/* --- 10. --json: errors stay machine-readable ---------------------------- */

struct jcase {
	const char *label;
	const char *argv[20];
	const char *in;
	int status;
	const char *key; /* "error", or "rejected_rows" (its first reason) */
	const char *kw;
	unsigned flags;
	const char *file;
};

static const struct jcase json_cases[] = {
	{"uid check *",
	 {"uid", "check", "*"},
	 NULL,
	 2,
	 "error",
	 "account name"},
	{"verify name *",
	 {"verify", "--name", "*", "--national-id", "{{ID1}}"},
	 NULL,
	 4,
	 "error",
	 "no active employee record"},
	{"apply, recovery with CRLF",
	 {APPLY_ARGS("chenml", PRIVACY), "--mail", "--accept-mail-rules",
	  MAILRULES, "--recovery-mail", "a@example.com\r\nBcc: x@example.net"},
	 GOOD_PW,
	 2,
	 "error",
	 "ASCII"},
	{"roster, bad checksum",
	 {"roster", "import", "{{FILE}}"},
	 NULL,
	 2,
	 "rejected_rows",
	 "checksum",
	 0,
	 HEADER "{{BADCKN}},新人,70-01-01,職員,機關,,,,general,active\n"},
	{"roster, invalid UTF-8 name",
	 {"roster", "import", "{{FILE}}"},
	 NULL,
	 2,
	 "rejected_rows",
	 "UTF-8",
	 0,
	 HEADER "{{IDN}},\xff\xfe,70-01-01,職員,機關,,,,general,active\n"},
	{"log *", {"log", "*"}, NULL, 2, "error", "account name"},
	{"reset, malformed token",
	 {"reset", "--token", "*"},
	 GOOD_PW,
	 2,
	 "error",
	 "malformed"},
	/* out_error() writes a byte that is not UTF-8 (a path echoed in
	 * the message) as the text \xHH instead of losing the message */
	{"roster, path with invalid UTF-8",
	 {"roster", "import", "{{DIR}}/\xff.csv"},
	 NULL,
	 2,
	 "error",
	 "\\xFF.csv: "},
	{"-c with invalid UTF-8",
	 {"-c", "{{DIR}}/\xfe.conf", "uid", "check", "abcd"},
	 NULL,
	 2,
	 "error",
	 "\\xFE.conf: ",
	 NOCONF},
};

static void test_json_errors(void **state)
{
	char *before = harness_slapcat(), *after;
	size_t i, k;
	int failed = 0;

	for (i = 0; i < sizeof(json_cases) / sizeof(json_cases[0]); i++) {
		const struct jcase *jc = &json_cases[i];
		struct hcase c;
		struct run r;
		json_error_t jerr;
		json_t *j, *v;
		const char *s = NULL, *why = NULL;
		char *content;
		size_t len;

		memset(&c, 0, sizeof(c));
		c.label = jc->label;
		c.flags = jc->flags;
		k = 0;
		if (jc->flags & NOCONF) {
			c.argv[k++] = jc->argv[0];
			c.argv[k++] = jc->argv[1];
			c.argv[k++] = "--json";
		} else {
			c.argv[k++] = "-c";
			c.argv[k++] = harness_conf();
			c.argv[k++] = "--json";
		}
		c.flags |= NOCONF;
		for (size_t a = jc->flags & NOCONF ? 2 : 0;
		     jc->argv[a] != NULL && k < 23; a++)
			c.argv[k++] = jc->argv[a];
		if (jc->in != NULL) {
			c.in = jc->in;
			c.in_len = strlen(jc->in);
		}
		if (jc->file != NULL) {
			content = expand(jc->file, strlen(jc->file), &len);
			tok_set("FILE",
				write_bytes("case.csv", content, len, 0600));
			free(content);
		}
		run_case(&r, &c);
		n_cases++;
		j = json_loads(r.out, 0, &jerr);
		if (j == NULL) {
			why = "stdout is not JSON";
		} else if (r.status != jc->status ||
			   json_integer_value(json_object_get(j, "exit")) !=
				   jc->status ||
			   !json_is_false(json_object_get(j, "ok"))) {
			why = "wrong exit, \"exit\" or \"ok\"";
		} else {
			v = json_object_get(j, jc->key);
			if (json_is_array(v))
				v = json_object_get(json_array_get(v, 0),
						    "reason");
			s = json_string_value(v);
			if (s == NULL)
				why = "no message in the JSON";
			else if (strstr(s, jc->kw) == NULL)
				why = "the message lacks the keyword";
		}
		if (why != NULL && (jc->flags & KB) && !strict) {
			n_known++;
			fprintf(stderr, "KNOWN BUG [json] %s: %s\n", jc->label,
				why);
		} else if (why != NULL) {
			failed++;
			fprintf(stderr, "FAIL [json] %s: %s (exit %d)\n%s\n",
				jc->label, why, r.status, shorten(r.out, 0));
		}
		json_decref(j);
		harness_run_free(&r);
	}
	after = harness_slapcat();
	assert_string_equal(before, after);
	free(before);
	free(after);
	if (failed)
		fail_msg("json: %d cases failed", failed);
}

/* --- 11. binds with hostile passwords ------------------------------------ */

static const struct hcase bind_cases[] = {
	{"auth test, invalid UTF-8",
	 {"auth", "test", "leexl", "--service", "mail"},
	 B("\xff\xfe\n"),
	 2,
	 "wrong account or password"},
	{"auth test, full-width",
	 {"auth", "test", "leexl", "--service", "mail"},
	 B("Ａｂｃ１２３４５\n"),
	 2,
	 "wrong account or password"},
	{"auth test, *",
	 {"auth", "test", "leexl", "--service", "mail"},
	 B("*\n"),
	 2,
	 "wrong account or password"},
	{"auth test, right password and a space",
	 {"auth", "test", "leexl", "--service", "mail"},
	 B(GOOD " \n"),
	 2,
	 "wrong account or password"},
	{"ikpd register, filter as password",
	 {"ikpd", "register", "--mail", "leexl", "--national-id", "{{ID6}}",
	  "--birth-date", "70-01-01"},
	 B("*)(uid=*\n"),
	 2,
	 "wrong account or password"},
	/* five failures: now even the right password is refused */
	{"auth test, right password, locked",
	 {"auth", "test", "leexl", "--service", "mail"},
	 B(GOOD_PW),
	 5,
	 "locked"},
};

static void test_failed_binds_only_count(void **state)
{
	static const char victim[] = "uid=leexl,ou=people,dc=kcg,dc=gov,dc=tw";
	static const char *const lockout[] = {
		"pwdFailureTime:",  "pwdAccountLockedTime:", "entryCSN:",
		"modifyTimestamp:", "modifiersName:",	     NULL,
	};
	char *before = harness_slapcat(), *after, *rb, *ra, *eb, *ea;
	size_t i;
	int failed = 0, n = 0;
	const char *p;

	for (i = 0; i < sizeof(bind_cases) / sizeof(bind_cases[0]); i++)
		failed += run_one("binds", &bind_cases[i]);
	after = harness_slapcat();
	rb = without_entry(before, victim);
	ra = without_entry(after, victim);
	assert_string_equal(rb, ra);
	eb = entry_of(before, victim);
	ea = entry_of(after, victim);
	changed_attrs_only(eb, ea, lockout, victim);
	for (p = ea; (p = strstr(p, "\npwdFailureTime: ")) != NULL; p++)
		n++;
	assert_int_equal(n, 5);
	assert_non_null(strstr(ea, "\npwdAccountLockedTime: "));
	free(before);
	free(after);
	free(rb);
	free(ra);
	free(eb);
	free(ea);
	if (failed)
		fail_msg("binds: %d cases failed", failed);
}

/* --- 12. a recovery address with CRLF in the directory ------------------ */

static void test_stored_recovery_address_never_mailed(void **state)
{
	/* what an admin (or, with the design's ACL, the user) could store:
	 * IA5String takes CR and LF */
	static const struct {
		const char *label, *b64;
	} stored[] = {
		/* "x@example.com\r\nBcc: evil@example.net" */
		{"CRLF Bcc",
		 "eEBleGFtcGxlLmNvbQ0KQmNjOiBldmlsQGV4YW1wbGUubmV0"},
		/* "x@example.com\nBcc: evil@example.net" */
		{"LF Bcc", "eEBleGFtcGxlLmNvbQpCY2M6IGV2aWxAZXhhbXBsZS5uZXQ="},
		/* "x@example.com, evil@example.net" */
		{"two addresses",
		 "eEBleGFtcGxlLmNvbSwgZXZpbEBleGFtcGxlLm5ldA=="},
	};
	static const struct hcase forgot[] = {
		{"forgot-password",
		 {"forgot-password", "--uid", "wujg"},
		 NOIN,
		 0,
		 NULL,
		 SENT},
		{"forgot-account",
		 {"forgot-account", "--name", "吳建國", "--national-id",
		  "{{ID7}}"},
		 NOIN,
		 0,
		 NULL,
		 SENT},
	};
	char ldif[512],
		*argv[] = {"/bin/grep", "-rl", "evil@example.net", NULL, NULL};
	char spool[512];
	struct run r;
	size_t i, k;

	snprintf(spool, sizeof(spool), "%s/spool", sandbox);
	argv[3] = spool;
	for (i = 0; i < sizeof(stored) / sizeof(stored[0]); i++)
		for (k = 0; k < 2; k++) {
			snprintf(ldif, sizeof(ldif),
				 "dn: uid=wujg,ou=people,dc=kcg,dc=gov,dc=tw\n"
				 "changetype: modify\n"
				 "replace: kcgRecoveryMail\n"
				 "kcgRecoveryMail:: %s\n-\n"
				 "replace: kcgRecoveryMailTime\n",
				 stored[i].b64);
			harness_ldapmodify_admin(ldif);
			if (run_one(stored[i].label, &forgot[k]) != 0)
				fail_msg("%s: %s", stored[i].label,
					 forgot[k].label);
			/* never in a queued message, header or not */
			if (access(spool, F_OK) == 0) {
				harness_run(&r, NULL, argv);
				if (r.out[0] != '\0')
					fail_msg("%s %s: queued: %s",
						 stored[i].label,
						 forgot[k].label, r.out);
				harness_run_free(&r);
			}
		}
}

/* --- 13. metacharacters are data ---------------------------------------- */

static void test_metacharacters_are_data(void **state)
{
	static const char agency[] = "a,b+c=d#e\\f<g>;h\"i*(j)";
	char id[11], csv[1024];
	struct run r;
	int st;
	json_t *j;
	char *ldif;

	harness_natid('M', 10000009, id);
	memcpy(ids[9], id, sizeof(id));
	tok_set("ID9", id);
	snprintf(csv, sizeof(csv),
		 "%s%s,*)(cn=*,70-01-01,職員,\"a,b+c=d#e\\f<g>;h\"\"i*(j)\","
		 " 前後 ,\"=cmd|' /C calc'!A0\",,general,active\n",
		 HEADER, id);
	tok_set("FILE", write_bytes("meta.csv", csv, strlen(csv), 0600));
	assert_int_equal(harness_kcgidm(&r, NULL, "roster", "import",
					sandbox_path("meta.csv"), NULL),
			 0);
	harness_run_free(&r);
	/* the name matches itself, and only itself */
	assert_int_equal(harness_kcgidm(&r, NULL, "verify", "--name", "*)(cn=*",
					"--national-id", id, NULL),
			 0);
	assert_non_null(strstr(r.out, agency));
	assert_non_null(strstr(r.out, "所屬單位: 前後\n"));
	harness_run_free(&r);
	assert_int_equal(harness_kcgidm(&r, NULL, "verify", "--name", "*",
					"--national-id", id, NULL),
			 4);
	harness_run_free(&r);
	/* an account with that name: the name is an attribute value, never
	 * part of a DN or a filter */
	assert_int_equal(harness_kcgidm(&r, GOOD_PW, "apply", "--name",
					"*)(cn=*", "--national-id", id, "--uid",
					"metachar", "--accept-privacy", PRIVACY,
					NULL),
			 0);
	harness_run_free(&r);
	j = harness_kcgidm_json(&st, NULL, "show", "metachar", NULL);
	assert_int_equal(st, 0);
	assert_string_equal(json_string_value(json_object_get(j, "cn")),
			    "*)(cn=*");
	assert_string_equal(json_string_value(json_object_get(j, "kcgAgency")),
			    agency);
	assert_string_equal(json_string_value(json_object_get(j, "dn")),
			    "uid=metachar,ou=people,dc=kcg,dc=gov,dc=tw");
	json_decref(j);
	ldif = harness_slapcat();
	assert_null(strstr(ldif, id));
	free(ldif);
	assert_int_equal(harness_kcgidm(&r, NULL, "forgot-account", "--name",
					"*)(cn=*", "--national-id", id, NULL),
			 0);
	harness_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lastbind_is_the_only_write),
		cmocka_unit_test(test_roster_rows),
		cmocka_unit_test(test_roster_files),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_uid_check),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_uid_arguments),
		cmocka_unit_test(test_reasons_and_states),
		cmocka_unit_test(test_passwords),
		cmocka_unit_test(test_links_ikpd_forgot),
		cmocka_unit_test(test_config_files),
		cmocka_unit_test(test_json_errors),
		cmocka_unit_test(test_failed_binds_only_count),
		cmocka_unit_test(test_stored_recovery_address_never_mailed),
		cmocka_unit_test(test_metacharacters_are_data),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
