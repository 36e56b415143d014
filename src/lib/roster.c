/*
 * roster - HR roster import (see roster.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lber.h>
#include <ldif.h>

#include "csv.h"
#include "dir.h"
#include "err.h"
#include "idhash.h"
#include "audit.h"
#include "lifecycle.h"
#include "log.h"
#include "kcg.h"
#include "natid.h"
#include "pool.h"
#include "rocdate.h"
#include "roster.h"
#include "utf8.h"
#include "xalloc.h"

enum col {
	COL_NATID,
	COL_NAME,
	COL_BIRTH,
	COL_CATEGORY,
	COL_AGENCY,
	COL_UNIT,
	COL_TITLE,
	COL_HIRE,
	COL_TYPE,
	COL_STATUS,
	COL_COUNT
};

static const char *const col_names[COL_COUNT] = {
	"national_id", "name",	"birth_date", "category",     "agency",
	"unit",	       "title", "hire_date",  "account_type", "status",
};

/* The attributes an import owns, in the order of struct row's values. */
enum rattr {
	RA_MASKED,
	RA_CN,
	RA_BIRTH,
	RA_CATEGORY,
	RA_AGENCY,
	RA_UNIT,
	RA_TITLE,
	RA_HIRE,
	RA_TYPE,
	RA_STATUS,
	RA_COUNT
};

static const char *const rattr_names[RA_COUNT + 1] = {
	"kcgNationalIdMasked",
	"cn",
	"kcgBirthDate",
	"kcgCategory",
	"kcgAgency",
	"kcgUnit",
	"title",
	"kcgHireDate",
	"kcgAccountType",
	"kcgEmploymentStatus",
	NULL,
};

struct row {
	char hash[IDHASH_HEX_LEN + 1];
	char *values[RA_COUNT]; /* NULL: empty */
};

/* The IDs seen so far, as the first 64 bits of their keyed hash (two
 * different people collide with odds of about 2^-33 in a file of 50,000):
 * a sorted array and a small sorted buffer merged into it when full, so
 * the memory is 8 bytes a row with no growth spikes (realloc of a large
 * block is mremap, not a copy), and the peak for a 50,000-row file stays
 * close to that for 5,000. */
#define SEEN_BUF 1024
struct seen {
	unsigned long long *keys; /* sorted */
	size_t n;
	unsigned long long buf[SEEN_BUF]; /* sorted */
	size_t nbuf;
};

const char *roster_account_type_label(const char *value)
{
	if (value == NULL)
		return "";
	if (strcmp(value, "personnel") == 0)
		return "人事人員";
	if (strcmp(value, "general") == 0)
		return "一般人員";
	return value;
}

const char *roster_status_label(const char *value)
{
	if (value == NULL)
		return "";
	if (strcmp(value, "active") == 0)
		return "在職";
	if (strcmp(value, "left") == 0)
		return "離職";
	return value;
}

char *roster_dn(const struct dir *dir, const char *hex)
{
	char *parent = xasprintf("ou=roster,%s", dir_suffix(dir));
	char *dn = dir_dn("kcgNationalIdHash", hex, parent);

	free(parent);
	return dn;
}

/* seen_key - the first 64 bits of the hex HASH. */
static unsigned long long seen_key(const char *hash)
{
	unsigned long long k = 0;
	size_t i;

	for (i = 0; i < 16; i++)
		k = k * 16 + (unsigned)(hash[i] <= '9' ? hash[i] - '0'
						       : hash[i] - 'a' + 10);
	return k;
}

/* lower_bound - the first index of V[0..N) not below KEY. */
static size_t lower_bound(const unsigned long long *v, size_t n,
			  unsigned long long key)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (v[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* seen_has - HASH was added to S. */
static int seen_has(const struct seen *s, const char *hash)
{
	unsigned long long key = seen_key(hash);
	size_t i = lower_bound(s->keys, s->n, key);
	size_t j = lower_bound(s->buf, s->nbuf, key);

	return (i < s->n && s->keys[i] == key) ||
	       (j < s->nbuf && s->buf[j] == key);
}

/* seen_add - remember HASH; 1 if it was there already. */
static int seen_add(struct seen *s, const char *hash)
{
	unsigned long long key = seen_key(hash);
	size_t i, j, k;

	if (seen_has(s, hash))
		return 1;
	j = lower_bound(s->buf, s->nbuf, key);
	memmove(s->buf + j + 1, s->buf + j, (s->nbuf - j) * sizeof(*s->buf));
	s->buf[j] = key;
	if (++s->nbuf < SEEN_BUF)
		return 0;
	/* merge the buffer in, from the back, in place */
	s->keys = xreallocarray(s->keys, s->n + s->nbuf, sizeof(*s->keys));
	i = s->n;
	j = s->nbuf;
	k = s->n + s->nbuf;
	while (j > 0)
		s->keys[--k] = i > 0 && s->keys[i - 1] > s->buf[j - 1]
				       ? s->keys[--i]
				       : s->buf[--j];
	s->n += s->nbuf;
	s->nbuf = 0;
	return 0;
}

/* trim - strip ASCII white space in place; returns S. */
static char *trim(char *s)
{
	size_t len = strlen(s);

	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		s[--len] = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* text_field - a free-text field: at most MAX characters, no TAB. */
static int text_field(const char *v, size_t max, int required, char **out_r,
		      const char **error_r)
{
	if (v[0] == '\0') {
		if (required) {
			*error_r = "必填欄位 / required";
			return KCG_EINVAL;
		}
		*out_r = NULL;
		return 0;
	}
	if (strchr(v, '\t') != NULL) {
		*error_r = "含有控制字元 / contains a control character";
		return KCG_EINVAL;
	}
	if (utf8_count(v, strlen(v)) > max) {
		*error_r = err_fmt("超過 %zu 字 / longer than %zu characters",
				   max, max);
		return KCG_EINVAL;
	}
	*out_r = xstrdup(v);
	return 0;
}

/* date_field - a ROC date as GeneralizedTime. */
static int date_field(const char *v, int required, char **out_r,
		      const char **error_r)
{
	struct rocdate d;
	char gt[16];
	int r;

	if (v[0] == '\0' && !required) {
		*out_r = NULL;
		return 0;
	}
	r = rocdate_parse(v, &d, error_r);
	if (r < 0)
		return r;
	rocdate_to_generalized(&d, gt);
	*out_r = xstrdup(gt);
	return 0;
}

/* enum_field - one of two values, each with a zh-TW synonym. */
static int enum_field(const char *v, const char *const *choices, char **out_r,
		      const char **error_r)
{
	size_t i;

	for (i = 0; choices[i] != NULL; i += 2)
		if (strcmp(v, choices[i]) == 0 ||
		    strcmp(v, choices[i + 1]) == 0) {
			*out_r = xstrdup(choices[i]);
			return 0;
		}
	*error_r = err_fmt("必須是 %s|%s|%s|%s / must be one of those",
			   choices[0], choices[1], choices[2], choices[3]);
	return KCG_EINVAL;
}

/* row_free - the values of ROW. */
static void row_free(struct row *row)
{
	size_t i;

	for (i = 0; i < RA_COUNT; i++) {
		free(row->values[i]);
		row->values[i] = NULL;
	}
}

/* parse_row - validate FIELDS (in column order MAP) into ROW. */
static int parse_row(const struct idhash *ih, char **fields, const int *map,
		     struct row *row, const char **field_r,
		     const char **error_r)
{
	static const char *const types[] = {"personnel", "人事人員", "general",
					    "一般人員", NULL};
	static const char *const statuses[] = {"active", "在職", "left", "離職",
					       NULL};
	char id[NATID_LEN + 1], masked[NATID_LEN + 1];
	const char *v;
	int c, r = 0;

	for (c = 0; c < COL_COUNT && r == 0; c++) {
		v = trim(fields[map[c]]);
		*field_r = col_names[c];
		switch (c) {
		case COL_NATID:
			r = natid_normalize(v, id, NULL, error_r);
			if (r < 0)
				break;
			natid_mask(id, masked);
			row->values[RA_MASKED] = xstrdup(masked);
			r = idhash_compute(ih, id, row->hash);
			explicit_bzero(id, sizeof(id));
			if (r < 0)
				*error_r = "無法計算雜湊 / cannot hash";
			break;
		case COL_NAME:
			r = text_field(v, 64, 1, &row->values[RA_CN], error_r);
			break;
		case COL_BIRTH:
			r = date_field(v, 1, &row->values[RA_BIRTH], error_r);
			break;
		case COL_CATEGORY:
			r = text_field(v, 64, 1, &row->values[RA_CATEGORY],
				       error_r);
			break;
		case COL_AGENCY:
			r = text_field(v, 128, 1, &row->values[RA_AGENCY],
				       error_r);
			break;
		case COL_UNIT:
			r = text_field(v, 128, 0, &row->values[RA_UNIT],
				       error_r);
			break;
		case COL_TITLE:
			r = text_field(v, 64, 0, &row->values[RA_TITLE],
				       error_r);
			break;
		case COL_HIRE:
			r = date_field(v, 0, &row->values[RA_HIRE], error_r);
			break;
		case COL_TYPE:
			r = enum_field(v, types, &row->values[RA_TYPE],
				       error_r);
			break;
		case COL_STATUS:
			r = enum_field(v, statuses, &row->values[RA_STATUS],
				       error_r);
			break;
		}
	}
	return r;
}

/* parse_header - map column names to positions. */
static int parse_header(char **fields, size_t n, int *map, const char **error_r)
{
	size_t i;
	int c;

	for (c = 0; c < COL_COUNT; c++)
		map[c] = -1;
	for (i = 0; i < n; i++) {
		const char *f = trim(fields[i]);

		for (c = 0; c < COL_COUNT; c++)
			if (strcmp(f, col_names[c]) == 0)
				break;
		if (c == COL_COUNT) {
			/* name it only when it looks like a column name: a
			 * file without its header row must not echo an ID */
			if (f[strspn(f, "abcdefghijklmnopqrstuvwxyz_")] == '\0')
				*error_r = err_fmt("未知欄位 / unknown column "
						   "\"%s\"",
						   f);
			else
				*error_r = err_fmt(
					"第 %zu 欄不是欄位名稱 (缺少標題"
					"列?) / column %zu is not a "
					"column name (no header "
					"row?)",
					i + 1, i + 1);
			return KCG_EINVAL;
		}
		if (map[c] >= 0) {
			*error_r = err_fmt("重複欄位 / column \"%s\" appears "
					   "twice",
					   f);
			return KCG_EINVAL;
		}
		map[c] = (int)i;
	}
	for (c = 0; c < COL_COUNT; c++)
		if (map[c] < 0) {
			*error_r = err_fmt("缺少欄位 / missing column \"%s\"",
					   col_names[c]);
			return KCG_EINVAL;
		}
	return 0;
}

/* The account attributes that follow the roster: {account, roster}. */
static const struct {
	const char *attr;
	enum rattr from;
} follow[] = {
	{"cn", RA_CN},
	{"sn", RA_CN},
	{"kcgAgency", RA_AGENCY},
	{"kcgUnit", RA_UNIT},
	{"title", RA_TITLE},
	{"kcgCategory", RA_CATEGORY},
	{"kcgAccountType", RA_TYPE},
};

/* sync_account - bring the account of the person HASH in line with
 * VALUES (the roster's, RA_* order); disable it when they have left. */
static int sync_account(struct dir *dir, const char *hash, char *const *values,
			const struct roster_options *opt,
			struct roster_report *rep, const char **error_r)
{
	static const char *const attrs[] = {
		"uid",
		"cn",
		"sn",
		"kcgAgency",
		"kcgUnit",
		"title",
		"kcgCategory",
		"kcgAccountType",
		"kcgAccountStatus",
		NULL,
	};
	struct dir_result *res = NULL;
	struct dir_mods *mods = NULL;
	const struct dir_entry *e;
	char *base = xasprintf("ou=people,%s", dir_suffix(dir));
	char *filter = xasprintf("(&(objectClass=kcgAccount)"
				 "(kcgNationalIdHash=%s))",
				 hash); /* hex: nothing to escape */
	const char *uid, *old, *status;
	size_t i;
	int r, changed = 0;

	r = dir_search(dir, base, DIR_SCOPE_ONE, filter, attrs, &res, error_r);
	if (r < 0 || dir_result_count(res) == 0)
		goto out;
	e = dir_result_entry(res, 0);
	uid = dir_entry_value(e, "uid");
	mods = dir_mods_new();
	for (i = 0; i < KCG_N_ELEMENTS(follow); i++) {
		old = dir_entry_value(e, follow[i].attr);
		if (old == NULL && values[follow[i].from] == NULL)
			continue;
		if (old != NULL && values[follow[i].from] != NULL &&
		    strcmp(old, values[follow[i].from]) == 0)
			continue;
		dir_mods_add(mods, DIR_MOD_REPLACE, follow[i].attr,
			     values[follow[i].from]);
	}
	if (!dir_mods_empty(mods)) {
		r = opt->dry_run
			    ? 0
			    : dir_modify(dir, dir_entry_dn(e), mods, error_r);
		if (r < 0)
			goto out;
		if (!opt->dry_run)
			audit_record("account-update", uid, 0,
				     "from the HR roster");
		rep->accounts_updated++;
		if (opt->account != NULL)
			opt->account(opt->ctx, uid, "updated");
	}
	/* A pending application is left to the review, which rejects it and
	 * tells the applicant. */
	status = dir_entry_value(e, "kcgAccountStatus");
	if (values[RA_STATUS] != NULL &&
	    strcmp(values[RA_STATUS], "left") == 0 && status != NULL &&
	    strcmp(status, "active") == 0) {
		if (!opt->dry_run)
			r = lifecycle_disable(
				dir, uid, "人事資料：離職 / HR roster: left",
				&changed, error_r);
		if (r < 0)
			goto out;
		rep->accounts_disabled++;
		if (opt->account != NULL)
			opt->account(opt->ctx, uid, "disabled");
	}
out:
	dir_mods_free(&mods);
	dir_result_free(&res);
	free(filter);
	free(base);
	return r;
}

/* One valid row on its way into the directory. */
struct pending {
	struct row row;
	unsigned long line;
	char *dn;
	struct dir_mods *mods; /* the add or modify; NULL: unchanged */
	int is_add;
	int has_account; /* kcgAccountUid set: HR changes reach the account */
	int msgid;	 /* of its write inside the current transaction */
	int failed;	 /* rejected; the reason went to opt->reject */
};

/* The rows of one group commit, and how writes go. */
struct batch {
	struct pending *p;
	size_t n, max;
	int txn_ok; /* the server takes transactions (until it says no) */
	const struct roster_options *opt;
	struct roster_report *rep;
};

/* pending_clear - free what P holds. */
static void pending_clear(struct pending *p)
{
	row_free(&p->row);
	dir_mods_free(&p->mods);
	free(p->dn);
	memset(p, 0, sizeof(*p));
}

/* read_existing - fill in the write each row of B needs, with one search
 * for the records the batch already has in the directory. */
static int read_existing(struct dir *dir, struct batch *b, const char **error_r)
{
	static const char *attrs[RA_COUNT + 3];
	struct dir_result *res = NULL;
	const struct dir_entry *e;
	char *base = xasprintf("ou=roster,%s", dir_suffix(dir));
	char *filter, *f;
	const char *hash, *old;
	size_t i, k, len = 4;
	int r, a;

	memcpy(attrs, rattr_names, sizeof(rattr_names));
	attrs[RA_COUNT] = "kcgNationalIdHash";
	attrs[RA_COUNT + 1] = "kcgAccountUid";
	for (i = 0; i < b->n; i++) /* hex: nothing to escape */
		len += strlen("(kcgNationalIdHash=)") + IDHASH_HEX_LEN;
	filter = f = xmalloc(len);
	f += sprintf(f, "(|");
	for (i = 0; i < b->n; i++)
		f += sprintf(f, "(kcgNationalIdHash=%s)", b->p[i].row.hash);
	sprintf(f, ")");
	r = dir_search(dir, base, DIR_SCOPE_ONE, filter, attrs, &res, error_r);
	if (r == KCG_ENOTFOUND) /* no ou=roster: each add will say so */
		r = 0;
	for (i = 0; r == 0 && i < b->n; i++) {
		struct pending *p = &b->p[i];

		p->dn = roster_dn(dir, p->row.hash);
		p->mods = dir_mods_new();
		for (k = 0, e = NULL; k < dir_result_count(res); k++) {
			hash = dir_entry_value(dir_result_entry(res, k),
					       "kcgNationalIdHash");
			if (hash != NULL && strcmp(hash, p->row.hash) == 0) {
				e = dir_result_entry(res, k);
				break;
			}
		}
		if (e == NULL) {
			p->is_add = 1;
			dir_mods_add(p->mods, DIR_MOD_ADD, "objectClass",
				     "kcgRosterRecord");
			dir_mods_add(p->mods, DIR_MOD_ADD, "kcgNationalIdHash",
				     p->row.hash);
			for (a = 0; a < RA_COUNT; a++)
				if (p->row.values[a] != NULL)
					dir_mods_add(p->mods, DIR_MOD_ADD,
						     rattr_names[a],
						     p->row.values[a]);
			continue;
		}
		for (a = 0; a < RA_COUNT; a++) {
			old = dir_entry_value(e, rattr_names[a]);
			if (old == NULL && p->row.values[a] == NULL)
				continue;
			if (old != NULL && p->row.values[a] != NULL &&
			    strcmp(old, p->row.values[a]) == 0)
				continue;
			dir_mods_add(p->mods, DIR_MOD_REPLACE, rattr_names[a],
				     p->row.values[a]);
		}
		if (dir_entry_count(e, "cn") > 1) /* keep one name only */
			dir_mods_add(p->mods, DIR_MOD_REPLACE, "cn",
				     p->row.values[RA_CN]);
		if (dir_mods_empty(p->mods))
			dir_mods_free(&p->mods);
		p->has_account = dir_entry_value(e, "kcgAccountUid") != NULL;
	}
	dir_result_free(&res);
	free(filter);
	free(base);
	return r;
}

/* is_fatal - a write error that stops the import (it can be rerun). */
static int is_fatal(int r)
{
	return r == KCG_EDIR || r == KCG_EINTERNAL;
}

/* write_plain - the write of P on its own; a refusal rejects the row. */
static int write_plain(struct dir *dir, struct batch *b, struct pending *p,
		       const char **error_r)
{
	const char *err = NULL;
	int r;

	r = p->is_add ? dir_add(dir, p->dn, p->mods, &err)
		      : dir_modify(dir, p->dn, p->mods, &err);
	if (r == 0)
		return 0;
	if (is_fatal(r)) {
		*error_r = err;
		return r;
	}
	p->failed = 1;
	b->opt->reject(b->opt->ctx, p->line, "row", err);
	return 0;
}

/*
 * write_set - the writes of the rows IDX[0..K) of B, in one transaction
 * when the server has them. A commit that fails names the write that
 * broke it: that row is retried on its own (and rejected with the
 * server's reason), and the rest is committed again without it. When
 * the server does not say which, the set is split in halves. So one bad
 * row never sinks the others, and each commit is all or nothing. Sets
 * smaller than ROSTER_TXN_MIN are written row by row (see roster.h).
 */
static int write_set(struct dir *dir, struct batch *b, size_t *idx, size_t k,
		     const char **error_r)
{
	const char *err = NULL;
	size_t i, bad = k;
	int r, started = 0, failed_msgid = -1;

	if (k == 0)
		return 0;
	if (b->txn_ok && k >= ROSTER_TXN_MIN) {
		r = dir_txn_begin(dir, &started, error_r);
		if (r < 0)
			return r;
		if (!started)
			b->txn_ok = 0;
	}
	if (!started) {
		for (i = 0, r = 0; i < k && r == 0; i++)
			r = write_plain(dir, b, &b->p[idx[i]], error_r);
		return r;
	}
	for (i = 0, r = 0; i < k && r == 0; i++) {
		struct pending *p = &b->p[idx[i]];

		r = p->is_add ? dir_add(dir, p->dn, p->mods, &err)
			      : dir_modify(dir, p->dn, p->mods, &err);
		p->msgid = dir_last_msgid(dir);
	}
	if (r < 0) {
		/* refused before the commit: not a row's fault but the
		 * server's way with transactions; go on without them */
		int ignored;
		const char *ignored_err;

		if (r == KCG_EDIR) { /* the transaction went with the server */
			(void)dir_txn_end(dir, 0, &ignored, &ignored_err);
			*error_r = err;
			return r;
		}
		log_debug("write inside a transaction refused (%s); "
			  "continuing without transactions",
			  err);
		(void)dir_txn_end(dir, 0, &ignored, &err);
		b->txn_ok = 0;
		return write_set(dir, b, idx, k, error_r);
	}
	r = dir_txn_end(dir, 1, &failed_msgid, &err);
	if (r == 0)
		return 0;
	if (r == KCG_EDIR) {
		*error_r = err;
		return r;
	}
	for (i = 0; failed_msgid >= 0 && i < k; i++)
		if (b->p[idx[i]].msgid == failed_msgid)
			bad = i;
	if (bad == k) { /* not told which: halve */
		r = write_set(dir, b, idx, k / 2, error_r);
		if (r == 0)
			r = write_set(dir, b, idx + k / 2, k - k / 2, error_r);
		return r;
	}
	r = write_plain(dir, b, &b->p[idx[bad]], error_r);
	if (r < 0)
		return r;
	memmove(idx + bad, idx + bad + 1, (k - bad - 1) * sizeof(*idx));
	return write_set(dir, b, idx, k - 1, error_r);
}

/* flush - read, write and report the rows of B; empties B. */
static int flush(struct dir *dir, struct batch *b, const char **error_r)
{
	const struct roster_options *opt = b->opt;
	size_t *idx = xcalloc(b->n + 1, sizeof(*idx));
	size_t i, k = 0;
	unsigned long *outcome;
	const char *err = NULL;
	int r, attempt;

	for (attempt = 0;; attempt++) {
		r = read_existing(dir, b, error_r);
		for (i = 0, k = 0; r == 0 && i < b->n; i++)
			if (b->p[i].mods != NULL && !b->p[i].failed)
				idx[k++] = i;
		if (r == 0 && !opt->dry_run)
			r = write_set(dir, b, idx, k, error_r);
		/* The server went away under the batch (a failover): its
		 * transaction was all or nothing, so read again, on the next
		 * server, and write what is still missing. Once. */
		if (r != KCG_EDIR || attempt == 1)
			break;
		log_warning("%s; writing the batch again", *error_r);
		for (i = 0; i < b->n; i++) {
			dir_mods_free(&b->p[i].mods);
			free(b->p[i].dn);
			b->p[i].dn = NULL;
			b->p[i].is_add = b->p[i].has_account = 0;
		}
	}
	if (r < 0)
		goto out;
	for (i = 0; i < b->n; i++) { /* in file order */
		struct pending *p = &b->p[i];

		if (p->failed) {
			b->rep->rejected++;
			continue;
		}
		outcome = p->is_add	    ? &b->rep->added
			  : p->mods != NULL ? &b->rep->updated
					    : &b->rep->unchanged;
		if (p->mods != NULL && !opt->dry_run)
			audit_record(p->is_add ? "roster-add" : "roster-update",
				     p->row.values[RA_MASKED], 0, NULL);
		/* A person with an account: let HR changes reach it (also
		 * on a rerun after an import cut off between the two). */
		if (p->has_account) {
			r = sync_account(dir, p->row.hash, p->row.values, opt,
					 b->rep, &err);
			if (is_fatal(r)) {
				*error_r = err_fmt("%lu: %s", p->line, err);
				goto out;
			}
			if (r < 0) {
				opt->reject(opt->ctx, p->line, "row", err);
				b->rep->rejected++;
				continue;
			}
		}
		(*outcome)++;
	}
	r = 0;
out:
	for (i = 0; i < b->n; i++)
		pending_clear(&b->p[i]);
	b->n = 0;
	free(idx);
	return r;
}

/* is_missing - active roster entry E is not in SEEN (a full import). */
static int is_missing(const struct dir_entry *e, const struct seen *seen)
{
	const char *hash = dir_entry_value(e, "kcgNationalIdHash");

	return hash != NULL && strlen(hash) == IDHASH_HEX_LEN &&
	       !seen_has(seen, hash);
}

/* too_many_left - more of the N_ACTIVE people would leave than a full
 * import may mark at once (roster_options.max_left); with the reason. */
static int too_many_left(size_t missing, size_t n_active,
			 const struct roster_options *opt, const char **error_r)
{
	unsigned pct =
		opt->max_left > 0 ? opt->max_left : ROSTER_MAX_LEFT_DEFAULT;

	if (missing <= ROSTER_LEFT_FLOOR || pct >= 100 ||
	    missing * 100 <= (size_t)pct * n_active)
		return 0;
	*error_r = err_fmt(
		"--full 未套用：在職 %zu 人中有 %zu 人不在檔案裡，超過 %u%% "
		"(檔案不完整？) / --full not applied: %zu of the %zu active "
		"people are missing from the file, more than %u%% (a file cut "
		"short?). The file's rows were imported; nobody was marked as "
		"left. If they did leave, run it again with --max-left 100",
		n_active, missing, pct, missing, n_active, pct);
	return 1;
}

/* mark_missing - a full import: active people not in SEEN have left. */
static int mark_missing(struct dir *dir, const struct seen *seen,
			const struct roster_options *opt,
			struct roster_report *rep, const char **error_r)
{
	static const char *attrs[RA_COUNT + 3];
	struct dir_result *res = NULL;
	struct dir_mods *mods = NULL;
	const struct dir_entry *e;
	char *base = xasprintf("ou=roster,%s", dir_suffix(dir));
	char *values[RA_COUNT];
	const char *hash;
	size_t i, missing = 0;
	int r, k;

	memcpy(attrs, rattr_names, sizeof(rattr_names));
	attrs[RA_COUNT] = "kcgNationalIdHash";
	attrs[RA_COUNT + 1] = "kcgAccountUid";
	r = dir_search(dir, base, DIR_SCOPE_ONE,
		       "(&(objectClass=kcgRosterRecord)"
		       "(kcgEmploymentStatus=active))",
		       attrs, &res, error_r);
	for (i = 0; r == 0 && i < dir_result_count(res); i++)
		missing += is_missing(dir_result_entry(res, i), seen);
	if (r == 0 &&
	    too_many_left(missing, dir_result_count(res), opt, error_r))
		r = KCG_EINVAL;
	for (i = 0; r == 0 && i < dir_result_count(res); i++) {
		e = dir_result_entry(res, i);
		if (!is_missing(e, seen))
			continue;
		hash = dir_entry_value(e, "kcgNationalIdHash");
		dir_mods_free(&mods);
		mods = dir_mods_new();
		dir_mods_add(mods, DIR_MOD_REPLACE, "kcgEmploymentStatus",
			     "left");
		r = opt->dry_run
			    ? 0
			    : dir_modify(dir, dir_entry_dn(e), mods, error_r);
		if (r < 0)
			break;
		if (!opt->dry_run)
			audit_record("roster-left",
				     dir_entry_value(e, "kcgNationalIdMasked"),
				     0, "missing from a full import");
		rep->left++;
		if (dir_entry_value(e, "kcgAccountUid") == NULL)
			continue;
		for (k = 0; k < RA_COUNT; k++)
			values[k] = (char *)dir_entry_value(e, rattr_names[k]);
		values[RA_STATUS] = "left";
		r = sync_account(dir, hash, values, opt, rep, error_r);
	}
	dir_mods_free(&mods);
	dir_result_free(&res);
	free(base);
	return r;
}

/* The rows of a roster file, validated and de-duplicated. */
struct reader {
	struct csv *csv;
	const struct idhash *ih;
	const char *name;
	const struct roster_options *opt;
	struct roster_report *rep;
	struct seen seen;
	int map[COL_COUNT];
	int got_header;
	unsigned long rows; /* data rows read, good or bad */
};

/*
 * reader_next - the next good row into ROW (free with row_free) and its
 * line. Bad rows go to opt->reject and are counted. Returns 1 with a
 * row, 0 at the end, KCG_EINVAL for a bad header or an empty file.
 */
static int reader_next(struct reader *rd, struct row *row,
		       unsigned long *line_r, const char **error_r)
{
	const struct roster_options *opt = rd->opt;
	const char *field = NULL, *err = NULL;
	char **fields = NULL;
	size_t n = 0;
	int r;

	for (;;) {
		r = csv_next(rd->csv, &fields, &n, line_r, &err);
		if (r == 0)
			break;
		if (!rd->got_header) {
			if (r < 0 ||
			    parse_header(fields, n, rd->map, &err) < 0) {
				*error_r = err_fmt("%s:%lu: 標題列錯誤 / bad "
						   "header row: %s",
						   rd->name, *line_r, err);
				return KCG_EINVAL;
			}
			rd->got_header = 1;
			continue;
		}
		rd->rows++;
		if (r < 0) {
			opt->reject(opt->ctx, *line_r, "row", err);
			rd->rep->rejected++;
			continue;
		}
		if (n != COL_COUNT) {
			opt->reject(opt->ctx, *line_r, "row",
				    err_fmt("有 %zu 欄，應為 %d 欄 / has %zu "
					    "fields, expected %d",
					    n, COL_COUNT, n, COL_COUNT));
			rd->rep->rejected++;
			continue;
		}
		r = parse_row(rd->ih, fields, rd->map, row, &field, &err);
		if (r == 0 && seen_add(&rd->seen, row->hash)) {
			field = "national_id";
			err = "同一身分證字號在檔案中重複 / the same national "
			      "ID appears on an earlier row";
			r = KCG_EINVAL;
		}
		if (r < 0) {
			opt->reject(opt->ctx, *line_r, field, err);
			rd->rep->rejected++;
			row_free(row);
			continue;
		}
		return 1;
	}
	if (!rd->got_header) {
		*error_r =
			err_fmt("%s: 檔案是空的 / the file is empty", rd->name);
		return KCG_EINVAL;
	}
	return 0;
}

/* ---- group commits in worker processes ------------------------------------
 */

/* What the import's workers share (a copy each, made at fork). */
struct wctx {
	const struct kcg_config *cfg;
	const struct roster_options *opt; /* the caller's */
	/* the parent's side */
	struct roster_report *rep;
	int fatal;	   /* a worker hit a fatal error: stop */
	char *fatal_error; /* its message */
	unsigned long in_flight;
};

/* A worker's own: its session and what it learned about transactions. */
struct wstate {
	struct dir *dir;
	int txn_ok;
};

static int worker_init(void *ctx, void **state_r, const char **error_r)
{
	struct wctx *w = ctx;
	struct wstate *st = xcalloc(1, sizeof(*st));
	int r;

	r = dir_open(w->cfg, &st->dir, error_r);
	if (r < 0) {
		free(st);
		return r;
	}
	st->txn_ok = 1;
	*state_r = st;
	return 0;
}

/* In a worker, rejects and account changes become events of the reply. */
enum { EV_END, EV_REJECT, EV_ACCOUNT };

static void worker_reject(void *ctx, unsigned long line, const char *field,
			  const char *reason)
{
	struct pool_msg *m = ctx;

	pool_msg_put_u64(m, EV_REJECT);
	pool_msg_put_u64(m, line);
	pool_msg_put_str(m, field);
	pool_msg_put_str(m, reason);
}

static void worker_account(void *ctx, const char *uid, const char *change)
{
	struct pool_msg *m = ctx;

	pool_msg_put_u64(m, EV_ACCOUNT);
	pool_msg_put_u64(m, 0);
	pool_msg_put_str(m, uid);
	pool_msg_put_str(m, change);
}

/* put_rows / get_rows - the rows of a batch as a request. */
static void put_rows(struct pool_msg *m, const struct batch *b)
{
	size_t i;
	int a;

	pool_msg_put_u64(m, b->n);
	for (i = 0; i < b->n; i++) {
		pool_msg_put_u64(m, b->p[i].line);
		pool_msg_put_str(m, b->p[i].row.hash);
		for (a = 0; a < RA_COUNT; a++)
			pool_msg_put_str(m, b->p[i].row.values[a]);
	}
}

static int get_rows(struct pool_cursor *c, struct batch *b)
{
	const char *hash, *v;
	size_t i, n = (size_t)pool_get_u64(c);
	int a;

	if (c->bad || n > ROSTER_BATCH_MAX)
		return -1;
	b->p = xcalloc(n + 1, sizeof(*b->p));
	b->max = n + 1;
	for (i = 0; i < n && !c->bad; i++, b->n++) {
		b->p[i].line = (unsigned long)pool_get_u64(c);
		hash = pool_get_str(c);
		if (hash == NULL || strlen(hash) != IDHASH_HEX_LEN)
			return -1;
		memcpy(b->p[i].row.hash, hash, IDHASH_HEX_LEN + 1);
		for (a = 0; a < RA_COUNT; a++)
			if ((v = pool_get_str(c)) != NULL)
				b->p[i].row.values[a] = xstrdup(v);
	}
	return c->bad ? -1 : 0;
}

static void worker_work(void *ctx, void *state, const void *req, size_t len,
			struct pool_msg *reply)
{
	struct wctx *w = ctx;
	struct wstate *st = state;
	struct roster_options opt = *w->opt;
	struct roster_report rep;
	struct pool_cursor c;
	struct batch b;
	const char *err = "";
	size_t i;
	int r;

	memset(&rep, 0, sizeof(rep));
	memset(&b, 0, sizeof(b));
	opt.reject = worker_reject;
	opt.account = worker_account;
	opt.ctx = reply;
	b.opt = &opt;
	b.rep = &rep;
	b.txn_ok = st->txn_ok;
	pool_cursor_init(&c, req, len);
	if (get_rows(&c, &b) < 0) {
		r = KCG_EINTERNAL;
		err = "bad request";
	} else {
		r = flush(st->dir, &b, &err);
	}
	st->txn_ok = b.txn_ok;
	for (i = 0; i < b.n; i++)
		pending_clear(&b.p[i]);
	free(b.p);
	pool_msg_put_u64(reply, EV_END);
	pool_msg_put_u64(reply, rep.added);
	pool_msg_put_u64(reply, rep.updated);
	pool_msg_put_u64(reply, rep.unchanged);
	pool_msg_put_u64(reply, rep.rejected);
	pool_msg_put_u64(reply, rep.accounts_updated);
	pool_msg_put_u64(reply, rep.accounts_disabled);
	pool_msg_put_u64(reply, (unsigned long long)-r);
	pool_msg_put_str(reply, r < 0 ? err : NULL);
}

/* worker_done - in the parent: a batch's outcome, in file order. */
static void worker_done(void *ctx, unsigned long tag, const void *data,
			size_t len, const char *error)
{
	struct wctx *w = ctx;
	const struct roster_options *opt = w->opt;
	struct roster_report *rep = w->rep;
	struct pool_cursor c;
	unsigned long long ev, line, code;
	const char *a, *b;

	(void)tag;
	w->in_flight--;
	if (data == NULL) {
		if (!w->fatal) {
			w->fatal = KCG_EDIR;
			w->fatal_error = xstrdup(error);
		}
		return;
	}
	pool_cursor_init(&c, data, len);
	while ((ev = pool_get_u64(&c)) != EV_END && !c.bad) {
		line = pool_get_u64(&c);
		a = pool_get_str(&c);
		b = pool_get_str(&c);
		if (c.bad)
			break;
		if (ev == EV_REJECT)
			opt->reject(opt->ctx, (unsigned long)line, a, b);
		else if (opt->account != NULL)
			opt->account(opt->ctx, a, b);
	}
	rep->added += pool_get_u64(&c);
	rep->updated += pool_get_u64(&c);
	rep->unchanged += pool_get_u64(&c);
	rep->rejected += pool_get_u64(&c);
	rep->accounts_updated += pool_get_u64(&c);
	rep->accounts_disabled += pool_get_u64(&c);
	code = pool_get_u64(&c);
	a = pool_get_str(&c);
	if (c.bad && !w->fatal) {
		w->fatal = KCG_EINTERNAL;
		w->fatal_error = xstrdup("bad reply from a worker");
	} else if (code != 0 && !w->fatal) {
		w->fatal = -(int)code;
		w->fatal_error = xstrdup(a != NULL ? a : "");
	}
	if (opt->progress != NULL)
		opt->progress(opt->ctx, rep);
}

/* send - hand the rows of B to a worker (or write them here without a
 * pool); empties B. */
static int send_batch(struct dir *dir, struct batch *b, struct pool *pool,
		      struct wctx *w, unsigned long tag, const char **error_r)
{
	struct pool_msg *m;
	const void *data;
	size_t len, i;
	int r;

	if (b->n == 0)
		return 0;
	if (pool == NULL) {
		r = flush(dir, b, error_r);
		if (r == 0 && b->opt->progress != NULL)
			b->opt->progress(b->opt->ctx, b->rep);
		return r;
	}
	m = pool_msg_new();
	put_rows(m, b);
	data = pool_msg_data(m, &len);
	w->in_flight++;
	r = pool_submit(pool, tag, data, len, error_r);
	pool_msg_free(&m);
	for (i = 0; i < b->n; i++)
		pending_clear(&b->p[i]);
	b->n = 0;
	if (r == 0 && w->fatal) {
		r = w->fatal;
		*error_r = err_fmt("%s", w->fatal_error);
	}
	return r;
}

int roster_import(struct dir *dir, const struct idhash *ih, FILE *fp,
		  const char *name, const struct roster_options *opt,
		  struct roster_report *report_r, const char **error_r)
{
	struct roster_report rep;
	struct reader rd;
	struct batch b;
	struct wctx w;
	struct pool *pool = NULL;
	unsigned long line = 0, tag = 0;
	int r;

	memset(&rep, 0, sizeof(rep));
	memset(&rd, 0, sizeof(rd));
	memset(&b, 0, sizeof(b));
	memset(&w, 0, sizeof(w));
	rd.csv = csv_open(fp, name);
	rd.ih = ih;
	rd.name = name;
	rd.opt = opt;
	rd.rep = &rep;
	b.max = opt->batch > 0 ? opt->batch : ROSTER_BATCH_DEFAULT;
	if (b.max > ROSTER_BATCH_MAX)
		b.max = ROSTER_BATCH_MAX;
	b.p = xcalloc(b.max, sizeof(*b.p));
	b.txn_ok = b.max > 1;
	b.opt = opt;
	b.rep = &rep;
	w.cfg = opt->cfg;
	w.opt = opt;
	w.rep = &rep;
	if (opt->jobs > 1 && opt->cfg != NULL) {
		r = pool_new(opt->jobs, worker_init, worker_work, worker_done,
			     &w, &pool, error_r);
		if (r < 0)
			goto out;
	}
	while ((r = reader_next(&rd, &b.p[b.n].row, &line, error_r)) == 1) {
		b.p[b.n++].line = line;
		if (b.n < b.max)
			continue;
		r = send_batch(dir, &b, pool, &w, tag++, error_r);
		if (r < 0)
			goto cut;
	}
	if (r < 0)
		goto out;
	r = send_batch(dir, &b, pool, &w, tag++, error_r);
	if (r < 0)
		goto cut;
	pool_free(&pool); /* the last replies */
	if (w.fatal) {
		r = w.fatal;
		*error_r = err_fmt("%s", w.fatal_error);
		goto cut;
	}
	if (opt->full && rep.rejected > 0) {
		rep.full_skipped = 1;
	} else if (opt->full && rd.rows == 0) {
		*error_r = err_fmt("%s: 檔案沒有資料列，--full 會把所有人標為"
				   "離職 / the file has no rows: --full would "
				   "mark everyone as left",
				   name);
		r = KCG_EINVAL;
	} else if (opt->full) {
		r = mark_missing(dir, &rd.seen, opt, &rep, error_r);
	}
	goto out;
cut:
	*error_r = err_fmt("%s: %s", name, *error_r);
out:
	pool_free(&pool);
	*report_r = rep;
	for (size_t i = 0; i <= b.n && i < b.max; i++)
		pending_clear(&b.p[i]);
	free(b.p);
	free(rd.seen.keys);
	free(w.fatal_error);
	csv_free(&rd.csv);
	return r;
}

/* ldif_attr - one "attr: value" line (base64 when LDIF needs it). */
static void ldif_attr(FILE *out, const char *attr, const char *value)
{
	char *line = ldif_put(LDIF_PUT_VALUE, attr, value, strlen(value));

	if (line != NULL) {
		fputs(line, out);
		ber_memfree(line);
	}
}

int roster_export_ldif(const struct idhash *ih, const char *suffix, FILE *fp,
		       const char *name, FILE *out,
		       const struct roster_options *opt,
		       struct roster_report *report_r, const char **error_r)
{
	struct roster_report rep;
	struct reader rd;
	struct row row;
	char *parent = xasprintf("ou=roster,%s", suffix), *dn;
	unsigned long line = 0;
	int r, a;

	memset(&rep, 0, sizeof(rep));
	memset(&rd, 0, sizeof(rd));
	memset(&row, 0, sizeof(row));
	rd.csv = csv_open(fp, name);
	rd.ih = ih;
	rd.name = name;
	rd.opt = opt;
	rd.rep = &rep;
	while ((r = reader_next(&rd, &row, &line, error_r)) == 1) {
		dn = dir_dn("kcgNationalIdHash", row.hash, parent);
		ldif_attr(out, "dn", dn);
		ldif_attr(out, "objectClass", "kcgRosterRecord");
		ldif_attr(out, "kcgNationalIdHash", row.hash);
		for (a = 0; a < RA_COUNT; a++)
			if (row.values[a] != NULL)
				ldif_attr(out, rattr_names[a], row.values[a]);
		fputc('\n', out);
		free(dn);
		row_free(&row);
		rep.added++;
	}
	if (r == 0 && (fflush(out) != 0 || ferror(out))) {
		*error_r = err_fmt("寫入失敗 / cannot write the LDIF: %s",
				   strerror(errno));
		r = KCG_EINTERNAL;
	}
	*report_r = rep;
	row_free(&row);
	free(rd.seen.keys);
	free(parent);
	csv_free(&rd.csv);
	return r;
}
