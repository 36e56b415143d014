/*
 * cmd_passwd - `kcgidm passwd UID [--reset]` and `kcgidm unlock UID`.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "account.h"
#include "cli.h"
#include "kcg.h"
#include "out.h"
#include "pwquality.h"
#include "secret.h"
#include "xalloc.h"

int cmd_passwd(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"reset", no_argument, NULL, 'r'},
		{"password-file", required_argument, NULL, 'f'},
		{"old-password-file", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0},
	};
	static const char usage[] =
		"usage: passwd UID [--old-password-file FILE] "
		"[--password-file FILE] | passwd UID --reset "
		"[--password-file FILE]";
	const char *pwfile = NULL, *oldfile = NULL, *err = NULL;
	char *old_pw = NULL, *new_pw = NULL;
	int c, reset = 0, r, status;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'r')
			reset = 1;
		else if (c == 'f')
			pwfile = optarg;
		else if (c == 'o')
			oldfile = optarg;
		else
			return cli_usage("%s", usage);
	}
	if (optind != argc - 1 || (reset && oldfile != NULL))
		return cli_usage("%s", usage);
	if ((status = cli_dir(cli)) != 0)
		return status;
	/* From standard input: the old password on the first line, the new
	 * one on the next. */
	if (!reset) {
		r = secret_read_password(oldfile,
					 "舊密碼 / old password: ", NULL,
					 &old_pw, &err);
		if (r < 0) {
			status = out_error(r, err);
			goto out;
		}
	}
	r = secret_read_password(pwfile, "新密碼 / new password: ",
				 "密碼確認 / new password again: ", &new_pw,
				 &err);
	if (r < 0) {
		status = out_error(r, err);
		goto out;
	}
	out_str("strength", "密碼強度 / strength",
		pwquality_strength_label(
			pwquality_strength(new_pw, strlen(new_pw))));
	if (reset)
		r = account_reset(cli->dir, argv[optind], new_pw, &err);
	else
		r = account_passwd(cli->dir, cli->cfg, argv[optind], old_pw,
				   new_pw, &err);
	if (r < 0) {
		status = out_error(r, err);
		goto out;
	}
	out_str("uid", "帳號", argv[optind]);
	out_str("result", "結果 / result", "密碼已變更 / password changed");
	status = 0;
out:
	xfree_secret(&old_pw);
	xfree_secret(&new_pw);
	return status;
}

int cmd_unlock(struct cli *cli, int argc, char **argv)
{
	const char *err = NULL;
	int r, status, was_locked = 0;

	if (argc != 2)
		return cli_usage("usage: unlock UID");
	if ((status = cli_dir(cli)) != 0)
		return status;
	r = account_unlock(cli->dir, argv[1], &was_locked, &err);
	if (r < 0)
		return out_error(r, err);
	out_str("uid", "帳號", argv[1]);
	out_str("result", "結果 / result",
		was_locked ? "已解除鎖定 / unlocked"
			   : "帳號未被鎖定 / the account was not locked");
	if (out_is_json())
		json_object_set_new(out_json(), "was_locked",
				    json_boolean(was_locked));
	return 0;
}
