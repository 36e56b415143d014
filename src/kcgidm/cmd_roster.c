/*
 * cmd_roster - `kcgidm roster import FILE.csv [--dry-run] [--full]` and
 * `kcgidm roster export-ldif FILE.csv` (LDIF for a first slapadd -q).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "kcg.h"
#include "out.h"
#include "config.h"
#include "progress.h"
#include "roster.h"
#include "secret.h"

/* Where the per-row and per-account reports go in JSON mode. */
struct roster_out {
	json_t *rows, *accounts;
	struct progress *progress; /* on a terminal only */
};

/* print_progress - rows done so far, on a terminal. */
static void print_progress(void *ctx, const struct roster_report *rep)
{
	struct roster_out *o = ctx;

	progress_update(o->progress, rep->added + rep->updated +
					     rep->unchanged + rep->rejected);
}

/* print_account - an account that an HR change touched. */
static void print_account(void *ctx, const char *uid, const char *change)
{
	struct roster_out *o = ctx;

	if (o->accounts != NULL)
		json_array_append_new(
			o->accounts,
			json_pack("{s:s,s:s}", "uid", uid, "change", change));
	else {
		progress_clear(o->progress);
		printf("帳號 / account %s: %s\n", uid,
		       strcmp(change, "disabled") == 0
			       ? "已停用 (離職) / disabled (left)"
			       : "已依人事資料更新 / updated from the roster");
	}
}

/* print_reject - one rejected row, as text or as a JSON array element. */
static void print_reject(void *ctx, unsigned long line, const char *field,
			 const char *reason)
{
	struct roster_out *o = ctx;
	json_t *rows = o->rows;

	if (rows != NULL)
		json_array_append_new(rows, json_pack("{s:I,s:s,s:s}", "line",
						      (json_int_t)line, "field",
						      field, "reason", reason));
	else {
		progress_clear(o->progress);
		printf("拒絕 / rejected: line %lu: %s: %s\n", line, field,
		       reason);
	}
}

/* roster_export - `roster export-ldif FILE.csv`: LDIF for slapadd -q. */
static int roster_export(struct cli *cli, const char *path,
			 struct roster_options *opt)
{
	struct roster_report rep;
	const char *err = NULL;
	FILE *fp = NULL;
	int r, status;

	if ((status = cli_config(cli)) != 0 || (status = cli_idhash(cli)) != 0)
		return status;
	r = secret_fopen(path, 0, &fp, &err);
	if (r < 0)
		return out_error(r, err);
	/* the LDIF owns stdout: rejects and counts go to stderr */
	out_init(0);
	r = roster_export_ldif(cli->ih, cli->cfg->ldap_suffix, fp, path, stdout,
			       opt, &rep, &err);
	fclose(fp);
	if (r < 0) {
		fprintf(stderr, "kcgidm: %s\n", err);
		return -r;
	}
	fprintf(stderr, "匯出 / exported: %lu, 拒絕 / rejected: %lu\n",
		rep.added, rep.rejected);
	return rep.rejected > 0 ? -KCG_EINVAL : 0;
}

/* print_reject_stderr - a rejected row, while stdout carries LDIF. */
static void print_reject_stderr(void *ctx, unsigned long line,
				const char *field, const char *reason)
{
	(void)ctx;
	fprintf(stderr, "拒絕 / rejected: line %lu: %s: %s\n", line, field,
		reason);
}

int cmd_roster(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"dry-run", no_argument, NULL, 'n'},
		{"full", no_argument, NULL, 'F'},
		{"batch-size", required_argument, NULL, 'b'},
		{"jobs", required_argument, NULL, 'j'},
		{"max-left", required_argument, NULL, 'L'},
		{NULL, 0, NULL, 0},
	};
	static const char usage[] =
		"usage: roster import FILE.csv [--dry-run] [--full "
		"[--max-left PERCENT]] [--batch-size N] [--jobs N]\n"
		"       roster export-ldif FILE.csv > FILE.ldif";
	struct roster_report rep;
	struct roster_out o = {NULL, NULL, NULL};
	struct roster_options opt = {
		.reject = print_reject,
		.account = print_account,
		.progress = print_progress,
		.ctx = &o,
		.jobs = CLI_JOBS_DEFAULT,
	};
	const char *err = NULL, *path;
	FILE *fp = NULL;
	int c, r, status, export;

	if (argc < 2 || (strcmp(argv[1], "import") != 0 &&
			 strcmp(argv[1], "export-ldif") != 0))
		return cli_usage("%s", usage);
	export = strcmp(argv[1], "export-ldif") == 0;
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'n' && !export)
			opt.dry_run = 1;
		else if (c == 'F' && !export)
			opt.full = 1;
		else if (c == 'b' && !export) {
			if ((status = cli_number("--batch-size", optarg, 1,
						 ROSTER_BATCH_MAX,
						 &opt.batch)) != 0)
				return status;
		} else if (c == 'j' && !export) {
			if ((status = cli_number("--jobs", optarg, 1,
						 CLI_JOBS_MAX, &opt.jobs)) != 0)
				return status;
		} else if (c == 'L' && !export) {
			if ((status = cli_number("--max-left", optarg, 1, 100,
						 &opt.max_left)) != 0)
				return status;
		} else
			return cli_usage("%s", usage);
	}
	if (optind != argc - 1 || (opt.max_left > 0 && !opt.full))
		return cli_usage("%s", usage);
	path = argv[optind];
	if (export) {
		opt.reject = print_reject_stderr;
		opt.progress = NULL;
		return roster_export(cli, path, &opt);
	}
	r = secret_fopen(path, 0, &fp, &err);
	if (r < 0)
		return out_error(r, err);
	if ((status = cli_dir(cli)) != 0 || (status = cli_idhash(cli)) != 0)
		goto out;
	opt.cfg = cli->cfg;
	if (out_is_json()) {
		o.rows = json_array();
		o.accounts = json_array();
		json_object_set_new(out_json(), "rejected_rows", o.rows);
		json_object_set_new(out_json(), "accounts", o.accounts);
	}
	progress_new(stderr, "roster import", 0, &o.progress);
	r = roster_import(cli->dir, cli->ih, fp, path, &opt, &rep, &err);
	progress_done(o.progress);
	progress_free(&o.progress);
	out_str("dry_run", "試算 / dry run", opt.dry_run ? "yes" : NULL);
	out_int("added", "新增 / added", (long long)rep.added);
	out_int("updated", "更新 / updated", (long long)rep.updated);
	out_int("unchanged", "未變更 / unchanged", (long long)rep.unchanged);
	out_int("rejected", "拒絕 / rejected", (long long)rep.rejected);
	if (opt.full)
		out_int("left", "離職 (不在檔案中) / left (not in the file)",
			(long long)rep.left);
	out_int("accounts_updated", "帳號更新 / accounts updated",
		(long long)rep.accounts_updated);
	out_int("accounts_disabled", "帳號停用 / accounts disabled",
		(long long)rep.accounts_disabled);
	if (rep.full_skipped)
		out_text("--full 未套用：有資料列被拒絕，請先修正檔案 / --full "
			 "was not applied because rows were rejected");
	if (r < 0)
		status = out_error(r, err);
	else if (rep.rejected > 0)
		status = out_error(KCG_EINVAL,
				   err_fmt("%lu 列被拒絕 / %lu rows rejected "
					   "(the others were imported)",
					   rep.rejected, rep.rejected));
	else
		status = 0;
out:
	fclose(fp);
	return status;
}
