/*
 * dir - the directory session over libldap (see dir.h).
 */
#include <signal.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <lber.h>
#include <ldap.h>
#include <sasl/sasl.h>

#include "config.h"
#include "dir.h"
#include "err.h"
#include "kcg.h"
#include "log.h"
#include "secret.h"
#include "xalloc.h"

struct dir {
	const struct kcg_config *cfg;
	char *user_dn; /* a session bound as a user, not the provisioner */
	char *user_pw;
	LDAP *ld;
	size_t uri_index;     /* which of cfg->ldap_uris ld talks to */
	time_t failover_time; /* when we left ldap_uris[0], or 0 */
	int last_code;
	char *last_diag;
	int ppolicy_error;
	struct berval *txn_id; /* an open RFC 5805 transaction, or NULL */
	int txn_in_progress;   /* begun and not yet ended (even if lost) */
	int last_msgid;	       /* message ID of the last write */
};

struct dir_attr {
	char *name;
	char **values;
	size_t n;
};

struct dir_entry {
	char *dn;
	struct dir_attr *attrs;
	size_t n_attrs;
};

struct dir_result {
	struct dir_entry **entries;
	size_t n;
};

struct dir_mod {
	enum dir_mod_op op;
	char *attr;
	char **values; /* NULL-terminated */
	size_t n;
	int secret;
};

struct dir_mods {
	struct dir_mod *mods;
	size_t n;
};

/* set_last - remember the outcome of the last operation. */
static void set_last(struct dir *dir, int code, const char *diag)
{
	free(dir->last_diag);
	dir->last_code = code;
	dir->last_diag = xstrdup(diag != NULL ? diag : "");
}

/* is_unavailable - codes that mean "the server is not there right now". */
static int is_unavailable(int code)
{
	return code == LDAP_SERVER_DOWN || code == LDAP_CONNECT_ERROR ||
	       code == LDAP_TIMEOUT || code == LDAP_UNAVAILABLE ||
	       code == LDAP_BUSY;
}

/* disconnect - drop the connection; the next operation reconnects. */
static void disconnect(struct dir *dir)
{
	if (dir->txn_id != NULL) { /* the server forgets it with us */
		ber_bvfree(dir->txn_id);
		dir->txn_id = NULL;
	}
	if (dir->ld != NULL) {
		ldap_unbind_ext_s(dir->ld, NULL, NULL);
		dir->ld = NULL;
	}
}

/* is_loopback_uri - ldap:// URI whose host is the loopback. */
static int needs_starttls(const char *uri)
{
	LDAPURLDesc *lud = NULL;
	int r = 0;

	if (strncasecmp(uri, "ldap://", 7) != 0)
		return 0;
	if (ldap_url_parse(uri, &lud) != LDAP_URL_SUCCESS)
		return 1;
	r = !(lud->lud_host == NULL || lud->lud_host[0] == '\0' ||
	      strcmp(lud->lud_host, "127.0.0.1") == 0 ||
	      strcmp(lud->lud_host, "::1") == 0 ||
	      strcasecmp(lud->lud_host, "localhost") == 0);
	ldap_free_urldesc(lud);
	return r;
}

/* sasl_quiet - SASL interaction callback for EXTERNAL: nothing to say. */
static int sasl_quiet(LDAP *ld, unsigned flags, void *defaults, void *in)
{
	sasl_interact_t *i = in;

	for (; i != NULL && i->id != SASL_CB_LIST_END; i++) {
		i->result = "";
		i->len = 0;
	}
	return LDAP_SUCCESS;
}

/* ppolicy_of - the ppolicy response control's error in CTRLS, or -1. */
static int ppolicy_of(LDAP *ld, LDAPControl **ctrls)
{
	LDAPControl *pp;
	LDAPPasswordPolicyError pperr = PP_noError;
	int expire, grace;

	pp = ldap_control_find(LDAP_CONTROL_PASSWORDPOLICYRESPONSE, ctrls,
			       NULL);
	if (pp == NULL ||
	    ldap_parse_passwordpolicy_control(ld, pp, &expire, &grace,
					      &pperr) != LDAP_SUCCESS)
		return -1;
	return pperr == PP_noError ? -1 : (int)pperr;
}

/* simple_bind - bind as DN with PW, sending the ppolicy request control;
 * the LDAP code, with the ppolicy error in *pperr_r. */
static int simple_bind(struct dir *dir, LDAP *ld, const char *dn,
		       const char *pw, int *pperr_r)
{
	LDAPControl *req = NULL, **resp = NULL;
	LDAPControl *ctrls[2] = {NULL, NULL};
	LDAPMessage *msg = NULL;
	struct timeval tv = {dir->cfg->ldap_timeout, 0};
	struct berval cred;
	int rc, msgid = -1, code = LDAP_OTHER;

	*pperr_r = -1;
	cred.bv_val = (char *)pw;
	cred.bv_len = strlen(pw);
	rc = ldap_create_passwordpolicy_control(ld, &req);
	if (rc != LDAP_SUCCESS)
		goto out;
	ctrls[0] = req;
	rc = ldap_sasl_bind(ld, dn, LDAP_SASL_SIMPLE, &cred, ctrls, NULL,
			    &msgid);
	if (rc != LDAP_SUCCESS)
		goto out;
	rc = ldap_result(ld, msgid, LDAP_MSG_ALL, &tv, &msg);
	if (rc <= 0) {
		rc = rc == 0 ? LDAP_TIMEOUT : LDAP_SERVER_DOWN;
		goto out;
	}
	rc = ldap_parse_result(ld, msg, &code, NULL, NULL, NULL, &resp, 0);
	if (rc != LDAP_SUCCESS)
		goto out;
	rc = code;
	*pperr_r = ppolicy_of(ld, resp);
out:
	ldap_controls_free(resp);
	ldap_msgfree(msg);
	if (req != NULL)
		ldap_control_free(req);
	return rc;
}

/* connect_one - connect and bind to URI; 0 or the LDAP code. */
static int connect_one(struct dir *dir, const char *uri, LDAP **ld_r,
		       const char **error_r)
{
	const struct kcg_config *cfg = dir->cfg;
	LDAP *ld = NULL;
	int rc, version = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND,
		zero = 0, pperr = -1;
	struct timeval tv = {cfg->ldap_timeout, 0};
	char *pw = NULL;
	const char *err = NULL, *who;

	rc = ldap_initialize(&ld, uri);
	if (rc != LDAP_SUCCESS) {
		*error_r = err_fmt("%s: %s", uri, ldap_err2string(rc));
		goto out;
	}
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
	ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
	ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
	ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
	if (cfg->ldap_tls_ca_file != NULL)
		ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE,
				cfg->ldap_tls_ca_file);
	ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
	if (needs_starttls(uri)) {
		rc = ldap_start_tls_s(ld, NULL, NULL);
		if (rc != LDAP_SUCCESS) {
			*error_r =
				err_fmt("%s: StartTLS 失敗 / StartTLS "
					"failed (required off the loopback): "
					"%s",
					uri, ldap_err2string(rc));
			goto out;
		}
	}
	if (dir->user_dn != NULL) {
		who = dir->user_dn;
		rc = simple_bind(dir, ld, dir->user_dn, dir->user_pw, &pperr);
	} else if (cfg->ldap_bind_dn != NULL) {
		who = cfg->ldap_bind_dn;
		if (secret_read_file(cfg->ldap_bind_password_file, 1, &pw, NULL,
				     &err) < 0) {
			*error_r = err;
			rc = LDAP_PARAM_ERROR;
			goto out;
		}
		rc = simple_bind(dir, ld, cfg->ldap_bind_dn, pw, &pperr);
	} else {
		who = "SASL EXTERNAL";
		rc = ldap_sasl_interactive_bind_s(ld, NULL, "EXTERNAL", NULL,
						  NULL, LDAP_SASL_QUIET,
						  sasl_quiet, NULL);
	}
	dir->ppolicy_error = pperr;
	if (rc != LDAP_SUCCESS) {
		*error_r = err_fmt("%s: 無法以 %s 登入目錄 / cannot bind as "
				   "%s: %s",
				   uri, who, who, ldap_err2string(rc));
		goto out;
	}
	*ld_r = ld;
	ld = NULL;
out:
	xfree_secret(&pw);
	if (ld != NULL)
		ldap_unbind_ext_s(ld, NULL, NULL);
	return rc;
}

/* reconnect - connect to the first URI that answers, starting with ours. */
static int reconnect(struct dir *dir, const char **error_r)
{
	size_t n = 0, i, k;
	int rc = LDAP_SERVER_DOWN;
	const char *err = "no URI configured";

	/* A server stopped under a request closes the socket: the next write
	 * to it must fail with EPIPE, not kill the program (as smtp_open). */
	signal(SIGPIPE, SIG_IGN);
	disconnect(dir);
	while (dir->cfg->ldap_uris[n] != NULL)
		n++;
	for (k = 0; k < n; k++) {
		i = (dir->uri_index + k) % n;
		rc = connect_one(dir, dir->cfg->ldap_uris[i], &dir->ld, &err);
		if (rc == LDAP_SUCCESS) {
			if (i != 0 && dir->failover_time == 0)
				dir->failover_time = time(NULL);
			if (i == 0)
				dir->failover_time = 0;
			if (i != dir->uri_index)
				log_warning(
					"%s 無法使用，改用 %s / unavailable, "
					"using %s",
					dir->cfg->ldap_uris[dir->uri_index],
					dir->cfg->ldap_uris[i],
					dir->cfg->ldap_uris[i]);
			dir->uri_index = i;
			return 0;
		}
		log_debug("%s", err);
		if (rc == LDAP_PARAM_ERROR) {
			*error_r = err;
			return KCG_EINVAL;
		}
		if (rc == LDAP_INVALID_CREDENTIALS && dir->user_dn != NULL) {
			set_last(dir, rc, NULL);
			*error_r = dir->ppolicy_error == PP_accountLocked
					   ? DIR_MSG_LOCKED
					   : DIR_MSG_BAD_PASSWORD;
			return dir->ppolicy_error == PP_accountLocked
				       ? KCG_EPOLICY
				       : KCG_EINVAL;
		}
	}
	*error_r = err_fmt("目錄服務無法使用 / directory unavailable: %s", err);
	return KCG_EDIR;
}

void dir_failback(struct dir *dir)
{
	const char *err = NULL;
	LDAP *ld = NULL;

	if (dir->uri_index == 0 || dir->ld == NULL ||
	    time(NULL) - dir->failover_time < DIR_FAILBACK_SECONDS)
		return;
	if (connect_one(dir, dir->cfg->ldap_uris[0], &ld, &err) !=
	    LDAP_SUCCESS) {
		dir->failover_time = time(NULL); /* try again later */
		log_debug("%s", err);
		return;
	}
	log_info("%s 已恢復 / back: writes go there again",
		 dir->cfg->ldap_uris[0]);
	disconnect(dir);
	dir->ld = ld;
	dir->uri_index = 0;
	dir->failover_time = 0;
}

int dir_open(const struct kcg_config *cfg, struct dir **dir_r,
	     const char **error_r)
{
	struct dir *dir = xcalloc(1, sizeof(*dir));
	int r;

	dir->cfg = cfg;
	dir->ppolicy_error = -1;
	r = reconnect(dir, error_r);
	if (r < 0) {
		dir_free(&dir);
		return r;
	}
	*dir_r = dir;
	return 0;
}

int dir_open_user(const struct kcg_config *cfg, const char *dn,
		  const char *password, struct dir **dir_r,
		  const char **error_r)
{
	struct dir *dir = xcalloc(1, sizeof(*dir));
	int r;

	dir->cfg = cfg;
	dir->ppolicy_error = -1;
	dir->user_dn = xstrdup(dn);
	dir->user_pw = xstrdup(password);
	r = reconnect(dir, error_r);
	if (r < 0) {
		dir_free(&dir);
		return r;
	}
	*dir_r = dir;
	return 0;
}

void dir_free(struct dir **dirp)
{
	struct dir *dir = *dirp;

	if (dir == NULL)
		return;
	disconnect(dir);
	free(dir->last_diag);
	free(dir->user_dn);
	xfree_secret(&dir->user_pw);
	free(dir);
	*dirp = NULL;
}

const char *dir_suffix(const struct dir *dir)
{
	return dir->cfg->ldap_suffix;
}

const char *dir_uri(const struct dir *dir)
{
	return dir->cfg->ldap_uris[dir->uri_index];
}

int dir_last_code(const struct dir *dir)
{
	return dir->last_code;
}

const char *dir_last_diagnostic(const struct dir *dir)
{
	return dir->last_diag != NULL ? dir->last_diag : "";
}

int dir_ppolicy_error(const struct dir *dir)
{
	return dir->ppolicy_error;
}

/* translate - an LDAP result as a KCG code and a message. */
static int translate(struct dir *dir, int code, const char *diag,
		     const char *what, const char **error_r)
{
	const char *d = diag != NULL && diag[0] != '\0' ? diag : NULL;
	int r;

	switch (code) {
	case LDAP_SUCCESS:
		return 0;
	case LDAP_ALREADY_EXISTS:
	case LDAP_TYPE_OR_VALUE_EXISTS:
	case LDAP_NO_SUCH_ATTRIBUTE:
	case LDAP_ASSERTION_FAILED:
		r = KCG_ECONFLICT;
		break;
	case LDAP_CONSTRAINT_VIOLATION:
		if (d != NULL && (strstr(d, "non-unique") != NULL ||
				  strstr(d, "multiple values") != NULL))
			r = KCG_ECONFLICT;
		else
			r = KCG_EPOLICY;
		break;
	case LDAP_NO_SUCH_OBJECT:
		r = KCG_ENOTFOUND;
		break;
	default:
		r = is_unavailable(code) ? KCG_EDIR : KCG_EINTERNAL;
		break;
	}
	if (dir->ppolicy_error >= 0 && (code == LDAP_CONSTRAINT_VIOLATION ||
					code == LDAP_INVALID_CREDENTIALS ||
					code == LDAP_UNWILLING_TO_PERFORM ||
					code == LDAP_INSUFFICIENT_ACCESS)) {
		*error_r = dir_ppolicy_message(dir->ppolicy_error, d);
		return KCG_EPOLICY;
	}
	*error_r = err_fmt("%s: %s%s%s%s", what, ldap_err2string(code),
			   d ? " (" : "", d ? d : "", d ? ")" : "");
	return r;
}

/* copy_entry - LDAPMessage entry MSG as a dir_entry. */
static struct dir_entry *copy_entry(LDAP *ld, LDAPMessage *msg)
{
	struct dir_entry *e = xcalloc(1, sizeof(*e));
	BerElement *ber = NULL;
	struct berval **vals;
	char *dn, *a;
	size_t cap = 0, i;

	dn = ldap_get_dn(ld, msg);
	e->dn = xstrdup(dn != NULL ? dn : "");
	ldap_memfree(dn);
	for (a = ldap_first_attribute(ld, msg, &ber); a != NULL;
	     a = ldap_next_attribute(ld, msg, ber)) {
		struct dir_attr *at;

		if (e->n_attrs == cap) {
			cap = cap ? cap * 2 : 8;
			e->attrs =
				xreallocarray(e->attrs, cap, sizeof(*e->attrs));
		}
		at = &e->attrs[e->n_attrs++];
		at->name = xstrdup(a);
		vals = ldap_get_values_len(ld, msg, a);
		at->n = vals != NULL ? (size_t)ldap_count_values_len(vals) : 0;
		at->values = xcalloc(at->n + 1, sizeof(char *));
		for (i = 0; i < at->n; i++)
			at->values[i] =
				xstrndup(vals[i]->bv_val, vals[i]->bv_len);
		ldap_value_free_len(vals);
		ldap_memfree(a);
	}
	if (ber != NULL)
		ber_free(ber, 0);
	return e;
}

/* search_once - one search on the current connection; an LDAP code. */
static int search_once(struct dir *dir, const char *base, int scope,
		       const char *filter, const char *const *attrs,
		       struct dir_result **res_r)
{
	LDAPMessage *msg = NULL, *m;
	struct dir_result *res = NULL;
	struct timeval tv = {dir->cfg->ldap_timeout, 0};
	char *diag = NULL;
	int rc, code = LDAP_OTHER;
	size_t cap = 0;

	dir->ppolicy_error = -1;
	rc = ldap_search_ext_s(dir->ld, base, scope, filter, (char **)attrs, 0,
			       NULL, NULL, &tv, 0, &msg);
	if (msg != NULL && ldap_parse_result(dir->ld, msg, &code, NULL, &diag,
					     NULL, NULL, 0) == LDAP_SUCCESS)
		rc = code;
	set_last(dir, rc, diag);
	ldap_memfree(diag);
	if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED)
		goto out;
	res = xcalloc(1, sizeof(*res));
	for (m = ldap_first_entry(dir->ld, msg); m != NULL;
	     m = ldap_next_entry(dir->ld, m)) {
		if (res->n == cap) {
			cap = cap ? cap * 2 : 8;
			res->entries = xreallocarray(res->entries, cap,
						     sizeof(*res->entries));
		}
		res->entries[res->n++] = copy_entry(dir->ld, m);
	}
	*res_r = res;
	rc = LDAP_SUCCESS;
out:
	ldap_msgfree(msg);
	return rc;
}

int dir_search(struct dir *dir, const char *base, enum dir_scope scope,
	       const char *filter, const char *const *attrs,
	       struct dir_result **res_r, const char **error_r)
{
	static const int scopes[] = {LDAP_SCOPE_BASE, LDAP_SCOPE_ONELEVEL,
				     LDAP_SCOPE_SUBTREE};
	int rc, r, attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		if (dir->ld == NULL) {
			r = reconnect(dir, error_r);
			if (r < 0)
				return r;
		}
		rc = search_once(dir, base, scopes[scope], filter, attrs,
				 res_r);
		if (!is_unavailable(rc))
			break;
		log_warning("%s: %s; reconnecting", dir_uri(dir),
			    ldap_err2string(rc));
		disconnect(dir);
	}
	return translate(dir, rc, dir->last_diag,
			 err_fmt("搜尋 / search %s", base), error_r);
}

int dir_read(struct dir *dir, const char *dn, const char *const *attrs,
	     struct dir_entry **entry_r, const char **error_r)
{
	struct dir_result *res = NULL;
	int r;

	r = dir_search(dir, dn, DIR_SCOPE_BASE, "(objectClass=*)", attrs, &res,
		       error_r);
	if (r < 0)
		return r;
	if (res->n != 1) {
		dir_result_free(&res);
		*error_r = err_fmt("%s: 不存在 / no such entry", dn);
		return KCG_ENOTFOUND;
	}
	*entry_r = dir_result_take(res, 0);
	dir_result_free(&res);
	return 0;
}

size_t dir_result_count(const struct dir_result *res)
{
	return res->n;
}

const struct dir_entry *dir_result_entry(const struct dir_result *res, size_t i)
{
	return i < res->n ? res->entries[i] : NULL;
}

struct dir_entry *dir_result_take(struct dir_result *res, size_t i)
{
	struct dir_entry *e;

	if (i >= res->n)
		return NULL;
	e = res->entries[i];
	memmove(&res->entries[i], &res->entries[i + 1],
		(res->n - i - 1) * sizeof(*res->entries));
	res->n--;
	return e;
}

void dir_result_free(struct dir_result **resp)
{
	struct dir_result *res = *resp;
	size_t i;

	if (res == NULL)
		return;
	for (i = 0; i < res->n; i++)
		dir_entry_free(&res->entries[i]);
	free(res->entries);
	free(res);
	*resp = NULL;
}

const char *dir_entry_dn(const struct dir_entry *e)
{
	return e->dn;
}

/* find_attr - ATTR in E, or NULL. */
static const struct dir_attr *find_attr(const struct dir_entry *e,
					const char *attr)
{
	size_t i;

	for (i = 0; i < e->n_attrs; i++)
		if (strcasecmp(e->attrs[i].name, attr) == 0)
			return &e->attrs[i];
	return NULL;
}

const char *dir_entry_value(const struct dir_entry *e, const char *attr)
{
	const struct dir_attr *a = find_attr(e, attr);

	return a != NULL && a->n > 0 ? a->values[0] : NULL;
}

size_t dir_entry_count(const struct dir_entry *e, const char *attr)
{
	const struct dir_attr *a = find_attr(e, attr);

	return a != NULL ? a->n : 0;
}

int dir_entry_attr(const struct dir_entry *e, size_t i, const char **name_r,
		   char *const **values_r, size_t *n_r)
{
	if (i >= e->n_attrs)
		return -1;
	*name_r = e->attrs[i].name;
	*values_r = e->attrs[i].values;
	*n_r = e->attrs[i].n;
	return 0;
}

void dir_entry_free(struct dir_entry **ep)
{
	struct dir_entry *e = *ep;
	size_t i, j;

	if (e == NULL)
		return;
	for (i = 0; i < e->n_attrs; i++) {
		for (j = 0; j < e->attrs[i].n; j++)
			free(e->attrs[i].values[j]);
		free(e->attrs[i].values);
		free(e->attrs[i].name);
	}
	free(e->attrs);
	free(e->dn);
	free(e);
	*ep = NULL;
}

struct dir_mods *dir_mods_new(void)
{
	return xcalloc(1, sizeof(struct dir_mods));
}

/* mods_append - see dir_mods_add. */
static void mods_append(struct dir_mods *mods, enum dir_mod_op op,
			const char *attr, const char *value, int secret)
{
	struct dir_mod *m = mods->n > 0 ? &mods->mods[mods->n - 1] : NULL;

	if (m == NULL || m->op != op || strcasecmp(m->attr, attr) != 0 ||
	    m->secret != secret) {
		mods->mods = xreallocarray(mods->mods, mods->n + 1,
					   sizeof(*mods->mods));
		m = &mods->mods[mods->n++];
		memset(m, 0, sizeof(*m));
		m->op = op;
		m->attr = xstrdup(attr);
		m->secret = secret;
		m->values = xcalloc(1, sizeof(char *));
	}
	if (value == NULL)
		return;
	m->values = xreallocarray(m->values, m->n + 2, sizeof(char *));
	m->values[m->n++] = xstrdup(value);
	m->values[m->n] = NULL;
}

void dir_mods_add(struct dir_mods *mods, enum dir_mod_op op, const char *attr,
		  const char *value)
{
	mods_append(mods, op, attr, value, 0);
}

void dir_mods_add_secret(struct dir_mods *mods, enum dir_mod_op op,
			 const char *attr, const char *value)
{
	mods_append(mods, op, attr, value, 1);
}

int dir_mods_empty(const struct dir_mods *mods)
{
	return mods->n == 0;
}

void dir_mods_free(struct dir_mods **modsp)
{
	struct dir_mods *mods = *modsp;
	size_t i, j;

	if (mods == NULL)
		return;
	for (i = 0; i < mods->n; i++) {
		for (j = 0; j < mods->mods[i].n; j++) {
			if (mods->mods[i].secret)
				xfree_secret(&mods->mods[i].values[j]);
			else
				free(mods->mods[i].values[j]);
		}
		free(mods->mods[i].values);
		free(mods->mods[i].attr);
	}
	free(mods->mods);
	free(mods);
	*modsp = NULL;
}

/* to_ldapmods - MODS as the NULL-terminated LDAPMod array libldap wants. */
static LDAPMod **to_ldapmods(const struct dir_mods *mods, int for_add)
{
	static const int ops[] = {LDAP_MOD_ADD, LDAP_MOD_DELETE,
				  LDAP_MOD_REPLACE};
	LDAPMod **lm = xcalloc(mods->n + 1, sizeof(*lm));
	size_t i;

	for (i = 0; i < mods->n; i++) {
		lm[i] = xcalloc(1, sizeof(**lm));
		lm[i]->mod_op = for_add ? LDAP_MOD_ADD : ops[mods->mods[i].op];
		lm[i]->mod_type = mods->mods[i].attr;
		lm[i]->mod_values =
			mods->mods[i].n > 0 ? mods->mods[i].values : NULL;
	}
	return lm;
}

/* free_ldapmods - the array only; the strings belong to the dir_mods. */
static void free_ldapmods(LDAPMod **lm)
{
	size_t i;

	for (i = 0; lm[i] != NULL; i++)
		free(lm[i]);
	free(lm);
}

enum write_kind { WRITE_ADD, WRITE_MODIFY, WRITE_DELETE, WRITE_PASSWD };

/* A Password Modify request: target, old (may be NULL) and new. */
struct passwd_req {
	const char *old_pw, *new_pw;
};

/* write_op - one write with the ppolicy request control; an LDAP code. */
static int write_op(struct dir *dir, enum write_kind kind, const char *dn,
		    const struct dir_mods *mods, const struct passwd_req *pr)
{
	LDAPControl *req = NULL, **resp_ctrls = NULL;
	LDAPControl *ctrls[2] = {NULL, NULL};
	LDAPMessage *msg = NULL;
	LDAPMod **lm = NULL;
	struct timeval tv = {dir->cfg->ldap_timeout, 0};
	struct berval bdn, bold, bnew;
	char *diag = NULL;
	int rc, msgid = -1, code = LDAP_OTHER;

	dir->ppolicy_error = -1;
	if (dir->txn_id != NULL) /* RFC 5805: the write joins the transaction */
		rc = ldap_control_create(LDAP_CONTROL_TXN_SPEC, 1, dir->txn_id,
					 1, &req);
	else
		rc = ldap_create_passwordpolicy_control(dir->ld, &req);
	if (rc != LDAP_SUCCESS)
		goto out;
	ctrls[0] = req;
	if (kind == WRITE_ADD) {
		lm = to_ldapmods(mods, 1);
		rc = ldap_add_ext(dir->ld, dn, lm, ctrls, NULL, &msgid);
	} else if (kind == WRITE_MODIFY) {
		lm = to_ldapmods(mods, 0);
		rc = ldap_modify_ext(dir->ld, dn, lm, ctrls, NULL, &msgid);
	} else if (kind == WRITE_DELETE) {
		rc = ldap_delete_ext(dir->ld, dn, ctrls, NULL, &msgid);
	} else {
		/* RFC 3062; ldap_passwd_s would drop the response controls */
		bdn.bv_val = (char *)dn;
		bdn.bv_len = strlen(dn);
		bnew.bv_val = (char *)pr->new_pw;
		bnew.bv_len = strlen(pr->new_pw);
		bold.bv_val = (char *)pr->old_pw;
		bold.bv_len = pr->old_pw ? strlen(pr->old_pw) : 0;
		rc = ldap_passwd(dir->ld, &bdn, pr->old_pw ? &bold : NULL,
				 &bnew, ctrls, NULL, &msgid);
	}
	if (rc != LDAP_SUCCESS)
		goto out;
	dir->last_msgid = msgid;
	rc = ldap_result(dir->ld, msgid, LDAP_MSG_ALL, &tv, &msg);
	if (rc == 0) {
		rc = LDAP_TIMEOUT;
		goto out;
	}
	if (rc < 0) {
		ldap_get_option(dir->ld, LDAP_OPT_RESULT_CODE, &rc);
		goto out;
	}
	rc = ldap_parse_result(dir->ld, msg, &code, NULL, &diag, NULL,
			       &resp_ctrls, 0);
	if (rc != LDAP_SUCCESS)
		goto out;
	rc = code;
	dir->ppolicy_error = ppolicy_of(dir->ld, resp_ctrls);
out:
	set_last(dir, rc, diag);
	if (is_unavailable(rc))
		disconnect(dir);
	ldap_memfree(diag);
	ldap_controls_free(resp_ctrls);
	ldap_msgfree(msg);
	if (req != NULL)
		ldap_control_free(req);
	if (lm != NULL)
		free_ldapmods(lm);
	return rc;
}

/* has_value - E's ATTR has VALUE (compared without case). */
static int has_value(const struct dir_entry *e, const char *attr,
		     const char *value)
{
	const struct dir_attr *a = find_attr(e, attr);
	size_t i;

	for (i = 0; a != NULL && i < a->n; i++)
		if (strcasecmp(a->values[i], value) == 0)
			return 1;
	return 0;
}

/*
 * already_done - after a retry on another server answered RC, does DN
 * already look the way the first attempt (whose answer was lost with its
 * server) would have left it? Then that attempt went through and reached
 * this server by replication: the write is done, not a conflict. Secret
 * values (passwords) cannot be read back and are not compared.
 */
static int already_done(struct dir *dir, enum write_kind kind, const char *dn,
			const struct dir_mods *mods, int rc)
{
	struct dir_entry *e = NULL;
	const struct dir_mod *m;
	const char *err;
	size_t i, j;
	int r, done = 0;

	if (kind == WRITE_DELETE)
		return rc == LDAP_NO_SUCH_OBJECT;
	if (!(kind == WRITE_ADD && rc == LDAP_ALREADY_EXISTS) &&
	    !(kind == WRITE_MODIFY && (rc == LDAP_TYPE_OR_VALUE_EXISTS ||
				       rc == LDAP_NO_SUCH_ATTRIBUTE)))
		return 0;
	r = dir_read(dir, dn, NULL, &e, &err);
	if (r < 0)
		goto out;
	for (i = 0; i < mods->n; i++) {
		m = &mods->mods[i];
		if (m->secret)
			continue;
		if (kind == WRITE_ADD || m->op == DIR_MOD_ADD ||
		    m->op == DIR_MOD_REPLACE) {
			for (j = 0; j < m->n; j++)
				if (!has_value(e, m->attr, m->values[j]))
					goto out;
			if (m->op == DIR_MOD_REPLACE && kind != WRITE_ADD &&
			    dir_entry_count(e, m->attr) != m->n)
				goto out;
		} else if (m->n == 0) { /* delete all values */
			if (dir_entry_count(e, m->attr) != 0)
				goto out;
		} else {
			for (j = 0; j < m->n; j++)
				if (has_value(e, m->attr, m->values[j]))
					goto out;
		}
	}
	done = 1;
out:
	dir_entry_free(&e);
	return done;
}

/*
 * do_write - reconnect if needed, write, translate. When the server goes
 * away under the write (stopped, failed over), the write is sent once more
 * to the next server that answers (reconnect()). The first attempt may or
 * may not have been applied, and may or may not have replicated: a retry
 * that meets its own earlier result (already_done()) counts as success
 * rather than as a conflict.
 */
static int do_write(struct dir *dir, enum write_kind kind, const char *dn,
		    const struct dir_mods *mods, const struct passwd_req *pr,
		    const char **error_r)
{
	static const char *const what[] = {"新增 / add", "修改 / modify",
					   "刪除 / delete",
					   "變更密碼 / password change"};
	int r, rc, attempt;
	char *diag = NULL;

	if (dir->ld == NULL && dir->txn_in_progress) {
		/* the transaction died with the connection: a write now
		 * would land outside it */
		*error_r = "目錄連線中斷，交易已取消 / the connection was "
			   "lost and the transaction with it";
		return KCG_EDIR;
	}
	for (attempt = 0; attempt < 2; attempt++) {
		if (dir->ld == NULL) {
			r = reconnect(dir, error_r);
			if (r < 0)
				return r;
		}
		rc = write_op(dir, kind, dn, mods, pr);
		if (!is_unavailable(rc))
			break;
		if (dir->txn_in_progress) { /* lost with the server: the
					       caller reruns the batch */
			disconnect(dir);
			break;
		}
		if (attempt == 0)
			log_warning("%s: %s %s: %s; retrying on the next "
				    "server",
				    dir_uri(dir), what[kind], dn,
				    ldap_err2string(rc));
		disconnect(dir);
	}
	if (attempt == 1 && rc != LDAP_SUCCESS) {
		diag = xstrdup(dir->last_diag);
		if (already_done(dir, kind, dn, mods, rc)) {
			log_warning(
				"%s %s: already applied before the failover",
				what[kind], dn);
			rc = LDAP_SUCCESS;
			set_last(dir, rc, NULL);
		} else {
			set_last(dir, rc, diag); /* already_done() read */
		}
		free(diag);
	}
	return translate(dir, rc, dir->last_diag,
			 err_fmt("%s %s", what[kind], dn), error_r);
}

int dir_add(struct dir *dir, const char *dn, const struct dir_mods *mods,
	    const char **error_r)
{
	return do_write(dir, WRITE_ADD, dn, mods, NULL, error_r);
}

int dir_modify(struct dir *dir, const char *dn, const struct dir_mods *mods,
	       const char **error_r)
{
	return do_write(dir, WRITE_MODIFY, dn, mods, NULL, error_r);
}

int dir_delete(struct dir *dir, const char *dn, const char **error_r)
{
	return do_write(dir, WRITE_DELETE, dn, NULL, NULL, error_r);
}

int dir_passwd(struct dir *dir, const char *dn, const char *old_pw,
	       const char *new_pw, const char **error_r)
{
	struct passwd_req pr = {old_pw, new_pw};

	return do_write(dir, WRITE_PASSWD, dn, NULL, &pr, error_r);
}

const char *dir_ppolicy_message(int pperr, const char *diagnostic)
{
	switch (pperr) {
	case PP_passwordExpired:
		return "密碼已過期 / the password has expired";
	case PP_accountLocked:
		return DIR_MSG_LOCKED;
	case PP_changeAfterReset:
		return "請先變更密碼 / the password must be changed first";
	case PP_passwordModNotAllowed:
		return "不允許變更密碼 / password changes are not allowed";
	case PP_mustSupplyOldPassword:
		return "必須提供舊密碼 / the old password is required";
	case PP_insufficientPasswordQuality:
		return diagnostic != NULL && diagnostic[0] != '\0' &&
				       strcmp(diagnostic, "Password fails "
							  "quality checking "
							  "policy") != 0
			       ? err_fmt("%s", diagnostic)
			       : "密碼不符合密碼政策 / the password does not "
				 "meet the policy";
	case PP_passwordTooShort:
		return "密碼最少須有 8 字元以上 / the password must be at "
		       "least 8 characters";
	case PP_passwordTooYoung:
		return "密碼剛變更過，請稍後再試 / the password was changed "
		       "too recently";
	case PP_passwordInHistory:
		return "密碼不能與目前或前 3 次的密碼重複 / the password must "
		       "differ from the current and the last 3 passwords";
	default:
		return "密碼政策拒絕 / refused by the password policy";
	}
}

char *dir_filter_value(const char *value)
{
	struct berval in, out = {0, NULL};
	char *s;

	in.bv_val = (char *)value;
	in.bv_len = strlen(value);
	if (ldap_bv2escaped_filter_value(&in, &out) != 0) {
		fputs("kcgidm: out of memory\n", stderr);
		exit(8);
	}
	s = xstrndup(out.bv_val, out.bv_len);
	ber_memfree(out.bv_val);
	return s;
}

char *dir_dn(const char *attr, const char *value, const char *parent)
{
	LDAPAVA ava, *avas[2] = {&ava, NULL};
	LDAPRDN rdn = avas;
	char *str = NULL, *dn;

	memset(&ava, 0, sizeof(ava));
	ava.la_attr.bv_val = (char *)attr;
	ava.la_attr.bv_len = strlen(attr);
	ava.la_value.bv_val = (char *)value;
	ava.la_value.bv_len = strlen(value);
	ava.la_flags = LDAP_AVA_STRING;
	if (ldap_rdn2str(rdn, &str, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS) {
		fputs("kcgidm: cannot build a DN\n", stderr);
		exit(8);
	}
	dn = xasprintf("%s,%s", str, parent);
	ldap_memfree(str);
	return dn;
}

void dir_time(long long t, char out[16])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 16, "%Y%m%d%H%M%SZ", &tm);
}

void dir_time_now(char out[16])
{
	dir_time((long long)time(NULL), out);
}

int dir_time_parse(const char *gt, long long *t_r)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(gt, "%Y%m%d%H%M%S", &tm);
	if (end == NULL || (*end != 'Z' && *end != '.') ||
	    (*end == 'Z' && end[1] != '\0'))
		return KCG_EINVAL;
	*t_r = (long long)timegm(&tm);
	return 0;
}

/* ---- RFC 5805 transactions ---------------------------------------------- */

int dir_txn_begin(struct dir *dir, int *started_r, const char **error_r)
{
	struct berval *id = NULL;
	int r, rc;

	*started_r = 0;
	if (dir->txn_in_progress) {
		*error_r = "交易已開始 / a transaction is already open";
		return KCG_EINTERNAL;
	}
	if (dir->ld == NULL && (r = reconnect(dir, error_r)) < 0)
		return r;
	rc = ldap_txn_start_s(dir->ld, NULL, NULL, &id);
	set_last(dir, rc, NULL);
	if (is_unavailable(rc)) {
		ber_bvfree(id);
		disconnect(dir);
		*error_r =
			err_fmt("目錄服務無法使用 / directory unavailable: %s",
				ldap_err2string(rc));
		return KCG_EDIR;
	}
	if (rc != LDAP_SUCCESS) {
		/* no transactions here (another server, or the backend has
		 * none): the caller falls back to plain writes */
		ber_bvfree(id);
		log_debug("transactions unavailable: %s", ldap_err2string(rc));
		return 0;
	}
	if (id == NULL) /* slapd's identifier is empty; keep it non-NULL */
		id = ber_bvstrdup("");
	else if (id->bv_val == NULL) {
		ber_bvfree(id);
		id = ber_bvstrdup("");
	}
	dir->txn_id = id;
	dir->txn_in_progress = 1;
	*started_r = 1;
	return 0;
}

/* txn_failed_msgid - the message ID in a Transaction End response value
 * (RFC 5805: a SEQUENCE holding it; some servers send it bare), or -1. */
static int txn_failed_msgid(const struct berval *data)
{
	BerElement *ber;
	ber_int_t id = -1;
	ber_tag_t tag;

	if (data == NULL || data->bv_len == 0)
		return -1;
	ber = ber_init((struct berval *)data);
	if (ber == NULL)
		return -1;
	tag = ber_peek_tag(ber, &(ber_len_t){0});
	if (tag == LBER_SEQUENCE)
		tag = ber_scanf(ber, "{i", &id);
	else if (tag == LBER_INTEGER)
		tag = ber_scanf(ber, "i", &id);
	else
		tag = LBER_ERROR;
	ber_free(ber, 1);
	return tag == LBER_ERROR ? -1 : (int)id;
}

int dir_txn_end(struct dir *dir, int commit, int *failed_msgid_r,
		const char **error_r)
{
	BerElement *ber = NULL;
	struct berval req = {0, NULL}, *data = NULL;
	char *diag = NULL, *oid = NULL;
	int r, rc;

	*failed_msgid_r = -1;
	if (!dir->txn_in_progress) {
		*error_r = "沒有進行中的交易 / no open transaction";
		return KCG_EINTERNAL;
	}
	dir->txn_in_progress = 0;
	if (dir->txn_id == NULL || dir->ld == NULL) {
		*error_r = "目錄連線中斷，交易已取消 / the connection was "
			   "lost and the transaction with it";
		return KCG_EDIR;
	}
	ber = ber_alloc_t(LBER_USE_DER);
	if (ber == NULL) {
		r = KCG_EINTERNAL;
		*error_r = "out of memory";
		goto out;
	}
	if (commit)
		rc = ber_printf(ber, "{O}", dir->txn_id);
	else
		rc = ber_printf(ber, "{bO}", (ber_int_t)0, dir->txn_id);
	if (rc < 0 || ber_flatten2(ber, &req, 0) < 0) {
		r = KCG_EINTERNAL;
		*error_r = "cannot encode the transaction end request";
		goto out;
	}
	/* slapd 2.5.13 answers a write inside a transaction before its
	 * thread is done with it, and a commit that arrives meanwhile frees
	 * the operation under that thread (a crash in do_add, seen here). A
	 * round trip first gives the thread time to finish: it narrows that
	 * race, it cannot close it (roster.h: ROSTER_TXN_MIN), and neither
	 * does the short pause after it. */
	if (commit) {
		struct berval *authzid = NULL;
		struct timespec pause = {0, 10 * 1000 * 1000}; /* 10 ms */

		(void)ldap_whoami_s(dir->ld, &authzid, NULL, NULL);
		ber_bvfree(authzid);
		while (nanosleep(&pause, &pause) < 0 && errno == EINTR)
			;
	}
	/* not ldap_txn_end_s: it reads the failed message ID wrongly and
	 * then loses the result code */
	rc = ldap_extended_operation_s(dir->ld, LDAP_EXOP_TXN_END, &req, NULL,
				       NULL, &oid, &data);
	if (rc != LDAP_SUCCESS)
		ldap_get_option(dir->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	set_last(dir, rc, diag);
	*failed_msgid_r = txn_failed_msgid(data);
	if (is_unavailable(rc))
		disconnect(dir);
	r = translate(dir, rc, dir->last_diag,
		      commit ? "交易提交 / transaction commit"
			     : "交易取消 / transaction abort",
		      error_r);
out:
	if (dir->txn_id != NULL) {
		ber_bvfree(dir->txn_id);
		dir->txn_id = NULL;
	}
	ber_free(ber, 1);
	ldap_memfree(diag);
	ldap_memfree(oid);
	ber_bvfree(data);
	return r;
}

int dir_last_msgid(const struct dir *dir)
{
	return dir->last_msgid;
}
