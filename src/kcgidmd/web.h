/*
 * web.h - what the parts of kcgidmd share: the application, the request,
 * the outcome of an operation, and each module's entry points.
 *
 * One operation (flow.c) serves both faces: the JSON API (api.c) prints
 * its outcome as JSON, the pages (pages.c) turn it into HTML or a
 * redirect. Every operation runs on the daemon's single polling thread,
 * so the one directory session needs no lock.
 */
#ifndef KCG_WEB_H
#define KCG_WEB_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "token.h"
#include "uidname.h"

struct MHD_Connection;
struct cert_trust;
struct dir;
struct idhash;
struct kcg_config;

#define WEB_MAX_BODY	  (16 * 1024) /* request bodies, bytes */
#define WEB_COOKIE	  "kcgsid"
#define WEB_COOKIE_HOST	  "__Host-kcgsid" /* with Secure */
#define WEB_CSRF_HEADER	  "X-CSRF-Token"
#define WEB_CSRF_FIELD	  "csrf"
#define WEB_PRIVACY_TITLE "單一登入平臺個人資料蒐集、處理及利用告知聲明"
#define WEB_RULES_TITLE	  "電子信箱帳號使用管理要點"

/* ---- wbuf: a growing text buffer ------------------------------------- */

struct wbuf {
	char *data;
	size_t len, cap;
};

/* wbuf_new - an empty buffer (free with wbuf_free). */
struct wbuf *wbuf_new(void);
/* wbuf_free - wipe, free *bp, set it to NULL (bodies may hold secrets). */
void wbuf_free(struct wbuf **bp);
void wbuf_add(struct wbuf *b, const char *s, size_t n);
void wbuf_puts(struct wbuf *b, const char *s);
void wbuf_printf(struct wbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* wbuf_html - S (may be NULL) HTML-escaped, for text and attributes. */
void wbuf_html(struct wbuf *b, const char *s);
/* wbuf_steal - the NUL-terminated text (caller frees); B is emptied. */
char *wbuf_steal(struct wbuf *b, size_t *len_r);

/* ---- sessions -------------------------------------------------------- */

/* What one visitor has done so far; lives only in the daemon's memory. */
struct session {
	char id[TOKEN_LEN + 1];
	char csrf[TOKEN_LEN + 1];
	time_t created, last;
	/* 申請帳號 */
	int verified;	    /* 個人資料驗證 passed */
	const char *method; /* VMETHOD_* that passed (static); NULL: personal */
	char *name;	    /* as typed */
	char *natid;	    /* as typed: secret, wiped */
	json_t *hr;	    /* the 人員資訊 shown */
	int hr_confirmed;   /* 以上資料均正確，我要申請帳號 */
	int privacy_viewed, rules_viewed;
	time_t privacy_time, rules_time;  /* 0: not agreed */
	char uid_passed[UIDNAME_MAX + 1]; /* 檢查重複 passed for this uid */
	json_t *draft;			  /* the form as typed, no passwords */
	json_t *receipt;		  /* 帳號申請單 */
	/* IKPD registration */
	char *ikpd_mail, *ikpd_natid, *ikpd_birth; /* step 1; natid wiped */
	char *ikpd_name;			   /* for step 2's greeting */
	json_t *ikpd_done;			   /* step 3 */
	/* sign-in */
	char *login_uid;
	char *last_login; /* GeneralizedTime of the previous login, or NULL */
	const char *login_method; /* 登入方式 (static); NULL: 帳密 */
	/* a one-shot notice for the next page */
	char *flash;
	struct session *next;
};

struct session_store;

struct session_store *session_store_new(int max_sessions, int idle_seconds);
void session_store_free(struct session_store **sp);
/* session_find - the live session with ID (touched), or NULL. */
struct session *session_find(struct session_store *st, const char *id);
/* session_create - a new session; evicts the oldest when full. */
struct session *session_create(struct session_store *st);
/* session_rotate - a new id and CSRF token for S (after sign-in). */
void session_rotate(struct session_store *st, struct session *s);
void session_destroy(struct session_store *st, struct session *s);
/* session_reset_apply / _ikpd - forget the flow (secrets wiped). */
void session_reset_apply(struct session *s);
void session_reset_ikpd(struct session *s);
/* session_csrf_ok - constant-time comparison with S's CSRF token. */
int session_csrf_ok(const struct session *s, const char *token);
size_t session_count(const struct session_store *st);

/* ---- rate limits ----------------------------------------------------- */

struct ratelimit;

struct ratelimit *ratelimit_new(int per_minute);
void ratelimit_free(struct ratelimit **rlp);
/*
 * ratelimit_hit - count one attempt for KIND and KEY (hashed, never kept
 * in clear). Returns 0 when allowed, -1 when over the limit this minute.
 */
int ratelimit_hit(struct ratelimit *rl, const char *kind, const char *key);

/* ---- the application ------------------------------------------------- */

struct app {
	struct kcg_config *cfg;
	struct dir *dir; /* NULL until the directory answers */
	struct idhash *ih;
	struct cert_trust *certs; /* NULL: no citizen certificates */
	struct session_store *sessions;
	struct ratelimit *rl;
};

/* app_dir - the provisioner's session, reconnecting when needed. */
struct dir *app_dir(struct app *app, const char **error_r);

/* ---- requests -------------------------------------------------------- */

struct request {
	struct app *app;
	struct MHD_Connection *conn;
	const char *method, *path;
	char ip[64];
	int is_post, is_api;
	struct wbuf *body; /* raw body (wiped) */
	int too_large;
	json_t *params;	      /* string values from the form, JSON or query */
	struct session *sess; /* NULL when none */
	int set_cookie;	      /* send the session cookie */
	int clear_cookie;
};

/* The result of one operation. */
struct outcome {
	int status;	  /* HTTP status */
	const char *code; /* "ok", "invalid", "conflict", ... */
	char *message;	  /* zh-TW text for the whole form, or NULL */
	json_t *fields;	  /* field name -> message */
	json_t *data;	  /* what succeeded */
};

void outcome_init(struct outcome *o);
void outcome_clear(struct outcome *o);
/* outcome_fail - set STATUS/CODE and MESSAGE (copied). */
void outcome_fail(struct outcome *o, int status, const char *code,
		  const char *message);
/* outcome_field - an error next to FIELD (400 invalid unless set). */
void outcome_field(struct outcome *o, const char *field, const char *message);
/* outcome_kcg - a library error code R with its text. */
void outcome_kcg(struct outcome *o, int r, const char *message);
int outcome_ok(const struct outcome *o);

/* param - the string value of NAME in the request, or NULL. */
const char *param(const struct request *rq, const char *name);
/* param_true - "1", "true", "yes", "on" or JSON true. */
int param_true(const struct request *rq, const char *name);

/* ---- the operations (flow.c) ------------------------------------------ */

void flow_session(struct request *rq, struct outcome *o);
void flow_verify(struct request *rq, struct outcome *o);
/* flow_verify_cert - 自然人憑證驗證: the client certificate + national_id. */
void flow_verify_cert(struct request *rq, struct outcome *o);
void flow_confirm(struct request *rq, struct outcome *o);
/* DOC is "privacy" or "mail-rules". */
void flow_consent_text(struct request *rq, const char *doc, struct outcome *o);
void flow_consent(struct request *rq, struct outcome *o);
void flow_uid_check(struct request *rq, struct outcome *o);
void flow_password_check(struct request *rq, struct outcome *o);
/* flow_draft - keep what was typed in the application form. */
void flow_draft(struct request *rq);
void flow_apply(struct request *rq, struct outcome *o);
void flow_apply_state(struct request *rq, struct outcome *o);
void flow_ikpd_step1(struct request *rq, struct outcome *o);
void flow_ikpd_register(struct request *rq, struct outcome *o);
void flow_ikpd_activate(struct request *rq, struct outcome *o);
void flow_forgot_password(struct request *rq, struct outcome *o);
void flow_reset(struct request *rq, struct outcome *o);
void flow_forgot_account(struct request *rq, struct outcome *o);
void flow_login(struct request *rq, struct outcome *o);
/* flow_login_cert - 自然人憑證 sign-in: client certificate + national_id. */
void flow_login_cert(struct request *rq, struct outcome *o);
void flow_logout(struct request *rq, struct outcome *o);
void flow_account(struct request *rq, struct outcome *o);
void flow_account_password(struct request *rq, struct outcome *o);
void flow_account_recovery(struct request *rq, struct outcome *o);
void flow_contact(struct request *rq, struct outcome *o);
/* flow_taipei - T as "2026-11-30 13:45:12" Taiwan time, into OUT. */
void flow_taipei(time_t t, char out[32]);
/* flow_gt_taipei - a GeneralizedTime as flow_taipei, or "" */
void flow_gt_taipei(const char *gt, char out[32]);

/* ---- HTTP ------------------------------------------------------------ */

struct reply {
	int status;
	const char *content_type;
	struct wbuf *body;
	char *location; /* a 303 redirect */
	int cacheable;	/* static files */
	int retry_after;
};

void reply_init(struct reply *rp);
/* http_send - queue RP on RQ's connection with the security headers. */
int http_send(struct request *rq, struct reply *rp);
/* http_redirect - a 303 See Other to PATH. */
int http_redirect(struct request *rq, const char *path);
/* http_static - a file from web.static_dir (a plain name only). */
int http_static(struct request *rq, const char *name);

/* ---- the two faces --------------------------------------------------- */

/* api_handle - /api/v1/...; returns the MHD result. */
int api_handle(struct request *rq);
/* page_handle - everything else. */
int page_handle(struct request *rq);

#endif
