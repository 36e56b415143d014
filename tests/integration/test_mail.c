/*
 * test_mail - outgoing mail end to end against real servers: Postfix's
 * smtp-sink (delivery, faults, a crash of the mailer mid-drain), OpenSSL's
 * s_server (SMTPS certificate checks) and a small GnuTLS server started
 * here for STARTTLS. Messages are composed and queued with the library,
 * sent by the built kcgidm-mailer and `kcgidm mail flush`, inspected with
 * `kcgidm mail queue`, and what smtp-sink wrote is decoded with libetpan's
 * parser.
 *
 * Exits 77 (skip) only when smtp-sink is not installed; the TLS cases are
 * skipped when openssl is missing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <libetpan/libetpan.h>

#include "harness.h"
#include "kcg.h"
#include "mailmsg.h"
#include "spool.h"

#define SINK	  "/usr/sbin/smtp-sink"
#define OPENSSL	  "/usr/bin/openssl"
#define SEED_FROM "高雄市政府人事處人事服務網 <KPDFForum@kcg.gov.tw>"
#define SEED_NAME "高雄市政府人事處人事服務網"
#define SEED_SUBJ "高雄市政府人事處iKPD人事服務網帳號開通通知"
#define N_KILL	  200
#define CRED_USER "kcgidm-mailer"
#define CRED_PASS "s3cret pass"
/* base64("\0kcgidm-mailer\0s3cret pass") */
#define CRED_B64 "AGtjZ2lkbS1tYWlsZXIAczNjcmV0IHBhc3M="

static char top[64]; /* the test's folder */
static char sink_dir[128];
static char conf[160]; /* the current case's kcgidm.conf */
static char spool_dir[160];
static int have_tls; /* openssl made the test certificates */
static int case_no;
static pid_t sink_pid = -1;
static int sink_port;
static pid_t tls_pid = -1; /* openssl s_server, when running */

/* env_or - getenv with a default. */
static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : def;
}

/* path_in - TOP/NAME in a static rotating buffer. */
static const char *path_in(const char *name)
{
	static char buf[4][256];
	static int i;
	char *p = buf[i++ % 4];

	snprintf(p, 256, "%s/%s", top, name);
	return p;
}

/* listening - true when something listens on 127.0.0.1:PORT (read from
 * /proc, so that no probe connection is used up). */
static int listening(int port)
{
	char line[512], want[32];
	FILE *fp = fopen("/proc/net/tcp", "r");
	int found = 0;

	if (fp == NULL)
		return 0;
	snprintf(want, sizeof(want), "0100007F:%04X", port);
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strstr(line, want) != NULL && strstr(line, " 0A ") != NULL)
			found = 1;
	fclose(fp);
	return found;
}

/* wait_listen - poll until PORT listens; fail if PID died or 10 s pass. */
static void wait_listen(int port, pid_t pid)
{
	int i, ws;

	for (i = 0; i < 500; i++) {
		if (listening(port))
			return;
		if (pid > 0 && waitpid(pid, &ws, WNOHANG) == pid)
			fail_msg("server (pid %d) exited before listening",
				 (int)pid);
		usleep(20000);
	}
	fail_msg("nothing listens on port %d", port);
}

/* spawn - start ARGV with stdin/stdout/stderr from IN/OUT/ERR (-1:
 * /dev/null); its pid. */
static pid_t spawn(char *const *argv, int in, int out, int err)
{
	pid_t pid = fork();
	int null;

	assert_true(pid >= 0);
	if (pid == 0) {
		null = open("/dev/null", O_RDWR);
		dup2(in >= 0 ? in : null, 0);
		dup2(out >= 0 ? out : null, 1);
		dup2(err >= 0 ? err : null, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* stop - SIGTERM PID and reap it. */
static void stop(pid_t pid)
{
	int ws;

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	waitpid(pid, &ws, 0);
}

/* clear_sink - remove every dump. */
static void clear_sink(void)
{
	DIR *d = opendir(sink_dir);
	struct dirent *de;
	char p[512];

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", sink_dir, de->d_name);
		unlink(p);
	}
	closedir(d);
}

/* sink_start - smtp-sink on a fresh port with extra options OPTS
 * (NULL-terminated, may be NULL), writing one file per message;
 * with LOG, its -v conversation goes to that file. */
static void sink_start(const char *const *opts, const char *log)
{
	char tmpl[200], addr[64];
	char *argv[32];
	int n = 0, logfd = -1;

	stop(sink_pid); /* a failed test may have left one running */
	sink_pid = -1;
	if (sink_port == 0)
		sink_port = harness_free_port();
	snprintf(tmpl, sizeof(tmpl), "%s/%%Y%%m%%d%%H%%M%%S.", sink_dir);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", sink_port);
	argv[n++] = SINK;
	if (geteuid() == 0) {
		argv[n++] = "-u";
		argv[n++] = "nobody";
	}
	if (log != NULL) {
		argv[n++] = "-v";
		logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		assert_true(logfd >= 0);
	}
	while (opts != NULL && *opts != NULL)
		argv[n++] = (char *)*opts++;
	argv[n++] = "-d";
	argv[n++] = tmpl;
	argv[n++] = addr;
	argv[n++] = "10";
	argv[n] = NULL;
	sink_pid = spawn(argv, -1, logfd, logfd);
	if (logfd >= 0)
		close(logfd);
	wait_listen(sink_port, sink_pid);
}

/* sink_stop - stop smtp-sink (its dumps stay). */
static void sink_stop(void)
{
	stop(sink_pid);
	sink_pid = -1;
}

/* new_case - a fresh spool and a kcgidm.conf for URI with the extra
 * smtp settings EXTRA ("" for none). */
static void new_case(const char *uri, const char *extra)
{
	FILE *fp;

	case_no++;
	snprintf(spool_dir, sizeof(spool_dir), "%s/spool%d", top, case_no);
	snprintf(conf, sizeof(conf), "%s/kcgidm%d.conf", top, case_no);
	fp = fopen(conf, "w");
	assert_non_null(fp);
	fprintf(fp,
		"smtp = { uri = \"%s\"; timeout = 5; "
		"helo = \"mailer.test.kcg.gov.tw\"; %s };\n"
		"spool = { dir = \"%s\"; retry_min = 1; retry_max = 2; "
		"max_age = 3600; };\n",
		uri, extra, spool_dir);
	fclose(fp);
}

/* sink_case - new_case for the running smtp-sink. */
static void sink_case(const char *extra)
{
	char uri[64];

	snprintf(uri, sizeof(uri), "smtp://127.0.0.1:%d", sink_port);
	new_case(uri, extra);
	clear_sink();
}

/* enqueue - compose and queue a message; its id (caller frees). */
static char *enqueue(const char *from, const char *to, const char *subject,
		     const char *body)
{
	struct mailmsg_spec spec = {from, to, subject, body};
	struct spool *sp = NULL;
	char *msg = NULL, *ef = NULL, *et = NULL, *id = NULL;
	const char *err = NULL;
	size_t len = 0;

	if (mailmsg_compose(&spec, &msg, &len, &ef, &et, &err) != 0)
		fail_msg("compose: %s", err);
	if (spool_open(spool_dir, &sp, &err) != 0 ||
	    spool_enqueue(sp, ef, et, msg, len, &id, &err) != 0)
		fail_msg("spool: %s", err);
	spool_free(&sp);
	free(msg);
	free(ef);
	free(et);
	return id;
}

/* run_prog - run the built PROG (kcgidm or kcgidm-mailer) with
 * "-c CONF" and the NULL-terminated arguments; the exit status. */
static int run_prog(struct run *r, const char *prog, ...)
{
	char bin[512];
	char *argv[32];
	const char *a;
	va_list ap;
	int n = 0;

	snprintf(bin, sizeof(bin), "%s/src/%s", env_or("KCG_TOP_BUILDDIR", "."),
		 prog);
	if (getenv("KCG_VALGRIND_CLI") != NULL) {
		argv[n++] = "/usr/bin/valgrind";
		argv[n++] = "-q";
		argv[n++] = "--error-exitcode=99";
		argv[n++] = "--leak-check=full";
		argv[n++] = "--errors-for-leak-kinds=definite,indirect";
	}
	argv[n++] = bin;
	argv[n++] = "-c";
	argv[n++] = conf;
	va_start(ap, prog);
	while ((a = va_arg(ap, const char *)) != NULL && n < 31)
		argv[n++] = (char *)a;
	va_end(ap);
	argv[n] = NULL;
	harness_run(r, NULL, argv);
	return r->status;
}

#define KCGIDM "kcgidm/kcgidm"
#define MAILER "mailer/kcgidm-mailer"

/* flush - `kcgidm mail flush`; its exit status. */
static int flush(void)
{
	struct run r;
	int st = run_prog(&r, KCGIDM, "mail", "flush", NULL);

	if (st != 0 && st != 7)
		fail_msg("mail flush: %d\n%s%s", st, r.out, r.err);
	harness_run_free(&r);
	return st;
}

/* mailer_once - `kcgidm-mailer --once --foreground`; its exit status. */
static int mailer_once(void)
{
	struct run r;
	int st = run_prog(&r, MAILER, "--once", "--foreground", NULL);

	if (st != 0 && st != 7)
		fail_msg("kcgidm-mailer --once: %d\n%s%s", st, r.out, r.err);
	harness_run_free(&r);
	return st;
}

/* queue_json - `kcgidm --json mail queue`, parsed (caller decrefs). */
static json_t *queue_json(void)
{
	struct run r;
	json_error_t jerr;
	json_t *j;

	assert_int_equal(run_prog(&r, KCGIDM, "--json", "mail", "queue", NULL),
			 0);
	j = json_loads(r.out, 0, &jerr);
	if (j == NULL)
		fail_msg("not JSON: %s", r.out);
	harness_run_free(&r);
	return j;
}

/* queued_entry - the listing's entry for ID in J (borrowed), or NULL. */
static json_t *queued_entry(json_t *j, const char *id)
{
	json_t *m;
	size_t i;

	json_array_foreach(json_object_get(j, "messages"), i, m)
	{
		if (strcmp(json_string_value(json_object_get(m, "id")), id) ==
		    0)
			return m;
	}
	return NULL;
}

/* A dump that smtp-sink wrote, decoded by libetpan. */
struct dump {
	char *from_name, *from_addr, *to_addr, *subject;
	char *body; /* decoded, NUL-terminated */
	size_t body_len;
};

static void dump_free(struct dump *d)
{
	free(d->from_name);
	free(d->from_addr);
	free(d->to_addr);
	free(d->subject);
	free(d->body);
	memset(d, 0, sizeof(*d));
}

/* decode_phrase - RFC 2047 decoding by libetpan (caller frees). */
static char *decode_phrase(const char *s)
{
	size_t indx = 0;
	char *out = NULL;

	if (mailmime_encoded_phrase_parse("us-ascii", s, strlen(s), &indx,
					  "utf-8", &out) != MAILIMF_NO_ERROR)
		return NULL;
	return out;
}

/* read_dump - parse the file PATH; 0, or -1 when it is not a whole
 * message. */
static int read_dump(const char *path, struct dump *d)
{
	struct mailmime *mime = NULL, *part;
	struct mailmime_data *data;
	clistiter *it;
	char *raw = NULL, *crlf = NULL, *dec = NULL, *p;
	size_t len = 0, indx = 0, n = 0, dlen = 0;
	FILE *fp = fopen(path, "r");
	int c, r = -1;

	memset(d, 0, sizeof(*d));
	if (fp == NULL)
		return -1;
	raw = malloc(1 << 20);
	while ((c = fgetc(fp)) != EOF && len < (1 << 20) - 1)
		raw[len++] = (char)c;
	fclose(fp);
	crlf = malloc(2 * len + 1);
	for (p = raw; p < raw + len; p++) {
		if (*p == '\n' && (p == raw || p[-1] != '\r'))
			crlf[n++] = '\r';
		crlf[n++] = *p;
	}
	if (mailmime_parse(crlf, n, &indx, &mime) != MAILIMF_NO_ERROR ||
	    mime->mm_type != MAILMIME_MESSAGE)
		goto out;
	for (it = clist_begin(mime->mm_data.mm_message.mm_fields->fld_list);
	     it != NULL; it = clist_next(it)) {
		struct mailimf_field *f = clist_content(it);
		struct mailimf_mailbox *mb;

		if (f->fld_type == MAILIMF_FIELD_FROM) {
			mb = clist_content(clist_begin(
				f->fld_data.fld_from->frm_mb_list->mb_list));
			d->from_addr = strdup(mb->mb_addr_spec);
			if (mb->mb_display_name != NULL)
				d->from_name =
					decode_phrase(mb->mb_display_name);
		} else if (f->fld_type == MAILIMF_FIELD_TO) {
			struct mailimf_address *a = clist_content(clist_begin(
				f->fld_data.fld_to->to_addr_list->ad_list));

			d->to_addr =
				strdup(a->ad_data.ad_mailbox->mb_addr_spec);
		} else if (f->fld_type == MAILIMF_FIELD_SUBJECT) {
			d->subject = decode_phrase(
				f->fld_data.fld_subject->sbj_value);
		}
	}
	part = mime->mm_data.mm_message.mm_msg_mime;
	if (part == NULL || part->mm_type != MAILMIME_SINGLE)
		goto out;
	data = part->mm_data.mm_single;
	indx = 0;
	if (mailmime_part_parse(data->dt_data.dt_text.dt_data,
				data->dt_data.dt_text.dt_length, &indx,
				data->dt_encoding, &dec,
				&dlen) != MAILIMF_NO_ERROR)
		goto out;
	d->body = malloc(dlen + 1);
	memcpy(d->body, dec, dlen);
	d->body[dlen] = '\0';
	d->body_len = dlen;
	mmap_string_unref(dec);
	r = 0;
out:
	if (mime != NULL)
		mailmime_free(mime);
	free(raw);
	free(crlf);
	if (r < 0)
		dump_free(d);
	return r;
}

/* sink_names - the dump files, sorted (caller frees each and the array);
 * their number in *n_r. */
static char **sink_names(size_t *n_r)
{
	DIR *d = opendir(sink_dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		names[n] = malloc(strlen(sink_dir) + strlen(de->d_name) + 2);
		sprintf(names[n], "%s/%s", sink_dir, de->d_name);
		n++;
	}
	closedir(d);
	*n_r = n;
	return names;
}

/* sink_count - how many dumps there are. */
static size_t sink_count(void)
{
	size_t n = 0, i;
	char **names = sink_names(&n);

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return n;
}

/* count_subject - how many dumps are whole messages with SUBJECT. */
static int count_subject(const char *subject)
{
	size_t n = 0, i;
	char **names = sink_names(&n);
	struct dump d;
	int count = 0;

	for (i = 0; i < n; i++) {
		if (read_dump(names[i], &d) == 0) {
			if (d.subject != NULL &&
			    strcmp(d.subject, subject) == 0)
				count++;
			dump_free(&d);
		}
		free(names[i]);
	}
	free(names);
	return count;
}

/* crlf_text - TEXT with LF made CRLF (new memory). */
static char *crlf_text(const char *text)
{
	char *out = malloc(2 * strlen(text) + 1), *p = out;

	for (; *text != '\0'; text++) {
		if (*text == '\n')
			*p++ = '\r';
		*p++ = *text;
	}
	*p = '\0';
	return out;
}

/* openssl - run openssl in TOP with the NULL-terminated arguments. */
static int openssl(const char *first, ...)
{
	char *argv[40];
	const char *a;
	va_list ap;
	struct run r;
	int n = 0;

	argv[n++] = OPENSSL;
	argv[n++] = (char *)first;
	va_start(ap, first);
	while ((a = va_arg(ap, const char *)) != NULL && n < 39)
		argv[n++] = (char *)a;
	va_end(ap);
	argv[n] = NULL;
	harness_run(&r, NULL, argv);
	if (r.status != 0)
		fprintf(stderr, "openssl %s: %s%s", first, r.out, r.err);
	harness_run_free(&r);
	return r.status;
}

/* make_cert - a P-256 key NAME.key and a certificate NAME.pem signed by
 * the test CA, with the subjectAltName SAN. */
static int make_cert(const char *name, const char *san)
{
	char key[256], csr[256], pem[256], ext[256];
	FILE *fp;

	snprintf(key, sizeof(key), "%s/%s.key", top, name);
	snprintf(csr, sizeof(csr), "%s/%s.csr", top, name);
	snprintf(pem, sizeof(pem), "%s/%s.pem", top, name);
	snprintf(ext, sizeof(ext), "%s/%s.ext", top, name);
	fp = fopen(ext, "w");
	if (fp == NULL)
		return -1;
	fprintf(fp,
		"subjectAltName=%s\nextendedKeyUsage=serverAuth\n"
		"basicConstraints=CA:FALSE\n",
		san);
	fclose(fp);
	if (openssl("req", "-newkey", "ec", "-pkeyopt",
		    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out",
		    csr, "-subj", "/CN=kcgidm test server", NULL) != 0)
		return -1;
	return openssl("x509", "-req", "-in", csr, "-CA", path_in("ca.pem"),
		       "-CAkey", path_in("ca.key"), "-CAcreateserial", "-out",
		       pem, "-days", "2", "-extfile", ext, NULL);
}

/* make_certs - the test CA; "srv" for 127.0.0.1, "other" for another
 * name, both from the CA; "self", self-signed for 127.0.0.1. */
static int make_certs(void)
{
	if (access(OPENSSL, X_OK) != 0)
		return -1;
	if (openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
		    "ec_paramgen_curve:P-256", "-nodes", "-keyout",
		    path_in("ca.key"), "-out", path_in("ca.pem"), "-days", "2",
		    "-subj", "/CN=kcgidm test CA", "-addext",
		    "basicConstraints=critical,CA:TRUE", "-addext",
		    "keyUsage=critical,keyCertSign", NULL) != 0)
		return -1;
	if (make_cert("srv", "IP:127.0.0.1,DNS:localhost") != 0 ||
	    make_cert("other", "DNS:mail.example.org") != 0)
		return -1;
	return openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
		       "ec_paramgen_curve:P-256", "-nodes", "-keyout",
		       path_in("self.key"), "-out", path_in("self.pem"),
		       "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
		       "subjectAltName=IP:127.0.0.1", NULL);
}

static int group_setup(void **state)
{
	struct passwd *pw;

	if (access(SINK, X_OK) != 0) {
		fprintf(stderr, "SKIP: %s is not installed\n", SINK);
		exit(77);
	}
	snprintf(top, sizeof(top), "/tmp/kcgidm-mail.XXXXXX");
	if (mkdtemp(top) == NULL)
		return -1;
	chmod(top, 0755); /* smtp-sink runs as nobody */
	snprintf(sink_dir, sizeof(sink_dir), "%s/sink", top);
	if (mkdir(sink_dir, 0755) < 0)
		return -1;
	if (geteuid() == 0 && (pw = getpwnam("nobody")) != NULL &&
	    chown(sink_dir, pw->pw_uid, pw->pw_gid) < 0)
		return -1;
	have_tls = make_certs() == 0;
	/* the file with the SMTP credentials (mode 0600) */
	{
		FILE *fp = fopen(path_in("smtp.secret"), "w");

		if (fp == NULL)
			return -1;
		fchmod(fileno(fp), 0600);
		fputs(CRED_USER "\n" CRED_PASS "\n", fp);
		fclose(fp);
	}
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int group_teardown(void **state)
{
	char *argv[] = {"/bin/rm", "-rf", top, NULL};
	struct run r;

	sink_stop();
	stop(tls_pid);
	if (top[0] != '\0' && getenv("KCG_KEEP_SANDBOX") == NULL) {
		harness_run(&r, NULL, argv);
		harness_run_free(&r);
	}
	return 0;
}

/* ---- the seed's activation mail, decoded ----------------------------- */

static void test_delivers_utf8(void **state)
{
	static const char body[] =
		"王小明 您好：\n\n"
		"您的 iKPD 人事服務網帳號已通過審核，請於 48 小時內點選下列"
		"連結開通：\n"
		"https://ikpd.kcg.gov.tw/ikpd/activate?token=Zx9-_Qw\n"
		".\n"
		"..\n"
		"高雄市政府人事處 敬上\n";
	const char *const opts[] = {NULL};
	struct dump d;
	char **names, *want, *id;
	size_t n = 0, i;
	json_t *j;

	sink_start(opts, NULL);
	sink_case("");
	id = enqueue(SEED_FROM, "王小明 <Wang.XM@KCG.gov.tw>", SEED_SUBJ, body);
	assert_int_equal(mailer_once(), 0);
	names = sink_names(&n);
	assert_int_equal(n, 1);
	assert_int_equal(read_dump(names[0], &d), 0);
	assert_string_equal(d.from_name, SEED_NAME);
	assert_string_equal(d.from_addr, "KPDFForum@kcg.gov.tw");
	assert_string_equal(d.to_addr, "Wang.XM@kcg.gov.tw");
	assert_string_equal(d.subject, SEED_SUBJ);
	want = crlf_text(body);
	assert_string_equal(d.body, want);
	free(want);
	dump_free(&d);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	/* gone from the queue */
	j = queue_json();
	assert_int_equal(json_integer_value(json_object_get(j, "queued")), 0);
	assert_null(queued_entry(j, id));
	json_decref(j);
	free(id);
	sink_stop();
}

/* ---- header injection is refused when composing ---------------------- */

static void test_injection_refused(void **state)
{
	static const struct mailmsg_spec bad[] = {
		{"Evil\r\nBcc: all@kcg.gov.tw <a@kcg.gov.tw>", "b@kcg.gov.tw",
		 "s", "x"},
		{SEED_FROM, "b@kcg.gov.tw", SEED_SUBJ "\r\nBcc: all@kcg.gov.tw",
		 "x"},
		{SEED_FROM, "b@kcg.gov.tw", "s\nX-Injected: yes", "x"},
		{SEED_FROM, "b@kcg.gov.tw\r\nBcc: all@kcg.gov.tw", "s", "x"},
		{SEED_FROM, "Name <b@kcg.gov.tw>\nBcc: all@kcg.gov.tw", "s",
		 "x"},
		{"高雄市\n政府 <KPDFForum@kcg.gov.tw>", "b@kcg.gov.tw", "s",
		 "x"},
	};
	struct spool *sp = NULL;
	char *msg = NULL, *ef = NULL, *et = NULL, *id = NULL;
	const char *err = NULL;
	size_t len = 0, i;

	for (i = 0; i < KCG_N_ELEMENTS(bad); i++) {
		assert_int_equal(
			mailmsg_compose(&bad[i], &msg, &len, &ef, &et, &err),
			KCG_EINVAL);
		assert_null(msg);
	}
	/* nor can a caller that skips mailmsg put CR/LF in the envelope */
	new_case("smtp://127.0.0.1:1", "");
	assert_int_equal(spool_open(spool_dir, &sp, &err), 0);
	assert_int_equal(spool_enqueue(sp, "a@kcg.gov.tw",
				       "b@kcg.gov.tw>\r\nRCPT TO:<c@x.org",
				       "x\r\n", 3, &id, &err),
			 KCG_EINVAL);
	spool_free(&sp);
}

/* ---- the server is down, then back ----------------------------------- */

static void test_smtp_down_then_back(void **state)
{
	const char *const opts[] = {NULL};
	char subj[3][32], *ids[3];
	json_t *j, *m;
	size_t i;

	sink_port = harness_free_port(); /* nothing listens there yet */
	sink_case("");
	for (i = 0; i < 3; i++) {
		snprintf(subj[i], sizeof(subj[i]), "down-%zu", i);
		ids[i] = enqueue(SEED_FROM, "abc@kcg.gov.tw", subj[i], "x\n");
	}
	assert_int_equal(mailer_once(), 7);
	assert_int_equal(flush(), 7);
	j = queue_json();
	assert_int_equal(json_integer_value(json_object_get(j, "queued")), 3);
	for (i = 0; i < 3; i++) {
		m = queued_entry(j, ids[i]);
		assert_non_null(m);
		assert_int_equal(
			json_integer_value(json_object_get(m, "attempts")), 2);
		assert_false(json_is_true(json_object_get(m, "dead")));
		assert_non_null(strstr(
			json_string_value(json_object_get(m, "last_error")),
			"Connection refused"));
	}
	json_decref(j);

	sink_start(opts, NULL);
	assert_int_equal(flush(), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(count_subject(subj[i]), 1);
	/* nothing is sent twice by a later run */
	assert_int_equal(mailer_once(), 0);
	assert_int_equal(flush(), 0);
	assert_int_equal(sink_count(), 3);
	j = queue_json();
	assert_int_equal(json_integer_value(json_object_get(j, "queued")), 0);
	json_decref(j);
	for (i = 0; i < 3; i++)
		free(ids[i]);
	sink_stop();
}

/* ---- 4xx: retried later ---------------------------------------------- */

static void test_4xx_retried(void **state)
{
	const char *const soft[] = {"-r", "RCPT", NULL};
	const char *const none[] = {NULL};
	json_t *j, *m;
	char *id;

	sink_start(soft, NULL);
	sink_case("");
	id = enqueue(SEED_FROM, "abc@kcg.gov.tw", "soft-1", "x\n");
	assert_int_equal(flush(), 7);
	assert_int_equal(flush(), 7);
	j = queue_json();
	m = queued_entry(j, id);
	assert_non_null(m);
	assert_int_equal(json_integer_value(json_object_get(m, "attempts")), 2);
	assert_false(json_is_true(json_object_get(m, "dead")));
	assert_true(json_integer_value(json_object_get(m, "next_try")) > 0);
	assert_non_null(
		strstr(json_string_value(json_object_get(m, "last_error")),
		       "RCPT TO: 450"));
	json_decref(j);
	assert_int_equal(sink_count(), 0);
	sink_stop();

	sink_start(none, NULL);
	assert_int_equal(flush(), 0);
	assert_int_equal(count_subject("soft-1"), 1);
	assert_int_equal(sink_count(), 1);
	free(id);
	sink_stop();
}

/* ---- 5xx: dead, with the reason shown -------------------------------- */

static void test_5xx_dead(void **state)
{
	const char *const rcpt[] = {"-f", "RCPT", NULL};
	const char *const dot[] = {"-f", ".", NULL};
	struct run r;
	size_t before;
	char *a, *b;
	json_t *j, *m;

	sink_start(rcpt, NULL);
	sink_case("");
	a = enqueue(SEED_FROM, "nosuch@kcg.gov.tw", "hard-rcpt", "x\n");
	assert_int_equal(flush(), 7);
	sink_stop();
	sink_start(dot, NULL);
	b = enqueue(SEED_FROM, "abc@kcg.gov.tw", "hard-data", "x\n");
	assert_int_equal(mailer_once(), 7);
	sink_stop();

	j = queue_json();
	assert_int_equal(json_integer_value(json_object_get(j, "dead")), 2);
	assert_int_equal(json_integer_value(json_object_get(j, "queued")), 0);
	m = queued_entry(j, a);
	assert_true(json_is_true(json_object_get(m, "dead")));
	assert_non_null(
		strstr(json_string_value(json_object_get(m, "last_error")),
		       "RCPT TO: 500 5.3.0"));
	m = queued_entry(j, b);
	assert_true(json_is_true(json_object_get(m, "dead")));
	assert_non_null(
		strstr(json_string_value(json_object_get(m, "last_error")),
		       "end of DATA: 500"));
	json_decref(j);
	/* and for people */
	assert_int_equal(run_prog(&r, KCGIDM, "mail", "queue", NULL), 0);
	assert_non_null(strstr(r.out, a));
	assert_non_null(strstr(r.out, "DEAD"));
	assert_non_null(strstr(r.out, "reason: RCPT TO: 500 5.3.0"));
	assert_non_null(strstr(r.out, "reason: end of DATA: 500"));
	harness_run_free(&r);
	/* dead mail is never retried (smtp-sink keeps a dump even of what
	 * it refused, so count what is there first) */
	before = sink_count();
	sink_start(NULL, NULL);
	assert_int_equal(flush(), 0);
	assert_int_equal(sink_count(), before);
	free(a);
	free(b);
	sink_stop();
}

/* ---- AUTH PLAIN and the EHLO name, as smtp-sink saw them ------------- */

static void test_auth_plain(void **state)
{
	char extra[300], log[256], *text;
	FILE *fp;
	long len;

	snprintf(log, sizeof(log), "%s", path_in("sink-v.log"));
	sink_start(NULL, log);
	snprintf(extra, sizeof(extra), "credentials_file = \"%s\";",
		 path_in("smtp.secret"));
	sink_case(extra);
	free(enqueue(SEED_FROM, "abc@kcg.gov.tw", "auth-1", "x\n"));
	assert_int_equal(flush(), 0);
	sink_stop();
	assert_int_equal(count_subject("auth-1"), 1);
	fp = fopen(log, "r");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	text = calloc(1, (size_t)len + 1);
	assert_int_equal(fread(text, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	assert_non_null(strstr(text, "EHLO mailer.test.kcg.gov.tw"));
	assert_non_null(strstr(text, "AUTH PLAIN " CRED_B64));
	free(text);

	/* a credentials file others can read is refused */
	chmod(path_in("smtp.secret"), 0644);
	sink_start(NULL, NULL);
	free(enqueue(SEED_FROM, "abc@kcg.gov.tw", "auth-2", "x\n"));
	assert_int_equal(flush(), 7);
	assert_int_equal(count_subject("auth-2"), 0);
	chmod(path_in("smtp.secret"), 0600);
	assert_int_equal(flush(), 0);
	assert_int_equal(count_subject("auth-2"), 1);
	sink_stop();
}

/* ---- kill -9 in the middle of a drain -------------------------------- */

static void test_kill9_mid_drain(void **state)
{
	char bin[512], subj[32], want[40], *ids[N_KILL];
	char *argv[] = {bin, "-c", conf, "--foreground", NULL};
	int seen[N_KILL], acked[N_KILL], i, ws, dups = 0, spins = 0,
						n_acked = 0;
	struct spool_entry *e = NULL;
	struct spool *sp = NULL;
	const char *err = NULL;
	size_t n = 0, k, before;
	char **names;
	struct dump d;
	pid_t pid;

	sink_start(NULL, NULL);
	sink_case("");
	for (i = 0; i < N_KILL; i++) {
		snprintf(subj, sizeof(subj), "kill9 #%03d", i);
		ids[i] = enqueue(SEED_FROM, "abc@kcg.gov.tw", subj, subj);
	}
	snprintf(bin, sizeof(bin), "%s/src/" MAILER,
		 env_or("KCG_TOP_BUILDDIR", "."));
	pid = spawn(argv, -1, -1, -1);
	/* kill it once a few dozen messages are through */
	while (sink_count() < 40 && spins++ < 20000)
		usleep(500);
	kill(pid, SIGKILL);
	waitpid(pid, &ws, 0);
	assert_true(WIFSIGNALED(ws));
	before = sink_count();

	/* what was acknowledged (taken out of queue/) before the kill */
	assert_int_equal(spool_open(spool_dir, &sp, &err), 0);
	assert_int_equal(spool_list(sp, &e, &n, &err), 0);
	for (i = 0; i < N_KILL; i++) {
		acked[i] = 1;
		for (k = 0; k < n; k++)
			if (strcmp(e[k].id, ids[i]) == 0)
				acked[i] = 0;
		n_acked += acked[i];
	}
	spool_entries_free(&e, n);
	spool_free(&sp);

	/* the lock died with the mailer: the next run goes through */
	assert_int_equal(mailer_once(), 0);
	memset(seen, 0, sizeof(seen));
	names = sink_names(&n);
	for (k = 0; k < n; k++) {
		if (read_dump(names[k], &d) == 0) {
			if (d.subject != NULL &&
			    sscanf(d.subject, "kill9 #%d", &i) == 1 && i >= 0 &&
			    i < N_KILL) {
				snprintf(want, sizeof(want), "%s\r\n",
					 d.subject);
				if (strcmp(d.body, want) == 0)
					seen[i]++; /* whole and intact */
			}
			dump_free(&d);
		}
		free(names[k]);
	}
	free(names);
	for (i = 0; i < N_KILL; i++) {
		if (seen[i] == 0)
			fail_msg("message %d was lost", i);
		if (acked[i] && seen[i] != 1)
			fail_msg("message %d, acknowledged before the kill, "
				 "arrived %d times",
				 i, seen[i]);
		dups += seen[i] - 1;
	}
	print_message("killed with %zu dumps written, %d of %d messages "
		      "acknowledged; %d duplicate(s) afterwards\n",
		      before, n_acked, N_KILL, dups);
	/* at most the one in flight when the kill came is sent twice */
	assert_true(dups <= 1);
	for (i = 0; i < N_KILL; i++)
		free(ids[i]);
	sink_stop();
}

/* ---- the daemon: wakes for new mail, stops cleanly on SIGTERM -------- */

static void test_daemon_sigterm(void **state)
{
	char bin[512];
	char *argv[] = {bin, "-c", conf, "--foreground", NULL};
	int ws, i;
	pid_t pid;

	sink_start(NULL, NULL);
	sink_case("");
	snprintf(bin, sizeof(bin), "%s/src/" MAILER,
		 env_or("KCG_TOP_BUILDDIR", "."));
	pid = spawn(argv, -1, -1, -1);
	usleep(200000);
	free(enqueue(SEED_FROM, "abc@kcg.gov.tw", "daemon-1", "x\n"));
	/* inotify wakes it at once; the poll would within 30 s anyway */
	for (i = 0; i < 400 && sink_count() == 0; i++)
		usleep(100000);
	kill(pid, SIGTERM);
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws));
	assert_int_equal(WEXITSTATUS(ws), 0);
	assert_int_equal(count_subject("daemon-1"), 1);
	sink_stop();
}

/* ---- TLS: a small SMTP responder for s_server and the GnuTLS server -- */

/* One end of an SMTP conversation as the server. */
struct peer {
	int rfd, wfd;
	gnutls_session_t tls; /* NULL: plain */
	char buf[16384];
	size_t len;
	FILE *rec; /* the transcript */
};

/* peer_fill - read more into the buffer; -1 at the end. */
static int peer_fill(struct peer *p)
{
	ssize_t n;

	if (p->len == sizeof(p->buf))
		return -1;
	if (p->tls != NULL) {
		do
			n = gnutls_record_recv(p->tls, p->buf + p->len,
					       sizeof(p->buf) - p->len);
		while (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED);
	} else {
		n = read(p->rfd, p->buf + p->len, sizeof(p->buf) - p->len);
	}
	if (n <= 0)
		return -1;
	p->len += (size_t)n;
	return 0;
}

/* peer_line - one line without its CRLF into LINE; -1 at the end. */
static int peer_line(struct peer *p, char *line, size_t max)
{
	char *nl;
	size_t n, k;

	while ((nl = memchr(p->buf, '\n', p->len)) == NULL)
		if (peer_fill(p) < 0)
			return -1;
	n = (size_t)(nl - p->buf);
	k = n < max - 1 ? n : max - 1;
	memcpy(line, p->buf, k);
	line[k] = '\0';
	if (k > 0 && line[k - 1] == '\r')
		line[k - 1] = '\0';
	p->len -= n + 1;
	memmove(p->buf, nl + 1, p->len);
	return 0;
}

/* peer_say - send TEXT. */
static void peer_say(struct peer *p, const char *text)
{
	if (p->tls != NULL)
		gnutls_record_send(p->tls, text, strlen(text));
	else if (write(p->wfd, text, strlen(text)) < 0)
		_exit(3);
}

/* serve - the server's side until QUIT (0), STARTTLS (1, when OFFER_TLS)
 * or the end (-1); GREET sends the greeting first. */
static int serve(struct peer *p, int greet, int offer_tls)
{
	char line[1024];
	int data = 0;

	if (greet)
		peer_say(p, "220 kcgidm-test ESMTP\r\n");
	while (peer_line(p, line, sizeof(line)) == 0) {
		fprintf(p->rec, "%s%s\n", data ? "| " : "", line);
		fflush(p->rec);
		if (data) {
			if (strcmp(line, ".") == 0) {
				data = 0;
				peer_say(p, "250 2.0.0 queued\r\n");
			}
		} else if (strncasecmp(line, "EHLO ", 5) == 0) {
			peer_say(p, offer_tls ? "250-kcgidm-test\r\n"
						"250-STARTTLS\r\n"
						"250 AUTH PLAIN\r\n"
					      : "250-kcgidm-test\r\n"
						"250 AUTH PLAIN\r\n");
		} else if (offer_tls && strcasecmp(line, "STARTTLS") == 0) {
			peer_say(p, "220 2.0.0 go ahead\r\n");
			return 1;
		} else if (strncasecmp(line, "AUTH PLAIN", 10) == 0) {
			peer_say(p, "235 2.7.0 ok\r\n");
		} else if (strncasecmp(line, "DATA", 4) == 0) {
			data = 1;
			peer_say(p, "354 go on\r\n");
		} else if (strncasecmp(line, "QUIT", 4) == 0) {
			peer_say(p, "221 bye\r\n");
			return 0;
		} else {
			peer_say(p, "250 2.0.0 ok\r\n");
		}
	}
	return -1;
}

/* tls_server - accept one client on LFD: plain SMTP up to STARTTLS, then
 * TLS with NAME.pem/NAME.key (GnuTLS), then SMTP; transcript in REC.
 * Runs in a child; never returns. */
static void tls_server(int lfd, const char *name, const char *rec)
{
	gnutls_certificate_credentials_t cred = NULL;
	gnutls_session_t s = NULL;
	struct timeval tv = {10, 0};
	struct peer p;
	char cert[256], key[256];
	int fd, r;

	memset(&p, 0, sizeof(p));
	p.rec = fopen(rec, "w");
	fd = accept(lfd, NULL, NULL);
	if (p.rec == NULL || fd < 0)
		_exit(2);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	p.rfd = p.wfd = fd;
	if (serve(&p, 1, 1) != 1)
		_exit(0);
	snprintf(cert, sizeof(cert), "%s/%s.pem", top, name);
	snprintf(key, sizeof(key), "%s/%s.key", top, name);
	gnutls_certificate_allocate_credentials(&cred);
	if (gnutls_certificate_set_x509_key_file(cred, cert, key,
						 GNUTLS_X509_FMT_PEM) < 0)
		_exit(2);
	gnutls_init(&s, GNUTLS_SERVER);
	gnutls_set_default_priority(s);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
	gnutls_transport_set_int(s, fd);
	gnutls_handshake_set_timeout(s, 10000);
	do
		r = gnutls_handshake(s);
	while (r < 0 && !gnutls_error_is_fatal(r));
	if (r < 0) {
		fprintf(p.rec, "handshake failed: %s\n", gnutls_strerror(r));
		_exit(0);
	}
	fprintf(p.rec, "TLS established\n");
	p.tls = s;
	p.len = 0;
	serve(&p, 0, 0);
	gnutls_bye(s, GNUTLS_SHUT_WR);
	_exit(0);
}

/* read_text - the whole file PATH (caller frees). */
static char *read_text(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *text;
	long len;

	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	text = calloc(1, (size_t)len + 1);
	if (len > 0)
		assert_int_equal(fread(text, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	return text;
}

/* last_error - the queue's last error for ID (caller frees). */
static char *last_error(const char *id)
{
	json_t *j = queue_json(), *m = queued_entry(j, id);
	char *s;

	assert_non_null(m);
	s = strdup(json_string_value(json_object_get(m, "last_error")));
	json_decref(j);
	return s;
}

/* starttls_case - a STARTTLS session to the GnuTLS server presenting
 * certificate NAME; the flush's exit status, transcript in *rec_r. */
static int starttls_case(const char *name, const char *subject, char **rec_r,
			 char **id_r)
{
	struct sockaddr_in sa;
	socklen_t slen = sizeof(sa);
	char uri[64], extra[512], rec[256];
	int lfd, st, ws;
	pid_t pid;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &slen), 0);
	snprintf(uri, sizeof(uri), "smtp://127.0.0.1:%d", ntohs(sa.sin_port));
	snprintf(extra, sizeof(extra),
		 "tls = \"starttls\"; tls_ca_file = \"%s\"; "
		 "credentials_file = \"%s\";",
		 path_in("ca.pem"), path_in("smtp.secret"));
	new_case(uri, extra);
	snprintf(rec, sizeof(rec), "%s/starttls-%d.txt", top, case_no);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		tls_server(lfd, name, rec);
	close(lfd);
	*id_r = enqueue(SEED_FROM, "abc@kcg.gov.tw", subject, "tls body\n");
	st = flush();
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	*rec_r = read_text(rec);
	return st;
}

static void test_starttls_verified(void **state)
{
	char *rec = NULL, *id = NULL, *p;

	if (!have_tls)
		skip();
	assert_int_equal(starttls_case("srv", "starttls-ok", &rec, &id), 0);
	/* EHLO again after the handshake, AUTH only inside TLS */
	p = strstr(rec, "TLS established\n");
	assert_non_null(p);
	assert_non_null(strstr(p, "EHLO mailer.test.kcg.gov.tw"));
	assert_true(strstr(rec, "AUTH") == NULL || strstr(rec, "AUTH") > p);
	assert_non_null(strstr(p, "AUTH PLAIN " CRED_B64));
	assert_non_null(strstr(p, "MAIL FROM:<KPDFForum@kcg.gov.tw>"));
	assert_non_null(strstr(p, "RCPT TO:<abc@kcg.gov.tw>"));
	assert_non_null(strstr(p, "| Subject: starttls-ok"));
	free(rec);
	free(id);
}

static void test_starttls_untrusted(void **state)
{
	char *rec = NULL, *id = NULL, *err;

	if (!have_tls)
		skip();
	assert_int_equal(starttls_case("self", "starttls-bad", &rec, &id), 7);
	/* nothing but EHLO and STARTTLS went out: no AUTH, no mail */
	assert_null(strstr(rec, "AUTH"));
	assert_null(strstr(rec, "MAIL FROM"));
	err = last_error(id);
	assert_non_null(strstr(err, "certificate is refused"));
	assert_non_null(strstr(err, "issuer is unknown"));
	free(err);
	free(rec);
	free(id);
}

/* s_server_case - SMTPS to `openssl s_server` presenting certificate
 * NAME; with DIALOG a responder speaks SMTP through it. The flush's exit
 * status; the transcript (DIALOG only) in *rec_r. */
static int s_server_case(const char *name, int dialog, const char *subject,
			 char **rec_r, char **id_r)
{
	char uri[64], extra[512], acc[32], cert[256], key[256], rec[256];
	char *argv[] = {OPENSSL, "s_server", "-accept", acc,	  "-cert",
			cert,	 "-key",     key,	"-quiet", NULL};
	int port = harness_free_port(), in[2], out[2], st, ws;
	pid_t srv, resp = -1;

	snprintf(acc, sizeof(acc), "127.0.0.1:%d", port);
	snprintf(cert, sizeof(cert), "%s/%s.pem", top, name);
	snprintf(key, sizeof(key), "%s/%s.key", top, name);
	snprintf(uri, sizeof(uri), "smtps://127.0.0.1:%d", port);
	snprintf(extra, sizeof(extra),
		 "tls_ca_file = \"%s\"; credentials_file = \"%s\";",
		 path_in("ca.pem"), path_in("smtp.secret"));
	new_case(uri, extra);
	snprintf(rec, sizeof(rec), "%s/smtps-%d.txt", top, case_no);
	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	stop(tls_pid);
	tls_pid = srv = spawn(argv, in[0], out[1], -1);
	close(in[0]);
	close(out[1]);
	wait_listen(port, srv);
	if (dialog) {
		resp = fork();
		assert_true(resp >= 0);
		if (resp == 0) {
			struct peer p;

			memset(&p, 0, sizeof(p));
			p.rfd = out[0];
			p.wfd = in[1];
			p.rec = fopen(rec, "w");
			if (p.rec == NULL)
				_exit(2);
			_exit(serve(&p, 1, 0) == 0 ? 0 : 1);
		}
	}
	*id_r = enqueue(SEED_FROM, "abc@kcg.gov.tw", subject, "tls body\n");
	st = flush();
	if (resp > 0) {
		assert_int_equal(waitpid(resp, &ws, 0), resp);
		*rec_r = read_text(rec);
	}
	close(in[1]);
	close(out[0]);
	stop(srv);
	tls_pid = -1;
	return st;
}

static void test_smtps_verified(void **state)
{
	char *rec = NULL, *id = NULL;

	if (!have_tls)
		skip();
	assert_int_equal(s_server_case("srv", 1, "smtps-ok", &rec, &id), 0);
	assert_non_null(strstr(rec, "EHLO mailer.test.kcg.gov.tw"));
	assert_non_null(strstr(rec, "AUTH PLAIN " CRED_B64));
	assert_non_null(strstr(rec, "| Subject: smtps-ok"));
	free(rec);
	free(id);
}

static void test_smtps_untrusted(void **state)
{
	char *rec = NULL, *id = NULL, *err;

	if (!have_tls)
		skip();
	assert_int_equal(s_server_case("self", 0, "smtps-self", &rec, &id), 7);
	err = last_error(id);
	assert_non_null(strstr(err, "certificate is refused"));
	assert_non_null(strstr(err, "issuer is unknown"));
	free(err);
	free(id);
}

static void test_smtps_wrong_name(void **state)
{
	char *rec = NULL, *id = NULL, *err;

	if (!have_tls)
		skip();
	/* from the trusted CA, but for mail.example.org, not 127.0.0.1 */
	assert_int_equal(s_server_case("other", 0, "smtps-name", &rec, &id), 7);
	err = last_error(id);
	assert_non_null(strstr(err, "certificate is refused"));
	assert_non_null(strstr(err, "name in the certificate does not match"));
	free(err);
	free(id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_injection_refused),
		cmocka_unit_test(test_delivers_utf8),
		cmocka_unit_test(test_smtp_down_then_back),
		cmocka_unit_test(test_4xx_retried),
		cmocka_unit_test(test_5xx_dead),
		cmocka_unit_test(test_auth_plain),
		cmocka_unit_test(test_kill9_mid_drain),
		cmocka_unit_test(test_daemon_sigterm),
		cmocka_unit_test(test_starttls_verified),
		cmocka_unit_test(test_starttls_untrusted),
		cmocka_unit_test(test_smtps_verified),
		cmocka_unit_test(test_smtps_untrusted),
		cmocka_unit_test(test_smtps_wrong_name),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
