/*
 * pages - the seed's screens as zh-TW HTML that works without JavaScript.
 *
 * Each POST carries the session's CSRF token in a hidden field, runs one
 * operation of flow.c and then either redirects to the next screen (so
 * that reloading never submits twice) or shows the same form again with
 * each error next to its field and what was typed still there (passwords
 * aside). Every value written into a page goes through wbuf_html().
 * /static/app.js adds the seed's live bits: 檢查重複 without leaving the
 * page, the strength meter, and hiding the mailbox part on 否.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "config.h"
#include "ikpd.h"
#include "kcg.h"
#include "recovery.h"
#include "token.h"
#include "web.h"
#include "xalloc.h"

enum site { SITE_ACCOUNT, SITE_IKPD };

/* ---- the frame ------------------------------------------------------- */

/* begin - the page up to <main>. */
static struct wbuf *begin(struct request *rq, enum site site, const char *title)
{
	struct wbuf *b = wbuf_new();

	wbuf_puts(b, "<!DOCTYPE html>\n<html lang=\"zh-Hant-TW\">\n<head>\n"
		     "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
		     "content=\"width=device-width, initial-scale=1\">\n");
	if (rq->sess != NULL) {
		wbuf_puts(b, "<meta name=\"csrf-token\" content=\"");
		wbuf_html(b, rq->sess->csrf);
		wbuf_puts(b, "\">\n");
	}
	wbuf_puts(b, "<title>");
	wbuf_html(b, title);
	wbuf_puts(b, site == SITE_IKPD ? " - 高雄市政府人事處人事服務網"
				       : " - 帳號管理系統");
	wbuf_puts(b, "</title>\n<link rel=\"stylesheet\" "
		     "href=\"/static/style.css\">\n<script "
		     "src=\"/static/app.js\" defer></script>\n</head>\n");
	if (site == SITE_IKPD)
		wbuf_puts(b, "<body class=\"site-ikpd\">\n<header "
			     "class=\"banner\"><a href=\"/ikpd/register\" "
			     "class=\"brand\"><span class=\"brand-title\">"
			     "高雄市政府人事處 人事服務網系統</span><span "
			     "class=\"brand-sub\">Kaohsiung City Government "
			     "Personnel Department</span></a></header>\n");
	else
		wbuf_puts(b, "<body class=\"site-account\">\n<header "
			     "class=\"banner\"><a href=\"/\" class=\"brand\">"
			     "<span class=\"brand-title\">帳號管理系統</span>"
			     "<span class=\"brand-sub\">Information "
			     "Management Center Kaohsiung City Government"
			     "</span></a></header>\n");
	wbuf_puts(b, "<main>\n");
	if (rq->sess != NULL && rq->sess->flash != NULL) {
		wbuf_puts(b, "<p class=\"flash\" role=\"status\">");
		wbuf_html(b, rq->sess->flash);
		wbuf_puts(b, "</p>\n");
		xfree_secret(&rq->sess->flash);
	}
	wbuf_puts(b, "<h1>");
	wbuf_html(b, title);
	wbuf_puts(b, "</h1>\n");
	return b;
}

/* links - the sign-in page's links. */
static void links(struct wbuf *b)
{
	wbuf_puts(b, "<nav class=\"links\"><a href=\"/contact\">聯絡人資訊</a>"
		     " | <a href=\"/forgot-password\">忘記密碼</a> | <a "
		     "href=\"/forgot-account\">忘記帳號</a> | <a "
		     "href=\"/apply\"><strong>申請帳號</strong></a></nav>\n");
}

/* finish - close the page and send it with STATUS. */
static int finish(struct request *rq, struct wbuf *b, int status)
{
	struct reply rp;

	wbuf_puts(b, "</main>\n<footer>");
	links(b);
	wbuf_puts(b, "<p><a href=\"/ikpd/register\">高雄市政府人事處人事服務網"
		     "(IKPD) 註冊帳號</a></p></footer>\n</body>\n</html>\n");
	reply_init(&rp);
	rp.status = status;
	rp.body = b;
	return http_send(rq, &rp);
}

/* ---- form pieces ------------------------------------------------------ */

static void csrf_field(struct wbuf *b, struct request *rq)
{
	wbuf_puts(b, "<input type=\"hidden\" name=\"" WEB_CSRF_FIELD
		     "\" value=\"");
	wbuf_html(b, rq->sess->csrf);
	wbuf_puts(b, "\">\n");
}

/* form_open - <form> to ACTION with the CSRF field. */
static void form_open(struct wbuf *b, struct request *rq, const char *action,
		      const char *cls)
{
	wbuf_puts(b, "<form method=\"post\" action=\"");
	wbuf_html(b, action);
	wbuf_printf(b, "\" class=\"%s\" accept-charset=\"utf-8\">\n",
		    cls ? cls : "form");
	csrf_field(b, rq);
}

/* general - the outcome's message for the whole form. */
static void general(struct wbuf *b, const struct outcome *o)
{
	if (o == NULL || outcome_ok(o) || o->message == NULL)
		return;
	wbuf_puts(b, "<p class=\"error general\" role=\"alert\">");
	wbuf_html(b, o->message);
	wbuf_puts(b, "</p>\n");
}

/* ferr - the error next to field NAME, if any. */
static void ferr(struct wbuf *b, const struct outcome *o, const char *name)
{
	json_t *m = o && o->fields ? json_object_get(o->fields, name) : NULL;

	if (!json_is_string(m))
		return;
	wbuf_printf(b, "<p class=\"error\" id=\"err-%s\" role=\"alert\">",
		    name);
	wbuf_html(b, json_string_value(m));
	wbuf_puts(b, "</p>\n");
}

/* typed - what the person typed into NAME (this POST), else FALLBACK. */
static const char *typed(struct request *rq, const char *name,
			 const char *fallback)
{
	const char *v = rq->is_post ? param(rq, name) : NULL;

	return v != NULL ? v : fallback;
}

/*
 * input - one labelled field. TYPE "password" never gets a value back.
 * EXTRA is raw attribute text of ours (never user input).
 */
static void input(struct wbuf *b, const struct outcome *o, const char *label,
		  const char *name, const char *type, const char *value,
		  const char *suffix, const char *extra)
{
	int has_err = o && o->fields && json_object_get(o->fields, name);

	wbuf_printf(b, "<div class=\"field%s\"><label for=\"f-%s\">",
		    has_err ? " has-error" : "", name);
	wbuf_html(b, label);
	wbuf_printf(b,
		    "</label><div class=\"control\"><input id=\"f-%s\" "
		    "name=\"%s\" type=\"%s\"",
		    name, name, type);
	if (strcmp(type, "password") != 0 && value != NULL) {
		wbuf_puts(b, " value=\"");
		wbuf_html(b, value);
		wbuf_puts(b, "\"");
	}
	if (has_err)
		wbuf_printf(b,
			    " aria-invalid=\"true\" "
			    "aria-describedby=\"err-%s\"",
			    name);
	wbuf_printf(b, " %s>", extra ? extra : "");
	if (suffix != NULL) {
		wbuf_puts(b, "<span class=\"suffix\">");
		wbuf_html(b, suffix);
		wbuf_puts(b, "</span>");
	}
	wbuf_puts(b, "</div>");
	ferr(b, o, name);
	wbuf_puts(b, "</div>\n");
}

/* meter - the seed's 密碼強度判別 for the password field FOR. */
static void meter(struct wbuf *b, const char *for_field)
{
	wbuf_printf(b,
		    "<div class=\"meter\" id=\"meter-%s\" "
		    "aria-live=\"polite\"><span class=\"meter-label\">"
		    "密碼強度判別</span><span class=\"meter-bar\"><span "
		    "class=\"meter-fill\"></span></span><span "
		    "class=\"meter-text\"></span></div>\n",
		    for_field);
}

/* policy - the seed's 密碼政策 list. */
static void policy(struct wbuf *b)
{
	wbuf_puts(
		b,
		"<div class=\"policy\"><h3>密碼政策</h3><ul>"
		"<li>目前密碼強度標準：密碼若包含數字、大寫英文、小寫英文、"
		"特殊符號其中3種，密碼長度若輸入1-6字為弱，7-10字為中，大於"
		"10字為強</li>"
		"<li>密碼強度需求等級：中(密碼字元長度需介於7-10)</li>"
		"<li>密碼最少須有8字元以上</li>"
		"<li>密碼不能與前3次的密碼重複</li>"
		"<li>密碼需包含至少3種字元類型(1.大寫英文 2.小寫英文 3.數字 "
		"4.特殊符號)</li>"
		"<li>密碼禁止包含帳戶登入名稱</li>"
		"<li>本系統與 IKPD 人事服務網共用同一組密碼：須同時包含大寫英文"
		"、小寫英文及數字，並請勿輸入空白、中文或全型字元</li>"
		"</ul></div>\n");
}

/* new_password_fields - 新密碼 with its meter, 密碼確認 and the policy. */
static void new_password_fields(struct wbuf *b, const struct outcome *o)
{
	input(b, o, "新密碼", "password", "password", NULL, NULL,
	      "autocomplete=\"new-password\" required data-meter=\"password\"");
	meter(b, "password");
	input(b, o, "密碼確認", "password_confirm", "password", NULL, NULL,
	      "autocomplete=\"new-password\" required");
	policy(b);
}

/* hr_table - the seed's 人員資訊. */
static void hr_table(struct wbuf *b, const json_t *hr)
{
	static const char *const rows[][2] = {
		{"category", "類別"},	{"name", "姓名"},
		{"agency", "所屬機關"}, {"unit", "所屬單位"},
		{"title", "職稱"},	{"hire_date", "到職日"},
	};
	size_t i;

	wbuf_puts(b, "<table class=\"info\"><caption>人員資訊</caption>\n");
	for (i = 0; i < KCG_N_ELEMENTS(rows); i++) {
		wbuf_printf(b, "<tr><th scope=\"row\">%s</th><td>", rows[i][1]);
		wbuf_html(b,
			  json_string_value(json_object_get(hr, rows[i][0])));
		wbuf_puts(b, "</td></tr>\n");
	}
	wbuf_puts(b, "</table>\n");
}

/* text_paragraphs - a text file as paragraphs, one per line. */
static void text_paragraphs(struct wbuf *b, const char *text)
{
	const char *p = text, *nl;
	char *line;

	while (p != NULL && *p != '\0') {
		nl = strchr(p, '\n');
		line = xstrndup(p, nl ? (size_t)(nl - p) : strlen(p));
		if (line[strspn(line, " \t\r")] != '\0') {
			wbuf_puts(b, "<p>");
			wbuf_html(b, line);
			wbuf_puts(b, "</p>\n");
		}
		free(line);
		p = nl ? nl + 1 : NULL;
	}
}

/* notice - a page that only says MESSAGE (escaped), with a link. */
static int notice(struct request *rq, enum site site, const char *title,
		  const char *message, const char *href, const char *link_text,
		  int status)
{
	struct wbuf *b = begin(rq, site, title);

	wbuf_printf(b, "<div class=\"card message %s\" role=\"status\"><p>",
		    status < 300 ? "ok" : "bad");
	wbuf_html(b, message);
	wbuf_puts(b, "</p>");
	if (href != NULL) {
		wbuf_puts(b, "<p><a class=\"button\" href=\"");
		wbuf_html(b, href);
		wbuf_puts(b, "\">");
		wbuf_html(b, link_text);
		wbuf_puts(b, "</a></p>");
	}
	wbuf_puts(b, "</div>\n");
	return finish(rq, b, status);
}

/* go - redirect, leaving FLASH (may be NULL) for the next page. */
static int go(struct request *rq, const char *path, const char *flash)
{
	if (flash != NULL && rq->sess != NULL) {
		xfree_secret(&rq->sess->flash);
		rq->sess->flash = xstrdup(flash);
	}
	return http_redirect(rq, path);
}

/* post_step - a form step (defined with the application steps below). */
static int
post_step(struct request *rq, void (*flow)(struct request *, struct outcome *),
	  int (*render)(struct request *, const struct outcome *, int),
	  const char *next);

/* ---- 登入 and the account page ------------------------------------------ */

/* signin_cert - the 自然人憑證 tab when cert.ca_file is configured. */
static void signin_cert(struct wbuf *b, struct request *rq,
			const struct outcome *o)
{
	form_open(b, rq, "/login/cert?method=cert", "form signin");
	general(b, o);
	wbuf_puts(b, "<p class=\"hint\">請插入自然人憑證卡，並於瀏覽器詢問時"
		     "選擇您的憑證。</p>\n");
	input(b, o, "身分證字號", "national_id", "text", NULL, NULL,
	      "autocomplete=\"off\" placeholder=\"請輸入身分證字號\" "
	      "required maxlength=\"10\"");
	wbuf_puts(b, "<div class=\"actions\"><button type=\"submit\" "
		     "class=\"primary\">登入</button></div>\n</form>\n");
}

static int render_signin(struct request *rq, const struct outcome *o,
			 int status)
{
	const char *method = MHD_lookup_connection_value(
		rq->conn, MHD_GET_ARGUMENT_KIND, "method");
	static const char *const tabs[][2] = {
		{"password", "一般登入"},
		{"cert", "自然人憑證"},
		{"otp", "動態密碼登入"},
		{"mobile", "行動自然人憑證"},
	};
	struct wbuf *b = begin(rq, SITE_ACCOUNT, "電子郵件(個人帳號專用)");
	size_t i, active = 0;

	for (i = 0; method != NULL && i < KCG_N_ELEMENTS(tabs); i++)
		if (strcmp(method, tabs[i][0]) == 0)
			active = i;
	wbuf_puts(b, "<nav class=\"tabs\" aria-label=\"登入方式\">");
	for (i = 0; i < KCG_N_ELEMENTS(tabs); i++)
		wbuf_printf(b, "<a href=\"/?method=%s\"%s>%s</a>", tabs[i][0],
			    i == active ? " class=\"active\" "
					  "aria-current=\"page\""
					: "",
			    tabs[i][1]);
	wbuf_puts(b, "</nav>\n<section class=\"card\">\n");
	if (active == 1 && rq->app->certs != NULL) {
		signin_cert(b, rq, o);
	} else if (active != 0) {
		wbuf_printf(b,
			    "<p class=\"disabled-note\">%s："
			    "本伺服器未啟用此登入方式，請使用「一般登入」。"
			    "</p>\n",
			    tabs[active][1]);
	} else {
		form_open(b, rq, "/login", "form signin");
		general(b, o);
		input(b, o, "帳號", "uid", "text", typed(rq, "uid", ""),
		      "@kcg.gov.tw",
		      "autocomplete=\"username\" placeholder=\"請輸入帳號\" "
		      "required maxlength=\"64\"");
		input(b, o, "密碼", "password", "password", NULL, NULL,
		      "autocomplete=\"current-password\" "
		      "placeholder=\"請輸入密碼\" required");
		if (rq->app->cfg->otp_enabled)
			input(b, o, "動態密碼", "otp", "text", NULL, NULL,
			      "autocomplete=\"one-time-code\" "
			      "inputmode=\"numeric\" pattern=\"[0-9]{6,8}\" "
			      "maxlength=\"8\" placeholder=\"已啟用者請輸入"
			      "驗證器 App 上的 6 位數字\"");
		wbuf_puts(b,
			  "<p class=\"hint\">登入帳號為市府 email 帳號@前的字串"
			  "，如電子郵件為 abc@kcg.gov.tw，則登入帳號為 abc。"
			  "</p>\n<div class=\"actions\"><button "
			  "type=\"submit\" class=\"primary\">登入</button>"
			  "</div>\n</form>\n");
	}
	wbuf_puts(b, "</section>\n");
	return finish(rq, b, status);
}

static int get_signin(struct request *rq)
{
	if (rq->sess->login_uid != NULL)
		return http_redirect(rq, "/account");
	return render_signin(rq, NULL, MHD_HTTP_OK);
}

static int post_login_cert(struct request *rq)
{
	return post_step(rq, flow_login_cert, render_signin, "/account");
}

static int post_login(struct request *rq)
{
	return post_step(rq, flow_login, render_signin, "/account");
}

/* row - one 帳戶資訊 line. */
static void row(struct wbuf *b, const char *label, const json_t *data,
		const char *key)
{
	const char *v = json_string_value(json_object_get(data, key));

	wbuf_printf(b, "<tr><th scope=\"row\">%s</th><td>", label);
	wbuf_html(b, v != NULL && v[0] ? v : "—");
	wbuf_puts(b, "</td></tr>\n");
}

static int render_account(struct request *rq, const struct outcome *err,
			  const char *which, int status)
{
	struct outcome o;
	struct wbuf *b;
	const struct outcome *pe, *re;
	int ret;

	outcome_init(&o);
	flow_account(rq, &o);
	if (!outcome_ok(&o)) {
		ret = o.status == MHD_HTTP_UNAUTHORIZED
			      ? go(rq, "/", "請先登入 / sign in first")
			      : notice(rq, SITE_ACCOUNT, "帳戶資訊", o.message,
				       "/", "回登入頁", o.status);
		outcome_clear(&o);
		return ret;
	}
	pe = which && strcmp(which, "password") == 0 ? err : NULL;
	re = which && strcmp(which, "recovery") == 0 ? err : NULL;
	b = begin(rq, SITE_ACCOUNT, "帳戶資訊");
	wbuf_puts(b, "<section class=\"card account\">\n<table "
		     "class=\"info\">\n");
	row(b, "帳號", o.data, "uid");
	row(b, "姓名", o.data, "name");
	row(b, "機關", o.data, "agency");
	row(b, "帳號類型", o.data, "account_type_label");
	row(b, "登入方式", o.data, "login_method");
	row(b, "公務電子郵件", o.data, "mail");
	row(b, "密碼復原用電子郵件", o.data, "recovery_mail");
	wbuf_puts(b, "</table>\n<h2>登入資訊</h2>\n<ul class=\"logins\"><li>");
	if (json_string_value(json_object_get(o.data, "last_login")))
		wbuf_html(b, json_string_value(
				     json_object_get(o.data, "last_login")));
	else
		wbuf_puts(b, "這是您第一次登入 / first sign-in");
	wbuf_puts(b, "（上次登入，台北時間）</li></ul>\n");
	form_open(b, rq, "/logout", "form inline");
	wbuf_puts(b, "<button type=\"submit\">登出</button></form>\n"
		     "</section>\n");

	wbuf_puts(b, "<section class=\"card\" id=\"password\">\n<h2>變更密碼"
		     "</h2>\n");
	form_open(b, rq, "/account/password", "form");
	general(b, pe);
	input(b, pe, "目前密碼", "old_password", "password", NULL, NULL,
	      "autocomplete=\"current-password\" required");
	new_password_fields(b, pe);
	wbuf_puts(b, "<div class=\"actions\"><button type=\"submit\" "
		     "class=\"primary\">變更密碼</button></div>\n</form>\n"
		     "</section>\n");

	wbuf_puts(b, "<section class=\"card\" id=\"recovery\">\n<h2>變更密碼"
		     "復原用電子郵件</h2>\n");
	form_open(b, rq, "/account/recovery-mail", "form");
	general(b, re);
	input(b, re, "密碼復原用電子郵件", "recovery_mail", "email",
	      typed(rq, "recovery_mail",
		    json_string_value(
			    json_object_get(o.data, "recovery_mail"))),
	      NULL, "autocomplete=\"email\" required maxlength=\"254\"");
	input(b, re, "目前密碼", "current_password", "password", NULL, NULL,
	      "autocomplete=\"current-password\" required");
	wbuf_puts(b,
		  "<p class=\"hint\">此備用電子信箱即為當您忘記密碼時，會寄到此"
		  "信箱進行確認，請務必記得!!!</p>\n<div class=\"actions\">"
		  "<button type=\"submit\" class=\"primary\">更新</button>"
		  "</div>\n</form>\n</section>\n");
	outcome_clear(&o);
	return finish(rq, b, status);
}

static int get_account(struct request *rq)
{
	return render_account(rq, NULL, NULL, MHD_HTTP_OK);
}

/* account_post - run FN; back to the account page either way. */
static int account_post(struct request *rq,
			void (*fn)(struct request *, struct outcome *),
			const char *which)
{
	struct outcome o;
	int ret;

	outcome_init(&o);
	fn(rq, &o);
	if (outcome_ok(&o))
		ret = go(rq, "/account",
			 json_string_value(json_object_get(o.data, "message")));
	else if (o.status == MHD_HTTP_UNAUTHORIZED)
		ret = go(rq, "/", "請先登入 / sign in first");
	else
		ret = render_account(rq, &o, which, o.status);
	outcome_clear(&o);
	return ret;
}

static int post_account_password(struct request *rq)
{
	return account_post(rq, flow_account_password, "password");
}

static int post_account_recovery(struct request *rq)
{
	return account_post(rq, flow_account_recovery, "recovery");
}

static int post_logout(struct request *rq)
{
	struct outcome o;
	int ret;

	outcome_init(&o);
	flow_logout(rq, &o);
	outcome_clear(&o);
	ret = http_redirect(rq, "/");
	return ret;
}

static int get_contact(struct request *rq)
{
	struct outcome o;
	struct wbuf *b;

	outcome_init(&o);
	flow_contact(rq, &o);
	b = begin(rq, SITE_ACCOUNT, "聯絡人資訊");
	wbuf_puts(b, "<section class=\"card contact\">\n");
	if (outcome_ok(&o))
		text_paragraphs(
			b, json_string_value(json_object_get(o.data, "text")));
	else
		general(b, &o);
	wbuf_puts(b, "</section>\n");
	outcome_clear(&o);
	return finish(rq, b, MHD_HTTP_OK);
}

/* ---- 忘記密碼, the reset link, 忘記帳號
 * -------------------------------------- */

static int render_forgot_password(struct request *rq, const struct outcome *o,
				  int status)
{
	struct wbuf *b = begin(rq, SITE_ACCOUNT, "忘記密碼");

	wbuf_puts(b, "<section class=\"card\">\n<p>請輸入您的帳號，系統將寄送"
		     "密碼重設連結至您申請時填寫的密碼復原用電子郵件。</p>\n");
	form_open(b, rq, "/forgot-password", "form");
	general(b, o);
	input(b, o, "帳號", "uid", "text", typed(rq, "uid", ""), "@kcg.gov.tw",
	      "autocomplete=\"username\" required maxlength=\"64\"");
	wbuf_puts(b, "<div class=\"actions\"><button type=\"submit\" "
		     "class=\"primary\">送出</button></div>\n</form>\n"
		     "</section>\n");
	return finish(rq, b, status);
}

static int get_forgot_password(struct request *rq)
{
	return render_forgot_password(rq, NULL, MHD_HTTP_OK);
}

/* simple_post - run FN; show its message, or the form again. */
static int
simple_post(struct request *rq, void (*fn)(struct request *, struct outcome *),
	    int (*render)(struct request *, const struct outcome *, int),
	    const char *title)
{
	struct outcome o;
	int ret;

	outcome_init(&o);
	fn(rq, &o);
	if (outcome_ok(&o))
		ret = notice(
			rq, SITE_ACCOUNT, title,
			json_string_value(json_object_get(o.data, "message")),
			"/", "回登入頁", MHD_HTTP_OK);
	else
		ret = render(rq, &o, o.status);
	outcome_clear(&o);
	return ret;
}

static int post_forgot_password(struct request *rq)
{
	return simple_post(rq, flow_forgot_password, render_forgot_password,
			   "忘記密碼");
}

static int render_forgot_account(struct request *rq, const struct outcome *o,
				 int status)
{
	struct wbuf *b = begin(rq, SITE_ACCOUNT, "忘記帳號");

	wbuf_puts(b,
		  "<section class=\"card\">\n<p>請輸入姓名與身分證字號，系統"
		  "將把您的帳號寄至密碼復原用電子郵件；亦可請人事室協助代查詢"
		  "。</p>\n");
	form_open(b, rq, "/forgot-account", "form");
	general(b, o);
	input(b, o, "姓名", "name", "text", typed(rq, "name", ""), NULL,
	      "autocomplete=\"name\" required maxlength=\"100\"");
	input(b, o, "身分證字號", "national_id", "text",
	      typed(rq, "national_id", ""), NULL,
	      "autocomplete=\"off\" required maxlength=\"10\"");
	wbuf_puts(b, "<div class=\"actions\"><button type=\"submit\" "
		     "class=\"primary\">送出</button></div>\n</form>\n"
		     "</section>\n");
	return finish(rq, b, status);
}

static int get_forgot_account(struct request *rq)
{
	return render_forgot_account(rq, NULL, MHD_HTTP_OK);
}

static int post_forgot_account(struct request *rq)
{
	return simple_post(rq, flow_forgot_account, render_forgot_account,
			   "忘記帳號");
}

/* link_token - the token from the query string or the form. */
static const char *link_token(struct request *rq)
{
	const char *t = param(rq, "token");

	if (t == NULL)
		t = MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND,
						"token");
	return t;
}

/* token_field - the link's token again, as a hidden field. */
static void token_field(struct wbuf *b, struct request *rq)
{
	const char *t = link_token(rq);

	wbuf_puts(b, "<input type=\"hidden\" name=\"token\" value=\"");
	wbuf_html(b, t != NULL && strlen(t) <= TOKEN_LEN + 2 ? t : "");
	wbuf_puts(b, "\">\n");
}

static int render_reset(struct request *rq, const struct outcome *o, int status)
{
	struct wbuf *b = begin(rq, SITE_ACCOUNT, "重設密碼");

	wbuf_puts(b, "<section class=\"card\">\n<p>請設定新密碼。</p>\n");
	form_open(b, rq, "/reset", "form");
	token_field(b, rq);
	general(b, o);
	new_password_fields(b, o);
	wbuf_puts(b, "<div class=\"actions\"><button type=\"submit\" "
		     "class=\"primary\">重設密碼</button></div>\n</form>\n"
		     "</section>\n");
	return finish(rq, b, status);
}

static int get_reset(struct request *rq)
{
	return render_reset(rq, NULL, MHD_HTTP_OK);
}

static int post_reset(struct request *rq)
{
	return simple_post(rq, flow_reset, render_reset, "重設密碼");
}

/* ---- 申請帳號 ------------------------------------------------------------ */

static int get_apply(struct request *rq)
{
	struct wbuf *b = begin(rq, SITE_ACCOUNT, "申請帳號");
	/* 自然人憑證驗證 when cert.ca_file is configured */
	const char *cert =
		rq->app->certs != NULL
			? "<li class=\"method\"><a class=\"method-name\" "
			  "href=\"/apply/"
			  "cert\">我要申請帳號<br>(自然人憑證驗證)"
			  "</a></li>\n"
			: "<li class=\"method disabled\"><span class=\"method-"
			  "name\">我要申請帳號<br>(自然人憑證驗證)</span><span "
			  "class=\"method-note\">本伺服器未啟用</span></li>\n";

	wbuf_printf(b,
		    "<section class=\"card\">\n<p>請選擇驗證方式：</p>\n"
		    "<ul class=\"methods\">\n"
		    "<li class=\"method disabled\"><span class=\"method-"
		    "name\">我要申請帳號<br>(行動自然人憑證)</span><span "
		    "class=\"method-note\">本伺服器未啟用</span></li>\n"
		    "%s"
		    "<li class=\"method\"><a class=\"method-name\" "
		    "href=\"/apply/verify\">我要申請帳號<br>(個人資料驗證)</a>"
		    "</li>\n</ul>\n<p class=\"hint\">已申請過帳號者請改用帳號"
		    "登入；若忘記「帳號」可請人事室協助代查詢，或使用<a "
		    "href=\"/forgot-account\">忘記帳號</a>，並用<a "
		    "href=\"/forgot-password\">忘記密碼</a>提出申請。</p>\n"
		    "</section>\n",
		    cert);
	return finish(rq, b, MHD_HTTP_OK);
}

/* post_step - a form step: run FLOW; on success go on to NEXT, else show
 * the form again through RENDER with the errors. */
static int
post_step(struct request *rq, void (*flow)(struct request *, struct outcome *),
	  int (*render)(struct request *, const struct outcome *, int),
	  const char *next)
{
	struct outcome o;
	int ret;

	outcome_init(&o);
	flow(rq, &o);
	ret = outcome_ok(&o) ? http_redirect(rq, next)
			     : render(rq, &o, o.status);
	outcome_clear(&o);
	return ret;
}

/* natid_and_next - the 身分證字號 field of an applicant's verification,
 * then 上一步 / 下一步, closing the form and its card. */
static void natid_and_next(struct wbuf *b, struct request *rq,
			   const struct outcome *o)
{
	input(b, o, "身分證字號", "national_id", "text",
	      typed(rq, "national_id", ""), NULL,
	      "autocomplete=\"off\" placeholder=\"請輸入身分證字號\" "
	      "required maxlength=\"10\"");
	wbuf_puts(b, "<div class=\"actions\"><a class=\"button\" "
		     "href=\"/apply\">上一步</a><button type=\"submit\" "
		     "class=\"primary\">下一步</button></div>\n</form>\n"
		     "</section>\n");
}

static int render_verify(struct request *rq, const struct outcome *o,
			 int status)
{
	struct wbuf *b = begin(rq, SITE_ACCOUNT, "個人資料驗證");

	wbuf_puts(b, "<section class=\"card\">\n");
	form_open(b, rq, "/apply/verify", "form");
	if (o != NULL && o->status == MHD_HTTP_CONFLICT) {
		/* the seed's 5-1, and what to do about it */
		wbuf_puts(b, "<p class=\"error general\" role=\"alert\">");
		wbuf_html(b, o->message);
		wbuf_puts(b,
			  "</p>\n<p class=\"hint\">您已申請過帳號，請改用帳號"
			  "登入；若忘記「帳號」可請人事室協助代查詢（或使用"
			  "<a href=\"/forgot-account\">忘記帳號</a>），並用"
			  "<a href=\"/forgot-password\">忘記密碼</a>提出申請"
			  "。</p>\n");
	} else {
		general(b, o);
	}
	input(b, o, "姓名", "name", "text", typed(rq, "name", ""), NULL,
	      "autocomplete=\"name\" placeholder=\"請輸入姓名\" required "
	      "maxlength=\"100\"");
	natid_and_next(b, rq, o);
	return finish(rq, b, status);
}

static int get_verify(struct request *rq)
{
	return render_verify(rq, NULL, MHD_HTTP_OK);
}

static int post_verify(struct request *rq)
{
	return post_step(rq, flow_verify, render_verify, "/apply/confirm");
}

/* render_cert - 自然人憑證驗證: the certificate comes with the connection;
 * the applicant types the national ID (the certificate holds only its
 * last four digits). */
static int render_cert(struct request *rq, const struct outcome *o, int status)
{
	struct wbuf *b = begin(rq, SITE_ACCOUNT, "自然人憑證驗證");

	wbuf_puts(b, "<section class=\"card\">\n");
	if (rq->app->certs == NULL) {
		wbuf_puts(b,
			  "<p class=\"disabled-note\">本伺服器未啟用自然人"
			  "憑證驗證，請使用<a href=\"/apply/verify\">個人資料"
			  "驗證</a>。</p>\n</section>\n");
		return finish(rq, b, status);
	}
	form_open(b, rq, "/apply/cert", "form");
	general(b, o);
	wbuf_puts(b, "<p class=\"hint\">請插入自然人憑證卡，並於瀏覽器詢問時"
		     "選擇您的憑證；姓名取自憑證，請輸入身分證字號。</p>\n");
	natid_and_next(b, rq, o);
	return finish(rq, b, status);
}

static int get_cert(struct request *rq)
{
	return render_cert(rq, NULL, MHD_HTTP_OK);
}

static int post_cert(struct request *rq)
{
	return post_step(rq, flow_verify_cert, render_cert, "/apply/confirm");
}

static int render_confirm(struct request *rq, const struct outcome *o,
			  int status)
{
	struct wbuf *b;

	if (!rq->sess->verified)
		return go(rq, "/apply/verify", "請先完成個人資料驗證");
	b = begin(rq, SITE_ACCOUNT, "人員資訊");
	wbuf_puts(b, "<section class=\"card\">\n");
	hr_table(b, rq->sess->hr);
	form_open(b, rq, "/apply/confirm", "form");
	general(b, o);
	wbuf_puts(b, "<div class=\"field check\"><label><input "
		     "type=\"checkbox\" name=\"confirm\" value=\"1\" "
		     "id=\"f-confirm\" required> 以上資料均正確，我要申請帳號"
		     "</label>");
	ferr(b, o, "confirm");
	wbuf_puts(b, "</div>\n<div class=\"actions\"><button type=\"submit\" "
		     "class=\"primary\">下一步</button></div>\n</form>\n"
		     "</section>\n");
	return finish(rq, b, status);
}

static int get_confirm(struct request *rq)
{
	return render_confirm(rq, NULL, MHD_HTTP_OK);
}

static int post_confirm(struct request *rq)
{
	return post_step(rq, flow_confirm, render_confirm, "/apply/form");
}

/* draft - what the application form had, for showing it again. */
static const char *draft(struct request *rq, const char *name)
{
	json_t *d = rq->sess->draft;
	json_t *v = d ? json_object_get(d, name) : NULL;

	return json_is_string(v) ? json_string_value(v) : "";
}

/* consent_block - one notice: 查看 until agreed, then 您已於 … 同意. */
static void consent_block(struct wbuf *b, const struct outcome *o,
			  const char *field, const char *title,
			  const char *short_title, int viewed, time_t when,
			  const char *action, const char *needed)
{
	char t[32];

	wbuf_printf(b,
		    "<div class=\"field consent%s\" id=\"%s\"><span "
		    "class=\"label\">*",
		    o && o->fields && json_object_get(o->fields, field)
			    ? " has-error"
			    : "",
		    field);
	wbuf_html(b, title);
	wbuf_puts(b, "</span><div class=\"control\">");
	if (when != 0) {
		flow_taipei(when, t);
		wbuf_puts(b, "<p class=\"agreed\">您已於 ");
		wbuf_html(b, t);
		wbuf_puts(b, " 同意");
		wbuf_html(b, short_title);
		wbuf_puts(b, "</p>");
	} else {
		wbuf_printf(b,
			    "<button type=\"submit\" name=\"action\" "
			    "value=\"%s\" class=\"view\" formnovalidate>"
			    "查看</button>",
			    action);
		wbuf_puts(b, "<p class=\"hint\">");
		wbuf_html(b, needed);
		wbuf_puts(b, "</p>");
		if (!viewed) {
			wbuf_puts(b, "<p class=\"not-viewed\">您尚未查看");
			wbuf_html(b, short_title);
			wbuf_puts(b, "</p>");
		}
	}
	wbuf_puts(b, "</div>");
	ferr(b, o, field);
	wbuf_puts(b, "</div>\n");
}

static int render_form(struct request *rq, const struct outcome *o, int status)
{
	const struct kcg_config *cfg = rq->app->cfg;
	struct session *s = rq->sess;
	const char *uid, *want;
	int passed;
	struct wbuf *b;

	if (!s->verified)
		return go(rq, "/apply/verify", "請先完成個人資料驗證");
	if (!s->hr_confirmed)
		return http_redirect(rq, "/apply/confirm");
	uid = draft(rq, "uid");
	want = draft(rq, "want_mail");
	passed =
		s->uid_passed[0] != '\0' && strcasecmp(uid, s->uid_passed) == 0;
	b = begin(rq, SITE_ACCOUNT, "申請帳號");
	wbuf_puts(b, "<section class=\"card\">\n");
	hr_table(b, s->hr);
	form_open(b, rq, "/apply/form", "form apply");
	/* Enter in a text box saves and shows the form again */
	wbuf_puts(b, "<button type=\"submit\" name=\"action\" value=\"save\" "
		     "class=\"default-action\" tabindex=\"-1\" "
		     "aria-hidden=\"true\" formnovalidate>儲存</button>\n");
	general(b, o);
	consent_block(
		b, o, "privacy", WEB_PRIVACY_TITLE,
		"單一帳號認證平台個人資料蒐集、處理及利用告知聲明",
		s->privacy_viewed, s->privacy_time, "privacy",
		"若您要申請帳號，需要點按【查看】並【同意】單一帳號認證平台"
		"個人資料蒐集、處理及利用告知聲明，才能夠提交帳號申請。");

	/* 帳號 and 檢查重複 */
	wbuf_printf(b,
		    "<div class=\"field%s\"><label for=\"f-uid\">*帳號"
		    "</label><div class=\"control\"><input id=\"f-uid\" "
		    "name=\"uid\" type=\"text\" autocomplete=\"off\" "
		    "maxlength=\"32\" value=\"",
		    o && o->fields && json_object_get(o->fields, "uid")
			    ? " has-error"
			    : "");
	wbuf_html(b, uid);
	wbuf_puts(b, "\"><button type=\"submit\" name=\"action\" "
		     "value=\"check\" id=\"uid-check\" formnovalidate>"
		     "檢查重複</button><span id=\"uid-result\" "
		     "class=\"uid-result");
	wbuf_puts(b, passed ? " ok\">檢查結果：通過" : "\">");
	wbuf_puts(b, "</span></div>");
	ferr(b, o, "uid");
	wbuf_puts(b,
		  "<p class=\"hint\">提示：輸入帳號後，請點按【檢查重複】，"
		  "檢查結果為「通過」，才能夠提交帳號申請。帳號為 3 至 32 "
		  "個小寫英文字母、數字或 . _ -，以英文字母開頭。</p></div>\n");

	input(b, o, "*密碼", "password", "password", NULL, NULL,
	      "autocomplete=\"new-password\" data-meter=\"password\" "
	      "data-uid-field=\"f-uid\"");
	meter(b, "password");
	input(b, o, "*密碼確認", "password_confirm", "password", NULL, NULL,
	      "autocomplete=\"new-password\"");
	wbuf_puts(b, "<p class=\"hint\">輸入密碼及確認密碼</p>\n");
	policy(b);

	/* the mailbox */
	wbuf_printf(b,
		    "<fieldset class=\"field%s\" id=\"want_mail\"><legend>"
		    "*申請KCG電子郵件信箱</legend><label><input "
		    "type=\"radio\" name=\"want_mail\" value=\"1\"%s> "
		    "是，我要一併申請電子郵件信箱</label> <label><input "
		    "type=\"radio\" name=\"want_mail\" value=\"0\"%s> 否"
		    "</label><p class=\"hint\">請勾選「是」，才能申請信箱!!"
		    "</p>",
		    o && o->fields && json_object_get(o->fields, "want_mail")
			    ? " has-error"
			    : "",
		    strcmp(want, "1") == 0 ? " checked" : "",
		    strcmp(want, "0") == 0 ? " checked" : "");
	ferr(b, o, "want_mail");
	wbuf_puts(b, "</fieldset>\n<div class=\"mail-section\">\n");
	consent_block(
		b, o, "mail_rules", WEB_RULES_TITLE, WEB_RULES_TITLE,
		s->rules_viewed, s->rules_time, "mail_rules",
		"若您要申請KCG電子郵件信箱，需要點擊【查看】並【同意】電子信"
		"箱帳號使用管理要點，才能夠提交帳號申請。");
	wbuf_puts(b, "<div class=\"field\"><span class=\"label\">*主要電子郵件"
		     "信箱</span><div class=\"control\"><output "
		     "id=\"primary-mail\" class=\"readonly\"><span "
		     "id=\"primary-local\">");
	wbuf_html(b, uid);
	wbuf_puts(b, "</span>@");
	wbuf_html(b, cfg->mail_domain);
	wbuf_puts(b, "</output></div><p class=\"hint\">此主要電子信箱即為您申請"
		     "市府信箱!!!</p></div>\n");
	input(b, o, "*密碼復原用電子郵件", "recovery_mail", "email",
	      draft(rq, "recovery_mail"), NULL,
	      "autocomplete=\"email\" maxlength=\"254\"");
	wbuf_puts(b,
		  "<p class=\"hint\">此備用電子信箱即為當您忘記密碼時，會寄到"
		  "此信箱進行確認，請務必記得!!!</p>\n</div>\n");
	wbuf_printf(b,
		    "<div class=\"actions\"><button type=\"submit\" "
		    "name=\"action\" value=\"submit\" id=\"submit-apply\" "
		    "class=\"primary\"%s>提出申請</button></div>\n",
		    passed ? "" : " disabled");
	if (!passed)
		wbuf_puts(b,
			  "<p class=\"hint\" id=\"submit-hint\">輸入帳號後記得"
			  "檢查是否重複!!（檢查結果為「通過」後才能提出申請）"
			  "</p>\n");
	wbuf_puts(b, "</form>\n</section>\n");
	return finish(rq, b, status);
}

static int get_form(struct request *rq)
{
	return render_form(rq, NULL, MHD_HTTP_OK);
}

static int post_form(struct request *rq)
{
	const char *action = param(rq, "action");
	struct outcome o;
	int ret;

	if (action == NULL)
		action = "save";
	if (strcmp(action, "privacy") == 0 ||
	    strcmp(action, "mail_rules") == 0) {
		flow_draft(rq);
		return http_redirect(rq, strcmp(action, "privacy") == 0
						 ? "/apply/privacy"
						 : "/apply/mail-rules");
	}
	outcome_init(&o);
	if (strcmp(action, "check") == 0)
		flow_uid_check(rq, &o);
	else if (strcmp(action, "submit") == 0)
		flow_apply(rq, &o);
	else
		flow_draft(rq);
	if (strcmp(action, "submit") == 0 && outcome_ok(&o))
		ret = http_redirect(rq, "/apply/receipt");
	else if (o.status == MHD_HTTP_CONFLICT && o.fields == NULL &&
		 strcmp(o.code, "not_verified") == 0)
		ret = go(rq, "/apply/verify", o.message);
	else
		ret = render_form(rq, &o,
				  outcome_ok(&o) ? MHD_HTTP_OK : o.status);
	outcome_clear(&o);
	return ret;
}

/* render_consent - a notice with 同意 / 不同意. */
static int render_consent(struct request *rq, const char *doc)
{
	struct outcome o;
	struct wbuf *b;
	int ret;

	if (!rq->sess->verified || !rq->sess->hr_confirmed)
		return go(rq, "/apply/verify", "請先完成個人資料驗證");
	outcome_init(&o);
	flow_consent_text(rq, doc, &o);
	if (!outcome_ok(&o)) {
		ret = notice(rq, SITE_ACCOUNT, "告知聲明", o.message,
			     "/apply/form", "返回", o.status);
		outcome_clear(&o);
		return ret;
	}
	b = begin(rq, SITE_ACCOUNT,
		  json_string_value(json_object_get(o.data, "title")));
	wbuf_puts(b, "<section class=\"card notice\">\n<p class=\"version\">"
		     "版本號：");
	wbuf_html(b, json_string_value(json_object_get(o.data, "version")));
	wbuf_puts(b, "</p>\n<div class=\"notice-text\">\n");
	text_paragraphs(b, json_string_value(json_object_get(o.data, "text")));
	wbuf_puts(b, "</div>\n");
	form_open(b, rq,
		  strcmp(doc, "privacy") == 0 ? "/apply/privacy"
					      : "/apply/mail-rules",
		  "form");
	wbuf_puts(b,
		  "<div class=\"actions\"><button type=\"submit\" "
		  "name=\"agree\" value=\"1\" class=\"primary\">同意"
		  "</button><button type=\"submit\" name=\"agree\" "
		  "value=\"0\">不同意</button></div>\n</form>\n</section>\n");
	outcome_clear(&o);
	return finish(rq, b, MHD_HTTP_OK);
}

static int get_privacy(struct request *rq)
{
	return render_consent(rq, "privacy");
}

static int get_rules(struct request *rq)
{
	return render_consent(rq, "mail-rules");
}

/* post_consent - 同意 or 不同意, back to the form. */
static int post_consent(struct request *rq, const char *doc, const char *anchor)
{
	struct outcome o;
	int ret;

	json_object_set_new(rq->params, "document", json_string(doc));
	outcome_init(&o);
	flow_consent(rq, &o);
	if (outcome_ok(&o))
		ret = http_redirect(rq, anchor);
	else
		ret = go(rq, "/apply/form", o.message);
	outcome_clear(&o);
	return ret;
}

static int post_privacy(struct request *rq)
{
	return post_consent(rq, "privacy", "/apply/form#privacy");
}

static int post_rules(struct request *rq)
{
	return post_consent(rq, "mail-rules", "/apply/form#mail_rules");
}

static int get_receipt(struct request *rq)
{
	const json_t *rc = rq->sess->receipt;
	struct wbuf *b;

	if (rc == NULL)
		return http_redirect(rq, "/apply");
	b = begin(rq, SITE_ACCOUNT, "帳號申請單");
	wbuf_puts(b, "<section class=\"card receipt\">\n<table class=\"info\">"
		     "<caption>帳號申請單</caption>\n<tr><th scope=\"row\">"
		     "申請單類別</th><td>");
	wbuf_html(b, json_string_value(json_object_get(rc, "form")));
	wbuf_puts(b, "</td></tr>\n<tr><th scope=\"row\">*帳號</th><td>");
	wbuf_html(b, json_string_value(json_object_get(rc, "uid")));
	wbuf_puts(b,
		  "</td></tr>\n<tr><th scope=\"row\">*公務電子郵件</th><td>");
	wbuf_html(b, json_string_value(json_object_get(rc, "mail"))
			     ? json_string_value(json_object_get(rc, "mail"))
			     : "（未申請信箱）");
	wbuf_puts(b, "</td></tr>\n</table>\n");
	hr_table(b, json_object_get(rc, "hr"));
	wbuf_puts(b,
		  "<p class=\"flash\">帳號申請單已經成功提交。</p>\n<p "
		  "class=\"hint\">提醒您：信箱申請成功後，需等待審核您是否為"
		  "市府員工，請1~4小時後或隔天再登入 "
		  "<a href=\"https://mail.kcg.gov.tw/\">"
		  "https://mail.kcg.gov.tw/</a>，輸入帳號、密碼，若能登入代表"
		  "完成申請。</p>\n<p class=\"hint\">之後可至<a "
		  "href=\"/ikpd/register\">高雄市政府人事處人事服務網(IKPD)"
		  "</a>註冊帳號（需市府信箱正式完成申請後才能申請 IKPD 開通）"
		  "。</p>\n</section>\n");
	return finish(rq, b, MHD_HTTP_OK);
}

/* ---- IKPD ---------------------------------------------------------------- */

static int get_ikpd(struct request *rq)
{
	struct wbuf *b = begin(rq, SITE_IKPD, "註冊帳號");

	wbuf_puts(
		b,
		"<section class=\"card\">\n<p>帳號類型分為以下兩類，"
		"「人事人員」跟「一般人員」，請選擇帳號類型註冊帳號。</p>\n"
		"<ul class=\"methods\">\n<li class=\"method\"><a "
		"class=\"method-name\" href=\"/ikpd/register/step1\">"
		"註冊一般人員帳號</a><span class=\"method-note\">一般人員："
		"各機關人事人員以外所有同仁</span></li>\n<li "
		"class=\"method\"><a class=\"method-name\" "
		"href=\"/ikpd/register/step1\">註冊人事人員帳號</a><span "
		"class=\"method-note\">人事人員：各機關人事人員（帳號類型依"
		"人事資料設定）</span></li>\n</ul>\n<h2>一般人員註冊帳號步驟"
		"</h2>\n<p>市府同仁 您好：</p>\n<p>歡迎使用IKPD人事服務網，請"
		"依下列步驟來申請您的IKPD帳號：</p>\n<ol>\n<li>第一步驟-申請"
		"帳號：請使用【市府電子郵件帳號、身分證號、生日】進行帳號申請"
		"。</li>\n<li>第二步驟-設定密碼：請設定帳號的登入密碼。</li>\n"
		"<li>第三步驟-開通帳號：系統已自動發送一封帳號確認信至您的市府"
		"電郵信箱，請到您的信箱打開該封信，點擊信內的超連結，即可完成"
		"帳號開通。(注意：該超連結於48小時後自動失效)</li>\n</ol>\n"
		"<h3>備註：</h3>\n<ol>\n<li>登入帳號為市府email帳號@前的字串"
		"，如電子郵件為abc@kcg.gov.tw，則登入帳號為 abc。</li>\n<li>"
		"密碼不得包含登入帳號，密碼長度必須7碼以上，且必須包含英文字母"
		"大寫及小寫及數字，如：1Qaz2wsx，並請勿輸入空白、中文或全型字元"
		"，密碼不得包含登入帳號。</li>\n</ol>\n<p class=\"hint\">"
		"(需市府信箱正式完成申請後才能申請 IKPD 開通喔!!!)</p>\n"
		"</section>\n");
	return finish(rq, b, MHD_HTTP_OK);
}

static int render_step1(struct request *rq, const struct outcome *o, int status)
{
	struct session *s = rq->sess;
	struct wbuf *b =
		begin(rq, SITE_IKPD, "一般人員帳號註冊_步驟一：輸入基本資料");

	wbuf_puts(b, "<section class=\"card\">\n<p>請輸入以下資訊</p>\n");
	form_open(b, rq, "/ikpd/register/step1", "form");
	general(b, o);
	input(b, o, "電子郵件", "mail", "text",
	      typed(rq, "mail", s->ikpd_mail ? s->ikpd_mail : ""),
	      "@kcg.gov.tw",
	      "autocomplete=\"username\" required maxlength=\"64\"");
	wbuf_puts(b, "<p class=\"hint\">此輸入您所申請市府郵件信箱 @前的字串"
		     "</p>\n");
	input(b, o, "身分證號", "national_id", "text",
	      typed(rq, "national_id", ""), NULL,
	      "autocomplete=\"off\" required maxlength=\"10\"");
	input(b, o, "生日(YYY-MM-DD)", "birth_date", "text",
	      typed(rq, "birth_date", s->ikpd_birth ? s->ikpd_birth : ""), NULL,
	      "autocomplete=\"off\" placeholder=\"例：068-05-12\" required "
	      "maxlength=\"10\"");
	wbuf_puts(b, "<div class=\"actions\"><a class=\"button\" "
		     "href=\"/ikpd/register\">關閉</a><button type=\"submit\" "
		     "class=\"primary\">進行註冊</button></div>\n</form>\n"
		     "</section>\n");
	return finish(rq, b, status);
}

static int get_step1(struct request *rq)
{
	return render_step1(rq, NULL, MHD_HTTP_OK);
}

static int post_step1(struct request *rq)
{
	return post_step(rq, flow_ikpd_step1, render_step1,
			 "/ikpd/register/step2");
}

static int render_step2(struct request *rq, const struct outcome *o, int status)
{
	struct session *s = rq->sess;
	struct wbuf *b;

	if (s->ikpd_natid == NULL)
		return http_redirect(rq, "/ikpd/register/step1");
	b = begin(rq, SITE_IKPD, "一般人員帳號註冊_步驟二：設定密碼");
	wbuf_puts(b, "<section class=\"card\">\n<p class=\"greeting\">");
	wbuf_html(b, s->ikpd_name != NULL ? s->ikpd_name : "市府同仁");
	wbuf_puts(b, " 您好，以下為你的登入帳號，請輸入你的登入密碼（即市府帳號"
		     "之密碼，兩系統共用同一組密碼）</p>\n");
	form_open(b, rq, "/ikpd/register/step2", "form");
	general(b, o);
	wbuf_puts(b,
		  "<div class=\"field\"><span class=\"label\">登入帳號</span>"
		  "<div class=\"control\"><output class=\"readonly\" "
		  "id=\"ikpd-uid\">");
	wbuf_html(b, s->ikpd_mail);
	wbuf_puts(b, "</output></div></div>\n");
	input(b, o, "請設定登入密碼", "password", "password", NULL, NULL,
	      "autocomplete=\"current-password\" required");
	input(b, o, "確認密碼", "password_confirm", "password", NULL, NULL,
	      "autocomplete=\"current-password\" required");
	wbuf_puts(
		b,
		"<p class=\"hint\">密碼不得包含登入帳號，密碼長度必須7碼以上"
		"，且必須包含英文字母大寫及小寫及數字，如：1Qaz2wsx，並請勿"
		"輸入空白、中文或全型字元，密碼不得包含登入帳號。</p>\n<p "
		"class=\"hint\">提醒您：剛您所設定市府信箱需 8 碼，此 IKPD "
		"網站為 7 碼，建議您以市府信箱為主，如此二者網站可一致，避免"
		"忘記!!!(密碼最少須有 8 字元以上且不得包含登入帳號，需包含至少"
		" 3 種字元類型(1.大寫英文 2.小寫英文 3. 數字 4.特殊符號))"
		"</p>\n<div class=\"actions\"><a class=\"button\" "
		"href=\"/ikpd/register/step1\">上一步</a><button "
		"type=\"submit\" class=\"primary\">進行註冊</button></div>\n"
		"</form>\n</section>\n");
	return finish(rq, b, status);
}

static int get_step2(struct request *rq)
{
	return render_step2(rq, NULL, MHD_HTTP_OK);
}

static int post_step2(struct request *rq)
{
	struct outcome o;
	json_t *step;
	int ret;

	outcome_init(&o);
	flow_ikpd_register(rq, &o);
	step = json_object_get(o.data, "step");
	if (outcome_ok(&o))
		ret = http_redirect(rq, "/ikpd/register/done");
	else if (strcmp(o.code, "no_step1") == 0 ||
		 (json_is_integer(step) && json_integer_value(step) == 1))
		/* the mail, ID or birth date did not match: back to step 1 */
		ret = go(rq, "/ikpd/register/step1", o.message);
	else
		ret = render_step2(rq, &o, o.status);
	outcome_clear(&o);
	return ret;
}

static int get_done(struct request *rq)
{
	const json_t *d = rq->sess->ikpd_done;
	struct wbuf *b;

	if (d == NULL)
		return http_redirect(rq, "/ikpd/register");
	b = begin(rq, SITE_IKPD, "一般人員帳號註冊_完成註冊");
	wbuf_puts(b, "<section class=\"card\">\n<p class=\"greeting\">");
	wbuf_html(b, json_string_value(json_object_get(d, "greeting")));
	wbuf_puts(b, "，以下為你的登入帳號：<strong>");
	wbuf_html(b, json_string_value(json_object_get(d, "uid")));
	wbuf_puts(b, "</strong></p>\n<p>歡迎您申請使用高雄市政府人事處iKPD人事"
		     "服務網，系統已發送一封帳號確認信至您的市府電郵信箱 (");
	wbuf_html(b, json_string_value(json_object_get(d, "mail")));
	wbuf_printf(b,
		    ")，</p>\n<p>請到您的信箱打開該封信，點擊信內的超連結"
		    "，即可完成帳號開通。</p>\n<p>請於%d小時內啟用此帳號，%d"
		    "小時後此連結自動失效（",
		    (int)json_integer_value(json_object_get(d, "link_hours")),
		    (int)json_integer_value(json_object_get(d, "link_hours")));
	wbuf_html(b, json_string_value(json_object_get(d, "expires_at")));
	wbuf_printf(b,
		    "，台北時間）。</p>\n<p>若在%d小時後啟用，請回到高雄市"
		    "政府人事處iKPD人事服務網重新申請帳號。</p>\n<p "
		    "class=\"hint\">※有關市府電子郵件系統 "
		    "(https://webmail.kcg.gov.tw) 的操作疑義，請洽資訊中心。"
		    "</p>\n</section>\n",
		    (int)json_integer_value(json_object_get(d, "link_hours")));
	return finish(rq, b, MHD_HTTP_OK);
}

static int render_activate(struct request *rq, const struct outcome *o,
			   int status)
{
	struct wbuf *b = begin(rq, SITE_IKPD, "帳號啟用");

	wbuf_puts(b, "<section class=\"card\">\n<p>您好, 請輸入您的登入密碼以"
		     "啟用帳號</p>\n");
	form_open(b, rq, "/ikpd/activate", "form");
	token_field(b, rq);
	general(b, o);
	input(b, o, "密碼", "password", "password", NULL, NULL,
	      "autocomplete=\"current-password\" required");
	wbuf_puts(b, "<div class=\"actions\"><button type=\"submit\" "
		     "class=\"primary\">帳號啟用</button></div>\n</form>\n"
		     "</section>\n");
	return finish(rq, b, status);
}

static int get_activate(struct request *rq)
{
	return render_activate(rq, NULL, MHD_HTTP_OK);
}

static int post_activate(struct request *rq)
{
	struct outcome o;
	struct wbuf *b;
	int ret;

	outcome_init(&o);
	flow_ikpd_activate(rq, &o);
	if (!outcome_ok(&o)) {
		ret = render_activate(rq, &o, o.status);
		outcome_clear(&o);
		return ret;
	}
	b = begin(rq, SITE_IKPD, "帳號啟用");
	wbuf_puts(b, "<section class=\"card message ok\" role=\"alert\"><p "
		     "class=\"big\">" IKPD_MSG_ACTIVATED "。</p>\n<p>登入帳號："
		     "<strong>");
	wbuf_html(b, json_string_value(json_object_get(o.data, "uid")));
	wbuf_puts(b,
		  "</strong></p>\n<p class=\"hint\">登入帳號為市府 email 帳號"
		  "@前的字串, 如電子郵件為 abc@kcg.gov.tw, 則登入帳號為 abc。"
		  "輸入密碼就是您剛自行設定的密碼。</p>\n<p><a "
		  "class=\"button primary\" href=\"/\">確定</a></p>\n"
		  "</section>\n");
	outcome_clear(&o);
	return finish(rq, b, MHD_HTTP_OK);
}

/* ---- routing ------------------------------------------------------------- */

static const struct page_route {
	int post;
	const char *path;
	int (*run)(struct request *rq);
} page_routes[] = {
	{0, "/", get_signin},
	{1, "/login", post_login},
	{1, "/login/cert", post_login_cert},
	{0, "/account", get_account},
	{1, "/account/password", post_account_password},
	{1, "/account/recovery-mail", post_account_recovery},
	{1, "/logout", post_logout},
	{0, "/contact", get_contact},
	{0, "/forgot-password", get_forgot_password},
	{1, "/forgot-password", post_forgot_password},
	{0, "/forgot-account", get_forgot_account},
	{1, "/forgot-account", post_forgot_account},
	{0, "/reset", get_reset},
	{1, "/reset", post_reset},
	{0, "/apply", get_apply},
	{0, "/apply/verify", get_verify},
	{1, "/apply/verify", post_verify},
	{0, "/apply/cert", get_cert},
	{1, "/apply/cert", post_cert},
	{0, "/apply/confirm", get_confirm},
	{1, "/apply/confirm", post_confirm},
	{0, "/apply/form", get_form},
	{1, "/apply/form", post_form},
	{0, "/apply/privacy", get_privacy},
	{1, "/apply/privacy", post_privacy},
	{0, "/apply/mail-rules", get_rules},
	{1, "/apply/mail-rules", post_rules},
	{0, "/apply/receipt", get_receipt},
	{0, "/ikpd/register", get_ikpd},
	{0, "/ikpd/register/step1", get_step1},
	{1, "/ikpd/register/step1", post_step1},
	{0, "/ikpd/register/step2", get_step2},
	{1, "/ikpd/register/step2", post_step2},
	{0, "/ikpd/register/done", get_done},
	{0, "/ikpd/activate", get_activate},
	{1, "/ikpd/activate", post_activate},
};

int page_handle(struct request *rq)
{
	const struct page_route *rt = NULL;
	size_t i;
	int known = 0;

	for (i = 0; i < KCG_N_ELEMENTS(page_routes); i++) {
		if (strcmp(page_routes[i].path, rq->path) != 0)
			continue;
		known = 1;
		if (page_routes[i].post == rq->is_post) {
			rt = &page_routes[i];
			break;
		}
	}
	if (rt == NULL) {
		if (rq->sess == NULL) {
			rq->sess = session_create(rq->app->sessions);
			rq->set_cookie = 1;
		}
		return notice(rq, SITE_ACCOUNT, "找不到網頁",
			      known ? "不支援此操作 / method not allowed"
				    : "找不到此網頁 / not found",
			      "/", "回首頁",
			      known ? MHD_HTTP_METHOD_NOT_ALLOWED
				    : MHD_HTTP_NOT_FOUND);
	}
	if (rq->is_post) {
		if (rq->params == NULL)
			rq->params = json_object();
		if (rq->sess == NULL ||
		    !session_csrf_ok(rq->sess, param(rq, WEB_CSRF_FIELD))) {
			if (rq->sess == NULL) {
				rq->sess = session_create(rq->app->sessions);
				rq->set_cookie = 1;
			}
			return notice(rq, SITE_ACCOUNT, "表單已失效",
				      "工作階段已逾時或表單已失效，請重新操作。"
				      " / the session expired or the form is "
				      "stale; please start again.",
				      "/", "回首頁", MHD_HTTP_FORBIDDEN);
		}
	} else if (rq->sess == NULL) {
		rq->sess = session_create(rq->app->sessions);
		rq->set_cookie = 1;
	}
	return rt->run(rq);
}
