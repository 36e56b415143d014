/*
 * config - kcgidm.conf, read with libconfig.
 *
 * One declarative table (config.c) lists every setting with its type and
 * default; config_load() reads the file, refuses unknown settings and
 * wrong types, then checks values, naming the file, the line and the
 * setting in every error. The result is a plain, read-only record.
 *
 * Example (etc/kcgidm.conf.example documents every setting):
 *   ldap = { uri = [ "ldapi:///" ]; bind_dn = "cn=provisioner,..."; };
 *   idhash = { key_file = "/etc/kcgidm/idhash.key"; };
 */
#ifndef KCG_CONFIG_H
#define KCG_CONFIG_H

#include <stddef.h>

#define CONFIG_DEFAULT_PATH KCG_SYSCONFDIR "/kcgidm/kcgidm.conf"

struct kcg_config {
	/* ldap */
	char **ldap_uris; /* NULL-terminated, at least one */
	char *ldap_suffix;
	char *ldap_bind_dn;	       /* NULL: SASL EXTERNAL over ldapi */
	char *ldap_bind_password_file; /* mode 0600 */
	char *ldap_tls_ca_file;	       /* NULL: system default */
	int ldap_timeout;	       /* seconds, network and operations */
	/* idhash */
	char *idhash_key_file;
	/* consent */
	char *privacy_version;
	char *mail_rules_version;
	char *privacy_text_file;
	char *mail_rules_text_file;
	/* mail */
	char *mail_domain;
	long long mail_quota_bytes;
	/* account */
	int claim_stale_seconds; /* when an unfinished apply's claim lapses */
	/* where this came from, for messages */
	char *path;
};

/*
 * config_load - read PATH. Returns 0 with a new record in *cfg_r (free
 * with config_free), or KCG_EINVAL with "FILE:LINE: setting: reason" in
 * *error_r.
 */
int config_load(const char *path, struct kcg_config **cfg_r,
		const char **error_r);

/*
 * config_path - the file to read: EXPLICIT when not NULL, else
 * $KCGIDM_CONF when set, else CONFIG_DEFAULT_PATH. Static or caller's
 * memory; never freed.
 */
const char *config_path(const char *explicit_path);

/* config_free - free *cfgp and set it to NULL. */
void config_free(struct kcg_config **cfgp);

#endif
