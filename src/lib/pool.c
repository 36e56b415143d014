/*
 * pool - worker processes for bulk jobs (see pool.h).
 *
 * A frame on a pipe is an 8-byte length followed by that many bytes. A
 * reply frame starts with one status byte: 0 and the worker's answer, or
 * 1 and an error message.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "kcg.h"
#include "pool.h"
#include "xalloc.h"

#define POOL_MAX_JOBS  64
#define POOL_MAX_FRAME (64UL * 1024 * 1024)
/* Replies kept for their turn, per worker. With only one per worker, one
 * slow request (a hash that lost its core, a write queued behind an
 * fsync) idled every worker that finished after it: part of why apply
 * --batch left the two cores 17-21 % idle (docs/performance.md). */
#define POOL_WINDOW_PER_JOB 8

struct pool_msg {
	unsigned char *data;
	size_t len, cap;
};

struct worker {
	pid_t pid;
	int req_fd, rep_fd; /* -1 once closed */
	int busy;
	unsigned long seq; /* of the request it works on */
};

/* A reply waiting for its turn (replies are delivered in order). */
struct done_slot {
	int used;
	unsigned long seq, tag;
	unsigned char *data; /* NULL: failed, see error */
	size_t len;
	char *error;
};

struct pool {
	struct worker *w;
	unsigned n;
	unsigned window; /* requests in flight or waiting for their turn */
	pool_done_fn *done;
	void *ctx;
	unsigned long next_seq, next_deliver;
	unsigned long *tags;	 /* by seq % window: the tag of each request */
	struct done_slot *slots; /* by seq % window */
	struct sigaction old_pipe;
};

/* ---- messages ------------------------------------------------------------ */

struct pool_msg *pool_msg_new(void)
{
	return xcalloc(1, sizeof(struct pool_msg));
}

static void msg_put(struct pool_msg *m, const void *p, size_t len)
{
	if (m->len + len > m->cap) {
		size_t cap = m->cap ? m->cap : 256;
		unsigned char *bigger;

		while (cap < m->len + len)
			cap *= 2;
		/* grow by copy so that a secret never stays in freed memory */
		bigger = xmalloc(cap);
		if (m->len > 0)
			memcpy(bigger, m->data, m->len);
		if (m->data != NULL) {
			explicit_bzero(m->data, m->cap);
			free(m->data);
		}
		m->data = bigger;
		m->cap = cap;
	}
	memcpy(m->data + m->len, p, len);
	m->len += len;
}

void pool_msg_put_u64(struct pool_msg *m, unsigned long long v)
{
	uint64_t x = v;

	msg_put(m, &x, sizeof(x));
}

void pool_msg_put_str(struct pool_msg *m, const char *s)
{
	if (s == NULL) {
		pool_msg_put_u64(m, UINT64_MAX);
		return;
	}
	pool_msg_put_u64(m, strlen(s));
	msg_put(m, s, strlen(s) + 1);
}

const void *pool_msg_data(const struct pool_msg *m, size_t *len_r)
{
	*len_r = m->len;
	return m->data;
}

void pool_msg_wipe(struct pool_msg *m)
{
	if (m->data != NULL)
		explicit_bzero(m->data, m->cap);
	m->len = 0;
}

void pool_msg_free(struct pool_msg **mp)
{
	if (mp == NULL || *mp == NULL)
		return;
	pool_msg_wipe(*mp);
	free((*mp)->data);
	free(*mp);
	*mp = NULL;
}

void pool_cursor_init(struct pool_cursor *c, const void *data, size_t len)
{
	c->p = data;
	c->end = c->p + len;
	c->bad = 0;
}

unsigned long long pool_get_u64(struct pool_cursor *c)
{
	uint64_t x;

	if ((size_t)(c->end - c->p) < sizeof(x)) {
		c->bad = 1;
		return 0;
	}
	memcpy(&x, c->p, sizeof(x));
	c->p += sizeof(x);
	return x;
}

const char *pool_get_str(struct pool_cursor *c)
{
	uint64_t len = pool_get_u64(c);
	const char *s;

	if (c->bad || len == UINT64_MAX)
		return NULL;
	if ((uint64_t)(c->end - c->p) < len + 1 || c->p[len] != '\0') {
		c->bad = 1;
		return NULL;
	}
	s = (const char *)c->p;
	c->p += len + 1;
	return s;
}

/* ---- frames -------------------------------------------------------------- */

/* io_all - write or read exactly LEN bytes; 0, or -1 (errno; EOF: 0). */
static int io_all(int fd, void *buf, size_t len, int writing)
{
	unsigned char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = writing ? write(fd, p, len) : read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = 0;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* frame_write - HEAD (one status byte, or none when HEAD < 0), then P. */
static int frame_write(int fd, int head, const void *p, size_t len)
{
	uint64_t n = len + (head >= 0);
	unsigned char h = (unsigned char)head;

	if (io_all(fd, &n, sizeof(n), 1) < 0 ||
	    (head >= 0 && io_all(fd, &h, 1, 1) < 0) ||
	    (len > 0 && io_all(fd, (void *)p, len, 1) < 0))
		return -1;
	return 0;
}

/* frame_read - a whole frame in new memory (*len_r bytes). */
static int frame_read(int fd, unsigned char **data_r, size_t *len_r)
{
	uint64_t n;
	unsigned char *data;

	if (io_all(fd, &n, sizeof(n), 0) < 0)
		return -1;
	if (n > POOL_MAX_FRAME) {
		errno = EMSGSIZE;
		return -1;
	}
	data = xmalloc((size_t)n + 1);
	if (io_all(fd, data, (size_t)n, 0) < 0) {
		free(data);
		return -1;
	}
	data[n] = '\0';
	*data_r = data;
	*len_r = (size_t)n;
	return 0;
}

/* ---- the worker ---------------------------------------------------------- */

static void __attribute__((noreturn))
worker_main(int req_fd, int rep_fd, pool_init_fn *init, pool_work_fn *work,
	    void *ctx)
{
	struct pool_msg *reply = pool_msg_new();
	const char *err = NULL;
	unsigned char *req;
	size_t len, rlen;
	const void *rdata;
	void *state = NULL;
	int r;

	r = init != NULL ? init(ctx, &state, &err) : 0;
	if (r < 0)
		err = xstrdup(err != NULL ? err : "worker setup failed");
	while (frame_read(req_fd, &req, &len) == 0) {
		pool_msg_wipe(reply);
		if (r == 0)
			work(ctx, state, req, len, reply);
		explicit_bzero(req, len);
		free(req);
		rdata = pool_msg_data(reply, &rlen);
		if ((r == 0 ? frame_write(rep_fd, 0, rdata, rlen)
			    : frame_write(rep_fd, 1, err, strlen(err))) < 0)
			break;
	}
	pool_msg_free(&reply);
	_exit(0);
}

/* ---- the parent ---------------------------------------------------------- */

/* worker_close - close our ends of W's pipes. */
static void worker_close(struct worker *w)
{
	if (w->req_fd >= 0)
		close(w->req_fd);
	if (w->rep_fd >= 0)
		close(w->rep_fd);
	w->req_fd = w->rep_fd = -1;
}

int pool_new(unsigned jobs, pool_init_fn *init, pool_work_fn *work,
	     pool_done_fn *done, void *ctx, struct pool **pool_r,
	     const char **error_r)
{
	struct pool *pool = xcalloc(1, sizeof(*pool));
	struct sigaction ign;
	int req[2], rep[2];
	unsigned i, k;

	if (jobs < 1)
		jobs = 1;
	if (jobs > POOL_MAX_JOBS)
		jobs = POOL_MAX_JOBS;
	pool->w = xcalloc(jobs, sizeof(*pool->w));
	for (i = 0; i < jobs; i++)
		pool->w[i].req_fd = pool->w[i].rep_fd = -1;
	pool->window = jobs * POOL_WINDOW_PER_JOB;
	pool->tags = xcalloc(pool->window, sizeof(*pool->tags));
	pool->slots = xcalloc(pool->window, sizeof(*pool->slots));
	pool->done = done;
	pool->ctx = ctx;
	/* a worker that died must not kill us when we write to it */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, &pool->old_pipe);
	fflush(NULL); /* or the children would print our buffers again */
	for (i = 0; i < jobs; i++) {
		if (pipe2(req, O_CLOEXEC) < 0)
			goto fail;
		if (pipe2(rep, O_CLOEXEC) < 0) {
			close(req[0]);
			close(req[1]);
			goto fail;
		}
		pool->w[i].pid = fork();
		if (pool->w[i].pid < 0) {
			close(req[0]);
			close(req[1]);
			close(rep[0]);
			close(rep[1]);
			goto fail;
		}
		if (pool->w[i].pid == 0) {
			for (k = 0; k < i; k++)
				worker_close(&pool->w[k]);
			close(req[1]);
			close(rep[0]);
			worker_main(req[0], rep[1], init, work, ctx);
		}
		close(req[0]);
		close(rep[1]);
		pool->w[i].req_fd = req[1];
		pool->w[i].rep_fd = rep[0];
		pool->n++;
	}
	*pool_r = pool;
	return 0;
fail:
	*error_r = err_fmt("無法啟動工作程序 / cannot start workers: %s",
			   strerror(errno));
	pool_free(&pool);
	return KCG_EINTERNAL;
}

/* complete - W finished (DATA, or failed with ERROR): keep the reply for
 * its turn, then deliver every reply whose turn has come. */
static void complete(struct pool *pool, struct worker *w, unsigned char *data,
		     size_t len, const char *error)
{
	struct done_slot *s = &pool->slots[w->seq % pool->window];
	unsigned char *d;

	s->used = 1;
	s->seq = w->seq;
	s->tag = pool->tags[w->seq % pool->window];
	s->data = data;
	s->len = len;
	s->error = error != NULL ? xstrdup(error) : NULL;
	w->busy = 0;
	for (;;) {
		s = &pool->slots[pool->next_deliver % pool->window];
		if (!s->used || s->seq != pool->next_deliver)
			break;
		d = s->data;
		if (d != NULL && d[0] != 0) { /* the worker could not start */
			pool->done(pool->ctx, s->tag, NULL, 0,
				   (const char *)d + 1);
		} else {
			pool->done(pool->ctx, s->tag, d != NULL ? d + 1 : NULL,
				   d != NULL ? s->len - 1 : 0,
				   s->error != NULL ? s->error : "");
		}
		if (d != NULL) {
			explicit_bzero(d, s->len);
			free(d);
		}
		free(s->error);
		memset(s, 0, sizeof(*s));
		pool->next_deliver++;
	}
}

/* wait_some - wait for at least one busy worker to answer. Returns 0, or
 * -1 when none is busy. */
static int wait_some(struct pool *pool)
{
	struct pollfd *pfd = xcalloc(pool->n, sizeof(*pfd));
	unsigned char *data;
	size_t len;
	unsigned i, k, nb = 0;
	int r = -1;

	for (i = 0; i < pool->n; i++)
		if (pool->w[i].busy) {
			pfd[nb].fd = pool->w[i].rep_fd;
			pfd[nb].events = POLLIN;
			nb++;
		}
	if (nb == 0)
		goto out;
	while (poll(pfd, nb, -1) < 0)
		if (errno != EINTR)
			goto out;
	for (k = 0; k < nb; k++) {
		if (pfd[k].revents == 0)
			continue;
		for (i = 0; pool->w[i].rep_fd != pfd[k].fd; i++)
			;
		if (frame_read(pool->w[i].rep_fd, &data, &len) == 0 &&
		    len > 0) {
			complete(pool, &pool->w[i], data, len, NULL);
		} else {
			worker_close(&pool->w[i]);
			complete(pool, &pool->w[i], NULL, 0,
				 "工作程序意外結束 / a worker died");
		}
	}
	r = 0;
out:
	free(pfd);
	return r;
}

int pool_submit(struct pool *pool, unsigned long tag, const void *req,
		size_t len, const char **error_r)
{
	struct worker *w = NULL;
	unsigned i;

	for (;;) {
		/* at most WINDOW requests not delivered yet: the slots
		 * that keep their replies for their turn */
		for (i = 0; i < pool->n && w == NULL &&
			    pool->next_seq - pool->next_deliver < pool->window;
		     i++)
			if (!pool->w[i].busy && pool->w[i].req_fd >= 0)
				w = &pool->w[i];
		if (w != NULL)
			break;
		if (wait_some(pool) < 0) {
			*error_r = "沒有可用的工作程序 / no worker left";
			return KCG_EINTERNAL;
		}
	}
	w->busy = 1;
	w->seq = pool->next_seq++;
	pool->tags[w->seq % pool->window] = tag;
	if (frame_write(w->req_fd, -1, req, len) < 0) {
		worker_close(w);
		complete(pool, w, NULL, 0, "工作程序意外結束 / a worker died");
	}
	return 0;
}

void pool_free(struct pool **poolp)
{
	struct pool *pool = *poolp;
	unsigned i;
	int status;

	if (pool == NULL)
		return;
	while (wait_some(pool) == 0)
		;
	for (i = 0; i < pool->n; i++) {
		worker_close(&pool->w[i]); /* EOF: the worker exits */
		while (waitpid(pool->w[i].pid, &status, 0) < 0 &&
		       errno == EINTR)
			;
	}
	sigaction(SIGPIPE, &pool->old_pipe, NULL);
	free(pool->slots);
	free(pool->tags);
	free(pool->w);
	free(pool);
	*poolp = NULL;
}
