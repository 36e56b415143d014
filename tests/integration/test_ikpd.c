/*
 * test_ikpd - the seed's IKPD registration and the recovery links end to
 * end: kcgidm against the sandbox slapd, mail through the spool and
 * kcgidm-mailer's flush into Postfix's smtp-sink.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define PRIVACY	  "20230307_V1.0"
#define MAILRULES "KCG-MAIL-RULES_V1.0"
#define WANG_PW	  "1Qaz2wsx!Kcg"
#define LIN_PW	  "Lin2024pass!"

static const char *sandbox;

/* make_account - apply (+ approve) an account; MAIL adds a mailbox. */
static int make_account(const char *name, const char *id, const char *uid,
			const char *pw, int mail, int approve)
{
	char input[128];
	struct run r;
	int st;

	snprintf(input, sizeof(input), "%s\n", pw);
	if (mail)
		st = harness_kcgidm(
			&r, input, "apply", "--name", name, "--national-id", id,
			"--uid", uid, "--accept-privacy", PRIVACY, "--mail",
			"--accept-mail-rules", MAILRULES, "--recovery-mail",
			"home@example.org", NULL);
	else
		st = harness_kcgidm(&r, input, "apply", "--name", name,
				    "--national-id", id, "--uid", uid,
				    "--accept-privacy", PRIVACY, NULL);
	if (st != 0)
		fprintf(stderr, "apply %s: %s%s", uid, r.out, r.err);
	harness_run_free(&r);
	if (st != 0 || !approve)
		return st;
	st = harness_kcgidm(&r, NULL, "approve", uid, NULL);
	harness_run_free(&r);
	return st;
}

static int group_setup(void **state)
{
	struct run r;
	const char *roster;

	if (harness_sandbox_start(&sandbox) != 0)
		return -1;
	harness_sandbox_smtp(harness_sink_start(NULL));
	roster = harness_write_file(
		"roster.csv",
		"national_id,name,birth_date,category,agency,unit,title,"
		"hire_date,account_type,status\n"
		"E123456783,王小明,68-05-12,職員,仁武高級中學,教務處,教師,"
		"99-12-25,general,active\n"
		"E223456712,陳美玲,75-11-03,職員,高雄市政府人事處,人事室,科員,"
		"105-03-01,personnel,active\n"
		"S102938478,林志豪,80-01-20,約聘人員,資訊中心,系統科,工程師,"
		"110-07-15,general,active\n"
		"T182736451,張家豪,85-02-28,職員,教育局,,,112-09-01,general,"
		"active\n");
	if (harness_kcgidm(&r, NULL, "roster", "import", roster, NULL) != 0)
		return -1;
	harness_run_free(&r);
	if (make_account("王小明", "E123456783", "wangxm", WANG_PW, 1, 1) ||
	    make_account("陳美玲", "E223456712", "chenml", "Chen2024pass!", 0,
			 1) ||
	    make_account("林志豪", "S102938478", "linzh", LIN_PW, 1, 1) ||
	    make_account("張家豪", "T182736451", "zhangjh", "Zhang2024pass!", 1,
			 0))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	harness_sink_stop();
	harness_sandbox_destroy();
	return 0;
}

/* flush - kcgidm mail flush; fails the test unless all was sent. */
static void flush(void)
{
	struct run r;

	if (harness_kcgidm(&r, NULL, "mail", "flush", NULL) != 0)
		fail_msg("mail flush: %s%s", r.out, r.err);
	harness_run_free(&r);
}

/* new_messages - the messages that arrived since the last call (caller
 * frees with harness_strv_free); the sink forgets them. */
static char **new_messages(size_t *n_r)
{
	char **all = harness_sink_messages();
	size_t n = 0;

	while (all[n] != NULL)
		n++;
	harness_sink_clear();
	*n_r = n;
	return all;
}

/* token_in - the 43-character token after "token=" in MSG (static). */
static const char *token_in(const char *msg)
{
	static char token[64];
	const char *p = strstr(msg, "token=");

	assert_non_null(p);
	p += 6;
	assert_true(strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrs"
			      "tuvwxyz0123456789-_") == 43);
	memcpy(token, p, 43);
	token[43] = '\0';
	return token;
}

/* register_user - ikpd register; its exit status. */
static int register_user(struct run *r, const char *mail, const char *id,
			 const char *birth, const char *pw)
{
	char input[128];

	snprintf(input, sizeof(input), "%s\n", pw);
	return harness_kcgidm(r, input, "ikpd", "register", "--mail", mail,
			      "--national-id", id, "--birth-date", birth, NULL);
}

static void test_register_refusals(void **state)
{
	static const struct {
		const char *mail, *id, *birth, *pw;
		int status;
		const char *text;
	} cases[] = {
		{"nosuchuser", "E123456783", "68-05-12", WANG_PW, 4, "mailbox"},
		{"zhangjh", "T182736451", "85-02-28", "Zhang2024pass!", 4,
		 "mailbox"}, /* pending */
		{"chenml", "E223456712", "75-11-03", "Chen2024pass!", 4,
		 "mailbox"}, /* no mailbox */
		{"wangxm", "E223456712", "68-05-12", WANG_PW, 4, "match"},
		{"wangxm", "E123456783", "68-05-13", WANG_PW, 4, "match"},
		{"wangxm", "E123456783", "112-02-30", WANG_PW, 2, "day"},
		{"wangxm", "E123456784", "68-05-12", WANG_PW, 2, "checksum"},
		{"wangxm@gmail.com", "E123456783", "68-05-12", WANG_PW, 2,
		 "kcg.gov.tw"},
		{"wangxm", "E123456783", "68-05-12", "Wrong2024pass", 2,
		 "wrong account or password"},
		{"wang*)(uid=*", "E123456783", "68-05-12", WANG_PW, 2, ""},
	};
	struct run r;
	size_t i, n;
	char **msgs;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		register_user(&r, cases[i].mail, cases[i].id, cases[i].birth,
			      cases[i].pw);
		if (r.status != cases[i].status ||
		    strstr(r.err, cases[i].text) == NULL)
			fail_msg("case %zu: exit %d: %s", i, r.status, r.err);
		harness_run_free(&r);
	}
	flush();
	msgs = new_messages(&n);
	assert_int_equal(n, 0); /* nothing was mailed */
	harness_strv_free(msgs);
}

/* subject_is - MSG's Subject or From header, decoded, contains WANT. */
static int subject_is(const char *msg, const char *want)
{
	char hdrs[4096], *p;
	size_t hl;
	struct run r;
	int ok;
	char *argv[] = {
		"/usr/bin/python3", "-c",
		"import sys,email.header as h;"
		"v=sys.stdin.read().split('\\n\\n')[0];"
		"import email;m=email.message_from_string(v);"
		"print(str(h.make_header(h.decode_header(m['Subject']))));"
		"print(str(h.make_header(h.decode_header(m['From']))))",
		NULL};

	p = strstr(msg, "\n\n");
	hl = p ? (size_t)(p - msg) : strlen(msg);
	if (hl >= sizeof(hdrs))
		hl = sizeof(hdrs) - 1;
	memcpy(hdrs, msg, hl);
	hdrs[hl] = '\0';
	harness_run(&r, hdrs, argv);
	ok = r.status == 0 && strstr(r.out, want) != NULL;
	if (!ok)
		fprintf(stderr, "headers decode to: %s%s\n", r.out, r.err);
	harness_run_free(&r);
	return ok;
}

static void test_register_and_activate(void **state)
{
	struct run r;
	char **msgs, input[128], token[64], *ldif, hash[65];
	size_t n;
	char *argv[] = {"/usr/bin/sha256sum", NULL};

	assert_int_equal(register_user(&r, "wangxm@kcg.gov.tw", "E123456783",
				       "068-05-12", WANG_PW),
			 0);
	assert_non_null(strstr(r.out, "王小明 您好"));
	assert_non_null(strstr(r.out, "wangxm@kcg.gov.tw"));
	harness_run_free(&r);
	flush();
	msgs = new_messages(&n);
	assert_int_equal(n, 1);
	assert_non_null(strstr(msgs[0], "X-Rcpt-Args: <wangxm@kcg.gov.tw>"));
	assert_true(subject_is(msgs[0],
			       "高雄市政府人事處iKPD人事服務網帳號開通通知"));
	assert_true(subject_is(msgs[0], "高雄市政府人事處人事服務網 "
					"<KPDFForum@kcg.gov.tw>"));
	assert_non_null(strstr(msgs[0], "請於48小時內啟用此帳號"));
	assert_non_null(strstr(msgs[0], "（台北時間）"));
	assert_non_null(strstr(msgs[0], "https://ikpd.kcg.gov.tw/ikpd/"
					"activate?token="));
	snprintf(token, sizeof(token), "%s", token_in(msgs[0]));
	harness_strv_free(msgs);

	/* only the token's SHA-256 is stored */
	harness_run(&r, token, argv);
	memcpy(hash, r.out, 64);
	hash[64] = '\0';
	harness_run_free(&r);
	ldif = harness_slapcat();
	assert_null(strstr(ldif, token));
	assert_non_null(strstr(ldif, hash));
	assert_non_null(strstr(ldif, "kcgIkpdStatus: registered"));
	free(ldif);

	/* the activation page: wrong password, then right, then reuse */
	assert_int_equal(harness_kcgidm(&r, "Wrong2024pass\n", "ikpd",
					"activate", "--token", token, NULL),
			 2);
	harness_run_free(&r);
	snprintf(input, sizeof(input), "%s\n", WANG_PW);
	assert_int_equal(harness_kcgidm(&r, input, "ikpd", "activate",
					"--token", token, NULL),
			 0);
	assert_non_null(strstr(r.out, "帳號啟用成功, 請重新登入"));
	harness_run_free(&r);
	assert_int_equal(harness_kcgidm(&r, input, "ikpd", "activate",
					"--token", token, NULL),
			 3);
	assert_non_null(strstr(r.err, "used"));
	harness_run_free(&r);
	ldif = harness_slapcat();
	assert_non_null(strstr(ldif, "kcgIkpdStatus: active"));
	free(ldif);
	/* registering again: IKPD is active already */
	assert_int_equal(
		register_user(&r, "wangxm", "E123456783", "68-05-12", WANG_PW),
		3);
	harness_run_free(&r);
	assert_int_equal(harness_kcgidm(&r, input, "ikpd", "activate",
					"--token", "not-a-token", NULL),
			 2);
	harness_run_free(&r);
}

static void test_auth_test(void **state)
{
	static const struct {
		const char *uid, *service, *pw;
		int status;
		const char *text;
	} cases[] = {
		{"wangxm", "ikpd", WANG_PW, 0, "登入方式: 帳密"},
		{"wangxm", "mail", WANG_PW, 0,
		 "1 查詢帳號 / look up the account: ok - "
		 "uid=wangxm,ou=people,dc=kcg,dc=gov,dc=tw\n"},
		{"wangxm", "mail", WANG_PW, 0, "login succeeded"},
		{"WangXM", "ikpd", WANG_PW, 0, "姓名: 王小明"},
		{"wangxm", "ikpd", "Wrong2024pass", 2, "wrong account"},
		{"nosuchuser", "mail", WANG_PW, 4, "no such account"},
		{"chenml", "mail", "Chen2024pass!", 3, "no mailbox"},
		{"chenml", "ikpd", "Chen2024pass!", 3, "IKPD is not active"},
		{"zhangjh", "mail", "Zhang2024pass!", 3, "not active"},
		{"a*", "mail", "x", 2, ""},
	};
	struct run r;
	char input[128];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(input, sizeof(input), "%s\n", cases[i].pw);
		harness_kcgidm(&r, input, "auth", "test", cases[i].uid,
			       "--service", cases[i].service, NULL);
		if (r.status != cases[i].status ||
		    (strstr(r.out, cases[i].text) == NULL &&
		     strstr(r.err, cases[i].text) == NULL))
			fail_msg("case %zu: exit %d: %s%s", i, r.status, r.out,
				 r.err);
		harness_run_free(&r);
	}
	/* the step that failed is named */
	harness_kcgidm(&r, "Chen2024pass!\n", "auth", "test", "chenml",
		       "--service", "mail", NULL);
	assert_non_null(strstr(r.out, "3 信箱啟用 / mailbox enabled: FAILED"));
	harness_run_free(&r);
	/* five failures lock the account for mail and portal alike */
	for (i = 0; i < 5; i++) {
		assert_int_equal(harness_kcgidm(&r, "Wrong2024pass\n", "auth",
						"test", "linzh", "--service",
						"mail", NULL),
				 2);
		harness_run_free(&r);
	}
	snprintf(input, sizeof(input), "%s\n", LIN_PW);
	assert_int_equal(harness_kcgidm(&r, input, "auth", "test", "linzh",
					"--service", "mail", NULL),
			 5);
	assert_non_null(strstr(r.err, "locked"));
	harness_run_free(&r);
	assert_int_equal(harness_kcgidm(&r, NULL, "unlock", "linzh", NULL), 0);
	harness_run_free(&r);
	assert_int_equal(harness_kcgidm(&r, input, "auth", "test", "linzh",
					"--service", "mail", NULL),
			 0);
	harness_run_free(&r);
}

static void test_replaced_and_expired(void **state)
{
	struct run r;
	char **msgs, input[128], t1[64], t2[64], t3[64];
	size_t n;

	/* two registrations, one after the other (the sink's file names do
	 * not keep the order within a second, so collect each mail alone) */
	assert_int_equal(
		register_user(&r, "linzh", "S102938478", "80-01-20", LIN_PW),
		0);
	harness_run_free(&r);
	flush();
	msgs = new_messages(&n);
	assert_int_equal(n, 1);
	snprintf(t1, sizeof(t1), "%s", token_in(msgs[0]));
	harness_strv_free(msgs);
	assert_int_equal(
		register_user(&r, "linzh", "S102938478", "80-01-20", LIN_PW),
		0);
	harness_run_free(&r);
	flush();
	msgs = new_messages(&n);
	assert_int_equal(n, 1);
	snprintf(t2, sizeof(t2), "%s", token_in(msgs[0]));
	harness_strv_free(msgs);
	assert_string_not_equal(t1, t2);

	snprintf(input, sizeof(input), "%s\n", LIN_PW);
	/* the first link was replaced by the second registration */
	assert_int_equal(harness_kcgidm(&r, input, "ikpd", "activate",
					"--token", t1, NULL),
			 4);
	assert_non_null(strstr(r.err, "newer registration"));
	harness_run_free(&r);
	/* the second link has expired (set in the directory, no sleeping) */
	harness_ldapmodify_admin("dn: uid=linzh,ou=people,dc=kcg,dc=gov,dc=tw\n"
				 "changetype: modify\n"
				 "replace: kcgIkpdTokenExpiry\n"
				 "kcgIkpdTokenExpiry: 20200101000000Z\n");
	assert_int_equal(harness_kcgidm(&r, input, "ikpd", "activate",
					"--token", t2, NULL),
			 2);
	assert_non_null(strstr(r.err, "register again"));
	harness_run_free(&r);
	/* register again: a new link works */
	assert_int_equal(
		register_user(&r, "linzh", "S102938478", "80-01-20", LIN_PW),
		0);
	harness_run_free(&r);
	flush();
	msgs = new_messages(&n);
	assert_int_equal(n, 1);
	snprintf(t3, sizeof(t3), "%s", token_in(msgs[0]));
	harness_strv_free(msgs);
	assert_int_equal(harness_kcgidm(&r, input, "ikpd", "activate",
					"--token", t3, NULL),
			 0);
	harness_run_free(&r);
}

static void test_weak_old_password_must_change(void **state)
{
	struct run r;

	/* An older password that predates the union rule (set by the admin,
	 * who is not bound by the policy). */
	assert_int_equal(harness_kcgidm(&r, NULL, "approve", "zhangjh", NULL),
			 0);
	harness_run_free(&r);
	harness_ldapmodify_admin(
		"dn: uid=zhangjh,ou=people,dc=kcg,dc=gov,dc=tw\n"
		"changetype: modify\n"
		"replace: userPassword\n"
		"userPassword: weakpass1!\n");
	assert_int_equal(register_user(&r, "zhangjh", "T182736451", "85-02-28",
				       "weakpass1!"),
			 5);
	assert_non_null(strstr(r.err, "change your password first"));
	harness_run_free(&r);
}

static void test_forgot_password_and_reset(void **state)
{
	struct run r;
	char **msgs, token[64];
	size_t n;

	assert_int_equal(harness_kcgidm(&r, NULL, "forgot-password", "--uid",
					"wangxm", NULL),
			 0);
	assert_non_null(strstr(r.out, "recovery address"));
	harness_run_free(&r);
	/* the same answer for nobody, and for the rate-limited second try */
	assert_int_equal(harness_kcgidm(&r, NULL, "forgot-password", "--uid",
					"nosuchuser", NULL),
			 0);
	assert_non_null(strstr(r.out, "recovery address"));
	harness_run_free(&r);
	assert_int_equal(harness_kcgidm(&r, NULL, "forgot-password", "--uid",
					"wangxm", NULL),
			 0);
	harness_run_free(&r);
	flush();
	msgs = new_messages(&n);
	assert_int_equal(n, 1);
	assert_non_null(strstr(msgs[0], "X-Rcpt-Args: <home@example.org>"));
	assert_non_null(strstr(msgs[0], "wangxm"));
	snprintf(token, sizeof(token), "%s", token_in(msgs[0]));
	harness_strv_free(msgs);

	/* a weak password does not use the link up */
	assert_int_equal(harness_kcgidm(&r, "weakpass\n", "reset", "--token",
					token, NULL),
			 5);
	harness_run_free(&r);
	/* nor does one in the history */
	assert_int_equal(harness_kcgidm(&r, WANG_PW "\n", "reset", "--token",
					token, NULL),
			 5);
	assert_non_null(strstr(r.err, "last 3"));
	harness_run_free(&r);
	assert_int_equal(harness_kcgidm(&r, "AfterReset2025!\n", "reset",
					"--token", token, NULL),
			 0);
	harness_run_free(&r);
	assert_int_equal(harness_kcgidm(&r, "Another2025!x\n", "reset",
					"--token", token, NULL),
			 4);
	harness_run_free(&r);
	{
		const char *pwf =
			harness_write_file("wang.pw", "AfterReset2025!");
		char *argv[] = {"/usr/bin/ldapwhoami",
				"-x",
				"-H",
				(char *)harness_ldapi(),
				"-D",
				"uid=wangxm,ou=people,dc=kcg,dc=gov,dc=tw",
				"-y",
				(char *)pwf,
				NULL};

		harness_run(&r, NULL, argv);
		assert_int_equal(r.status, 0);
		harness_run_free(&r);
	}
}

static void test_forgot_account(void **state)
{
	struct run r;
	char **msgs;
	size_t n;

	assert_int_equal(harness_kcgidm(&r, NULL, "forgot-account", "--name",
					"林志豪", "--national-id", "S102938478",
					NULL),
			 0);
	harness_run_free(&r);
	assert_int_equal(harness_kcgidm(&r, NULL, "forgot-account", "--name",
					"林小豪", "--national-id", "S102938478",
					NULL),
			 0);
	assert_non_null(strstr(r.out, "recovery address"));
	harness_run_free(&r);
	assert_int_equal(harness_kcgidm(&r, NULL, "forgot-account", "--name",
					"林志豪", "--national-id", "S102938477",
					NULL),
			 2);
	harness_run_free(&r);
	flush();
	msgs = new_messages(&n);
	assert_int_equal(n, 1);
	if (strstr(msgs[0], "帳號：linzh") == NULL)
		fail_msg("%s", msgs[0]);
	assert_non_null(strstr(msgs[0], "X-Rcpt-Args: <home@example.org>"));
	assert_null(strstr(msgs[0], "S102938478"));
	harness_strv_free(msgs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_refusals),
		cmocka_unit_test(test_register_and_activate),
		cmocka_unit_test(test_auth_test),
		cmocka_unit_test(test_replaced_and_expired),
		cmocka_unit_test(test_weak_old_password_must_change),
		cmocka_unit_test(test_forgot_password_and_reset),
		cmocka_unit_test(test_forgot_account),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
