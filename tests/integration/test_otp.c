/*
 * test_otp - 動態密碼 against the sandbox slapd and its otp overlay:
 * `kcgidm otp enroll|disable|status`, and binds with password + code.
 *
 * The codes come from oathtool (Debian's oathtool package), an
 * implementation independent of both kcgidm and slapd, fed with the
 * base32 secret that enroll printed. Proven here: the right code binds;
 * the same code a second time, a wrong code and the password alone fail;
 * an account without a token keeps plain binds; the secret is unreadable
 * by services, users and anonymous (and write-only for the provisioner);
 * a consumer's login (kcgidm auth test, the web front's bind) works with
 * password + code; disable and account deletion bring plain binds back
 * and remove the token.
 *
 * Codes are taken at "now" and "now + 30 s": slapd accepts one step of
 * drift either way, so no test depends on where in a step it runs, and
 * none waits for the clock. Exit 77 when slapd or oathtool is missing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define PRIVACY	  "20230307_V1.0"
#define MAILRULES "KCG-MAIL-RULES_V1.0"
#define OATHTOOL  "/usr/bin/oathtool"
#define PEOPLE	  ",ou=people,dc=kcg,dc=gov,dc=tw"

static const char *sandbox;
static char *wang_secret; /* from test_enroll */

static const char roster[] =
	"national_id,name,birth_date,category,agency,unit,title,hire_date,"
	"account_type,status\n"
	"E123456783,王小明,68-05-12,職員,仁武高級中學,教務處,教師,99-12-25,"
	"general,active\n"
	"E223456712,陳美玲,75-11-03,職員,人事處,人事室,科員,105-03-01,"
	"personnel,active\n"
	"S102938478,林志豪,80-01-20,約聘人員,資訊中心,系統科,工程師,"
	"110-07-15,general,active\n"
	"T182736451,張家豪,85-02-28,職員,教育局,,,112-09-01,general,active\n";

/* account - apply as UID with PW and approve it. */
static void account(const char *name, const char *id, const char *uid,
		    const char *pw)
{
	char input[64];
	struct run r;

	snprintf(input, sizeof(input), "%s\n", pw);
	if (harness_kcgidm(&r, input, "apply", "--name", name, "--national-id",
			   id, "--uid", uid, "--accept-privacy", PRIVACY,
			   "--mail", "--accept-mail-rules", MAILRULES,
			   "--recovery-mail", "home@example.org", NULL) != 0)
		fail_msg("apply %s: %s", uid, r.err);
	harness_run_free(&r);
	if (harness_kcgidm(&r, NULL, "approve", uid, NULL) != 0)
		fail_msg("approve %s: %s", uid, r.err);
	harness_run_free(&r);
}

/* with_code - PW followed by CODE (static). */
static const char *with_code(const char *pw, const char *code)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "%s%s", pw, code);
	return buf;
}

/* code - oathtool's TOTP code for SECRET (base32) at now + SECONDS, in
 * OUT (7 bytes). */
static void code(const char *secret, int seconds, char out[7])
{
	char when[64];
	char *argv[] = {OATHTOOL, "--totp", "-b", (char *)secret,
			"-N",	  when,	    NULL};
	struct run r;

	snprintf(when, sizeof(when), "now + %d seconds", seconds);
	harness_run(&r, NULL, argv);
	if (r.status != 0 || strlen(r.out) < 6)
		fail_msg("oathtool: %s", r.err);
	snprintf(out, 7, "%.6s", r.out);
	harness_run_free(&r);
}

/* enroll - `kcgidm --json otp enroll UID`: the base32 secret (caller
 * frees); checks the URI on the way. */
static char *enroll(const char *uid)
{
	char want[128];
	const char *uri, *secret;
	char *out;
	int st;
	json_t *j = harness_kcgidm_json(&st, NULL, "otp", "enroll", uid, NULL);

	assert_int_equal(st, 0);
	secret = json_string_value(json_object_get(j, "secret"));
	uri = json_string_value(json_object_get(j, "uri"));
	assert_non_null(secret);
	assert_non_null(uri);
	/* 160 bits in base32: 32 characters */
	assert_int_equal(strlen(secret), 32);
	assert_int_equal(strspn(secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
			 32);
	snprintf(want, sizeof(want), "otpauth://totp/KCG:%s?secret=", uid);
	assert_true(strncmp(uri, want, strlen(want)) == 0);
	assert_non_null(strstr(uri, secret));
	assert_non_null(strstr(uri, "&issuer=KCG&algorithm=SHA1&digits=6"
				    "&period=30"));
	out = strdup(secret);
	json_decref(j);
	return out;
}

/* enrolled - `otp status UID --json`'s "enrolled". */
static int enrolled(const char *uid)
{
	int st, e;
	json_t *j = harness_kcgidm_json(&st, NULL, "otp", "status", uid, NULL);

	assert_int_equal(st, 0);
	e = json_is_true(json_object_get(j, "enrolled"));
	json_decref(j);
	return e;
}

static int group_setup(void **state)
{
	struct run r;

	if (access(OATHTOOL, X_OK) != 0) {
		fprintf(stderr, "SKIP: oathtool not installed\n");
		exit(77);
	}
	if (harness_sandbox_start(&sandbox) != 0)
		return -1;
	if (harness_kcgidm(&r, NULL, "roster", "import",
			   harness_write_file("roster.csv", roster),
			   NULL) != 0) {
		fprintf(stderr, "roster import: %s\n", r.err);
		return -1;
	}
	harness_run_free(&r);
	account("王小明", "E123456783", "wangxm", "Wang2024pass!");
	account("陳美玲", "E223456712", "chenml", "Chen2024pass!");
	account("林志豪", "S102938478", "linzh", "Lin2024pass!x");
	account("張家豪", "T182736451", "zhangjh", "Zhang2024pass!");
	return 0;
}

static int group_teardown(void **state)
{
	free(wang_secret);
	harness_sandbox_destroy();
	return 0;
}

static void test_enroll(void **state)
{
	struct run r;
	char *secret, *ldif;

	assert_false(enrolled("wangxm"));
	secret = enroll("wangxm");
	assert_true(enrolled("wangxm"));
	/* in the directory: the token, and the account pointing at it */
	ldif = harness_slapcat();
	assert_non_null(strstr(ldif, "dn: uid=wangxm,ou=otp,dc=kcg,dc=gov,"
				     "dc=tw\nobjectClass: account\n"
				     "objectClass: oathTOTPToken\n"));
	assert_non_null(strstr(ldif, "oathTOTPToken: uid=wangxm,ou=otp,"));
	assert_non_null(strstr(ldif, "objectClass: oathTOTPUser"));
	/* the secret is stored raw, never as its base32 text */
	assert_null(strstr(ldif, secret));
	free(ldif);
	/* a second enrolment is refused (exit 3) */
	assert_int_equal(
		harness_kcgidm(&r, NULL, "otp", "enroll", "wangxm", NULL), 3);
	assert_non_null(strstr(r.err, "otp disable"));
	harness_run_free(&r);
	/* no account, no token (exit 4); no QR code without a terminal */
	assert_int_equal(
		harness_kcgidm(&r, NULL, "otp", "enroll", "nosuchuser", NULL),
		4);
	harness_run_free(&r);
	/* audited, without the secret */
	assert_int_equal(harness_kcgidm(&r, NULL, "log", "wangxm", NULL), 0);
	assert_non_null(strstr(r.out, "otp-enroll"));
	assert_null(strstr(r.out, secret));
	harness_run_free(&r);
	wang_secret = secret;
}

static void test_binds(void **state)
{
	const char *pw = "Chen2024pass!";
	char *secret = enroll("chenml");
	char now[7], prev[7], next[7], wrong[7];
	int d;
	json_t *j;

	code(secret, 0, now);
	code(secret, -30, prev);
	code(secret, 30, next);
	/* a wrong code: the right one with its last digit changed, and none
	 * of the codes slapd accepts now */
	snprintf(wrong, sizeof(wrong), "%s", now);
	for (d = 1; d < 10; d++) {
		wrong[5] = (char)('0' + (now[5] - '0' + d) % 10);
		if (strcmp(wrong, prev) != 0 && strcmp(wrong, next) != 0)
			break;
	}
	/* the password alone and a wrong code fail */
	assert_int_equal(harness_bind("chenml", pw), 49);
	assert_int_equal(harness_bind("chenml", with_code(pw, wrong)), 49);
	/* a right code with a wrong password fails */
	assert_int_equal(
		harness_bind("chenml", with_code("Chen2024pass?", now)), 49);
	/* that burnt "now" (slapd records the step before the password is
	 * checked): the next step's code binds... */
	assert_int_equal(harness_bind("chenml", with_code(pw, next)), 0);
	/* ...once: the same code again is a replay (4 failures so far:
	 * ppolicy locks at 5, so no more here) */
	assert_int_equal(harness_bind("chenml", with_code(pw, next)), 49);
	/* status says when the last code was used */
	j = harness_kcgidm_json(&d, NULL, "otp", "status", "chenml", NULL);
	assert_int_equal(d, 0);
	assert_true(json_is_true(json_object_get(j, "enrolled")));
	assert_true(json_is_string(json_object_get(j, "last_used")));
	json_decref(j);
	/* accounts without a token keep plain binds */
	assert_int_equal(harness_bind("linzh", "Lin2024pass!x"), 0);
	assert_false(enrolled("linzh"));
	free(secret);
}

/* search_as - ldapsearch of ou=otp for every attribute, bound as DN with
 * the password in PWFILE (NULL DN: anonymous); stdout in *out_r (caller
 * frees); the exit status. */
static int search_as(const char *dn, const char *pwfile, char **out_r)
{
	char *argv[16];
	struct run r;
	int n = 0;

	argv[n++] = "/usr/bin/ldapsearch";
	argv[n++] = "-LLL";
	argv[n++] = "-x";
	argv[n++] = "-H";
	argv[n++] = (char *)harness_ldapi();
	if (dn != NULL) {
		argv[n++] = "-D";
		argv[n++] = (char *)dn;
		argv[n++] = "-y";
		argv[n++] = (char *)pwfile;
	}
	argv[n++] = "-b";
	argv[n++] = "ou=otp,dc=kcg,dc=gov,dc=tw";
	argv[n++] = "(objectClass=*)";
	argv[n++] = "*";
	argv[n++] = "+";
	argv[n] = NULL;
	harness_run(&r, NULL, argv);
	*out_r = strdup(r.out);
	harness_run_free(&r);
	return r.status;
}

static void test_secret_hidden(void **state)
{
	static const char *const services[] = {"dovecot", "postfix", "ikpd"};
	char dn[128], file[512], now[7], next[7];
	char *out;
	size_t i;

	/* wangxm is enrolled (test_enroll) */
	for (i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
		snprintf(dn, sizeof(dn),
			 "cn=%s,ou=services,dc=kcg,dc=gov,dc=tw", services[i]);
		snprintf(file, sizeof(file), "%s/%s.secret", sandbox,
			 services[i]);
		search_as(dn, file, &out);
		assert_null(strstr(out, "oathSecret"));
		assert_null(strstr(out, "uid=wangxm,ou=otp"));
		free(out);
	}
	/* the user themselves, bound with password + code, sees nothing of
	 * their token... */
	code(wang_secret, 0, now);
	assert_int_equal(
		search_as("uid=wangxm" PEOPLE,
			  harness_write_file("self.pw",
					     with_code("Wang2024pass!", now)),
			  &out),
		32); /* noSuchObject: not even ou=otp */
	assert_null(strstr(out, "oathSecret"));
	free(out);
	/* ...and cannot switch the check off on their own entry */
	code(wang_secret, 30, next);
	snprintf(file, sizeof(file), "%s",
		 harness_write_file("self.pw",
				    with_code("Wang2024pass!", next)));
	{
		char *argv[] = {"/usr/bin/ldapmodify",
				"-x",
				"-H",
				(char *)harness_ldapi(),
				"-D",
				"uid=wangxm" PEOPLE,
				"-y",
				file,
				NULL};
		struct run r;

		harness_run(&r,
			    "dn: uid=wangxm" PEOPLE "\nchangetype: modify\n"
			    "delete: objectClass\nobjectClass: oathTOTPUser\n"
			    "-\ndelete: oathTOTPToken\n",
			    argv);
		assert_int_equal(r.status, 50); /* insufficientAccess */
		harness_run_free(&r);
	}
	assert_true(enrolled("wangxm"));
	/* anonymous binds are refused by slapd; the search finds nothing */
	search_as(NULL, NULL, &out);
	assert_null(strstr(out, "oathSecret"));
	free(out);
	/* the provisioner manages tokens but cannot read the secret back */
	snprintf(file, sizeof(file), "%s/provisioner.secret", sandbox);
	search_as("cn=provisioner,ou=services,dc=kcg,dc=gov,dc=tw", file, &out);
	assert_non_null(strstr(out, "dn: uid=wangxm,ou=otp,"));
	assert_null(strstr(out, "oathSecret"));
	free(out);
}

static void test_consumer_login(void **state)
{
	char *secret = enroll("zhangjh");
	char now[7], line[64];
	const char *pwfile;
	struct run r;

	code(secret, 0, now);
	/* the mail login as `kcgidm auth test` runs it (the portal's and
	 * kcgidmd's sign-in bind the same way): the password alone fails at
	 * the bind step... */
	pwfile = harness_write_file("auth.pw", "Zhang2024pass!\n");
	assert_int_not_equal(harness_kcgidm(&r, NULL, "auth", "test", "zhangjh",
					    "--service", "mail",
					    "--password-file", pwfile, NULL),
			     0);
	assert_non_null(strstr(r.out, "FAILED"));
	harness_run_free(&r);
	/* ...password + code signs in */
	snprintf(line, sizeof(line), "Zhang2024pass!%s\n", now);
	pwfile = harness_write_file("auth.pw", line);
	assert_int_equal(harness_kcgidm(&r, NULL, "auth", "test", "zhangjh",
					"--service", "mail", "--password-file",
					pwfile, NULL),
			 0);
	assert_non_null(strstr(r.out, "登入成功"));
	harness_run_free(&r);
	free(secret);
}

static void test_disable(void **state)
{
	struct run r;
	char *ldif;

	assert_int_equal(
		harness_kcgidm(&r, NULL, "otp", "disable", "wangxm", NULL), 0);
	harness_run_free(&r);
	assert_false(enrolled("wangxm"));
	/* plain binds again, and the token is gone */
	assert_int_equal(harness_bind("wangxm", "Wang2024pass!"), 0);
	ldif = harness_slapcat();
	assert_null(strstr(ldif, "uid=wangxm,ou=otp"));
	free(ldif);
	/* nothing to disable now (exit 4) */
	assert_int_equal(
		harness_kcgidm(&r, NULL, "otp", "disable", "wangxm", NULL), 4);
	harness_run_free(&r);
	/* enrolling again gives a new secret that works */
	free(wang_secret);
	wang_secret = NULL;
	free(enroll("wangxm"));
	assert_int_equal(harness_bind("wangxm", "Wang2024pass!"), 49);
}

static void test_delete_removes_token(void **state)
{
	struct run r;
	char *ldif;

	free(enroll("linzh"));
	assert_int_equal(harness_kcgidm(&r, NULL, "delete", "linzh", "--yes",
					"--reason", "left the city", NULL),
			 0);
	harness_run_free(&r);
	ldif = harness_slapcat();
	assert_null(strstr(ldif, "uid=linzh,ou=otp"));
	assert_null(strstr(ldif, "uid=linzh,ou=people"));
	free(ldif);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enroll),
		cmocka_unit_test(test_binds),
		cmocka_unit_test(test_secret_hidden),
		cmocka_unit_test(test_consumer_login),
		cmocka_unit_test(test_disable),
		cmocka_unit_test(test_delete_removes_token),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
