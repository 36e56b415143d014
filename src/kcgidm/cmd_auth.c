/*
 * cmd_auth - `kcgidm auth test UID --service mail|ikpd`: the login
 * sequence of the mail server or the portal, with the step that failed.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "authcheck.h"
#include "cli.h"
#include "kcg.h"
#include "out.h"
#include "roster.h"
#include "secret.h"
#include "xalloc.h"

int cmd_auth(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"service", required_argument, NULL, 's'},
		{"password-file", required_argument, NULL, 'f'},
		{NULL, 0, NULL, 0},
	};
	static const char usage[] = "usage: auth test UID --service mail|ikpd "
				    "[--password-file FILE]";
	struct authcheck_result res;
	enum authcheck_service svc = AUTHCHECK_MAIL;
	const char *service = NULL, *pwfile = NULL, *err = NULL;
	char *pw = NULL;
	json_t *steps = NULL;
	size_t i;
	int c, r, status;

	if (argc < 2 || strcmp(argv[1], "test") != 0)
		return cli_usage("%s", usage);
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			service = optarg;
		else if (c == 'f')
			pwfile = optarg;
		else
			return cli_usage("%s", usage);
	}
	if (optind != argc - 1 || service == NULL ||
	    (strcmp(service, "mail") != 0 && strcmp(service, "ikpd") != 0))
		return cli_usage("%s", usage);
	svc = strcmp(service, "mail") == 0 ? AUTHCHECK_MAIL : AUTHCHECK_IKPD;
	if ((status = cli_dir(cli)) != 0)
		return status;
	r = secret_read_password(pwfile, "密碼 / password: ", NULL, &pw, &err);
	if (r < 0)
		return out_error(r, err);
	r = authcheck_run(cli->dir, cli->cfg, svc, argv[optind], pw, &res,
			  &err);
	xfree_secret(&pw);
	if (out_is_json()) {
		steps = json_array();
		for (i = 0; i < res.n_steps; i++)
			json_array_append_new(
				steps, json_pack("{s:s,s:b,s:s}", "step",
						 res.steps[i].label, "ok",
						 res.steps[i].ok, "detail",
						 res.steps[i].detail));
		json_object_set_new(out_json(), "steps", steps);
	} else {
		for (i = 0; i < res.n_steps; i++)
			printf("%zu %s: %s%s%s\n", i + 1, res.steps[i].label,
			       res.steps[i].ok ? "ok" : "FAILED",
			       res.steps[i].detail[0] ? " - " : "",
			       res.steps[i].detail);
	}
	if (r < 0) {
		authcheck_result_clear(&res);
		return out_error(r, err);
	}
	out_str("result", "結果 / result", "登入成功 / login succeeded");
	out_str("uid", "帳號", argv[optind]);
	out_str("name", "姓名", res.name);
	out_str("agency", "機關", res.agency);
	out_str("account_type", "帳號類型",
		out_is_json() ? res.account_type
			      : roster_account_type_label(res.account_type));
	out_str("login_method", "登入方式", "帳密");
	out_time("last_login", "登入資訊 / last login",
		 res.last_login && res.last_login[0] ? res.last_login : NULL);
	authcheck_result_clear(&res);
	return 0;
}
