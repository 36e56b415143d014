/*
 * cmd_roster - `kcgidm roster import FILE.csv [--dry-run]`.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "kcg.h"
#include "out.h"
#include "roster.h"

/* print_reject - one rejected row, as text or as a JSON array element. */
static void print_reject(void *ctx, unsigned long line, const char *field,
			 const char *reason)
{
	json_t *rows = ctx;

	if (rows != NULL)
		json_array_append_new(rows, json_pack("{s:I,s:s,s:s}", "line",
						      (json_int_t)line, "field",
						      field, "reason", reason));
	else
		printf("拒絕 / rejected: line %lu: %s: %s\n", line, field,
		       reason);
}

int cmd_roster(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"dry-run", no_argument, NULL, 'n'},
		{NULL, 0, NULL, 0},
	};
	struct roster_report rep;
	const char *err = NULL, *path;
	json_t *rows = NULL;
	FILE *fp = NULL;
	int c, dry_run = 0, r, status;

	if (argc < 2 || strcmp(argv[1], "import") != 0)
		return cli_usage("usage: roster import FILE.csv [--dry-run]");
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "n", opts, NULL)) != -1) {
		if (c != 'n')
			return cli_usage("usage: roster import FILE.csv "
					 "[--dry-run]");
		dry_run = 1;
	}
	if (optind != argc - 1)
		return cli_usage("usage: roster import FILE.csv [--dry-run]");
	path = argv[optind];
	fp = fopen(path, "re");
	if (fp == NULL)
		return out_error(KCG_EINVAL,
				 err_fmt("%s: 無法開啟 / cannot open: %s", path,
					 strerror(errno)));
	if ((status = cli_dir(cli)) != 0 || (status = cli_idhash(cli)) != 0)
		goto out;
	if (out_is_json()) {
		rows = json_array();
		json_object_set_new(out_json(), "rejected_rows", rows);
	}
	r = roster_import(cli->dir, cli->ih, fp, path, dry_run, print_reject,
			  rows, &rep, &err);
	out_str("dry_run", "試算 / dry run", dry_run ? "yes" : NULL);
	out_int("added", "新增 / added", (long long)rep.added);
	out_int("updated", "更新 / updated", (long long)rep.updated);
	out_int("unchanged", "未變更 / unchanged", (long long)rep.unchanged);
	out_int("rejected", "拒絕 / rejected", (long long)rep.rejected);
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
