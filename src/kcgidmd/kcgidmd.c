/*
 * kcgidmd - the self-service web front of kcgidm: the seed's 申請帳號
 * screens (個人資料驗證, the privacy notice, 檢查重複, password, mailbox,
 * the receipt), the IKPD portal registration and its activation link, 忘記
 * 密碼 / 忘記帳號 with the reset link, the sign-in and account page, in
 * zh-TW HTML that works without JavaScript, and the same operations as a
 * JSON API under /api/v1/.
 *
 * usage: kcgidmd [-c FILE] [--foreground] [-v]
 *
 * SECURITY: kcgidmd is meant to run as its own unprivileged user behind a
 * TLS reverse proxy (etc/nginx/kcgidmd.conf), listening on the loopback
 * by default. It binds to the directory as the provisioner, which can
 * write accounts but is not a password admin, so slapd's password policy
 * holds for everything it writes; what a person does as themselves
 * (sign-in, password change) is a bind as that person. It never holds SMTP
 * credentials: mail (activation and reset links) goes to the spool, which
 * kcgidm-mailer drains. Sessions live only in memory, with short
 * lifetimes, HttpOnly SameSite=Strict cookies (Secure behind TLS) and a
 * CSRF token on every form and API POST; verification, token and sign-in
 * endpoints are rate-limited per address and per identity. Bodies are
 * limited to 16 KiB, every value shown is HTML-escaped, and passwords,
 * tokens and national IDs never reach a log line and are wiped after use;
 * the process is non-dumpable with no core file (secret_no_core).
 * Everything runs on one thread (libmicrohttpd in external polling
 * mode), so the one libldap session and the audit log are never shared
 * between threads. The same loop runs the review of pending applications
 * (lifecycle_review) once a minute.
 *
 * Citizen certificates (自然人憑證, docs/citizen-certificate.md): with
 * web.tls_cert_file kcgidmd serves HTTPS itself and, with cert.ca_file,
 * asks every client for a certificate (optional at the handshake); only
 * /apply/cert and /login/cert use it, after checking the chain, the CRL
 * and the holder themselves. A certificate sign-in has no directory bind,
 * so it can look at the account but not change the password or the
 * recovery address, which need the current password. A proxy's
 * certificate header (web.trust_cert_header) is read only when configured
 * and only from the loopback, and the chain in it is checked the same
 * way: the proxy is trusted to pass the certificate the client proved it
 * holds, not to have judged it. (A certificate is public, so the header
 * is only as safe as the loopback port: it is refused with
 * web.tls_cert_file, where no proxy exists.)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "audit.h"
#include "cert.h"
#include "config.h"
#include "dir.h"
#include "form.h"
#include "idhash.h"
#include "kcg.h"
#include "lifecycle.h"
#include "log.h"
#include "secret.h"
#include "utf8.h"
#include "web.h"
#include "xalloc.h"

static const char usage_text[] =
	"usage: kcgidmd [-c FILE] [--foreground] [-v]\n"
	"  -c, --config FILE  configuration (default: $KCGIDM_CONF, else\n"
	"                     " CONFIG_DEFAULT_PATH ")\n"
	"  -f, --foreground   stay in the foreground, log to stderr\n"
	"  -v, --verbose      log more\n"
	"  -h, --help         this text\n";

#define REVIEW_INTERVAL 60 /* seconds between two runs of the review */

struct dir *app_dir(struct app *app, const char **error_r)
{
	if (app->dir == NULL && dir_open(app->cfg, &app->dir, error_r) < 0)
		return NULL;
	return app->dir;
}

/* client_ip - the peer, or X-Real-IP when the peer is the local proxy. */
static void client_ip(struct MHD_Connection *conn, char out[64])
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	const char *real;
	int loopback = 0;

	snprintf(out, 64, "unknown");
	if (sa != NULL && sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, out, 64);
		loopback = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, out, 64);
		loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	/* nginx sets X-Real-IP (etc/nginx/kcgidmd.conf); trust it only from
	 * the loopback, where the proxy is */
	real = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Real-IP");
	if (loopback && real != NULL && real[0] != '\0' && strlen(real) < 64 &&
	    strspn(real, "0123456789abcdefABCDEF.:") == strlen(real))
		snprintf(out, 64, "%s", real);
}

/* wipe_params - wipe every string value (passwords among them). */
static void wipe_params(json_t *params)
{
	const char *k;
	json_t *v;

	if (params == NULL)
		return;
	json_object_foreach(params, k, v)
	{
		if (json_is_string(v))
			explicit_bzero((char *)json_string_value(v),
				       json_string_length(v));
	}
}

/* request_done - MHD_OPTION_NOTIFY_COMPLETED: wipe and free the request. */
static void request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (rq == NULL)
		return;
	wipe_params(rq->params);
	json_decref(rq->params);
	wbuf_free(&rq->body);
	free(rq);
	*con_cls = NULL;
}

/* simple - a plain-text reply. */
static int simple(struct request *rq, int status, const char *text)
{
	struct reply rp;

	reply_init(&rp);
	rp.status = status;
	rp.content_type = "text/plain; charset=utf-8";
	rp.body = wbuf_new();
	wbuf_puts(rp.body, text);
	return http_send(rq, &rp);
}

/* healthz - 200 "ok" when the directory answers, 503 otherwise. */
static int healthz(struct request *rq)
{
	static const char *const attrs[] = {"1.1", NULL};
	struct dir_entry *e = NULL;
	const char *err = NULL;
	struct dir *dir = app_dir(rq->app, &err);
	char *people =
		dir != NULL ? xasprintf("ou=people,%s", dir_suffix(dir)) : NULL;
	/* ou=people: what the provisioner may read */
	int r = dir != NULL ? dir_read(dir, people, attrs, &e, &err) : KCG_EDIR;

	free(people);
	dir_entry_free(&e);
	if (r < 0) {
		log_warning("healthz: %s", err ? err : "directory unavailable");
		return simple(rq, MHD_HTTP_SERVICE_UNAVAILABLE,
			      "directory unavailable\n");
	}
	return simple(rq, MHD_HTTP_OK, "ok\n");
}

/* find_session - the session named by the request's cookie. */
static struct session *find_session(struct request *rq)
{
	const char *name =
		rq->app->cfg->web_cookie_secure ? WEB_COOKIE_HOST : WEB_COOKIE;
	const char *id =
		MHD_lookup_connection_value(rq->conn, MHD_COOKIE_KIND, name);

	return session_find(rq->app->sessions, id);
}

/* dispatch - the whole request is in: route it. */
static int dispatch(struct request *rq)
{
	const char *ct;
	char actor[80];

	/* between requests: back to the write provider once it returns */
	if (rq->app->dir != NULL)
		dir_failback(rq->app->dir);
	if (rq->too_large)
		return simple(rq, MHD_HTTP_CONTENT_TOO_LARGE,
			      "request too large\n");
	if (strcmp(rq->path, "/healthz") == 0)
		return healthz(rq);
	if (strncmp(rq->path, "/static/", 8) == 0 && !rq->is_post)
		return http_static(rq, rq->path + 8);
	if (rq->is_post) {
		ct = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
						 MHD_HTTP_HEADER_CONTENT_TYPE);
		if (ct != NULL && strncasecmp(ct, "application/json", 16) == 0)
			rq->params =
				form_parse_json(rq->body->data, rq->body->len);
		else if (ct != NULL &&
			 strncasecmp(ct, "application/x-www-form-urlencoded",
				     33) == 0 &&
			 !rq->is_api)
			rq->params = form_parse_urlencoded(rq->body->data,
							   rq->body->len);
		else if (rq->is_api)
			return simple(rq, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
				      "application/json expected\n");
		else
			rq->params = json_object();
	}
	rq->sess = find_session(rq);
	snprintf(actor, sizeof(actor), "web:%s", rq->ip);
	audit_set_actor(actor);
	return rq->is_api ? api_handle(rq) : page_handle(rq);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn,
			       const char *url, const char *method,
			       const char *version, const char *upload_data,
			       size_t *upload_data_size, void **con_cls)
{
	struct request *rq = *con_cls;
	struct app *app = cls;

	(void)version;
	if (rq == NULL) {
		if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
		    strcmp(method, "POST") != 0) {
			struct request tmp;

			memset(&tmp, 0, sizeof(tmp));
			tmp.app = app;
			tmp.conn = conn;
			return simple(&tmp, MHD_HTTP_METHOD_NOT_ALLOWED,
				      "method not allowed\n") == MHD_YES
				       ? MHD_YES
				       : MHD_NO;
		}
		rq = xcalloc(1, sizeof(*rq));
		rq->app = app;
		rq->conn = conn;
		rq->method = method;
		rq->path = url;
		rq->is_post = strcmp(method, "POST") == 0;
		rq->is_api = strncmp(url, "/api/", 5) == 0;
		rq->body = wbuf_new();
		client_ip(conn, rq->ip);
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (rq->body->len + *upload_data_size > WEB_MAX_BODY)
			rq->too_large = 1;
		else
			wbuf_add(rq->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	return dispatch(rq) == MHD_YES ? MHD_YES : MHD_NO;
}

/* mhd_log - libmicrohttpd's own complaints. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];

	(void)cls;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	log_warning("libmicrohttpd: %s", buf);
}

/* listen_addr - web.listen_address and port as a socket address. */
static int listen_addr(const struct kcg_config *cfg,
		       struct sockaddr_storage *ss, unsigned int *flags)
{
	struct sockaddr_in *in = (void *)ss;
	struct sockaddr_in6 *in6 = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, cfg->web_listen_address, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)cfg->web_listen_port);
		return 0;
	}
	if (inet_pton(AF_INET6, cfg->web_listen_address, &in6->sin6_addr) ==
	    1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)cfg->web_listen_port);
		*flags |= MHD_USE_IPv6;
		return 0;
	}
	return -1;
}

/*
 * wipe_free - jansson's free: request bodies pass through jansson's parser
 * buffers, passwords among them, so they are wiped before they go.
 */
static void wipe_free(void *p)
{
	if (p != NULL)
		explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

/*
 * tls_options - MHD options for HTTPS from web.tls_cert_file and
 * web.tls_key_file, with the certificate request when cert.ca_file is set.
 * Fills OPTS (4 entries, ending in MHD_OPTION_END) and the PEM texts
 * (caller frees; the key with xfree_secret). Returns 0 or -1 (logged).
 */
static int tls_options(const struct kcg_config *cfg,
		       struct MHD_OptionItem *opts, char **cert_r, char **key_r,
		       char **trust_r, unsigned int *flags)
{
	const char *err = NULL;
	int n = 0;

	if (cfg->web_tls_cert_file == NULL)
		goto out;
	if (secret_read_file(cfg->web_tls_cert_file, 0, cert_r, NULL, &err) <
		    0 ||
	    secret_read_file(cfg->web_tls_key_file, 1, key_r, NULL, &err) < 0 ||
	    (cfg->cert_ca_file != NULL &&
	     secret_read_file(cfg->cert_ca_file, 0, trust_r, NULL, &err) < 0)) {
		log_error("web TLS: %s", err);
		return -1;
	}
	*flags |= MHD_USE_TLS;
	opts[n++] =
		(struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, *cert_r};
	opts[n++] =
		(struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, *key_r};
	if (*trust_r != NULL)
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST,
						    0, *trust_r};
out:
	opts[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	return 0;
}

static volatile sig_atomic_t got_signal;

/* on_signal - SIGTERM, SIGINT: stop after the request at hand. */
static void on_signal(int sig)
{
	got_signal = sig;
}

/* review_report - what the review loop decided, for the log. */
static void review_report(void *ctx, const char *uid, const char *decision,
			  const char *reason)
{
	(void)ctx;
	log_info("review: %s %s%s%s", uid, decision, reason ? ": " : "",
		 reason ? reason : "");
}

/*
 * review - the review loop (lifecycle_review): applications whose roster
 * record is gone are rejected; with review.mode = auto, the others are
 * approved once review.delay_seconds old.
 */
static void review(struct app *app)
{
	const char *err = NULL;
	struct dir *dir;

	if (app->dir != NULL)
		dir_failback(app->dir);
	dir = app_dir(app, &err);
	audit_set_actor("kcgidmd:review");
	if (dir == NULL ||
	    lifecycle_review(dir, app->cfg, 0, review_report, NULL, &err) < 0)
		log_warning("review: %s", err ? err : "failed");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"foreground", no_argument, NULL, 'f'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *conf = NULL, *err = NULL;
	struct sockaddr_storage ss;
	struct MHD_OptionItem tls[4];
	char *tls_cert = NULL, *tls_key = NULL, *tls_trust = NULL;
	struct MHD_Daemon *d = NULL;
	unsigned int flags = MHD_USE_ERROR_LOG;
	struct sigaction sa;
	struct app app;
	time_t next_review;
	int c, fg = 0, verbose = 0, status = 1;

	secret_no_core();
	memset(&app, 0, sizeof(app));
	json_set_alloc_funcs(malloc, wipe_free);
	while ((c = getopt_long(argc, argv, "c:fvh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			conf = optarg;
			break;
		case 'f':
			fg = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 1;
		}
	}
	if (optind != argc) {
		fputs(usage_text, stderr);
		return 1;
	}
	log_init("kcgidmd", 0, verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	if (config_load(config_path(conf), &app.cfg, &err) < 0) {
		log_error("%s", err);
		goto out;
	}
	if (idhash_open(app.cfg->idhash_key_file, &app.ih, &err) < 0) {
		log_error("%s", err);
		goto out;
	}
	if (app.cfg->cert_ca_file != NULL &&
	    (cert_trust_open(app.cfg->cert_ca_file, app.cfg->cert_crl_file,
			     &app.certs, &err) < 0 ||
	     cert_trust_set_ocsp(app.certs, app.cfg->cert_ocsp_url,
				 app.cfg->cert_ocsp_timeout, &err) < 0)) {
		log_error("citizen certificates: %s", err);
		goto out;
	}
	if (tls_options(app.cfg, tls, &tls_cert, &tls_key, &tls_trust, &flags) <
	    0)
		goto out;
	if (listen_addr(app.cfg, &ss, &flags) < 0) {
		log_error("web.listen_address: not a numeric address: %s",
			  app.cfg->web_listen_address);
		goto out;
	}
	if (!fg) {
		if (daemon(0, 0) < 0) {
			log_error("daemon: %s", strerror(errno));
			goto out;
		}
		log_init("kcgidmd", 1, verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	}
	if (geteuid() == 0)
		log_warning("running as root: run kcgidmd as an unprivileged "
			    "user");
	if (audit_open("kcgidmd", app.cfg->audit_file, &err) < 0)
		log_warning("audit log: %s (writes go to syslog only)", err);

	/* One thread does everything: MHD in external polling mode. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	app.sessions = session_store_new(app.cfg->web_max_sessions,
					 app.cfg->web_session_seconds);
	app.rl = ratelimit_new(app.cfg->web_rate_limit);
	if (app_dir(&app, &err) == NULL)
		log_warning("directory not reachable yet: %s", err);
	d = MHD_start_daemon(
		flags, (uint16_t)app.cfg->web_listen_port, NULL, NULL, handler,
		&app, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL,
		MHD_OPTION_CONNECTION_LIMIT, 256U,
		MHD_OPTION_CONNECTION_TIMEOUT, 30U,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
		MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
	if (d == NULL) {
		log_error("cannot listen on %s port %d",
			  app.cfg->web_listen_address,
			  app.cfg->web_listen_port);
		goto out;
	}
	log_info("listening on %s port %d%s%s", app.cfg->web_listen_address,
		 app.cfg->web_listen_port, tls_cert != NULL ? " (HTTPS)" : "",
		 app.certs != NULL ? ", citizen certificates on" : "");
	next_review = time(NULL) + REVIEW_INTERVAL;
	while (!got_signal) {
		MHD_run_wait(d, 1000);
		if (time(NULL) >= next_review) {
			review(&app);
			next_review = time(NULL) + REVIEW_INTERVAL;
		}
	}
	log_info("signal %d: shutting down", (int)got_signal);
	MHD_stop_daemon(d);
	status = 0;
out:
	session_store_free(&app.sessions);
	ratelimit_free(&app.rl);
	cert_trust_free(&app.certs);
	free(tls_cert);
	free(tls_trust);
	xfree_secret(&tls_key);
	dir_free(&app.dir);
	idhash_free(&app.ih);
	config_free(&app.cfg);
	audit_close();
	return status;
}
