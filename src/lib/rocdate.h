/*
 * rocdate - dates in the Republic of China calendar (民國紀年).
 *
 * ROC year + 1911 = Gregorian year, year 1 is 1912. The seed writes dates
 * as "99-12-25" (hire date) and asks for "YYY-MM-DD" (birthday), so both
 * the unpadded and the zero-padded three-digit year are accepted.
 */
#ifndef KCG_ROCDATE_H
#define KCG_ROCDATE_H

#include <stddef.h>

struct rocdate {
	int year; /* Gregorian */
	int month;
	int day;
};

/*
 * rocdate_parse - parse "Y-MM-DD" with a ROC year of 1 to 3 digits
 * (1..999), month 1..12 and a day that exists in that month of the real
 * calendar (112-02-30 is refused; leap years follow the Gregorian rules).
 * One- or two-digit month and day are accepted ("99-1-5"). Surrounding
 * ASCII white space is ignored. On success fills *date_r and returns 0;
 * otherwise returns KCG_EINVAL with a static reason in *error_r.
 */
int rocdate_parse(const char *in, struct rocdate *date_r,
		  const char **error_r);

/*
 * rocdate_format - write DATE as the seed shows it: ROC year without
 * padding, month and day with two digits ("99-12-25", "112-01-05").
 * Returns the number of characters written (excluding NUL) or -1 when
 * SIZE is too small or DATE is before ROC year 1.
 */
int rocdate_format(const struct rocdate *date, char *out, size_t size);

/*
 * rocdate_to_generalized / rocdate_from_generalized - convert to and from
 * LDAP GeneralizedTime at midnight UTC ("20101225000000Z"). OUT must hold
 * at least 16 bytes. from_generalized returns 0 or KCG_EINVAL.
 */
void rocdate_to_generalized(const struct rocdate *date, char out[16]);
int rocdate_from_generalized(const char *gt, struct rocdate *date_r);

#endif
