/*
 * cmd_ikpd - the IKPD registration (`ikpd register`, `ikpd activate`) and
 * the sign-in page's recovery links (`forgot-password`, `reset`,
 * `forgot-account`).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "ikpd.h"
#include "kcg.h"
#include "out.h"
#include "outbox.h"
#include "pwquality.h"
#include "recovery.h"
#include "secret.h"
#include "xalloc.h"

/* ikpd_register_cmd - steps 1 to 3 of the seed's IKPD registration. */
static int ikpd_register_cmd(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"mail", required_argument, NULL, 'm'},
		{"national-id", required_argument, NULL, 'i'},
		{"national-id-file", required_argument, NULL, 'I'},
		{"birth-date", required_argument, NULL, 'b'},
		{"password-file", required_argument, NULL, 'f'},
		{NULL, 0, NULL, 0},
	};
	static const char usage[] =
		"usage: ikpd register --mail LOCAL[@kcg.gov.tw] --national-id "
		"ID|--national-id-file FILE --birth-date YYY-MM-DD "
		"[--password-file FILE]";
	struct ikpd_register_req req;
	struct ikpd_registration *reg = NULL;
	const char *pwfile = NULL, *err = NULL;
	char *pw = NULL, when[64];
	int c, r, status;

	memset(&req, 0, sizeof(req));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'm')
			req.mail = optarg;
		else if (c == 'i' || c == 'I') {
			if ((status = cli_hidden(cli, c == 'i' ? optarg : NULL,
						 optarg, &req.national_id)) !=
			    0)
				return status;
		} else if (c == 'b')
			req.birth_date = optarg;
		else if (c == 'f')
			pwfile = optarg;
		else
			return cli_usage("%s", usage);
	}
	if (req.mail == NULL || req.national_id == NULL ||
	    req.birth_date == NULL || optind != argc)
		return cli_usage("%s", usage);
	if ((status = cli_dir(cli)) != 0 || (status = cli_idhash(cli)) != 0)
		return status;
	r = secret_read_password(
		pwfile, "請輸入帳號密碼 / account password: ", NULL, &pw, &err);
	if (r < 0)
		return out_error(r, err);
	req.password = pw;
	r = ikpd_register(cli->dir, cli->cfg, cli->ih, &req, &reg, &err);
	xfree_secret(&pw);
	if (r < 0)
		return out_error(r, err);
	outbox_taipei_time(reg->expiry, when);
	out_text("%s 您好，以下為你的登入帳號", reg->name);
	out_str("uid", "登入帳號", reg->uid);
	out_str("mail", "帳號確認信已寄至 / activation mail sent to",
		reg->mail);
	out_str("expires", "連結失效時間 / the link expires", when);
	out_text("請到您的信箱打開該封信，點擊信內的超連結，即可完成帳號開通。"
		 "(注意：該超連結於%d小時後自動失效)",
		 cli->cfg->ikpd_token_hours);
	ikpd_registration_free(&reg);
	return 0;
}

/* token_password_cmd - shared by `ikpd activate` and `reset`. */
static int token_password_cmd(struct cli *cli, int argc, char **argv,
			      int activate)
{
	static const struct option opts[] = {
		{"token", required_argument, NULL, 't'},
		{"token-file", required_argument, NULL, 'T'},
		{"password-file", required_argument, NULL, 'f'},
		{NULL, 0, NULL, 0},
	};
	const char *token = NULL, *pwfile = NULL, *err = NULL;
	char *pw = NULL, *uid = NULL;
	int c, r, status;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 't' || c == 'T') {
			if ((status = cli_hidden(cli, c == 't' ? optarg : NULL,
						 optarg, &token)) != 0)
				return status;
		} else if (c == 'f')
			pwfile = optarg;
		else
			token = NULL, optind = argc + 1;
	}
	if (token == NULL || optind != argc)
		return cli_usage("usage: %s --token TOKEN|--token-file FILE "
				 "[--password-file FILE]",
				 activate ? "ikpd activate" : "reset");
	if ((status = cli_dir(cli)) != 0)
		return status;
	if (activate)
		r = secret_read_password(pwfile, "密碼 / password: ", NULL, &pw,
					 &err);
	else
		r = secret_read_password(pwfile, "新密碼 / new password: ",
					 "密碼確認 / new password again: ", &pw,
					 &err);
	if (r < 0)
		return out_error(r, err);
	if (!activate)
		out_str("strength", "密碼強度 / strength",
			pwquality_strength_label(
				pwquality_strength(pw, strlen(pw))));
	r = activate
		    ? ikpd_activate(cli->dir, cli->cfg, token, pw, &uid, &err)
		    : recovery_reset(cli->dir, cli->cfg, token, pw, &uid, &err);
	xfree_secret(&pw);
	if (r < 0)
		return out_error(r, err);
	out_str("uid", "登入帳號", uid);
	out_str("result", "結果 / result",
		activate ? IKPD_MSG_ACTIVATED
			 : "密碼已重設，請以新密碼登入 / the password was "
			   "reset");
	free(uid);
	return 0;
}

int cmd_ikpd(struct cli *cli, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "register") == 0)
		return ikpd_register_cmd(cli, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "activate") == 0)
		return token_password_cmd(cli, argc - 1, argv + 1, 1);
	return cli_usage("usage: ikpd register|activate ...");
}

int cmd_reset(struct cli *cli, int argc, char **argv)
{
	return token_password_cmd(cli, argc, argv, 0);
}

int cmd_forgot_password(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"uid", required_argument, NULL, 'u'},
		{NULL, 0, NULL, 0},
	};
	const char *uid = NULL, *err = NULL;
	int c, r, status;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
		uid = c == 'u' ? optarg : NULL;
	if (uid == NULL || optind != argc)
		return cli_usage("usage: forgot-password --uid UID");
	if ((status = cli_dir(cli)) != 0)
		return status;
	r = recovery_forgot_password(cli->dir, cli->cfg, uid, &err);
	if (r < 0)
		return out_error(r, err);
	out_str("result", "結果 / result", RECOVERY_MSG_SENT);
	return 0;
}

int cmd_forgot_account(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"name", required_argument, NULL, 'n'},
		{"national-id", required_argument, NULL, 'i'},
		{"national-id-file", required_argument, NULL, 'I'},
		{NULL, 0, NULL, 0},
	};
	const char *name = NULL, *id = NULL, *err = NULL;
	int c, r, status;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'n')
			name = optarg;
		else if (c == 'i' || c == 'I') {
			if ((status = cli_hidden(cli, c == 'i' ? optarg : NULL,
						 optarg, &id)) != 0)
				return status;
		} else
			name = NULL, optind = argc + 1;
	}
	if (name == NULL || id == NULL || optind != argc)
		return cli_usage("usage: forgot-account --name NAME "
				 "--national-id ID|--national-id-file FILE");
	if ((status = cli_dir(cli)) != 0 || (status = cli_idhash(cli)) != 0)
		return status;
	r = recovery_forgot_account(cli->dir, cli->cfg, cli->ih, name, id,
				    &err);
	if (r < 0)
		return out_error(r, err);
	out_str("result", "結果 / result", RECOVERY_MSG_SENT);
	return 0;
}
