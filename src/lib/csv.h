/*
 * csv - a strict RFC 4180 reader for UTF-8 roster files.
 *
 * Fields may be quoted ("a, b" and "say ""hi""" work) and records end in
 * CRLF or LF. A UTF-8 byte order mark at the start is skipped. Invalid
 * UTF-8, NUL bytes, a bare CR, a quote inside an unquoted field and an
 * unterminated quote are errors reported with the line number.
 */
#ifndef KCG_CSV_H
#define KCG_CSV_H

#include <stddef.h>
#include <stdio.h>

struct csv;

#define CSV_MAX_FIELDS 64
#define CSV_MAX_RECORD (64 * 1024)

/*
 * csv_open - read from FP, which stays owned by the caller and must stay
 * open until csv_free(). NAME is kept for
 * diagnostics; error texts carry no location (the caller has *line_r).
 * Never fails except on allocation failure, which exits.
 */
struct csv *csv_open(FILE *fp, const char *name);

/*
 * csv_next - read the next record. On success returns 1 and sets
 * *fields_r to an array of *n_fields_r NUL-terminated strings owned by the
 * reader and valid until the next call, and *line_r to the line on which
 * the record starts (1-based). Returns 0 at end of input. Returns
 * KCG_EINVAL on a malformed record, with *line_r set and a reason in
 * *error_r (valid until the next call); the reader then skips to the next
 * line so that one bad record never stops the rest.
 * Blank lines are skipped.
 */
int csv_next(struct csv *csv, char ***fields_r, size_t *n_fields_r,
	     unsigned long *line_r, const char **error_r);

/* csv_free - free the reader (not its FILE) and set *csvp to NULL. */
void csv_free(struct csv **csvp);

#endif
