/*
 * test_races - many processes at once against a real slapd (issue 9,
 * part 5): 50 concurrent applications for the same uid by 50 different
 * people, 50 for the same person under 50 different uids, and 50
 * concurrent activations with the same IKPD token. Each time exactly one
 * wins (exit 0), the others are told it is taken (exit 3), and the
 * directory holds exactly one account (or one activation).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define PRIVACY	  "20230307_V1.0"
#define MAILRULES "KCG-MAIL-RULES_V1.0"
#define GOOD_PW	  "1Qaz2wsx!Kcg\n"
#define N	  50

static const char *sandbox;
static char ids[N + 2][11];

/* the roster: people 0..N-1 race for one uid, person N applies N times,
 * person N + 1 has an account and registers for IKPD */
static int group_setup(void **state)
{
	char *text = malloc((N + 2) * 128 + 256);
	size_t len;
	struct run r;
	int i, st;

	(void)state;
	if (harness_sandbox_start(&sandbox) != 0)
		return -1;
	harness_sandbox_smtp(harness_sink_start(NULL));
	len = (size_t)sprintf(text, "national_id,name,birth_date,category,"
				    "agency,unit,title,hire_date,account_type,"
				    "status\n");
	for (i = 0; i < N + 2; i++) {
		harness_natid((char)('A' + i % 20), 21000000 + (unsigned)i * 3,
			      ids[i]);
		len += (size_t)sprintf(text + len,
				       "%s,競賽%02d,70-01-%02d,職員,機關,,,,"
				       "general,active\n",
				       ids[i], i, 1 + i % 28);
	}
	st = harness_kcgidm(&r, NULL, "roster", "import",
			    harness_write_file("races.csv", text), NULL);
	harness_run_free(&r);
	free(text);
	return st == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	harness_sink_stop();
	harness_sandbox_destroy();
	return 0;
}

/* race - run JOB(i) for i < N in N processes released at once (they wait
 * on a pipe); the exit statuses in ST. */
static void race(int (*job)(int), int st[N])
{
	pid_t pids[N];
	int go[2], i, ws;
	char c;

	assert_int_equal(pipe(go), 0);
	for (i = 0; i < N; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			close(go[1]);
			if (read(go[0], &c, 1) != 0)
				_exit(125);
			_exit(job(i));
		}
	}
	close(go[0]);
	close(go[1]); /* everyone reads EOF: go */
	for (i = 0; i < N; i++) {
		assert_int_equal(waitpid(pids[i], &ws, 0), pids[i]);
		st[i] = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	}
}

/* one_winner - exactly one 0 in ST, and every other is 3 (conflict). */
static void one_winner(const char *what, const int st[N])
{
	int i, wins = 0;

	for (i = 0; i < N; i++) {
		if (st[i] == 0)
			wins++;
		else if (st[i] != 3)
			fail_msg("%s: process %d exited %d (not 0 or 3)", what,
				 i, st[i]);
	}
	if (wins != 1)
		fail_msg("%s: %d winners", what, wins);
}

/* apply_same_uid - person I applies for the uid "raceuid". */
static int apply_same_uid(int i)
{
	struct run r;
	char name[32];

	snprintf(name, sizeof(name), "競賽%02d", i);
	harness_kcgidm(&r, GOOD_PW, "apply", "--name", name, "--national-id",
		       ids[i], "--uid", "raceuid", "--accept-privacy", PRIVACY,
		       NULL);
	return r.status;
}

/* apply_same_person - person N applies for the uid "person<I>". */
static int apply_same_person(int i)
{
	struct run r;
	char name[32], uid[32];

	snprintf(name, sizeof(name), "競賽%02d", N);
	snprintf(uid, sizeof(uid), "person%02d", i);
	harness_kcgidm(&r, GOOD_PW, "apply", "--name", name, "--national-id",
		       ids[N], "--uid", uid, "--accept-privacy", PRIVACY, NULL);
	return r.status;
}

static void test_same_uid(void **state)
{
	int st[N];
	char *ldif;

	(void)state;
	race(apply_same_uid, st);
	one_winner("50 people, one uid", st);
	ldif = harness_slapcat();
	assert_int_equal(harness_count(ldif, "dn: uid=raceuid,ou=people,"), 1);
	/* one roster record claimed, by the winner */
	assert_int_equal(harness_count(ldif, "kcgAccountUid: raceuid\n"), 1);
	free(ldif);
}

static void test_same_person(void **state)
{
	int st[N], i, accounts = 0;
	char *ldif, dn[64];

	(void)state;
	race(apply_same_person, st);
	one_winner("one person, 50 uids", st);
	ldif = harness_slapcat();
	for (i = 0; i < N; i++) {
		snprintf(dn, sizeof(dn), "dn: uid=person%02d,ou=people,", i);
		accounts += harness_count(ldif, dn);
		/* the winner's uid is the one that exists */
		assert_int_equal(harness_count(ldif, dn), st[i] == 0);
	}
	assert_int_equal(accounts, 1);
	free(ldif);
}

static char token[64];

/* activate - activate the IKPD registration with the shared token. */
static int activate(int i)
{
	struct run r;

	(void)i;
	harness_kcgidm(&r, GOOD_PW, "ikpd", "activate", "--token", token, NULL);
	return r.status;
}

static void test_same_token(void **state)
{
	struct run r;
	char **msgs, *p, *ldif, name[32], birth[16];
	int st[N];

	(void)state;
	snprintf(name, sizeof(name), "競賽%02d", N + 1);
	snprintf(birth, sizeof(birth), "070-01-%02d", 1 + (N + 1) % 28);
	if (harness_kcgidm(&r, GOOD_PW, "apply", "--name", name,
			   "--national-id", ids[N + 1], "--uid", "ikpdrace",
			   "--accept-privacy", PRIVACY, "--mail",
			   "--accept-mail-rules", MAILRULES, "--recovery-mail",
			   "home@example.org", NULL) != 0)
		fail_msg("apply: %s", r.err);
	harness_run_free(&r);
	assert_int_equal(harness_kcgidm(&r, NULL, "approve", "ikpdrace", NULL),
			 0);
	harness_run_free(&r);
	harness_sink_clear();
	assert_int_equal(harness_kcgidm(&r, GOOD_PW, "ikpd", "register",
					"--mail", "ikpdrace", "--national-id",
					ids[N + 1], "--birth-date", birth,
					NULL),
			 0);
	harness_run_free(&r);
	assert_int_equal(harness_kcgidm(&r, NULL, "mail", "flush", NULL), 0);
	harness_run_free(&r);
	msgs = harness_sink_messages();
	assert_non_null(msgs[0]);
	p = strstr(msgs[0], "token=");
	assert_non_null(p);
	snprintf(token, sizeof(token), "%.43s", p + 6);
	harness_strv_free(msgs);

	race(activate, st);
	one_winner("50 activations, one token", st);
	ldif = harness_slapcat();
	assert_int_equal(harness_count(ldif, "kcgIkpdStatus: active\n"), 1);
	free(ldif);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_uid),
		cmocka_unit_test(test_same_person),
		cmocka_unit_test(test_same_token),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
