/*
 * api - the JSON API under /api/v1/ (docs/api.md), used by the pages'
 * scripts and by the tests. Each route runs one operation of flow.c and
 * prints its outcome: {"ok": true, ...} or {"ok": false, "code": ...,
 * "message": ..., "fields": {...}}.
 *
 * Every POST needs the session cookie and the session's CSRF token in the
 * X-CSRF-Token header, and a JSON object body.
 */
#include <string.h>

#include <microhttpd.h>

#include "kcg.h"
#include "web.h"
#include "xalloc.h"

/* consent_privacy / consent_rules - GET /consent/... */
static void consent_privacy(struct request *rq, struct outcome *o)
{
	flow_consent_text(rq, "privacy", o);
}

static void consent_rules(struct request *rq, struct outcome *o)
{
	flow_consent_text(rq, "mail-rules", o);
}

static const struct route {
	int post;
	const char *path;
	void (*run)(struct request *rq, struct outcome *o);
} routes[] = {
	{0, "/api/v1/session", flow_session},
	{0, "/api/v1/apply", flow_apply_state},
	{0, "/api/v1/consent/privacy", consent_privacy},
	{0, "/api/v1/consent/mail-rules", consent_rules},
	{0, "/api/v1/account", flow_account},
	{0, "/api/v1/contact", flow_contact},
	{1, "/api/v1/apply/verify", flow_verify},
	{1, "/api/v1/apply/verify-cert", flow_verify_cert},
	{1, "/api/v1/apply/confirm", flow_confirm},
	{1, "/api/v1/apply/consent", flow_consent},
	{1, "/api/v1/apply/uid-check", flow_uid_check},
	{1, "/api/v1/apply", flow_apply},
	{1, "/api/v1/password/check", flow_password_check},
	{1, "/api/v1/ikpd/register/step1", flow_ikpd_step1},
	{1, "/api/v1/ikpd/register", flow_ikpd_register},
	{1, "/api/v1/ikpd/activate", flow_ikpd_activate},
	{1, "/api/v1/forgot-password", flow_forgot_password},
	{1, "/api/v1/reset", flow_reset},
	{1, "/api/v1/forgot-account", flow_forgot_account},
	{1, "/api/v1/login", flow_login},
	{1, "/api/v1/login/cert", flow_login_cert},
	{1, "/api/v1/logout", flow_logout},
	{1, "/api/v1/account/password", flow_account_password},
	{1, "/api/v1/account/recovery-mail", flow_account_recovery},
};

/* send_json - OBJ (stolen) as the reply. */
static int send_json(struct request *rq, int status, json_t *obj,
		     int retry_after)
{
	struct reply rp;
	char *text = json_dumps(obj, JSON_COMPACT);

	json_decref(obj);
	reply_init(&rp);
	rp.status = status;
	rp.content_type = "application/json; charset=utf-8";
	rp.body = wbuf_new();
	rp.retry_after = retry_after;
	if (text != NULL) {
		wbuf_puts(rp.body, text);
		wbuf_puts(rp.body, "\n");
		explicit_bzero(text, strlen(text));
		free(text);
	}
	return http_send(rq, &rp);
}

/* send_error - a refusal that ran no operation. */
static int send_error(struct request *rq, int status, const char *code,
		      const char *message)
{
	return send_json(rq, status,
			 json_pack("{s:b,s:s,s:s}", "ok", 0, "code", code,
				   "message", message),
			 0);
}

int api_handle(struct request *rq)
{
	const struct route *rt = NULL;
	struct outcome o;
	json_t *out;
	size_t i;
	int path_known = 0, status, retry;

	for (i = 0; i < KCG_N_ELEMENTS(routes); i++) {
		if (strcmp(routes[i].path, rq->path) != 0)
			continue;
		path_known = 1;
		if (routes[i].post == rq->is_post) {
			rt = &routes[i];
			break;
		}
	}
	if (rt == NULL)
		return path_known ? send_error(rq, MHD_HTTP_METHOD_NOT_ALLOWED,
					       "method", "method not allowed")
				  : send_error(rq, MHD_HTTP_NOT_FOUND,
					       "not_found", "no such API");
	if (rq->is_post) {
		if (rq->sess == NULL)
			return send_error(rq, MHD_HTTP_FORBIDDEN, "csrf",
					  "工作階段不存在或已逾時，請重新取得 "
					  "(GET /api/v1/session) / no "
					  "session");
		if (!session_csrf_ok(rq->sess,
				     MHD_lookup_connection_value(
					     rq->conn, MHD_HEADER_KIND,
					     WEB_CSRF_HEADER)))
			return send_error(rq, MHD_HTTP_FORBIDDEN, "csrf",
					  "CSRF 驗證失敗 / missing or wrong "
					  "CSRF token");
		if (rq->params == NULL)
			return send_error(rq, MHD_HTTP_BAD_REQUEST, "body",
					  "需要 JSON 物件 / the body must be "
					  "a JSON object of strings");
	} else if (rq->sess == NULL) {
		rq->sess = session_create(rq->app->sessions);
		rq->set_cookie = 1;
	}
	outcome_init(&o);
	rt->run(rq, &o);
	out = json_deep_copy(o.data);
	json_object_set_new(out, "ok", json_boolean(outcome_ok(&o)));
	if (!outcome_ok(&o)) {
		json_object_set_new(out, "code", json_string(o.code));
		if (o.message == NULL && o.fields != NULL)
			/* the first field's error says it for the whole */
			json_object_set(out, "message",
					json_object_iter_value(
						json_object_iter(o.fields)));
		else
			json_object_set_new(
				out, "message",
				json_string(o.message ? o.message : ""));
		json_object_set_new(out, "fields",
				    o.fields ? json_deep_copy(o.fields)
					     : json_object());
	}
	status = o.status;
	retry = status == MHD_HTTP_TOO_MANY_REQUESTS ? 60 : 0;
	outcome_clear(&o);
	return send_json(rq, status, out, retry);
}
