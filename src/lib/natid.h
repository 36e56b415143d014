/*
 * natid - Taiwan national identification numbers.
 *
 * Accepts citizen IDs ([A-Z][12]\d{8}), resident numbers issued from 2021
 * ([A-Z][89]\d{8}) and old-format resident numbers ([A-Z][A-D]\d{8}), each
 * with its checksum. Nothing here allocates or logs; a national ID must
 * never reach a log line.
 */
#ifndef KCG_NATID_H
#define KCG_NATID_H

#include <stddef.h>

#define NATID_LEN 10

enum natid_kind {
	NATID_CITIZEN,	     /* 中華民國國民身分證 */
	NATID_RESIDENT_NEW,  /* 新式居留證統一證號 (2021) */
	NATID_RESIDENT_OLD,  /* 舊式居留證統一證號 */
};

/*
 * natid_normalize - validate IN and write its canonical form to OUT.
 *
 * Leading and trailing ASCII white space is ignored and letters are
 * upper-cased; nothing else is tolerated. On success writes NATID_LEN
 * characters plus NUL to out_r (which must hold NATID_LEN + 1 bytes), the
 * kind to kind_r (may be NULL) and returns 0. On failure returns KCG_EINVAL
 * and sets *error_r to a static zh-TW / English reason that never quotes
 * the input.
 */
int natid_normalize(const char *in, char out_r[NATID_LEN + 1],
		    enum natid_kind *kind_r, const char **error_r);

/*
 * natid_mask - the display form of a normalized ID: the first three and
 * last two characters, the rest as '*' ("E12*****89"). OUT must hold
 * NATID_LEN + 1 bytes. ID must be normalized (NATID_LEN characters).
 */
void natid_mask(const char *id, char out_r[NATID_LEN + 1]);

#endif
