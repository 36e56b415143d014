/*
 * fuzz_form - kcgidmd's request-body parsers (src/kcgidmd/form.c) on
 * arbitrary bytes: the same input as application/x-www-form-urlencoded
 * and as application/json.
 *
 * Invariants, urlencoded: NULL or an object whose names are non-empty and
 * whose values are strings, names and values well-formed UTF-8 without
 * controls but TAB (checked against fuzz_utf8_valid, an independent
 * reference); and a round trip: the object encoded again (every byte
 * %-escaped) parses back to an equal object.
 * Invariants, JSON: NULL or an object of strings; when the input is an
 * object of strings only, the result equals it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "form.h"
#include "fuzz.h"

/* encode - OBJ as name=value&..., every byte %XX: new memory, length in
 * *len_r */
static char *encode(json_t *obj, size_t *len_r)
{
	const char *k = NULL, *p = NULL;
	json_t *v = NULL;
	size_t cap = 1, len = 0;
	char *out = NULL;

	json_object_foreach(obj, k, v)
	{
		cap += 3 * strlen(k) + 3 * strlen(json_string_value(v)) + 2;
	}
	out = fuzz_alloc(cap);
	json_object_foreach(obj, k, v)
	{
		if (len > 0)
			out[len++] = '&';
		for (p = k; *p != '\0'; p++)
			len += (size_t)sprintf(out + len, "%%%02X",
					       (unsigned char)*p);
		out[len++] = '=';
		for (p = json_string_value(v); *p != '\0'; p++)
			len += (size_t)sprintf(out + len, "%%%02X",
					       (unsigned char)*p);
	}
	out[len] = '\0';
	*len_r = len;
	return out;
}

static void check_urlencoded(const uint8_t *data, size_t size)
{
	json_t *obj = form_parse_urlencoded((const char *)data, size);
	json_t *again = NULL, *v = NULL;
	const char *k = NULL, *s = NULL;
	char *enc = NULL;
	size_t len = 0;

	if (obj == NULL)
		return;
	FUZZ_ASSERT(json_is_object(obj));
	json_object_foreach(obj, k, v)
	{
		FUZZ_ASSERT(k[0] != '\0');
		FUZZ_ASSERT(fuzz_utf8_valid((const uint8_t *)k, strlen(k)));
		FUZZ_ASSERT(json_is_string(v));
		s = json_string_value(v);
		FUZZ_ASSERT(strlen(s) == json_string_length(v));
		FUZZ_ASSERT(fuzz_utf8_valid((const uint8_t *)s, strlen(s)));
	}
	enc = encode(obj, &len);
	again = form_parse_urlencoded(enc, len);
	FUZZ_ASSERT(again != NULL);
	FUZZ_ASSERT(json_equal(obj, again));
	json_decref(again);
	free(enc);
	json_decref(obj);
}

static void check_json(const uint8_t *data, size_t size)
{
	json_t *out = form_parse_json((const char *)data, size);
	json_t *in = NULL, *v = NULL;
	const char *k = NULL;
	int strings_only = 1;

	if (out == NULL)
		return;
	FUZZ_ASSERT(json_is_object(out));
	json_object_foreach(out, k, v)
	{
		FUZZ_ASSERT(json_is_string(v));
	}
	in = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	FUZZ_ASSERT(json_is_object(in));
	json_object_foreach(in, k, v)
	{
		strings_only &= json_is_string(v);
	}
	if (strings_only)
		FUZZ_ASSERT(json_equal(in, out));
	json_decref(in);
	json_decref(out);
}

int FUZZ_ENTRY(form)(const uint8_t *data, size_t size)
{
	check_urlencoded(data, size);
	check_json(data, size);
	return 0;
}
