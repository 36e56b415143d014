/*
 * fuzz_config - config_load on an arbitrary kcgidm.conf.
 *
 * config_load reads a file, so each input is written to one temporary
 * file (made once per process in $TMPDIR or /dev/shm, removed at exit).
 * Inputs that mention "include" are skipped: libconfig's @include would
 * read other files (/dev/stdin, /dev/zero), which tests the fuzzer's host,
 * not kcgidm.
 *
 * Invariants: a refusal is KCG_EINVAL with a reason that starts with the
 * file's name and, when it is about a line, a line of the file (config.h:
 * "FILE:LINE: setting: reason"); an accepted record
 * has every setting with a default set, at least one LDAP URI of a known
 * scheme, and its integers within the table's ranges.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"
#include "kcg.h"

static char conf_path[256];

/* remove_conf - atexit: remove the temporary file */
static void remove_conf(void)
{
	if (conf_path[0] != '\0')
		unlink(conf_path);
}

/* conf_dir - $TMPDIR, else /dev/shm (no disk writes), else /tmp */
static const char *conf_dir(void)
{
	const char *tmp = getenv("TMPDIR");

	if (tmp != NULL && tmp[0] != '\0')
		return tmp;
	return access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : "/tmp";
}

/* write_conf - DATA[0..SIZE) as the whole of the temporary file */
static void write_conf(const uint8_t *data, size_t size)
{
	FILE *fp = NULL;
	int fd = -1;

	if (conf_path[0] == '\0') {
		snprintf(conf_path, sizeof(conf_path),
			 "%s/kcg-fuzz-conf.XXXXXX", conf_dir());
		fd = mkstemp(conf_path);
		FUZZ_ASSERT(fd >= 0);
		close(fd);
		atexit(remove_conf);
	}
	fp = fopen(conf_path, "w");
	FUZZ_ASSERT(fp != NULL);
	FUZZ_ASSERT(fwrite(data, 1, size, fp) == size);
	FUZZ_ASSERT(fclose(fp) == 0);
}

/* mentions_include - DATA holds "include" in any case */
static int mentions_include(const uint8_t *data, size_t size)
{
	static const char word[] = "include";
	size_t i = 0, k = 0;

	for (i = 0; i + sizeof(word) - 1 <= size; i++) {
		for (k = 0; k < sizeof(word) - 1; k++) {
			uint8_t c = data[i + k];

			if ((c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c) !=
			    word[k])
				break;
		}
		if (k == sizeof(word) - 1)
			return 1;
	}
	return 0;
}

/* in_range - MIN <= V <= MAX */
static int in_range(long long v, long long min, long long max)
{
	return v >= min && v <= max;
}

/* check_config - what config_load promises about an accepted record */
static void check_config(const struct kcg_config *c)
{
	size_t i = 0;

	FUZZ_ASSERT(c->path != NULL && strcmp(c->path, conf_path) == 0);
	FUZZ_ASSERT(c->ldap_uris != NULL && c->ldap_uris[0] != NULL);
	for (i = 0; c->ldap_uris[i] != NULL; i++)
		FUZZ_ASSERT(strncmp(c->ldap_uris[i], "ldap://", 7) == 0 ||
			    strncmp(c->ldap_uris[i], "ldaps://", 8) == 0 ||
			    strncmp(c->ldap_uris[i], "ldapi://", 8) == 0);
	FUZZ_ASSERT((c->ldap_bind_dn == NULL) ==
		    (c->ldap_bind_password_file == NULL));
	FUZZ_ASSERT(c->ldap_suffix != NULL && c->idhash_key_file != NULL);
	FUZZ_ASSERT(c->privacy_version != NULL &&
		    c->mail_rules_version != NULL);
	FUZZ_ASSERT(c->privacy_text_file != NULL &&
		    c->mail_rules_text_file != NULL);
	FUZZ_ASSERT(c->mail_domain != NULL && c->mail_domain[0] != '\0' &&
		    strchr(c->mail_domain, '@') == NULL);
	FUZZ_ASSERT(c->smtp_uri != NULL &&
		    (strncmp(c->smtp_uri, "smtp://", 7) == 0 ||
		     strncmp(c->smtp_uri, "smtps://", 8) == 0));
	FUZZ_ASSERT(c->smtp_tls != NULL &&
		    (strcmp(c->smtp_tls, "none") == 0 ||
		     strcmp(c->smtp_tls, "starttls") == 0));
	FUZZ_ASSERT(c->smtp_helo != NULL && c->spool_dir != NULL);
	FUZZ_ASSERT(c->mail_from_ikpd != NULL && c->mail_from_account != NULL);
	FUZZ_ASSERT(c->web_base_url != NULL &&
		    (strncmp(c->web_base_url, "https://", 8) == 0 ||
		     strncmp(c->web_base_url, "http://", 7) == 0));
	FUZZ_ASSERT(c->audit_file != NULL && c->review_mode != NULL);
	FUZZ_ASSERT(strcmp(c->review_mode, "manual") == 0 ||
		    strcmp(c->review_mode, "auto") == 0);
	FUZZ_ASSERT(c->web_listen_address != NULL &&
		    c->web_contact_file != NULL && c->web_static_dir != NULL);
	FUZZ_ASSERT(in_range(c->ldap_timeout, 1, 300));
	FUZZ_ASSERT(in_range(c->mail_quota_bytes, 1, 1LL << 50));
	FUZZ_ASSERT(in_range(c->claim_stale_seconds, 60, 86400));
	FUZZ_ASSERT(in_range(c->smtp_timeout, 1, 600));
	FUZZ_ASSERT(in_range(c->spool_retry_min, 1, 86400));
	FUZZ_ASSERT(in_range(c->spool_retry_max, c->spool_retry_min, 604800));
	FUZZ_ASSERT(in_range(c->spool_max_age, 60, 90 * 86400));
	FUZZ_ASSERT(in_range(c->ikpd_token_hours, 1, 24 * 30));
	FUZZ_ASSERT(in_range(c->reset_token_minutes, 5, 24 * 60));
	FUZZ_ASSERT(in_range(c->forgot_interval_seconds, 0, 86400));
	FUZZ_ASSERT(in_range(c->review_delay_seconds, 0, 30 * 86400));
	FUZZ_ASSERT(in_range(c->pending_max_days, 1, 3650));
	FUZZ_ASSERT(in_range(c->web_listen_port, 1, 65535));
	FUZZ_ASSERT(in_range(c->web_session_seconds, 60, 86400));
	FUZZ_ASSERT(in_range(c->web_cookie_secure, 0, 1));
	FUZZ_ASSERT(in_range(c->web_rate_limit, 1, 10000));
	FUZZ_ASSERT(in_range(c->web_max_sessions, 10, 1000000));
}

/*
 * check_error - ERROR names the file, then the line of DATA[0..SIZE) at
 * fault ("FILE:LINE: ...") or a setting left at its default ("FILE: ...").
 */
static void check_error(const char *error, const uint8_t *data, size_t size)
{
	size_t len = strlen(conf_path), lines = 1, i = 0;
	char *end = NULL;
	unsigned long line = 0;

	FUZZ_ASSERT(strncmp(error, conf_path, len) == 0);
	FUZZ_ASSERT(error[len] == ':');
	if (error[len + 1] == ' ')
		return;
	line = strtoul(error + len + 1, &end, 10);
	FUZZ_ASSERT(end != error + len + 1 && *end == ':');
	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	FUZZ_ASSERT(line <= lines);
}

int FUZZ_ENTRY(config)(const uint8_t *data, size_t size)
{
	struct kcg_config *cfg = NULL;
	const char *error = NULL;
	int r = 0;

	if (mentions_include(data, size))
		return 0;
	write_conf(data, size);
	r = config_load(conf_path, &cfg, &error);
	if (r == 0) {
		FUZZ_ASSERT(cfg != NULL);
		check_config(cfg);
		config_free(&cfg);
		FUZZ_ASSERT(cfg == NULL);
	} else {
		FUZZ_ASSERT(r == KCG_EINVAL);
		FUZZ_ASSERT(cfg == NULL);
		FUZZ_ASSERT(error != NULL);
		check_error(error, data, size);
	}
	return 0;
}
