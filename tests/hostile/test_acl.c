/*
 * test_acl - the access-control proof: who may read, filter on, search,
 * write, add and delete what in the directory, asserted with the OpenLDAP
 * command-line tools (ldapsearch, ldapmodify, ldappasswd, ldapdelete)
 * against the sandbox built from ldif/config.ldif.in.
 *
 * Identities (one letter each in the tables):
 *   A  the admin (SASL EXTERNAL over ldapi: manage), the reference
 *   N  anonymous (a simple bind without a DN)
 *   P  cn=provisioner    D  cn=dovecot    X  cn=postfix    I  cn=ikpd
 *   S  an ordinary user, acting on their own entry (wangxm)
 *   O  another ordinary user (chenml), acting on wangxm's entry
 * Service secrets are the sandbox's *.secret files.
 *
 * Each spec names a target, an operation and the identities the design
 * allows; every identity is then tried and must be allowed or denied
 * exactly so. A denied write must fail with insufficientAccess (50), not
 * with some other error that would prove nothing.
 *
 * Where the current ACLs differ from the design, the identity is listed
 * in the spec's "gated" letters: its outcome is printed ("DESIGN GAP")
 * but only asserted when the program is built with the gate's macro:
 *   KCG_ACL_NO_PASSWORD_READ         nobody but the admin reads
 *                                    userPassword: the provisioner's
 *                                    "write" includes read, so it reads
 *                                    every account's hash
 *   KCG_ACL_NO_POLICY_SWITCH         the provisioner cannot point an
 *                                    account at another password policy
 *   KCG_ACL_ROSTERREF_HIDDEN         nobody but the provisioner learns the
 *                                    national-ID hash (kcgRosterRef
 *                                    carries it in its DN)
 *   KCG_ACL_SERVICES_LEAST_PRIVILEGE dovecot, postfix and ikpd read only
 *                                    what their lookups use
 * docs/security.md gives the olcAccess changes that make each pass.
 *
 * 動態密碼 (otp_specs): a third account, linzh, is enrolled with `kcgidm
 * otp enroll` (wangxm and chenml are not: their binds would need codes);
 * its token uid=linzh,ou=otp holds a secret nobody but the admin may read
 * or test, that the provisioner may write.
 *
 * A user's own recovery address was such a gap until a2af433 added the
 * kcgRecoveryMail rule with "by self write"; it is asserted as any other
 * now (no KCG_ACL_RECOVERY_SELF_WRITE any more).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <ldap.h>

#include "harness.h"

/* Spec tables leave their trailing fields out (NULL, 0). */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define SUFFIX	  "dc=kcg,dc=gov,dc=tw"
#define PRIVACY	  "20230307_V1.0"
#define MAILRULES "KCG-MAIL-RULES_V1.0"
#define PW1	  "1Qaz2wsx!Kcg"
#define PW2	  "3Edc4rfv!Kcg"

#define U1	 "uid=wangxm,ou=people," SUFFIX
#define U2	 "uid=chenml,ou=people," SUFFIX
#define PEOPLE	 "ou=people," SUFFIX
#define ROSTER	 "ou=roster," SUFFIX
#define SERVICES "ou=services," SUFFIX
#define PROV	 "cn=provisioner,ou=services," SUFFIX
#define DOVECOT	 "cn=dovecot,ou=services," SUFFIX
#define POLICY	 "cn=default,ou=policies," SUFFIX
#define U3	 "uid=linzh,ou=people," SUFFIX
#define OTPOU	 "ou=otp," SUFFIX
#define TOKEN3	 "uid=linzh,ou=otp," SUFFIX
#define TOTP	 "cn=totp,ou=policies," SUFFIX
/* Values set in the setup, so that filters can name them exactly. */
#define IKPD_TOKEN                                                             \
	"1111111111111111111111111111111111111111111111111111111111111111"
#define IKPD_USED                                                              \
	"3333333333333333333333333333333333333333333333333333333333333333"
#define RESET_TOKEN                                                            \
	"2222222222222222222222222222222222222222222222222222222222222222"

/* Gates: the identities whose expectation the current ACLs do not meet. */
#define GATE_PW	    0x02u
#define GATE_POLICY 0x04u
#define GATE_ROSTER 0x08u
#define GATE_LEAST  0x10u

static const unsigned gates_on = 0
#ifdef KCG_ACL_NO_PASSWORD_READ
				 | GATE_PW
#endif
#ifdef KCG_ACL_NO_POLICY_SWITCH
				 | GATE_POLICY
#endif
#ifdef KCG_ACL_ROSTERREF_HIDDEN
				 | GATE_ROSTER
#endif
#ifdef KCG_ACL_SERVICES_LEAST_PRIVILEGE
				 | GATE_LEAST
#endif
	;

enum op {
	READ,	/* base read of ATTR: a value comes back */
	FILTER, /* base search with filter ATTR: the entry comes back */
	SEARCH, /* subtree search from TARGET with filter ATTR: entries */
	SWEEP,	/* subtree search from TARGET for ATTR: any value */
	WRITE,	/* modify/replace ATTR with VALUE */
	PASSWD, /* Password Modify (ldappasswd) of TARGET */
	ADD,	/* add the entry VALUE (LDIF without dn) as ATTR (the RDN) */
	DELETE, /* delete TARGET */
};

static const char *const op_names[] = {
	"read",	 "filter on", "search", "sweep for",
	"write", "passwd",    "add",	"delete",
};

struct spec {
	const char *target; /* a DN, or "@R1" for wangxm's roster entry */
	enum op op;
	const char *attr;    /* attribute, filter or RDN */
	const char *value;   /* WRITE: the new value; ADD: the entry */
	const char *allowed; /* identities the design allows */
	const char *gated;   /* identities behind GATE */
	unsigned gate;
	const char *skip; /* identities not tried (a delete that would work) */
};

static const char ids_all[] = "ANPDXISO";

static const char *sandbox;
static char roster_dn[256], id_hash[80], birth[32];
static char pw_u1[64] = PW1; /* wangxm's password as it is now */
static int pw_serial;
static unsigned long n_checks, n_gaps;

/* --- running the tools --------------------------------------------------- */

/* target_dn - the DN of spec target T. */
static const char *target_dn(const char *t)
{
	return strcmp(t, "@R1") == 0 ? roster_dn : t;
}

/* expand_value - "@HASH" and "@BIRTH" in V (static buffer). */
static const char *expand_value(const char *v)
{
	static char buf[512];
	const char *p;

	if (v == NULL)
		return NULL;
	if ((p = strstr(v, "@HASH")) != NULL) {
		snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(p - v), v, id_hash,
			 p + 5);
		return buf;
	}
	if ((p = strstr(v, "@BIRTH")) != NULL) {
		snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(p - v), v, birth,
			 p + 6);
		return buf;
	}
	return v;
}

/* who_args - the tool options that bind as identity W; N args at ARGV. */
static int who_args(char who, char **argv)
{
	static char y[8][512];
	int n = 0, slot = (int)(strchr(ids_all, who) - ids_all);

	switch (who) {
	case 'A':
		argv[n++] = "-Q";
		argv[n++] = "-Y";
		argv[n++] = "EXTERNAL";
		return n;
	case 'N':
		argv[n++] = "-x";
		return n;
	case 'P':
	case 'D':
	case 'X':
	case 'I':
		argv[n++] = "-x";
		argv[n++] = "-D";
		argv[n++] = who == 'P'	 ? PROV
			    : who == 'D' ? DOVECOT
			    : who == 'X' ? "cn=postfix,ou=services," SUFFIX
					 : "cn=ikpd,ou=services," SUFFIX;
		snprintf(y[slot], sizeof(y[slot]), "%s/%s.secret", sandbox,
			 who == 'P'   ? "provisioner"
			 : who == 'D' ? "dovecot"
			 : who == 'X' ? "postfix"
				      : "ikpd");
		argv[n++] = "-y";
		argv[n++] = y[slot];
		return n;
	case 'S':
	case 'O':
		argv[n++] = "-x";
		argv[n++] = "-D";
		argv[n++] = who == 'S' ? U1 : U2;
		snprintf(y[slot], sizeof(y[slot]), "%s/%s", sandbox,
			 who == 'S' ? "u1.pw" : "u2.pw");
		argv[n++] = "-y";
		argv[n++] = y[slot];
		return n;
	}
	fail_msg("no identity %c", who);
	return 0;
}

/* A tool started in the background, its output going to two files. */
struct pending {
	pid_t pid;
	int out, err;
};

static int tmp_fd(void)
{
	char path[] = "/tmp/acl.XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	return fd;
}

static char *slurp_fd(int fd)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	ssize_t k;

	assert_non_null(buf);
	lseek(fd, 0, SEEK_SET);
	while ((k = read(fd, buf + n, cap - n - 1)) > 0) {
		n += (size_t)k;
		if (cap - n < 2) {
			buf = realloc(buf, cap *= 2);
			assert_non_null(buf);
		}
	}
	buf[n] = '\0';
	close(fd);
	return buf;
}

/* tool_start - start TOOL as WHO with the NULL-terminated ARGS. */
static struct pending tool_startv(const char *toolname, char who, va_list ap)
{
	char *argv[80], path[64];
	const char *a;
	struct pending p;
	int n = 0, null;

	snprintf(path, sizeof(path), "/usr/bin/%s", toolname);
	argv[n++] = path;
	n += who_args(who, argv + n);
	argv[n++] = "-H";
	argv[n++] = (char *)harness_ldapi();
	while ((a = va_arg(ap, const char *)) != NULL && n < 78)
		argv[n++] = (char *)a;
	argv[n] = NULL;
	p.out = tmp_fd();
	p.err = tmp_fd();
	p.pid = fork();
	assert_true(p.pid >= 0);
	if (p.pid == 0) {
		null = open("/dev/null", O_RDONLY);
		dup2(null, 0);
		dup2(p.out, 1);
		dup2(p.err, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	return p;
}

static struct pending tool_start(const char *toolname, char who, ...)
{
	struct pending p;
	va_list ap;

	va_start(ap, who);
	p = tool_startv(toolname, who, ap);
	va_end(ap);
	return p;
}

/* tool_wait - the outcome of P. */
static void tool_wait(struct pending *p, struct run *r)
{
	int ws = 0;

	while (waitpid(p->pid, &ws, 0) < 0 && errno == EINTR)
		;
	r->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	r->out = slurp_fd(p->out);
	r->err = slurp_fd(p->err);
}

/* tool - run TOOL as WHO with ARGS (NULL-terminated) and INPUT. */
static void tool(struct run *r, const char *toolname, char who,
		 const char *input, ...)
{
	char *argv[40], path[64];
	const char *a;
	va_list ap;
	int n = 0;

	snprintf(path, sizeof(path), "/usr/bin/%s", toolname);
	argv[n++] = path;
	n += who_args(who, argv + n);
	argv[n++] = "-H";
	argv[n++] = (char *)harness_ldapi();
	va_start(ap, input);
	while ((a = va_arg(ap, const char *)) != NULL && n < 38)
		argv[n++] = (char *)a;
	va_end(ap);
	argv[n] = NULL;
	harness_run(r, input, argv);
}

/* has_attr - LDIF OUT has a line for ATTR ("attr:" or "attr::"). */
static int has_attr(const char *out, const char *attr)
{
	size_t len = strlen(attr);
	const char *p = out;

	while (p != NULL && *p != '\0') {
		if (strncasecmp(p, attr, len) == 0 && p[len] == ':')
			return 1;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return 0;
}

/* b64 - base64 of S (static buffer): LDIF values that are not ASCII. */
static const char *b64(const char *s)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrst"
				"uvwxyz0123456789+/";
	static char out[1024];
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i, o = 0;

	for (i = 0; i + 2 < len; i += 3) {
		out[o++] = t[p[i] >> 2];
		out[o++] = t[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		out[o++] = t[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		out[o++] = t[p[i + 2] & 63];
	}
	if (len - i == 1) {
		out[o++] = t[p[i] >> 2];
		out[o++] = t[(p[i] & 3) << 4];
		out[o++] = '=';
		out[o++] = '=';
	} else if (len - i == 2) {
		out[o++] = t[p[i] >> 2];
		out[o++] = t[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		out[o++] = t[(p[i + 1] & 15) << 2];
		out[o++] = '=';
	}
	out[o] = '\0';
	return out;
}

static void set_pw_u1(const char *pw)
{
	snprintf(pw_u1, sizeof(pw_u1), "%s", pw);
	harness_write_file("u1.pw", pw);
}

/* new_password - DN's password is PW now: keep its bind file current. */
static void new_password(const char *dn, const char *pw)
{
	if (strcmp(dn, U1) == 0)
		set_pw_u1(pw);
	else if (strcmp(dn, U2) == 0)
		harness_write_file("u2.pw", pw);
	else if (strcmp(dn, DOVECOT) == 0)
		harness_write_file("dovecot.secret", pw);
	else if (strcmp(dn, PROV) == 0)
		harness_write_file("provisioner.secret", pw);
}

/* read_start - start the read-like operation S (READ, FILTER, SEARCH,
 * SWEEP) as WHO; they change nothing, so all identities go at once. */
static struct pending read_start(const struct spec *s, char who)
{
	const char *dn = target_dn(s->target);
	static char filter[8][512];
	char *f = filter[strchr(ids_all, who) - ids_all];

	snprintf(f, 512, "%s", expand_value(s->attr));
	switch (s->op) {
	case READ:
		return tool_start("ldapsearch", who, "-LLL", "-o",
				  "ldif_wrap=no", "-b", dn, "-s", "base",
				  "(objectClass=*)", s->attr, NULL);
	case FILTER:
		return tool_start("ldapsearch", who, "-LLL", "-b", dn, "-s",
				  "base", f, "1.1", NULL);
	case SEARCH:
		return tool_start("ldapsearch", who, "-LLL", "-b", dn, "-s",
				  "sub", f, "1.1", NULL);
	default:
		return tool_start("ldapsearch", who, "-LLL", "-o",
				  "ldif_wrap=no", "-b", dn, "-s", "sub",
				  "(objectClass=*)", s->attr, NULL);
	}
}

/* read_outcome - 1 when the read-like R returned what S asked for. */
static int read_outcome(const struct spec *s, const struct run *r)
{
	if (s->op == READ || s->op == SWEEP)
		return has_attr(r->out, s->attr);
	return strstr(r->out, "dn:") != NULL;
}

/*
 * attempt - do operation S as WHO. Returns 1 (allowed), 0 (denied) or -1
 * (neither: an error that proves nothing), with the tool's words in WHY.
 */
static int attempt(const struct spec *s, char who, char *why, size_t whysz)
{
	const char *dn = target_dn(s->target), *value = expand_value(s->value);
	char ldif[2048], newpw[64];
	struct run r;
	int res;

	switch (s->op) {
	case WRITE:
		if (strcmp(s->attr, "userPassword") == 0) {
			snprintf(newpw, sizeof(newpw), "Acl%dpass!Kcg",
				 ++pw_serial);
			value = newpw;
		}
		snprintf(ldif, sizeof(ldif),
			 "dn: %s\nchangetype: modify\nreplace: %s\n%s:: %s\n",
			 dn, s->attr, s->attr, b64(value));
		tool(&r, "ldapmodify", who, ldif, NULL);
		res = r.status == 0 ? 1 : r.status == 50 || who == 'N' ? 0 : -1;
		if (res == 1 && value == newpw)
			new_password(dn, newpw);
		break;
	case PASSWD:
		snprintf(newpw, sizeof(newpw), "Acl%dpass!Kcg", ++pw_serial);
		tool(&r, "ldappasswd", who, NULL, "-s", newpw, dn, NULL);
		/* ldappasswd exits 1 and prints the result on stdout */
		res = r.status == 0 ? 1
		      : strstr(r.out, "Insufficient access (50)") != NULL ||
				      who == 'N'
			      ? 0
			      : -1;
		if (res == 1)
			new_password(dn, newpw);
		break;
	case ADD:
		snprintf(ldif, sizeof(ldif), "dn: %s,%s\n%s\n", s->attr, dn,
			 value);
		tool(&r, "ldapadd", who, ldif, NULL);
		res = r.status == 0 ? 1 : r.status == 50 || who == 'N' ? 0 : -1;
		if (res == 1) { /* take it away again */
			struct run d;

			snprintf(ldif, sizeof(ldif), "%s,%s", s->attr, dn);
			tool(&d, "ldapdelete", 'A', NULL, ldif, NULL);
			assert_int_equal(d.status, 0);
			harness_run_free(&d);
		}
		break;
	case DELETE:
		tool(&r, "ldapdelete", who, NULL, dn, NULL);
		res = r.status == 0 ? 1 : r.status == 50 || who == 'N' ? 0 : -1;
		break;
	default:
		fail_msg("no such operation");
		return -1;
	}
	snprintf(why, whysz, "exit %d %.160s", r.status,
		 r.err[0] ? r.err : r.out);
	for (char *p = why; *p; p++)
		if (*p == '\n')
			*p = ' ';
	harness_run_free(&r);
	return res;
}

/* The outputs of the batched reads: per target, per identity. */
static struct {
	const char *target;
	char *out[8];
} batches[16];
static size_t n_batches;

/* batch_reads - for each target of a READ spec in SPECS, one search per
 * identity for all the attributes read there. */
static void batch_reads(const struct spec *specs, size_t n)
{
	struct pending pend[8];
	struct run r;
	const char *attrs[48];
	size_t i, k, b, na;
	const char *w;

	for (b = 0; b < n_batches; b++)
		for (k = 0; k < 8; k++)
			free(batches[b].out[k]);
	n_batches = 0;
	for (i = 0; i < n; i++) {
		if (specs[i].op != READ)
			continue;
		for (b = 0; b < n_batches; b++)
			if (strcmp(batches[b].target, specs[i].target) == 0)
				break;
		if (b < n_batches)
			continue;
		assert_true(n_batches < 16);
		batches[n_batches].target = specs[i].target;
		na = 0;
		for (k = i; k < n && na < 40; k++)
			if (specs[k].op == READ &&
			    strcmp(specs[k].target, specs[i].target) == 0)
				attrs[na++] = specs[k].attr;
		while (na < 48)
			attrs[na++] = NULL;
		for (w = ids_all; *w; w++)
			pend[w - ids_all] = tool_start(
				"ldapsearch", *w, "-LLL", "-o", "ldif_wrap=no",
				"-b", target_dn(specs[i].target), "-s", "base",
				"(objectClass=*)", attrs[0], attrs[1], attrs[2],
				attrs[3], attrs[4], attrs[5], attrs[6],
				attrs[7], attrs[8], attrs[9], attrs[10],
				attrs[11], attrs[12], attrs[13], attrs[14],
				attrs[15], attrs[16], attrs[17], attrs[18],
				attrs[19], attrs[20], attrs[21], attrs[22],
				attrs[23], attrs[24], attrs[25], attrs[26],
				attrs[27], attrs[28], attrs[29], NULL);
		for (w = ids_all; *w; w++) {
			tool_wait(&pend[w - ids_all], &r);
			/* keep the words of a refusal, for messages */
			batches[n_batches].out[w - ids_all] =
				r.out[0] != '\0' ? r.out : r.err;
			free(r.out[0] != '\0' ? r.err : r.out);
		}
		n_batches++;
	}
}

/* batch_output - what identity WHO got in the batched read of TARGET. */
static const char *batch_output(const char *target, char who)
{
	size_t b;

	for (b = 0; b < n_batches; b++)
		if (strcmp(batches[b].target, target) == 0)
			return batches[b].out[strchr(ids_all, who) - ids_all];
	fail_msg("no batch for %s", target);
	return "";
}

/* run_specs - every identity against every spec; fails the test when an
 * outcome (not behind a gate that is off) differs from the design. */
static void run_specs(const char *name, const struct spec *specs, size_t n)
{
	char why[256];
	size_t i;
	const char *w;
	int failed = 0, res, want, gated;

	/* READ specs of one target are done together: one search per
	 * identity and target for all their attributes (the ACLs decide
	 * attribute by attribute, so it is the same question) */
	batch_reads(specs, n);
	for (i = 0; i < n; i++) {
		const struct spec *s = &specs[i];
		int reading =
			s->op == FILTER || s->op == SEARCH || s->op == SWEEP;
		struct pending pend[8];

		if (reading)
			for (w = ids_all; *w; w++)
				pend[w - ids_all] = read_start(s, *w);
		for (w = ids_all; *w; w++) {
			/* admin writes prove nothing (manage); the admin is
			 * the reference for reads */
			if (*w == 'A' && !reading && s->op != READ)
				continue;
			if (s->skip != NULL && strchr(s->skip, *w) != NULL)
				continue;
			want = strchr(s->allowed, *w) != NULL;
			gated = s->gated != NULL && strchr(s->gated, *w) &&
				!(gates_on & s->gate);
			if (s->op == READ) {
				const char *out = batch_output(s->target, *w);

				res = has_attr(out, s->attr);
				snprintf(why, sizeof(why), "%.160s", out);
				for (char *p = why; *p; p++)
					if (*p == '\n')
						*p = ' ';
			} else if (reading) {
				struct run r;

				tool_wait(&pend[w - ids_all], &r);
				res = read_outcome(s, &r);
				snprintf(why, sizeof(why), "exit %d %.160s",
					 r.status, r.err[0] ? r.err : r.out);
				for (char *p = why; *p; p++)
					if (*p == '\n')
						*p = ' ';
				harness_run_free(&r);
			} else {
				res = attempt(s, *w, why, sizeof(why));
			}
			n_checks++;
			if (getenv("KCG_ACL_VERBOSE") != NULL)
				fprintf(stderr, "[%s] %c %s %s %s: %s\n", name,
					*w, op_names[s->op], s->attr,
					target_dn(s->target),
					res == 1   ? "allowed"
					: res == 0 ? "denied"
						   : "error");
			if (res == want)
				continue;
			if (gated) {
				n_gaps++;
				fprintf(stderr,
					"DESIGN GAP [%s] %c %s %s %s: %s "
					"(design: %s) -- %s\n",
					name, *w, op_names[s->op], s->attr,
					target_dn(s->target),
					res == 1   ? "allowed"
					: res == 0 ? "denied"
						   : "error",
					want ? "allowed" : "denied", why);
				continue;
			}
			failed++;
			fprintf(stderr,
				"FAIL [%s] %c %s %s %s: %s, expected %s -- "
				"%s\n",
				name, *w, op_names[s->op], s->attr,
				target_dn(s->target),
				res == 1   ? "allowed"
				: res == 0 ? "denied"
					   : "inconclusive error",
				want ? "allowed" : "denied", why);
		}
	}
	if (failed)
		fail_msg("%s: %d outcomes differ from the design", name,
			 failed);
}

#define RUN_SPECS(name, specs)                                                 \
	run_specs(name, specs, sizeof(specs) / sizeof(specs[0]))

/* --- setup --------------------------------------------------------------- */

static void kcgidm_ok(const char *input, ...)
{
	struct run r;
	va_list ap;
	const char *a[16];
	int n = 0;

	va_start(ap, input);
	while (n < 15 && (a[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	while (n < 15)
		a[n++] = NULL;
	harness_kcgidm(&r, input, a[0], a[1], a[2], a[3], a[4], a[5], a[6],
		       a[7], a[8], a[9], a[10], a[11], a[12], a[13], NULL);
	if (r.status != 0)
		fail_msg("setup: kcgidm %s: exit %d: %s", a[0], r.status,
			 r.err);
	harness_run_free(&r);
}

static int group_setup(void **state)
{
	char id1[11], id2[11], id3[11], csv[1024], ldif[1024];
	struct run r;
	const char *p;

	if (harness_sandbox_start(&sandbox) != 0)
		return -1;
	harness_natid('E', 10000001, id1);
	harness_natid('E', 20000002, id2);
	harness_natid('E', 10000003, id3);
	snprintf(csv, sizeof(csv),
		 "national_id,name,birth_date,category,agency,unit,title,"
		 "hire_date,account_type,status\n"
		 "%s,王小明,68-05-12,職員,仁武高級中學,教務處,教師,99-12-25,"
		 "general,active\n"
		 "%s,陳美玲,75-11-03,職員,高雄市政府人事處,人事室,科員,"
		 "105-03-01,personnel,active\n"
		 "%s,林志豪,80-01-20,約聘人員,資訊中心,系統科,工程師,"
		 "110-07-15,general,active\n",
		 id1, id2, id3);
	kcgidm_ok(NULL, "roster", "import", harness_write_file("r.csv", csv),
		  NULL);
	kcgidm_ok(PW1 "\n", "apply", "--name", "王小明", "--national-id", id1,
		  "--uid", "wangxm", "--accept-privacy", PRIVACY, "--mail",
		  "--accept-mail-rules", MAILRULES, "--recovery-mail",
		  "wang.home@example.com", NULL);
	kcgidm_ok(NULL, "approve", "wangxm", NULL);
	kcgidm_ok(PW2 "\n", "apply", "--name", "陳美玲", "--national-id", id2,
		  "--uid", "chenml", "--accept-privacy", PRIVACY, "--mail",
		  "--accept-mail-rules", MAILRULES, "--recovery-mail",
		  "chen.home@example.com", NULL);
	kcgidm_ok(NULL, "approve", "chenml", NULL);
	kcgidm_ok(PW1 "\n", "apply", "--name", "林志豪", "--national-id", id3,
		  "--uid", "linzh", "--accept-privacy", PRIVACY, NULL);
	kcgidm_ok(NULL, "approve", "linzh", NULL);
	kcgidm_ok(NULL, "otp", "enroll", "linzh", NULL);
	/* a change of password, so that pwdHistory exists */
	kcgidm_ok(PW1 "\n"
		      "5Tgb6yhn!Kcg\n",
		  "passwd", "wangxm", NULL);
	set_pw_u1("5Tgb6yhn!Kcg");
	harness_write_file("u2.pw", PW2);
	/* link tokens with known values */
	harness_ldapmodify_admin(
		"dn: " U1 "\nchangetype: modify\n"
		"replace: kcgIkpdTokenHash\nkcgIkpdTokenHash: " IKPD_TOKEN
		"\n-\nreplace: kcgIkpdTokenExpiry\n"
		"kcgIkpdTokenExpiry: 20991231000000Z\n-\n"
		"replace: "
		"kcgIkpdUsedTokenHash\nkcgIkpdUsedTokenHash: " IKPD_USED
		"\n-\nreplace: "
		"kcgResetTokenHash\nkcgResetTokenHash: " RESET_TOKEN
		"\n-\nreplace: kcgResetTokenExpiry\n"
		"kcgResetTokenExpiry: 20991231000000Z\n-\n"
		"replace: kcgRecoveryMailTime\n"
		"kcgRecoveryMailTime: 20240101000000Z\n");
	/* wangxm's roster entry and national-ID hash, as the admin sees them */
	{
		char *argv[] = {"/usr/bin/ldapsearch",
				"-Q",
				"-LLL",
				"-o",
				"ldif_wrap=no",
				"-Y",
				"EXTERNAL",
				"-H",
				(char *)harness_ldapi(),
				"-b",
				U1,
				"-s",
				"base",
				"(objectClass=*)",
				"kcgRosterRef",
				"kcgNationalIdHash",
				"pwdHistory",
				NULL};

		harness_run(&r, NULL, argv);
		assert_int_equal(r.status, 0);
		p = strstr(r.out, "kcgRosterRef: ");
		assert_non_null(p);
		sscanf(p + 14, "%255[^\n]", roster_dn);
		p = strstr(r.out, "kcgNationalIdHash: ");
		assert_non_null(p);
		sscanf(p + 19, "%79[^\n]", id_hash);
		assert_non_null(strstr(r.out, "pwdHistory"));
		harness_run_free(&r);
	}
	snprintf(birth, sizeof(birth), "19790512000000Z");
	(void)ldif;
	return 0;
}

static int group_teardown(void **state)
{
	fprintf(stderr,
		"test_acl: %lu checks, %lu design gaps reported but not "
		"asserted (see docs/security.md)\n",
		n_checks, n_gaps);
	harness_sandbox_destroy();
	return 0;
}

/* --- the tables ---------------------------------------------------------- */

/* Reading attributes of an account (wangxm). */
static const struct spec account_reads[] = {
	{U1, READ, "userPassword", NULL, "A", "P", GATE_PW},
	{U1, READ, "pwdHistory", NULL, "A"},
	{U1, READ, "kcgNationalIdHash", NULL, "AP"},
	{U1, READ, "kcgIkpdTokenHash", NULL, "AP"},
	{U1, READ, "kcgIkpdTokenExpiry", NULL, "AP"},
	{U1, READ, "kcgIkpdUsedTokenHash", NULL, "AP"},
	{U1, READ, "kcgResetTokenHash", NULL, "AP"},
	{U1, READ, "kcgResetTokenExpiry", NULL, "AP"},
	{U1, READ, "kcgRecoveryMailTime", NULL, "AP"},
	/* the roster DN in it is kcgNationalIdHash=<the hash>,ou=roster */
	{U1, READ, "kcgRosterRef", NULL, "AP", "S", GATE_ROSTER},
	{U1, READ, "kcgPrivacyConsentTime", NULL, "APS"},
	{U1, READ, "kcgPrivacyConsentVersion", NULL, "APS"},
	{U1, READ, "kcgMailRulesConsentTime", NULL, "APS"},
	{U1, READ, "kcgMailRulesConsentVersion", NULL, "APS"},
	{U1, READ, "kcgRecoveryMail", NULL, "APS"},
	{U1, READ, "kcgVerificationMethod", NULL, "APS"},
	/* what the mail server and the portal look up */
	{U1, READ, "uid", NULL, "APSDXI"},
	{U1, READ, "kcgMail", NULL, "APSDXI"},
	{U1, READ, "kcgMailEnabled", NULL, "APSDXI"},
	{U1, READ, "kcgMailQuota", NULL, "APSDXI"},
	{U1, READ, "kcgAccountStatus", NULL, "APSDXI"},
	{U1, READ, "kcgIkpdStatus", NULL, "APSDXI"},
	/* the person's HR data and history: the user reads them (the portal
	 * shows them after a bind as the user), the services need not */
	{U1, READ, "cn", NULL, "APS", "DXI", GATE_LEAST},
	{U1, READ, "kcgAgency", NULL, "APS", "DXI", GATE_LEAST},
	{U1, READ, "title", NULL, "APS", "DXI", GATE_LEAST},
	{U1, READ, "kcgApplyTime", NULL, "APS", "DXI", GATE_LEAST},
	{U1, READ, "pwdChangedTime", NULL, "APS", "DXI", GATE_LEAST},
};

/* Filters on them: what an identity can test without reading. */
static const struct spec account_filters[] = {
	{U1, FILTER, "(userPassword=*)", NULL, "A", "P", GATE_PW},
	{U1, FILTER, "(pwdHistory=*)", NULL, "A"},
	{U1, FILTER, "(kcgNationalIdHash=@HASH)", NULL, "AP"},
	{U1, FILTER, "(kcgIkpdTokenHash=" IKPD_TOKEN ")", NULL, "AP"},
	{U1, FILTER, "(kcgResetTokenHash=" RESET_TOKEN ")", NULL, "AP"},
	{U1, FILTER, "(kcgIkpdUsedTokenHash=" IKPD_USED ")", NULL, "AP"},
	{U1, FILTER, "(kcgRosterRef=*)", NULL, "AP", "S", GATE_ROSTER},
	{U1, FILTER, "(kcgPrivacyConsentVersion=" PRIVACY ")", NULL, "APS"},
	{U1, FILTER, "(kcgRecoveryMail=*)", NULL, "APS"},
	{U1, FILTER, "(kcgAccountStatus=active)", NULL, "APSDXI"},
	{U1, FILTER, "(kcgMail=wangxm@kcg.gov.tw)", NULL, "APSDXI"},
	{U1, FILTER, "(cn=王小明)", NULL, "APS", "DXI", GATE_LEAST},
	/* finding accounts from the top: a user finds only themselves */
	{SUFFIX, SEARCH, "(uid=wangxm)", NULL, "APSDXI"},
	{SUFFIX, SEARCH, "(uid=chenml)", NULL, "APODXI"},
	{PEOPLE, SEARCH, "(objectClass=kcgAccount)", NULL, "APDXI"},
	/* the whole tree, for values of the secrets */
	{SUFFIX, SWEEP, "userPassword", NULL, "A", "P", GATE_PW},
	{SUFFIX, SWEEP, "pwdHistory", NULL, "A"},
	{SUFFIX, SWEEP, "kcgNationalIdHash", NULL, "AP"},
	{SUFFIX, SWEEP, "kcgResetTokenHash", NULL, "AP"},
	{SUFFIX, SWEEP, "kcgIkpdTokenHash", NULL, "AP"},
	{SUFFIX, SWEEP, "kcgBirthDate", NULL, "AP"},
};

/* The roster: the provisioner's alone. */
static const struct spec roster_specs[] = {
	{"@R1", READ, "cn", NULL, "AP"},
	{"@R1", READ, "kcgBirthDate", NULL, "AP"},
	{"@R1", READ, "kcgNationalIdMasked", NULL, "AP"},
	{"@R1", READ, "kcgAccountUid", NULL, "AP"},
	{"@R1", FILTER, "(objectClass=*)", NULL, "AP"},
	{"@R1", FILTER, "(kcgBirthDate=@BIRTH)", NULL, "AP"},
	{ROSTER, SEARCH, "(objectClass=kcgRosterRecord)", NULL, "AP"},
	{"@R1", WRITE, "cn", "王小明", "P"},
	{"@R1", WRITE, "kcgBirthDate", "@BIRTH", "P"},
	{"@R1", DELETE, "", NULL, "", .skip = "P"},
	{ROSTER, ADD, "cn=acl-test",
	 "objectClass: organizationalRole\ncn: acl-test", "P"},
};

/* Writing an account: the provisioner, and the user for their password
 * (and, by the design, their recovery address). The values are the
 * current ones or harmless. */
static const struct spec account_writes[] = {
	{U1, WRITE, "kcgAccountStatus", "active", "P"},
	{U1, WRITE, "kcgMailQuota", "314572800", "P"},
	{U1, WRITE, "kcgIkpdStatus", "none", "P"},
	{U1, WRITE, "kcgMailEnabled", "TRUE", "P"},
	{U1, WRITE, "kcgMail", "wangxm@kcg.gov.tw", "P"},
	{U1, WRITE, "cn", "王小明", "P"},
	{U1, WRITE, "kcgNationalIdHash", "@HASH", "P"},
	{U1, WRITE, "kcgResetTokenHash", RESET_TOKEN, "P"},
	{U1, WRITE, "kcgPrivacyConsentVersion", PRIVACY, "P"},
	{U1, WRITE, "kcgStatusReason", "acl test", "P"},
	/* DESIGN.md: "an ordinary user can change only their own password
	 * and recovery address" */
	{U1, WRITE, "kcgRecoveryMail", "wang.new@example.com", "PS"},
	{U2, WRITE, "kcgRecoveryMail", "chen.new@example.com", "PO"},
	/* the provisioner is below manage so that the policy holds for it;
	 * choosing the policy would undo that (cn=services has none) */
	{U1, WRITE, "pwdPolicySubentry", "cn=default,ou=policies," SUFFIX, "",
	 "P", GATE_POLICY},
	{U1, PASSWD, "userPassword", NULL, "PS"},
	{U1, WRITE, "userPassword", NULL, "PS"},
	{U2, PASSWD, "userPassword", NULL, "PO"},
	{U1, DELETE, "", NULL, "", .skip = "P"},
	{PEOPLE, ADD, "cn=acl-test",
	 "objectClass: organizationalRole\ncn: acl-test", "P"},
};

/* Services, policies, the top: nobody but the admin writes them, and
 * secrets stay secret. */
static const struct spec infra_specs[] = {
	{PROV, READ, "userPassword", NULL, "A"},
	{DOVECOT, READ, "userPassword", NULL, "A"},
	{PROV, READ, "description", NULL, "AP"},
	{DOVECOT, READ, "description", NULL, "AD"},
	{PROV, WRITE, "description", "rewritten", ""},
	{DOVECOT, WRITE, "description", "rewritten", ""},
	/* the services' secrets: set by the admin only (the services'
	 * policy has no quality checks and no lockout) */
	{DOVECOT, PASSWD, "userPassword", NULL, ""},
	{DOVECOT, WRITE, "userPassword", NULL, ""},
	{PROV, WRITE, "userPassword", NULL, ""},
	{SERVICES, ADD, "cn=acl-test",
	 "objectClass: applicationProcess\ncn: acl-test", ""},
	{POLICY, READ, "pwdMinLength", NULL, "APDXISO"},
	{POLICY, WRITE, "pwdMinLength", "8", ""},
	{POLICY, WRITE, "pwdMaxFailure", "5", ""},
	{PEOPLE, READ, "associatedDomain", NULL, "APDXI"},
	{PEOPLE, WRITE, "associatedDomain", "kcg.gov.tw", "P"},
	{SUFFIX, READ, "o", NULL, "A"},
	{SUFFIX, WRITE, "o", "Kaohsiung City Government", ""},
};

/* 動態密碼: the token's secret is the admin's to read and the
 * provisioner's to write; slapd's otp overlay reads it past the ACLs. */
static const struct spec otp_specs[] = {
	{TOKEN3, READ, "oathSecret", NULL, "A"},
	{TOKEN3, READ, "oathTOTPParams", NULL, "AP"},
	{TOKEN3, FILTER, "(oathSecret=*)", NULL, "A"},
	{TOKEN3, FILTER, "(objectClass=oathTOTPToken)", NULL, "AP"},
	{OTPOU, SEARCH, "(objectClass=oathTOTPToken)", NULL, "AP"},
	{SUFFIX, SWEEP, "oathSecret", NULL, "A"},
	/* the account's pointer: the user cannot unhook their own token
	 * (it is linzh's, and linzh is none of S and O; see test_otp for
	 * the user's own attempt) */
	{U3, READ, "oathTOTPToken", NULL, "AP"},
	{U3, WRITE, "oathTOTPToken", TOKEN3, "P"},
	{TOKEN3, WRITE, "oathSecret", "12345678901234567890", "P"},
	{TOKEN3, WRITE, "oathTOTPLastTimeStep", "1", "P"},
	{TOKEN3, DELETE, "", NULL, "", .skip = "P"},
	{OTPOU, ADD, "uid=acl-test",
	 "objectClass: account\nobjectClass: oathTOTPToken\nuid: acl-test\n"
	 "oathSecret: 12345678901234567890",
	 "P"},
	/* the parameters are no secret; only the admin changes them */
	{TOTP, READ, "oathOTPLength", NULL, "APDXISO"},
	{TOTP, WRITE, "oathOTPLength", "6", ""},
};

static void test_otp_tokens(void **state)
{
	RUN_SPECS("otp tokens", otp_specs);
}

static void test_account_reads(void **state)
{
	RUN_SPECS("account reads", account_reads);
}

static void test_account_filters_and_searches(void **state)
{
	RUN_SPECS("account filters", account_filters);
}

static void test_roster(void **state)
{
	RUN_SPECS("roster", roster_specs);
}

static void test_account_writes(void **state)
{
	RUN_SPECS("account writes", account_writes);
	/* undo what a provisioner that may switch policies did */
	harness_ldapmodify_admin("dn: " U1 "\nchangetype: modify\n"
				 "replace: pwdPolicySubentry\n");
}

static void test_services_policies_top(void **state)
{
	RUN_SPECS("services, policies", infra_specs);
}

/* The password stays the user's own: a password set through the
 * provisioner's session obeys the policy like the user's own change. */
static void test_policy_binds_the_provisioner(void **state)
{
	struct run r;

	/* too weak, and pre-hashed: both refused for the provisioner */
	tool(&r, "ldappasswd", 'P', NULL, "-s", "weak", U1, NULL);
	assert_int_not_equal(r.status, 0);
	assert_non_null(strstr(r.out, "Constraint violation (19)"));
	harness_run_free(&r);
	tool(&r, "ldapmodify", 'P',
	     "dn: " U1 "\nchangetype: modify\nreplace: userPassword\n"
	     "userPassword: {SSHA}AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
	     NULL);
	assert_int_equal(r.status, 19); /* constraintViolation */
	harness_run_free(&r);
}

/* Anonymous: a bind as a user with the right password works (auth), but
 * an anonymous session neither binds nor finds anything. */
static void test_anonymous(void **state)
{
	LDAP *ld = NULL;
	LDAPMessage *res = NULL;
	int version = LDAP_VERSION3, rc;
	static const char *const bases[] = {SUFFIX, PEOPLE, ROSTER, SERVICES,
					    U1};
	size_t i;
	struct run r;
	char *argv[] = {"/usr/bin/ldapwhoami",
			"-x",
			"-H",
			(char *)harness_ldapi(),
			"-D",
			U1,
			"-y",
			NULL,
			NULL};
	char pwfile[512];

	/* anonymous -> auth: the bind of a user */
	snprintf(pwfile, sizeof(pwfile), "%s/u1.pw", sandbox);
	argv[7] = pwfile;
	harness_run(&r, NULL, argv);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "uid=wangxm"));
	harness_run_free(&r);
	/* an anonymous bind is refused */
	tool(&r, "ldapsearch", 'N', NULL, "-b", SUFFIX, "(objectClass=*)",
	     NULL);
	assert_int_equal(r.status, 48); /* inappropriateAuthentication */
	harness_run_free(&r);
	/* and without any bind, the ACLs give nothing but the root DSE */
	assert_int_equal(ldap_initialize(&ld, harness_ldapi()), LDAP_SUCCESS);
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
	for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		rc = ldap_search_ext_s(ld, bases[i], LDAP_SCOPE_SUBTREE,
				       "(objectClass=*)", NULL, 0, NULL, NULL,
				       NULL, 0, &res);
		if (rc == LDAP_SUCCESS && ldap_count_entries(ld, res) > 0)
			fail_msg("no bind: %d entries under %s",
				 ldap_count_entries(ld, res), bases[i]);
		ldap_msgfree(res);
		res = NULL;
	}
	rc = ldap_search_ext_s(ld, "", LDAP_SCOPE_BASE, "(objectClass=*)", NULL,
			       0, NULL, NULL, NULL, 0, &res);
	assert_int_equal(rc, LDAP_SUCCESS);
	assert_int_equal(ldap_count_entries(ld, res), 1);
	ldap_msgfree(res);
	ldap_unbind_ext_s(ld, NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_anonymous),
		cmocka_unit_test(test_account_reads),
		cmocka_unit_test(test_account_filters_and_searches),
		cmocka_unit_test(test_roster),
		cmocka_unit_test(test_services_policies_top),
		cmocka_unit_test(test_account_writes),
		cmocka_unit_test(test_policy_binds_the_provisioner),
		cmocka_unit_test(test_otp_tokens),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
