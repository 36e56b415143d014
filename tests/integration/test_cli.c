/*
 * test_cli - kcgidm against a real slapd (the sandbox): roster import,
 * verify, uid check, apply, approve, show, and the race between two
 * applications.
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

static const char *sandbox;
static const char *roster_path;

static const char roster_csv[] =
	"national_id,name,birth_date,category,agency,unit,title,hire_date,"
	"account_type,status\n"
	"E123456783,王小明,68-05-12,職員,仁武高級中學,教務處,教師,99-12-25,"
	"general,active\n"
	"E223456712,陳美玲,75-11-03,職員,高雄市政府人事處,人事室,科員,"
	"105-03-01,personnel,在職\n"
	"A214365875,黃淑芬,62-08-30,職員,高雄市立仁武高級中學,,主任,"
	"88-02-01,general,離職\n";

static int group_setup(void **state)
{
	if (harness_sandbox_start(&sandbox) != 0)
		return -1;
	roster_path = strdup(harness_write_file("roster.csv", roster_csv));
	return 0;
}

static int group_teardown(void **state)
{
	harness_sandbox_destroy();
	free((char *)roster_path);
	return 0;
}

/* roster_ldif - the ou=roster part of slapcat, for comparisons. */
static char *roster_ldif(void)
{
	char *all = harness_slapcat(), *out = calloc(1, strlen(all) + 1);
	char *rec;

	for (rec = strstr(all, "dn: kcgNationalIdHash="); rec != NULL;
	     rec = strstr(rec + 1, "dn: kcgNationalIdHash=")) {
		char *end = strstr(rec, "\n\n");
		size_t len = end ? (size_t)(end - rec) : strlen(rec);

		strncat(out, rec, len);
		strcat(out, "\n");
	}
	free(all);
	return out;
}

static void test_import_and_rerun(void **state)
{
	struct run r;
	char *before, *after;
	int st;
	json_t *j;

	assert_int_equal(
		harness_kcgidm(&r, NULL, "roster", "import", roster_path, NULL),
		0);
	assert_non_null(strstr(r.out, "added: 3"));
	harness_run_free(&r);

	before = roster_ldif();
	assert_int_equal(harness_count(before, "dn: kcgNationalIdHash="), 3);
	j = harness_kcgidm_json(&st, NULL, "roster", "import", roster_path,
				NULL);
	assert_int_equal(st, 0);
	assert_int_equal(json_integer_value(json_object_get(j, "added")), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "unchanged")),
			 3);
	json_decref(j);
	after = roster_ldif();
	assert_string_equal(before, after); /* not even a modifyTimestamp */
	free(before);
	free(after);
}

static void test_import_never_stores_plain_id(void **state)
{
	char *ldif = harness_slapcat();

	assert_null(strstr(ldif, "E123456783"));
	assert_null(strstr(ldif, "E223456712"));
	assert_null(strstr(ldif, "A214365875"));
	assert_non_null(strstr(ldif, "kcgNationalIdMasked: E12*****83"));
	free(ldif);
}

static void test_import_bad_rows(void **state)
{
	static const struct {
		int line;
		const char *field;
		const char *reason; /* substring */
	} expect[] = {
		{2, "national_id", "checksum"},
		{3, "birth_date", "no such day"},
		{4, "name", "required"},
		{5, "account_type", "must be one of"},
		{6, "status", "must be one of"},
		{7, "row", "fields"},
		{8, "row", "UTF-8"},
		{10, "national_id", "earlier row"},
	};
	char id1[11], id2[11], id3[11], id4[11], id5[11], id6[11], id7[11],
		text[4096];
	const char *path;
	char *before, *after;
	json_t *j, *rows, *row;
	struct run r;
	size_t i;
	int st;

	harness_natid('K', 10000001, id1);
	harness_natid('K', 10000002, id2);
	harness_natid('K', 10000003, id3);
	harness_natid('K', 10000004, id4);
	harness_natid('K', 10000005, id5);
	harness_natid('K', 10000006, id6);
	harness_natid('K', 10000007, id7);
	snprintf(text, sizeof(text),
		 "national_id,name,birth_date,category,agency,unit,title,"
		 "hire_date,account_type,status\n"
		 "K100000010,壞檢查碼,70-01-01,職員,機關,,,,general,active\n"
		 "%s,壞日期,112-02-30,職員,機關,,,,general,active\n"
		 "%s,,70-01-01,職員,機關,,,,general,active\n"
		 "%s,類型錯,70-01-01,職員,機關,,,,boss,active\n"
		 "%s,狀態錯,70-01-01,職員,機關,,,,general,retired\n"
		 "%s,欄位少,70-01-01,職員\n"
		 "%s,\xff\xfe,70-01-01,職員,機關,,,,general,active\n"
		 "%s,好人,70-01-01,職員,機關,單位,職稱,99-12-25,general,"
		 "active\n"
		 "%s,重複,70-01-01,職員,機關,,,,general,active\n",
		 id1, id2, id3, id4, id5, id6, id7, id7);
	path = harness_write_file("bad.csv", text);
	before = harness_slapcat();
	j = harness_kcgidm_json(&st, NULL, "roster", "import", path, NULL);
	assert_int_equal(st, 2);
	assert_int_equal(json_integer_value(json_object_get(j, "added")), 1);
	assert_int_equal(json_integer_value(json_object_get(j, "rejected")), 8);
	rows = json_object_get(j, "rejected_rows");
	assert_int_equal(json_array_size(rows), 8);
	for (i = 0; i < 8; i++) {
		row = json_array_get(rows, i);
		assert_int_equal(
			json_integer_value(json_object_get(row, "line")),
			expect[i].line);
		assert_string_equal(
			json_string_value(json_object_get(row, "field")),
			expect[i].field);
		if (strstr(json_string_value(json_object_get(row, "reason")),
			   expect[i].reason) == NULL)
			fail_msg("line %d: %s", expect[i].line,
				 json_string_value(
					 json_object_get(row, "reason")));
	}
	json_decref(j);
	after = harness_slapcat();
	/* exactly one new roster entry: the good row */
	assert_int_equal(
		harness_count(after, "dn: kcgNationalIdHash=") -
			harness_count(before, "dn: kcgNationalIdHash="),
		1);
	free(before);
	free(after);
	/* the good row is there under its own name, not the duplicate's */
	assert_int_equal(harness_kcgidm(&r, NULL, "verify", "--name", "好人",
					"--national-id", id7, NULL),
			 0);
	harness_run_free(&r);
	assert_int_equal(harness_kcgidm(&r, NULL, "verify", "--name", "重複",
					"--national-id", id7, NULL),
			 4);
	harness_run_free(&r);
}

static void test_import_update_and_dry_run(void **state)
{
	char text[2048], newid[11];
	struct run r;
	const char *path;

	harness_natid('T', 19999999, newid);
	/* 王小明 changes title; a new person appears; dry run first */
	snprintf(text, sizeof(text),
		 "%s"
		 "%s,新同仁,80-02-02,職員,資訊中心,,,,general,active\n",
		 roster_csv, newid);
	{
		char *p = strstr(text, ",教師,");

		assert_non_null(p);
		memcpy(p, ",組長,", strlen(",組長,"));
	}
	path = harness_write_file("update.csv", text);
	assert_int_equal(harness_kcgidm(&r, NULL, "roster", "import", path,
					"--dry-run", NULL),
			 0);
	assert_non_null(strstr(r.out, "added: 1"));
	assert_non_null(strstr(r.out, "updated: 1"));
	harness_run_free(&r);
	assert_int_equal(harness_kcgidm(&r, NULL, "verify", "--name", "新同仁",
					"--national-id", newid, NULL),
			 4);
	harness_run_free(&r);
	assert_int_equal(harness_kcgidm(&r, NULL, "verify", "--name", "王小明",
					"--national-id", "E123456783", NULL),
			 0);
	assert_non_null(strstr(r.out, "職稱: 教師"));
	harness_run_free(&r);

	assert_int_equal(
		harness_kcgidm(&r, NULL, "roster", "import", path, NULL), 0);
	assert_non_null(strstr(r.out, "added: 1"));
	assert_non_null(strstr(r.out, "updated: 1"));
	assert_non_null(strstr(r.out, "unchanged: 2"));
	harness_run_free(&r);
	assert_int_equal(harness_kcgidm(&r, NULL, "verify", "--name", "新同仁",
					"--national-id", newid, NULL),
			 0);
	harness_run_free(&r);
	assert_int_equal(harness_kcgidm(&r, NULL, "verify", "--name", "王小明",
					"--national-id", "E123456783", NULL),
			 0);
	assert_non_null(strstr(r.out, "職稱: 組長"));
	harness_run_free(&r);
	/* back to the original title for the other tests */
	assert_int_equal(
		harness_kcgidm(&r, NULL, "roster", "import", roster_path, NULL),
		0);
	harness_run_free(&r);
}

static void test_import_bad_header(void **state)
{
	struct run r;
	const char *path = harness_write_file(
		"header.csv", "national_id,name,birthday\nE123456783,x,1\n");

	assert_int_equal(
		harness_kcgidm(&r, NULL, "roster", "import", path, NULL), 2);
	assert_non_null(strstr(r.err, "birthday"));
	assert_non_null(strstr(r.err, ":1:"));
	harness_run_free(&r);
}

static void test_verify(void **state)
{
	static const struct {
		const char *name, *id;
		int status;
		const char *text; /* substring of stdout or stderr */
	} cases[] = {
		{"王小明", "E123456783", 0, "到職日: 99-12-25"},
		{"王小明", "e123456783", 0, "所屬機關: 仁武高級中學"},
		{"王小明", " E123456783 ", 0, "類別: 職員"},
		{"王大明", "E123456783", 4, "no active employee record"},
		{"黃淑芬", "A214365875", 4, "no active employee record"},
		{"王小明", "A123456789", 4, "no active employee record"},
		{"王小明", "E123456784", 2, "checksum"},
		{"王小明", "E12345678", 2, "national ID"},
		{"*)(cn=*", "E123456783", 4, "no active employee record"},
		{"", "E123456783", 2, "name"},
	};
	struct run r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		harness_kcgidm(&r, NULL, "verify", "--name", cases[i].name,
			       "--national-id", cases[i].id, NULL);
		if (r.status != cases[i].status ||
		    (strstr(r.out, cases[i].text) == NULL &&
		     strstr(r.err, cases[i].text) == NULL))
			fail_msg("case %zu: exit %d, out=%s err=%s", i,
				 r.status, r.out, r.err);
		/* never echo the full ID back */
		assert_null(strstr(r.out, "123456783"));
		assert_null(strstr(r.err, "123456783"));
		harness_run_free(&r);
	}
}

static void test_uid_check(void **state)
{
	static const struct {
		const char *uid;
		int status;
		const char *text;
	} cases[] = {
		{"wangxm", 0, "通過"},
		{"WangXM", 0, "帳號: wangxm"},
		{"postmaster", 2, "reserved"},
		{"Admin", 2, "reserved"},
		{"ab", 2, ""},
		{"a,b=c", 2, ""},
		{"wang*", 2, ""},
		{"王小明", 2, ""},
	};
	struct run r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		harness_kcgidm(&r, NULL, "uid", "check", cases[i].uid, NULL);
		if (r.status != cases[i].status ||
		    (strstr(r.out, cases[i].text) == NULL &&
		     strstr(r.err, cases[i].text) == NULL))
			fail_msg("case %zu (%s): exit %d, out=%s err=%s", i,
				 cases[i].uid, r.status, r.out, r.err);
		harness_run_free(&r);
	}
}

/* expect_refusal - case I ended with STATUS and TEXT on stderr; frees R. */
static void expect_refusal(struct run *r, size_t i, int status,
			   const char *text)
{
	if (r->status != status || strstr(r->err, text) == NULL)
		fail_msg("case %zu: exit %d, out=%s err=%s", i, r->status,
			 r->out, r->err);
	harness_run_free(r);
}

static void test_apply_refusals_leave_directory_unchanged(void **state)
{
	static const struct {
		const char *pw;
		const char *args[12];
		int status;
		const char *text;
	} cases[] = {
		{GOOD_PW,
		 {"--accept-privacy", "20200101_V0.9", NULL},
		 2,
		 "20230307_V1.0"},
		{GOOD_PW,
		 {"--accept-privacy", PRIVACY, "--mail", "--accept-mail-rules",
		  "OLD", "--recovery-mail", "a@example.com", NULL},
		 2,
		 MAILRULES},
		{GOOD_PW,
		 {"--accept-privacy", PRIVACY, "--mail", "--accept-mail-rules",
		  MAILRULES, NULL},
		 2,
		 "recovery"},
		{GOOD_PW,
		 {"--accept-privacy", PRIVACY, "--mail", "--accept-mail-rules",
		  MAILRULES, "--recovery-mail", "x@kcg.gov.tw", NULL},
		 2,
		 "outside"},
		{GOOD_PW,
		 {"--accept-privacy", PRIVACY, "--mail", "--accept-mail-rules",
		  MAILRULES, "--recovery-mail", "a@example.com\r\nBcc: x@y.z",
		  NULL},
		 2,
		 ""},
		{"alllowercase1\n",
		 {"--accept-privacy", PRIVACY, NULL},
		 5,
		 "3 of"},
		{"Short1!\n", {"--accept-privacy", PRIVACY, NULL}, 5, "8"},
		{"Chenml2024!\n",
		 {"--accept-privacy", PRIVACY, NULL},
		 5,
		 "login name"},
		{"Pass word12\n",
		 {"--accept-privacy", PRIVACY, NULL},
		 5,
		 "space"},
		{"\n", {"--accept-privacy", PRIVACY, NULL}, 2, "empty"},
	};
	struct run r;
	char *before = harness_slapcat(), *after;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *const *a = cases[i].args;

		harness_kcgidm(&r, cases[i].pw, "apply", "--name", "陳美玲",
			       "--national-id", "E223456712", "--uid", "chenml",
			       a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7],
			       NULL);
		expect_refusal(&r, i, cases[i].status, cases[i].text);
	}
	after = harness_slapcat();
	assert_int_equal(harness_count(before, "\ndn: "),
			 harness_count(after, "\ndn: "));
	assert_null(strstr(after, "uid=chenml"));
	free(before);
	free(after);
}

static void test_apply_approve_show(void **state)
{
	struct run r;
	char *ldif, *p;
	int st;
	json_t *j;

	assert_int_equal(harness_kcgidm(&r, GOOD_PW, "apply", "--name",
					"王小明", "--national-id", "E123456783",
					"--uid", "wangxm", "--accept-privacy",
					PRIVACY, "--mail",
					"--accept-mail-rules", MAILRULES,
					"--recovery-mail",
					"wang.home@example.com", NULL),
			 0);
	assert_non_null(strstr(r.out, "帳號申請單(已通過); "
				      "驗證方式：個人資料驗證"));
	assert_non_null(strstr(r.out, "帳號: wangxm"));
	assert_non_null(strstr(r.out, "公務電子郵件: wangxm@kcg.gov.tw"));
	assert_non_null(strstr(r.out, "pending"));
	harness_run_free(&r);

	/* the same person again: step 5-1 */
	assert_int_equal(harness_kcgidm(&r, NULL, "verify", "--name", "王小明",
					"--national-id", "E123456783", NULL),
			 3);
	assert_non_null(strstr(r.err, "您具備有效帳號，無法申請帳號。"));
	harness_run_free(&r);
	/* the uid is taken now, also as a mail address */
	assert_int_equal(
		harness_kcgidm(&r, NULL, "uid", "check", "wangxm", NULL), 3);
	harness_run_free(&r);

	ldif = harness_slapcat();
	p = strstr(ldif, "dn: uid=wangxm,ou=people,dc=kcg,dc=gov,dc=tw");
	assert_non_null(p);
	assert_non_null(strstr(p, "kcgAccountStatus: pending"));
	assert_non_null(strstr(p, "kcgMailQuota: 314572800"));
	assert_non_null(strstr(p, "kcgPrivacyConsentVersion: 20230307_V1.0"));
	assert_non_null(strstr(p, "kcgVerificationMethod: personal-data"));
	/* {ARGON2} is "e0FSR09OMn0" in base64 */
	assert_non_null(strstr(p, "userPassword:: e0FSR09OMn0"));
	assert_null(strstr(ldif, "E123456783"));
	assert_null(strstr(ldif, "1Qaz2wsx"));
	free(ldif);

	assert_int_equal(harness_kcgidm(&r, NULL, "approve", "wangxm", NULL),
			 0);
	harness_run_free(&r);
	assert_int_equal(harness_kcgidm(&r, NULL, "approve", "wangxm", NULL),
			 3);
	assert_non_null(strstr(r.err, "active"));
	harness_run_free(&r);
	assert_int_equal(harness_kcgidm(&r, NULL, "approve", "nobody1", NULL),
			 4);
	harness_run_free(&r);

	j = harness_kcgidm_json(&st, NULL, "show", "wangxm", NULL);
	assert_int_equal(st, 0);
	assert_string_equal(
		json_string_value(json_object_get(j, "kcgAccountStatus")),
		"active");
	assert_string_equal(
		json_string_value(json_object_get(j, "nationalIdMasked")),
		"E12*****83");
	assert_null(json_object_get(j, "kcgNationalIdHash"));
	assert_null(json_object_get(j, "userPassword"));
	json_decref(j);
	assert_int_equal(harness_kcgidm(&r, NULL, "show", "wangxm", NULL), 0);
	assert_null(strstr(r.out, "E123456783"));
	assert_null(strstr(r.out, "kcgNationalIdHash"));
	harness_run_free(&r);
}

/* apply's one lookup finds what verify and uid check find, and fails in
 * their order: no record, then an account of the person, then the uid
 * or its mailbox taken. Needs wangxm from test_apply_approve_show. */
static void test_apply_conflicts(void **state)
{
	static const struct {
		const char *name, *id, *uid;
		int status;
		const char *text;
	} cases[] = {
		{"王小明", "E123456783", "wangxm2", 3, "您具備有效帳號"},
		/* his own uid: the account comes first */
		{"王小明", "E123456783", "wangxm", 3, "您具備有效帳號"},
		{"陳美玲", "E223456712", "WangXM", 3, "uid is taken"},
		/* a former employee, and a wrong name: no record first */
		{"黃淑芬", "A214365875", "wangxm", 4, "no active employee"},
		{"王大明", "E123456783", "wangxm2", 4, "no active employee"},
		/* chenml's mailbox address belongs to wangxm (below) */
		{"陳美玲", "E223456712", "chenml", 3, "uid is taken"},
	};
	static const char *const mail_ldif[] = {
		"dn: uid=wangxm,ou=people,dc=kcg,dc=gov,dc=tw\n"
		"changetype: modify\nreplace: kcgMail\n"
		"kcgMail: chenml@kcg.gov.tw\n",
		"dn: uid=wangxm,ou=people,dc=kcg,dc=gov,dc=tw\n"
		"changetype: modify\nreplace: kcgMail\n"
		"kcgMail: wangxm@kcg.gov.tw\n",
	};
	static const char people[] =
		"(|(objectClass=kcgRosterRecord)(objectClass=kcgAccount))";
	char *before, *after;
	struct run r;
	size_t i, n = sizeof(cases) / sizeof(cases[0]);

	harness_ldapmodify_admin(mail_ldif[0]);
	/* not ou=services: kcgidm's binds change the provisioner (lastbind) */
	before = harness_slapcat_filter(people);
	for (i = 0; i < n; i++) {
		harness_kcgidm(&r, GOOD_PW, "apply", "--name", cases[i].name,
			       "--national-id", cases[i].id, "--uid",
			       cases[i].uid, "--accept-privacy", PRIVACY, NULL);
		expect_refusal(&r, i, cases[i].status, cases[i].text);
	}
	after = harness_slapcat_filter(people);
	harness_ldapmodify_admin(mail_ldif[1]);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static void test_user_can_bind(void **state)
{
	const char *pwfile = harness_write_file("pw", "1Qaz2wsx!Kcg");
	char *argv[] = {"/usr/bin/ldapwhoami",
			"-x",
			"-H",
			(char *)harness_ldapi(),
			"-D",
			"uid=wangxm,ou=people,dc=kcg,dc=gov,dc=tw",
			"-y",
			(char *)pwfile,
			NULL};
	struct run r;

	harness_run(&r, NULL, argv);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "uid=wangxm"));
	harness_run_free(&r);
}

/* apply_async - start an apply in the background; its pid. */
static pid_t apply_async(const char *name, const char *id, const char *uid)
{
	pid_t pid = fork();
	struct run r;

	assert_true(pid >= 0);
	if (pid == 0) {
		harness_kcgidm(&r, GOOD_PW, "apply", "--name", name,
			       "--national-id", id, "--uid", uid,
			       "--accept-privacy", PRIVACY, NULL);
		_exit(r.status);
	}
	return pid;
}

/* wait_status - the exit status of PID. */
static int wait_status(pid_t pid)
{
	int ws = 0;

	assert_int_equal(waitpid(pid, &ws, 0), pid);
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
}

static void test_concurrent_applies(void **state)
{
	char text[8192], ids[8][11], uid_a[32], uid_b[32];
	const char *path;
	struct run r;
	pid_t a, b;
	int i, sa, sb;
	size_t len;
	char *ldif;

	len = (size_t)snprintf(text, sizeof(text),
			       "national_id,name,birth_date,category,agency,"
			       "unit,title,hire_date,account_type,status\n");
	for (i = 0; i < 8; i++) {
		harness_natid('R', 20000000 + (unsigned long)i, ids[i]);
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"%s,賽跑%d,80-01-01,職員,機關,,,,"
					"general,active\n",
					ids[i], i);
	}
	path = harness_write_file("race.csv", text);
	assert_int_equal(
		harness_kcgidm(&r, NULL, "roster", "import", path, NULL), 0);
	harness_run_free(&r);

	for (i = 0; i < 4; i++) {
		char name[32];

		/* the same person, two different uids */
		snprintf(name, sizeof(name), "賽跑%d", i);
		snprintf(uid_a, sizeof(uid_a), "racea%d", i);
		snprintf(uid_b, sizeof(uid_b), "raceb%d", i);
		a = apply_async(name, ids[i], uid_a);
		b = apply_async(name, ids[i], uid_b);
		sa = wait_status(a);
		sb = wait_status(b);
		if (!((sa == 0 && sb == 3) || (sa == 3 && sb == 0)))
			fail_msg("same person, round %d: exits %d and %d", i,
				 sa, sb);
	}
	for (i = 4; i < 8; i += 2) {
		char n1[32], n2[32];

		/* two people, the same uid */
		snprintf(n1, sizeof(n1), "賽跑%d", i);
		snprintf(n2, sizeof(n2), "賽跑%d", i + 1);
		snprintf(uid_a, sizeof(uid_a), "samename%d", i);
		a = apply_async(n1, ids[i], uid_a);
		b = apply_async(n2, ids[i + 1], uid_a);
		sa = wait_status(a);
		sb = wait_status(b);
		if (!((sa == 0 && sb == 3) || (sa == 3 && sb == 0)))
			fail_msg("same uid, round %d: exits %d and %d", i, sa,
				 sb);
	}
	ldif = harness_slapcat();
	for (i = 0; i < 4; i++) {
		snprintf(uid_a, sizeof(uid_a), "uid=racea%d,", i);
		snprintf(uid_b, sizeof(uid_b), "uid=raceb%d,", i);
		assert_int_equal(harness_count(ldif, uid_a) +
					 harness_count(ldif, uid_b),
				 1);
	}
	/* the losers of the uid race can apply with another uid */
	free(ldif);
	for (i = 4; i < 8; i++) {
		snprintf(uid_a, sizeof(uid_a), "retry%d", i);
		harness_kcgidm(&r, GOOD_PW, "apply", "--name",
			       i == 4	? "賽跑4"
			       : i == 5 ? "賽跑5"
			       : i == 6 ? "賽跑6"
					: "賽跑7",
			       "--national-id", ids[i], "--uid", uid_a,
			       "--accept-privacy", PRIVACY, NULL);
		/* exactly one of each pair already has an account */
		assert_true(r.status == 0 || r.status == 3);
		harness_run_free(&r);
	}
}

static void test_bad_config_and_directory_down(void **state)
{
	struct run r;
	const char *conf = harness_write_file(
		"bad.conf", "ldap = {\n  uri = [ \"ldapi:///x\" ];\n"
			    "  timeout = \"soon\";\n};\n");
	char bin[512];
	char *argv[] = {bin, "-c", (char *)conf, "uid", "check", "abc", NULL};

	snprintf(bin, sizeof(bin), "%s/src/kcgidm/kcgidm",
		 getenv("KCG_TOP_BUILDDIR") ? getenv("KCG_TOP_BUILDDIR") : ".");
	harness_run(&r, NULL, argv);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "bad.conf:3: ldap.timeout"));
	harness_run_free(&r);

	harness_sandbox_stop();
	assert_int_equal(
		harness_kcgidm(&r, NULL, "uid", "check", "abcdef", NULL), 6);
	assert_non_null(strstr(r.err, "unavailable"));
	harness_run_free(&r);
	harness_sandbox_restart();
	assert_int_equal(
		harness_kcgidm(&r, NULL, "uid", "check", "abcdef", NULL), 0);
	harness_run_free(&r);
}

static void test_failover(void **state)
{
	char conf[8192], line[1024], bin[512];
	const char *path;
	char *argv[] = {bin, "-c", NULL, "uid", "check", "failover1", NULL};
	struct run r;
	FILE *in;
	size_t len = 0;

	/* the first URI refuses connections; kcgidm moves on to the next */
	snprintf(line, sizeof(line), "%s/kcgidm.conf", sandbox);
	in = fopen(line, "r");
	assert_non_null(in);
	while (fgets(line, sizeof(line), in) != NULL) {
		if (strstr(line, "uri = [ \"ldapi://") != NULL) {
			char *p = strstr(line, "[ ") + 2;

			len += (size_t)snprintf(
				conf + len, sizeof(conf) - len,
				"\turi = [ \"ldap://127.0.0.1:1\", "
				"%s",
				p);
		} else {
			len += (size_t)snprintf(conf + len, sizeof(conf) - len,
						"%s", line);
		}
	}
	fclose(in);
	path = harness_write_file("failover.conf", conf);
	argv[2] = (char *)path;
	snprintf(bin, sizeof(bin), "%s/src/kcgidm/kcgidm",
		 getenv("KCG_TOP_BUILDDIR"));
	harness_run(&r, NULL, argv);
	if (r.status != 0)
		fail_msg("exit %d: %s", r.status, r.err);
	assert_non_null(strstr(r.out, "通過"));
	harness_run_free(&r);
}

static void test_usage(void **state)
{
	struct run r;

	assert_int_equal(harness_kcgidm(&r, NULL, "frobnicate", NULL), 1);
	harness_run_free(&r);
	assert_int_equal(harness_kcgidm(&r, NULL, "apply", "--uid", "x", NULL),
			 1);
	harness_run_free(&r);
	assert_int_equal(
		harness_kcgidm(&r, NULL, "consent", "show", "privacy", NULL),
		0);
	assert_non_null(strstr(r.out, "20230307_V1.0"));
	assert_non_null(
		strstr(r.out, "單一登入平臺個人資料蒐集、處理及利用告知聲明"));
	harness_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_import_and_rerun),
		cmocka_unit_test(test_import_never_stores_plain_id),
		cmocka_unit_test(test_import_bad_rows),
		cmocka_unit_test(test_import_update_and_dry_run),
		cmocka_unit_test(test_import_bad_header),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_uid_check),
		cmocka_unit_test(test_apply_refusals_leave_directory_unchanged),
		cmocka_unit_test(test_apply_approve_show),
		cmocka_unit_test(test_apply_conflicts),
		cmocka_unit_test(test_user_can_bind),
		cmocka_unit_test(test_concurrent_applies),
		cmocka_unit_test(test_bad_config_and_directory_down),
		cmocka_unit_test(test_failover),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
