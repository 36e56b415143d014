/*
 * out - what the CLI prints: labelled text for people, or with --json one
 * JSON object on stdout for scripts ({"ok": true, ...} or {"ok": false,
 * "exit": N, "error": "..."}).
 */
#ifndef KCG_OUT_H
#define KCG_OUT_H

#include <jansson.h>

/* out_init - JSON or text for the rest of the run. */
void out_init(int json);

/* out_is_json - true with --json. */
int out_is_json(void);

/*
 * out_str - a field: text mode prints "LABEL: VALUE" (VALUE NULL prints
 * nothing); JSON mode sets KEY (VALUE NULL sets null).
 */
void out_str(const char *key, const char *label, const char *value);
void out_int(const char *key, const char *label, long long value);

/*
 * out_time - a GeneralizedTime field: text mode shows it in local time
 * ("2026-11-30 12:49:24 CST"), JSON keeps the GeneralizedTime.
 */
void out_time(const char *key, const char *label, const char *gt);

/* out_text - a line for people only (headings, notices). */
void out_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * out_json - the JSON object being built, for arrays and nested objects
 * (borrowed; NULL in text mode).
 */
json_t *out_json(void);

/*
 * out_error - report failure R (a KCG_E* code) with MSG: stderr in text
 * mode, the JSON object otherwise. Returns the exit status (-R).
 */
int out_error(int r, const char *msg);

/*
 * out_finish - print the JSON object (if any) and return STATUS, the exit
 * status to use.
 */
int out_finish(int status);

#endif
