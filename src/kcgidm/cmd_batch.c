/*
 * cmd_batch - `kcgidm apply --batch FILE.csv`: many applications at once,
 * for onboarding a whole school or moving people over from an old system.
 *
 * The file holds passwords, so it must be a regular file of mode 0600.
 * Columns (header row required, any order):
 *   national_id,name,uid,mail,recovery_mail,password
 * mail is yes|no (是|否); recovery_mail is required with a mailbox. Each
 * row goes through account_apply, the very checks of a single `apply`
 * (roster, uid rules and uniqueness, the seed's password rules and then
 * slapd's policy), and with --approve through account_approve. The rows
 * are spread over --jobs worker connections, because slapd hashes each
 * password with ARGON2 and that keeps every core busy; the report still
 * comes out in file order, one line per row.
 *
 * SECURITY: passwords pass from the file's stdio buffer (ours, wiped at
 * the end) to a worker over a pipe, and every buffer that held one is
 * wiped after use. They are never logged or printed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "cli.h"
#include "config.h"
#include "csv.h"
#include "dir.h"
#include "err.h"
#include "kcg.h"
#include "natid.h"
#include "out.h"
#include "pool.h"
#include "progress.h"
#include "secret.h"
#include "uidname.h"
#include "xalloc.h"

enum bcol {
	BC_NATID,
	BC_NAME,
	BC_UID,
	BC_MAIL,
	BC_RECOVERY,
	BC_PASSWORD,
	BC_N
};

static const char *const bcol_names[BC_N] = {
	"national_id", "name", "uid", "mail", "recovery_mail", "password",
};

/* What every row shares, and the running totals (in the parent). */
struct bctx {
	const struct batch_args *args;
	struct cli *cli;
	json_t *rows; /* JSON mode */
	struct progress *progress;
	unsigned long ok, failed, done;
	int worst; /* the most telling failure code, for the exit status */
};

/* row_report - one row's outcome, as text or JSON. */
static void row_report(struct bctx *b, unsigned long line, const char *uid,
		       int r, const char *what)
{
	if (r < 0) {
		b->failed++;
		if (b->worst == 0 || r == KCG_EDIR || r == KCG_EINTERNAL)
			b->worst = r;
	} else {
		b->ok++;
	}
	b->done++;
	progress_clear(b->progress);
	if (b->rows != NULL)
		json_array_append_new(
			b->rows, json_pack("{s:I,s:s?,s:b,s:i,s:s}", "line",
					   (json_int_t)line, "uid", uid, "ok",
					   r == 0, "exit", -r, "result", what));
	else if (r < 0)
		printf("line %lu: %s: 失敗 / failed: %s\n", line,
		       uid != NULL ? uid : "-", what);
	else
		printf("line %lu: %s: %s\n", line, uid, what);
	fflush(stdout); /* before the progress line comes back on stderr */
	progress_update(b->progress, b->done);
}

/* ---- in a worker ----------------------------------------------------------
 */

static int bworker_init(void *ctx, void **state_r, const char **error_r)
{
	struct bctx *b = ctx;
	struct dir *dir = NULL;
	int r;

	r = dir_open(b->cli->cfg, &dir, error_r);
	if (r == 0)
		*state_r = dir;
	return r;
}

/* bworker_work - request: line, then the six fields; reply: line, code,
 * uid, result. */
static void bworker_work(void *ctx, void *state, const void *req, size_t len,
			 struct pool_msg *reply)
{
	const struct bctx *b = ctx;
	const struct batch_args *args = b->args;
	struct account_apply_req ar;
	struct account_receipt *rc = NULL;
	struct pool_cursor c;
	const char *f[BC_N], *err = NULL, *mail;
	unsigned long long line, code;
	int r, i;

	pool_cursor_init(&c, req, len);
	line = pool_get_u64(&c);
	code = pool_get_u64(&c);
	for (i = 0; i < BC_N; i++)
		f[i] = pool_get_str(&c);
	if (c.bad) {
		r = KCG_EINTERNAL;
		err = "bad request";
		goto out;
	}
	if (code != 0) { /* refused by the parent: keep its place */
		r = -(int)code;
		err = f[BC_PASSWORD]; /* the reason, in the password's place */
		goto out;
	}
	memset(&ar, 0, sizeof(ar));
	ar.name = f[BC_NAME];
	ar.national_id = f[BC_NATID];
	ar.uid = f[BC_UID];
	ar.password = f[BC_PASSWORD];
	ar.privacy_version = args->privacy_version;
	mail = f[BC_MAIL];
	ar.want_mail = strcmp(mail, "yes") == 0 || strcmp(mail, "是") == 0;
	if (ar.want_mail) {
		ar.mail_rules_version = args->mail_rules_version;
		ar.recovery_mail = f[BC_RECOVERY];
	} else if (f[BC_RECOVERY][0] != '\0') {
		ar.recovery_mail = f[BC_RECOVERY];
	}
	r = account_apply(state, b->cli->cfg, b->cli->ih, &ar, &rc, &err);
	if (r == 0 && args->approve)
		r = account_approve(state, rc->uid, &err);
	if (r == 0)
		err = args->approve ? "已啟用 / active"
				    : "已申請，待審核 / pending";
out:
	pool_msg_put_u64(reply, line);
	pool_msg_put_u64(reply, (unsigned long long)-r);
	pool_msg_put_str(reply, rc != NULL ? rc->uid : f[BC_UID]);
	pool_msg_put_str(reply, err);
	account_receipt_free(&rc);
}

/* ---- in the parent ---------------------------------------------------------
 */

static void bdone(void *ctx, unsigned long tag, const void *data, size_t len,
		  const char *error)
{
	struct bctx *b = ctx;
	struct pool_cursor c;
	unsigned long long line, code;
	const char *uid, *what;

	if (data == NULL) {
		row_report(b, tag, NULL, KCG_EDIR, error);
		return;
	}
	pool_cursor_init(&c, data, len);
	line = pool_get_u64(&c);
	code = pool_get_u64(&c);
	uid = pool_get_str(&c);
	what = pool_get_str(&c);
	if (c.bad || code > 8)
		row_report(b, tag, NULL, KCG_EINTERNAL, "bad reply");
	else
		row_report(b, (unsigned long)line, uid, -(int)code,
			   what != NULL ? what : "");
}

/* header_map - the position of each column in FIELDS. */
static int header_map(char **fields, size_t n, int map[BC_N],
		      const char **error_r)
{
	size_t i;
	int c;

	for (c = 0; c < BC_N; c++)
		map[c] = -1;
	for (i = 0; i < n; i++) {
		for (c = 0; c < BC_N; c++)
			if (strcmp(fields[i], bcol_names[c]) == 0)
				break;
		if (c == BC_N || map[c] >= 0) {
			*error_r = err_fmt("第 %zu 欄：未知或重複的欄位 / "
					   "column %zu: unknown or repeated",
					   i + 1, i + 1);
			return KCG_EINVAL;
		}
		map[c] = (int)i;
	}
	for (c = 0; c < BC_N; c++)
		if (map[c] < 0) {
			*error_r = err_fmt("缺少欄位 / missing column \"%s\"",
					   bcol_names[c]);
			return KCG_EINVAL;
		}
	return 0;
}

/* A small set of strings: the IDs and uids seen, to refuse repeats. */
struct strset {
	char **v;
	size_t n, cap;
};

static int strset_add(struct strset *s, const char *v)
{
	size_t i;

	for (i = 0; i < s->n; i++) /* batches are hundreds of rows */
		if (strcmp(s->v[i], v) == 0)
			return 1;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->v = xreallocarray(s->v, s->cap, sizeof(*s->v));
	}
	s->v[s->n++] = xstrdup(v);
	return 0;
}

static void strset_free(struct strset *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

/* row_check - what the parent checks before a row goes out: the column
 * count, yes/no, and no person or uid twice in the file. */
static int row_check(char **f, const int map[BC_N], struct strset *ids,
		     struct strset *uids, int *want_mail_r,
		     const char **error_r)
{
	char id[NATID_LEN + 1], uid[UIDNAME_MAX + 1];
	const char *mail = f[map[BC_MAIL]];

	if (strcmp(mail, "yes") == 0 || strcmp(mail, "是") == 0)
		*want_mail_r = 1;
	else if (strcmp(mail, "no") == 0 || strcmp(mail, "否") == 0)
		*want_mail_r = 0;
	else {
		*error_r = "mail: 必須是 yes|no|是|否 / must be yes or no";
		return KCG_EINVAL;
	}
	if (natid_normalize(f[map[BC_NATID]], id, NULL, error_r) < 0) {
		*error_r = err_fmt("national_id: %s", *error_r);
		return KCG_EINVAL;
	}
	if (strset_add(ids, id)) {
		explicit_bzero(id, sizeof(id));
		*error_r = "national_id: 同一人在檔案中重複 / the same person "
			   "appears on an earlier row";
		return KCG_ECONFLICT;
	}
	explicit_bzero(id, sizeof(id));
	if (uidname_normalize(f[map[BC_UID]], uid, error_r) < 0) {
		*error_r = err_fmt("uid: %s", *error_r);
		return KCG_EINVAL;
	}
	if (strset_add(uids, uid)) {
		*error_r = "uid: 帳號在檔案中重複 / the uid appears on an "
			   "earlier row";
		return KCG_ECONFLICT;
	}
	return 0;
}

int cmd_apply_batch(struct cli *cli, const struct batch_args *args)
{
	static char iobuf[BUFSIZ]; /* the file's stdio buffer, wiped after */
	struct bctx b;
	struct csv *csv = NULL;
	struct pool *pool = NULL;
	struct pool_msg *m = NULL;
	struct strset ids = {NULL, 0, 0}, uids = {NULL, 0, 0};
	FILE *fp = NULL;
	char **f = NULL;
	const char *err = NULL;
	const void *data;
	size_t n, len, i;
	unsigned long line = 0;
	int map[BC_N], r, status, got_header = 0, want_mail;

	memset(&b, 0, sizeof(b));
	b.args = args;
	b.cli = cli;
	r = secret_fopen(args->path, 1, &fp, &err);
	if (r < 0)
		return out_error(r, err);
	setvbuf(fp, iobuf, _IOFBF, sizeof(iobuf));
	/* the parent needs no session of its own: the workers open theirs */
	if ((status = cli_config(cli)) != 0 || (status = cli_idhash(cli)) != 0)
		goto out;
	if (out_is_json()) {
		b.rows = json_array();
		json_object_set_new(out_json(), "rows", b.rows);
	}
	csv = csv_open(fp, args->path);
	r = pool_new(args->jobs, bworker_init, bworker_work, bdone, &b, &pool,
		     &err);
	if (r < 0) {
		status = out_error(r, err);
		goto out;
	}
	progress_new(stderr, "apply --batch", 0, &b.progress);
	m = pool_msg_new();
	while ((r = csv_next(csv, &f, &n, &line, &err)) != 0) {
		if (!got_header) {
			if (r < 0 || header_map(f, n, map, &err) < 0) {
				pool_free(&pool);
				status = out_error(KCG_EINVAL,
						   err_fmt("%s:%lu: 標題列錯誤 "
							   "/ bad header "
							   "row: %s",
							   args->path, line,
							   err));
				goto out;
			}
			got_header = 1;
			continue;
		}
		if (r > 0 && n != BC_N) {
			r = KCG_EINVAL;
			err = err_fmt("有 %zu 欄，應為 %d 欄 / has %zu fields, "
				      "expected %d",
				      n, BC_N, n, BC_N);
		} else if (r > 0) {
			r = row_check(f, map, &ids, &uids, &want_mail, &err);
			if (r == 0 && want_mail &&
			    args->mail_rules_version == NULL) {
				r = KCG_EINVAL;
				err = "mail=yes 需要 --accept-mail-rules "
				      "VERSION / a mailbox needs "
				      "--accept-mail-rules";
			}
		}
		/* a row refused here still goes through a worker, which
		 * hands the refusal back: the report stays in file order */
		pool_msg_wipe(m);
		pool_msg_put_u64(m, line);
		pool_msg_put_u64(m, (unsigned long long)-r * (r < 0));
		for (i = 0; i < BC_N; i++)
			pool_msg_put_str(m,
					 r < 0 ? (i == BC_PASSWORD ? err : NULL)
					       : f[map[i]]);
		data = pool_msg_data(m, &len);
		r = pool_submit(pool, line, data, len, &err);
		if (r < 0)
			row_report(&b, line, NULL, r, err);
		if (n == BC_N && got_header)
			explicit_bzero(f[map[BC_PASSWORD]],
				       strlen(f[map[BC_PASSWORD]]));
	}
	pool_free(&pool);
	progress_done(b.progress);
	if (!got_header) {
		status = out_error(KCG_EINVAL,
				   err_fmt("%s: 檔案是空的 / the file is empty",
					   args->path));
		goto out;
	}
	out_int("ok", "成功 / ok", (long long)b.ok);
	out_int("failed", "失敗 / failed", (long long)b.failed);
	status = b.failed == 0
			 ? 0
			 : out_error(b.worst,
				     err_fmt("%lu 列失敗 / %lu rows failed "
					     "(the others were applied)",
					     b.failed, b.failed));
out:
	pool_free(&pool);
	pool_msg_free(&m);
	progress_free(&b.progress);
	csv_free(&csv);
	strset_free(&ids);
	strset_free(&uids);
	if (fp != NULL)
		fclose(fp);
	explicit_bzero(iobuf, sizeof(iobuf));
	return status;
}
