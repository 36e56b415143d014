/*
 * outbox - compose and queue a mail (see outbox.h).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "err.h"
#include "kcg.h"
#include "log.h"
#include "mailmsg.h"
#include "outbox.h"
#include "spool.h"

int outbox_send(const struct kcg_config *cfg, const char *from, const char *to,
		const char *subject, const char *body, const char **error_r)
{
	struct mailmsg_spec spec = {from, to, subject, body};
	struct spool *spool = NULL;
	char *msg = NULL, *env_from = NULL, *env_to = NULL, *id = NULL;
	size_t len = 0;
	int r;

	r = mailmsg_compose(&spec, &msg, &len, &env_from, &env_to, error_r);
	if (r < 0)
		goto out;
	r = spool_open(cfg->spool_dir, &spool, error_r);
	if (r == 0)
		r = spool_enqueue(spool, env_from, env_to, msg, len, &id,
				  error_r);
	if (r < 0) {
		if (r != KCG_EINVAL)
			r = KCG_EMAIL;
		goto out;
	}
	log_info("queued %s for %s", id, env_to);
out:
	spool_free(&spool);
	free(id);
	free(env_to);
	free(env_from);
	free(msg);
	return r;
}

void outbox_taipei_time(long long t, char out[64])
{
	time_t tt = (time_t)(t + 8 * 3600);
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 64, "%Y-%m-%d %H:%M（台北時間）", &tm);
}
