/* progress - a progress line on a terminal (placeholder; see pkg branch). */
#ifndef KCG_PROGRESS_H
#define KCG_PROGRESS_H
#include <stdio.h>
struct progress;
int progress_new(FILE *fp, const char *label, unsigned long total,
		 struct progress **p_r);
void progress_update(struct progress *p, unsigned long done);
void progress_done(struct progress *p);
void progress_free(struct progress **pp);
#endif
