/*
 * smtp - the SMTP client over libetpan (see smtp.h).
 *
 * libetpan carries the connection (socket and GnuTLS streams), reads the
 * greeting and runs MAIL, RCPT, DATA, RSET and QUIT. Three steps are done
 * here on its stream instead, because libetpan 1.9.4 cannot do them
 * safely: EHLO (libetpan sends gethostname(), not smtp.helo), certificate
 * verification (libetpan verifies nothing), and AUTH PLAIN (libetpan's
 * SASL path frees its copy of the password without wiping it and needs
 * the Cyrus plugins at run time).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libetpan/libetpan.h>

#include "config.h"
#include "err.h"
#include "kcg.h"
#include "log.h"
#include "secret.h"
#include "smtp.h"
#include "xalloc.h"

#define REPLY_MAX  4096
#define CHAIN_MAX  16
#define STREAM_BUF 8192

struct smtp {
	const struct kcg_config *cfg;
	char *host; /* from smtp.uri, without brackets */
	char *port;
	int implicit_tls;      /* smtps:// */
	int starttls;	       /* smtp:// with smtp.tls = starttls */
	mailsmtp *session;     /* NULL: not connected */
	MMAPString *line;      /* for the replies read here */
	char reply[REPLY_MAX]; /* the text of the last reply read here */
	int has_starttls;
	int has_auth_plain;
	int has_pipelining;    /* RFC 2920 */
	int reply_own;	       /* s->reply holds the reply (not libetpan) */
	unsigned transactions; /* completed on this session */
	int dirty;	       /* a transaction stopped half-way: RSET */
	char *failure;	       /* setting up a session failed: why */
};

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* base64 - IN[0..LEN) in base64, NUL-terminated, into OUT (room for
 * 4 * ((LEN + 2) / 3) + 1 bytes). */
static void base64(const unsigned char *in, size_t len, char *out)
{
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		*out++ = b64[in[i] >> 2];
		*out++ = b64[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		*out++ = b64[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
		*out++ = b64[in[i + 2] & 63];
	}
	if (i + 1 == len) {
		*out++ = b64[in[i] >> 2];
		*out++ = b64[(in[i] & 3) << 4];
		*out++ = '=';
		*out++ = '=';
	} else if (i + 2 == len) {
		*out++ = b64[in[i] >> 2];
		*out++ = b64[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		*out++ = b64[(in[i + 1] & 15) << 2];
		*out++ = '=';
	}
	*out = '\0';
}

/* parse_uri - smtp://host[:port][/] or smtps://...; host may be [v6]. */
static int parse_uri(struct smtp *s, const char *uri, const char **error_r)
{
	const char *p, *end, *colon;
	size_t n;

	if (strncasecmp(uri, "smtps://", 8) == 0) {
		s->implicit_tls = 1;
		p = uri + 8;
	} else if (strncasecmp(uri, "smtp://", 7) == 0) {
		p = uri + 7;
	} else {
		goto bad;
	}
	n = strlen(p);
	if (n > 0 && p[n - 1] == '/')
		n--;
	end = p + n;
	if (*p == '[') {
		const char *rb = memchr(p, ']', n);

		if (rb == NULL || rb == p + 1)
			goto bad;
		s->host = xstrndup(p + 1, (size_t)(rb - p - 1));
		colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
		if (colon == NULL && rb + 1 != end)
			goto bad;
	} else {
		colon = memchr(p, ':', n);
		s->host = xstrndup(p, colon ? (size_t)(colon - p) : n);
	}
	if (s->host[0] == '\0' || strpbrk(s->host, "/@?# \t\r\n") != NULL)
		goto bad;
	if (colon != NULL) {
		const char *q;

		if (colon + 1 == end || end - colon > 6)
			goto bad;
		for (q = colon + 1; q < end; q++)
			if (*q < '0' || *q > '9')
				goto bad;
		s->port = xstrndup(colon + 1, (size_t)(end - colon - 1));
		if (atoi(s->port) < 1 || atoi(s->port) > 65535)
			goto bad;
	} else {
		s->port = xstrdup(s->implicit_tls ? "465" : "25");
	}
	return 0;
bad:
	*error_r = err_fmt("smtp.uri: 格式錯誤 / malformed: %s (use "
			   "smtp://host:port or smtps://host:port)",
			   uri);
	return KCG_EINVAL;
}

/* valid_helo - a host name (LDH labels) or an address literal [...]. */
static int valid_helo(const char *h)
{
	size_t n = strlen(h), i;

	if (n == 0 || n > 255)
		return 0;
	if (h[0] == '[')
		return h[n - 1] == ']' && n > 2 &&
		       strspn(h + 1, "0123456789abcdefABCDEF:.") == n - 2;
	for (i = 0; i < n; i++)
		if (!((h[i] >= 'a' && h[i] <= 'z') ||
		      (h[i] >= 'A' && h[i] <= 'Z') ||
		      (h[i] >= '0' && h[i] <= '9') || h[i] == '-' ||
		      h[i] == '.'))
			return 0;
	return 1;
}

/* is_ip - HOST is an IPv4 or IPv6 address, not a name. */
static int is_ip(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, buf) == 1 ||
	       inet_pton(AF_INET6, host, buf) == 1;
}

/* is_loopback - HOST names this machine's loopback. */
static int is_loopback(const char *host)
{
	if (strncmp(host, "127.", 4) == 0 && is_ip(host))
		return 1;
	return strcmp(host, "::1") == 0 || strcasecmp(host, "localhost") == 0;
}

int smtp_open(const struct kcg_config *cfg, struct smtp **smtp_r,
	      const char **error_r)
{
	struct smtp *s = xcalloc(1, sizeof(*s));
	int r;

	s->cfg = cfg;
	r = parse_uri(s, cfg->smtp_uri, error_r);
	if (r < 0)
		goto out;
	r = KCG_EINVAL;
	if (!valid_helo(cfg->smtp_helo)) {
		*error_r = err_fmt("smtp.helo: 無效的主機名稱 / not a host "
				   "name: %s",
				   cfg->smtp_helo);
		goto out;
	}
	s->starttls =
		!s->implicit_tls && strcmp(cfg->smtp_tls, "starttls") == 0;
	s->line = mmap_string_new("");
	if (s->line == NULL) {
		*error_r = "libetpan: 記憶體不足 / out of memory";
		r = KCG_EINTERNAL;
		goto out;
	}
	/* A server that hangs up must not kill us on the next write. */
	signal(SIGPIPE, SIG_IGN);
	*smtp_r = s;
	s = NULL;
	r = 0;
out:
	smtp_free(&s);
	return r;
}

/* close_session - drop the session, with QUIT when QUIT is true. */
static void close_session(struct smtp *s, int quit)
{
	if (s->session == NULL)
		return;
	if (quit)
		mailsmtp_quit(s->session);
	if (s->session->stream != NULL) {
		mailstream_close(s->session->stream);
		s->session->stream = NULL;
	}
	mailsmtp_free(s->session);
	s->session = NULL;
	s->dirty = 0;
	s->transactions = 0;
}

void smtp_free(struct smtp **smtpp)
{
	struct smtp *s = *smtpp;

	if (s == NULL)
		return;
	close_session(s, 1);
	if (s->line != NULL)
		mmap_string_free(s->line);
	free(s->host);
	free(s->port);
	free(s->failure);
	free(s);
	*smtpp = NULL;
}

/* wait_connect - wait up to MS milliseconds for the nonblocking connect
 * on FD to finish; 0 or an errno value. */
static int wait_connect(int fd, int ms)
{
	struct pollfd pfd = {fd, POLLOUT, 0};
	struct timespec start, now;
	socklen_t len = sizeof(int);
	int rc, err = 0, left = ms;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while ((rc = poll(&pfd, 1, left)) < 0 && errno == EINTR) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = ms - (int)((now.tv_sec - start.tv_sec) * 1000 +
				  (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left < 0)
			left = 0;
	}
	if (rc == 0)
		return ETIMEDOUT;
	if (rc < 0)
		return errno;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return errno;
	return err;
}

/* tcp_connect - a connected socket to the server within smtp.timeout,
 * trying each of its addresses. */
static int tcp_connect(struct smtp *s, int *fd_r, const char **error_r)
{
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, rc, err = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(s->host, s->port, &hints, &res);
	if (rc != 0) {
		*error_r = err_fmt("%s: %s", s->host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
			    SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			err = errno;
			continue;
		}
		err = 0;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0)
			err = errno == EINPROGRESS
				      ? wait_connect(fd, s->cfg->smtp_timeout *
								 1000)
				      : errno;
		if (err == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		*error_r =
			err_fmt("連線 %s:%s 失敗 / connect %s:%s: %s", s->host,
				s->port, s->host, s->port, strerror(err));
		return -1;
	}
	/* libetpan's socket stream polls with its own time-out. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	*fd_r = fd;
	return 0;
}

/* tls_setup - libetpan's TLS callback: SNI for a host name. */
static void tls_setup(struct mailstream_ssl_context *ctx, void *data)
{
	const char *host = data;

	if (!is_ip(host))
		mailstream_ssl_set_server_name(ctx, (char *)host);
}

/* verify_peer - the server's certificate chain on LOW must chain to
 * smtp.tls_ca_file (else the system store) and name the host. */
static int verify_peer(struct smtp *s, mailstream_low *low,
		       const char **error_r)
{
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_x509_crt_t crts[CHAIN_MAX];
	gnutls_typed_vdata_st vdata[2];
	gnutls_datum_t out = {NULL, 0};
	carray *chain = NULL;
	const char *ca = s->cfg->smtp_tls_ca_file;
	unsigned int n = 0, i, status = 0;
	int rc, r = -1;

	chain = mailstream_low_get_certificate_chain(low);
	if (chain == NULL || carray_count(chain) == 0) {
		*error_r = err_fmt("%s: 伺服器未提供憑證 / the server sent no "
				   "certificate",
				   s->host);
		goto out;
	}
	for (i = 0; i < carray_count(chain) && n < CHAIN_MAX; i++) {
		MMAPString *der = carray_get(chain, i);
		gnutls_datum_t d = {(unsigned char *)der->str,
				    (unsigned int)der->len};

		if (gnutls_x509_crt_init(&crts[n]) < 0)
			goto bad_cert;
		if (gnutls_x509_crt_import(crts[n], &d, GNUTLS_X509_FMT_DER) <
		    0) {
			gnutls_x509_crt_deinit(crts[n]);
			goto bad_cert;
		}
		n++;
	}
	if (gnutls_x509_trust_list_init(&tl, 0) < 0) {
		tl = NULL;
		*error_r = "GnuTLS: 記憶體不足 / out of memory";
		goto out;
	}
	if (ca != NULL)
		rc = gnutls_x509_trust_list_add_trust_file(
			tl, ca, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
	else
		rc = gnutls_x509_trust_list_add_system_trust(tl, 0, 0);
	if (rc <= 0) {
		*error_r = err_fmt("無法載入信任的憑證 / cannot load trusted "
				   "certificates from %s: %s",
				   ca != NULL ? ca : "the system store",
				   rc < 0 ? gnutls_strerror(rc) : "none found");
		goto out;
	}
	vdata[0].type = GNUTLS_DT_DNS_HOSTNAME;
	vdata[0].data = (unsigned char *)s->host;
	vdata[0].size = 0;
	vdata[1].type = GNUTLS_DT_KEY_PURPOSE_OID;
	vdata[1].data = (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER;
	vdata[1].size = 0;
	rc = gnutls_x509_trust_list_verify_crt2(tl, crts, n, vdata, 2, 0,
						&status, NULL);
	if (rc < 0) {
		*error_r = err_fmt("%s: 憑證驗證失敗 / certificate "
				   "verification failed: %s",
				   s->host, gnutls_strerror(rc));
		goto out;
	}
	if (status != 0) {
		rc = gnutls_certificate_verification_status_print(
			status, GNUTLS_CRT_X509, &out, 0);
		*error_r =
			err_fmt("%s: 伺服器憑證不受信任 / the server's "
				"certificate is refused: %s",
				s->host, rc == 0 ? (const char *)out.data : "");
		goto out;
	}
	r = 0;
	goto out;
bad_cert:
	*error_r = err_fmt("%s: 無法解析伺服器憑證 / cannot parse the "
			   "server's certificate",
			   s->host);
out:
	gnutls_free(out.data);
	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	if (tl != NULL)
		gnutls_x509_trust_list_deinit(tl, 1);
	if (chain != NULL)
		mailstream_certificate_chain_free(chain);
	return r;
}

/* reply_text - libetpan's last reply text on one line (static buffer). */
static const char *reply_text(struct smtp *s)
{
	const char *t = s->session != NULL ? s->session->response : NULL;
	size_t i;

	if (!s->reply_own)
		snprintf(s->reply, sizeof(s->reply), "%s", t != NULL ? t : "");
	s->reply_own = 0;
	for (i = 0; s->reply[i] != '\0'; i++)
		if (s->reply[i] == '\n' || s->reply[i] == '\r')
			s->reply[i] = ' ';
	while (i > 0 && s->reply[i - 1] == ' ')
		s->reply[--i] = '\0';
	return s->reply;
}

/* read_reply - one reply read here: its code (0: none or garbled), its
 * lines' text joined by '\n' in s->reply. */
static int read_reply(struct smtp *s)
{
	char *line;
	size_t used = 0, n;
	int code = 0, more;

	s->reply[0] = '\0';
	do {
		line = mailstream_read_line_remove_eol(s->session->stream,
						       s->line);
		if (line == NULL || strlen(line) < 3 || line[0] < '2' ||
		    line[0] > '5' || line[1] < '0' || line[1] > '9' ||
		    line[2] < '0' || line[2] > '9' ||
		    (line[3] != '\0' && line[3] != ' ' && line[3] != '-'))
			return 0;
		if (code != 0 && atoi(line) != code)
			return 0;
		code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		       (line[2] - '0');
		more = line[3] == '-';
		n = line[3] != '\0' ? strlen(line + 4) : 0;
		if (used + n + 2 < sizeof(s->reply)) {
			if (used > 0)
				s->reply[used++] = '\n';
			memcpy(s->reply + used, line + 4, n);
			used += n;
			s->reply[used] = '\0';
		}
	} while (more);
	return code;
}

/* one_line - s->reply with its line breaks as spaces. */
static const char *one_line(struct smtp *s)
{
	char *p;

	for (p = s->reply; *p != '\0'; p++)
		if (*p == '\n')
			*p = ' ';
	return s->reply;
}

/* send_line - write CMD (with its CRLF) and flush. */
static int send_line(struct smtp *s, const char *cmd, size_t len)
{
	mailstream *st = s->session->stream;

	if (mailstream_write(st, cmd, len) < 0 || mailstream_flush(st) < 0)
		return -1;
	return 0;
}

/* parse_ehlo - the extensions in the EHLO reply in s->reply. */
static void parse_ehlo(struct smtp *s)
{
	char *line, *save = NULL, *tok, *tsave = NULL;
	int first;

	s->has_starttls = s->has_auth_plain = s->has_pipelining = 0;
	for (line = strtok_r(s->reply, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		first = 1;
		for (tok = strtok_r(line, " =", &tsave); tok != NULL;
		     tok = strtok_r(NULL, " ", &tsave)) {
			if (first && strcasecmp(tok, "STARTTLS") == 0)
				s->has_starttls = 1;
			if (first && strcasecmp(tok, "PIPELINING") == 0)
				s->has_pipelining = 1;
			if (first && strcasecmp(tok, "AUTH") != 0)
				break;
			if (!first && strcasecmp(tok, "PLAIN") == 0)
				s->has_auth_plain = 1;
			first = 0;
		}
	}
	/* What libetpan's own commands look at. */
	s->session->esmtp = MAILSMTP_ESMTP |
			    (s->has_starttls ? MAILSMTP_ESMTP_STARTTLS : 0);
	s->session->auth = MAILSMTP_AUTH_CHECKED;
}

/* ehlo - EHLO smtp.helo (HELO when EHLO is refused and nothing needs
 * ESMTP). */
static int ehlo(struct smtp *s, const char **error_r)
{
	char cmd[300];
	int code, n;

	n = snprintf(cmd, sizeof(cmd), "EHLO %s\r\n", s->cfg->smtp_helo);
	if (send_line(s, cmd, (size_t)n) < 0) {
		*error_r = "EHLO: 連線中斷 / connection lost";
		return -1;
	}
	code = read_reply(s);
	if (code == 250) {
		parse_ehlo(s);
		return 0;
	}
	if (code / 100 == 5 && !s->starttls && !s->implicit_tls &&
	    s->cfg->smtp_credentials_file == NULL) {
		n = snprintf(cmd, sizeof(cmd), "HELO %s\r\n",
			     s->cfg->smtp_helo);
		if (send_line(s, cmd, (size_t)n) == 0 &&
		    (code = read_reply(s)) == 250) {
			s->session->esmtp = 0;
			return 0;
		}
	}
	*error_r = code == 0 ? "EHLO: 無回應 / no reply"
			     : err_fmt("EHLO: %d %s", code, one_line(s));
	return -1;
}

/* start_tls - STARTTLS, TLS over the same socket, verify the server. */
static int start_tls(struct smtp *s, const char **error_r)
{
	mailstream_low *low, *tls;
	int r, fd;

	if (!s->has_starttls) {
		*error_r = err_fmt("%s 未提供 STARTTLS / %s does not offer "
				   "STARTTLS (smtp.tls = starttls)",
				   s->host, s->host);
		return -1;
	}
	s->session->response_code = 0;
	r = mailesmtp_starttls(s->session);
	if (r != MAILSMTP_NO_ERROR) {
		*error_r = err_fmt("STARTTLS: %d %s", s->session->response_code,
				   reply_text(s));
		return -1;
	}
	/* Anything already buffered was sent in clear before the handshake
	 * and could be an injected reply (CVE-2020-15953): refuse it. */
	if (s->session->stream->read_buffer_len != 0) {
		*error_r = "STARTTLS: 回應後有多餘資料 / data after the reply";
		return -1;
	}
	low = mailstream_get_low(s->session->stream);
	fd = mailstream_low_get_fd(low);
	tls = mailstream_low_tls_open_with_callback_timeout(
		fd, s->cfg->smtp_timeout, tls_setup, s->host);
	if (tls == NULL) {
		*error_r = err_fmt("%s: TLS 交握失敗 / TLS handshake failed",
				   s->host);
		return -1;
	}
	mailstream_low_free(low); /* the socket stays open, now under tls */
	mailstream_set_low(s->session->stream, tls);
	mailstream_low_set_timeout(tls, s->cfg->smtp_timeout);
	return verify_peer(s, tls, error_r);
}

/* auth_plain - AUTH PLAIN with smtp.credentials_file; the password is
 * wiped wherever we put it, libetpan's write buffer included. */
static int auth_plain(struct smtp *s, int tls, const char **error_r)
{
	char *cred = NULL, *raw = NULL, *cmd = NULL, *nl, *pass;
	const char *err = NULL;
	mailstream *st = s->session->stream;
	size_t clen = 0, ulen, plen, rlen = 0, clen64 = 0;
	int r = -1, code;

	if (!tls && !is_loopback(s->host)) {
		*error_r =
			err_fmt("拒絕以明文傳送 SMTP 密碼至 %s / refusing to "
				"send the SMTP password to %s without TLS "
				"(set smtp.tls = \"starttls\" or use "
				"smtps://)",
				s->host, s->host);
		return -1;
	}
	if (!s->has_auth_plain) {
		*error_r = err_fmt("%s 未提供 AUTH PLAIN / %s does not offer "
				   "AUTH PLAIN",
				   s->host, s->host);
		return -1;
	}
	if (secret_read_file(s->cfg->smtp_credentials_file, 1, &cred, &clen,
			     &err) < 0) {
		*error_r = err;
		return -1;
	}
	nl = memchr(cred, '\n', clen);
	ulen = nl != NULL ? (size_t)(nl - cred) : 0;
	if (ulen > 0 && cred[ulen - 1] == '\r')
		ulen--;
	pass = nl != NULL ? nl + 1 : cred + clen;
	plen = clen - (size_t)(pass - cred);
	if (ulen == 0 || plen == 0 || memchr(pass, '\n', plen) != NULL ||
	    memchr(cred, '\0', clen) != NULL) {
		*error_r = err_fmt("%s: 須為兩行：帳號與密碼 / must hold two "
				   "lines, the user and the password",
				   s->cfg->smtp_credentials_file);
		goto out;
	}
	rlen = ulen + plen + 2;
	raw = xmalloc(rlen);
	raw[0] = '\0';
	memcpy(raw + 1, cred, ulen);
	raw[1 + ulen] = '\0';
	memcpy(raw + 2 + ulen, pass, plen);
	clen64 = 11 + 4 * ((rlen + 2) / 3) + 3;
	cmd = xmalloc(clen64);
	memcpy(cmd, "AUTH PLAIN ", 11);
	base64((unsigned char *)raw, rlen, cmd + 11);
	strcat(cmd, "\r\n");
	if (send_line(s, cmd, strlen(cmd)) < 0) {
		*error_r = "AUTH: 連線中斷 / connection lost";
		goto out;
	}
	code = read_reply(s);
	/* 235 by RFC 4954; test servers such as smtp-sink say 250. */
	if (code / 100 != 2) {
		*error_r = code == 0 ? "AUTH: 無回應 / no reply"
				     : err_fmt("AUTH PLAIN: %d %s", code,
					       one_line(s));
		goto out;
	}
	r = 0;
out:
	if (st->write_buffer != NULL)
		explicit_bzero(st->write_buffer, st->buffer_max_size);
	if (raw != NULL) {
		explicit_bzero(raw, rlen);
		free(raw);
	}
	if (cmd != NULL) {
		explicit_bzero(cmd, clen64);
		free(cmd);
	}
	xfree_secret(&cred);
	return r;
}

/* open_session - connect, greeting, EHLO, TLS, EHLO again, AUTH. */
static int open_session(struct smtp *s, const char **error_r)
{
	mailstream_low *low = NULL;
	mailstream *stream = NULL;
	int fd = -1, r, timeout = s->cfg->smtp_timeout, tls = 0;

	if (tcp_connect(s, &fd, error_r) < 0)
		return -1;
	if (s->implicit_tls) {
		low = mailstream_low_ssl_open_with_callback_timeout(
			fd, timeout, tls_setup, s->host);
		if (low == NULL) {
			close(fd);
			*error_r =
				err_fmt("%s:%s: TLS 交握失敗 / TLS handshake "
					"failed",
					s->host, s->port);
			return -1;
		}
		if (verify_peer(s, low, error_r) < 0) {
			mailstream_low_close(low);
			mailstream_low_free(low);
			return -1;
		}
		tls = 1;
	} else {
		low = mailstream_low_socket_open(fd);
		if (low == NULL) {
			close(fd);
			*error_r = "libetpan: 記憶體不足 / out of memory";
			return -1;
		}
	}
	/* libetpan's read time-out defaults to 300 s otherwise. */
	mailstream_low_set_timeout(low, timeout);
	stream = mailstream_new(low, STREAM_BUF);
	if (stream == NULL) {
		mailstream_low_close(low);
		mailstream_low_free(low);
		*error_r = "libetpan: 記憶體不足 / out of memory";
		return -1;
	}
	s->session = mailsmtp_new(0, NULL);
	if (s->session == NULL) {
		mailstream_close(stream);
		*error_r = "libetpan: 記憶體不足 / out of memory";
		return -1;
	}
	mailsmtp_set_timeout(s->session, timeout);
	r = mailsmtp_connect(s->session, stream); /* closes it on failure */
	if (r != MAILSMTP_NO_ERROR) {
		*error_r = s->session->response_code != 0
				   ? err_fmt("%s:%s: 問候 / greeting: %d %s",
					     s->host, s->port,
					     s->session->response_code,
					     reply_text(s))
				   : err_fmt("%s:%s: 沒有問候 / no greeting",
					     s->host, s->port);
		goto fail;
	}
	if (ehlo(s, error_r) < 0)
		goto fail;
	if (s->starttls) {
		if (start_tls(s, error_r) < 0 || ehlo(s, error_r) < 0)
			goto fail;
		tls = 1;
	}
	if (s->cfg->smtp_credentials_file != NULL &&
	    auth_plain(s, tls, error_r) < 0)
		goto fail;
	return 0;
fail:
	close_session(s, 0);
	return -1;
}

/* valid_envelope - an address fit for MAIL FROM:<> or RCPT TO:<>. */
static int valid_envelope(const char *addr, int may_be_empty)
{
	const char *p;

	if (addr == NULL || (addr[0] == '\0' && !may_be_empty) ||
	    strlen(addr) > 254)
		return 0;
	for (p = addr; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '<' ||
		    *p == '>')
			return 0;
	return 1;
}

/* reply_code - the code of the reply to libetpan's last command, 0 when
 * it could not be sent or no reply came. */
static int reply_code(struct smtp *s, int r)
{
	return r == MAILSMTP_ERROR_STREAM ? 0 : s->session->response_code;
}

/* pipelined_envelope - MAIL, RCPT and DATA in one write, then their three
 * replies (RFC 2920): one round trip instead of three. 0 when DATA got
 * 354; -1 with the failing STAGE, its CODE (0: the session broke) and
 * *early_r as transaction() sets them, the reply's text in s->reply (for
 * reply_text). All three replies are read even after a refusal, so the
 * session stays in step. */
static int pipelined_envelope(struct smtp *s, const char *from,
			      const char *rcpt, const char **stage_r,
			      int *code_r, int *early_r)
{
	static const char *const stages[] = {"MAIL FROM", "RCPT TO", "DATA"};
	char *cmds = xasprintf("MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n",
			       from, rcpt);
	char failed[sizeof(s->reply)] = "";
	int code, i, bad = -1;

	code = send_line(s, cmds, strlen(cmds));
	free(cmds);
	if (code < 0) {
		*stage_r = stages[0];
		*code_r = 0;
		return -1;
	}
	for (i = 0; i < 3; i++) {
		code = read_reply(s);
		if (code == 0) { /* broken: nothing more will come */
			*stage_r = stages[bad >= 0 ? bad : i];
			*code_r = 0;
			if (i > 0 && bad != 0)
				*early_r = 0; /* MAIL FROM was accepted */
			return -1;
		}
		if (bad < 0 && (i < 2 ? code / 100 != 2 : code != 354)) {
			bad = i;
			*code_r = code;
			snprintf(failed, sizeof(failed), "%s", s->reply);
		}
	}
	if (bad < 0) {
		*early_r = 0;
		return 0;
	}
	*stage_r = stages[bad];
	*early_r = bad == 0;
	if (code == 354) /* DATA accepted after a refusal: the server
			    wants a message we will not send */
		*code_r = 0;
	memcpy(s->reply, failed, sizeof(failed));
	s->reply_own = 1;
	return -1;
}

/* transaction - MAIL, RCPT, DATA, the message. 0, or -1 with the reply
 * code in *code_r (0: the session broke), whether it failed before RCPT
 * in *early_r, and the reason in *error_r. */
static int transaction(struct smtp *s, const char *from, const char *rcpt,
		       const char *msg, size_t len, int *code_r, int *early_r,
		       const char **error_r)
{
	const char *stage;
	int r, code;

	*early_r = 1; /* nothing of this message has been accepted yet */

	if (s->dirty) {
		stage = "RSET";
		s->session->response_code = 0;
		r = mailsmtp_reset(s->session);
		if ((code = reply_code(s, r)) / 100 != 2)
			goto fail;
		s->dirty = 0;
	}
	s->dirty = 1;
	if (s->has_pipelining) {
		r = pipelined_envelope(s, from, rcpt, &stage, &code, early_r);
		if (r < 0)
			goto fail;
		goto data;
	}
	stage = "MAIL FROM";
	s->session->response_code = 0;
	r = mailsmtp_mail(s->session, from);
	if ((code = reply_code(s, r)) / 100 != 2)
		goto fail;
	*early_r = 0;
	stage = "RCPT TO";
	s->session->response_code = 0;
	r = mailsmtp_rcpt(s->session, rcpt);
	if ((code = reply_code(s, r)) / 100 != 2)
		goto fail;
	stage = "DATA";
	s->session->response_code = 0;
	r = mailsmtp_data(s->session);
	if ((code = reply_code(s, r)) != 354)
		goto fail;
data:
	/* libetpan ends the data with "\r\n.\r\n": strip our final CRLF. */
	if (len >= 2 && msg[len - 2] == '\r' && msg[len - 1] == '\n')
		len -= 2;
	stage = "end of DATA";
	s->session->response_code = 0;
	r = mailsmtp_data_message(s->session, msg, len);
	/* The message holds one-time links: leave no copy in libetpan's
	 * buffer (flushed by now). */
	if (s->session->stream != NULL &&
	    s->session->stream->write_buffer != NULL)
		explicit_bzero(s->session->stream->write_buffer,
			       s->session->stream->buffer_max_size);
	if ((code = reply_code(s, r)) / 100 != 2)
		goto fail;
	s->dirty = 0;
	s->transactions++;
	return 0;
fail:
	if (code / 100 < 4)
		code = 0;
	*error_r = code == 0 ? err_fmt("%s: 連線中斷或逾時 / connection lost "
				       "or timed out (%s:%s)",
				       stage, s->host, s->port)
			     : err_fmt("%s: %d %s", stage, code, reply_text(s));
	/* A refused RSET says nothing about the message: treat it as a
	 * broken session. */
	*code_r = strcmp(stage, "RSET") == 0 ? 0 : code;
	return -1;
}

int smtp_send(struct smtp *smtp, const char *env_from, const char *rcpt,
	      const char *msg, size_t len, int *code_r, const char **error_r)
{
	const char *err = NULL;
	int code = 0, tries, early = 0, reused;

	*code_r = 0;
	if (!valid_envelope(env_from, 1) || !valid_envelope(rcpt, 0)) {
		*error_r = "信封地址無效 (含空白、角括號、換行或控制字元) / "
			   "invalid envelope address (white space, angle "
			   "bracket, CR/LF or control character)";
		return KCG_EINVAL;
	}
	for (tries = 0;; tries++) {
		if (smtp->failure != NULL) {
			*error_r = smtp->failure;
			return KCG_EMAIL;
		}
		if (smtp->session == NULL) {
			if (open_session(smtp, &err) < 0) {
				log_warning("%s", err);
				smtp->failure = xstrdup(err);
				continue;
			}
			log_debug("connected to %s:%s", smtp->host, smtp->port);
		}
		reused = smtp->transactions > 0;
		if (transaction(smtp, env_from, rcpt, msg, len, &code, &early,
				&err) == 0)
			return 0;
		if (code != 0 && code != 421) {
			*code_r = code;
			*error_r = err;
			return KCG_EMAIL;
		}
		/* The session is gone. A reused one may simply have been
		 * closed by the server while idle: reconnect once. */
		close_session(smtp, code == 421);
		if (tries == 0 && reused && early)
			continue;
		smtp->failure = xstrdup(err);
		*code_r = code;
		*error_r = smtp->failure;
		return KCG_EMAIL;
	}
}
