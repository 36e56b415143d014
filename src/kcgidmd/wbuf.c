/*
 * wbuf - a growing text buffer with HTML escaping (see web.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web.h"
#include "xalloc.h"

struct wbuf *wbuf_new(void)
{
	struct wbuf *b = xcalloc(1, sizeof(*b));

	b->cap = 256;
	b->data = xmalloc(b->cap);
	b->data[0] = '\0';
	return b;
}

void wbuf_free(struct wbuf **bp)
{
	struct wbuf *b = *bp;

	if (b == NULL)
		return;
	if (b->data != NULL) {
		explicit_bzero(b->data, b->cap);
		free(b->data);
	}
	free(b);
	*bp = NULL;
}

/* grow - room for N more bytes and a NUL. Old memory is wiped. */
static void grow(struct wbuf *b, size_t n)
{
	char *p;
	size_t cap = b->cap;

	if (b->len + n + 1 <= b->cap)
		return;
	while (b->len + n + 1 > cap)
		cap *= 2;
	p = xmalloc(cap);
	memcpy(p, b->data, b->len + 1);
	explicit_bzero(b->data, b->cap);
	free(b->data);
	b->data = p;
	b->cap = cap;
}

void wbuf_add(struct wbuf *b, const char *s, size_t n)
{
	grow(b, n);
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void wbuf_puts(struct wbuf *b, const char *s)
{
	wbuf_add(b, s, strlen(s));
}

void wbuf_printf(struct wbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void wbuf_html(struct wbuf *b, const char *s)
{
	const char *p, *rep;

	if (s == NULL)
		return;
	for (p = s; *p != '\0'; p++) {
		switch (*p) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			rep = NULL;
		}
		if (rep != NULL) {
			wbuf_add(b, s, (size_t)(p - s));
			wbuf_puts(b, rep);
			s = p + 1;
		}
	}
	wbuf_add(b, s, (size_t)(p - s));
}

char *wbuf_steal(struct wbuf *b, size_t *len_r)
{
	char *p = b->data;

	if (len_r != NULL)
		*len_r = b->len;
	b->cap = 256;
	b->len = 0;
	b->data = xmalloc(b->cap);
	b->data[0] = '\0';
	return p;
}
