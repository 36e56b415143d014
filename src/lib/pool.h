/*
 * pool - a few worker processes, each with its own directory session, so
 * that a bulk job keeps several LDAP operations in flight.
 *
 * Work that waits on slapd (a group commit, an ARGON2 hash) gains from
 * several connections at once, and slapd spreads them over its threads
 * and the machine's cores. Workers are processes, not threads: each has
 * its own libldap handle, and our modules keep per-process state (the
 * err_fmt ring, the audit file) that threads would have to share.
 *
 * The parent hands each request to an idle worker over a pipe; the
 * worker answers with one reply, and the parent gets the replies back in
 * the order of the requests, so output stays in file order. Replies that
 * come early wait for their turn (up to 8 per worker), so one slow
 * request does not idle the workers that finish after it. Requests and
 * replies are byte strings built with pool_msg (the pipes stay inside the
 * process tree; passwords in them are wiped from our buffers after use).
 */
#ifndef KCG_POOL_H
#define KCG_POOL_H

#include <stddef.h>

struct pool;
struct pool_msg;

/*
 * pool_work_fn - run in a worker for each request REQ (LEN bytes, owned
 * by the pool); append the answer to REPLY. STATE is what init returned.
 */
typedef void pool_work_fn(void *ctx, void *state, const void *req, size_t len,
			  struct pool_msg *reply);
/*
 * pool_init_fn - run once in each new worker: set up *state_r (e.g. open
 * a directory session). A failure is returned as a negative KCG_E* code
 * with the message; the worker then answers every request with
 * pool_msg_failure.
 */
typedef int pool_init_fn(void *ctx, void **state_r, const char **error_r);
/*
 * pool_done_fn - in the parent, the reply to the request tagged TAG, in
 * submission order. REPLY (owned by the pool, valid during the call) is
 * NULL when the worker died or could not start; ERROR then says why.
 */
typedef void pool_done_fn(void *ctx, unsigned long tag, const void *reply,
			  size_t len, const char *error);

/*
 * pool_new - start JOBS workers (1..64) running INIT once then WORK per
 * request; DONE is called in the parent. CTX is shared by all three (the
 * workers see a copy made at fork). Returns 0 with *pool_r (free with
 * pool_free), KCG_EINTERNAL when fork or pipe failed.
 */
int pool_new(unsigned jobs, pool_init_fn *init, pool_work_fn *work,
	     pool_done_fn *done, void *ctx, struct pool **pool_r,
	     const char **error_r);

/*
 * pool_submit - send REQ (copied) tagged TAG to the next idle worker,
 * first waiting for (and delivering) replies when all are busy. Returns
 * 0, or KCG_EINTERNAL when no worker is left.
 */
int pool_submit(struct pool *pool, unsigned long tag, const void *req,
		size_t len, const char **error_r);

/*
 * pool_free - deliver the outstanding replies, stop the workers, wait
 * for them and free *poolp (set to NULL).
 */
void pool_free(struct pool **poolp);

/*
 * pool_msg - a growing byte string of u64 numbers and strings, and a
 * cursor to read one back. Strings are read as pointers into the
 * message (valid while it is). pool_msg_wipe zeroes the bytes (for
 * passwords) and empties it.
 */
struct pool_msg *pool_msg_new(void);
void pool_msg_put_u64(struct pool_msg *m, unsigned long long v);
void pool_msg_put_str(struct pool_msg *m, const char *s); /* NULL ok */
const void *pool_msg_data(const struct pool_msg *m, size_t *len_r);
void pool_msg_wipe(struct pool_msg *m);
void pool_msg_free(struct pool_msg **mp);

struct pool_cursor {
	const unsigned char *p, *end;
	int bad; /* set when a read went past the end */
};
void pool_cursor_init(struct pool_cursor *c, const void *data, size_t len);
unsigned long long pool_get_u64(struct pool_cursor *c);
/* pool_get_str - the next string (NULL when a NULL was put, or bad). */
const char *pool_get_str(struct pool_cursor *c);

#endif
