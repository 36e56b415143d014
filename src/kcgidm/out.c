/*
 * out - text or JSON output for the CLI (see out.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dir.h"
#include "kcg.h"
#include "out.h"
#include "utf8.h"
#include "xalloc.h"

static json_t *root;
static int errored;

void out_init(int json)
{
	if (json)
		root = json_pack("{s:b}", "ok", 1);
}

int out_is_json(void)
{
	return root != NULL;
}

json_t *out_json(void)
{
	return root;
}

void out_str(const char *key, const char *label, const char *value)
{
	if (root != NULL)
		json_object_set_new(root, key,
				    value ? json_string(value) : json_null());
	else if (value != NULL)
		printf("%s: %s\n", label, value);
}

void out_int(const char *key, const char *label, long long value)
{
	if (root != NULL)
		json_object_set_new(root, key, json_integer(value));
	else
		printf("%s: %lld\n", label, value);
}

void out_time(const char *key, const char *label, const char *gt)
{
	char buf[64];
	long long t;
	time_t tt;
	struct tm tm;

	if (root != NULL || gt == NULL || dir_time_parse(gt, &t) < 0) {
		out_str(key, label, gt);
		return;
	}
	tt = (time_t)t;
	localtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %Z", &tm);
	out_str(key, label, buf);
}

void out_text(const char *fmt, ...)
{
	va_list ap;

	if (root != NULL)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* seq_len - the length of the UTF-8 sequence that lead byte C starts (1
 * for ASCII and for bytes that cannot lead). */
static size_t seq_len(unsigned char c)
{
	return c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
}

/* json_text - MSG as a JSON string; a byte that is not part of valid UTF-8
 * (a path echoed in the message, say) is written as the text "\xHH"
 * instead of losing the whole message, as json_string() would. */
static json_t *json_text(const char *msg)
{
	size_t i = 0, n = strlen(msg), k, len = 0;
	char *buf;
	json_t *j;

	if ((j = json_string(msg)) != NULL)
		return j;
	buf = xmalloc(4 * n + 1);
	while (i < n) {
		unsigned char c = (unsigned char)msg[i];

		k = seq_len(c);
		if (c < 0x80) {
			buf[len++] = (char)c; /* controls: json escapes them */
		} else if (c >= 0xc0 && i + k <= n && utf8_valid(msg + i, k)) {
			memcpy(buf + len, msg + i, k);
			len += k;
			i += k;
			continue;
		} else {
			len += (size_t)sprintf(buf + len, "\\x%02X", c);
		}
		i++;
	}
	j = json_stringn(buf, len);
	free(buf);
	return j;
}

int out_error(int r, const char *msg)
{
	int status = r < 0 ? -r : KCG_EINTERNAL * -1;

	errored = 1;
	if (root != NULL) {
		json_object_set_new(root, "ok", json_false());
		json_object_set_new(root, "exit", json_integer(status));
		json_object_set_new(root, "error", json_text(msg));
	} else {
		fprintf(stderr, "kcgidm: %s\n", msg);
	}
	return status;
}

int out_finish(int status)
{
	if (root != NULL) {
		if (status != 0 && !errored) {
			json_object_set_new(root, "ok", json_false());
			json_object_set_new(root, "exit", json_integer(status));
		}
		json_dumpf(root, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
		json_decref(root);
		root = NULL;
	}
	fflush(stdout);
	return status;
}
