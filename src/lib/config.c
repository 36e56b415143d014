/*
 * config - kcgidm.conf through libconfig, driven by one table (config.h).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lber.h>
#include <ldap.h>
#include <libconfig.h>

#include "config.h"
#include "err.h"
#include "kcg.h"
#include "xalloc.h"

enum setting_type {
	SET_STR,
	SET_STRLIST,
	SET_INT,
	SET_INT64,
};

struct setting_def {
	const char *path; /* "group.name" */
	enum setting_type type;
	const char *def;    /* default as text; NULL: none */
	size_t offset;	    /* in struct kcg_config */
	long long min, max; /* range of SET_INT and SET_INT64 values */
};

#define S(path, type, def, field)                                              \
	{                                                                      \
		path, type, def, offsetof(struct kcg_config, field), 0, 0      \
	}
#define I(path, type, def, field, min, max)                                    \
	{                                                                      \
		path, type, def, offsetof(struct kcg_config, field), min, max  \
	}

static const struct setting_def settings[] = {
	S("ldap.uri", SET_STRLIST, "ldapi:///", ldap_uris),
	S("ldap.suffix", SET_STR, "dc=kcg,dc=gov,dc=tw", ldap_suffix),
	S("ldap.bind_dn", SET_STR, NULL, ldap_bind_dn),
	S("ldap.bind_password_file", SET_STR, NULL, ldap_bind_password_file),
	S("ldap.tls_ca_file", SET_STR, NULL, ldap_tls_ca_file),
	I("ldap.timeout", SET_INT, "10", ldap_timeout, 1, 300),
	S("idhash.key_file", SET_STR, KCG_SYSCONFDIR "/kcgidm/idhash.key",
	  idhash_key_file),
	S("consent.privacy_version", SET_STR, "20230307_V1.0", privacy_version),
	S("consent.mail_rules_version", SET_STR, "KCG-MAIL-RULES_V1.0",
	  mail_rules_version),
	S("consent.privacy_text_file", SET_STR,
	  KCG_PKGDATADIR "/privacy-notice.txt", privacy_text_file),
	S("consent.mail_rules_text_file", SET_STR,
	  KCG_PKGDATADIR "/mail-rules.txt", mail_rules_text_file),
	S("mail.domain", SET_STR, "kcg.gov.tw", mail_domain),
	I("mail.quota_bytes", SET_INT64, "314572800", mail_quota_bytes, 1,
	  1LL << 50),
	I("account.claim_stale_seconds", SET_INT, "600", claim_stale_seconds,
	  60, 86400),
	S("smtp.uri", SET_STR, "smtp://127.0.0.1:25", smtp_uri),
	S("smtp.tls", SET_STR, "none", smtp_tls),
	S("smtp.tls_ca_file", SET_STR, NULL, smtp_tls_ca_file),
	S("smtp.credentials_file", SET_STR, NULL, smtp_credentials_file),
	S("smtp.helo", SET_STR, "localhost", smtp_helo),
	I("smtp.timeout", SET_INT, "30", smtp_timeout, 1, 600),
	S("spool.dir", SET_STR, KCG_LOCALSTATEDIR "/spool/kcgidm", spool_dir),
	I("spool.retry_min", SET_INT, "60", spool_retry_min, 1, 86400),
	I("spool.retry_max", SET_INT, "3600", spool_retry_max, 1, 604800),
	I("spool.max_age", SET_INT, "432000", spool_max_age, 60, 90 * 86400),
	S("mail.from_ikpd", SET_STR,
	  "高雄市政府人事處人事服務網 <KPDFForum@kcg.gov.tw>", mail_from_ikpd),
	S("mail.from_account", SET_STR,
	  "高雄市政府資訊中心帳號管理系統 <noreply@kcg.gov.tw>",
	  mail_from_account),
	S("web.base_url", SET_STR, "https://ikpd.kcg.gov.tw", web_base_url),
	I("ikpd.token_hours", SET_INT, "48", ikpd_token_hours, 1, 24 * 30),
	I("account.reset_token_minutes", SET_INT, "60", reset_token_minutes, 5,
	  24 * 60),
	S("audit.file", SET_STR, KCG_LOCALSTATEDIR "/log/kcgidm/audit.log",
	  audit_file),
	S("review.mode", SET_STR, "manual", review_mode),
	I("review.delay_seconds", SET_INT, "3600", review_delay_seconds, 0,
	  30 * 86400),
	I("review.pending_max_days", SET_INT, "30", pending_max_days, 1, 3650),
	I("otp.enabled", SET_INT, "0", otp_enabled, 0, 1),
	S("otp.issuer", SET_STR, "KCG", otp_issuer),
	S("web.listen_address", SET_STR, "127.0.0.1", web_listen_address),
	I("web.listen_port", SET_INT, "8080", web_listen_port, 1, 65535),
	I("web.session_seconds", SET_INT, "900", web_session_seconds, 60,
	  86400),
	I("web.cookie_secure", SET_INT, "1", web_cookie_secure, 0, 1),
	I("web.rate_limit", SET_INT, "10", web_rate_limit, 1, 10000),
	I("web.max_sessions", SET_INT, "10000", web_max_sessions, 10, 1000000),
	S("web.contact_file", SET_STR, KCG_PKGDATADIR "/contact.txt",
	  web_contact_file),
	S("web.static_dir", SET_STR, KCG_PKGDATADIR "/static", web_static_dir),
	I("account.forgot_interval_seconds", SET_INT, "300",
	  forgot_interval_seconds, 0, 86400),
	S("cert.ca_file", SET_STR, NULL, cert_ca_file),
	S("cert.crl_file", SET_STR, NULL, cert_crl_file),
	S("cert.ocsp_url", SET_STR, NULL, cert_ocsp_url),
	I("cert.ocsp_timeout", SET_INT, "10", cert_ocsp_timeout, 1, 60),
	S("web.tls_cert_file", SET_STR, NULL, web_tls_cert_file),
	S("web.tls_key_file", SET_STR, NULL, web_tls_key_file),
	S("web.trust_cert_header", SET_STR, NULL, web_trust_cert_header),
};

/* field - the address of DEF's field in CFG. */
static void *field(struct kcg_config *cfg, const struct setting_def *def)
{
	return (char *)cfg + def->offset;
}

/* set_default - store DEF's default into CFG. */
static void set_default(struct kcg_config *cfg, const struct setting_def *def)
{
	char ***list;

	switch (def->type) {
	case SET_STR:
		*(char **)field(cfg, def) =
			def->def == NULL ? NULL : xstrdup(def->def);
		break;
	case SET_STRLIST:
		list = field(cfg, def);
		*list = xcalloc(2, sizeof(char *));
		(*list)[0] = xstrdup(def->def);
		break;
	case SET_INT:
		*(int *)field(cfg, def) = atoi(def->def);
		break;
	case SET_INT64:
		*(long long *)field(cfg, def) = atoll(def->def);
		break;
	}
}

/* where - "FILE:LINE: path" for messages about setting S. */
static const char *where(const struct kcg_config *cfg,
			 const config_setting_t *s, const char *path)
{
	const char *file = config_setting_source_file(s);

	return err_fmt("%s:%u: %s", file != NULL ? file : cfg->path,
		       config_setting_source_line(s), path);
}

/* name_at - true when NAME starts at LINE[I] as a whole word followed by
 * "=" or ":" (a setting, not a value that happens to hold the name). */
static int name_at(const char *line, size_t i, const char *name)
{
	size_t n = strlen(name);
	const char *p = line + i + n;

	if (strncmp(line + i, name, n) != 0)
		return 0;
	if (i > 0 && (isalnum((unsigned char)line[i - 1]) ||
		      line[i - 1] == '_' || line[i - 1] == '-'))
		return 0;
	p += strspn(p, " \t");
	return *p == '=' || *p == ':';
}

/*
 * literal_int - the integer that setting S's literal spells in its file,
 * in *v_r; *overflow_r when it does not fit 64 bits. libconfig 1.5 keeps
 * the low 32 bits of a literal that does not fit an int, so that
 * "timeout = 4294967306" reads as 10: the range check needs the text.
 * Returns 0, or -1 when the literal was not found (libconfig's value then
 * stands).
 */
static int literal_int(const struct kcg_config *cfg, const config_setting_t *s,
		       long long *v_r, int *overflow_r)
{
	const char *file = config_setting_source_file(s);
	const char *name = config_setting_name(s);
	unsigned int want = config_setting_source_line(s), n = 0;
	char *line = NULL, *p, *end;
	size_t cap = 0, i;
	struct stat st;
	FILE *fp;
	int fd, r = -1;

	if (file == NULL)
		file = cfg->path;
	if (name == NULL || want == 0)
		return -1;
	/* only a regular file can be read again (a FIFO is spent) */
	fd = open(file, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		return -1;
	}
	while (getline(&line, &cap, fp) >= 0)
		if (++n == want)
			break;
	if (n != want)
		goto out;
	for (i = 0; line[i] != '\0'; i++) {
		if (!name_at(line, i, name))
			continue;
		p = line + i + strlen(name);
		p += strspn(p, " \t");
		p++; /* '=' or ':' */
		p += strspn(p, " \t");
		if (*p != '-' && *p != '+' && !isdigit((unsigned char)*p))
			continue;
		errno = 0;
		/* base 10 or 16 as libconfig reads them: "010" is ten */
		*v_r = strtoll(
			p, &end,
			p[0] == '0' && (p[1] == 'x' || p[1] == 'X') ? 16 : 10);
		if (end == p)
			continue;
		*overflow_r = errno == ERANGE;
		r = 0;
		break;
	}
out:
	free(line);
	fclose(fp);
	return r;
}

/* check_literal - refuse an integer setting S whose text libconfig did not
 * read as written (it wrapped), naming the file, line and range. */
static int check_literal(const struct kcg_config *cfg,
			 const struct setting_def *def,
			 const config_setting_t *s, long long value,
			 const char **error_r)
{
	long long lit = 0;
	int overflow = 0;

	if (literal_int(cfg, s, &lit, &overflow) < 0)
		return 0;
	if (!overflow && lit == value)
		return 0;
	*error_r = err_fmt("%s: 數值超出範圍 / out of range: must be %lld to "
			   "%lld",
			   where(cfg, s, def->path), def->min, def->max);
	return KCG_EINVAL;
}

/* read_setting - copy libconfig setting S into CFG per DEF. */
static int read_setting(struct kcg_config *cfg, const struct setting_def *def,
			const config_setting_t *s, const char **error_r)
{
	char ***list;
	const char *str;
	int i, n;

	switch (def->type) {
	case SET_STR:
		if (config_setting_type(s) != CONFIG_TYPE_STRING)
			goto wrong_type;
		free(*(char **)field(cfg, def));
		*(char **)field(cfg, def) =
			xstrdup(config_setting_get_string(s));
		return 0;
	case SET_STRLIST:
		if (config_setting_type(s) == CONFIG_TYPE_STRING) {
			n = 1;
		} else if (config_setting_is_aggregate(s)) {
			n = config_setting_length(s);
		} else {
			goto wrong_type;
		}
		list = field(cfg, def);
		for (i = 0; (*list)[i] != NULL; i++)
			free((*list)[i]);
		free(*list);
		*list = xcalloc((size_t)n + 1, sizeof(char *));
		for (i = 0; i < n; i++) {
			str = config_setting_type(s) == CONFIG_TYPE_STRING
				      ? config_setting_get_string(s)
				      : config_setting_get_string_elem(s, i);
			if (str == NULL)
				goto wrong_type;
			(*list)[i] = xstrdup(str);
		}
		return 0;
	case SET_INT:
		if (config_setting_type(s) != CONFIG_TYPE_INT)
			goto wrong_type;
		*(int *)field(cfg, def) = config_setting_get_int(s);
		return check_literal(cfg, def, s, config_setting_get_int(s),
				     error_r);
	case SET_INT64:
		if (config_setting_type(s) != CONFIG_TYPE_INT &&
		    config_setting_type(s) != CONFIG_TYPE_INT64)
			goto wrong_type;
		*(long long *)field(cfg, def) = config_setting_get_int64(s);
		return check_literal(cfg, def, s, config_setting_get_int64(s),
				     error_r);
	}
wrong_type:
	*error_r = err_fmt("%s: 型別錯誤 / wrong type: expected %s",
			   where(cfg, s, def->path),
			   def->type == SET_STR	      ? "a string"
			   : def->type == SET_STRLIST ? "a string or a list of "
							"strings"
						      : "an integer");
	return KCG_EINVAL;
}

/* find_def - the table entry for PATH, or NULL. */
static const struct setting_def *find_def(const char *path)
{
	size_t i;

	for (i = 0; i < KCG_N_ELEMENTS(settings); i++)
		if (strcmp(settings[i].path, path) == 0)
			return &settings[i];
	return NULL;
}

/* read_all - walk the file's two levels, refusing what the table lacks. */
static int read_all(struct kcg_config *cfg, config_t *lc, const char **error_r)
{
	config_setting_t *root = config_root_setting(lc), *group, *s;
	const struct setting_def *def;
	const char *path;
	int i, j, r;

	for (i = 0; i < config_setting_length(root); i++) {
		group = config_setting_get_elem(root, (unsigned int)i);
		if (!config_setting_is_group(group)) {
			*error_r = err_fmt(
				"%s: 未知的設定 / unknown setting "
				"(settings live in groups such as "
				"ldap = { ... })",
				where(cfg, group, config_setting_name(group)));
			return KCG_EINVAL;
		}
		for (j = 0; j < config_setting_length(group); j++) {
			s = config_setting_get_elem(group, (unsigned int)j);
			path = err_fmt("%s.%s", config_setting_name(group),
				       config_setting_name(s));
			def = find_def(path);
			if (def == NULL) {
				*error_r = err_fmt("%s: 未知的設定 / unknown "
						   "setting",
						   where(cfg, s, path));
				return KCG_EINVAL;
			}
			r = read_setting(cfg, def, s, error_r);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* line_of - the line of setting PATH in LC, for value errors. */
static const char *line_of(const struct kcg_config *cfg, config_t *lc,
			   const char *path)
{
	config_setting_t *s = config_lookup(lc, path);

	if (s == NULL)
		return err_fmt("%s: %s (default)", cfg->path, path);
	return where(cfg, s, path);
}

/* is_dn - true when S is a non-empty LDAPv3 DN. */
static int is_dn(const char *s)
{
	LDAPDN dn = NULL;
	int ok;

	ok = ldap_str2dn(s, &dn, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS &&
	     dn != NULL;
	ldap_dnfree(dn);
	return ok;
}

/* check - reject values that cannot work, naming the setting. */
static int check(const struct kcg_config *cfg, config_t *lc,
		 const char **error_r)
{
	size_t i;
	const char *u;
	long long v;

	for (i = 0; i < KCG_N_ELEMENTS(settings); i++) {
		if (settings[i].type == SET_INT)
			v = *(const int *)((const char *)cfg +
					   settings[i].offset);
		else if (settings[i].type == SET_INT64)
			v = *(const long long *)((const char *)cfg +
						 settings[i].offset);
		else
			continue;
		if (v < settings[i].min || v > settings[i].max) {
			*error_r =
				err_fmt("%s: 必須介於 %lld 與 %lld / must be "
					"%lld to %lld",
					line_of(cfg, lc, settings[i].path),
					settings[i].min, settings[i].max,
					settings[i].min, settings[i].max);
			return KCG_EINVAL;
		}
	}
	if (cfg->ldap_uris[0] == NULL) {
		*error_r = err_fmt("%s: 至少需要一個 URI / at least one URI "
				   "is needed",
				   line_of(cfg, lc, "ldap.uri"));
		return KCG_EINVAL;
	}
	for (i = 0; cfg->ldap_uris[i] != NULL; i++) {
		u = cfg->ldap_uris[i];
		if (strncmp(u, "ldap://", 7) != 0 &&
		    strncmp(u, "ldaps://", 8) != 0 &&
		    strncmp(u, "ldapi://", 8) != 0) {
			*error_r = err_fmt("%s: 不是 LDAP URI / not an "
					   "ldap://, ldaps:// or ldapi:// URI: "
					   "%s",
					   line_of(cfg, lc, "ldap.uri"), u);
			return KCG_EINVAL;
		}
	}
	if (!is_dn(cfg->ldap_suffix)) {
		*error_r = err_fmt("%s: 不是 DN / not a DN (such as "
				   "dc=kcg,dc=gov,dc=tw)",
				   line_of(cfg, lc, "ldap.suffix"));
		return KCG_EINVAL;
	}
	if (cfg->ldap_bind_dn != NULL && !is_dn(cfg->ldap_bind_dn)) {
		*error_r = err_fmt("%s: 不是 DN / not a DN",
				   line_of(cfg, lc, "ldap.bind_dn"));
		return KCG_EINVAL;
	}
	if ((cfg->ldap_bind_dn == NULL) !=
	    (cfg->ldap_bind_password_file == NULL)) {
		*error_r =
			err_fmt("%s: bind_dn 與 bind_password_file 須同時設定 "
				"/ bind_dn and bind_password_file go "
				"together",
				line_of(cfg, lc,
					cfg->ldap_bind_dn == NULL
						? "ldap.bind_password_file"
						: "ldap.bind_dn"));
		return KCG_EINVAL;
	}
	if (strncmp(cfg->smtp_uri, "smtp://", 7) != 0 &&
	    strncmp(cfg->smtp_uri, "smtps://", 8) != 0) {
		*error_r = err_fmt("%s: 須為 smtp:// 或 smtps:// / must be "
				   "smtp://host:port or smtps://host:port",
				   line_of(cfg, lc, "smtp.uri"));
		return KCG_EINVAL;
	}
	if (strcmp(cfg->review_mode, "manual") != 0 &&
	    strcmp(cfg->review_mode, "auto") != 0) {
		*error_r = err_fmt("%s: 須為 manual 或 auto / must be manual "
				   "or auto",
				   line_of(cfg, lc, "review.mode"));
		return KCG_EINVAL;
	}
	if (strcmp(cfg->smtp_tls, "none") != 0 &&
	    strcmp(cfg->smtp_tls, "starttls") != 0) {
		*error_r = err_fmt("%s: 須為 none 或 starttls / must be none "
				   "or starttls",
				   line_of(cfg, lc, "smtp.tls"));
		return KCG_EINVAL;
	}
	if (cfg->spool_retry_max < cfg->spool_retry_min) {
		*error_r = err_fmt("%s: 不可小於 retry_min / must not be below "
				   "spool.retry_min",
				   line_of(cfg, lc, "spool.retry_max"));
		return KCG_EINVAL;
	}
	if (strncmp(cfg->web_base_url, "https://", 8) != 0 &&
	    strncmp(cfg->web_base_url, "http://", 7) != 0) {
		*error_r = err_fmt("%s: 須為 http(s):// 網址 / must be an "
				   "http(s):// URL",
				   line_of(cfg, lc, "web.base_url"));
		return KCG_EINVAL;
	}
	if ((cfg->cert_ca_file == NULL) != (cfg->cert_crl_file == NULL)) {
		*error_r = err_fmt("%s: ca_file 與 crl_file 須同時設定（憑證須"
				   "檢查廢止）/ ca_file and crl_file go "
				   "together: revocation is always checked",
				   line_of(cfg, lc,
					   cfg->cert_ca_file == NULL
						   ? "cert.crl_file"
						   : "cert.ca_file"));
		return KCG_EINVAL;
	}
	if (cfg->cert_ocsp_url != NULL && cfg->cert_ocsp_url[0] != '\0' &&
	    (strncmp(cfg->cert_ocsp_url, "http://", 7) != 0 ||
	     cfg->cert_ocsp_url[7] == '\0' || cfg->cert_ca_file == NULL)) {
		*error_r = err_fmt("%s: 須為 http:// 網址且須設定 cert.ca_file "
				   "/ must be an http:// URL, and needs "
				   "cert.ca_file",
				   line_of(cfg, lc, "cert.ocsp_url"));
		return KCG_EINVAL;
	}
	if ((cfg->web_tls_cert_file == NULL) !=
	    (cfg->web_tls_key_file == NULL)) {
		*error_r = err_fmt("%s: tls_cert_file 與 tls_key_file 須同時設"
				   "定 / tls_cert_file and tls_key_file go "
				   "together",
				   line_of(cfg, lc,
					   cfg->web_tls_cert_file == NULL
						   ? "web.tls_key_file"
						   : "web.tls_cert_file"));
		return KCG_EINVAL;
	}
	if (cfg->web_trust_cert_header != NULL &&
	    cfg->web_tls_cert_file != NULL) {
		/* a client on the loopback could name anybody's (public)
		 * certificate in the header, with no proxy to overwrite it */
		*error_r = err_fmt("%s: kcgidmd 自行提供 TLS 時沒有可信任的代理"
				   " / with web.tls_cert_file there is no "
				   "proxy whose header could be trusted",
				   line_of(cfg, lc, "web.trust_cert_header"));
		return KCG_EINVAL;
	}
	if (cfg->web_trust_cert_header != NULL &&
	    (cfg->web_trust_cert_header[0] == '\0' ||
	     strspn(cfg->web_trust_cert_header,
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789-") != strlen(cfg->web_trust_cert_header))) {
		*error_r =
			err_fmt("%s: 不是 HTTP 標頭名稱 / not an HTTP header "
				"name",
				line_of(cfg, lc, "web.trust_cert_header"));
		return KCG_EINVAL;
	}
	if (cfg->mail_domain[0] == '\0' || strchr(cfg->mail_domain, '@')) {
		*error_r = err_fmt("%s: 不是網域名稱 / not a domain name",
				   line_of(cfg, lc, "mail.domain"));
		return KCG_EINVAL;
	}
	return 0;
}

const char *config_path(const char *explicit_path)
{
	const char *env;

	if (explicit_path != NULL)
		return explicit_path;
	env = getenv("KCGIDM_CONF");
	if (env != NULL && env[0] != '\0')
		return env;
	return CONFIG_DEFAULT_PATH;
}

int config_load(const char *path, struct kcg_config **cfg_r,
		const char **error_r)
{
	int r = KCG_EINVAL;
	config_t lc;
	struct kcg_config *cfg = NULL;
	size_t i;

	config_init(&lc);
	cfg = xcalloc(1, sizeof(*cfg));
	cfg->path = xstrdup(path);
	for (i = 0; i < KCG_N_ELEMENTS(settings); i++)
		set_default(cfg, &settings[i]);
	if (config_read_file(&lc, path) != CONFIG_TRUE) {
		if (config_error_type(&lc) == CONFIG_ERR_FILE_IO)
			*error_r = err_fmt("%s: 無法讀取設定檔 / cannot read "
					   "the configuration file",
					   path);
		else
			*error_r = err_fmt("%s:%d: 語法錯誤 / syntax error: "
					   "%s",
					   config_error_file(&lc) != NULL
						   ? config_error_file(&lc)
						   : path,
					   config_error_line(&lc),
					   config_error_text(&lc));
		goto out;
	}
	r = read_all(cfg, &lc, error_r);
	if (r < 0)
		goto out;
	r = check(cfg, &lc, error_r);
	if (r < 0)
		goto out;
	*cfg_r = cfg;
	cfg = NULL;
out:
	config_destroy(&lc);
	config_free(&cfg);
	return r;
}

void config_free(struct kcg_config **cfgp)
{
	struct kcg_config *cfg = *cfgp;
	size_t i;
	char **list;

	if (cfg == NULL)
		return;
	for (i = 0; i < KCG_N_ELEMENTS(settings); i++) {
		switch (settings[i].type) {
		case SET_STR:
			free(*(char **)field(cfg, &settings[i]));
			break;
		case SET_STRLIST:
			list = *(char ***)field(cfg, &settings[i]);
			for (size_t j = 0; list != NULL && list[j] != NULL; j++)
				free(list[j]);
			free(list);
			break;
		default:
			break;
		}
	}
	free(cfg->path);
	free(cfg);
	*cfgp = NULL;
}
