/*
 * test_config - kcgidm.conf: defaults, overrides, and errors that name
 * the file, the line and the setting.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "kcg.h"

static char path[] = "/tmp/test_config.XXXXXX";

/* load - write TEXT to the temp file and load it. */
static int load(const char *text, struct kcg_config **cfg_r,
		const char **error_r)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	return config_load(path, cfg_r, error_r);
}

static int setup(void **state)
{
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	return unlink(path);
}

static void test_defaults(void **state)
{
	struct kcg_config *cfg = NULL;
	const char *err = NULL;

	assert_int_equal(load("", &cfg, &err), 0);
	assert_string_equal(cfg->ldap_uris[0], "ldapi:///");
	assert_null(cfg->ldap_uris[1]);
	assert_string_equal(cfg->ldap_suffix, "dc=kcg,dc=gov,dc=tw");
	assert_null(cfg->ldap_bind_dn);
	assert_string_equal(cfg->privacy_version, "20230307_V1.0");
	assert_string_equal(cfg->mail_rules_version, "KCG-MAIL-RULES_V1.0");
	assert_string_equal(cfg->mail_domain, "kcg.gov.tw");
	assert_int_equal(cfg->mail_quota_bytes, 300LL * 1024 * 1024);
	config_free(&cfg);
	assert_null(cfg);
}

static void test_overrides(void **state)
{
	struct kcg_config *cfg = NULL;
	const char *err = NULL;

	assert_int_equal(load("ldap = {\n"
			      "  uri = [ \"ldap://a.example\", "
			      "\"ldaps://b.example\" ];\n"
			      "  bind_dn = \"cn=p,dc=x\";\n"
			      "  bind_password_file = \"/x\";\n"
			      "  timeout = 3;\n"
			      "};\n"
			      "mail = { quota_bytes = 1000000000000L; };\n",
			      &cfg, &err),
			 0);
	assert_string_equal(cfg->ldap_uris[0], "ldap://a.example");
	assert_string_equal(cfg->ldap_uris[1], "ldaps://b.example");
	assert_null(cfg->ldap_uris[2]);
	assert_string_equal(cfg->ldap_bind_dn, "cn=p,dc=x");
	assert_int_equal(cfg->ldap_timeout, 3);
	assert_int_equal(cfg->mail_quota_bytes, 1000000000000LL);
	config_free(&cfg);

	/* a single string is accepted for a list */
	assert_int_equal(load("ldap = { uri = \"ldapi:///x\"; };", &cfg, &err),
			 0);
	assert_string_equal(cfg->ldap_uris[0], "ldapi:///x");
	config_free(&cfg);
}

static void test_errors(void **state)
{
	static const struct {
		const char *text;
		const char *expect[3]; /* substrings of the message */
	} cases[] = {
		{"ldap = {\n  urii = \"x\";\n};\n",
		 {":2:", "ldap.urii", "unknown setting"}},
		{"\n\nfoo = 1;\n", {":3:", "foo", "unknown setting"}},
		{"ldap = {\n\n  timeout = \"10\";\n};\n",
		 {":3:", "ldap.timeout", "wrong type"}},
		{"ldap = { timeout = 0; };\n",
		 {":1:", "ldap.timeout", "1 to 300"}},
		{"smtp = {\n timeout = 0;\n};\n",
		 {":2:", "smtp.timeout", "1 to 600"}},
		{"spool = {\n retry_min = 100;\n retry_max = 10;\n};\n",
		 {":3:", "spool.retry_max", "retry_min"}},
		{"smtp = { uri = \"http://x\"; };\n",
		 {":1:", "smtp.uri", "smtp://"}},
		{"smtp = { tls = \"maybe\"; };\n",
		 {":1:", "smtp.tls", "starttls"}},
		{"account = { reset_token_minutes = 1; };\n",
		 {":1:", "account.reset_token_minutes", "5 to"}},
		{"ldap = { uri = [ \"http://x\" ]; };\n",
		 {":1:", "ldap.uri", "not an"}},
		{"ldap = {\n bind_dn = \"cn=x\";\n};\n",
		 {"ldap.bind_dn", "go together", NULL}},
		{"ldap = { uri = ; };\n", {":1:", "syntax error", NULL}},
		{"mail = {\n domain = \"a@b\";\n};\n",
		 {":2:", "mail.domain", "domain"}},
		{"mail = { quota_bytes = -1; };\n",
		 {"mail.quota_bytes", "1 to", NULL}},
		/* libconfig 1.5 keeps the low 32 bits: these would read as
		 * 10 and as 705032704 (in range) */
		{"ldap = {\n timeout = 4294967306;\n};\n",
		 {":2:", "ldap.timeout", "1 to 300"}},
		{"mail = {\n quota_bytes = 5000000000;\n};\n",
		 {":2:", "mail.quota_bytes", "out of range"}},
		{"ldap = { timeout = 99999999999999999999999; };\n",
		 {":1:", "ldap.timeout", "1 to 300"}},
		{"ldap = {\n suffix = \"not a DN\";\n};\n",
		 {":2:", "ldap.suffix", "not a DN"}},
		{"ldap = { suffix = \"\"; };\n",
		 {":1:", "ldap.suffix", "not a DN"}},
		{"ldap = {\n bind_dn = \"x\";\n bind_password_file = "
		 "\"/x\";\n};\n",
		 {":2:", "ldap.bind_dn", "not a DN"}},
		{"cert = {\n ca_file = \"/c\";\n crl_file = \"/r\";\n ocsp_url "
		 "= \"https://o.example/\";\n};\n",
		 {":4:", "cert.ocsp_url", "http:// URL"}},
		{"cert = {\n ocsp_url = \"http://o.example/\";\n};\n",
		 {":2:", "cert.ocsp_url", "needs cert.ca_file"}},
		{"cert = { ocsp_timeout = 0; };\n",
		 {":1:", "cert.ocsp_timeout", "1 to 60"}},
	};
	struct kcg_config *cfg = NULL;
	const char *err = NULL;
	size_t i, j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err = NULL;
		assert_int_equal(load(cases[i].text, &cfg, &err), KCG_EINVAL);
		assert_null(cfg);
		assert_non_null(err);
		assert_non_null(strstr(err, path));
		for (j = 0; j < 3 && cases[i].expect[j] != NULL; j++) {
			if (strstr(err, cases[i].expect[j]) == NULL)
				fail_msg("case %zu: \"%s\" lacks \"%s\"", i,
					 err, cases[i].expect[j]);
		}
	}
	assert_int_equal(config_load("/nonexistent/kcgidm.conf", &cfg, &err),
			 KCG_EINVAL);
	assert_non_null(strstr(err, "/nonexistent/kcgidm.conf"));
}

static void test_example_file_loads(void **state)
{
	char path_ex[1024];
	struct kcg_config *cfg = NULL;
	const char *err = NULL;
	const char *top = getenv("KCG_TOP_SRCDIR");

	snprintf(path_ex, sizeof(path_ex), "%s/etc/kcgidm.conf.example",
		 top != NULL ? top : "../..");
	if (config_load(path_ex, &cfg, &err) != 0)
		fail_msg("%s", err);
	assert_string_equal(
		cfg->mail_from_ikpd,
		"高雄市政府人事處人事服務網 <KPDFForum@kcg.gov.tw>");
	assert_int_equal(cfg->ikpd_token_hours, 48);
	config_free(&cfg);
}

static void test_path(void **state)
{
	assert_string_equal(config_path("/a"), "/a");
	setenv("KCGIDM_CONF", "/b", 1);
	assert_string_equal(config_path(NULL), "/b");
	unsetenv("KCGIDM_CONF");
	assert_string_equal(config_path(NULL), CONFIG_DEFAULT_PATH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_example_file_loads),
		cmocka_unit_test(test_path),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
