/*
 * err - short-lived error text in a per-thread ring (see err.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "err.h"

static _Thread_local char ring[ERR_RING][ERR_MAX];
static _Thread_local unsigned int next;

const char *err_fmt(const char *fmt, ...)
{
	va_list ap;
	char *buf = ring[next++ % ERR_RING];

	va_start(ap, fmt);
	vsnprintf(buf, ERR_MAX, fmt, ap);
	va_end(ap);
	return buf;
}
