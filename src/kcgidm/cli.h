/*
 * cli - what the kcgidm commands share: the configuration, the directory
 * session and the ID hash key, each opened on first use.
 */
#ifndef KCG_CLI_H
#define KCG_CLI_H

struct kcg_config;
struct dir;
struct idhash;

struct cli {
	const char *conf_path;
	struct kcg_config *cfg;
	struct dir *dir;
	struct idhash *ih;
	char **hidden; /* cli_hidden's copies, wiped and freed at exit */
	size_t n_hidden;
};

/*
 * cli_config / cli_dir / cli_idhash - open on first use. Return 0, or
 * report the failure through out_error() and return the exit status.
 */
int cli_config(struct cli *cli);
int cli_dir(struct cli *cli);
int cli_idhash(struct cli *cli);

/*
 * cli_number - parse option NAME's value V, a whole number MIN..MAX, into
 * *n_r; 0, or the usage error's exit status.
 */
int cli_number(const char *name, const char *v, unsigned min, unsigned max,
	       unsigned *n_r);

/*
 * cli_hidden - the value of an option that `ps` must not show (--national-id,
 * --token; docs/security.md, G9). With ARG (the option's value in argv) it
 * is copied and ARG is wiped in place; with FILE (--national-id-file,
 * --token-file) it is the first line of FILE, a regular file. The copy in
 * *value_r belongs to CLI, which wipes it when kcgidm exits. Returns 0, or the
 * exit status after reporting the error.
 */
int cli_hidden(struct cli *cli, char *arg, const char *file,
	       const char **value_r);

/* --jobs: worker connections for bulk work (enough to keep slapd busy on
 * a small machine without crowding a big one). */
#define CLI_JOBS_DEFAULT 4
#define CLI_JOBS_MAX	 64

/* cli_usage - report a usage error (exit 1). */
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Commands: each returns the exit status. ARGV[0] is the command name. */
int cmd_roster(struct cli *cli, int argc, char **argv);
int cmd_verify(struct cli *cli, int argc, char **argv);
int cmd_uid(struct cli *cli, int argc, char **argv);
int cmd_apply(struct cli *cli, int argc, char **argv);
int cmd_approve(struct cli *cli, int argc, char **argv);
int cmd_show(struct cli *cli, int argc, char **argv);
int cmd_consent(struct cli *cli, int argc, char **argv);
int cmd_passwd(struct cli *cli, int argc, char **argv);
int cmd_unlock(struct cli *cli, int argc, char **argv);
int cmd_mail(struct cli *cli, int argc, char **argv);
int cmd_ikpd(struct cli *cli, int argc, char **argv);
int cmd_reset(struct cli *cli, int argc, char **argv);
int cmd_forgot_password(struct cli *cli, int argc, char **argv);
int cmd_forgot_account(struct cli *cli, int argc, char **argv);
int cmd_auth(struct cli *cli, int argc, char **argv);
int cmd_review(struct cli *cli, int argc, char **argv);
int cmd_reject(struct cli *cli, int argc, char **argv);
int cmd_disable(struct cli *cli, int argc, char **argv);
int cmd_enable(struct cli *cli, int argc, char **argv);
int cmd_delete(struct cli *cli, int argc, char **argv);
int cmd_purge(struct cli *cli, int argc, char **argv);
int cmd_log(struct cli *cli, int argc, char **argv);
int cmd_otp(struct cli *cli, int argc, char **argv);

/* apply --batch: the options that apply to every row. */
struct batch_args {
	const char *path;
	const char *privacy_version;
	const char *mail_rules_version; /* NULL: no row may ask for mail */
	int approve;			/* approve each account at once */
	unsigned jobs;
};
/* cmd_apply_batch - apply for every row of ARGS->path (see cmd_batch.c). */
int cmd_apply_batch(struct cli *cli, const struct batch_args *args);

#endif
