/*
 * xalloc - allocation for the programs: it succeeds or the process exits.
 *
 * Never use these in code that runs inside slapd (src/slapd), which must
 * return errors instead.
 */
#ifndef KCG_XALLOC_H
#define KCG_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
/* xstrndup - at most N bytes of S (fewer at a NUL), NUL-terminated. */
char *xstrndup(const char *s, size_t n);
/* xasprintf - formatted string in new memory owned by the caller. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* xfree_secret - wipe the NUL-terminated secret *SP, free it, set NULL. */
void xfree_secret(char **sp);

#endif
