/*
 * test_lifecycle - the account after its application, against the
 * sandbox slapd: review, HR changes from roster imports, disable, enable,
 * delete, purge-inactive, and the audit log.
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

static const char *sandbox;

static const char header[] =
	"national_id,name,birth_date,category,agency,unit,title,hire_date,"
	"account_type,status\n";
static const char wang[] = "E123456783,王小明,68-05-12,職員,仁武高級中學,"
			   "教務處,教師,99-12-25,general,active\n";
static const char chen[] = "E223456712,陳美玲,75-11-03,職員,人事處,人事室,"
			   "科員,105-03-01,personnel,active\n";
static const char lin[] = "S102938478,林志豪,80-01-20,約聘人員,資訊中心,"
			  "系統科,工程師,110-07-15,general,active\n";
static const char zhang[] = "T182736451,張家豪,85-02-28,職員,教育局,,,"
			    "112-09-01,general,active\n";

/* import - roster import of the rows given (NULL-terminated); status. */
static int import(struct run *r, const char *extra, ...)
{
	char text[4096];
	const char *row, *path;
	va_list ap;

	snprintf(text, sizeof(text), "%s", header);
	va_start(ap, extra);
	while ((row = va_arg(ap, const char *)) != NULL)
		strncat(text, row, sizeof(text) - strlen(text) - 1);
	va_end(ap);
	path = harness_write_file("roster.csv", text);
	return harness_kcgidm(r, NULL, "roster", "import", path, extra, NULL);
}

/* apply - an application (pending) with a mailbox and a recovery address. */
static void apply(const char *name, const char *id, const char *uid,
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
}

/* status_of - kcgAccountStatus of UID per `kcgidm show --json` (static),
 * or "absent". */
static const char *status_of(const char *uid)
{
	static char out[32];
	int st;
	json_t *j = harness_kcgidm_json(&st, NULL, "show", uid, NULL);

	snprintf(out, sizeof(out), "%s",
		 st == 0 ? json_string_value(
				   json_object_get(j, "kcgAccountStatus"))
			 : "absent");
	json_decref(j);
	return out;
}

static int group_setup(void **state)
{
	struct run r;

	if (harness_sandbox_start(&sandbox) != 0)
		return -1;
	harness_sandbox_smtp(harness_sink_start(NULL));
	if (import(&r, NULL, wang, chen, lin, zhang, NULL) != 0)
		return -1;
	harness_run_free(&r);
	apply("王小明", "E123456783", "wangxm", "Wang2024pass!");
	apply("陳美玲", "E223456712", "chenml", "Chen2024pass!");
	apply("林志豪", "S102938478", "linzh", "Lin2024pass!x");
	apply("張家豪", "T182736451", "zhangjh", "Zhang2024pass!");
	return 0;
}

static int group_teardown(void **state)
{
	harness_sink_stop();
	harness_sandbox_destroy();
	return 0;
}

static void test_review(void **state)
{
	char conf[600], bin[512], text[1024];
	char *argv[] = {bin, "-c", conf, "review", NULL};
	struct run r;
	char **msgs;
	FILE *in, *out;

	/* manual mode: everyone waits for an admin */
	assert_int_equal(harness_kcgidm(&r, NULL, "review", NULL), 0);
	assert_non_null(strstr(r.out, "wangxm"));
	assert_null(strstr(r.out, "approve "));
	harness_run_free(&r);
	assert_string_equal(status_of("wangxm"), "pending");

	/* 張家豪 leaves before the review: his application is rejected and
	 * he is told at his recovery address */
	assert_int_equal(import(&r, NULL, wang, chen, lin,
				"T182736451,張家豪,85-02-28,職員,教育局,,,"
				"112-09-01,general,left\n",
				NULL),
			 0);
	harness_run_free(&r);
	assert_string_equal(status_of("zhangjh"), "pending");
	assert_int_equal(harness_kcgidm(&r, NULL, "review", "--dry-run", NULL),
			 0);
	assert_non_null(strstr(r.out, "zhangjh"));
	harness_run_free(&r);
	assert_string_equal(status_of("zhangjh"), "pending");

	/* auto mode, no delay: a config of its own */
	snprintf(conf, sizeof(conf), "%s/auto.conf", sandbox);
	snprintf(text, sizeof(text), "%s/kcgidm.conf", sandbox);
	in = fopen(text, "r");
	out = fopen(conf, "w");
	assert_non_null(in);
	assert_non_null(out);
	while (fgets(text, sizeof(text), in) != NULL)
		fputs(text, out);
	fputs("review = { mode = \"auto\"; delay_seconds = 0; };\n", out);
	fclose(in);
	fclose(out);
	snprintf(bin, sizeof(bin), "%s/src/kcgidm/kcgidm",
		 getenv("KCG_TOP_BUILDDIR"));
	harness_run(&r, NULL, argv);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "zhangjh"));
	assert_non_null(strstr(r.out, "reject"));
	harness_run_free(&r);
	assert_string_equal(status_of("wangxm"), "active");
	assert_string_equal(status_of("chenml"), "active");
	assert_string_equal(status_of("linzh"), "active");
	assert_string_equal(status_of("zhangjh"), "absent");

	assert_int_equal(harness_kcgidm(&r, NULL, "mail", "flush", NULL), 0);
	harness_run_free(&r);
	msgs = harness_sink_messages();
	assert_non_null(msgs[0]);
	assert_null(msgs[1]);
	assert_non_null(strstr(msgs[0], "X-Rcpt-Args: <home@example.org>"));
	assert_non_null(strstr(msgs[0], "zhangjh 未通過審核"));
	harness_strv_free(msgs);
	harness_sink_clear();
	assert_int_equal(harness_bind("wangxm", "Wang2024pass!"), 0);
}

static void test_hr_changes(void **state)
{
	struct run r;
	int st;
	json_t *j, *acc;

	/* 林志豪 leaves, 王小明 gets a new title: exactly one account is
	 * disabled, one updated */
	j = harness_kcgidm_json(
		&st, NULL, "roster", "import",
		harness_write_file("hr.csv",
				   "national_id,name,birth_date,category,"
				   "agency,unit,title,hire_date,"
				   "account_type,status\n"
				   "E123456783,王小明,68-05-12,職員,"
				   "仁武高級中學,學務處,組長,99-12-25,"
				   "general,active\n"
				   "E223456712,陳美玲,75-11-03,職員,人事處,"
				   "人事室,科員,105-03-01,personnel,"
				   "active\n"
				   "S102938478,林志豪,80-01-20,約聘人員,"
				   "資訊中心,系統科,工程師,110-07-15,"
				   "general,離職\n"),
		NULL);
	assert_int_equal(st, 0);
	assert_int_equal(
		json_integer_value(json_object_get(j, "accounts_disabled")), 1);
	assert_int_equal(
		json_integer_value(json_object_get(j, "accounts_updated")), 1);
	acc = json_object_get(j, "accounts");
	assert_int_equal(json_array_size(acc), 2);
	json_decref(j);
	assert_string_equal(status_of("linzh"), "disabled");
	assert_string_equal(status_of("wangxm"), "active");
	assert_string_equal(status_of("chenml"), "active");
	/* mail and portal binds fail at once */
	assert_int_not_equal(harness_bind("linzh", "Lin2024pass!x"), 0);
	assert_int_equal(harness_kcgidm(&r, "Lin2024pass!x\n", "auth", "test",
					"linzh", "--service", "mail", NULL),
			 3);
	harness_run_free(&r);
	assert_int_equal(harness_bind("wangxm", "Wang2024pass!"), 0);
	assert_int_equal(harness_kcgidm(&r, NULL, "show", "wangxm", NULL), 0);
	assert_non_null(strstr(r.out, "職稱 / title: 組長"));
	assert_non_null(strstr(r.out, "所屬單位 / unit: 學務處"));
	harness_run_free(&r);
	/* 林志豪 returns: his account can be enabled again */
	assert_int_equal(harness_kcgidm(&r, NULL, "enable", "linzh", NULL), 3);
	harness_run_free(&r);
	assert_int_equal(import(&r, NULL, lin, NULL), 0);
	harness_run_free(&r);
	assert_string_equal(status_of("linzh"), "disabled");
	assert_int_equal(harness_kcgidm(&r, NULL, "enable", "linzh", "--reason",
					"returned", NULL),
			 0);
	harness_run_free(&r);
	assert_int_equal(harness_bind("linzh", "Lin2024pass!x"), 0);
}

static void test_full_import(void **state)
{
	struct run r;
	int st;
	json_t *j;

	/* a full import with a rejected row changes nobody's status */
	j = harness_kcgidm_json(
		&st, NULL, "roster", "import",
		harness_write_file(
			"full-bad.csv",
			"national_id,name,birth_date,category,"
			"agency,unit,title,hire_date,account_type,"
			"status\n"
			"E123456783,王小明,68-05-12,職員,仁武高級中學,"
			"學務處,組長,99-12-25,general,active\n"
			"E223456719,陳美玲,75-11-03,職員,人事處,"
			"人事室,科員,105-03-01,personnel,active\n"),
		"--full", NULL);
	assert_int_equal(st, 2);
	assert_int_equal(json_integer_value(json_object_get(j, "left")), 0);
	json_decref(j);
	assert_string_equal(status_of("chenml"), "active");

	/* the whole roster without 陳美玲 and 林志豪: they have left */
	j = harness_kcgidm_json(
		&st, NULL, "roster", "import",
		harness_write_file(
			"full.csv",
			"national_id,name,birth_date,category,"
			"agency,unit,title,hire_date,account_type,"
			"status\n"
			"E123456783,王小明,68-05-12,職員,仁武高級中學,"
			"學務處,組長,99-12-25,general,active\n"),
		"--full", NULL);
	assert_int_equal(st, 0);
	assert_int_equal(json_integer_value(json_object_get(j, "left")), 2);
	assert_int_equal(
		json_integer_value(json_object_get(j, "accounts_disabled")), 2);
	json_decref(j);
	assert_string_equal(status_of("chenml"), "disabled");
	assert_string_equal(status_of("linzh"), "disabled");
	assert_string_equal(status_of("wangxm"), "active");
	/* they come back */
	assert_int_equal(import(&r, NULL, chen, lin, NULL), 0);
	harness_run_free(&r);
	assert_int_equal(harness_kcgidm(&r, NULL, "enable", "chenml", NULL), 0);
	harness_run_free(&r);
	assert_int_equal(harness_kcgidm(&r, NULL, "enable", "linzh", NULL), 0);
	harness_run_free(&r);
}

static void test_disable_enable_delete(void **state)
{
	static const char *const refused[][2] = {
		{"enable",
		 "帳號 chenml 未停用 / account chenml is not disabled"},
		{"reject", "帳號 chenml 不在待審核狀態 / account chenml is not "
			   "pending"},
	};
	struct run r;
	size_t i;

	assert_int_equal(harness_kcgidm(&r, NULL, "disable", "chenml", NULL),
			 2); /* a reason is required */
	harness_run_free(&r);
	assert_int_equal(harness_kcgidm(&r, NULL, "disable", "chenml",
					"--reason", "散發垃圾郵件 / spam",
					NULL),
			 0);
	harness_run_free(&r);
	assert_int_not_equal(harness_bind("chenml", "Chen2024pass!"), 0);
	/* unlock does not undo a disable */
	assert_int_equal(harness_kcgidm(&r, NULL, "unlock", "chenml", NULL), 3);
	assert_non_null(strstr(r.err, "enable"));
	harness_run_free(&r);
	assert_int_not_equal(harness_bind("chenml", "Chen2024pass!"), 0);
	assert_int_equal(harness_kcgidm(&r, NULL, "show", "chenml", NULL), 0);
	assert_non_null(strstr(r.out, "散發垃圾郵件 / spam"));
	harness_run_free(&r);
	assert_int_equal(harness_kcgidm(&r, NULL, "enable", "chenml",
					"--reason", "cleared", NULL),
			 0);
	harness_run_free(&r);
	assert_int_equal(harness_bind("chenml", "Chen2024pass!"), 0);
	/* an active account is neither disabled nor pending */
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_int_equal(harness_kcgidm(&r, NULL, refused[i][0],
						"chenml", "--reason", "again",
						NULL),
				 3);
		assert_non_null(strstr(r.err, refused[i][1]));
		harness_run_free(&r);
	}
	assert_string_equal(status_of("chenml"), "active");

	assert_int_equal(harness_kcgidm(&r, NULL, "delete", "chenml",
					"--reason", "x", NULL),
			 1); /* --yes */
	harness_run_free(&r);
	assert_int_equal(harness_kcgidm(&r, NULL, "delete", "chenml", "--yes",
					"--reason", "requested by HR", NULL),
			 0);
	harness_run_free(&r);
	assert_string_equal(status_of("chenml"), "absent");
	/* the person may apply again */
	assert_int_equal(harness_kcgidm(&r, NULL, "verify", "--name", "陳美玲",
					"--national-id", "E223456712", NULL),
			 0);
	harness_run_free(&r);
	apply("陳美玲", "E223456712", "chenml2", "Chen2025pass!");
	assert_string_equal(status_of("chenml2"), "pending");
	assert_int_equal(harness_kcgidm(&r, NULL, "delete", "nosuchuser",
					"--yes", "--reason", "x", NULL),
			 4);
	harness_run_free(&r);
}

static void test_purge_inactive(void **state)
{
	struct run r;
	int st;
	json_t *j, *f;
	size_t i, n_inactive = 0;

	/* 王小明 last logged in long ago; a stale IKPD link on 林志豪 */
	harness_slapmodify("dn: uid=wangxm,ou=people,dc=kcg,dc=gov,dc=tw\n"
			   "changetype: modify\n"
			   "replace: pwdLastSuccess\n"
			   "pwdLastSuccess: 20240101000000Z\n");
	harness_ldapmodify_admin("dn: uid=linzh,ou=people,dc=kcg,dc=gov,dc=tw\n"
				 "changetype: modify\n"
				 "replace: kcgIkpdTokenHash\n"
				 "kcgIkpdTokenHash: "
				 "000000000000000000000000000000000000000000000"
				 "0000000000000000000"
				 "\n"
				 "-\n"
				 "replace: kcgIkpdTokenExpiry\n"
				 "kcgIkpdTokenExpiry: 20200101000000Z\n"
				 "-\n"
				 "replace: kcgIkpdStatus\n"
				 "kcgIkpdStatus: registered\n");

	/* the dry run (the default) lists exactly that, and changes nothing */
	j = harness_kcgidm_json(&st, NULL, "purge-inactive", "--days", "365",
				NULL);
	assert_int_equal(st, 0);
	f = json_object_get(j, "findings");
	for (i = 0; i < json_array_size(f); i++) {
		json_t *x = json_array_get(f, i);
		const char *uid = json_string_value(json_object_get(x, "uid"));
		const char *d =
			json_string_value(json_object_get(x, "decision"));

		if (strcmp(d, "inactive") == 0) {
			assert_string_equal(uid, "wangxm");
			n_inactive++;
		} else {
			assert_string_equal(uid, "linzh");
			assert_string_equal(d, "expired-ikpd-link");
		}
	}
	assert_int_equal(n_inactive, 1);
	assert_int_equal(json_array_size(f), 2);
	json_decref(j);
	assert_string_equal(status_of("wangxm"), "active");

	assert_int_equal(harness_kcgidm(&r, NULL, "purge-inactive", "--days",
					"365", "--disable", NULL),
			 0);
	harness_run_free(&r);
	assert_string_equal(status_of("wangxm"), "disabled");
	assert_string_equal(status_of("linzh"), "active");
	assert_string_equal(status_of("chenml2"), "pending");
	assert_int_equal(harness_kcgidm(&r, NULL, "show", "linzh", NULL), 0);
	assert_non_null(strstr(r.out, "IKPD 狀態 / IKPD status: none"));
	harness_run_free(&r);
	/* nothing left to do */
	j = harness_kcgidm_json(&st, NULL, "purge-inactive", "--days", "365",
				"--disable", NULL);
	assert_int_equal(json_array_size(json_object_get(j, "findings")), 0);
	json_decref(j);
}

static void test_audit_log(void **state)
{
	static const char *const secrets[] = {
		"Wang2024pass!", "Chen2024pass!", "Lin2024pass!x", "E123456783",
		"E223456712",	 "S102938478",	  "T182736451",
	};
	static const char *const actions[] = {
		"\"action\":\"apply\"",	      "\"action\":\"approve\"",
		"\"action\":\"reject\"",      "\"action\":\"disable\"",
		"\"action\":\"enable\"",      "\"action\":\"delete\"",
		"\"action\":\"roster-add\"",  "\"action\":\"roster-update\"",
		"\"action\":\"roster-left\"", "\"action\":\"account-update\"",
		"\"action\":\"mail-sent\"",
	};
	char path[512], self[64], *log;
	struct run r;
	char *argv[] = {"/bin/cat", path, NULL};
	size_t i;

	snprintf(path, sizeof(path), "%s/audit.log", sandbox);
	harness_run(&r, NULL, argv);
	assert_int_equal(r.status, 0);
	log = r.out;
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strstr(log, actions[i]) == NULL)
			fail_msg("no %s in the audit log", actions[i]);
	/* the CLI's records name the program and the operator's uid */
	snprintf(self, sizeof(self), "\"actor\":\"kcgidm:uid=%u\"",
		 (unsigned)getuid());
	if (strstr(log, self) == NULL)
		fail_msg("no %s in the audit log", self);
	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		assert_null(strstr(log, secrets[i]));
	free(r.err);
	free(log);

	assert_int_equal(harness_kcgidm(&r, NULL, "log", "chenml", NULL), 0);
	assert_non_null(strstr(r.out, "disable"));
	assert_non_null(strstr(r.out, "散發垃圾郵件 / spam"));
	assert_non_null(strstr(r.out, "delete"));
	harness_run_free(&r);
	assert_int_equal(harness_kcgidm(&r, NULL, "log", "nobodyever", NULL),
			 4);
	harness_run_free(&r);
	/* slapd's own record of the directory side */
	snprintf(path, sizeof(path), "%s/slapd-audit.ldif", sandbox);
	harness_run(&r, NULL, argv);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "uid=chenml,ou=people"));
	harness_run_free(&r);
}

/* add_clerks - append roster rows for the first N of a fixed set of
 * people (H10000000 + i) to TEXT (SIZE bytes). */
static void add_clerks(char *text, size_t size, int n)
{
	char id[11], row[160];
	int i;

	for (i = 0; i < n; i++) {
		harness_natid('H', 10000000UL + (unsigned long)i, id);
		snprintf(row, sizeof(row),
			 "%s,職員%02d,70-01-01,職員,工務局,,,,general,active\n",
			 id, i);
		strncat(text, row, size - strlen(text) - 1);
	}
}

/*
 * test_full_import_guard - a --full file that leaves out 30 of 34 active
 * people (a file cut short) marks nobody as left, unless the admin raises
 * --max-left. Last in the group: it adds people to the roster.
 */
static void test_full_import_guard(void **state)
{
	char text[8192];
	const char *path;
	struct run r;
	json_t *j;
	int st;

	(void)state;
	/* 40 more people; the full file keeps 10 of them */
	snprintf(text, sizeof(text), "%s", header);
	add_clerks(text, sizeof(text), 40);
	assert_int_equal(harness_kcgidm(&r, NULL, "roster", "import",
					harness_write_file("forty.csv", text),
					NULL),
			 0);
	harness_run_free(&r);
	snprintf(text, sizeof(text), "%s%s%s%s%s", header, wang, chen, lin,
		 zhang);
	add_clerks(text, sizeof(text), 10);
	path = harness_write_file("cut-short.csv", text);

	/* refused: the counts, an error that says what to do, exit 2 */
	assert_int_equal(harness_kcgidm(&r, NULL, "roster", "import", "--full",
					path, NULL),
			 2);
	if (strstr(r.err, "30 of the") == NULL ||
	    strstr(r.err, "--max-left 100") == NULL)
		fail_msg("no clear refusal: %s", r.err);
	harness_run_free(&r);
	/* nobody was marked: a dry run with no limit still finds all 30 */
	j = harness_kcgidm_json(&st, NULL, "roster", "import", "--full",
				"--dry-run", "--max-left", "100", path, NULL);
	assert_int_equal(st, 0);
	assert_int_equal(json_integer_value(json_object_get(j, "left")), 30);
	json_decref(j);
	/* --max-left without --full is a usage error */
	assert_int_equal(harness_kcgidm(&r, NULL, "roster", "import",
					"--max-left", "50", path, NULL),
			 1);
	harness_run_free(&r);
	/* the admin says they did leave */
	j = harness_kcgidm_json(&st, NULL, "roster", "import", "--full",
				"--max-left", "100", path, NULL);
	assert_int_equal(st, 0);
	assert_int_equal(json_integer_value(json_object_get(j, "left")), 30);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_review),
		cmocka_unit_test(test_hr_changes),
		cmocka_unit_test(test_full_import),
		cmocka_unit_test(test_disable_enable_delete),
		cmocka_unit_test(test_purge_inactive),
		cmocka_unit_test(test_audit_log),
		cmocka_unit_test(test_full_import_guard),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
