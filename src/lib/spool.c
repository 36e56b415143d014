/*
 * spool - the durable outbox (see spool.h for the layout and the rules).
 *
 * Every change that matters is one rename followed by an fsync of the
 * directory that changed: a new message (tmp/ID -> queue/ID), a new state
 * (tmp/ID.new -> queue/ID, the whole file rewritten), giving up
 * (queue/ID -> dead/ID) and success (queue/ID -> tmp/ID.sent, removed
 * afterwards by another thread). A crash at any point leaves each message
 * either in queue/ (whole, with its last durable state) or gone for good,
 * never half of each.
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
#include <pthread.h>
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

#define ID_LEN	    30	    /* YYYYMMDDhhmmss-uuuuuu-xxxxxxxx */
#define NEW_SUFFIX  ".new"  /* tmp/ID.new: a state being rewritten */
#define SENT_SUFFIX ".sent" /* tmp/ID.sent: sent, being removed */
#define STALE_TMP   86400   /* an enqueue unfinished this long crashed */
#define ERROR_MAX   500
#define HEAD_MAX    4096  /* the header of a queue file, at most */
#define SMALL_MSG   65536 /* read whole even when only the header counts */
#define ADDR_MAX    254
#define MSG_MAX	    (64 * 1024 * 1024)
#define SPOOL_MAGIC "kcgidm-spool 1\n"

struct spool {
	char *dir;
	char *tmp;
	char *queue;
	char *dead;
	char *lock;
	unsigned unsynced; /* sent messages whose removal is not yet synced */
	struct reaper *reaper; /* while a drain runs */
};

/* A sent message leaves queue/ with a rename; queue/ is synced once per
 * SYNC_EVERY of them and at the end of each drain (a group commit), not
 * after each: an fsync per message made the drain ten times slower than
 * the SMTP peer. An OS crash (not a process crash: renames survive
 * those) can then bring back at most that many sent messages, which are
 * sent again; nothing queued is ever lost, since enqueueing still syncs. */
#define SYNC_EVERY 100

/* The reaper: a thread that removes sent messages (tmp/ID.sent) while the
 * drain goes on. The rename out of queue/ is the commit and costs little;
 * the unlink that frees the file waits on the file system's journal
 * (half a millisecond here while the SMTP server writes its own files),
 * and would otherwise come between every two messages. A crash leaves
 * what was not yet removed in tmp/, and the next drain removes it. */
#define REAP_MAX 256

struct reaper {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* work queued, room made, or closing */
	char *paths[REAP_MAX];
	size_t head, n;
	int closing;
};

/* remove_sent - unlink the sent message PATH and free PATH. */
static void remove_sent(char *path)
{
	if (unlink(path) < 0 && errno != ENOENT)
		log_warning("cannot remove %s: %s", path, strerror(errno));
	free(path);
}

/* reaper_main - remove the queued paths until closed and empty. */
static void *reaper_main(void *arg)
{
	struct reaper *rp = arg;
	char *path;

	pthread_mutex_lock(&rp->lock);
	for (;;) {
		while (rp->n == 0 && !rp->closing)
			pthread_cond_wait(&rp->cond, &rp->lock);
		if (rp->n == 0)
			break;
		path = rp->paths[rp->head];
		rp->head = (rp->head + 1) % REAP_MAX;
		rp->n--;
		pthread_cond_broadcast(&rp->cond);
		pthread_mutex_unlock(&rp->lock);
		remove_sent(path);
		pthread_mutex_lock(&rp->lock);
	}
	pthread_mutex_unlock(&rp->lock);
	return NULL;
}

/* reaper_start - a running reaper (free with reaper_stop), or NULL when
 * no thread can be made (sent messages are then removed at once). */
static struct reaper *reaper_start(void)
{
	struct reaper *rp = xcalloc(1, sizeof(*rp));

	pthread_mutex_init(&rp->lock, NULL);
	pthread_cond_init(&rp->cond, NULL);
	if (pthread_create(&rp->thread, NULL, reaper_main, rp) != 0) {
		log_warning("no thread to remove sent mail; removing it "
			    "inline");
		pthread_mutex_destroy(&rp->lock);
		pthread_cond_destroy(&rp->cond);
		free(rp);
		return NULL;
	}
	return rp;
}

/* reaper_add - remove PATH (taken over) in RP's thread, or now when RP is
 * NULL; waits while REAP_MAX removals are pending. */
static void reaper_add(struct reaper *rp, char *path)
{
	if (rp == NULL) {
		remove_sent(path);
		return;
	}
	pthread_mutex_lock(&rp->lock);
	while (rp->n == REAP_MAX)
		pthread_cond_wait(&rp->cond, &rp->lock);
	rp->paths[(rp->head + rp->n) % REAP_MAX] = path;
	rp->n++;
	pthread_cond_broadcast(&rp->cond);
	pthread_mutex_unlock(&rp->lock);
}

/* reaper_stop - wait until *RPP has removed everything, free it, NULL. */
static void reaper_stop(struct reaper **rpp)
{
	struct reaper *rp = *rpp;

	if (rp == NULL)
		return;
	pthread_mutex_lock(&rp->lock);
	rp->closing = 1;
	pthread_cond_broadcast(&rp->cond);
	pthread_mutex_unlock(&rp->lock);
	pthread_join(rp->thread, NULL);
	pthread_mutex_destroy(&rp->lock);
	pthread_cond_destroy(&rp->cond);
	free(rp);
	*rpp = NULL;
}

/* One queue file: the header's fields, and the message after it. */
struct qfile {
	char *from;	    /* envelope sender (may be "") */
	char *rcpt;	    /* envelope recipient */
	long long queued;   /* when it was queued */
	int attempts;	    /* failed attempts so far */
	long long next_try; /* not before; 0: at once */
	int dead;	    /* given up (the move to dead/ may be pending) */
	char *error;	    /* the last failure, or NULL */
	char *buf;	    /* what was read of the file */
	size_t buf_len;
	const char *msg; /* the message in BUF, or NULL when not read */
	size_t len;
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

/* write_file - create PATH (mode 0660, TRUNC when REPLACE, else EXCL)
 * holding A[0..ALEN) then B[0..BLEN), fsync'ed. 0 or -1 with errno set. */
static int write_file(const char *path, const char *a, size_t alen,
		      const char *b, size_t blen, int replace)
{
	int fd, saved;

	fd = open(path,
		  O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
			  (replace ? O_TRUNC : O_EXCL),
		  0660);
	if (fd < 0)
		return -1;
	(void)fchmod(fd, 0660); /* the umask must not lock the group out */
	if (write_all(fd, a, alen) < 0 || write_all(fd, b, blen) < 0 ||
	    fsync(fd) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return close(fd);
}

/* read_file - the regular file PATH, NUL-terminated, in new memory: all
 * of it (EFBIG when it has more than MAX bytes), or with PART only its
 * first MAX bytes. 0, or -1 with errno set (ENOENT when it is gone,
 * EINVAL when it is not a regular file). */
static int read_file(const char *path, size_t max, int part, char **buf_r,
		     size_t *len_r)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), saved;
	struct stat st;
	char *buf = NULL;
	size_t len = 0, want;
	ssize_t n;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (!part && (size_t)st.st_size > max)) {
		saved = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		close(fd);
		errno = saved;
		return -1;
	}
	want = (size_t)st.st_size < max ? (size_t)st.st_size : max;
	buf = xmalloc(want + 1);
	while (len < want) {
		n = read(fd, buf + len, want - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*buf_r = buf;
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

/* remove_path - remove file PATH, or directory PATH and its files. */
static int remove_path(const char *path)
{
	if (unlink(path) == 0 || errno == ENOENT)
		return 0;
	return errno == EISDIR || errno == EPERM ? remove_tree(path) : -1;
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

/* qfile_clear - free what QF holds (the message is wiped first: it may
 * hold a reset link). */
static void qfile_clear(struct qfile *qf)
{
	free(qf->from);
	free(qf->rcpt);
	free(qf->error);
	if (qf->buf != NULL) {
		explicit_bzero(qf->buf, qf->buf_len);
		free(qf->buf);
	}
	memset(qf, 0, sizeof(*qf));
}

/* parse_head - the header at the start of QF->buf into QF's fields, and
 * the message after it into QF->msg when the whole file was read (WHOLE).
 * 0, or -1 with errno EINVAL when it is not a queue file. */
static int parse_head(struct qfile *qf, int whole)
{
	char *end, *line, *next;
	int saw_queued = 0;

	if (strncmp(qf->buf, SPOOL_MAGIC, strlen(SPOOL_MAGIC)) != 0 ||
	    (end = strstr(qf->buf, "\n\n")) == NULL)
		goto bad;
	end[1] = '\0'; /* the header: the lines up to the blank one */
	for (line = qf->buf + strlen(SPOOL_MAGIC); *line != '\0'; line = next) {
		next = strchr(line, '\n');
		*next++ = '\0';
		if (strncmp(line, "from ", 5) == 0 && qf->from == NULL)
			qf->from = xstrdup(line + 5);
		else if (strncmp(line, "rcpt ", 5) == 0 && qf->rcpt == NULL)
			qf->rcpt = xstrdup(line + 5);
		else if (strncmp(line, "error ", 6) == 0 && qf->error == NULL)
			qf->error = xstrdup(line + 6);
		else if (sscanf(line, "queued %lld", &qf->queued) == 1)
			saw_queued = 1;
		else if (sscanf(line, "attempts %d", &qf->attempts) != 1 &&
			 sscanf(line, "next %lld", &qf->next_try) != 1)
			(void)sscanf(line, "dead %d", &qf->dead);
	}
	if (qf->from == NULL || qf->rcpt == NULL || !saw_queued ||
	    bad_addr(qf->from, 1) || bad_addr(qf->rcpt, 0))
		goto bad;
	if (whole) {
		qf->msg = end + 2;
		qf->len = qf->buf_len - (size_t)(qf->msg - qf->buf);
		if (qf->len == 0)
			goto bad;
	}
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

/*
 * load_qfile - the queue file PATH into *QF: its header, and the message
 * too when BODY is 1, or when BODY is 2 and the file is small. 0, or -1
 * with errno ENOENT when the message is gone, or another errno (EINVAL:
 * not a queue file) when it is unreadable or corrupt. Clear *QF with
 * qfile_clear either way.
 */
static int load_qfile(const char *path, int body, struct qfile *qf)
{
	int whole;

	memset(qf, 0, sizeof(*qf));
	whole = body == 1;
	if (read_file(path, whole ? HEAD_MAX + MSG_MAX : SMALL_MSG, !whole,
		      &qf->buf, &qf->buf_len) < 0)
		return -1;
	/* read whole when the file was no longer than that */
	if (body == 2 && qf->buf_len < SMALL_MSG)
		whole = 1;
	return parse_head(qf, whole);
}

/* qfile_head - QF's header as it goes into its file (new memory). */
static char *qfile_head(const struct qfile *qf)
{
	char *err = clean_error(qf->error), *head;

	head = xasprintf(SPOOL_MAGIC "from %s\nrcpt %s\nqueued %lld\n"
				     "attempts %d\nnext %lld\ndead %d\n"
				     "error %s\n\n",
			 qf->from, qf->rcpt, qf->queued, qf->attempts,
			 qf->next_try, qf->dead, err);
	free(err);
	return head;
}

/* save_state - replace queue/ID with QF (header and message, which must
 * have been read) atomically and durably: tmp/ID.new, renamed over it. */
static int save_state(struct spool *spool, const char *id,
		      const struct qfile *qf)
{
	char *tmp = xasprintf("%s/%s" NEW_SUFFIX, spool->tmp, id);
	char *path = xasprintf("%s/%s", spool->queue, id);
	char *head = qfile_head(qf);
	int r = -1;

	if (write_file(tmp, head, strlen(head), qf->msg, qf->len, 1) < 0)
		goto out;
	if (rename(tmp, path) < 0)
		goto out;
	r = fsync_dir(spool->queue);
out:
	if (r < 0)
		unlink(tmp);
	free(head);
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
	char *tpath = NULL, *qpath = NULL, *head = NULL;
	struct qfile qf;
	int r = KCG_EINVAL, tries;

	memset(&qf, 0, sizeof(qf));
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
	qf.from = (char *)env_from;
	qf.rcpt = (char *)rcpt;
	qf.queued = (long long)time(NULL);
	head = qfile_head(&qf);
	for (tries = 0; tries < 10; tries++) {
		new_id(id);
		free(tpath);
		tpath = xasprintf("%s/%s", spool->tmp, id);
		if (write_file(tpath, head, strlen(head), msg, len, 0) == 0)
			break;
		if (errno != EEXIST)
			goto fail;
	}
	if (tries == 10) {
		*error_r = "無法產生佇列編號 / cannot make a queue id";
		free(tpath);
		tpath = NULL;
		goto out;
	}
	qpath = xasprintf("%s/%s", spool->queue, id);
	if (rename(tpath, qpath) < 0)
		goto fail;
	free(tpath);
	tpath = NULL; /* it is in queue/ now: never remove it below */
	/* tmp/ is not synced: a crash may bring tmp/ID back, which is never
	 * sent from there and is removed a day later (clean_tmp) */
	if (fsync_dir(spool->queue) < 0)
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
	if (r < 0 && tpath != NULL)
		unlink(tpath);
	free(tpath);
	free(qpath);
	free(head);
	return r;
}

/* load_entry - the listing of message ID in directory BASE; 0, -1 with
 * errno ENOENT when it vanished, or -1 otherwise. */
static int load_entry(const char *base, const char *id, int dead,
		      struct spool_entry *e)
{
	char *path = xasprintf("%s/%s", base, id);
	struct qfile qf;
	int r = -1;

	memset(e, 0, sizeof(*e));
	if (load_qfile(path, 0, &qf) < 0) {
		if (errno == ENOENT)
			goto out;
		/* Corrupt: list it anyway, so that someone looks. */
		qfile_clear(&qf);
		qf.from = xstrdup("");
		qf.rcpt = xstrdup("?");
		qf.error = xstrdup("佇列檔案損毀 / corrupt queue file");
	}
	e->id = xstrdup(id);
	e->env_from = qf.from;
	e->rcpt = qf.rcpt;
	e->queued = qf.queued;
	e->attempts = qf.attempts;
	e->next_try = qf.next_try;
	e->last_error = qf.error;
	e->dead = dead || qf.dead;
	qf.from = qf.rcpt = qf.error = NULL;
	r = 0;
out:
	qfile_clear(&qf);
	free(path);
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

/* clean_tmp - remove what crashed runs left in tmp/: states being
 * rewritten (*.new: only a drainer writes them, and the caller holds the
 * drain lock), sent messages a crash left before their removal (*.sent)
 * and enqueues abandoned for more than STALE_TMP seconds. */
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
		stale = n > ID_LEN &&
			(strcmp(de->d_name + ID_LEN, SENT_SUFFIX) == 0 ||
			 strcmp(de->d_name + ID_LEN, NEW_SUFFIX) == 0);
		if (!stale && !valid_id(de->d_name))
			continue;
		p = xasprintf("%s/%s", spool->tmp, de->d_name);
		if (!stale && lstat(p, &st) == 0 &&
		    time(NULL) - st.st_mtime > STALE_TMP)
			stale = 1;
		if (stale && remove_path(p) < 0)
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

/* move_dead - give message ID up with REASON: record it in its file
 * (QF, read whole; NULL for a file that cannot be read, which moves as it
 * is), then move the file to dead/. */
static int move_dead(struct spool *spool, const char *id, struct qfile *qf,
		     const char *reason, const char **error_r)
{
	char *qpath = xasprintf("%s/%s", spool->queue, id);
	char *dpath = xasprintf("%s/%s", spool->dead, id);
	int r = KCG_EINTERNAL;

	if (qf != NULL && (!qf->dead || reason != NULL)) {
		qf->dead = 1;
		if (reason != NULL) {
			free(qf->error);
			qf->error = xstrdup(reason);
		}
		if (save_state(spool, id, qf) < 0)
			goto fail;
	}
	if (rename(qpath, dpath) < 0 || fsync_dir(spool->queue) < 0 ||
	    fsync_dir(spool->dead) < 0)
		goto fail;
	r = 0;
	goto out;
fail:
	*error_r = err_fmt("無法移動 %s 至 dead/ / cannot move %s to dead/: %s",
			   id, id, strerror(errno));
out:
	free(qpath);
	free(dpath);
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
 * before anything else (a rename to tmp/ID.sent), then remove it. */
static int commit_sent(struct spool *spool, const char *id,
		       const char **error_r)
{
	char *qpath = xasprintf("%s/%s", spool->queue, id);
	char *spath = xasprintf("%s/%s" SENT_SUFFIX, spool->tmp, id);
	int r = KCG_EINTERNAL;

	if (rename(qpath, spath) < 0 ||
	    (++spool->unsynced >= SYNC_EVERY && sync_queue(spool) < 0)) {
		*error_r = err_fmt("郵件 %s 已送出但無法移出佇列 / %s was sent "
				   "but cannot be taken out of the queue "
				   "(it may be sent again): %s",
				   id, id, strerror(errno));
		goto out;
	}
	reaper_add(spool->reaper, spath);
	spath = NULL;
	r = 0;
out:
	free(qpath);
	free(spath);
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
	char *path = xasprintf("%s/%s", spool->queue, id), *reason = NULL;
	struct qfile qf;
	long long now = (long long)time(NULL);
	const char *err = NULL;
	int r = 0, code = 0, sr;

	/* the header, and the message with it unless it is large */
	if (load_qfile(path, 2, &qf) < 0)
		goto unreadable;
	if (qf.dead) {
		/* A crash came between the decision and the move (which
		 * rewrites nothing then: the message need not be read). */
		r = move_dead(spool, id, &qf, NULL, error_r);
		goto out;
	}
	if (!(flags & SPOOL_DRAIN_ALL) && qf.next_try > now) {
		res->waiting++;
		note_due(res, qf.next_try);
		goto out;
	}
	if (qf.msg == NULL) {
		qfile_clear(&qf);
		if (load_qfile(path, 1, &qf) < 0)
			goto unreadable;
	}
	sr = send_fn(ctx, qf.from, qf.rcpt, qf.msg, qf.len, &code, &err);
	now = (long long)time(NULL);
	if (sr == 0) {
		r = commit_sent(spool, id, error_r);
		if (r == 0) {
			res->sent++;
			log_info("%s: sent to %s", id, qf.rcpt);
			audit_record("mail-sent", qf.rcpt, 0, "message %s", id);
		}
		goto out;
	}
	reason = clean_error(err != NULL ? err : "unknown error");
	err = reason;
	qf.attempts++;
	if (sr == KCG_EINVAL || code / 100 == 5) {
		log_error("%s: to %s: %s (given up)", id, qf.rcpt, err);
		r = move_dead(spool, id, &qf, err, error_r);
		if (r == 0) {
			res->dead++;
			audit_record("mail-dead", qf.rcpt, KCG_EMAIL,
				     "message %s: %s", id, err);
		}
		goto out;
	}
	if (now - qf.queued >= cfg->spool_max_age) {
		char *gave_up = xasprintf(
			"%d 次嘗試後放棄 / gave up after %d attempts "
			"in %lld s: %s",
			qf.attempts, qf.attempts, now - qf.queued, err);
		log_error("%s: to %s: %s", id, qf.rcpt, gave_up);
		r = move_dead(spool, id, &qf, gave_up, error_r);
		if (r == 0) {
			res->dead++;
			audit_record("mail-dead", qf.rcpt, KCG_EMAIL,
				     "message %s: %s", id, gave_up);
		}
		free(gave_up);
		goto out;
	}
	qf.next_try = now + backoff(cfg, qf.attempts);
	free(qf.error);
	qf.error = xstrdup(err);
	if (save_state(spool, id, &qf) < 0) {
		*error_r = err_fmt("無法寫入 %s / cannot write %s: %s", path,
				   path, strerror(errno));
		r = KCG_EINTERNAL;
		goto out;
	}
	log_warning("%s: to %s: %s (attempt %d, next in %lld s)", id, qf.rcpt,
		    err, qf.attempts, qf.next_try - now);
	res->deferred++;
	note_due(res, qf.next_try);
	goto out;
unreadable:
	if (errno == ENOENT)
		goto out; /* gone meanwhile */
	/* Unreadable, not a queue file (a folder of the old layout, say):
	 * moved to dead/ as it is, for someone to look at. */
	reason = xasprintf("佇列檔案損毀 / corrupt queue file: %s",
			   strerror(errno));
	log_error("%s: %s", id, reason);
	r = move_dead(spool, id, NULL, reason, error_r);
	if (r == 0) {
		res->dead++;
		audit_record("mail-dead", "?", KCG_EMAIL, "message %s: %s", id,
			     reason);
	}
out:
	qfile_clear(&qf);
	free(reason);
	free(path);
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
	if (n > 0) /* a daemon's idle wake-up makes no thread */
		spool->reaper = reaper_start();
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
	reaper_stop(&spool->reaper);
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
