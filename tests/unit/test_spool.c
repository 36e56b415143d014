/*
 * test_spool - the durable outbox: layout and modes, refusals, what a
 * drain does with 2xx, 4xx, 5xx and no reply, the backoff, max_age,
 * recovery from crashes at each step, STOP, and two drainers at once.
 * Delivery goes through spool_drain_with() and a scripted sender (our
 * own seam); the real SMTP path is tests/integration/test_mail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "kcg.h"
#include "spool.h"

static char root[64];
static char dir[128];

/* The scripted sender: the outcome depends on the recipient's local part. */
struct sender {
	unsigned calls;
	char last_msg[256];
	size_t last_len;
	int log_fd; /* when >= 0: append "rcpt\n" per accepted message */
	unsigned delay_us;
};

static int fake_send(void *ctx, const char *env_from, const char *rcpt,
		     const char *msg, size_t len, int *code_r,
		     const char **error_r)
{
	struct sender *s = ctx;
	char line[300];

	s->calls++;
	if (s->delay_us != 0)
		usleep(s->delay_us);
	if (len < sizeof(s->last_msg)) {
		memcpy(s->last_msg, msg, len);
		s->last_len = len;
	}
	*code_r = 0;
	if (strncmp(rcpt, "ok", 2) == 0) {
		if (s->log_fd >= 0) {
			snprintf(line, sizeof(line), "%s\n", rcpt);
			assert_true(write(s->log_fd, line, strlen(line)) > 0);
		}
		return 0;
	}
	if (strncmp(rcpt, "soft", 4) == 0) {
		*code_r = 450;
		*error_r = "RCPT TO: 450 4.2.0 mailbox busy";
		return KCG_EMAIL;
	}
	if (strncmp(rcpt, "hard", 4) == 0) {
		*code_r = 550;
		*error_r = "RCPT TO: 550 5.1.1 no such user\n(second line)";
		return KCG_EMAIL;
	}
	if (strncmp(rcpt, "inval", 5) == 0) {
		*error_r = "invalid envelope";
		return KCG_EINVAL;
	}
	*error_r = "connect 127.0.0.1:1: Connection refused";
	return KCG_EMAIL;
}

static struct kcg_config cfg;

/* rm_one - nftw callback removing everything. */
static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	return remove(path);
}

static int setup(void **state)
{
	struct spool *sp = NULL;
	const char *err = NULL;

	snprintf(root, sizeof(root), "/tmp/test_spool.XXXXXX");
	if (mkdtemp(root) == NULL)
		return -1;
	snprintf(dir, sizeof(dir), "%s/spool", root);
	memset(&cfg, 0, sizeof(cfg));
	cfg.spool_retry_min = 60;
	cfg.spool_retry_max = 3600;
	cfg.spool_max_age = 432000;
	if (spool_open(dir, &sp, &err) < 0)
		return -1;
	*state = sp;
	return 0;
}

static int teardown(void **state)
{
	struct spool *sp = *state;

	spool_free(&sp);
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* count_dir - entries in DIR/SUB (not . and ..). */
static int count_dir(const char *sub)
{
	char p[256];
	DIR *d;
	struct dirent *de;
	int n = 0;

	snprintf(p, sizeof(p), "%s/%s", dir, sub);
	d = opendir(p);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* enqueue - queue a small message for RCPT; the id (caller frees). */
static char *enqueue(struct spool *sp, const char *rcpt)
{
	char msg[128], *id = NULL;
	const char *err = NULL;
	int n = snprintf(msg, sizeof(msg), "Subject: for %s\r\n\r\nhi\r\n",
			 rcpt);

	assert_int_equal(spool_enqueue(sp, "KPDFForum@kcg.gov.tw", rcpt, msg,
				       (size_t)n, &id, &err),
			 0);
	assert_non_null(id);
	return id;
}

/* find - the entry for ID in a fresh listing (copied), or fail. */
static void find(struct spool *sp, const char *id, struct spool_entry *out,
		 char *err_buf, size_t err_size)
{
	struct spool_entry *e = NULL;
	const char *err = NULL;
	size_t n = 0, i;

	assert_int_equal(spool_list(sp, &e, &n, &err), 0);
	for (i = 0; i < n; i++)
		if (strcmp(e[i].id, id) == 0)
			break;
	if (i == n)
		fail_msg("%s is not listed", id);
	*out = e[i];
	snprintf(err_buf, err_size, "%s",
		 e[i].last_error != NULL ? e[i].last_error : "");
	out->id = out->env_from = out->rcpt = out->last_error = NULL;
	spool_entries_free(&e, n);
}

/* drain - spool_drain_with with S; the result. */
static struct spool_drain_result drain(struct spool *sp, struct sender *s,
				       unsigned flags)
{
	struct spool_drain_result res;
	const char *err = NULL;

	assert_int_equal(spool_drain_with(sp, &cfg, flags, fake_send, s, NULL,
					  &res, &err),
			 0);
	return res;
}

/* put_file - write TEXT to DIR/REL. */
static void put_file(const char *rel, const char *text)
{
	char p[256];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	fp = fopen(p, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/* queue_file - the text of queue/ID (caller frees). */
static char *queue_file(const char *id)
{
	char p[256], *buf = malloc(4096);
	FILE *fp;
	size_t n;

	snprintf(p, sizeof(p), "%s/queue/%s", dir, id);
	fp = fopen(p, "r");
	assert_non_null(fp);
	n = fread(buf, 1, 4095, fp);
	fclose(fp);
	buf[n] = '\0';
	return buf;
}

/* set_header - in queue/ID, replace the header line for KEY with "KEY
 * VALUE", as a crash or an admin could leave it. */
static void set_header(const char *id, const char *key, const char *value)
{
	char *text = queue_file(id), *line, *end, out[4096], rel[128];
	size_t klen = strlen(key);

	line = strstr(text, key);
	while (line != NULL && (line[-1] != '\n' || line[klen] != ' '))
		line = strstr(line + 1, key);
	assert_non_null(line);
	end = strchr(line, '\n');
	assert_non_null(end);
	snprintf(out, sizeof(out), "%.*s%s %s%s", (int)(line - text), text, key,
		 value, end);
	snprintf(rel, sizeof(rel), "queue/%s", id);
	put_file(rel, out);
	free(text);
}

static void test_layout(void **state)
{
	struct spool *sp = *state;
	struct spool_entry e;
	struct stat st;
	char p[256], err[600], *id, *text, *body;
	const char *subs[] = {"", "/tmp", "/queue", "/dead"};
	size_t i;

	for (i = 0; i < KCG_N_ELEMENTS(subs); i++) {
		snprintf(p, sizeof(p), "%s%s", dir, subs[i]);
		assert_int_equal(stat(p, &st), 0);
		assert_true(S_ISDIR(st.st_mode));
		/* the group of queuers and the mailer; never others */
		assert_int_equal(st.st_mode & 07777, 02770);
	}
	id = enqueue(sp, "ok@kcg.gov.tw");
	assert_int_equal(count_dir("tmp"), 0);
	assert_int_equal(count_dir("queue"), 1);
	/* one file: the header, a blank line, the message as it was given */
	snprintf(p, sizeof(p), "%s/queue/%s", dir, id);
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0660);
	text = queue_file(id);
	assert_memory_equal(text,
			    "kcgidm-spool 1\nfrom KPDFForum@kcg.gov.tw\n"
			    "rcpt ok@kcg.gov.tw\nqueued ",
			    67);
	body = strstr(text, "\n\n");
	assert_non_null(body);
	assert_string_equal(body + 2,
			    "Subject: for ok@kcg.gov.tw\r\n\r\nhi\r\n");
	free(text);
	find(sp, id, &e, err, sizeof(err));
	assert_int_equal(e.attempts, 0);
	assert_int_equal(e.next_try, 0);
	assert_false(e.dead);
	assert_true(e.queued > 0);
	assert_string_equal(err, "");
	free(id);
}

static void test_enqueue_refuses(void **state)
{
	static const char *const bad[][2] = {
		{"a@kcg.gov.tw", "b@kcg.gov.tw\r\nRCPT TO:<evil@example.com>"},
		{"a@kcg.gov.tw\r\n", "b@kcg.gov.tw"},
		{"a@kcg.gov.tw", "b@kcg.gov.tw\n"},
		{"a@kcg.gov.tw", "b c@kcg.gov.tw"},
		{"a@kcg.gov.tw", "<b@kcg.gov.tw>"},
		{"a@kcg.gov.tw", ""},
		{"a@kcg.gov.tw", NULL},
	};
	struct spool *sp = *state;
	const char *err = NULL;
	char *id = NULL;
	size_t i;

	for (i = 0; i < KCG_N_ELEMENTS(bad); i++)
		assert_int_equal(spool_enqueue(sp, bad[i][0], bad[i][1],
					       "x\r\n", 3, &id, &err),
				 KCG_EINVAL);
	assert_null(id);
	assert_int_equal(count_dir("queue"), 0);
	assert_int_equal(count_dir("tmp"), 0);
}

static void test_outcomes(void **state)
{
	struct spool *sp = *state;
	struct sender s = {0, {0}, 0, -1, 0};
	struct spool_drain_result res;
	struct spool_entry e;
	char err[600], *ok, *soft, *hard, *conn, *inval;
	long long t0, t1;

	ok = enqueue(sp, "ok@kcg.gov.tw");
	soft = enqueue(sp, "soft@kcg.gov.tw");
	hard = enqueue(sp, "hard@kcg.gov.tw");
	conn = enqueue(sp, "conn@kcg.gov.tw");
	inval = enqueue(sp, "inval@kcg.gov.tw");
	t0 = (long long)time(NULL);
	res = drain(sp, &s, 0);
	t1 = (long long)time(NULL);
	assert_int_equal(s.calls, 5);
	assert_int_equal(res.sent, 1);
	assert_int_equal(res.deferred, 2);
	assert_int_equal(res.dead, 2);
	assert_int_equal(res.waiting, 0);
	/* the sender saw exactly what was queued */
	assert_int_equal(s.last_len, strlen("Subject: for inval@kcg.gov.tw"
					    "\r\n\r\nhi\r\n"));
	assert_int_equal(count_dir("queue"), 2);
	assert_int_equal(count_dir("dead"), 2);
	assert_int_equal(count_dir("tmp"), 0);

	find(sp, soft, &e, err, sizeof(err));
	assert_int_equal(e.attempts, 1);
	assert_false(e.dead);
	assert_true(e.next_try >= t0 + 60 && e.next_try <= t1 + 60);
	assert_string_equal(err, "RCPT TO: 450 4.2.0 mailbox busy");
	assert_true(res.next_due == e.next_try);
	find(sp, conn, &e, err, sizeof(err));
	assert_int_equal(e.attempts, 1);
	assert_non_null(strstr(err, "Connection refused"));
	find(sp, hard, &e, err, sizeof(err));
	assert_true(e.dead);
	assert_int_equal(e.attempts, 1);
	/* on one line in the state file and the listing */
	assert_string_equal(err,
			    "RCPT TO: 550 5.1.1 no such user (second line)");
	find(sp, inval, &e, err, sizeof(err));
	assert_true(e.dead);

	/* not due yet: left alone; the sender is not called */
	s.calls = 0;
	res = drain(sp, &s, 0);
	assert_int_equal(s.calls, 0);
	assert_int_equal(res.waiting, 2);
	assert_true(res.next_due > 0);
	free(ok);
	free(soft);
	free(hard);
	free(conn);
	free(inval);
}

static void test_backoff(void **state)
{
	static const long long want[] = {10, 20, 35, 35, 35};
	struct spool *sp = *state;
	struct sender s = {0, {0}, 0, -1, 0};
	struct spool_entry e;
	char err[600], *id;
	long long t0, t1;
	size_t i;

	cfg.spool_retry_min = 10;
	cfg.spool_retry_max = 35;
	id = enqueue(sp, "soft@kcg.gov.tw");
	for (i = 0; i < KCG_N_ELEMENTS(want); i++) {
		t0 = (long long)time(NULL);
		drain(sp, &s, SPOOL_DRAIN_ALL); /* flush: ignores the wait */
		t1 = (long long)time(NULL);
		find(sp, id, &e, err, sizeof(err));
		assert_int_equal(e.attempts, (int)i + 1);
		assert_true(e.next_try >= t0 + want[i] &&
			    e.next_try <= t1 + want[i]);
	}
	assert_int_equal(s.calls, KCG_N_ELEMENTS(want));
	free(id);
}

/* rewrite_queued - make message ID look queued AGO seconds ago. */
static void rewrite_queued(const char *id, long long ago)
{
	char v[32];

	snprintf(v, sizeof(v), "%lld", (long long)time(NULL) - ago);
	set_header(id, "queued", v);
}

static void test_max_age(void **state)
{
	struct spool *sp = *state;
	struct sender s = {0, {0}, 0, -1, 0};
	struct spool_drain_result res;
	struct spool_entry e;
	char err[600], *young, *old;

	cfg.spool_max_age = 500;
	young = enqueue(sp, "soft@kcg.gov.tw");
	old = enqueue(sp, "soft@kcg.gov.tw");
	rewrite_queued(young, 100);
	rewrite_queued(old, 1000);
	res = drain(sp, &s, 0);
	assert_int_equal(res.deferred, 1);
	assert_int_equal(res.dead, 1);
	find(sp, old, &e, err, sizeof(err));
	assert_true(e.dead);
	assert_non_null(strstr(err, "gave up after 1 attempts"));
	assert_non_null(strstr(err, "450 4.2.0"));
	find(sp, young, &e, err, sizeof(err));
	assert_false(e.dead);
	free(young);
	free(old);
}

static void test_crash_recovery(void **state)
{
	struct spool *sp = *state;
	struct sender s = {0, {0}, 0, -1, 0};
	struct spool_drain_result res;
	struct spool_entry e;
	char p[256], err[600], *decided, *torn;
	const char *corrupt = "20200101000000-000000-0000000c",
		   *old = "20200101000000-000000-0000000d";
	struct stat st;

	/* killed after deciding "dead" but before the move */
	decided = enqueue(sp, "ok@kcg.gov.tw");
	set_header(decided, "attempts", "3");
	set_header(decided, "dead", "1");
	set_header(decided, "error", "550 earlier");
	/* killed while replacing the state: tmp/ID.new is ignored */
	torn = enqueue(sp, "ok2@kcg.gov.tw");
	snprintf(p, sizeof(p), "tmp/%s.new", torn);
	put_file(p, "kcgidm-spool 1\nattempts 9\nne");
	/* a sent message of the old layout, not yet cleaned up */
	snprintf(p, sizeof(p), "%s/tmp/20200101000000-000000-deadbeef.sent",
		 dir);
	assert_int_equal(mkdir(p, 0700), 0);
	put_file("tmp/20200101000000-000000-deadbeef.sent/msg", "x");
	/* an enqueue in progress right now: never touched */
	put_file("tmp/20990101000000-000000-00000001", "kcgidm-spool 1\n");
	/* litter that is not a message */
	put_file("queue/README", "not a message");
	/* a damaged queue file, and a message of the old layout (a folder):
	 * both go to dead/ as they are, and the listing says so */
	snprintf(p, sizeof(p), "queue/%s", corrupt);
	put_file(p, "kcgidm-spool 1\nfrom a@kcg.gov.tw\nrcpt\n");
	snprintf(p, sizeof(p), "%s/queue/%s", dir, old);
	assert_int_equal(mkdir(p, 0700), 0);

	res = drain(sp, &s, 0);
	assert_int_equal(s.calls, 1); /* only the torn one */
	assert_int_equal(res.sent, 1);
	assert_int_equal(res.dead, 2);
	find(sp, decided, &e, err, sizeof(err));
	assert_true(e.dead);
	assert_int_equal(e.attempts, 3);
	assert_string_equal(err, "550 earlier");
	snprintf(p, sizeof(p), "%s/dead/%s", dir, decided);
	assert_int_equal(stat(p, &st), 0);
	find(sp, corrupt, &e, err, sizeof(err));
	assert_true(e.dead);
	assert_non_null(strstr(err, "corrupt queue file"));
	find(sp, old, &e, err, sizeof(err));
	assert_true(e.dead);
	snprintf(p, sizeof(p), "%s/dead/%s", dir, old);
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	snprintf(p, sizeof(p), "%s/tmp/%s.new", dir, torn);
	assert_int_not_equal(stat(p, &st), 0);
	snprintf(p, sizeof(p), "%s/tmp/20200101000000-000000-deadbeef.sent",
		 dir);
	assert_int_not_equal(stat(p, &st), 0);
	snprintf(p, sizeof(p), "%s/tmp/20990101000000-000000-00000001", dir);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(count_dir("queue"), 1); /* README */
	free(decided);
	free(torn);
}

static int stop_after_one_calls;

/* stop_after_one - true from the second question on. */
static int stop_after_one(void)
{
	return stop_after_one_calls++ > 0;
}

static void test_stop(void **state)
{
	struct spool *sp = *state;
	struct sender s = {0, {0}, 0, -1, 0};
	struct spool_drain_result res;
	const char *err = NULL;
	char *ids[3];
	size_t i;

	for (i = 0; i < 3; i++)
		ids[i] = enqueue(sp, "ok@kcg.gov.tw");
	stop_after_one_calls = 0;
	assert_int_equal(spool_drain_with(sp, &cfg, 0, fake_send, &s,
					  stop_after_one, &res, &err),
			 0);
	assert_int_equal(res.sent, 1);
	assert_int_equal(count_dir("queue"), 2);
	assert_true(res.next_due > 0); /* the rest is due at once */
	for (i = 0; i < 3; i++)
		free(ids[i]);
}

static void test_list_order(void **state)
{
	struct spool *sp = *state;
	struct sender s = {0, {0}, 0, -1, 0};
	struct spool_entry *e = NULL;
	const char *err = NULL;
	char *a, *b, *c;
	size_t n = 0;

	a = enqueue(sp, "hard@kcg.gov.tw");
	b = enqueue(sp, "soft@kcg.gov.tw");
	c = enqueue(sp, "conn@kcg.gov.tw");
	drain(sp, &s, 0);
	assert_int_equal(spool_list(sp, &e, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(e[0].id, b);
	assert_string_equal(e[1].id, c);
	assert_string_equal(e[2].id, a);
	assert_false(e[0].dead);
	assert_true(e[2].dead);
	assert_true(strcmp(e[0].id, e[1].id) < 0);
	spool_entries_free(&e, n);
	assert_null(e);
	free(a);
	free(b);
	free(c);
}

#define N_RACE 40

static void test_two_drainers(void **state)
{
	struct spool *sp = *state;
	char rcpt[64], log[256], buf[N_RACE * 64 + 1], *p, *id;
	int fd, i, k, ws, seen[N_RACE];
	pid_t pids[2];
	ssize_t n;

	for (i = 0; i < N_RACE; i++) {
		snprintf(rcpt, sizeof(rcpt), "ok%02d@kcg.gov.tw", i);
		id = enqueue(sp, rcpt);
		free(id);
	}
	snprintf(log, sizeof(log), "%s/sent.log", root);
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	assert_true(fd >= 0);
	for (k = 0; k < 2; k++) {
		pids[k] = fork();
		assert_true(pids[k] >= 0);
		if (pids[k] == 0) {
			struct sender s = {0, {0}, 0, fd, 1000};
			struct spool_drain_result res;
			const char *err = NULL;

			_exit(spool_drain_with(sp, &cfg, SPOOL_DRAIN_ALL,
					       fake_send, &s, NULL, &res,
					       &err) == 0
				      ? 0
				      : 1);
		}
	}
	for (k = 0; k < 2; k++) {
		assert_int_equal(waitpid(pids[k], &ws, 0), pids[k]);
		assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	}
	close(fd);
	fd = open(log, O_RDONLY);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n > 0);
	buf[n] = '\0';
	memset(seen, 0, sizeof(seen));
	for (p = strtok(buf, "\n"); p != NULL; p = strtok(NULL, "\n"))
		seen[atoi(p + 2)]++;
	for (i = 0; i < N_RACE; i++)
		if (seen[i] != 1)
			fail_msg("ok%02d was sent %d times", i, seen[i]);
	assert_int_equal(count_dir("queue"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enqueue_refuses, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_outcomes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_age, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_recovery, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_two_drainers, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
