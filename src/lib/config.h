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
	/* smtp: how kcgidm-mailer reaches the MTA */
	char *smtp_uri;		/* smtp://host:port or smtps://host:port */
	char *smtp_tls;		/* none | starttls (smtps:// implies TLS) */
	char *smtp_tls_ca_file; /* NULL: system trust store */
	char *smtp_credentials_file; /* "user\npassword\n", mode 0600; NULL */
	char *smtp_helo;	     /* EHLO name */
	int smtp_timeout;	     /* seconds: connect, TLS and each reply */
	/* spool */
	char *spool_dir;
	int spool_retry_min; /* seconds before the first retry */
	int spool_retry_max; /* backoff ceiling, seconds */
	int spool_max_age;   /* seconds before a 4xx-looping message is dead */
	/* mail senders and links */
	char *mail_from_ikpd;	 /* "高雄市政府人事處人事服務網
				    <KPDFForum@kcg.gov.tw>" */
	char *mail_from_account; /* sender of reset and forgot-account mail */
	char *web_base_url;   /* links in mail: <base_url>/ikpd/activate?... */
	int ikpd_token_hours; /* activation link lifetime (48) */
	int reset_token_minutes;     /* reset link lifetime (60) */
	int forgot_interval_seconds; /* rate limit per account for forgot-* */
	/* audit and lifecycle */
	char *audit_file;	  /* one JSON line per write; append-only */
	char *review_mode;	  /* manual | auto */
	int review_delay_seconds; /* auto: approve applications this old */
	int pending_max_days;	  /* purge: applications never reviewed */
	/* otp: 動態密碼 with slapd's otp overlay */
	int otp_enabled;  /* 1: the web sign-in asks for the code */
	char *otp_issuer; /* the issuer an authenticator app shows */
	/* kcgidmd, the web front */
	char *web_listen_address; /* 127.0.0.1: behind a TLS reverse proxy */
	int web_listen_port;
	int web_session_seconds; /* idle lifetime of a session */
	int web_cookie_secure;	 /* 1: cookies carry Secure (behind TLS) */
	int web_rate_limit;	 /* attempts per minute per IP and identity */
	int web_max_sessions;
	char *web_contact_file; /* 聯絡人資訊 page text */
	char *web_static_dir;	/* CSS and scripts */
	/* citizen certificates (自然人憑證); see docs/citizen-certificate.md */
	char *cert_ca_file;	     /* NULL: the method is off */
	char *cert_crl_file;	     /* required with cert_ca_file */
	char *cert_ocsp_url;	     /* NULL or "": no OCSP; else http:// */
	int cert_ocsp_timeout;	     /* seconds, per OCSP request */
	char *web_tls_cert_file;     /* kcgidmd serves HTTPS itself */
	char *web_tls_key_file;	     /* with web_tls_cert_file */
	char *web_trust_cert_header; /* a proxy's client-certificate header */
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
