/*
 * test_policy - slapd itself enforces the seed's password rules: plain
 * ldappasswd and ldapmodify (not our CLI) are refused for every rule,
 * history and lockout work, and the CLI names the rule that was broken.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define DN "uid=linzh,ou=people,dc=kcg,dc=gov,dc=tw"
#define P0 "Initial2024x"

static const char *sandbox;
static char current[128] = P0;

/* pwfile - a file holding PW (no newline); path in static memory. */
static const char *pwfile(const char *name, const char *pw)
{
	return harness_write_file(name, pw);
}

/* ldappasswd - change the password as the user, with plain ldappasswd. */
static int ldappasswd(const char *old_pw, const char *new_pw, struct run *r)
{
	char oldf[512], newf[512];
	char *argv[] = {"/usr/bin/ldappasswd",
			"-x",
			"-H",
			(char *)harness_ldapi(),
			"-D",
			DN,
			"-y",
			oldf,
			"-T",
			newf,
			NULL};

	snprintf(oldf, sizeof(oldf), "%s", pwfile("old.pw", old_pw));
	snprintf(newf, sizeof(newf), "%s", pwfile("new.pw", new_pw));
	harness_run(r, NULL, argv);
	return r->status;
}

/* ldapmodify_self - replace userPassword with VALUE, bound as the user. */
static int ldapmodify_self(const char *value, struct run *r)
{
	char ldif[512], oldf[512];
	char *argv[] = {"/usr/bin/ldapmodify",
			"-x",
			"-H",
			(char *)harness_ldapi(),
			"-D",
			DN,
			"-y",
			oldf,
			NULL};

	snprintf(oldf, sizeof(oldf), "%s", pwfile("old.pw", current));
	snprintf(ldif, sizeof(ldif),
		 "dn: %s\nchangetype: modify\nreplace: userPassword\n"
		 "userPassword: %s\n",
		 DN, value);
	harness_run(r, ldif, argv);
	return r->status;
}

/* change - a successful change to NEW_PW with ldappasswd. */
static void change(const char *new_pw)
{
	struct run r;

	if (ldappasswd(current, new_pw, &r) != 0)
		fail_msg("change to %s: %s%s", new_pw, r.out, r.err);
	harness_run_free(&r);
	snprintf(current, sizeof(current), "%s", new_pw);
}

static int group_setup(void **state)
{
	struct run r;
	const char *roster;

	if (harness_sandbox_start(&sandbox) != 0)
		return -1;
	roster = harness_write_file(
		"roster.csv",
		"national_id,name,birth_date,category,agency,unit,title,"
		"hire_date,account_type,status\n"
		"S102938478,林志豪,80-01-20,約聘人員,高雄市政府資訊中心,系統科,"
		"工程師,110-07-15,general,active\n");
	if (harness_kcgidm(&r, NULL, "roster", "import", roster, NULL) != 0)
		return -1;
	harness_run_free(&r);
	if (harness_kcgidm(&r, P0 "\n", "apply", "--name", "林志豪",
			   "--national-id", "S102938478", "--uid", "linzh",
			   "--accept-privacy", "20230307_V1.0", NULL) != 0) {
		fprintf(stderr, "apply: %s%s", r.out, r.err);
		return -1;
	}
	harness_run_free(&r);
	if (harness_kcgidm(&r, NULL, "approve", "linzh", NULL) != 0)
		return -1;
	harness_run_free(&r);
	return 0;
}

static int group_teardown(void **state)
{
	harness_sandbox_destroy();
	return 0;
}

static void test_ldappasswd_rules(void **state)
{
	static const struct {
		const char *pw, *why, *reason; /* reason: substring or NULL */
	} cases[] = {
		{"Ab1!xyz", "too short", NULL},
		{"abcdefgh12", "2 classes", "3 of"},
		{"abcdefgh!2", "no upper case", "upper-case"},
		{"ABCDEFGH!2", "no lower case", "lower-case"},
		{"Abcdefghi!", "no digit", "digit"},
		{"alllowercase", "one class", NULL},
		{"Xlinzh2024", "contains the uid", "login name"},
		{"LINZH2024ab", "contains the uid in upper case", "login name"},
		{"Abc 123456", "a space", NULL},
		{"Abc\t123456", "a tab", NULL},
		{"\xef\xbc\xa1"
		 "bcd12345",
		 "a full-width letter", NULL},
		{"Abcd1234\xe5\xaf\x86", "a CJK character", NULL},
	};
	struct run r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (ldappasswd(current, cases[i].pw, &r) == 0)
			fail_msg("%s: accepted", cases[i].why);
		if (strstr(r.out, "Constraint violation") == NULL)
			fail_msg("%s: %s%s", cases[i].why, r.out, r.err);
		if (cases[i].reason != NULL &&
		    strstr(r.out, cases[i].reason) == NULL)
			fail_msg("%s: the reason is missing: %s", cases[i].why,
				 r.out);
		harness_run_free(&r);
	}
	assert_int_equal(harness_bind_dn(DN, current), 0);
}

static void test_ldapmodify_rules(void **state)
{
	static const char *const bad[] = {
		"alllowercase",
		"Xlinzh2024",
		"{SSHA}ZNxWZ1Mt8bM4ZyI4UTSXKWx3xGU3HAhV",
		"{ARGON2}$argon2i$v=19$m=4096,t=3,p=1$c2FsdHNhbHQ$aGFzaA",
	};
	struct run r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ldapmodify_self(bad[i], &r) == 0)
			fail_msg("%s: accepted", bad[i]);
		assert_non_null(strstr(r.err, "Constraint violation"));
		harness_run_free(&r);
	}
	assert_int_equal(harness_bind_dn(DN, current), 0);
}

static void test_good_password_stored_as_argon2(void **state)
{
	char *ldif, *p;

	change("Kaohsiung2025!");
	assert_int_equal(harness_bind_dn(DN, "Kaohsiung2025!"), 0);
	assert_int_not_equal(harness_bind_dn(DN, P0), 0);
	ldif = harness_slapcat();
	p = strstr(ldif, "dn: " DN);
	assert_non_null(p);
	/* "{ARGON2}" base64-encoded starts with e0FSR09OMn0 */
	assert_non_null(strstr(p, "userPassword:: e0FSR09OMn0"));
	assert_null(strstr(ldif, "Kaohsiung2025!"));
	free(ldif);
}

static void test_history(void **state)
{
	/* Now: current Kaohsiung2025!, history P0. Make three more changes
	 * so that the last three are known. */
	static const char *const seq[] = {"History1aA", "History2bB",
					  "History3cC"};
	struct run r;
	size_t i;

	for (i = 0; i < 3; i++)
		change(seq[i]);
	/* current = History3cC; history = Kaohsiung2025!, History1aA,
	 * History2bB. The current and each of the last three: refused. */
	{
		const char *refused[] = {"History3cC", "History2bB",
					 "History1aA", "Kaohsiung2025!"};

		for (i = 0; i < 4; i++) {
			if (ldappasswd(current, refused[i], &r) == 0)
				fail_msg("%s accepted again", refused[i]);
			assert_non_null(strstr(r.out, "Constraint violation"));
			harness_run_free(&r);
		}
	}
	{
		char input[256];

		snprintf(input, sizeof(input), "%s\nHistory2bB\n", current);
		assert_int_equal(
			harness_kcgidm(&r, input, "passwd", "linzh", NULL), 5);
		assert_non_null(strstr(r.err, "last 3 passwords"));
		harness_run_free(&r);
	}
	/* One more change pushes Kaohsiung2025! out of the history. */
	change("History4dD");
	change("Kaohsiung2025!");
}

static void test_cli_reasons(void **state)
{
	static const struct {
		const char *new_pw, *reason;
	} cases[] = {
		{"Ab1!xyz", "at least 8"},
		{"abcdefgh12", "3 of"},
		{"abcdefgh!2", "upper-case"},
		{"ABCDEFGH!2", "lower-case"},
		{"Abcdefghi!", "digit"},
		{"LinZh20245", "login name"},
		{"Abc 123456", "space"},
		{"\xef\xbc\xa1"
		 "bcd12345",
		 "full-width"},
		{"Abcd1234\xe5\xaf\x86", "Chinese"},
	};
	char input[256];
	struct run r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(input, sizeof(input), "%s\n%s\n", current,
			 cases[i].new_pw);
		harness_kcgidm(&r, input, "passwd", "linzh", NULL);
		if (r.status != 5 || strstr(r.err, cases[i].reason) == NULL)
			fail_msg("%s: exit %d: %s", cases[i].new_pw, r.status,
				 r.err);
		harness_run_free(&r);
	}
	/* a wrong old password is not a policy matter */
	assert_int_equal(harness_kcgidm(&r, "Wrong1234x\nGoodNew2025x\n",
					"passwd", "linzh", NULL),
			 2);
	assert_non_null(strstr(r.err, "wrong account or password"));
	harness_run_free(&r);
	/* an admin reset is under the policy too */
	assert_int_equal(harness_kcgidm(&r, "History4dD\n", "passwd", "linzh",
					"--reset", NULL),
			 5);
	assert_non_null(strstr(r.err, "last 3 passwords"));
	harness_run_free(&r);
	assert_int_equal(harness_kcgidm(&r, "ResetByAdmin9\n", "passwd",
					"linzh", "--reset", NULL),
			 0);
	harness_run_free(&r);
	snprintf(current, sizeof(current), "ResetByAdmin9");
	assert_int_equal(harness_bind_dn(DN, current), 0);
}

static void test_lockout_and_unlock(void **state)
{
	struct run r;
	char input[256];
	int i;

	for (i = 0; i < 5; i++)
		assert_int_not_equal(harness_bind_dn(DN, "NotThePassword1"), 0);
	/* locked: the right password fails too */
	assert_int_not_equal(harness_bind_dn(DN, current), 0);
	snprintf(input, sizeof(input), "%s\nAfterLock2025x\n", current);
	assert_int_equal(harness_kcgidm(&r, input, "passwd", "linzh", NULL), 5);
	assert_non_null(strstr(r.err, "locked"));
	harness_run_free(&r);
	assert_int_equal(harness_kcgidm(&r, NULL, "show", "linzh", NULL), 0);
	assert_non_null(strstr(r.out, "locked since"));
	harness_run_free(&r);

	assert_int_equal(harness_kcgidm(&r, NULL, "unlock", "linzh", NULL), 0);
	assert_non_null(strstr(r.out, "unlocked"));
	harness_run_free(&r);
	assert_int_equal(harness_bind_dn(DN, current), 0);
	assert_int_equal(harness_kcgidm(&r, NULL, "unlock", "linzh", NULL), 0);
	assert_non_null(strstr(r.out, "not locked"));
	harness_run_free(&r);
	assert_int_equal(harness_kcgidm(&r, NULL, "unlock", "nosuchuser", NULL),
			 4);
	harness_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ldappasswd_rules),
		cmocka_unit_test(test_ldapmodify_rules),
		cmocka_unit_test(test_good_password_stored_as_argon2),
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_cli_reasons),
		cmocka_unit_test(test_lockout_and_unlock),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
