/*
 * progress - a one-line progress display (see progress.h).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kcg.h"
#include "progress.h"
#include "xalloc.h"

/* Minimum time between two redraws: about ten a second. */
#define PROGRESS_INTERVAL_NS 100000000LL

struct progress {
	FILE *fp;
	char *label;
	unsigned long total;
	int enabled;	    /* drawing at all (terminal or KCG_PROGRESS=1) */
	int drawn;	    /* drawn at least once */
	int shown;	    /* the line is on the terminal now */
	int finished;	    /* progress_done was called */
	long long start_ns; /* CLOCK_MONOTONIC at progress_new */
	long long last_ns;  /* at the last redraw */
	unsigned long last; /* done at the last redraw */
};

/* now_ns - CLOCK_MONOTONIC in nanoseconds (0 if the clock fails). */
static long long now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* wanted - whether to draw on FP: KCG_PROGRESS, else a terminal. */
static int wanted(FILE *fp)
{
	const char *env = getenv("KCG_PROGRESS");
	int fd;

	if (env != NULL && strcmp(env, "1") == 0)
		return 1;
	if (env != NULL && strcmp(env, "0") == 0)
		return 0;
	fd = fileno(fp);
	return fd >= 0 && isatty(fd);
}

int progress_new(FILE *fp, const char *label, unsigned long total,
		 struct progress **p_r)
{
	struct progress *p;

	if (fp == NULL || label == NULL)
		return KCG_EINVAL;
	p = xcalloc(1, sizeof(*p));
	p->fp = fp;
	p->label = xstrdup(label);
	p->total = total;
	p->enabled = wanted(fp);
	p->start_ns = now_ns();
	*p_r = p;
	return 0;
}

/* draw - write the line for DONE items at time NOW. */
static void draw(struct progress *p, unsigned long done, long long now)
{
	double secs = (double)(now - p->start_ns) / 1e9;
	double pct;

	fprintf(p->fp, "\r%s %lu", p->label, done);
	if (p->total > 0) {
		pct = (double)done * 100.0 / (double)p->total;
		if (pct > 100.0)
			pct = 100.0;
		fprintf(p->fp, "/%lu (%d%%)", p->total, (int)pct);
	}
	if (secs > 0.0)
		fprintf(p->fp, " %.1f/s", (double)done / secs);
	fputs("\033[K", p->fp);
	fflush(p->fp);
	p->drawn = 1;
	p->shown = 1;
	p->last_ns = now;
	p->last = done;
}

void progress_update(struct progress *p, unsigned long done)
{
	long long now;

	if (p == NULL || !p->enabled || p->finished)
		return;
	now = now_ns();
	if (p->drawn && now - p->last_ns < PROGRESS_INTERVAL_NS &&
	    !(p->total > 0 && done >= p->total && p->last < p->total))
		return;
	draw(p, done, now);
}

/* erase - take the line off the terminal if it is there. */
static void erase(struct progress *p)
{
	if (!p->shown)
		return;
	fputs("\r\033[K", p->fp);
	fflush(p->fp);
	p->shown = 0;
}

void progress_clear(struct progress *p)
{
	if (p == NULL || p->finished)
		return;
	erase(p);
}

void progress_done(struct progress *p)
{
	if (p == NULL || p->finished)
		return;
	p->finished = 1;
	erase(p);
}

void progress_free(struct progress **pp)
{
	struct progress *p = *pp;

	if (p == NULL)
		return;
	progress_done(p);
	free(p->label);
	free(p);
	*pp = NULL;
}
