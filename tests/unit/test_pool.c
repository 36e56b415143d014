/*
 * test_pool - the worker pool: replies come back in the order of the
 * requests; a slow request does not stop the other workers; a worker
 * that dies or cannot start is reported for its requests.
 *
 * Real worker processes (fork) and pipes; no timing in the assertions: a
 * request that waits for a later one is released by a file the later one
 * creates, and says so in its reply.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kcg.h"
#include "pool.h"

#define N_ORDER 40
#define N_SLOW	12 /* requests after the slow one: beyond 2 workers */
#define DIE_TAG 5

struct tctx {
	char marker[64]; /* the slow request waits for this file */
	unsigned long got[N_ORDER + 1];
	unsigned long answer[N_ORDER + 1];
	char error[N_ORDER + 1][64];
	size_t n;
};

static int init_ok(void *ctx, void **state_r, const char **error_r)
{
	(void)ctx;
	(void)error_r;
	*state_r = NULL;
	return 0;
}

static int init_fails(void *ctx, void **state_r, const char **error_r)
{
	(void)ctx;
	(void)state_r;
	*error_r = "no directory";
	return KCG_EDIR;
}

/* order_work - answer n*n, after a pause that differs per request. */
static void order_work(void *ctx, void *state, const void *req, size_t len,
		       struct pool_msg *reply)
{
	struct pool_cursor c;
	unsigned long long n;

	(void)ctx;
	(void)state;
	pool_cursor_init(&c, req, len);
	n = pool_get_u64(&c);
	if (n == DIE_TAG && getenv("TEST_POOL_DIE") != NULL)
		_exit(3);
	usleep((useconds_t)((n * 7) % 5) * 1000);
	pool_msg_put_u64(reply, n * n);
}

/* slow_work - request 0 waits (at most 10 s) for the marker the last
 * request creates; the answer says whether it was released. */
static void slow_work(void *ctx, void *state, const void *req, size_t len,
		      struct pool_msg *reply)
{
	struct tctx *t = ctx;
	struct pool_cursor c;
	unsigned long long n;
	int i;
	FILE *f;

	(void)state;
	pool_cursor_init(&c, req, len);
	n = pool_get_u64(&c);
	if (n == 0) {
		for (i = 0; i < 1000 && access(t->marker, F_OK) != 0; i++)
			poll(NULL, 0, 10);
		pool_msg_put_u64(reply, access(t->marker, F_OK) == 0);
		return;
	}
	if (n == N_SLOW && (f = fopen(t->marker, "w")) != NULL)
		fclose(f);
	pool_msg_put_u64(reply, 1);
}

static void collect(void *ctx, unsigned long tag, const void *data, size_t len,
		    const char *error)
{
	struct tctx *t = ctx;
	struct pool_cursor c;

	if (t->n > N_ORDER)
		fail_msg("more replies than requests");
	t->got[t->n] = tag;
	if (data != NULL) {
		pool_cursor_init(&c, data, len);
		t->answer[t->n] = (unsigned long)pool_get_u64(&c);
		if (c.bad)
			fail_msg("reply %lu is short", tag);
	} else {
		snprintf(t->error[t->n], sizeof(t->error[0]), "%s",
			 error != NULL ? error : "");
	}
	t->n++;
}

/* run_pool - N requests 0..N-1 through a pool of JOBS workers; every
 * reply, in order, lands in T. */
static void run_pool(struct tctx *t, unsigned jobs, pool_init_fn *init,
		     pool_work_fn *work, unsigned long n)
{
	struct pool_msg *m = pool_msg_new();
	struct pool *pool = NULL;
	const char *err = NULL;
	const void *data;
	size_t len;
	unsigned long i;

	assert_int_equal(pool_new(jobs, init, work, collect, t, &pool, &err),
			 0);
	for (i = 0; i < n; i++) {
		pool_msg_wipe(m);
		pool_msg_put_u64(m, i);
		data = pool_msg_data(m, &len);
		assert_int_equal(pool_submit(pool, i, data, len, &err), 0);
	}
	pool_msg_free(&m);
	pool_free(&pool);
	assert_null(pool);
	assert_int_equal(t->n, n);
	for (i = 0; i < n; i++)
		assert_int_equal(t->got[i], i);
}

static void test_replies_in_request_order(void **state)
{
	struct tctx t;
	unsigned long i;

	(void)state;
	memset(&t, 0, sizeof(t));
	run_pool(&t, 3, init_ok, order_work, N_ORDER);
	for (i = 0; i < N_ORDER; i++)
		assert_int_equal(t.answer[i], i * i);
}

/* With one reply slot per worker, request 2 could not go out before
 * request 0 was answered, and request 0 waits for the last one. */
static void test_slow_request_does_not_stop_the_others(void **state)
{
	struct tctx t;
	unsigned long i;

	(void)state;
	memset(&t, 0, sizeof(t));
	snprintf(t.marker, sizeof(t.marker), "test_pool.%ld.marker",
		 (long)getpid());
	unlink(t.marker);
	run_pool(&t, 2, init_ok, slow_work, N_SLOW + 1);
	unlink(t.marker);
	for (i = 0; i <= N_SLOW; i++)
		if (t.answer[i] != 1)
			fail_msg("request %lu was not released", i);
}

static void test_dead_worker_is_reported(void **state)
{
	struct tctx t;
	unsigned long i;

	(void)state;
	memset(&t, 0, sizeof(t));
	setenv("TEST_POOL_DIE", "1", 1);
	run_pool(&t, 2, init_ok, order_work, 10);
	unsetenv("TEST_POOL_DIE");
	for (i = 0; i < 10; i++) {
		if (i == DIE_TAG)
			assert_non_null(strstr(t.error[i], "worker died"));
		else
			assert_int_equal(t.answer[i], i * i);
	}
}

static void test_worker_that_cannot_start(void **state)
{
	struct tctx t;
	unsigned long i;

	(void)state;
	memset(&t, 0, sizeof(t));
	run_pool(&t, 2, init_fails, order_work, 4);
	for (i = 0; i < 4; i++)
		assert_string_equal(t.error[i], "no directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replies_in_request_order),
		cmocka_unit_test(test_slow_request_does_not_stop_the_others),
		cmocka_unit_test(test_dead_worker_is_reported),
		cmocka_unit_test(test_worker_that_cannot_start),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
