/*
 * form.h - request bodies into parameters (form.c). Both parsers see
 * untrusted bytes; tests/fuzz/fuzz_form.c fuzzes them.
 */
#ifndef KCG_FORM_H
#define KCG_FORM_H

#include <stddef.h>

#include <jansson.h>

/*
 * form_parse_urlencoded - S[0..LEN) (application/x-www-form-urlencoded)
 * as a new JSON object of strings (the caller owns it: json_decref). The
 * first value of a name wins; empty names are dropped. NULL when a name
 * or value has a bad %-escape, is not UTF-8, or holds a control character
 * other than TAB. Decoded copies are wiped before they are freed.
 */
json_t *form_parse_urlencoded(const char *s, size_t len);

/*
 * form_parse_json - S[0..LEN), which must be one JSON object without
 * duplicate names, as a new JSON object of strings (the caller owns it):
 * strings are kept, booleans become "1" or "0", integers their decimal
 * form; other members are dropped. NULL when S is not such an object.
 */
json_t *form_parse_json(const char *data, size_t len);

#endif
