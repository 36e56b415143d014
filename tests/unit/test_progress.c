/*
 * test_progress - the progress display: what it writes, when it stays
 * quiet (not a terminal, KCG_PROGRESS=0), the ten-a-second limit, and the
 * erased line at the end.
 *
 * Time is simulated: clock_gettime is wrapped (-Wl,--wrap=clock_gettime)
 * so that no assertion depends on how fast the machine is. The terminal
 * case uses a real pseudo-terminal.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "kcg.h"
#include "progress.h"

/* The simulated CLOCK_MONOTONIC, in milliseconds. */
static long long fake_ms;

int __real_clock_gettime(clockid_t id, struct timespec *ts);
int __wrap_clock_gettime(clockid_t id, struct timespec *ts);

int __wrap_clock_gettime(clockid_t id, struct timespec *ts)
{
	if (id != CLOCK_MONOTONIC)
		return __real_clock_gettime(id, ts);
	ts->tv_sec = (time_t)(fake_ms / 1000);
	ts->tv_nsec = (long)(fake_ms % 1000) * 1000000L;
	return 0;
}

/* contents - everything written to FP so far (static buffer). */
static const char *contents(FILE *fp)
{
	static char buf[4096];
	size_t n;

	fflush(fp);
	rewind(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	return buf;
}

static int setup(void **state)
{
	fake_ms = 1000000;
	return unsetenv("KCG_PROGRESS");
}

static void test_invalid(void **state)
{
	struct progress *p = NULL;

	assert_int_equal(progress_new(NULL, "x", 1, &p), KCG_EINVAL);
	assert_int_equal(progress_new(stderr, NULL, 1, &p), KCG_EINVAL);
	assert_null(p);
	/* NULL displays are accepted everywhere, for callers' error paths */
	progress_update(NULL, 1);
	progress_done(NULL);
	progress_free(&p);
	assert_null(p);
}

static void test_quiet_when_not_a_terminal(void **state)
{
	static const char *const envs[] = {NULL, "0", "", "yes"};
	struct progress *p = NULL;
	FILE *fp;
	size_t i;

	for (i = 0; i < KCG_N_ELEMENTS(envs); i++) {
		if (envs[i] != NULL)
			assert_int_equal(setenv("KCG_PROGRESS", envs[i], 1), 0);
		fp = tmpfile();
		assert_non_null(fp);
		assert_int_equal(progress_new(fp, "匯入", 3, &p), 0);
		progress_update(p, 1);
		fake_ms += 500;
		progress_update(p, 3);
		progress_done(p);
		progress_free(&p);
		assert_null(p);
		assert_string_equal(contents(fp), "");
		fclose(fp);
	}
}

static void test_forced_with_total(void **state)
{
	struct progress *p = NULL;
	FILE *fp = tmpfile();

	assert_non_null(fp);
	assert_int_equal(setenv("KCG_PROGRESS", "1", 1), 0);
	assert_int_equal(progress_new(fp, "roster", 10, &p), 0);
	assert_string_equal(contents(fp), "");
	progress_update(p, 1); /* the first update draws (no rate yet) */
	fake_ms += 50;
	progress_update(p, 2); /* 50 ms later: skipped */
	fake_ms += 49;
	progress_update(p, 3); /* 99 ms after the last draw: skipped */
	fake_ms += 101;
	progress_update(p, 4); /* 200 ms after the start: 20.0/s */
	fake_ms += 1;
	progress_update(p, 10); /* the last item always draws */
	fake_ms += 1;
	progress_update(p, 10); /* but only once */
	progress_done(p);
	progress_update(p, 11); /* nothing after done */
	progress_free(&p);
	assert_string_equal(contents(fp), "\rroster 1/10 (10%)\033[K"
					  "\rroster 4/10 (40%) 20.0/s\033[K"
					  "\rroster 10/10 (100%) 49.8/s\033[K"
					  "\r\033[K");
	fclose(fp);
}

static void test_forced_unknown_total(void **state)
{
	struct progress *p = NULL;
	FILE *fp = tmpfile();

	assert_non_null(fp);
	assert_int_equal(setenv("KCG_PROGRESS", "1", 1), 0);
	assert_int_equal(progress_new(fp, "清查", 0, &p), 0);
	fake_ms += 2000;
	progress_update(p, 5);
	fake_ms += 2000;
	progress_update(p, 12);
	/* freed without progress_done: the line is erased all the same */
	progress_free(&p);
	assert_null(p);
	assert_string_equal(contents(fp), "\r清查 5 2.5/s\033[K"
					  "\r清查 12 3.0/s\033[K"
					  "\r\033[K");
	fclose(fp);
}

static void test_more_than_total(void **state)
{
	struct progress *p = NULL;
	FILE *fp = tmpfile();

	assert_non_null(fp);
	assert_int_equal(setenv("KCG_PROGRESS", "1", 1), 0);
	assert_int_equal(progress_new(fp, "apply", 4, &p), 0);
	fake_ms += 1000;
	progress_update(p, 6); /* a caller's miscount stays at 100% */
	progress_done(p);
	progress_done(p); /* twice is harmless */
	progress_free(&p);
	assert_string_equal(contents(fp),
			    "\rapply 6/4 (100%) 6.0/s\033[K\r\033[K");
	fclose(fp);
}

static void test_nothing_drawn_nothing_erased(void **state)
{
	struct progress *p = NULL;
	FILE *fp = tmpfile();

	assert_non_null(fp);
	assert_int_equal(setenv("KCG_PROGRESS", "1", 1), 0);
	assert_int_equal(progress_new(fp, "purge", 0, &p), 0);
	progress_done(p);
	progress_free(&p);
	assert_string_equal(contents(fp), "");
	fclose(fp);
}

static void test_clear(void **state)
{
	struct progress *p = NULL;
	FILE *fp = tmpfile();

	assert_non_null(fp);
	assert_int_equal(setenv("KCG_PROGRESS", "1", 1), 0);
	assert_int_equal(progress_new(fp, "batch", 0, &p), 0);
	progress_clear(p); /* nothing shown yet: nothing to erase */
	fake_ms += 1000;
	progress_update(p, 1);
	progress_clear(p);
	fputs("line 2: failed\n", fp); /* what the caller prints */
	progress_clear(p);	       /* erased already */
	fake_ms += 50;
	progress_update(p, 2); /* still within 100 ms of the last draw */
	fake_ms += 50;
	progress_update(p, 3);
	progress_clear(p);
	progress_done(p);  /* erased already */
	progress_clear(p); /* done: nothing more */
	progress_clear(NULL);
	progress_free(&p);
	assert_string_equal(contents(fp), "\rbatch 1 1.0/s\033[K\r\033[K"
					  "line 2: failed\n"
					  "\rbatch 3 2.7/s\033[K\r\033[K");
	fclose(fp);
}

/* read_master - what the terminal received, waiting briefly for it. */
static void read_master(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	while (len < size - 1 && poll(&pfd, 1, 200) > 0) {
		n = read(fd, buf + len, size - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
}

static void test_terminal(void **state)
{
	static const char *const envs[] = {NULL, "0"};
	struct progress *p = NULL;
	char buf[512];
	int master, slave;
	FILE *fp;
	size_t i;

	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0)
		skip(); /* no pseudo-terminals in this container */
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	assert_true(slave >= 0);
	fp = fdopen(slave, "w");
	assert_non_null(fp);

	for (i = 0; i < KCG_N_ELEMENTS(envs); i++) {
		if (envs[i] != NULL)
			assert_int_equal(setenv("KCG_PROGRESS", envs[i], 1), 0);
		else
			assert_int_equal(unsetenv("KCG_PROGRESS"), 0);
		assert_int_equal(progress_new(fp, "tty", 2, &p), 0);
		progress_update(p, 1);
		progress_done(p);
		progress_free(&p);
		read_master(master, buf, sizeof(buf));
		if (envs[i] == NULL)
			assert_string_equal(buf,
					    "\rtty 1/2 (50%)\033[K\r\033[K");
		else
			assert_string_equal(buf, "");
	}
	fclose(fp);
	close(master);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_invalid, setup),
		cmocka_unit_test_setup(test_quiet_when_not_a_terminal, setup),
		cmocka_unit_test_setup(test_forced_with_total, setup),
		cmocka_unit_test_setup(test_forced_unknown_total, setup),
		cmocka_unit_test_setup(test_more_than_total, setup),
		cmocka_unit_test_setup(test_nothing_drawn_nothing_erased,
				       setup),
		cmocka_unit_test_setup(test_clear, setup),
		cmocka_unit_test_setup(test_terminal, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
