/*
 * roster - HR roster import (see roster.h).
 */
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "dir.h"
#include "err.h"
#include "idhash.h"
#include "audit.h"
#include "lifecycle.h"
#include "kcg.h"
#include "natid.h"
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

struct seen {
	char (*slots)[IDHASH_HEX_LEN + 1];
	size_t cap, n;
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

/* seen_add - remember HASH; 1 if it was there already. */
static int seen_add(struct seen *s, const char *hash)
{
	size_t i, h = 0;

	for (i = 0; i < 12; i++) /* the hash is uniform: its start will do */
		h = h * 16 + (size_t)(hash[i] <= '9' ? hash[i] - '0'
						     : hash[i] - 'a' + 10);

	if ((s->n + 1) * 2 > s->cap) {
		struct seen bigger = {NULL, s->cap ? s->cap * 2 : 1024, 0};

		bigger.slots = xcalloc(bigger.cap, sizeof(*bigger.slots));
		for (i = 0; i < s->cap; i++)
			if (s->slots[i][0] != '\0')
				seen_add(&bigger, s->slots[i]);
		free(s->slots);
		*s = bigger;
	}
	for (i = h % s->cap; s->slots[i][0] != '\0'; i = (i + 1) % s->cap)
		if (strcmp(s->slots[i], hash) == 0)
			return 1;
	memcpy(s->slots[i], hash, IDHASH_HEX_LEN + 1);
	s->n++;
	return 0;
}

/* seen_has - HASH was added to S. */
static int seen_has(const struct seen *s, const char *hash)
{
	size_t i, h = 0;

	if (s->cap == 0)
		return 0;
	for (i = 0; i < 12; i++)
		h = h * 16 + (size_t)(hash[i] <= '9' ? hash[i] - '0'
						     : hash[i] - 'a' + 10);
	for (i = h % s->cap; s->slots[i][0] != '\0'; i = (i + 1) % s->cap)
		if (strcmp(s->slots[i], hash) == 0)
			return 1;
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

/* apply_row - add or update one record; sets *outcome_r. */
static int apply_row(struct dir *dir, const struct row *row,
		     const struct roster_options *opt,
		     unsigned long **outcome_r, struct roster_report *rep,
		     const char **error_r)
{
	static const char *attrs[RA_COUNT + 2];
	struct dir_entry *e = NULL;
	struct dir_mods *mods = dir_mods_new();
	char *dn = roster_dn(dir, row->hash);
	const char *old;
	int r, i, dry_run = opt->dry_run;

	memcpy(attrs, rattr_names, sizeof(rattr_names));
	attrs[RA_COUNT] = "kcgAccountUid";
	r = dir_read(dir, dn, attrs, &e, error_r);
	if (r == KCG_ENOTFOUND) {
		dir_mods_add(mods, DIR_MOD_ADD, "objectClass",
			     "kcgRosterRecord");
		dir_mods_add(mods, DIR_MOD_ADD, "kcgNationalIdHash", row->hash);
		for (i = 0; i < RA_COUNT; i++)
			if (row->values[i] != NULL)
				dir_mods_add(mods, DIR_MOD_ADD, rattr_names[i],
					     row->values[i]);
		r = dry_run ? 0 : dir_add(dir, dn, mods, error_r);
		if (r == 0 && !dry_run)
			audit_record("roster-add", row->values[RA_MASKED], 0,
				     NULL);
		*outcome_r = &rep->added;
		goto out;
	}
	if (r < 0)
		goto out;
	for (i = 0; i < RA_COUNT; i++) {
		old = dir_entry_value(e, rattr_names[i]);
		if (old == NULL && row->values[i] == NULL)
			continue;
		if (old != NULL && row->values[i] != NULL &&
		    strcmp(old, row->values[i]) == 0)
			continue;
		dir_mods_add(mods, DIR_MOD_REPLACE, rattr_names[i],
			     row->values[i]);
	}
	if (dir_entry_count(e, "cn") > 1) /* keep one name only */
		dir_mods_add(mods, DIR_MOD_REPLACE, "cn", row->values[RA_CN]);
	if (dir_mods_empty(mods)) {
		*outcome_r = &rep->unchanged;
		r = 0;
	} else {
		r = dry_run ? 0 : dir_modify(dir, dn, mods, error_r);
		if (r == 0 && !dry_run)
			audit_record("roster-update", row->values[RA_MASKED], 0,
				     NULL);
		*outcome_r = &rep->updated;
	}
	/* A person with an account: let HR changes reach it (also on a
	 * rerun after an import that was cut off between the two). */
	if (r == 0 && dir_entry_value(e, "kcgAccountUid") != NULL)
		r = sync_account(dir, row->hash, row->values, opt, rep,
				 error_r);
out:
	dir_entry_free(&e);
	dir_mods_free(&mods);
	free(dn);
	return r;
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
	size_t i;
	int r, k;

	memcpy(attrs, rattr_names, sizeof(rattr_names));
	attrs[RA_COUNT] = "kcgNationalIdHash";
	attrs[RA_COUNT + 1] = "kcgAccountUid";
	r = dir_search(dir, base, DIR_SCOPE_ONE,
		       "(&(objectClass=kcgRosterRecord)"
		       "(kcgEmploymentStatus=active))",
		       attrs, &res, error_r);
	for (i = 0; r == 0 && i < dir_result_count(res); i++) {
		e = dir_result_entry(res, i);
		hash = dir_entry_value(e, "kcgNationalIdHash");
		if (hash == NULL || strlen(hash) != IDHASH_HEX_LEN ||
		    seen_has(seen, hash))
			continue;
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

int roster_import(struct dir *dir, const struct idhash *ih, FILE *fp,
		  const char *name, const struct roster_options *opt,
		  struct roster_report *report_r, const char **error_r)
{
	struct csv *csv = csv_open(fp, name);
	struct roster_report rep;
	struct seen seen = {NULL, 0, 0};
	struct row row;
	char **fields = NULL;
	size_t n = 0;
	unsigned long line = 0, *outcome = NULL;
	int map[COL_COUNT], r, got_header = 0;
	const char *field = NULL, *err = NULL;

	memset(&row, 0, sizeof(row));
	memset(&rep, 0, sizeof(rep));
	for (;;) {
		r = csv_next(csv, &fields, &n, &line, &err);
		if (r == 0)
			break;
		if (!got_header) {
			if (r < 0 || parse_header(fields, n, map, &err) < 0) {
				*error_r = err_fmt("%s:%lu: 標題列錯誤 / bad "
						   "header row: %s",
						   name, line, err);
				r = KCG_EINVAL;
				goto out;
			}
			got_header = 1;
			continue;
		}
		if (r < 0) {
			opt->reject(opt->ctx, line, "row", err);
			rep.rejected++;
			continue;
		}
		if (n != COL_COUNT) {
			opt->reject(opt->ctx, line, "row",
				    err_fmt("有 %zu 欄，應為 %d 欄 / has %zu "
					    "fields, expected %d",
					    n, COL_COUNT, n, COL_COUNT));
			rep.rejected++;
			continue;
		}
		r = parse_row(ih, fields, map, &row, &field, &err);
		if (r == 0 && seen_add(&seen, row.hash)) {
			field = "national_id";
			err = "同一身分證字號在檔案中重複 / the same national "
			      "ID appears on an earlier row";
			r = KCG_EINVAL;
		}
		if (r < 0) {
			opt->reject(opt->ctx, line, field, err);
			rep.rejected++;
			row_free(&row);
			continue;
		}
		r = apply_row(dir, &row, opt, &outcome, &rep, &err);
		row_free(&row);
		if (r == KCG_EDIR || r == KCG_EINTERNAL) {
			*error_r = err_fmt("%s:%lu: %s", name, line, err);
			goto out;
		}
		if (r < 0) {
			opt->reject(opt->ctx, line, "row", err);
			rep.rejected++;
			continue;
		}
		(*outcome)++;
	}
	if (!got_header) {
		*error_r = err_fmt("%s: 檔案是空的 / the file is empty", name);
		r = KCG_EINVAL;
		goto out;
	}
	r = 0;
	if (opt->full && rep.rejected > 0)
		rep.full_skipped = 1;
	else if (opt->full)
		r = mark_missing(dir, &seen, opt, &rep, error_r);
out:
	*report_r = rep;
	row_free(&row);
	free(seen.slots);
	csv_free(&csv);
	return r;
}
