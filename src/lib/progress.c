/* progress - placeholder until the pkg branch lands. */
#include <stdlib.h>

#include "progress.h"

int progress_new(FILE *fp, const char *label, unsigned long total,
		 struct progress **p_r)
{
	(void)fp;
	(void)label;
	(void)total;
	*p_r = NULL;
	return 0;
}

void progress_update(struct progress *p, unsigned long done)
{
	(void)p;
	(void)done;
}

void progress_done(struct progress *p)
{
	(void)p;
}

void progress_free(struct progress **pp)
{
	*pp = NULL;
}
