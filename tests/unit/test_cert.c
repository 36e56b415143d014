/*
 * test_cert - the verification-method table and the certificate checks
 * that need no directory: which subject attributes are read, and how
 * (CN, serialNumber's last four digits), the trust files' refusals, the ID
 * comparison. Certificates and the CRL are made here with GnuTLS, so the
 * cases can have subjects no certtool template would write (two CNs, no
 * serialNumber). The chain cases against a real slapd and over TLS are in
 * tests/integration/test_cert.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "cert.h"
#include "kcg.h"
#include "vmethod.h"

static char dir[] = "/tmp/test_cert.XXXXXX";
static char ca_path[256], crl_path[256], empty_path[256];
static gnutls_x509_privkey_t ca_key, leaf_key;
static gnutls_x509_crt_t ca_crt;
static struct cert_trust *trust;

/* write_file - DATA into DIR/NAME; the path into PATH. */
static void write_file(char path[256], const char *name,
		       const gnutls_datum_t *data)
{
	FILE *fp;

	snprintf(path, 256, "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	if (data != NULL)
		assert_int_equal(fwrite(data->data, 1, data->size, fp),
				 data->size);
	fclose(fp);
}

/* new_key - an ECDSA P-256 key. */
static gnutls_x509_privkey_t new_key(void)
{
	gnutls_x509_privkey_t k;

	assert_int_equal(gnutls_x509_privkey_init(&k), 0);
	assert_int_equal(
		gnutls_x509_privkey_generate(
			k, GNUTLS_PK_ECDSA,
			GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0),
		0);
	return k;
}

/* new_crt - a certificate for DN signed by the CA (or itself when
 * IS_CA), valid from an hour ago for a year. */
static gnutls_x509_crt_t new_crt(const char *dn, int is_ca, unsigned char sn)
{
	gnutls_x509_crt_t c;
	gnutls_x509_privkey_t key = is_ca ? ca_key : leaf_key;
	unsigned char serial[2] = {0x01, sn};
	const char *err = NULL;
	time_t now = time(NULL);

	assert_int_equal(gnutls_x509_crt_init(&c), 0);
	assert_int_equal(gnutls_x509_crt_set_version(c, 3), 0);
	if (gnutls_x509_crt_set_dn(c, dn, &err) < 0)
		fail_msg("set_dn %s: %s", dn, err ? err : "?");
	assert_int_equal(gnutls_x509_crt_set_key(c, key), 0);
	assert_int_equal(gnutls_x509_crt_set_serial(c, serial, 2), 0);
	assert_int_equal(gnutls_x509_crt_set_activation_time(c, now - 3600), 0);
	assert_int_equal(
		gnutls_x509_crt_set_expiration_time(c, now + 365 * 86400), 0);
	assert_int_equal(gnutls_x509_crt_set_basic_constraints(c, is_ca, -1),
			 0);
	if (is_ca) {
		assert_int_equal(gnutls_x509_crt_set_key_usage(
					 c, GNUTLS_KEY_KEY_CERT_SIGN |
						    GNUTLS_KEY_CRL_SIGN),
				 0);
		assert_int_equal(gnutls_x509_crt_sign2(c, c, ca_key,
						       GNUTLS_DIG_SHA256, 0),
				 0);
	} else {
		assert_int_equal(gnutls_x509_crt_set_key_usage(
					 c, GNUTLS_KEY_DIGITAL_SIGNATURE),
				 0);
		assert_int_equal(gnutls_x509_crt_sign2(c, ca_crt, ca_key,
						       GNUTLS_DIG_SHA256, 0),
				 0);
	}
	return c;
}

/* pem_of - CRT as PEM (caller frees with gnutls_free). */
static gnutls_datum_t pem_of(gnutls_x509_crt_t crt)
{
	gnutls_datum_t d = {NULL, 0};

	assert_int_equal(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d),
			 0);
	return d;
}

static int setup(void **state)
{
	gnutls_x509_crl_t crl;
	gnutls_datum_t d;
	time_t now = time(NULL);
	const char *err = NULL;

	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	ca_key = new_key();
	leaf_key = new_key();
	ca_crt = new_crt("C=TW,O=行政院,OU=內政部憑證管理中心 (unit test)", 1,
			 1);
	d = pem_of(ca_crt);
	write_file(ca_path, "ca.pem", &d);
	gnutls_free(d.data);
	assert_int_equal(gnutls_x509_crl_init(&crl), 0);
	assert_int_equal(gnutls_x509_crl_set_version(crl, 2), 0);
	assert_int_equal(gnutls_x509_crl_set_this_update(crl, now - 60), 0);
	assert_int_equal(gnutls_x509_crl_set_next_update(crl, now + 86400), 0);
	assert_int_equal(gnutls_x509_crl_sign2(crl, ca_crt, ca_key,
					       GNUTLS_DIG_SHA256, 0),
			 0);
	assert_int_equal(gnutls_x509_crl_export2(crl, GNUTLS_X509_FMT_PEM, &d),
			 0);
	write_file(crl_path, "ca.crl", &d);
	gnutls_free(d.data);
	gnutls_x509_crl_deinit(crl);
	write_file(empty_path, "empty.pem", NULL);
	if (cert_trust_open(ca_path, crl_path, &trust, &err) != 0)
		fail_msg("cert_trust_open: %s", err);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	cert_trust_free(&trust);
	gnutls_x509_crt_deinit(ca_crt);
	gnutls_x509_privkey_deinit(ca_key);
	gnutls_x509_privkey_deinit(leaf_key);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* The subjects: what is read from each, or why it is refused. */
static void test_subjects(void **state)
{
	static const struct {
		const char *dn;
		int r;
		const char *name, *tail, *reason;
	} cases[] = {
		/* MOICA-shaped, the ID digits zero-padded or alone */
		{"C=TW,CN=王小明,serialNumber=0000000000006783", 0, "王小明",
		 "6783", NULL},
		{"C=TW,CN=陳美玲,serialNumber=6712", 0, "陳美玲", "6712", NULL},
		{"C=TW,CN=林志豪,serialNumber=X0008478", 0, "林志豪", "8478",
		 NULL},
		{"C=TW,CN=王小明", KCG_EINVAL, NULL, NULL, "serialNumber"},
		{"C=TW,CN=王小明,serialNumber=678", KCG_EINVAL, NULL, NULL,
		 "serialNumber"},
		{"C=TW,CN=王小明,serialNumber=67A3", KCG_EINVAL, NULL, NULL,
		 "serialNumber"},
		{"C=TW,CN=王小明,serialNumber=6783,serialNumber=1234",
		 KCG_EINVAL, NULL, NULL, "serialNumber"},
		{"C=TW,serialNumber=6783", KCG_EINVAL, NULL, NULL,
		 "commonName"},
		{"C=TW,CN=王小明,CN=王大明,serialNumber=6783", KCG_EINVAL, NULL,
		 NULL, "commonName"},
	};
	struct cert_holder *h = NULL;
	gnutls_x509_crt_t crt;
	gnutls_datum_t pem;
	const char *err = NULL;
	char want[8];
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		crt = new_crt(cases[i].dn, 0, (unsigned char)(i + 2));
		pem = pem_of(crt);
		err = NULL;
		r = cert_check_pem(trust, (const char *)pem.data, pem.size, &h,
				   &err);
		if (r != cases[i].r)
			fail_msg("%s: %d (%s), want %d", cases[i].dn, r,
				 err ? err : "", cases[i].r);
		if (r == 0) {
			assert_string_equal(h->name, cases[i].name);
			assert_string_equal(h->id_tail, cases[i].tail);
			assert_non_null(strstr(h->subject, "serialNumber"));
			assert_non_null(
				strstr(h->issuer, "內政部憑證管理中心"));
			snprintf(want, sizeof(want), "01%02x",
				 (unsigned int)(i + 2));
			assert_string_equal(h->serial, want);
			cert_holder_free(&h);
			assert_null(h);
		} else {
			assert_null(h);
			assert_non_null(strstr(err, cases[i].reason));
		}
		gnutls_free(pem.data);
		gnutls_x509_crt_deinit(crt);
	}
}

/* A DER chain as a TLS session hands it over. */
static void test_der(void **state)
{
	gnutls_x509_crt_t crt =
		new_crt("C=TW,CN=王小明,serialNumber=6783", 0, 99);
	gnutls_datum_t der = {NULL, 0};
	const unsigned char *ders[1];
	size_t lens[1];
	struct cert_holder *h = NULL;
	const char *err = NULL;

	(void)state;
	assert_int_equal(
		gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der), 0);
	ders[0] = der.data;
	lens[0] = der.size;
	assert_int_equal(cert_check_der(trust, ders, lens, 1, &h, &err), 0);
	assert_string_equal(h->name, "王小明");
	cert_holder_free(&h);
	assert_int_equal(cert_check_der(trust, ders, lens, 0, &h, &err),
			 KCG_EINVAL);
	assert_non_null(strstr(err, "no certificate"));
	lens[0] = der.size / 2;
	assert_int_equal(cert_check_der(trust, ders, lens, 1, &h, &err),
			 KCG_EINVAL);
	assert_null(h);
	gnutls_free(der.data);
	gnutls_x509_crt_deinit(crt);
}

static void test_not_pem(void **state)
{
	static const char *const inputs[] = {
		"",
		"hello",
		"-----BEGIN CERTIFICATE-----\nAAAA\n-----END "
		"CERTIFICATE-----\n",
	};
	struct cert_holder *h = NULL;
	const char *err = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		assert_int_equal(cert_check_pem(trust, inputs[i],
						strlen(inputs[i]), &h, &err),
				 KCG_EINVAL);
		assert_null(h);
	}
}

/* The trust files: both required, readable, and the CRL not foreign. */
static void test_trust_refusals(void **state)
{
	struct cert_trust *t = NULL;
	const char *err = NULL;

	(void)state;
	assert_int_equal(cert_trust_open(ca_path, NULL, &t, &err), KCG_EINVAL);
	assert_non_null(strstr(err, "both required"));
	assert_int_equal(cert_trust_open(NULL, crl_path, &t, &err), KCG_EINVAL);
	assert_int_equal(
		cert_trust_open("/nonexistent/ca.pem", crl_path, &t, &err),
		KCG_EINVAL);
	assert_non_null(strstr(err, "/nonexistent/ca.pem"));
	assert_int_equal(cert_trust_open(empty_path, crl_path, &t, &err),
			 KCG_EINVAL);
	assert_non_null(strstr(err, "no CA certificate"));
	assert_int_equal(
		cert_trust_open(ca_path, "/nonexistent/ca.crl", &t, &err),
		KCG_EINVAL);
	assert_non_null(strstr(err, "cannot read"));
	assert_int_equal(cert_trust_open(ca_path, ca_path, &t, &err),
			 KCG_EINVAL);
	assert_non_null(strstr(err, "not a CRL"));
	assert_null(t);
}

/* serve_once - a listener on 127.0.0.1 whose child reads one whole request
 * and answers REPLY; the port in *port_r, the child's pid returned. With
 * REPLY NULL, nobody listens on *port_r and 0 is returned. */
static pid_t serve_once(const char *reply, int *port_r)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	char buf[4096], *hend, *cl;
	size_t got = 0;
	ssize_t k;
	pid_t pid;
	int l, c;

	l = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(l >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&sa, &len), 0);
	*port_r = ntohs(sa.sin_port);
	if (reply == NULL) {
		close(l);
		return 0;
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		c = accept(l, NULL, NULL);
		while (c >= 0 && got < sizeof(buf) - 1 &&
		       (k = read(c, buf + got, sizeof(buf) - 1 - got)) > 0) {
			got += (size_t)k;
			buf[got] = '\0';
			hend = strstr(buf, "\r\n\r\n");
			cl = strstr(buf, "Content-Length: ");
			if (hend != NULL && cl != NULL &&
			    got >= (size_t)(hend + 4 - buf) +
					    strtoul(cl + 16, NULL, 10))
				break;
		}
		if (c >= 0) {
			(void)!write(c, reply, strlen(reply));
			close(c);
		}
		_exit(0);
	}
	close(l);
	return pid;
}

/* OCSP: the URL forms, and what fails closed without a real responder. */
static void test_ocsp(void **state)
{
	static const char *const bad[] = {
		"https://ocsp.example/",
		"ftp://ocsp.example/",
		"http://",
		"http:///path",
		"http://host:/",
		"http://host:99999/",
		"http://host:8x/",
		"http://user@host/",
		"http://ho st/",
		"http://[::1/",
		"http://[::1]x/",
		"http://host/a b",
	};
	static const char *const good[] = {
		"http://ocsp.moica.nat.gov.tw/OCSP",
		"http://127.0.0.1:8888",
		"http://[::1]:8080/x",
		"",
	};
	static const struct {
		const char *reply, *reason;
	} replies[] = {
		{"HTTP/1.0 500 Oops\r\nContent-Length: 0\r\n\r\n",
		 "did not answer properly"},
		{"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello",
		 "malformed"},
		{"HTTP/1.0 200 OK\r\nContent-Length: 50\r\n\r\nshort",
		 "did not answer properly"},
		{"garbage", "did not answer properly"},
		{"HTTP/1.0 200 OK\r\nContent-Length: 5\r\nContent-Length: "
		 "4\r\n\r\nhello",
		 "did not answer properly"},
	};
	struct cert_trust *t = NULL;
	struct cert_holder *h = NULL;
	gnutls_x509_crt_t crt;
	gnutls_datum_t pem;
	const char *err = NULL;
	char url[64];
	size_t i;
	pid_t pid;
	int port, st;

	(void)state;
	assert_int_equal(cert_trust_open(ca_path, crl_path, &t, &err), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (cert_trust_set_ocsp(t, bad[i], 10, &err) != KCG_EINVAL)
			fail_msg("accepted %s", bad[i]);
		assert_non_null(strstr(err, "cert.ocsp_url"));
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (cert_trust_set_ocsp(t, good[i], 10, &err) != 0)
			fail_msg("refused %s: %s", good[i], err);
	assert_int_equal(cert_trust_set_ocsp(t, "http://h/", 0, &err),
			 KCG_EINVAL);
	crt = new_crt("C=TW,CN=王小明,serialNumber=6783", 0, 77);
	pem = pem_of(crt);
	/* off ("" above): the CRL alone decides */
	assert_int_equal(
		cert_check_pem(t, (const char *)pem.data, pem.size, &h, &err),
		0);
	cert_holder_free(&h);
	/* nobody listening: refused */
	(void)serve_once(NULL, &port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	assert_int_equal(cert_trust_set_ocsp(t, url, 5, &err), 0);
	assert_int_equal(
		cert_check_pem(t, (const char *)pem.data, pem.size, &h, &err),
		KCG_EINVAL);
	assert_null(h);
	assert_non_null(strstr(err, "cannot reach the OCSP responder"));
	for (i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
		pid = serve_once(replies[i].reply, &port);
		snprintf(url, sizeof(url), "http://127.0.0.1:%d/ocsp", port);
		assert_int_equal(cert_trust_set_ocsp(t, url, 5, &err), 0);
		err = NULL;
		assert_int_equal(cert_check_pem(t, (const char *)pem.data,
						pem.size, &h, &err),
				 KCG_EINVAL);
		assert_null(h);
		if (strstr(err, replies[i].reason) == NULL)
			fail_msg("%zu: %s", i, err);
		assert_int_equal(waitpid(pid, &st, 0), pid);
	}
	gnutls_free(pem.data);
	gnutls_x509_crt_deinit(crt);
	cert_trust_free(&t);
}

static void test_id_matches(void **state)
{
	static const struct {
		const char *tail, *natid;
		int match;
	} cases[] = {
		{"6783", "E123456783", 1}, {"6783", "E223456783", 1},
		{"6783", "E123456784", 0}, {"6712", "E123456783", 0},
		{"6783", "E12345678", 0},  {"6783", "", 0},
		{"6783", NULL, 0},
	};
	struct cert_holder h;
	size_t i;

	(void)state;
	memset(&h, 0, sizeof(h));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(h.id_tail, cases[i].tail, CERT_ID_TAIL_LEN + 1);
		assert_int_equal(cert_holder_id_matches(&h, cases[i].natid),
				 cases[i].match);
	}
}

/* The method table: ids, the receipt's labels, what is on. */
static void test_methods(void **state)
{
	static const struct {
		const char *id, *label;
		int without_trust, with_trust;
	} cases[] = {
		{VMETHOD_PERSONAL_DATA, "個人資料驗證", 1, 1},
		{VMETHOD_CITIZEN_CERT, "自然人憑證驗證", 0, 1},
		{VMETHOD_MOBILE_CERT, "行動自然人憑證驗證", 0, 0},
	};
	struct vmethod_ctx off = {NULL, NULL, NULL}, on = {NULL, NULL, trust};
	struct vmethod_input in;
	struct account_hr *hr = NULL;
	const struct vmethod *m;
	const char *err = NULL;
	size_t i;

	(void)state;
	memset(&in, 0, sizeof(in));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		m = vmethod_find(cases[i].id);
		assert_non_null(m);
		assert_string_equal(m->id, cases[i].id);
		assert_string_equal(vmethod_label(cases[i].id), cases[i].label);
		assert_int_equal(vmethod_available(m, &off),
				 cases[i].without_trust);
		assert_int_equal(vmethod_available(m, &on),
				 cases[i].with_trust);
		if (!cases[i].with_trust) {
			assert_int_equal(vmethod_verify(m, &on, &in, &hr, &err),
					 KCG_EPOLICY);
			assert_non_null(strstr(err, cases[i].label));
			assert_null(hr);
		}
	}
	assert_int_equal(vmethod_verify(vmethod_find(VMETHOD_CITIZEN_CERT),
					&off, &in, &hr, &err),
			 KCG_EPOLICY);
	assert_null(vmethod_find("password"));
	assert_null(vmethod_find(NULL));
	assert_string_equal(vmethod_label("something-else"), "something-else");
	assert_string_equal(vmethod_label(NULL), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subjects),
		cmocka_unit_test(test_der),
		cmocka_unit_test(test_not_pem),
		cmocka_unit_test(test_trust_refusals),
		cmocka_unit_test(test_ocsp),
		cmocka_unit_test(test_id_matches),
		cmocka_unit_test(test_methods),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
