/*
 * cmd_lifecycle - review, reject, disable, enable, delete,
 * purge-inactive, and log (an account's history from the audit log).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "config.h"
#include "err.h"
#include "kcg.h"
#include "lifecycle.h"
#include "out.h"
#include "progress.h"
#include "uidname.h"

/* Where print_finding reports, and how many findings were errors. */
struct findings {
	json_t *list;
	unsigned long errors, n;
	struct progress *progress; /* purge on a terminal; else NULL */
};

/* print_finding - one decision of review or purge. */
static void print_finding(void *ctx, const char *uid, const char *decision,
			  const char *reason)
{
	struct findings *f = ctx;
	json_t *list = f->list;

	if (strcmp(decision, "error") == 0)
		f->errors++;
	if (list != NULL)
		json_array_append_new(list,
				      json_pack("{s:s,s:s,s:s}", "uid", uid,
						"decision", decision, "reason",
						reason ? reason : ""));
	else {
		progress_clear(f->progress);
		printf("%-20s %-18s %s\n", uid, decision, reason ? reason : "");
		fflush(stdout);
	}
	progress_update(f->progress, ++f->n);
}

/* uid_reason - shared option parsing of reject/disable/enable/delete:
 * UID --reason TEXT [--yes]. */
static int uid_reason(int argc, char **argv, const char *usage,
		      const char **uid_r, const char **reason_r, int *yes_r)
{
	static const struct option opts[] = {
		{"reason", required_argument, NULL, 'r'},
		{"yes", no_argument, NULL, 'y'},
		{NULL, 0, NULL, 0},
	};
	int c;

	*reason_r = NULL;
	*yes_r = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'r')
			*reason_r = optarg;
		else if (c == 'y')
			*yes_r = 1;
		else
			return cli_usage("%s", usage);
	}
	if (optind != argc - 1)
		return cli_usage("%s", usage);
	*uid_r = argv[optind];
	return 0;
}

/* findings_status - the exit status after R and the findings F. */
static int findings_status(int r, const char *err, const struct findings *f)
{
	if (r < 0)
		return out_error(r, err);
	if (f->errors > 0)
		return out_error(KCG_EINTERNAL,
				 err_fmt("%lu 個帳號處理失敗 / %lu accounts "
					 "failed (see above)",
					 f->errors, f->errors));
	return 0;
}

/* done - print the outcome of a single-account action. */
static int done(int r, const char *err, const char *uid, const char *what)
{
	if (r < 0)
		return out_error(r, err);
	out_str("uid", "帳號", uid);
	out_str("result", "結果 / result", what);
	return 0;
}

int cmd_reject(struct cli *cli, int argc, char **argv)
{
	const char *uid, *reason, *err = NULL;
	int yes, status;

	status = uid_reason(argc, argv, "usage: reject UID --reason TEXT", &uid,
			    &reason, &yes);
	if (status != 0 || (status = cli_dir(cli)) != 0)
		return status;
	status = lifecycle_reject(cli->dir, cli->cfg, uid, reason, &err);
	return done(status, err, uid, "申請已退回 / application rejected");
}

int cmd_disable(struct cli *cli, int argc, char **argv)
{
	const char *uid, *reason, *err = NULL;
	int yes, status, changed = 0, r;

	status = uid_reason(argc, argv, "usage: disable UID --reason TEXT",
			    &uid, &reason, &yes);
	if (status != 0 || (status = cli_dir(cli)) != 0)
		return status;
	r = lifecycle_disable(cli->dir, uid, reason, &changed, &err);
	return done(r, err, uid,
		    changed ? "已停用 / disabled"
			    : "原已停用 / was disabled already");
}

int cmd_enable(struct cli *cli, int argc, char **argv)
{
	const char *uid, *reason, *err = NULL;
	int yes, status;

	status = uid_reason(argc, argv, "usage: enable UID [--reason TEXT]",
			    &uid, &reason, &yes);
	if (status != 0 || (status = cli_dir(cli)) != 0)
		return status;
	status = lifecycle_enable(cli->dir, uid, reason, &err);
	return done(status, err, uid, "已啟用 / enabled");
}

int cmd_delete(struct cli *cli, int argc, char **argv)
{
	const char *uid, *reason, *err = NULL;
	int yes, status;

	status = uid_reason(argc, argv, "usage: delete UID --yes --reason TEXT",
			    &uid, &reason, &yes);
	if (status != 0)
		return status;
	if (!yes)
		return cli_usage("delete removes the account for good: add "
				 "--yes");
	if ((status = cli_dir(cli)) != 0)
		return status;
	status = lifecycle_delete(cli->dir, uid, reason, &err);
	return done(status, err, uid, "已刪除 / deleted");
}

int cmd_review(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"dry-run", no_argument, NULL, 'n'},
		{NULL, 0, NULL, 0},
	};
	const char *err = NULL;
	struct findings f = {NULL, 0, 0, NULL};
	int c, dry_run = 0, r, status;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'n')
			return cli_usage("usage: review [--dry-run]");
		dry_run = 1;
	}
	if (optind != argc)
		return cli_usage("usage: review [--dry-run]");
	if ((status = cli_dir(cli)) != 0)
		return status;
	if (out_is_json()) {
		f.list = json_array();
		json_object_set_new(out_json(), "applications", f.list);
	}
	out_str("mode", "審核模式 / review mode", cli->cfg->review_mode);
	r = lifecycle_review(cli->dir, cli->cfg, dry_run, print_finding, &f,
			     &err);
	return findings_status(r, err, &f);
}

int cmd_purge(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"days", required_argument, NULL, 'd'},
		{"dry-run", no_argument, NULL, 'n'},
		{"disable", no_argument, NULL, 'D'},
		{"delete", no_argument, NULL, 'X'},
		{NULL, 0, NULL, 0},
	};
	static const char usage[] = "usage: purge-inactive [--days N] "
				    "[--dry-run|--disable|--delete]";
	enum lifecycle_purge_mode mode = PURGE_DRY_RUN;
	const char *err = NULL;
	struct findings f = {NULL, 0, 0, NULL};
	char *end = NULL;
	long days = 365;
	int c, r, status, modes = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			errno = 0;
			days = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || days < 1 ||
			    days > 36500)
				return cli_usage("--days: a number of days, "
						 "1 to 36500");
			break;
		case 'n':
			modes++;
			break;
		case 'D':
			mode = PURGE_DISABLE;
			modes++;
			break;
		case 'X':
			mode = PURGE_DELETE;
			modes++;
			break;
		default:
			return cli_usage("%s", usage);
		}
	}
	if (optind != argc || modes > 1)
		return cli_usage("%s", usage);
	if ((status = cli_dir(cli)) != 0)
		return status;
	if (out_is_json()) {
		f.list = json_array();
		json_object_set_new(out_json(), "findings", f.list);
	}
	out_str("mode", "模式 / mode",
		mode == PURGE_DRY_RUN	? "dry-run (試算，未變更)"
		: mode == PURGE_DISABLE ? "disable"
					: "delete");
	if (mode != PURGE_DRY_RUN) /* writes: can take a while */
		progress_new(stderr, "purge-inactive", 0, &f.progress);
	r = lifecycle_purge(cli->dir, cli->cfg, (int)days, mode, print_finding,
			    &f, &err);
	progress_free(&f.progress);
	return findings_status(r, err, &f);
}

/* about - true when an audit record's TARGET is account UID: the uid
 * itself or its mail address (IKPD registration records the address as
 * typed, "UID" or "UID@DOMAIN", in any case). */
static int about(const char *target, const char *uid, const char *domain)
{
	size_t n = strlen(uid);

	if (target == NULL || strncasecmp(target, uid, n) != 0)
		return 0;
	return target[n] == '\0' ||
	       (target[n] == '@' && strcasecmp(target + n + 1, domain) == 0);
}

int cmd_log(struct cli *cli, int argc, char **argv)
{
	char uid[UIDNAME_MAX + 1], line[4096];
	const char *err = NULL, *target;
	json_t *list = NULL, *j;
	json_error_t jerr;
	FILE *fp;
	int r, status, n = 0;

	if (argc != 2)
		return cli_usage("usage: log UID");
	r = uidname_normalize(argv[1], uid, &err);
	if (r < 0)
		return out_error(r, err);
	if ((status = cli_config(cli)) != 0)
		return status;
	fp = fopen(cli->cfg->audit_file, "re");
	if (fp == NULL)
		return out_error(KCG_EINTERNAL,
				 err_fmt("%s: %s", cli->cfg->audit_file,
					 strerror(errno)));
	if (out_is_json()) {
		list = json_array();
		json_object_set_new(out_json(), "events", list);
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		j = json_loads(line, 0, &jerr);
		if (j == NULL)
			continue;
		target = json_string_value(json_object_get(j, "target"));
		if (about(target, uid, cli->cfg->mail_domain)) {
			n++;
			if (list != NULL) {
				json_array_append(list, j);
			} else {
				const char *reason = json_string_value(
					json_object_get(j, "reason"));

				printf("%s  %-16s %-10s %s%s%s\n",
				       json_string_value(
					       json_object_get(j, "time")),
				       json_string_value(
					       json_object_get(j, "action")),
				       json_string_value(
					       json_object_get(j, "result")),
				       json_string_value(
					       json_object_get(j, "actor")),
				       reason ? "  " : "",
				       reason ? reason : "");
			}
		}
		json_decref(j);
	}
	fclose(fp);
	if (n == 0)
		return out_error(KCG_ENOTFOUND,
				 err_fmt("稽核紀錄中沒有 %s / no events for "
					 "%s",
					 uid, uid));
	return 0;
}
