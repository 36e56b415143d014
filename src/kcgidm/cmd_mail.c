/*
 * cmd_mail - `kcgidm mail queue` (what waits in the spool, and what was
 * given up) and `kcgidm mail flush` (send everything now, ignoring the
 * backoff, like `postqueue -f`). Only the configuration is needed, never
 * the directory.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "config.h"
#include "kcg.h"
#include "out.h"
#include "spool.h"

static const char usage[] = "usage: mail queue | mail flush";

/* fmt_time - T as local time for people ("-" for 0). */
static const char *fmt_time(long long t, char buf[64])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0)
		return "-";
	localtime_r(&tt, &tm);
	strftime(buf, 64, "%Y-%m-%d %H:%M:%S %Z", &tm);
	return buf;
}

/* show_text - one message for people. */
static void show_text(const struct spool_entry *e)
{
	char q[64], n[64];

	out_text("%s  %s%s", e->id, e->rcpt,
		 e->dead ? "  [DEAD 已放棄 / given up]" : "");
	out_text("  queued %s  attempts %d  next try %s",
		 fmt_time(e->queued, q), e->attempts,
		 e->dead	    ? "never"
		 : e->next_try == 0 ? "now"
				    : fmt_time(e->next_try, n));
	if (e->last_error != NULL && e->last_error[0] != '\0')
		out_text("  %s: %s", e->dead ? "reason" : "last error",
			 e->last_error);
}

/* show_json - one message as a JSON object. */
static json_t *show_json(const struct spool_entry *e)
{
	return json_pack("{s:s,s:s,s:s,s:I,s:i,s:I,s:s?,s:b}", "id", e->id,
			 "from", e->env_from, "rcpt", e->rcpt, "queued",
			 (json_int_t)e->queued, "attempts", e->attempts,
			 "next_try", (json_int_t)e->next_try, "last_error",
			 e->last_error, "dead", e->dead);
}

/* mail_queue - `mail queue`. */
static int mail_queue(struct spool *spool)
{
	struct spool_entry *entries = NULL;
	const char *err = NULL;
	json_t *list = NULL;
	size_t n = 0, i, dead = 0;
	int r;

	r = spool_list(spool, &entries, &n, &err);
	if (r < 0)
		return out_error(r, err);
	for (i = 0; i < n; i++)
		dead += entries[i].dead != 0;
	if (out_is_json()) {
		list = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(list, show_json(&entries[i]));
		json_object_set_new(out_json(), "messages", list);
	} else {
		for (i = 0; i < n; i++)
			show_text(&entries[i]);
	}
	out_int("queued", "待送 / queued", (long long)(n - dead));
	out_int("dead", "已放棄 / dead", (long long)dead);
	spool_entries_free(&entries, n);
	return 0;
}

/* mail_flush - `mail flush`. */
static int mail_flush(struct cli *cli, struct spool *spool)
{
	struct spool_drain_result res;
	const char *err = NULL;
	int r;

	r = spool_drain(spool, cli->cfg, SPOOL_DRAIN_ALL, NULL, &res, &err);
	if (r < 0)
		return out_error(r, err);
	out_int("sent", "已送出 / sent", res.sent);
	out_int("deferred", "延後重試 / deferred", res.deferred);
	out_int("dead", "已放棄 / dead", res.dead);
	if (res.deferred + res.dead == 0)
		return 0;
	out_text("部分郵件未送出，詳見 kcgidm mail queue / some mail was not "
		 "sent: see kcgidm mail queue");
	return -KCG_EMAIL;
}

int cmd_mail(struct cli *cli, int argc, char **argv)
{
	struct spool *spool = NULL;
	const char *err = NULL;
	int status, r;

	if (argc != 2 ||
	    (strcmp(argv[1], "queue") != 0 && strcmp(argv[1], "flush") != 0))
		return cli_usage("%s", usage);
	if ((status = cli_config(cli)) != 0)
		return status;
	r = spool_open(cli->cfg->spool_dir, &spool, &err);
	if (r < 0)
		return out_error(r, err);
	if (strcmp(argv[1], "queue") == 0)
		status = mail_queue(spool);
	else
		status = mail_flush(cli, spool);
	spool_free(&spool);
	return status;
}
