/*
 * cert - citizen certificates with GnuTLS's trust lists (see cert.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/ocsp.h>
#include <gnutls/x509.h>

#include "cert.h"
#include "err.h"
#include "kcg.h"
#include "natid.h"
#include "utf8.h"
#include "xalloc.h"

#define OID_CN		  "2.5.4.3"
#define OID_SERIAL_NUMBER "2.5.4.5"
#define MAX_CHAIN	  16
#define MAX_ATTR	  256
#define OCSP_MAX_RESP	  (64 * 1024) /* HTTP headers and body together */
#define OCSP_MAX_HOST	  256
#define OCSP_MAX_PATH	  1024
#define OCSP_SKEW	  300	/* seconds of clock difference tolerated */
#define OCSP_MAX_AGE	  86400 /* an answer without nextUpdate */

struct cert_trust {
	gnutls_x509_trust_list_t tl;
	time_t crl_next_update; /* the earliest nextUpdate of the CRLs */
	/* OCSP responder; ocsp_host[0] == '\0': OCSP is off */
	char ocsp_host[OCSP_MAX_HOST];
	char ocsp_port[8];
	char ocsp_path[OCSP_MAX_PATH];
	char ocsp_hostport[OCSP_MAX_HOST + 8]; /* for the Host: header */
	int ocsp_timeout;
};

static const char *status_message(unsigned int status);

/* load_crls - the CRLs of FILE, PEM or DER. */
static int load_crls(const char *file, gnutls_x509_crl_t **crls_r,
		     unsigned int *n_r, const char **error_r)
{
	gnutls_datum_t data = {NULL, 0};
	gnutls_x509_crl_t *crls = NULL;
	unsigned int n = 0;
	int r = KCG_EINVAL;

	if (gnutls_load_file(file, &data) < 0) {
		*error_r = err_fmt("%s: 無法讀取 / cannot read", file);
		goto out;
	}
	if (gnutls_x509_crl_list_import2(&crls, &n, &data, GNUTLS_X509_FMT_PEM,
					 0) < 0 &&
	    gnutls_x509_crl_list_import2(&crls, &n, &data, GNUTLS_X509_FMT_DER,
					 0) < 0) {
		*error_r = err_fmt("%s: 不是憑證廢止清冊 / not a CRL (PEM or "
				   "DER)",
				   file);
		goto out;
	}
	if (n == 0) {
		*error_r = err_fmt("%s: 沒有憑證廢止清冊 / holds no CRL", file);
		goto out;
	}
	*crls_r = crls;
	*n_r = n;
	crls = NULL;
	r = 0;
out:
	gnutls_free(crls);
	gnutls_free(data.data);
	return r;
}

int cert_trust_open(const char *ca_file, const char *crl_file,
		    struct cert_trust **trust_r, const char **error_r)
{
	struct cert_trust *t = xcalloc(1, sizeof(*t));
	gnutls_x509_crl_t *crls = NULL;
	unsigned int n = 0, i;
	time_t next;
	int r = KCG_EINVAL, ret;

	if (ca_file == NULL || crl_file == NULL) {
		*error_r =
			"須設定 cert.ca_file 與 cert.crl_file / cert.ca_file "
			"and cert.crl_file are both required";
		goto out;
	}
	if (gnutls_x509_trust_list_init(&t->tl, 0) < 0) {
		t->tl = NULL;
		r = KCG_EINTERNAL;
		*error_r = "gnutls_x509_trust_list_init failed";
		goto out;
	}
	ret = gnutls_x509_trust_list_add_trust_file(t->tl, ca_file, NULL,
						    GNUTLS_X509_FMT_PEM, 0, 0);
	if (ret <= 0) {
		*error_r = err_fmt("%s: 沒有可用的 CA 憑證 / no CA certificate "
				   "(%s)",
				   ca_file,
				   ret < 0 ? gnutls_strerror(ret) : "empty");
		goto out;
	}
	r = load_crls(crl_file, &crls, &n, error_r);
	if (r < 0)
		goto out;
	t->crl_next_update = (time_t)-1;
	for (i = 0; i < n; i++) {
		next = gnutls_x509_crl_get_next_update(crls[i]);
		if (next != (time_t)-1 && (t->crl_next_update == (time_t)-1 ||
					   next < t->crl_next_update))
			t->crl_next_update = next;
	}
	if (t->crl_next_update != (time_t)-1 &&
	    time(NULL) > t->crl_next_update) {
		/* GnuTLS would drop it as superseded: say why */
		for (i = 0; i < n; i++)
			gnutls_x509_crl_deinit(crls[i]);
		*error_r = err_fmt(
			"%s: %s", crl_file,
			status_message(GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED));
		r = KCG_EINVAL;
		goto out;
	}
	/* The trust list owns the CRLs from here on: it keeps those that
	 * verify against the CAs and (with NO_DUPLICATES) frees the rest. */
	ret = gnutls_x509_trust_list_add_crls(
		t->tl, crls, n, GNUTLS_TL_VERIFY_CRL | GNUTLS_TL_NO_DUPLICATES,
		0);
	if (ret < 0 || (unsigned int)ret != n) {
		*error_r = err_fmt("%s: 憑證廢止清冊非由設定的 CA 簽發 / a CRL "
				   "is not signed by a CA of cert.ca_file",
				   crl_file);
		r = KCG_EINVAL;
		goto out;
	}
	*trust_r = t;
	t = NULL;
	r = 0;
out:
	gnutls_free(crls);
	cert_trust_free(&t);
	return r;
}

void cert_trust_free(struct cert_trust **trustp)
{
	struct cert_trust *t = *trustp;

	if (t == NULL)
		return;
	if (t->tl != NULL)
		gnutls_x509_trust_list_deinit(t->tl, 1);
	free(t);
	*trustp = NULL;
}

/* url_chars_ok - S[0..LEN) has no control character, space or '@'. */
static int url_chars_ok(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f || s[i] == '@')
			return 0;
	return 1;
}

int cert_trust_set_ocsp(struct cert_trust *trust, const char *url, int timeout,
			const char **error_r)
{
	const char *hp, *end, *path, *host, *colon = NULL, *rb;
	size_t hlen, plen, i;
	long port = 80;

	trust->ocsp_host[0] = '\0';
	if (url == NULL || url[0] == '\0')
		return 0;
	if (timeout < 1 || timeout > 60) {
		*error_r =
			"cert.ocsp_timeout: 須介於 1 與 60 秒 / must be 1 to "
			"60 seconds";
		return KCG_EINVAL;
	}
	if (strncmp(url, "http://", 7) != 0)
		goto bad;
	hp = url + 7;
	path = strchr(hp, '/');
	end = path != NULL ? path : hp + strlen(hp);
	if (*hp == '[') { /* an IPv6 literal */
		rb = memchr(hp, ']', (size_t)(end - hp));
		if (rb == NULL)
			goto bad;
		host = hp + 1;
		hlen = (size_t)(rb - host);
		if (rb + 1 < end) {
			if (rb[1] != ':')
				goto bad;
			colon = rb + 1;
		}
	} else {
		host = hp;
		colon = memchr(hp, ':', (size_t)(end - hp));
		hlen = (size_t)((colon != NULL ? colon : end) - hp);
	}
	if (hlen == 0 || hlen >= OCSP_MAX_HOST || !url_chars_ok(host, hlen) ||
	    (size_t)(end - hp) >= sizeof(trust->ocsp_hostport))
		goto bad;
	if (colon != NULL) {
		plen = (size_t)(end - colon - 1);
		if (plen == 0 || plen > 5)
			goto bad;
		port = 0;
		for (i = 0; i < plen; i++) {
			if (colon[1 + i] < '0' || colon[1 + i] > '9')
				goto bad;
			port = port * 10 + (colon[1 + i] - '0');
		}
		if (port < 1 || port > 65535)
			goto bad;
	}
	if (path == NULL)
		path = "/";
	if (strlen(path) >= OCSP_MAX_PATH || !url_chars_ok(path, strlen(path)))
		goto bad;
	memcpy(trust->ocsp_host, host, hlen);
	trust->ocsp_host[hlen] = '\0';
	memcpy(trust->ocsp_hostport, hp, (size_t)(end - hp));
	trust->ocsp_hostport[end - hp] = '\0';
	snprintf(trust->ocsp_port, sizeof(trust->ocsp_port), "%ld", port);
	snprintf(trust->ocsp_path, sizeof(trust->ocsp_path), "%s", path);
	trust->ocsp_timeout = timeout;
	return 0;
bad:
	trust->ocsp_host[0] = '\0';
	*error_r = err_fmt("cert.ocsp_url: 不是可用的 http:// 網址 / not a "
			   "usable http://host[:port][/path] URL: %s",
			   url);
	return KCG_EINVAL;
}

/* status_message - why GnuTLS refused a chain, most telling reason first. */
static const char *status_message(unsigned int status)
{
	if (status & GNUTLS_CERT_REVOKED)
		return "憑證已廢止 / the certificate has been revoked";
	if (status & GNUTLS_CERT_EXPIRED)
		return "憑證已過期 / the certificate has expired";
	if (status & GNUTLS_CERT_NOT_ACTIVATED)
		return "憑證尚未生效 / the certificate is not valid yet";
	if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA))
		return "憑證非由信任的憑證機構簽發 / the certificate is not "
		       "issued by a trusted CA";
	if (status & GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED)
		return "憑證廢止清冊已過期 / the revocation list is out of "
		       "date";
	return "憑證驗證失敗 / the certificate does not verify";
}

/* subject_attr - the only value of OID in CRT's subject, in new memory. */
static int subject_attr(gnutls_x509_crt_t crt, const char *oid, char **value_r)
{
	char buf[MAX_ATTR];
	size_t sz = sizeof(buf);

	if (gnutls_x509_crt_get_dn_by_oid(crt, oid, 0, 0, buf, &sz) < 0 ||
	    sz >= sizeof(buf) || !utf8_valid(buf, sz))
		return KCG_EINVAL;
	buf[sz] = '\0';
	*value_r = xstrdup(buf);
	sz = sizeof(buf);
	/* two CNs or two serialNumbers: which one is the holder? */
	if (gnutls_x509_crt_get_dn_by_oid(crt, oid, 1, 0, buf, &sz) !=
	    GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
		free(*value_r);
		*value_r = NULL;
		return KCG_EINVAL;
	}
	return 0;
}

/* datum_string - D as a NUL-terminated string in new memory; frees D. */
static char *datum_string(gnutls_datum_t *d)
{
	char *s = xmalloc(d->size + 1);

	memcpy(s, d->data, d->size);
	s[d->size] = '\0';
	gnutls_free(d->data);
	d->data = NULL;
	return s;
}

/* holder_of - what the verified leaf CRT says about its holder. */
static int holder_of(gnutls_x509_crt_t crt, struct cert_holder **holder_r,
		     const char **error_r)
{
	struct cert_holder *h = xcalloc(1, sizeof(*h));
	gnutls_datum_t d = {NULL, 0};
	unsigned char serial[64];
	size_t sz = sizeof(serial), i, len;
	char *sn = NULL;
	int r = KCG_EINVAL;

	if (subject_attr(crt, OID_CN, &h->name) < 0 || h->name[0] == '\0') {
		*error_r = "憑證主體沒有唯一的姓名 (CN) / the certificate "
			   "subject has no single commonName";
		goto out;
	}
	if (subject_attr(crt, OID_SERIAL_NUMBER, &sn) < 0 ||
	    (len = strlen(sn)) < CERT_ID_TAIL_LEN ||
	    strspn(sn + len - CERT_ID_TAIL_LEN, "0123456789") !=
		    CERT_ID_TAIL_LEN) {
		*error_r = "憑證主體沒有身分證字號末四碼 (serialNumber) / the "
			   "certificate subject has no serialNumber ending "
			   "in the ID's last four digits";
		goto out;
	}
	memcpy(h->id_tail, sn + len - CERT_ID_TAIL_LEN, CERT_ID_TAIL_LEN);
	h->id_tail[CERT_ID_TAIL_LEN] = '\0';
	if (gnutls_x509_crt_get_dn3(crt, &d, 0) < 0 ||
	    (h->subject = datum_string(&d)) == NULL ||
	    gnutls_x509_crt_get_issuer_dn3(crt, &d, 0) < 0 ||
	    (h->issuer = datum_string(&d)) == NULL ||
	    gnutls_x509_crt_get_serial(crt, serial, &sz) < 0) {
		*error_r = "無法讀取憑證 / cannot read the certificate";
		goto out;
	}
	h->serial = xmalloc(2 * sz + 1);
	for (i = 0; i < sz; i++)
		snprintf(h->serial + 2 * i, 3, "%02x", serial[i]);
	h->serial[2 * sz] = '\0';
	h->not_after = gnutls_x509_crt_get_expiration_time(crt);
	*holder_r = h;
	h = NULL;
	r = 0;
out:
	gnutls_free(d.data);
	free(sn);
	cert_holder_free(&h);
	return r;
}

/* ms_left - milliseconds until DEADLINE, 0 when it has passed. */
static int ms_left(time_t deadline)
{
	time_t now = time(NULL);

	return now >= deadline ? 0 : (int)(deadline - now) * 1000;
}

/* wait_fd - FD ready for EVENTS before DEADLINE. Returns 0 or -1. */
static int wait_fd(int fd, short events, time_t deadline)
{
	struct pollfd p = {fd, events, 0};
	int ms, n;

	for (;;) {
		if ((ms = ms_left(deadline)) == 0)
			return -1;
		n = poll(&p, 1, ms);
		if (n > 0)
			return 0;
		if (n == 0 || errno != EINTR)
			return -1;
	}
}

/* connect_to - a non-blocking socket connected to AI before DEADLINE. */
static int connect_to(const struct addrinfo *ai, time_t deadline)
{
	int fd, err = 0;
	socklen_t len = sizeof(err);

	fd = socket(ai->ai_family,
		    ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    ai->ai_protocol);
	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno == EINPROGRESS && wait_fd(fd, POLLOUT, deadline) == 0 &&
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)
		return fd;
	close(fd);
	return -1;
}

/* send_all - send BUF[0..LEN) on FD before DEADLINE. Returns 0 or -1. */
static int send_all(int fd, const void *buf, size_t len, time_t deadline)
{
	const unsigned char *p = buf;
	ssize_t n;

	while (len > 0) {
		if (wait_fd(fd, POLLOUT, deadline) < 0)
			return -1;
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* http_body - the body of the HTTP response BUF[0..LEN) (NUL-terminated at
 * LEN), at *off_r, *body_len_r bytes: 0 when it says 200 and is complete
 * (*done_r: its Content-Length is reached) or may be (no Content-Length:
 * complete at EOF); -1 when more is needed; -2 when it is no good. */
static int http_body(const unsigned char *buf, size_t len, size_t *off_r,
		     size_t *body_len_r, int *done_r)
{
	const char *s = (const char *)buf, *hend, *line, *eol;
	unsigned long long cl = 0;
	int have_cl = 0;
	char *e;

	*done_r = 0;
	hend = memmem(s, len, "\r\n\r\n", 4);
	if (hend == NULL)
		return -1;
	/* no NUL in the headers: the string functions below stay in them */
	if (len < 12 || memchr(s, '\0', (size_t)(hend - s)) != NULL ||
	    strncmp(s, "HTTP/1.", 7) != 0 || s[8] != ' ' ||
	    strncmp(s + 9, "200", 3) != 0)
		return -2;
	for (line = strstr(s, "\r\n") + 2; line < hend; line = eol + 2) {
		eol = strstr(line, "\r\n");
		if (strncasecmp(line, "Content-Length:", 15) == 0) {
			if (have_cl)
				return -2; /* two lengths: which one? */
			errno = 0;
			cl = strtoull(line + 15, &e, 10);
			if (errno != 0 || e == line + 15 || cl > OCSP_MAX_RESP)
				return -2;
			have_cl = 1;
		}
	}
	*off_r = (size_t)(hend + 4 - s);
	*body_len_r = len - *off_r;
	if (have_cl) {
		if (*body_len_r > cl)
			return -2;
		*done_r = *body_len_r == cl;
		if (!*done_r)
			return -1;
	}
	return 0;
}

/* ocsp_post - POST the DER request REQ to T's responder; the response body
 * in *body_r (free with free), *len_r bytes. */
static int ocsp_post(const struct cert_trust *t, const gnutls_datum_t *req,
		     unsigned char **body_r, size_t *len_r,
		     const char **error_r)
{
	struct addrinfo hints, *res = NULL, *ai;
	char head[OCSP_MAX_PATH + OCSP_MAX_HOST + 256];
	unsigned char *buf = NULL;
	size_t got = 0, off = 0, blen = 0;
	time_t deadline = time(NULL) + t->ocsp_timeout;
	int fd = -1, r = KCG_EINVAL, n, done = 0, hr = -1;
	ssize_t k;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(t->ocsp_host, t->ocsp_port, &hints, &res) != 0)
		res = NULL;
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next)
		fd = connect_to(ai, deadline);
	if (fd < 0) {
		*error_r = "無法連線至 OCSP 伺服器，憑證狀態未確認 / cannot "
			   "reach the OCSP responder: the certificate's status "
			   "is unconfirmed";
		goto out;
	}
	n = snprintf(head, sizeof(head),
		     "POST %s HTTP/1.0\r\nHost: %s\r\n"
		     "Content-Type: application/ocsp-request\r\n"
		     "Accept: application/ocsp-response\r\n"
		     "Content-Length: %u\r\nConnection: close\r\n\r\n",
		     t->ocsp_path, t->ocsp_hostport, req->size);
	if (n < 0 || (size_t)n >= sizeof(head) ||
	    send_all(fd, head, (size_t)n, deadline) < 0 ||
	    send_all(fd, req->data, req->size, deadline) < 0)
		goto io;
	buf = xmalloc(OCSP_MAX_RESP + 1);
	while (!done) {
		if (got == OCSP_MAX_RESP || wait_fd(fd, POLLIN, deadline) < 0)
			goto io;
		k = recv(fd, buf + got, OCSP_MAX_RESP - got, 0);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k < 0)
			goto io;
		got += (size_t)k;
		buf[got] = '\0';
		hr = http_body(buf, got, &off, &blen, &done);
		if (hr == -2 || (k == 0 && hr < 0))
			goto io;
		if (k == 0)
			done = 1;
	}
	memmove(buf, buf + off, blen);
	*body_r = buf;
	*len_r = blen;
	buf = NULL;
	r = 0;
	goto out;
io:
	*error_r = "OCSP 伺服器沒有正確回應，憑證狀態未確認 / the OCSP "
		   "responder did not answer properly: the certificate's "
		   "status is unconfirmed";
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	if (res != NULL)
		freeaddrinfo(res);
	return r;
}

/* ocsp_check - LEAF (issued by ISSUER) is good at T's OCSP responder. */
static int ocsp_check(const struct cert_trust *t, gnutls_x509_crt_t leaf,
		      gnutls_x509_crt_t issuer, const char **error_r)
{
	gnutls_ocsp_req_t req = NULL;
	gnutls_ocsp_resp_t resp = NULL;
	gnutls_datum_t der = {NULL, 0}, nonce = {NULL, 0}, rnonce = {NULL, 0};
	gnutls_datum_t body;
	unsigned char *buf = NULL;
	size_t len = 0;
	unsigned int verify = 0, critical = 0;
	time_t now, this_update, next_update, rev_time;
	unsigned int status, reason;
	int r = KCG_EINTERNAL;

	if (gnutls_ocsp_req_init(&req) < 0) {
		req = NULL;
		*error_r = "gnutls_ocsp_req_init failed";
		goto out;
	}
	if (gnutls_ocsp_req_add_cert(req, GNUTLS_DIG_SHA1, issuer, leaf) < 0 ||
	    gnutls_ocsp_req_randomize_nonce(req) < 0 ||
	    gnutls_ocsp_req_get_nonce(req, NULL, &nonce) < 0 ||
	    gnutls_ocsp_req_export(req, &der) < 0) {
		*error_r = "無法產生 OCSP 查詢 / cannot build the OCSP request";
		goto out;
	}
	r = ocsp_post(t, &der, &buf, &len, error_r);
	if (r < 0)
		goto out;
	r = KCG_EINVAL;
	if (gnutls_ocsp_resp_init(&resp) < 0) {
		resp = NULL;
		r = KCG_EINTERNAL;
		*error_r = "gnutls_ocsp_resp_init failed";
		goto out;
	}
	body.data = buf;
	body.size = (unsigned int)len;
	if (gnutls_ocsp_resp_import(resp, &body) < 0) {
		*error_r = "OCSP 回應格式錯誤 / the OCSP response is malformed";
		goto out;
	}
	if (gnutls_ocsp_resp_get_status(resp) != GNUTLS_OCSP_RESP_SUCCESSFUL) {
		*error_r = "OCSP 伺服器拒絕查詢，憑證狀態未確認 / the OCSP "
			   "responder refused the query: the certificate's "
			   "status is unconfirmed";
		goto out;
	}
	/* signed by the issuer, or by a responder the issuer certified for
	 * OCSP signing (GnuTLS checks that delegation) */
	if (gnutls_ocsp_resp_verify_direct(resp, issuer, &verify, 0) < 0 ||
	    verify != 0) {
		*error_r = "OCSP 回應簽章無效 / the OCSP response signature "
			   "does not verify";
		goto out;
	}
	if (gnutls_ocsp_resp_get_nonce(resp, &critical, &rnonce) < 0 ||
	    rnonce.size != nonce.size ||
	    memcmp(rnonce.data, nonce.data, nonce.size) != 0) {
		*error_r = "OCSP 回應的 nonce 不符（可能為重送）/ the OCSP "
			   "response does not carry our nonce (a replay?)";
		goto out;
	}
	if (gnutls_ocsp_resp_check_crt(resp, 0, leaf) < 0 ||
	    gnutls_ocsp_resp_get_single(resp, 0, NULL, NULL, NULL, NULL,
					&status, &this_update, &next_update,
					&rev_time, &reason) < 0) {
		*error_r = "OCSP 回應不是關於此憑證 / the OCSP response is not "
			   "about this certificate";
		goto out;
	}
	now = time(NULL);
	if (this_update == (time_t)-1 || this_update > now + OCSP_SKEW ||
	    (next_update != (time_t)-1 && now > next_update + OCSP_SKEW) ||
	    (next_update == (time_t)-1 && now - this_update > OCSP_MAX_AGE)) {
		*error_r = "OCSP 回應已過期或尚未生效 / the OCSP response is "
			   "out of date or not yet valid";
		goto out;
	}
	if (status == GNUTLS_OCSP_CERT_REVOKED) {
		*error_r = "憑證已被廢止 (OCSP) / the certificate has been "
			   "revoked (OCSP)";
		goto out;
	}
	if (status != GNUTLS_OCSP_CERT_GOOD) {
		*error_r = "OCSP 伺服器不認得此憑證，憑證狀態未確認 / the OCSP "
			   "responder does not know the certificate: its "
			   "status is unconfirmed";
		goto out;
	}
	r = 0;
out:
	gnutls_free(rnonce.data);
	gnutls_free(nonce.data);
	gnutls_free(der.data);
	free(buf);
	if (resp != NULL)
		gnutls_ocsp_resp_deinit(resp);
	if (req != NULL)
		gnutls_ocsp_req_deinit(req);
	return r;
}

/* signed_by - CRT's signature verifies with ISSUER's key. */
static int signed_by(gnutls_x509_crt_t crt, gnutls_x509_crt_t issuer)
{
	unsigned int st = 0;

	return gnutls_x509_crt_verify(crt, &issuer, 1, 0, &st) == 0 && st == 0;
}

/* check_ocsp - when OCSP is on, the verified chain CRTS[0..N)'s leaf is
 * good at the responder. The issuer is the CA of the trust list that
 * signed the leaf, else CRTS[1] when it did: the OCSP answer is checked
 * against its key, so it must be the real one. */
static int check_ocsp(const struct cert_trust *trust, gnutls_x509_crt_t *crts,
		      unsigned int n, const char **error_r)
{
	gnutls_x509_crt_t issuer = NULL;

	if (trust->ocsp_host[0] == '\0')
		return 0;
	/* without GNUTLS_TL_GET_COPY the trust list keeps it: not freed */
	if (gnutls_x509_trust_list_get_issuer(trust->tl, crts[0], &issuer, 0) <
		    0 ||
	    !signed_by(crts[0], issuer))
		issuer = n > 1 && signed_by(crts[0], crts[1]) ? crts[1] : NULL;
	if (issuer == NULL) {
		*error_r = "找不到憑證簽發者，無法查詢 OCSP / the issuer is "
			   "unknown: cannot ask OCSP";
		return KCG_EINVAL;
	}
	return ocsp_check(trust, crts[0], issuer, error_r);
}

/* check_chain - verify CRTS[0..N) and read the holder of CRTS[0]. */
static int check_chain(const struct cert_trust *trust, gnutls_x509_crt_t *crts,
		       unsigned int n, struct cert_holder **holder_r,
		       const char **error_r)
{
	unsigned int status = 0;
	time_t now = time(NULL);
	int r;

	if (gnutls_x509_trust_list_verify_crt2(trust->tl, crts, n, NULL, 0, 0,
					       &status, NULL) < 0) {
		*error_r = "憑證驗證失敗 / the certificate does not verify";
		return KCG_EINVAL;
	}
	if (status != 0) {
		*error_r = status_message(status);
		return KCG_EINVAL;
	}
	/* GnuTLS uses whatever CRL it has; an out-of-date one fails closed */
	if (trust->crl_next_update != (time_t)-1 &&
	    now > trust->crl_next_update) {
		*error_r =
			status_message(GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED);
		return KCG_EINVAL;
	}
	r = check_ocsp(trust, crts, n, error_r);
	if (r < 0)
		return r;
	return holder_of(crts[0], holder_r, error_r);
}

int cert_check_der(const struct cert_trust *trust,
		   const unsigned char *const *der, const size_t *len, size_t n,
		   struct cert_holder **holder_r, const char **error_r)
{
	gnutls_x509_crt_t crts[MAX_CHAIN];
	gnutls_datum_t d;
	unsigned int got = 0, i;
	int r = KCG_EINVAL;

	if (n == 0 || n > MAX_CHAIN) {
		*error_r = n == 0 ? "沒有憑證 / no certificate was presented"
				  : "憑證鏈太長 / the chain is too long";
		goto out;
	}
	for (got = 0; got < n; got++) {
		if (gnutls_x509_crt_init(&crts[got]) < 0) {
			r = KCG_EINTERNAL;
			*error_r = "gnutls_x509_crt_init failed";
			goto out;
		}
		d.data = (unsigned char *)der[got];
		d.size = (unsigned int)len[got];
		if (gnutls_x509_crt_import(crts[got], &d, GNUTLS_X509_FMT_DER) <
		    0) {
			got++;
			*error_r = "不是 X.509 憑證 / not an X.509 certificate";
			goto out;
		}
	}
	r = check_chain(trust, crts, got, holder_r, error_r);
out:
	for (i = 0; i < got; i++)
		gnutls_x509_crt_deinit(crts[i]);
	return r;
}

int cert_check_pem(const struct cert_trust *trust, const char *pem, size_t len,
		   struct cert_holder **holder_r, const char **error_r)
{
	gnutls_x509_crt_t *crts = NULL;
	gnutls_datum_t d;
	unsigned int n = 0, i;
	int r = KCG_EINVAL;

	d.data = (unsigned char *)pem;
	d.size = (unsigned int)len;
	if (len == 0 || len > 1024 * 1024 ||
	    gnutls_x509_crt_list_import2(&crts, &n, &d, GNUTLS_X509_FMT_PEM,
					 0) < 0 ||
	    n == 0) {
		*error_r = "不是 PEM 格式的 X.509 憑證 / not a PEM X.509 "
			   "certificate";
		goto out;
	}
	if (n > MAX_CHAIN) {
		*error_r = "憑證鏈太長 / the chain is too long";
		goto out;
	}
	r = check_chain(trust, crts, n, holder_r, error_r);
out:
	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
	return r;
}

int cert_holder_id_matches(const struct cert_holder *h, const char *natid)
{
	const char *tail;
	unsigned char diff = 0;
	size_t i;

	if (natid == NULL || strlen(natid) != NATID_LEN)
		return 0;
	tail = natid + NATID_LEN - CERT_ID_TAIL_LEN;
	for (i = 0; i < CERT_ID_TAIL_LEN; i++)
		diff |= (unsigned char)(tail[i] ^ h->id_tail[i]);
	return diff == 0;
}

void cert_holder_free(struct cert_holder **hp)
{
	struct cert_holder *h = *hp;

	if (h == NULL)
		return;
	free(h->name);
	free(h->subject);
	free(h->issuer);
	free(h->serial);
	explicit_bzero(h, sizeof(*h));
	free(h);
	*hp = NULL;
}
