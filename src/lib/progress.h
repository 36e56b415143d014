/*
 * progress - a one-line progress display for long operations (roster
 * import, batch apply, purge).
 *
 * It draws only when the stream is a terminal, so that pipes, files, cron
 * and systemd logs stay clean. The environment variable KCG_PROGRESS
 * overrides the test: "1" draws whatever the stream is (for tests), "0"
 * never draws. Redraws are limited to about ten a second (CLOCK_MONOTONIC),
 * so calling progress_update() for every record costs next to nothing.
 *
 * The line is "\r<label> <done>/<total> (<pct>%) <rate>/s" followed by an
 * erase-to-end-of-line (ESC [ K); with an unknown total (0) it is
 * "\r<label> <done> <rate>/s". progress_done() erases the line, so the
 * next output starts on a clean line. Write errors are ignored: the
 * display is cosmetic and never changes what an operation does.
 */
#ifndef KCG_PROGRESS_H
#define KCG_PROGRESS_H

#include <stdio.h>

struct progress;

/*
 * progress_new - a display of LABEL (copied; UTF-8, one line) on FP, which
 * the caller keeps open and owns, for TOTAL items (0 = unknown). Nothing
 * is written yet. Returns 0 with the display in *p_r (free it with
 * progress_free), or KCG_EINVAL when FP or LABEL is NULL.
 */
int progress_new(FILE *fp, const char *label, unsigned long total,
		 struct progress **p_r);

/*
 * progress_update - DONE items are finished. Redraws the line when the
 * display is enabled and at least 100 ms have passed since the last
 * redraw (the first update and DONE == TOTAL always draw). P may be NULL
 * (then nothing happens).
 */
void progress_update(struct progress *p, unsigned long done);

/*
 * progress_clear - erase the line now, if it is shown, so that the caller
 * can write something else to the same terminal (a row's result, a
 * warning) without it landing on the progress line. The next
 * progress_update draws it again, still at most ten times a second.
 * P may be NULL.
 */
void progress_clear(struct progress *p);

/*
 * progress_done - the operation is over: erase the line if anything was
 * drawn. Later updates draw nothing. P may be NULL.
 */
void progress_done(struct progress *p);

/*
 * progress_free - free *PP and set it to NULL; when the display was not
 * done, it is done first (so an error message does not land on the
 * progress line). *PP may be NULL.
 */
void progress_free(struct progress **pp);

#endif
