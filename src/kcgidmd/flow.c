/*
 * flow - the seed's operations, once, for the pages and the JSON API.
 *
 * Every operation reads its input with param(), checks what can be
 * checked without the directory with the library's own validators (so
 * that an error lands next to its field), then calls the library
 * (account_*, ikpd_*, recovery_*), which checks everything again. The
 * session remembers what the seed's screens carry from one step to the
 * next: the verified person, the time each notice was agreed to, the uid
 * that passed 檢查重複. Passwords are never stored in the session.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "account.h"
#include "audit.h"
#include "cert.h"
#include "config.h"
#include "dir.h"
#include "err.h"
#include "ikpd.h"
#include "kcg.h"
#include "log.h"
#include "mailaddr.h"
#include "natid.h"
#include "pwquality.h"
#include "recovery.h"
#include "rocdate.h"
#include "roster.h"
#include "token.h"
#include "uidname.h"
#include "vmethod.h"
#include "web.h"
#include "xalloc.h"

#define TEXT_MAX (256 * 1024)

#define MSG_RATE                                                                    \
	"嘗試次數過多，請稍後再試 / too many attempts; try again in a " \
	"minute"
#define MSG_NOT_VERIFIED                                                       \
	"請先完成個人資料驗證 / verify your personal data first (申請帳號)"
#define MSG_NOT_CONFIRMED                                                      \
	"請勾選「以上資料均正確，我要申請帳號」 / confirm the record first"
#define MSG_PRIVACY_NOT_VIEWED                                                 \
	"您尚未查看單一帳號認證平台個人資料蒐集、處理及利用告知聲明"
#define MSG_PRIVACY_NEEDED                                                                                    \
	"若您要申請帳號，需要點按【查看】並【同意】單一帳號認證平台個人資料" \
	"蒐集、處理及利用告知聲明，才能夠提交帳號申請。"
#define MSG_RULES_NOT_VIEWED "您尚未查看電子信箱帳號使用管理要點"
#define MSG_RULES_NEEDED                                                                                   \
	"若您要申請KCG電子郵件信箱，需要點擊【查看】並【同意】電子信箱帳號" \
	"使用管理要點，才能夠提交帳號申請。"
#define MSG_UID_NOT_CHECKED                                                                                      \
	"提示：輸入帳號後，請點按【檢查重複】，檢查結果為「通過」，才能夠提交" \
	"帳號申請。"
#define MSG_CONFIRM_MISMATCH "密碼與密碼確認不一致 / the two passwords differ"
#define MSG_WANT_MAIL                                                                 \
	"請選擇是否申請KCG電子郵件信箱 / choose whether to apply for a " \
	"mailbox"
#define MSG_LOGIN_NEEDED "請先登入 / sign in first"
#define MSG_NO_STEP1	 "請先完成步驟一：輸入基本資料 / complete step 1 first"

/* ---- outcomes -------------------------------------------------------- */

void outcome_init(struct outcome *o)
{
	memset(o, 0, sizeof(*o));
	o->status = MHD_HTTP_OK;
	o->code = "ok";
	o->data = json_object();
}

void outcome_clear(struct outcome *o)
{
	free(o->message);
	json_decref(o->fields);
	json_decref(o->data);
	memset(o, 0, sizeof(*o));
}

void outcome_fail(struct outcome *o, int status, const char *code,
		  const char *message)
{
	o->status = status;
	o->code = code;
	if (message != NULL && o->message == NULL)
		o->message = xstrdup(message);
}

void outcome_field(struct outcome *o, const char *field, const char *message)
{
	if (o->fields == NULL)
		o->fields = json_object();
	if (json_object_get(o->fields, field) == NULL)
		json_object_set_new(o->fields, field, json_string(message));
	if (outcome_ok(o)) {
		o->status = MHD_HTTP_BAD_REQUEST;
		o->code = "invalid";
	}
}

void outcome_kcg(struct outcome *o, int r, const char *message)
{
	switch (r) {
	case KCG_EINVAL:
		outcome_fail(o, MHD_HTTP_BAD_REQUEST, "invalid", message);
		break;
	case KCG_ECONFLICT:
		outcome_fail(o, MHD_HTTP_CONFLICT, "conflict", message);
		break;
	case KCG_ENOTFOUND:
		outcome_fail(o, MHD_HTTP_NOT_FOUND, "not_found", message);
		break;
	case KCG_EPOLICY:
		outcome_fail(o, MHD_HTTP_UNPROCESSABLE_CONTENT, "policy",
			     message);
		break;
	case KCG_EDIR:
		outcome_fail(o, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable",
			     "目錄服務暫時無法使用，請稍後再試 / the directory "
			     "is unavailable; try again later");
		log_warning("directory: %s", message ? message : "?");
		break;
	case KCG_EMAIL:
		outcome_fail(o, MHD_HTTP_SERVICE_UNAVAILABLE, "mail",
			     "通知信暫時無法寄出，請稍後再試 / the mail could "
			     "not be queued; try again later");
		log_error("outbox: %s", message ? message : "?");
		break;
	default:
		outcome_fail(o, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal",
			     "系統錯誤，請稍後再試 / internal error");
		log_error("internal: %s", message ? message : "?");
		break;
	}
}

int outcome_ok(const struct outcome *o)
{
	return o->status >= 200 && o->status < 300;
}

/* ---- parameters ------------------------------------------------------ */

const char *param(const struct request *rq, const char *name)
{
	json_t *v = rq->params ? json_object_get(rq->params, name) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

int param_true(const struct request *rq, const char *name)
{
	const char *v = param(rq, name);

	return v != NULL && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0 ||
			     strcmp(v, "yes") == 0 || strcmp(v, "on") == 0);
}

/* blank - true when S is NULL or only white space. */
static int blank(const char *s)
{
	return s == NULL || s[strspn(s, " \t\r\n")] == '\0';
}

/* natid_field - the national ID typed as ID in NORM, else a field error. */
static void natid_field(struct outcome *o, const char *id,
			char norm[NATID_LEN + 1])
{
	const char *err = NULL;

	if (blank(id))
		outcome_field(o, "national_id",
			      "請輸入身分證字號 / enter your national ID");
	else if (natid_normalize(id, norm, NULL, &err) < 0)
		outcome_field(o, "national_id", err);
}

/* ---- helpers --------------------------------------------------------- */

void flow_taipei(time_t t, char out[32])
{
	time_t tt = t + 8 * 3600; /* Taiwan keeps UTC+8 all year */
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm);
}

void flow_gt_taipei(const char *gt, char out[32])
{
	long long t;

	out[0] = '\0';
	if (gt != NULL && dir_time_parse(gt, &t) == 0)
		flow_taipei((time_t)t, out);
}

/* need_dir - the directory session, or a 503 outcome. */
static struct dir *need_dir(struct request *rq, struct outcome *o)
{
	const char *err = NULL;
	struct dir *dir = app_dir(rq->app, &err);

	if (dir == NULL)
		outcome_kcg(o, KCG_EDIR, err);
	return dir;
}

/*
 * limited - count an attempt of KIND from the client's address and for
 * IDENTITY (may be NULL); true (with a 429 outcome) when over the limit.
 */
static int limited(struct request *rq, struct outcome *o, const char *kind,
		   const char *identity)
{
	char k[64];
	int over;

	snprintf(k, sizeof(k), "%s/ip", kind);
	over = ratelimit_hit(rq->app->rl, k, rq->ip) < 0;
	if (identity != NULL) {
		snprintf(k, sizeof(k), "%s/id", kind);
		over |= ratelimit_hit(rq->app->rl, k, identity) < 0;
	}
	if (over) {
		outcome_fail(o, MHD_HTTP_TOO_MANY_REQUESTS, "rate_limited",
			     MSG_RATE);
		log_info("rate limit: %s from %s", kind, rq->ip);
	}
	return over;
}

/* read_text - a whole UTF-8 text file as a JSON string, or NULL. */
static json_t *read_text(const char *path)
{
	FILE *fp = NULL;
	char *all = NULL;
	size_t len = 0, n;
	char buf[4096];
	json_t *s = NULL;
	struct stat st;
	int fd;

	/* a FIFO or device would block or never end; a folder reads as an
	 * empty notice that an applicant would then agree to */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (fp = fdopen(fd, "r")) == NULL) {
		log_error("%s: %s", path,
			  fd < 0 ? strerror(errno) : "not a regular file");
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0 &&
	       len + n <= TEXT_MAX) {
		all = xrealloc(all, len + n + 1);
		memcpy(all + len, buf, n);
		len += n;
	}
	fclose(fp);
	s = json_stringn(all != NULL ? all : "", len);
	if (s == NULL)
		log_error("%s: not UTF-8", path);
	free(all);
	return s;
}

/* hr_json - the seed's 人員資訊 table. */
static json_t *hr_json(const struct account_hr *hr)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "category",
			 hr->category, "name", hr->name, "agency", hr->agency,
			 "unit", hr->unit, "title", hr->title, "hire_date",
			 hr->hire_date, "account_type", hr->account_type,
			 "account_type_label",
			 roster_account_type_label(hr->account_type));
}

/* consent_json - what the form says about one notice. */
static json_t *consent_json(const char *version, int viewed, time_t when)
{
	char t[32];
	json_t *j = json_pack("{s:s,s:b,s:b}", "version", version, "viewed",
			      viewed, "agreed", when != 0);

	if (when != 0) {
		flow_taipei(when, t);
		json_object_set_new(j, "agreed_at", json_string(t));
		json_object_set_new(j, "agreed_at_epoch",
				    json_integer((json_int_t)when));
	}
	return j;
}

/* ---- 申請帳號 ---------------------------------------------------------- */

void flow_session(struct request *rq, struct outcome *o)
{
	struct session *s = rq->sess;

	json_object_set_new(o->data, "csrf_token", json_string(s->csrf));
	json_object_set_new(o->data, "session_seconds",
			    json_integer(rq->app->cfg->web_session_seconds));
	json_object_set_new(o->data, "signed_in",
			    json_boolean(s->login_uid != NULL));
}

void flow_verify(struct request *rq, struct outcome *o)
{
	const char *name = param(rq, "name"), *id = param(rq, "national_id");
	const char *err = NULL;
	char norm[NATID_LEN + 1];
	struct account_hr *hr = NULL;
	struct session *s = rq->sess;
	struct dir *dir;
	int r;

	if (blank(name))
		outcome_field(o, "name", "請輸入姓名 / enter your name");
	natid_field(o, id, norm);
	if (!outcome_ok(o))
		goto out;
	if (limited(rq, o, "verify", norm) || (dir = need_dir(rq, o)) == NULL)
		goto out;
	r = account_verify(dir, rq->app->ih, name, id, &hr, &err);
	session_reset_apply(s);
	if (r < 0) {
		outcome_kcg(o, r, err);
		goto out;
	}
	s->verified = 1;
	s->name = xstrdup(name);
	s->natid = xstrdup(norm);
	s->hr = hr_json(hr);
	json_object_set(o->data, "hr", s->hr);
	json_object_set_new(o->data, "next",
			    json_string("以上資料均正確，我要申請帳號"));
out:
	explicit_bzero(norm, sizeof(norm));
	account_hr_free(&hr);
}

/* from_loopback - the peer is on the loopback (where the proxy is). */
static int from_loopback(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	if (sa != NULL && sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)(const void *)sa)
				      ->sin_addr.s_addr) >>
			24) == 127;
	return sa != NULL && sa->sa_family == AF_INET6 &&
	       IN6_IS_ADDR_LOOPBACK(
		       &((const struct sockaddr_in6 *)(const void *)sa)
				->sin6_addr);
}

/* unescape - URL-decode S (nginx's $ssl_client_escaped_cert) into new
 * memory, or NULL when malformed. */
static char *unescape(const char *s)
{
	size_t len = strlen(s), i, j = 0;
	char *out = xmalloc(len + 1);
	unsigned int v;

	for (i = 0; i < len; i++) {
		if (s[i] != '%') {
			out[j++] = s[i] == '+' ? ' ' : s[i];
			continue;
		}
		if (i + 2 >= len ||
		    strspn(s + i + 1, "0123456789abcdefABCDEF") < 2 ||
		    sscanf(s + i + 1, "%2x", &v) != 1 || v == 0) {
			free(out);
			return NULL;
		}
		out[j++] = (char)v;
		i += 2;
	}
	out[j] = '\0';
	return out;
}

#define MAX_PEER_CHAIN 8

/*
 * peer_chain - the client certificate chain into IN: web.trust_cert_header
 * when configured and the request comes from the local proxy (which
 * verified nothing for us: the chain is checked here all the same), else
 * the certificates the client sent in our own TLS handshake. DER and LEN
 * hold MAX_PEER_CHAIN entries; *pem_r (caller frees) holds the header's
 * PEM. Returns 0, or -1 when no certificate was presented.
 */
static int peer_chain(struct request *rq, struct vmethod_input *in,
		      const unsigned char **der, size_t *len, char **pem_r)
{
	const char *hdr = rq->app->cfg->web_trust_cert_header;
	const union MHD_ConnectionInfo *ci;
	const gnutls_datum_t *peers;
	const char *v;
	unsigned int n = 0, i;

	*pem_r = NULL;
	if (hdr != NULL && from_loopback(rq->conn) &&
	    (v = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, hdr)) !=
		    NULL &&
	    v[0] != '\0' && (*pem_r = unescape(v)) != NULL) {
		in->cert_pem = *pem_r;
		in->cert_pem_len = strlen(*pem_r);
		return 0;
	}
	ci = MHD_get_connection_info(rq->conn,
				     MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || ci->tls_session == NULL)
		return -1;
	peers = gnutls_certificate_get_peers(ci->tls_session, &n);
	if (peers == NULL || n == 0)
		return -1;
	if (n > MAX_PEER_CHAIN)
		n = MAX_PEER_CHAIN;
	for (i = 0; i < n; i++) {
		der[i] = peers[i].data;
		len[i] = peers[i].size;
	}
	in->cert_der = der;
	in->cert_der_len = len;
	in->cert_n = n;
	return 0;
}

void flow_verify_cert(struct request *rq, struct outcome *o)
{
	const char *id = param(rq, "national_id"), *err = NULL;
	const struct vmethod *m = vmethod_find(VMETHOD_CITIZEN_CERT);
	struct vmethod_ctx ctx = {NULL, rq->app->ih, rq->app->certs};
	const unsigned char *der[MAX_PEER_CHAIN];
	size_t len[MAX_PEER_CHAIN];
	char norm[NATID_LEN + 1] = "";
	struct vmethod_input in;
	struct account_hr *hr = NULL;
	struct session *s = rq->sess;
	char *pem = NULL;
	int r;

	memset(&in, 0, sizeof(in));
	if (!vmethod_available(m, &ctx)) {
		outcome_fail(o, MHD_HTTP_NOT_FOUND, "not_enabled",
			     "本伺服器未啟用自然人憑證驗證 / citizen "
			     "certificates are not enabled here");
		goto out;
	}
	natid_field(o, id, norm);
	if (!outcome_ok(o))
		goto out;
	if (peer_chain(rq, &in, der, len, &pem) < 0) {
		outcome_fail(o, MHD_HTTP_BAD_REQUEST, "no_certificate",
			     "請插入自然人憑證卡並選擇憑證 / no client "
			     "certificate was presented");
		goto out;
	}
	if (limited(rq, o, "verify", norm) ||
	    (ctx.dir = need_dir(rq, o)) == NULL)
		goto out;
	in.national_id = norm;
	r = vmethod_verify(m, &ctx, &in, &hr, &err);
	session_reset_apply(s);
	if (r < 0) {
		log_info("citizen certificate refused from %s: %s", rq->ip,
			 err);
		outcome_kcg(o, r, err);
		goto out;
	}
	s->verified = 1;
	s->method = m->id;
	s->name = xstrdup(hr->name);
	s->natid = xstrdup(norm);
	s->hr = hr_json(hr);
	json_object_set(o->data, "hr", s->hr);
	json_object_set_new(o->data, "verification", json_string(m->label));
	json_object_set_new(o->data, "next",
			    json_string("以上資料均正確，我要申請帳號"));
out:
	explicit_bzero(norm, sizeof(norm));
	free(pem);
	account_hr_free(&hr);
}

/* need_verified - the applicant passed 個人資料驗證 (and confirmed). */
static int need_verified(struct request *rq, struct outcome *o, int confirmed)
{
	if (!rq->sess->verified) {
		outcome_fail(o, MHD_HTTP_CONFLICT, "not_verified",
			     MSG_NOT_VERIFIED);
		return 0;
	}
	if (confirmed && !rq->sess->hr_confirmed) {
		outcome_fail(o, MHD_HTTP_CONFLICT, "not_confirmed",
			     MSG_NOT_CONFIRMED);
		return 0;
	}
	return 1;
}

void flow_confirm(struct request *rq, struct outcome *o)
{
	if (!need_verified(rq, o, 0))
		return;
	if (!param_true(rq, "confirm")) {
		outcome_field(o, "confirm", MSG_NOT_CONFIRMED);
		return;
	}
	rq->sess->hr_confirmed = 1;
	json_object_set(o->data, "hr", rq->sess->hr);
}

void flow_consent_text(struct request *rq, const char *doc, struct outcome *o)
{
	const struct kcg_config *cfg = rq->app->cfg;
	int privacy = strcmp(doc, "privacy") == 0;
	json_t *text;

	text = read_text(privacy ? cfg->privacy_text_file
				 : cfg->mail_rules_text_file);
	if (text == NULL) {
		outcome_kcg(o, KCG_EINTERNAL, "consent text unreadable");
		return;
	}
	/* Opening the notice is what makes agreeing possible. */
	if (rq->sess->verified) {
		if (privacy)
			rq->sess->privacy_viewed = 1;
		else
			rq->sess->rules_viewed = 1;
	}
	json_object_set_new(o->data, "document", json_string(doc));
	json_object_set_new(
		o->data, "title",
		json_string(privacy ? WEB_PRIVACY_TITLE : WEB_RULES_TITLE));
	json_object_set_new(o->data, "version",
			    json_string(privacy ? cfg->privacy_version
						: cfg->mail_rules_version));
	json_object_set_new(o->data, "text", text);
}

void flow_consent(struct request *rq, struct outcome *o)
{
	const struct kcg_config *cfg = rq->app->cfg;
	const char *doc = param(rq, "document");
	struct session *s = rq->sess;
	int privacy;
	time_t *when;

	if (!need_verified(rq, o, 1))
		return;
	if (doc == NULL ||
	    (strcmp(doc, "privacy") != 0 && strcmp(doc, "mail-rules") != 0)) {
		outcome_field(o, "document", "document: privacy | mail-rules");
		return;
	}
	privacy = strcmp(doc, "privacy") == 0;
	when = privacy ? &s->privacy_time : &s->rules_time;
	if (!(privacy ? s->privacy_viewed : s->rules_viewed)) {
		outcome_fail(o, MHD_HTTP_CONFLICT, "not_viewed",
			     privacy ? MSG_PRIVACY_NOT_VIEWED
				     : MSG_RULES_NOT_VIEWED);
		return;
	}
	/* 同意 records the time now; 不同意 withdraws an earlier yes. */
	*when = param_true(rq, "agree") ? time(NULL) : 0;
	json_object_set_new(o->data, "document", json_string(doc));
	json_object_set_new(o->data, "consent",
			    consent_json(privacy ? cfg->privacy_version
						 : cfg->mail_rules_version,
					 1, *when));
}

void flow_uid_check(struct request *rq, struct outcome *o)
{
	const char *uid = param(rq, "uid"), *err = NULL;
	char norm[UIDNAME_MAX + 1];
	struct dir *dir;
	int r;

	if (!need_verified(rq, o, 1))
		return;
	flow_draft(rq);
	if (blank(uid)) {
		outcome_field(o, "uid", "請輸入帳號 / enter a uid");
		return;
	}
	if ((dir = need_dir(rq, o)) == NULL)
		return;
	rq->sess->uid_passed[0] = '\0';
	r = account_uid_check(dir, rq->app->cfg, uid, norm, &err);
	if (r == KCG_EINVAL || r == KCG_ECONFLICT) {
		outcome_field(o, "uid", err);
		if (r == KCG_ECONFLICT) {
			o->status = MHD_HTTP_CONFLICT;
			o->code = "conflict";
		}
		return;
	}
	if (r < 0) {
		outcome_kcg(o, r, err);
		return;
	}
	memcpy(rq->sess->uid_passed, norm, sizeof(norm));
	json_object_set_new(o->data, "uid", json_string(norm));
	json_object_set_new(o->data, "result", json_string(ACCOUNT_MSG_UID_OK));
	json_object_set_new(
		o->data, "mail",
		json_sprintf("%s@%s", norm, rq->app->cfg->mail_domain));
}

void flow_password_check(struct request *rq, struct outcome *o)
{
	const char *pw = param(rq, "password"), *uid = param(rq, "uid");
	char norm[UIDNAME_MAX + 1];
	const char *err = NULL;
	enum pwquality_strength st;
	enum pwquality_result q;
	size_t len = pw != NULL ? strlen(pw) : 0;

	if (uid == NULL && rq->sess->login_uid != NULL)
		uid = rq->sess->login_uid;
	if (uid != NULL && uidname_normalize(uid, norm, &err) == 0)
		uid = norm;
	else
		uid = NULL;
	st = pwquality_strength(pw, len);
	q = pwquality_check(pw, len, uid);
	json_object_set_new(o->data, "strength",
			    json_string(pwquality_strength_label(st)));
	json_object_set_new(o->data, "level", json_integer(st));
	json_object_set_new(o->data, "meets_policy", json_boolean(q == PWQ_OK));
	json_object_set_new(o->data, "message",
			    json_string(pwquality_message(q)));
}

void flow_draft(struct request *rq)
{
	static const char *const keep[] = {"uid", "want_mail", "recovery_mail"};
	struct session *s = rq->sess;
	const char *v;
	size_t i;

	if (!s->verified)
		return;
	if (s->draft == NULL)
		s->draft = json_object();
	for (i = 0; i < KCG_N_ELEMENTS(keep); i++)
		if ((v = param(rq, keep[i])) != NULL && strlen(v) < 300)
			json_object_set_new(s->draft, keep[i], json_string(v));
}

/* methods_json - the verification methods and whether this server has
 * them (the application page offers the enabled ones). */
static json_t *methods_json(const struct request *rq)
{
	static const char *const ids[] = {VMETHOD_MOBILE_CERT,
					  VMETHOD_CITIZEN_CERT,
					  VMETHOD_PERSONAL_DATA};
	struct vmethod_ctx ctx = {NULL, rq->app->ih, rq->app->certs};
	json_t *a = json_array();
	const struct vmethod *m;
	size_t i;

	for (i = 0; i < KCG_N_ELEMENTS(ids); i++) {
		m = vmethod_find(ids[i]);
		json_array_append_new(a, json_pack("{s:s,s:s,s:b}", "id", m->id,
						   "label", m->label, "enabled",
						   vmethod_available(m, &ctx)));
	}
	return a;
}

void flow_apply_state(struct request *rq, struct outcome *o)
{
	const struct kcg_config *cfg = rq->app->cfg;
	struct session *s = rq->sess;

	json_object_set_new(o->data, "verified", json_boolean(s->verified));
	json_object_set_new(o->data, "methods", methods_json(rq));
	json_object_set_new(o->data, "confirmed",
			    json_boolean(s->hr_confirmed));
	if (s->hr != NULL)
		json_object_set(o->data, "hr", s->hr);
	json_object_set_new(o->data, "privacy",
			    consent_json(cfg->privacy_version,
					 s->privacy_viewed, s->privacy_time));
	json_object_set_new(o->data, "mail_rules",
			    consent_json(cfg->mail_rules_version,
					 s->rules_viewed, s->rules_time));
	json_object_set_new(o->data, "uid_passed",
			    s->uid_passed[0] ? json_string(s->uid_passed)
					     : json_null());
	json_object_set_new(o->data, "mail_domain",
			    json_string(cfg->mail_domain));
	json_object_set_new(o->data, "draft",
			    s->draft ? json_deep_copy(s->draft)
				     : json_object());
	if (s->receipt != NULL)
		json_object_set(o->data, "receipt", s->receipt);
}

/* receipt_json - the seed's 帳號申請單. */
static json_t *receipt_json(const struct account_receipt *rc, const json_t *hr)
{
	char p[32] = "", m[32] = "";

	flow_gt_taipei(rc->privacy_time, p);
	flow_gt_taipei(rc->mail_rules_time, m);
	return json_pack(
		"{s:o,s:s,s:s,s:s,s:s,s:o,s:o,s:s,s:s,s:s,s:o,s:o,s:O}", "form",
		json_sprintf("帳號申請單(已通過); 驗證方式：%s",
			     vmethod_label(rc->method)),
		"form_type", "帳號申請單", "verification",
		vmethod_label(rc->method), "method", rc->method, "uid", rc->uid,
		"mail", rc->mail ? json_string(rc->mail) : json_null(),
		"recovery_mail",
		rc->recovery_mail ? json_string(rc->recovery_mail)
				  : json_null(),
		"status", rc->status, "privacy_version", rc->privacy_version,
		"privacy_agreed_at", p, "mail_rules_version",
		rc->mail_rules_version ? json_string(rc->mail_rules_version)
				       : json_null(),
		"mail_rules_agreed_at", m[0] ? json_string(m) : json_null(),
		"hr", hr);
}

void flow_apply(struct request *rq, struct outcome *o)
{
	const struct kcg_config *cfg = rq->app->cfg;
	struct session *s = rq->sess;
	const char *uid = param(rq, "uid"), *pw = param(rq, "password");
	const char *pw2 = param(rq, "password_confirm");
	const char *want = param(rq, "want_mail");
	const char *recovery = param(rq, "recovery_mail");
	const char *err = NULL;
	char norm[UIDNAME_MAX + 1], rnorm[MAILADDR_MAX + 1];
	struct account_apply_req req;
	struct account_receipt *rc = NULL;
	enum pwquality_result q;
	struct dir *dir;
	int r, want_mail = 0;

	if (!need_verified(rq, o, 1))
		return;
	flow_draft(rq);
	if (s->privacy_time == 0)
		outcome_field(o, "privacy",
			      s->privacy_viewed ? MSG_PRIVACY_NEEDED
						: MSG_PRIVACY_NOT_VIEWED);
	if (blank(uid))
		outcome_field(o, "uid", "請輸入帳號 / enter a uid");
	else if (uidname_normalize(uid, norm, &err) < 0)
		outcome_field(o, "uid", err);
	else if (strcmp(norm, s->uid_passed) != 0)
		outcome_field(o, "uid", MSG_UID_NOT_CHECKED);
	q = pwquality_check(pw, pw ? strlen(pw) : 0, blank(uid) ? NULL : uid);
	if (q != PWQ_OK)
		outcome_field(o, "password", pwquality_message(q));
	else if (pw2 == NULL || strcmp(pw, pw2) != 0)
		outcome_field(o, "password_confirm", MSG_CONFIRM_MISMATCH);
	if (want == NULL ||
	    (strcmp(want, "1") != 0 && strcmp(want, "0") != 0 &&
	     strcmp(want, "true") != 0 && strcmp(want, "false") != 0))
		outcome_field(o, "want_mail", MSG_WANT_MAIL);
	else
		want_mail = param_true(rq, "want_mail");
	if (want_mail) {
		if (s->rules_time == 0)
			outcome_field(o, "mail_rules",
				      s->rules_viewed ? MSG_RULES_NEEDED
						      : MSG_RULES_NOT_VIEWED);
		if (blank(recovery))
			outcome_field(o, "recovery_mail",
				      "請輸入密碼復原用電子郵件 / enter a "
				      "recovery address");
	}
	if (!blank(recovery)) {
		if (mailaddr_normalize(recovery, rnorm, &err) < 0)
			outcome_field(o, "recovery_mail", err);
		else if (mailaddr_in_domain(rnorm, cfg->mail_domain))
			outcome_field(o, "recovery_mail",
				      err_fmt("密碼復原用電子郵件不可為 @%s "
					      "信箱 / the recovery address "
					      "must be outside %s",
					      cfg->mail_domain,
					      cfg->mail_domain));
	}
	if (!outcome_ok(o) || (dir = need_dir(rq, o)) == NULL)
		return;

	memset(&req, 0, sizeof(req));
	req.name = s->name;
	req.national_id = s->natid;
	req.uid = norm;
	req.password = pw;
	req.privacy_version = cfg->privacy_version;
	req.privacy_time = (long long)s->privacy_time;
	req.method = s->method;
	req.want_mail = want_mail;
	if (want_mail) {
		req.mail_rules_version = cfg->mail_rules_version;
		req.mail_rules_time = (long long)s->rules_time;
	}
	req.recovery_mail = blank(recovery) ? NULL : rnorm;
	r = account_apply(dir, cfg, rq->app->ih, &req, &rc, &err);
	if (r == KCG_EPOLICY) {
		outcome_field(o, "password", err);
		o->status = MHD_HTTP_UNPROCESSABLE_CONTENT;
		o->code = "policy";
		return;
	}
	if (r == KCG_ECONFLICT && strcmp(err, ACCOUNT_MSG_HAS_ACCOUNT) != 0) {
		/* someone took the uid since 檢查重複 */
		s->uid_passed[0] = '\0';
		outcome_field(o, "uid", err);
		o->status = MHD_HTTP_CONFLICT;
		o->code = "conflict";
		return;
	}
	if (r < 0) {
		outcome_kcg(o, r, err);
		return;
	}
	log_info("application submitted: uid=%s mail=%d from %s", rc->uid,
		 want_mail, rq->ip);
	json_decref(s->receipt);
	s->receipt = receipt_json(rc, s->hr);
	session_reset_apply(s);
	json_object_set(o->data, "receipt", s->receipt);
	json_object_set_new(o->data, "message",
			    json_string("帳號申請單已經成功提交。"));
	json_object_set_new(
		o->data, "notice",
		json_string(
			"提醒您：信箱申請成功後，需等待審核您是否為市府員工，"
			"請1~4小時後或隔天再登入，輸入帳號、密碼，若能登入"
			"代表完成申請。"));
	account_receipt_free(&rc);
}

/* ---- IKPD ------------------------------------------------------------- */

/* local_part - LOCAL from "local" or "local@<mail domain>". */
static int local_part(const struct kcg_config *cfg, const char *mail,
		      char out[UIDNAME_MAX + 1], const char **error_r)
{
	const char *at = strchr(mail, '@');
	char buf[UIDNAME_MAX + 2];
	size_t len = at ? (size_t)(at - mail) : strlen(mail);

	if (at != NULL && strcasecmp(at + 1, cfg->mail_domain) != 0) {
		*error_r =
			err_fmt("此輸入您所申請市府郵件信箱 @前的字串 / give "
				"the part before @%s",
				cfg->mail_domain);
		return KCG_EINVAL;
	}
	if (len > UIDNAME_MAX) {
		*error_r = "帳號太長 / the account name is too long";
		return KCG_EINVAL;
	}
	memcpy(buf, mail, len);
	buf[len] = '\0';
	return uidname_normalize(buf, out, error_r);
}

void flow_ikpd_step1(struct request *rq, struct outcome *o)
{
	const struct kcg_config *cfg = rq->app->cfg;
	const char *mail = param(rq, "mail"), *id = param(rq, "national_id");
	const char *birth = param(rq, "birth_date"), *err = NULL;
	char uid[UIDNAME_MAX + 1], norm[NATID_LEN + 1];
	char *who = NULL, *name = NULL;
	struct session *s = rq->sess;
	struct rocdate d;
	struct dir *dir;
	int r;

	memset(norm, 0, sizeof(norm));
	session_reset_ikpd(s);
	/* keep what was typed, for the form */
	s->ikpd_mail = xstrdup(mail ? mail : "");
	s->ikpd_birth = xstrdup(birth ? birth : "");
	if (blank(mail))
		outcome_field(o, "mail",
			      "請輸入電子郵件 @ 前的字串 / enter "
			      "your mail local part");
	else if (local_part(cfg, mail, uid, &err) < 0)
		outcome_field(o, "mail", err);
	if (blank(id))
		outcome_field(o, "national_id",
			      "請輸入身分證號 / enter your national ID");
	else if (natid_normalize(id, norm, NULL, &err) < 0)
		outcome_field(o, "national_id", err);
	if (blank(birth))
		outcome_field(o, "birth_date",
			      "請輸入生日(YYY-MM-DD) / enter your birth date");
	else if (rocdate_parse(birth, &d, &err) < 0)
		outcome_field(o, "birth_date", err);
	if (outcome_ok(o) && !limited(rq, o, "ikpd", uid) &&
	    (dir = need_dir(rq, o)) != NULL) {
		/* the seed's step 1: the person must match before step 2
		 * greets them by name */
		r = ikpd_identify(dir, cfg, rq->app->ih, uid, norm, birth, &who,
				  &name, &err);
		if (r < 0) {
			outcome_kcg(o, r, err);
		} else {
			s->ikpd_natid = xstrdup(norm);
			xfree_secret(&s->ikpd_mail);
			s->ikpd_mail = xstrdup(who);
			s->ikpd_name = xstrdup(name);
			json_object_set_new(o->data, "uid", json_string(who));
			json_object_set_new(o->data, "name", json_string(name));
			json_object_set_new(o->data, "greeting",
					    json_sprintf("%s 您好", name));
			json_object_set_new(o->data, "step", json_integer(2));
		}
	}
	free(who);
	free(name);
	explicit_bzero(norm, sizeof(norm));
}

void flow_ikpd_register(struct request *rq, struct outcome *o)
{
	const struct kcg_config *cfg = rq->app->cfg;
	struct session *s = rq->sess;
	const char *pw = param(rq, "password");
	const char *pw2 = param(rq, "password_confirm"), *err = NULL;
	struct ikpd_register_req req;
	struct ikpd_registration *reg = NULL;
	char when[32];
	struct dir *dir;
	int r;

	if (s->ikpd_natid == NULL) {
		outcome_fail(o, MHD_HTTP_CONFLICT, "no_step1", MSG_NO_STEP1);
		return;
	}
	if (blank(pw))
		outcome_field(o, "password", "請輸入密碼 / enter the password");
	else if (pw2 != NULL && strcmp(pw, pw2) != 0)
		outcome_field(o, "password_confirm", MSG_CONFIRM_MISMATCH);
	if (!outcome_ok(o) || limited(rq, o, "ikpd", s->ikpd_mail) ||
	    (dir = need_dir(rq, o)) == NULL)
		return;
	memset(&req, 0, sizeof(req));
	req.mail = s->ikpd_mail;
	req.national_id = s->ikpd_natid;
	req.birth_date = s->ikpd_birth;
	req.password = pw;
	r = ikpd_register(dir, cfg, rq->app->ih, &req, &reg, &err);
	if (r == KCG_EINVAL && strcmp(err, DIR_MSG_BAD_PASSWORD) == 0) {
		outcome_field(o, "password", err);
		return;
	}
	if (r == KCG_EPOLICY) {
		outcome_field(o, "password", err);
		o->status = MHD_HTTP_UNPROCESSABLE_CONTENT;
		o->code = "policy";
		return;
	}
	if (r < 0) {
		outcome_kcg(o, r, err);
		if (r == KCG_ENOTFOUND || r == KCG_ECONFLICT || r == KCG_EINVAL)
			json_object_set_new(o->data, "step", json_integer(1));
		return;
	}
	log_info("ikpd registration: uid=%s from %s", reg->uid, rq->ip);
	flow_taipei((time_t)reg->expiry, when);
	session_reset_ikpd(s);
	json_decref(s->ikpd_done);
	s->ikpd_done =
		json_pack("{s:s,s:s,s:s,s:s,s:i,s:o}", "uid", reg->uid, "name",
			  reg->name, "mail", reg->mail, "expires_at", when,
			  "link_hours", cfg->ikpd_token_hours, "greeting",
			  json_sprintf("%s 您好", reg->name));
	json_object_update(o->data, s->ikpd_done);
	ikpd_registration_free(&reg);
}

/* token_param - the link's token, or a field error. */
static const char *token_param(struct request *rq, struct outcome *o)
{
	const char *token = param(rq, "token"), *err = NULL;
	char hash[TOKEN_HASH_LEN + 1];

	if (token == NULL || token_hash(token, hash, &err) < 0) {
		outcome_fail(o, MHD_HTTP_BAD_REQUEST, "invalid",
			     "此連結無效，請確認網址是否完整 / this link is "
			     "not valid");
		return NULL;
	}
	if (limited(rq, o, "token", hash))
		return NULL;
	return token;
}

void flow_ikpd_activate(struct request *rq, struct outcome *o)
{
	const char *pw = param(rq, "password"), *token, *err = NULL;
	struct dir *dir;
	char *uid = NULL;
	int r;

	if (blank(pw)) {
		outcome_field(o, "password", "請輸入密碼 / enter the password");
		return;
	}
	if ((token = token_param(rq, o)) == NULL ||
	    (dir = need_dir(rq, o)) == NULL)
		return;
	r = ikpd_activate(dir, rq->app->cfg, token, pw, &uid, &err);
	if (r == KCG_EINVAL && strcmp(err, DIR_MSG_BAD_PASSWORD) == 0) {
		outcome_field(o, "password", err);
		return;
	}
	if (r < 0) {
		outcome_kcg(o, r, err);
		return;
	}
	log_info("ikpd activated: uid=%s from %s", uid, rq->ip);
	json_object_set_new(o->data, "uid", json_string(uid));
	json_object_set_new(o->data, "message",
			    json_string(IKPD_MSG_ACTIVATED));
	free(uid);
}

/* ---- 忘記密碼 / 忘記帳號 ------------------------------------------------ */

void flow_forgot_password(struct request *rq, struct outcome *o)
{
	const char *uid = param(rq, "uid"), *err = NULL;
	char norm[UIDNAME_MAX + 1];
	struct dir *dir;
	int r;

	if (blank(uid)) {
		outcome_field(o, "uid", "請輸入帳號 / enter your uid");
		return;
	}
	if (uidname_normalize(uid, norm, &err) < 0) {
		outcome_field(o, "uid", err);
		return;
	}
	if (limited(rq, o, "forgot", norm) || (dir = need_dir(rq, o)) == NULL)
		return;
	r = recovery_forgot_password(dir, rq->app->cfg, norm, &err);
	if (r < 0) {
		outcome_kcg(o, r, err);
		return;
	}
	json_object_set_new(o->data, "message", json_string(RECOVERY_MSG_SENT));
}

void flow_reset(struct request *rq, struct outcome *o)
{
	const char *pw = param(rq, "password"), *token, *err = NULL;
	const char *pw2 = param(rq, "password_confirm");
	enum pwquality_result q;
	struct dir *dir;
	char *uid = NULL;
	int r;

	q = pwquality_check(pw, pw ? strlen(pw) : 0, NULL);
	if (q != PWQ_OK)
		outcome_field(o, "password", pwquality_message(q));
	else if (pw2 == NULL || strcmp(pw, pw2) != 0)
		outcome_field(o, "password_confirm", MSG_CONFIRM_MISMATCH);
	if (!outcome_ok(o) || (token = token_param(rq, o)) == NULL ||
	    (dir = need_dir(rq, o)) == NULL)
		return;
	r = recovery_reset(dir, rq->app->cfg, token, pw, &uid, &err);
	if (r == KCG_EPOLICY) {
		outcome_field(o, "password", err);
		o->status = MHD_HTTP_UNPROCESSABLE_CONTENT;
		o->code = "policy";
		return;
	}
	if (r < 0) {
		outcome_kcg(o, r, err);
		return;
	}
	log_info("password reset by link: uid=%s from %s", uid, rq->ip);
	json_object_set_new(o->data, "uid", json_string(uid));
	json_object_set_new(o->data, "message",
			    json_string("密碼已重設，請以新密碼登入 / the "
					"password was reset"));
	free(uid);
}

void flow_forgot_account(struct request *rq, struct outcome *o)
{
	const char *name = param(rq, "name"), *id = param(rq, "national_id");
	const char *err = NULL;
	char norm[NATID_LEN + 1];
	struct dir *dir;
	int r;

	if (blank(name))
		outcome_field(o, "name", "請輸入姓名 / enter your name");
	natid_field(o, id, norm);
	if (!outcome_ok(o) || limited(rq, o, "verify", norm) ||
	    (dir = need_dir(rq, o)) == NULL)
		goto out;
	r = recovery_forgot_account(dir, rq->app->cfg, rq->app->ih, name, norm,
				    &err);
	if (r < 0) {
		outcome_kcg(o, r, err);
		goto out;
	}
	json_object_set_new(o->data, "message", json_string(RECOVERY_MSG_SENT));
out:
	explicit_bzero(norm, sizeof(norm));
}

/* ---- sign-in and the account page --------------------------------------- */

/*
 * sign_in - make the session of RQ that of the account UID, whose entry E
 * was read for the sign-in, by METHOD (NULL: the password). Refuses an
 * account that is not active: -1 with the outcome set, else 0 with the
 * uid and the new CSRF token in the outcome's data.
 */
static int sign_in(struct request *rq, struct outcome *o,
		   const struct dir_entry *e, const char *uid,
		   const char *method)
{
	const char *status = dir_entry_value(e, "kcgAccountStatus");
	struct session *s = rq->sess;

	if (status == NULL || strcmp(status, "active") != 0) {
		outcome_fail(o, MHD_HTTP_FORBIDDEN, "not_active",
			     status != NULL && strcmp(status, "pending") == 0
				     ? "帳號審核中：需等待審核您是否為市府員工"
				       "，請1~4小時後或隔天再登入。 / the "
				       "account is still under review"
				     : "帳號已停用，請洽人事室或資訊中心 / the "
				       "account is disabled");
		return -1;
	}
	/* a new session id after sign-in: nobody can plant one before */
	session_rotate(rq->app->sessions, s);
	rq->set_cookie = 1;
	xfree_secret(&s->login_uid);
	xfree_secret(&s->last_login);
	s->login_uid = xstrdup(uid);
	s->login_method = method;
	if (dir_entry_value(e, "pwdLastSuccess") != NULL)
		s->last_login = xstrdup(dir_entry_value(e, "pwdLastSuccess"));
	json_object_set_new(o->data, "uid", json_string(uid));
	json_object_set_new(o->data, "csrf_token", json_string(s->csrf));
	return 0;
}

void flow_login(struct request *rq, struct outcome *o)
{
	const struct kcg_config *cfg = rq->app->cfg;
	const char *uid = param(rq, "uid"), *pw = param(rq, "password");
	/* 動態密碼: slapd's otp overlay takes the code after the password */
	const char *code = cfg->otp_enabled ? param(rq, "otp") : NULL;
	const char *err = NULL;
	char norm[UIDNAME_MAX + 1];
	struct dir_entry *e = NULL;
	struct dir *dir, *user = NULL;
	char *masked = NULL, *at, *bind_pw = NULL;
	char local[UIDNAME_MAX + 2];
	int r;

	if (blank(uid))
		outcome_field(o, "uid", "請輸入帳號 / enter your uid");
	if (blank(pw))
		outcome_field(o, "password", "請輸入密碼 / enter the password");
	if (!blank(code) && (strlen(code) < 6 || strlen(code) > 8 ||
			     strspn(code, "0123456789") != strlen(code)))
		outcome_field(o, "otp",
			      "動態密碼為 6 位數字 / the code is 6 digits");
	if (!outcome_ok(o))
		return;
	/* "abc" or "abc@kcg.gov.tw", as the sign-in box suggests */
	snprintf(local, sizeof(local), "%s", uid);
	if ((at = strchr(local, '@')) != NULL &&
	    strcasecmp(uid + (at - local) + 1, cfg->mail_domain) == 0)
		*at = '\0';
	if (uidname_normalize(local, norm, &err) < 0) {
		outcome_fail(o, MHD_HTTP_UNAUTHORIZED, "bad_login",
			     DIR_MSG_BAD_PASSWORD);
		return;
	}
	if (limited(rq, o, "login", norm) || (dir = need_dir(rq, o)) == NULL)
		return;
	r = account_show(dir, norm, &e, &masked, &err);
	bind_pw = blank(code) ? xstrdup(pw) : xasprintf("%s%s", pw, code);
	if (r == 0)
		r = dir_open_user(cfg, dir_entry_dn(e), bind_pw, &user, &err);
	if (r == KCG_ENOTFOUND || r == KCG_EINVAL) {
		/* one answer for no such account and a wrong password */
		outcome_fail(o, MHD_HTTP_UNAUTHORIZED, "bad_login",
			     DIR_MSG_BAD_PASSWORD);
		log_info("sign-in failed: uid=%s from %s", norm, rq->ip);
		goto out;
	}
	if (r == KCG_EPOLICY) {
		outcome_fail(o, MHD_HTTP_FORBIDDEN, "locked", err);
		goto out;
	}
	if (r < 0) {
		outcome_kcg(o, r, err);
		goto out;
	}
	if (sign_in(rq, o, e, norm, NULL) < 0)
		goto out;
	log_info("signed in: uid=%s from %s", norm, rq->ip);
out:
	xfree_secret(&bind_pw);
	dir_free(&user);
	dir_entry_free(&e);
	free(masked);
}

/*
 * cert_account - the uid of the account of the holder of the client
 * certificate whose typed ID is NORM, with its entry; or an outcome.
 */
static int cert_account(struct request *rq, struct outcome *o, const char *norm,
			struct dir *dir, char **uid_r, struct dir_entry **e_r)
{
	const unsigned char *der[MAX_PEER_CHAIN];
	size_t len[MAX_PEER_CHAIN];
	struct vmethod_input in;
	struct cert_holder *h = NULL;
	const char *err = NULL;
	char *pem = NULL, *masked = NULL;
	int r;

	memset(&in, 0, sizeof(in));
	*uid_r = NULL;
	if (peer_chain(rq, &in, der, len, &pem) < 0) {
		outcome_fail(o, MHD_HTTP_BAD_REQUEST, "no_certificate",
			     "請插入自然人憑證卡並選擇憑證 / no client "
			     "certificate was presented");
		r = KCG_EINVAL;
		goto out;
	}
	r = in.cert_pem != NULL
		    ? cert_check_pem(rq->app->certs, in.cert_pem,
				     in.cert_pem_len, &h, &err)
		    : cert_check_der(rq->app->certs, in.cert_der,
				     in.cert_der_len, in.cert_n, &h, &err);
	if (r == 0 && !cert_holder_id_matches(h, norm)) {
		err = "身分證字號與憑證不符 / the national ID does not match "
		      "the certificate";
		r = KCG_EINVAL;
	}
	if (r == 0)
		r = account_find_person(dir, rq->app->ih, h->name, norm, uid_r,
					&err);
	if (r == 0 && *uid_r == NULL) {
		err = "查無帳號，請先申請帳號 / no account: apply for one "
		      "first";
		r = KCG_ENOTFOUND;
	}
	if (r == 0)
		r = account_show(dir, *uid_r, e_r, &masked, &err);
	if (r < 0) {
		log_info("certificate sign-in refused from %s: %s", rq->ip,
			 err);
		outcome_kcg(o, r, err);
		free(*uid_r);
		*uid_r = NULL;
	}
out:
	free(masked);
	free(pem);
	cert_holder_free(&h);
	return r;
}

void flow_login_cert(struct request *rq, struct outcome *o)
{
	const char *id = param(rq, "national_id");
	char norm[NATID_LEN + 1] = "";
	struct dir_entry *e = NULL;
	struct dir *dir;
	char *uid = NULL;

	if (rq->app->certs == NULL) {
		outcome_fail(o, MHD_HTTP_NOT_FOUND, "not_enabled",
			     "本伺服器未啟用自然人憑證登入 / citizen "
			     "certificates are not enabled here");
		return;
	}
	natid_field(o, id, norm);
	if (!outcome_ok(o) || limited(rq, o, "login", norm) ||
	    (dir = need_dir(rq, o)) == NULL ||
	    cert_account(rq, o, norm, dir, &uid, &e) < 0)
		goto out;
	if (sign_in(rq, o, e, uid, "自然人憑證") < 0)
		goto out;
	log_info("signed in with a citizen certificate: uid=%s from %s", uid,
		 rq->ip);
out:
	explicit_bzero(norm, sizeof(norm));
	dir_entry_free(&e);
	free(uid);
}

void flow_logout(struct request *rq, struct outcome *o)
{
	session_destroy(rq->app->sessions, rq->sess);
	rq->sess = NULL;
	rq->clear_cookie = 1;
	json_object_set_new(o->data, "message",
			    json_string("您已登出 / signed out"));
}

/* need_login - the signed-in uid, or a 401 outcome. */
static const char *need_login(struct request *rq, struct outcome *o)
{
	if (rq->sess->login_uid == NULL) {
		outcome_fail(o, MHD_HTTP_UNAUTHORIZED, "not_signed_in",
			     MSG_LOGIN_NEEDED);
		return NULL;
	}
	return rq->sess->login_uid;
}

/* str_or_null - a JSON string for V, or null. */
static json_t *str_or_null(const char *v)
{
	return v != NULL ? json_string(v) : json_null();
}

void flow_account(struct request *rq, struct outcome *o)
{
	const char *uid = need_login(rq, o), *err = NULL, *type;
	struct dir_entry *e = NULL;
	char *masked = NULL, last[32];
	struct dir *dir;
	int r;

	if (uid == NULL || (dir = need_dir(rq, o)) == NULL)
		return;
	r = account_show(dir, uid, &e, &masked, &err);
	if (r < 0) {
		outcome_kcg(o, r, err);
		return;
	}
	type = dir_entry_value(e, "kcgIkpdAccountType")
		       ? dir_entry_value(e, "kcgIkpdAccountType")
		       : dir_entry_value(e, "kcgAccountType");
	flow_gt_taipei(rq->sess->last_login, last);
	json_object_set_new(o->data, "uid", json_string(uid));
	json_object_set_new(o->data, "name",
			    str_or_null(dir_entry_value(e, "cn")));
	json_object_set_new(o->data, "agency",
			    str_or_null(dir_entry_value(e, "kcgAgency")));
	json_object_set_new(o->data, "unit",
			    str_or_null(dir_entry_value(e, "kcgUnit")));
	json_object_set_new(o->data, "account_type", str_or_null(type));
	json_object_set_new(o->data, "account_type_label",
			    json_string(roster_account_type_label(type)));
	json_object_set_new(o->data, "login_method",
			    json_string(rq->sess->login_method
						? rq->sess->login_method
						: "帳密"));
	json_object_set_new(o->data, "last_login",
			    last[0] ? json_string(last) : json_null());
	json_object_set_new(o->data, "mail",
			    str_or_null(dir_entry_value(e, "kcgMail")));
	json_object_set_new(o->data, "recovery_mail",
			    str_or_null(dir_entry_value(e, "kcgRecoveryMail")));
	json_object_set_new(o->data, "ikpd_status",
			    str_or_null(dir_entry_value(e, "kcgIkpdStatus")));
	json_object_set_new(
		o->data, "status",
		str_or_null(dir_entry_value(e, "kcgAccountStatus")));
	dir_entry_free(&e);
	free(masked);
}

void flow_account_password(struct request *rq, struct outcome *o)
{
	const char *uid = need_login(rq, o), *err = NULL;
	const char *old = param(rq, "old_password"),
		   *pw = param(rq, "password");
	const char *pw2 = param(rq, "password_confirm");
	enum pwquality_result q;
	struct dir *dir;
	int r;

	if (uid == NULL)
		return;
	if (blank(old))
		outcome_field(o, "old_password",
			      "請輸入目前的密碼 / enter your current password");
	q = pwquality_check(pw, pw ? strlen(pw) : 0, uid);
	if (q != PWQ_OK)
		outcome_field(o, "password", pwquality_message(q));
	else if (pw2 == NULL || strcmp(pw, pw2) != 0)
		outcome_field(o, "password_confirm", MSG_CONFIRM_MISMATCH);
	if (!outcome_ok(o) || limited(rq, o, "account", uid) ||
	    (dir = need_dir(rq, o)) == NULL)
		return;
	r = account_passwd(dir, rq->app->cfg, uid, old, pw, &err);
	if (r == KCG_EINVAL && strcmp(err, DIR_MSG_BAD_PASSWORD) == 0) {
		outcome_field(o, "old_password", err);
		return;
	}
	if (r == KCG_EPOLICY && strcmp(err, DIR_MSG_LOCKED) != 0) {
		outcome_field(o, "password", err);
		o->status = MHD_HTTP_UNPROCESSABLE_CONTENT;
		o->code = "policy";
		return;
	}
	if (r < 0) {
		outcome_kcg(o, r, err);
		return;
	}
	json_object_set_new(o->data, "message",
			    json_string("密碼已變更，下次登入請使用新密碼 / "
					"the password was changed"));
}

/*
 * flow_account_recovery - a new 密碼復原用電子郵件, after the person
 * proves their password. (The library has no call for this yet: see
 * set_recovery.)
 */
static int set_recovery(struct dir *dir, const char *uid, const char *addr,
			const char **error_r)
{
	struct dir_mods *mods = dir_mods_new();
	char *dn = account_dn(dir, uid);
	int r;

	dir_mods_add(mods, DIR_MOD_REPLACE, "kcgRecoveryMail", addr);
	r = dir_modify(dir, dn, mods, error_r);
	dir_mods_free(&mods);
	free(dn);
	return r;
}

void flow_account_recovery(struct request *rq, struct outcome *o)
{
	const struct kcg_config *cfg = rq->app->cfg;
	const char *uid = need_login(rq, o), *err = NULL;
	const char *pw = param(rq, "current_password");
	const char *addr = param(rq, "recovery_mail");
	char norm[MAILADDR_MAX + 1];
	struct dir *dir, *user = NULL;
	char *dn = NULL;
	int r;

	if (uid == NULL)
		return;
	if (blank(pw))
		outcome_field(o, "current_password",
			      "請輸入目前的密碼 / enter your current password");
	if (blank(addr))
		outcome_field(o, "recovery_mail",
			      "請輸入密碼復原用電子郵件 / enter a recovery "
			      "address");
	else if (mailaddr_normalize(addr, norm, &err) < 0)
		outcome_field(o, "recovery_mail", err);
	else if (mailaddr_in_domain(norm, cfg->mail_domain))
		outcome_field(o, "recovery_mail",
			      err_fmt("密碼復原用電子郵件不可為 @%s 信箱 / the "
				      "recovery address must be outside %s",
				      cfg->mail_domain, cfg->mail_domain));
	if (!outcome_ok(o) || limited(rq, o, "account", uid) ||
	    (dir = need_dir(rq, o)) == NULL)
		return;
	dn = account_dn(dir, uid);
	r = dir_open_user(cfg, dn, pw, &user, &err);
	if (r == KCG_EINVAL) {
		outcome_field(o, "current_password", DIR_MSG_BAD_PASSWORD);
		goto out;
	}
	if (r == 0) {
		r = set_recovery(dir, uid, norm, &err);
		audit_result("recovery-mail-change", uid, r, r < 0 ? err : NULL,
			     "by the user, on the web");
	}
	if (r < 0) {
		outcome_kcg(o, r, err);
		goto out;
	}
	json_object_set_new(o->data, "recovery_mail", json_string(norm));
	json_object_set_new(o->data, "message",
			    json_string("密碼復原用電子郵件已更新 / the "
					"recovery address was changed"));
out:
	dir_free(&user);
	free(dn);
}

void flow_contact(struct request *rq, struct outcome *o)
{
	json_t *text = read_text(rq->app->cfg->web_contact_file);

	if (text == NULL) {
		outcome_kcg(o, KCG_EINTERNAL, "contact file unreadable");
		return;
	}
	json_object_set_new(o->data, "title", json_string("聯絡人資訊"));
	json_object_set_new(o->data, "text", text);
}
