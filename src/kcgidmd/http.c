/*
 * http - replies with the security headers, cookies, redirects, static
 * files, and form decoding.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "config.h"
#include "log.h"
#include "utf8.h"
#include "web.h"
#include "xalloc.h"

#define STATIC_MAX (1024 * 1024)

void reply_init(struct reply *rp)
{
	memset(rp, 0, sizeof(*rp));
	rp->status = MHD_HTTP_OK;
	rp->content_type = "text/html; charset=utf-8";
}

/* add_cookie - the session cookie, or its removal. */
static void add_cookie(struct request *rq, struct MHD_Response *resp)
{
	const struct kcg_config *cfg = rq->app->cfg;
	const char *name =
		cfg->web_cookie_secure ? WEB_COOKIE_HOST : WEB_COOKIE;
	char *c = NULL;

	if (rq->clear_cookie)
		c = xasprintf("%s=; Path=/; Max-Age=0; HttpOnly; "
			      "SameSite=Strict%s",
			      name, cfg->web_cookie_secure ? "; Secure" : "");
	else if (rq->set_cookie && rq->sess != NULL)
		c = xasprintf("%s=%s; Path=/; HttpOnly; SameSite=Strict%s",
			      name, rq->sess->id,
			      cfg->web_cookie_secure ? "; Secure" : "");
	if (c != NULL) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, c);
		free(c);
	}
}

/* security_headers - on every reply. */
static void security_headers(struct MHD_Response *resp, int cacheable)
{
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'self'; script-src 'self'; "
				"object-src 'none'; base-uri 'none'; "
				"form-action 'self'; frame-ancestors 'none'");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy",
				"same-origin");
	MHD_add_response_header(resp, "Cross-Origin-Resource-Policy",
				"same-origin");
	MHD_add_response_header(resp, "Permissions-Policy",
				"camera=(), microphone=(), geolocation=()");
	if (cacheable) {
		MHD_add_response_header(resp, "Cache-Control",
					"public, max-age=3600");
	} else {
		MHD_add_response_header(resp, "Cache-Control", "no-store");
		MHD_add_response_header(resp, "Pragma", "no-cache");
	}
}

int http_send(struct request *rq, struct reply *rp)
{
	struct MHD_Response *resp;
	char *data;
	size_t len = 0;
	char ra[16];
	int ret;

	if (rp->body == NULL)
		rp->body = wbuf_new();
	data = wbuf_steal(rp->body, &len);
	wbuf_free(&rp->body);
	resp = MHD_create_response_from_buffer(len, data,
					       MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(data);
		free(rp->location);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				rp->content_type);
	security_headers(resp, rp->cacheable);
	if (rp->location != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION,
					rp->location);
	if (rp->retry_after > 0) {
		snprintf(ra, sizeof(ra), "%d", rp->retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	add_cookie(rq, resp);
	ret = MHD_queue_response(rq->conn, (unsigned int)rp->status, resp);
	MHD_destroy_response(resp);
	free(rp->location);
	rp->location = NULL;
	return ret;
}

int http_redirect(struct request *rq, const char *path)
{
	struct reply rp;

	reply_init(&rp);
	rp.status = MHD_HTTP_SEE_OTHER;
	rp.location = xstrdup(path);
	rp.content_type = "text/plain; charset=utf-8";
	return http_send(rq, &rp);
}

/* content_type - by file extension, for the few kinds we ship. */
static const char *content_type(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (dot == NULL)
		return NULL;
	if (strcmp(dot, ".css") == 0)
		return "text/css; charset=utf-8";
	if (strcmp(dot, ".js") == 0)
		return "text/javascript; charset=utf-8";
	if (strcmp(dot, ".svg") == 0)
		return "image/svg+xml";
	if (strcmp(dot, ".png") == 0)
		return "image/png";
	if (strcmp(dot, ".ico") == 0)
		return "image/x-icon";
	return NULL;
}

int http_static(struct request *rq, const char *name)
{
	struct reply rp;
	struct stat st;
	char *path = NULL, buf[8192];
	const char *ct;
	ssize_t n;
	int fd = -1;

	reply_init(&rp);
	rp.body = wbuf_new();
	/* a plain file name: no slash, no leading dot, no traversal */
	ct = content_type(name);
	if (name[0] == '\0' || name[0] == '.' || strchr(name, '/') != NULL ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-") !=
		    strlen(name) ||
	    ct == NULL)
		goto notfound;
	path = xasprintf("%s/%s", rq->app->cfg->web_static_dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > STATIC_MAX)
		goto notfound;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		wbuf_add(rp.body, buf, (size_t)n);
	close(fd);
	free(path);
	rp.content_type = ct;
	rp.cacheable = 1;
	return http_send(rq, &rp);
notfound:
	if (fd >= 0)
		close(fd);
	free(path);
	rp.status = MHD_HTTP_NOT_FOUND;
	rp.content_type = "text/plain; charset=utf-8";
	wbuf_puts(rp.body, "not found\n");
	return http_send(rq, &rp);
}
