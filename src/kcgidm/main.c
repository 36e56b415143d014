/*
 * kcgidm - the directory admin's command line for kcgidm.
 *
 * Imports the HR roster and runs the seed's application flow (verify,
 * uid check, apply, approve, show), the IKPD registration, the recovery
 * links, password changes and resets, the account's lifecycle (review,
 * disable, enable, delete, purge-inactive) and the mail queue, against the
 * directory named in kcgidm.conf, bound as the provisioner identity (what a
 * user does as themselves binds as the user). Every write is recorded in
 * the audit log.
 *
 * SECURITY: kcgidm runs with the privileges of whoever starts it and binds
 * to the directory as the provisioner, which can write accounts but is
 * deliberately not a password admin, so slapd's password policy applies to
 * everything it writes. Passwords are never taken from argv: they come from
 * a file, standard input or a prompt without echo, and are wiped after use;
 * the process is made non-dumpable with no core file (secret_no_core), so
 * a crash or another process of the same user cannot read them.
 * National IDs are hashed with a key that must be in a mode-0600 file and
 * never appear in output, logs or the directory in plaintext. All values
 * that reach a filter or a DN are escaped by libldap.
 */
#include <getopt.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "dir.h"
#include "audit.h"
#include "err.h"
#include "idhash.h"
#include "kcg.h"
#include "log.h"
#include "out.h"
#include "secret.h"
#include "xalloc.h"

static const char usage_text[] =
	"usage: kcgidm [-c FILE] [--json] [-v] COMMAND [ARGS]\n"
	"\n"
	"Commands:\n"
	"  roster import FILE.csv [--dry-run] [--full [--max-left PERCENT]]\n"
	"        [--batch-size N] [--jobs N]    import the HR roster\n"
	"  roster export-ldif FILE.csv          LDIF for a first slapadd -q\n"
	"  verify --name NAME --national-id ID  個人資料驗證\n"
	"  verify --cert FILE.pem --national-id ID  自然人憑證驗證\n"
	"  uid check UID                        檢查重複\n"
	"  apply --name NAME --national-id ID --uid UID\n"
	"        --accept-privacy VERSION [--mail --accept-mail-rules VERSION\n"
	"        --recovery-mail ADDR] [--password-file FILE]\n"
	"        (--cert FILE.pem instead of --name: 自然人憑證驗證)\n"
	"                                       提出申請 (status pending)\n"
	"  apply --batch FILE.csv --accept-privacy VERSION\n"
	"        [--accept-mail-rules VERSION] [--approve] [--jobs N]\n"
	"                                       many applications (file 0600)\n"
	"  approve UID                          review: pending -> active\n"
	"  show UID                             the account, for admins\n"
	"  consent show privacy|mail-rules      a notice's text and version\n"
	"  passwd UID [--old-password-file FILE] [--password-file FILE]\n"
	"                                       the user changes their "
	"password\n"
	"  passwd UID --reset [--password-file FILE]\n"
	"                                       an admin sets a new password\n"
	"  unlock UID                           clear a lockout (5 failed "
	"logins)\n"
	"  ikpd register --mail LOCAL[@kcg.gov.tw] --national-id ID\n"
	"        --birth-date YYY-MM-DD [--password-file FILE]\n"
	"                                       IKPD steps 1-3: mails a link\n"
	"  ikpd activate --token TOKEN [--password-file FILE]\n"
	"                                       帳號啟用 (the link's page)\n"
	"  forgot-password --uid UID            mail a reset link (忘記密碼)\n"
	"  reset --token TOKEN [--password-file FILE]\n"
	"                                       set a new password from a "
	"link\n"
	"  forgot-account --name NAME --national-id ID\n"
	"                                       mail the uid (忘記帳號)\n"
	"  auth test UID --service mail|ikpd [--password-file FILE]\n"
	"                                       a consumer's login, step by "
	"step\n"
	"  review [--dry-run]                   approve/reject pending "
	"applications\n"
	"  reject UID --reason TEXT             refuse a pending application\n"
	"  disable UID --reason TEXT            stop mail and portal logins\n"
	"  enable UID [--reason TEXT]           undo disable\n"
	"  delete UID --yes --reason TEXT       remove the account\n"
	"  purge-inactive [--days N] [--dry-run|--disable|--delete]\n"
	"                                       accounts unused for N days\n"
	"  log UID                              the account's history\n"
	"  otp enroll UID [--qr]                動態密碼: a new TOTP token\n"
	"  otp disable UID                      remove it (password alone)\n"
	"  otp status UID                       enrolled? last code used\n"
	"  mail queue                           what waits in the spool\n"
	"  mail flush                           try every queued message now\n"
	"\n"
	"  --national-id-file FILE and --token-file FILE (the first line) may\n"
	"  stand for --national-id ID and --token TOKEN: ps shows arguments.\n"
	"\n"
	"Options:\n"
	"  -c, --config FILE  configuration (default: $KCGIDM_CONF, else\n"
	"                     " CONFIG_DEFAULT_PATH ")\n"
	"  --json             print one JSON object on stdout\n"
	"  -v, --verbose      log more to stderr\n"
	"  -h, --help         this text\n"
	"  --version          the version\n"
	"\n"
	"Passwords are read from --password-file, else the first line of\n"
	"standard input when it is not a terminal, else a prompt (asked\n"
	"twice). They are never accepted as arguments. For passwd, standard\n"
	"input holds the old password on the first line, the new one on the\n"
	"second.\n"
	"\n"
	"Exit status:\n"
	"  0 ok           1 usage          2 invalid input\n"
	"  3 conflict (exists / already has an account)   4 not found\n"
	"  5 password rejected by policy   6 directory unavailable\n"
	"  7 mail failure                  8 internal error\n";

int cli_usage(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (out_is_json())
		return out_error(KCG_EUSAGE, buf);
	fprintf(stderr, "kcgidm: %s\n(kcgidm --help for usage)\n", buf);
	return -KCG_EUSAGE;
}

int cli_number(const char *name, const char *v, unsigned min, unsigned max,
	       unsigned *n_r)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || v[0] == '-' || n < min ||
	    n > max)
		return cli_usage("%s: %u to %u", name, min, max);
	*n_r = (unsigned)n;
	return 0;
}

int cli_hidden(struct cli *cli, char *arg, const char *file,
	       const char **value_r)
{
	const char *err = NULL;
	char *v = NULL;
	size_t len = 0, n;
	int r;

	if (arg != NULL) {
		v = xstrdup(arg);
		explicit_bzero(arg, strlen(arg));
	} else {
		r = secret_read_file(file, 0, &v, &len, &err);
		if (r < 0)
			return out_error(r, err);
		/* the first line (an editor may end it with CRLF); the rest
		 * is wiped, since xfree_secret wipes only up to the NUL */
		n = strcspn(v, "\r\n");
		explicit_bzero(v + n, len - n);
	}
	cli->hidden = xreallocarray(cli->hidden, cli->n_hidden + 1,
				    sizeof(*cli->hidden));
	cli->hidden[cli->n_hidden++] = v;
	*value_r = v;
	return 0;
}

int cli_config(struct cli *cli)
{
	const char *err = NULL;
	int r;

	if (cli->cfg != NULL)
		return 0;
	r = config_load(config_path(cli->conf_path), &cli->cfg, &err);
	if (r < 0)
		return out_error(r, err);
	/* Without a writable audit log kcgidm still works (a read-only
	 * admin, say); writes are then recorded in syslog only. */
	if (audit_open("kcgidm", cli->cfg->audit_file, &err) < 0)
		log_info("%s", err);
	return 0;
}

int cli_dir(struct cli *cli)
{
	const char *err = NULL;
	int r;

	if (cli->dir != NULL)
		return 0;
	r = cli_config(cli);
	if (r != 0)
		return r;
	r = dir_open(cli->cfg, &cli->dir, &err);
	return r < 0 ? out_error(r, err) : 0;
}

int cli_idhash(struct cli *cli)
{
	const char *err = NULL;
	int r;

	if (cli->ih != NULL)
		return 0;
	r = cli_config(cli);
	if (r != 0)
		return r;
	r = idhash_open(cli->cfg->idhash_key_file, &cli->ih, &err);
	return r < 0 ? out_error(r, err) : 0;
}

static const struct command {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
} commands[] = {
	{"roster", cmd_roster},
	{"verify", cmd_verify},
	{"uid", cmd_uid},
	{"apply", cmd_apply},
	{"approve", cmd_approve},
	{"show", cmd_show},
	{"consent", cmd_consent},
	{"passwd", cmd_passwd},
	{"unlock", cmd_unlock},
	{"mail", cmd_mail},
	{"ikpd", cmd_ikpd},
	{"reset", cmd_reset},
	{"forgot-password", cmd_forgot_password},
	{"forgot-account", cmd_forgot_account},
	{"auth", cmd_auth},
	{"review", cmd_review},
	{"reject", cmd_reject},
	{"disable", cmd_disable},
	{"enable", cmd_enable},
	{"delete", cmd_delete},
	{"purge-inactive", cmd_purge},
	{"log", cmd_log},
	{"otp", cmd_otp},
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"json", no_argument, NULL, 'j'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct cli cli;
	int c, json = 0, verbose = 0, status;
	size_t i;

	secret_no_core();
	memset(&cli, 0, sizeof(cli));
	while ((c = getopt_long(argc, argv, "+c:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cli.conf_path = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			puts(PACKAGE_STRING);
			return 0;
		default:
			fputs(usage_text, stderr);
			return -KCG_EUSAGE;
		}
	}
	log_init("kcgidm", 0, verbose ? LOG_LVL_DEBUG : LOG_LVL_WARNING);
	out_init(json);
	if (optind >= argc) {
		status = cli_usage("no command given");
		goto out;
	}
	for (i = 0; i < KCG_N_ELEMENTS(commands); i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			break;
	if (i == KCG_N_ELEMENTS(commands)) {
		status = cli_usage("unknown command: %s", argv[optind]);
		goto out;
	}
	argc -= optind;
	argv += optind;
	optind = 0; /* glibc: reinitialise for the command's own options */
	status = commands[i].run(&cli, argc, argv);
out:
	audit_close();
	dir_free(&cli.dir);
	idhash_free(&cli.ih);
	config_free(&cli.cfg);
	for (i = 0; i < cli.n_hidden; i++)
		xfree_secret(&cli.hidden[i]);
	free(cli.hidden);
	return out_finish(status);
}
