/*
 * spool - the durable outbox (see spool.h for the layout and the rules).
 *
 * Every change that matters is a rename followed by an fsync of the
 * directory that changed: a new message (tmp/ID -> queue/ID), a new state
 * (queue/ID/state.new -> queue/ID/state), giving up (queue/ID -> dead/ID)
 * and success (queue/ID -> tmp/ID.sent, removed afterwards). A crash at
 * any point leaves each message either in queue/ (whole, with its last
 * durable state) or gone for good, never half of each.
 *
 * Permissions: the programs that queue mail (kcgidm, kcgidmd) and the one
 * that sends it (kcgidm-mailer) may run as different users sharing a
 * group. Folders are made 2770 (set-group-ID, so everything inside gets
 * the spool's group) and files 0660, whatever the umask; nothing is ever
 * readable by others. Messages can hold reset links: keep that group
 * small.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "err.h"
#include "kcg.h"
#include "log.h"
#include "smtp.h"
#include "audit.h"
#include "spool.h"
#include "utf8.h"
#include "xalloc.h"

#define ID_LEN	    30 /* YYYYMMDDhhmmss-uuuuuu-xxxxxxxx */
#define SENT_SUFFIX ".sent"
#define STALE_TMP   86400 /* an enqueue unfinished this long crashed */
#define ERROR_MAX   500
#define ENV_MAX	    4096
#define ADDR_MAX    254
#define MSG_MAX	    (64 * 1024 * 1024)

struct spool {
	char *dir;
	char *tmp;
	char *queue;
	char *dead;
	char *lock;
	unsigned unsynced; /* sent messages whose removal is not yet synced */
};

/* A sent message leaves queue/ with a rename; queue/ is synced once per
 * SYNC_EVERY of them and at the end of each drain (a group commit), not
 * after each: an fsync per message made the drain ten times slower than
 * the SMTP peer. An OS crash (not a process crash: renames survive
 * those) can then bring back at most that many sent messages, which are
 * sent again; nothing queued is ever lost, since enqueueing still syncs. */
#define SYNC_EVERY 100

/* The per-message state file. */
struct state {
	int attempts;
	long long next_try;
	int dead;
	char *error;
};

/* The envelope file. */
struct env {
	char *from;
	char *rcpt;
	long long queued;
};

/* fsync_dir - make the entries of directory PATH durable. */
static int fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

	if (fd < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

/* write_all - write LEN bytes of BUF to FD, retrying short writes. */
static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* write_file - create PATH (mode 0600, TRUNC when REPLACE, else EXCL)
 * holding BUF[0..LEN), fsync'ed. 0 or -1 with errno set. */
static int write_file(const char *path, const char *buf, size_t len,
		      int replace)
{
	int fd, saved;

	fd = open(path,
		  O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
			  (replace ? O_TRUNC : O_EXCL),
		  0660);
	if (fd < 0)
		return -1;
	(void)fchmod(fd, 0660); /* the umask must not lock the group out */
	if (write_all(fd, buf, len) < 0 || fsync(fd) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return close(fd);
}

/* read_file - the whole of PATH (at most MAX bytes), NUL-terminated, in
 * new memory. 0, or -1 with errno set (ENOENT when it is gone). */
static int read_file(const char *path, size_t max, char **buf_r, size_t *len_r)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), saved;
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size > max) {
		saved = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		close(fd);
		errno = saved;
		return -1;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (len < (size_t)st.st_size) {
		n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*buf_r = buf;
	if (len_r != NULL)
		*len_r = len;
	return 0;
}

/* remove_tree - remove directory PATH and the plain files in it. */
static int remove_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char *p;

	if (d == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		p = xasprintf("%s/%s", path, de->d_name);
		unlink(p);
		free(p);
	}
	closedir(d);
	return rmdir(path);
}

/* valid_id - NAME has the form of a message id. */
static int valid_id(const char *name)
{
	size_t i;

	if (strlen(name) != ID_LEN || name[14] != '-' || name[21] != '-')
		return 0;
	for (i = 0; i < ID_LEN; i++) {
		if (i == 14 || i == 21)
			continue;
		if (i < 21 ? !(name[i] >= '0' && name[i] <= '9')
			   : !((name[i] >= '0' && name[i] <= '9') ||
			       (name[i] >= 'a' && name[i] <= 'f')))
			return 0;
	}
	return 1;
}

/* new_id - a fresh id: UTC time to the microsecond, then 32 random bits,
 * so that ids sort in queue order. */
static void new_id(char out[ID_LEN + 1])
{
	struct timespec ts;
	struct tm tm;
	unsigned int rnd = 0;
	char buf[96];
	time_t t;

	clock_gettime(CLOCK_REALTIME, &ts);
	t = ts.tv_sec;
	gmtime_r(&t, &tm);
	if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		rnd = (unsigned int)ts.tv_nsec ^ (unsigned int)getpid();
	snprintf(buf, sizeof(buf), "%04d%02d%02d%02d%02d%02d-%06ld-%08x",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (long)(ts.tv_nsec / 1000) % 1000000,
		 rnd);
	memcpy(out, buf, ID_LEN);
	out[ID_LEN] = '\0';
}

/* cmp_str - qsort comparison of char * elements. */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* list_ids - the message ids in directory PATH, sorted (new memory, N in
 * *n_r). 0, or -1 with errno set. */
static int list_ids(const char *path, char ***ids_r, size_t *n_r)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char **ids = NULL;
	size_t n = 0, cap = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (!valid_id(de->d_name))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			ids = xreallocarray(ids, cap, sizeof(*ids));
		}
		ids[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 0)
		qsort(ids, n, sizeof(*ids), cmp_str);
	*ids_r = ids;
	*n_r = n;
	return 0;
}

/* free_ids - free N ids. */
static void free_ids(char **ids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

/* bad_addr - true when ADDR cannot go into the envelope: empty (RCPT),
 * too long, or holding white space or a control character. */
static int bad_addr(const char *addr, int may_be_empty)
{
	const char *p;

	if (addr == NULL || (addr[0] == '\0' && !may_be_empty) ||
	    strlen(addr) > ADDR_MAX)
		return 1;
	for (p = addr; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '<' ||
		    *p == '>')
			return 1;
	return 0;
}

/* clean_error - TEXT on one line, at most ERROR_MAX bytes, valid UTF-8
 * (other bytes become '?'): safe in the state file and in JSON. */
static char *clean_error(const char *text)
{
	const char *t = text != NULL ? text : "";
	/* xstrndup copies N bytes whatever the string's length. */
	char *s = xstrndup(t, strnlen(t, ERROR_MAX)), *p;
	size_t n, k;

	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	n = strlen(s);
	/* The cut may have split a character: drop its first bytes. */
	for (k = 0; k < 3 && n > 0 && !utf8_valid(s, n); k++)
		s[--n] = '\0';
	if (!utf8_valid(s, strlen(s)))
		for (p = s; *p != '\0'; p++)
			if ((unsigned char)*p >= 0x80)
				*p = '?';
	while (n > 0 && s[n - 1] == ' ')
		s[--n] = '\0';
	return s;
}

/* parse_env - the envelope file of directory DIR into *env. 0, -1 with
 * errno ENOENT when the message is gone, or -1 with EINVAL when corrupt. */
static int parse_env(const char *dir, struct env *env)
{
	char *path = xasprintf("%s/env", dir), *buf = NULL, *line, *save = NULL;
	int r = -1, saw_queued = 0;

	memset(env, 0, sizeof(*env));
	if (read_file(path, ENV_MAX, &buf, NULL) < 0)
		goto out;
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "from ", 5) == 0 && env->from == NULL)
			env->from = xstrdup(line + 5);
		else if (strcmp(line, "from") == 0 && env->from == NULL)
			env->from = xstrdup("");
		else if (strncmp(line, "rcpt ", 5) == 0 && env->rcpt == NULL)
			env->rcpt = xstrdup(line + 5);
		else if (sscanf(line, "queued %lld", &env->queued) == 1)
			saw_queued = 1;
	}
	if (env->from == NULL || env->rcpt == NULL || !saw_queued ||
	    bad_addr(env->from, 1) || bad_addr(env->rcpt, 0)) {
		errno = EINVAL;
		goto out;
	}
	r = 0;
out:
	if (r < 0) {
		free(env->from);
		free(env->rcpt);
		memset(env, 0, sizeof(*env));
	}
	free(buf);
	free(path);
	return r;
}

/* env_clear - free what parse_env allocated. */
static void env_clear(struct env *env)
{
	free(env->from);
	free(env->rcpt);
	memset(env, 0, sizeof(*env));
}

/* parse_state - the state file of directory DIR into *st (a fresh
 * message when there is none yet). 0, or -1 with errno set. */
static int parse_state(const char *dir, struct state *st)
{
	char *path = xasprintf("%s/state", dir), *buf = NULL, *line,
	     *save = NULL;
	int r = -1;

	memset(st, 0, sizeof(*st));
	if (read_file(path, ENV_MAX, &buf, NULL) < 0) {
		if (errno == ENOENT) {
			/* No state yet; is the message itself still there? */
			free(path);
			path = xasprintf("%s/env", dir);
			r = access(path, F_OK);
		}
		goto out;
	}
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "attempts %d", &st->attempts) == 1 ||
		    sscanf(line, "next %lld", &st->next_try) == 1 ||
		    sscanf(line, "dead %d", &st->dead) == 1)
			continue;
		if (strncmp(line, "error ", 6) == 0 && st->error == NULL)
			st->error = xstrdup(line + 6);
	}
	r = 0;
out:
	free(buf);
	free(path);
	return r;
}

/* write_state - replace DIR/state with ST atomically and durably. */
static int write_state(const char *dir, const struct state *st)
{
	char *tmp = xasprintf("%s/state.new", dir);
	char *path = xasprintf("%s/state", dir);
	char *err = clean_error(st->error);
	char *text = xasprintf("attempts %d\nnext %lld\ndead %d\nerror %s\n",
			       st->attempts, st->next_try, st->dead, err);
	int r = -1;

	if (write_file(tmp, text, strlen(text), 1) < 0)
		goto out;
	if (rename(tmp, path) < 0)
		goto out;
	r = fsync_dir(dir);
out:
	if (r < 0)
		unlink(tmp);
	free(text);
	free(err);
	free(path);
	free(tmp);
	return r;
}

int spool_open(const char *dir, struct spool **spool_r, const char **error_r)
{
	struct spool *sp = xcalloc(1, sizeof(*sp));
	const char *sub[3];
	size_t i;
	int r = KCG_EINTERNAL;

	sp->dir = xstrdup(dir);
	sp->tmp = xasprintf("%s/tmp", dir);
	sp->queue = xasprintf("%s/queue", dir);
	sp->dead = xasprintf("%s/dead", dir);
	sp->lock = xasprintf("%s/lock", dir);
	sub[0] = sp->tmp;
	sub[1] = sp->queue;
	sub[2] = sp->dead;
	if (mkdir(dir, 0770) == 0)
		(void)chmod(dir, 02770);
	else if (errno != EEXIST) {
		*error_r = err_fmt("無法建立郵件佇列 %s / cannot create the "
				   "spool %s: %s",
				   dir, dir, strerror(errno));
		goto out;
	}
	for (i = 0; i < KCG_N_ELEMENTS(sub); i++) {
		if (mkdir(sub[i], 0770) == 0)
			(void)chmod(sub[i], 02770);
		else if (errno != EEXIST) {
			*error_r = err_fmt("無法建立 %s / cannot create %s: %s",
					   sub[i], sub[i], strerror(errno));
			goto out;
		}
	}
	if (access(sp->queue, W_OK | X_OK) < 0 ||
	    access(sp->tmp, W_OK | X_OK) < 0) {
		*error_r = err_fmt("郵件佇列 %s 無法寫入 / the spool %s is not "
				   "writable: %s",
				   dir, dir, strerror(errno));
		goto out;
	}
	*spool_r = sp;
	sp = NULL;
	r = 0;
out:
	spool_free(&sp);
	return r;
}

void spool_free(struct spool **spoolp)
{
	struct spool *sp = *spoolp;

	if (sp == NULL)
		return;
	free(sp->dir);
	free(sp->tmp);
	free(sp->queue);
	free(sp->dead);
	free(sp->lock);
	free(sp);
	*spoolp = NULL;
}

const char *spool_queue_dir(const struct spool *spool)
{
	return spool->queue;
}

int spool_enqueue(struct spool *spool, const char *env_from, const char *rcpt,
		  const char *msg, size_t len, char **id_r,
		  const char **error_r)
{
	char id[ID_LEN + 1];
	char *tdir = NULL, *qdir = NULL, *path = NULL, *env = NULL;
	int r = KCG_EINVAL, tries;

	if (bad_addr(env_from, 1) || bad_addr(rcpt, 0)) {
		*error_r = "信封地址無效 (含空白、換行或控制字元) / invalid "
			   "envelope address (white space, CR/LF or control "
			   "character)";
		goto out;
	}
	if (len == 0 || len > MSG_MAX) {
		*error_r = "郵件大小無效 / invalid message size";
		goto out;
	}
	r = KCG_EINTERNAL;
	for (tries = 0; tries < 10; tries++) {
		new_id(id);
		free(tdir);
		tdir = xasprintf("%s/%s", spool->tmp, id);
		if (mkdir(tdir, 0770) == 0) {
			(void)chmod(tdir, 02770);
			break;
		}
		if (errno != EEXIST) {
			*error_r = err_fmt("無法寫入郵件佇列 / cannot write "
					   "to the spool: %s: %s",
					   tdir, strerror(errno));
			free(tdir);
			tdir = NULL;
			goto out;
		}
	}
	if (tries == 10) {
		*error_r = "無法產生佇列編號 / cannot make a queue id";
		free(tdir);
		tdir = NULL;
		goto out;
	}
	env = xasprintf("from %s\nrcpt %s\nqueued %lld\n", env_from, rcpt,
			(long long)time(NULL));
	path = xasprintf("%s/env", tdir);
	if (write_file(path, env, strlen(env), 0) < 0)
		goto fail;
	free(path);
	path = xasprintf("%s/msg", tdir);
	if (write_file(path, msg, len, 0) < 0)
		goto fail;
	if (fsync_dir(tdir) < 0)
		goto fail;
	qdir = xasprintf("%s/%s", spool->queue, id);
	if (rename(tdir, qdir) < 0)
		goto fail;
	free(tdir);
	tdir = NULL; /* it is in queue/ now: never remove it below */
	if (fsync_dir(spool->queue) < 0 || fsync_dir(spool->tmp) < 0)
		goto fail;
	if (id_r != NULL)
		*id_r = xstrdup(id);
	r = 0;
	goto out;
fail:
	*error_r = err_fmt("無法寫入郵件佇列 / cannot write to the spool "
			   "%s: %s",
			   spool->dir, strerror(errno));
out:
	if (r < 0 && tdir != NULL)
		remove_tree(tdir);
	free(tdir);
	free(qdir);
	free(path);
	free(env);
	return r;
}

/* load_entry - the listing of message ID in directory BASE; 0, -1 with
 * errno ENOENT when it vanished, or -1 otherwise. */
static int load_entry(const char *base, const char *id, int dead,
		      struct spool_entry *e)
{
	char *dir = xasprintf("%s/%s", base, id);
	struct env env;
	struct state st;
	int r = -1;

	memset(e, 0, sizeof(*e));
	if (parse_env(dir, &env) < 0) {
		if (errno == ENOENT)
			goto out;
		/* Corrupt: list it anyway, so that someone looks. */
		env.from = xstrdup("");
		env.rcpt = xstrdup("?");
		env.queued = 0;
	}
	if (parse_state(dir, &st) < 0) {
		env_clear(&env);
		goto out;
	}
	e->id = xstrdup(id);
	e->env_from = env.from;
	e->rcpt = env.rcpt;
	e->queued = env.queued;
	e->attempts = st.attempts;
	e->next_try = st.next_try;
	e->last_error = st.error;
	e->dead = dead || st.dead;
	r = 0;
out:
	free(dir);
	return r;
}

int spool_list(struct spool *spool, struct spool_entry **entries_r, size_t *n_r,
	       const char **error_r)
{
	struct spool_entry *entries = NULL;
	const char *bases[2] = {spool->queue, spool->dead};
	char **ids = NULL;
	size_t n = 0, n_ids = 0, i, b;
	int r = KCG_EINTERNAL;

	for (b = 0; b < 2; b++) {
		if (list_ids(bases[b], &ids, &n_ids) < 0) {
			*error_r = err_fmt("無法讀取 %s / cannot read %s: %s",
					   bases[b], bases[b], strerror(errno));
			goto out;
		}
		entries =
			xreallocarray(entries, n + n_ids + 1, sizeof(*entries));
		for (i = 0; i < n_ids; i++)
			if (load_entry(bases[b], ids[i], b == 1, &entries[n]) ==
			    0)
				n++;
		free_ids(ids, n_ids);
		ids = NULL;
		n_ids = 0;
	}
	*entries_r = entries;
	*n_r = n;
	entries = NULL;
	r = 0;
out:
	free_ids(ids, n_ids);
	spool_entries_free(&entries, n);
	return r;
}

void spool_entries_free(struct spool_entry **entriesp, size_t n)
{
	struct spool_entry *e = *entriesp;
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(e[i].id);
		free(e[i].env_from);
		free(e[i].rcpt);
		free(e[i].last_error);
	}
	free(e);
	*entriesp = NULL;
}

/* clean_tmp - remove what crashed runs left in tmp/: messages already
 * sent (*.sent) and enqueues abandoned for more than STALE_TMP seconds. */
static void clean_tmp(struct spool *spool)
{
	DIR *d = opendir(spool->tmp);
	struct dirent *de;
	struct stat st;
	char *p;
	size_t n;
	int stale;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		stale = n == ID_LEN + strlen(SENT_SUFFIX) &&
			strcmp(de->d_name + ID_LEN, SENT_SUFFIX) == 0;
		if (!stale && !valid_id(de->d_name))
			continue;
		p = xasprintf("%s/%s", spool->tmp, de->d_name);
		if (!stale && lstat(p, &st) == 0 &&
		    time(NULL) - st.st_mtime > STALE_TMP)
			stale = 1;
		if (stale && remove_tree(p) < 0)
			log_warning("cannot remove %s: %s", p, strerror(errno));
		free(p);
	}
	closedir(d);
}

/* backoff - seconds to wait after the ATTEMPTS-th failure: retry_min,
 * doubling each time, at most retry_max. */
static long long backoff(const struct kcg_config *cfg, int attempts)
{
	long long d = cfg->spool_retry_min;
	int i;

	for (i = 1; i < attempts && d < cfg->spool_retry_max; i++)
		d *= 2;
	return d < cfg->spool_retry_max ? d : cfg->spool_retry_max;
}

/* move_dead - give message ID up with REASON: record it in the state,
 * then move the directory to dead/. */
static int move_dead(struct spool *spool, const char *id, struct state *st,
		     const char *reason, const char **error_r)
{
	char *qdir = xasprintf("%s/%s", spool->queue, id);
	char *ddir = xasprintf("%s/%s", spool->dead, id);
	int r = KCG_EINTERNAL;

	if (!st->dead || reason != NULL) {
		st->dead = 1;
		if (reason != NULL) {
			free(st->error);
			st->error = xstrdup(reason);
		}
		if (write_state(qdir, st) < 0)
			goto fail;
	}
	if (rename(qdir, ddir) < 0 || fsync_dir(spool->queue) < 0 ||
	    fsync_dir(spool->dead) < 0)
		goto fail;
	r = 0;
	goto out;
fail:
	*error_r = err_fmt("無法移動 %s 至 dead/ / cannot move %s to dead/: %s",
			   id, id, strerror(errno));
out:
	free(qdir);
	free(ddir);
	return r;
}

/* sync_queue - make the removals from queue/ so far durable. */
static int sync_queue(struct spool *spool)
{
	if (spool->unsynced == 0)
		return 0;
	spool->unsynced = 0;
	return fsync_dir(spool->queue);
}

/* commit_sent - message ID was accepted: take it out of queue/ for good
 * before anything else, then remove it. */
static int commit_sent(struct spool *spool, const char *id,
		       const char **error_r)
{
	char *qdir = xasprintf("%s/%s", spool->queue, id);
	char *sdir = xasprintf("%s/%s" SENT_SUFFIX, spool->tmp, id);
	int r = KCG_EINTERNAL;

	if (rename(qdir, sdir) < 0 ||
	    (++spool->unsynced >= SYNC_EVERY && sync_queue(spool) < 0)) {
		*error_r = err_fmt("郵件 %s 已送出但無法移出佇列 / %s was sent "
				   "but cannot be taken out of the queue "
				   "(it may be sent again): %s",
				   id, id, strerror(errno));
		goto out;
	}
	if (remove_tree(sdir) < 0)
		log_warning("cannot remove %s: %s", sdir, strerror(errno));
	r = 0;
out:
	free(qdir);
	free(sdir);
	return r;
}

/* lock_spool - the exclusive drain lock (waits for another drainer); the
 * locked descriptor, or -1. */
static int lock_spool(struct spool *spool, const char **error_r)
{
	int fd = open(spool->lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		      0660);

	if (fd >= 0)
		(void)fchmod(fd, 0660);
	if (fd < 0) {
		*error_r = err_fmt("無法開啟 %s / cannot open %s: %s",
				   spool->lock, spool->lock, strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		*error_r = err_fmt("無法鎖定 %s / cannot lock %s: %s",
				   spool->lock, spool->lock, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* note_due - keep the earliest next try in RES. */
static void note_due(struct spool_drain_result *res, long long when)
{
	if (res->next_due == 0 || when < res->next_due)
		res->next_due = when;
}

/* drain_one - deliver message ID if due; counts go to RES. 0, or
 * KCG_EINTERNAL when the spool cannot be written. */
static int drain_one(struct spool *spool, const struct kcg_config *cfg,
		     unsigned flags, spool_send_fn *send_fn, void *ctx,
		     const char *id, struct spool_drain_result *res,
		     const char **error_r)
{
	char *dir = xasprintf("%s/%s", spool->queue, id), *path = NULL,
	     *msg = NULL, *reason = NULL;
	struct env env;
	struct state st;
	size_t len = 0;
	long long now = (long long)time(NULL);
	const char *err = NULL;
	int r = 0, code = 0, sr;

	memset(&env, 0, sizeof(env));
	memset(&st, 0, sizeof(st));
	if (parse_state(dir, &st) < 0) {
		if (errno != ENOENT) {
			*error_r = err_fmt("無法讀取 %s / cannot read %s: %s",
					   dir, dir, strerror(errno));
			r = KCG_EINTERNAL;
		}
		goto out; /* ENOENT: gone meanwhile */
	}
	if (st.dead) {
		/* A crash came between the decision and the move. */
		r = move_dead(spool, id, &st, NULL, error_r);
		goto out;
	}
	if (!(flags & SPOOL_DRAIN_ALL) && st.next_try > now) {
		res->waiting++;
		note_due(res, st.next_try);
		goto out;
	}
	path = xasprintf("%s/msg", dir);
	if (parse_env(dir, &env) < 0 ||
	    read_file(path, MSG_MAX, &msg, &len) < 0) {
		if (errno == ENOENT)
			goto out;
		reason = xasprintf("佇列檔案損毀 / corrupt queue file: %s",
				   strerror(errno));
		log_error("%s: %s", id, reason);
		r = move_dead(spool, id, &st, reason, error_r);
		if (r == 0)
			res->dead++;
		goto out;
	}
	sr = send_fn(ctx, env.from, env.rcpt, msg, len, &code, &err);
	now = (long long)time(NULL);
	if (sr == 0) {
		r = commit_sent(spool, id, error_r);
		if (r == 0) {
			res->sent++;
			log_info("%s: sent to %s", id, env.rcpt);
			audit_record("mail-sent", env.rcpt, 0, "message %s",
				     id);
		}
		goto out;
	}
	reason = clean_error(err != NULL ? err : "unknown error");
	err = reason;
	st.attempts++;
	if (sr == KCG_EINVAL || code / 100 == 5) {
		log_error("%s: to %s: %s (given up)", id, env.rcpt, err);
		r = move_dead(spool, id, &st, err, error_r);
		if (r == 0) {
			res->dead++;
			audit_record("mail-dead", env.rcpt, KCG_EMAIL,
				     "message %s: %s", id, err);
		}
		goto out;
	}
	if (now - env.queued >= cfg->spool_max_age) {
		char *gave_up = xasprintf(
			"%d 次嘗試後放棄 / gave up after %d attempts "
			"in %lld s: %s",
			st.attempts, st.attempts, now - env.queued, err);
		log_error("%s: to %s: %s", id, env.rcpt, gave_up);
		r = move_dead(spool, id, &st, gave_up, error_r);
		if (r == 0) {
			res->dead++;
			audit_record("mail-dead", env.rcpt, KCG_EMAIL,
				     "message %s: %s", id, gave_up);
		}
		free(gave_up);
		goto out;
	}
	st.next_try = now + backoff(cfg, st.attempts);
	free(st.error);
	st.error = xstrdup(err);
	if (write_state(dir, &st) < 0) {
		*error_r = err_fmt("無法寫入 %s/state / cannot write %s/state: "
				   "%s",
				   dir, dir, strerror(errno));
		r = KCG_EINTERNAL;
		goto out;
	}
	log_warning("%s: to %s: %s (attempt %d, next in %lld s)", id, env.rcpt,
		    err, st.attempts, st.next_try - now);
	res->deferred++;
	note_due(res, st.next_try);
out:
	env_clear(&env);
	free(st.error);
	if (msg != NULL) {
		explicit_bzero(msg, len); /* it may hold a reset link */
		free(msg);
	}
	free(reason);
	free(path);
	free(dir);
	return r;
}

int spool_drain_with(struct spool *spool, const struct kcg_config *cfg,
		     unsigned flags, spool_send_fn *send_fn, void *ctx,
		     int (*stop)(void), struct spool_drain_result *res_r,
		     const char **error_r)
{
	struct spool_drain_result res;
	char **ids = NULL;
	size_t n = 0, i;
	int r = KCG_EINTERNAL, lock = -1;

	memset(&res, 0, sizeof(res));
	lock = lock_spool(spool, error_r);
	if (lock < 0)
		goto out;
	clean_tmp(spool);
	if (list_ids(spool->queue, &ids, &n) < 0) {
		*error_r = err_fmt("無法讀取 %s / cannot read %s: %s",
				   spool->queue, spool->queue, strerror(errno));
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (stop != NULL && stop())
			break;
		r = drain_one(spool, cfg, flags, send_fn, ctx, ids[i], &res,
			      error_r);
		if (r < 0)
			goto out;
	}
	/* Those left when STOP ended the run are due at once. */
	if (i < n)
		note_due(&res, (long long)time(NULL));
	*res_r = res;
	r = 0;
out:
	if (sync_queue(spool) < 0)
		log_warning("cannot sync %s: %s", spool->queue,
			    strerror(errno));
	free_ids(ids, n);
	if (lock >= 0)
		close(lock);
	return r;
}

/* send_smtp - spool_send_fn over an SMTP session. */
static int send_smtp(void *ctx, const char *env_from, const char *rcpt,
		     const char *msg, size_t len, int *code_r,
		     const char **error_r)
{
	return smtp_send(ctx, env_from, rcpt, msg, len, code_r, error_r);
}

int spool_drain(struct spool *spool, const struct kcg_config *cfg,
		unsigned flags, int (*stop)(void),
		struct spool_drain_result *res_r, const char **error_r)
{
	struct smtp *smtp = NULL;
	int r;

	r = smtp_open(cfg, &smtp, error_r);
	if (r < 0)
		return r;
	r = spool_drain_with(spool, cfg, flags, send_smtp, smtp, stop, res_r,
			     error_r);
	smtp_free(&smtp);
	return r;
}
