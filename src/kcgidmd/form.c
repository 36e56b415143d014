/*
 * form - request bodies into parameters: application/x-www-form-urlencoded
 * from the pages, application/json from the API. Both give a JSON object
 * of strings, which is all the operations in flow.c read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "utf8.h"
#include "xalloc.h"

/* hexval - the value of hex digit C, or -1. */
static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* decode - percent-decode S[0..LEN) into new memory; NULL when invalid. */
static char *decode(const char *s, size_t len)
{
	char *out = xmalloc(len + 1);
	size_t i, j = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (s[i] == '+') {
			out[j++] = ' ';
		} else if (s[i] == '%' && i + 2 < len &&
			   (hi = hexval((unsigned char)s[i + 1])) >= 0 &&
			   (lo = hexval((unsigned char)s[i + 2])) >= 0) {
			out[j++] = (char)(hi * 16 + lo);
			i += 2;
		} else if (s[i] == '%') {
			explicit_bzero(out, len + 1);
			free(out);
			return NULL;
		} else {
			out[j++] = s[i];
		}
	}
	out[j] = '\0';
	/* UTF-8 only, and no control characters but TAB (no field of ours
	 * takes more than one line) */
	if (!utf8_valid(out, j) && j > 0) {
		explicit_bzero(out, len + 1);
		free(out);
		return NULL;
	}
	return out;
}

json_t *form_parse_urlencoded(const char *s, size_t len)
{
	json_t *obj = json_object();
	const char *p = s, *end = s + len, *amp, *eq;
	char *k, *v;

	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq == NULL)
			eq = amp;
		k = decode(p, (size_t)(eq - p));
		v = eq < amp ? decode(eq + 1, (size_t)(amp - eq - 1))
			     : xstrdup("");
		if (k == NULL || v == NULL) {
			xfree_secret(&k);
			xfree_secret(&v);
			json_decref(obj);
			return NULL;
		}
		/* the first value of a name wins */
		if (k[0] != '\0' && json_object_get(obj, k) == NULL)
			json_object_set_new(obj, k, json_string(v));
		xfree_secret(&k);
		xfree_secret(&v);
		p = amp + 1;
	}
	return obj;
}

json_t *form_parse_json(const char *data, size_t len)
{
	json_t *in = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *out = NULL, *v;
	const char *k;
	char num[32];

	if (!json_is_object(in))
		goto out;
	out = json_object();
	json_object_foreach(in, k, v)
	{
		if (json_is_string(v))
			json_object_set(out, k, v);
		else if (json_is_boolean(v))
			json_object_set_new(
				out, k,
				json_string(json_is_true(v) ? "1" : "0"));
		else if (json_is_integer(v)) {
			snprintf(num, sizeof(num), "%lld",
				 (long long)json_integer_value(v));
			json_object_set_new(out, k, json_string(num));
		}
	}
out:
	json_decref(in);
	return out;
}
