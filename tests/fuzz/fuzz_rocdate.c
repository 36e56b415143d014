/*
 * fuzz_rocdate - ROC dates: rocdate_parse, rocdate_format and the
 * GeneralizedTime conversions on arbitrary text.
 *
 * Invariants: an accepted date is a real day of ROC years 1..999; it
 * round-trips parse -> format -> parse and date -> GeneralizedTime ->
 * date; format never writes past SIZE and reports a short buffer; an
 * accepted GeneralizedTime is written back byte for byte.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kcg.h"
#include "rocdate.h"

/* real_day - DATE exists in the Gregorian calendar (independent check) */
static int real_day(const struct rocdate *d)
{
	static const int days[] = {31, 28, 31, 30, 31, 30,
				   31, 31, 30, 31, 30, 31};
	int leap = d->year % 400 == 0 || (d->year % 4 == 0 && d->year % 100);

	if (d->month < 1 || d->month > 12 || d->day < 1)
		return 0;
	return d->day <= days[d->month - 1] + (d->month == 2 && leap);
}

/* same - two dates are equal */
static int same(const struct rocdate *a, const struct rocdate *b)
{
	return a->year == b->year && a->month == b->month && a->day == b->day;
}

/* check_date - the invariants of an accepted DATE */
static void check_date(const struct rocdate *date)
{
	struct rocdate again = {0, 0, 0};
	char text[32], gt[16];
	char *small = NULL;
	int n = 0, size = 0;

	FUZZ_ASSERT(date->year - 1911 >= 1 && date->year - 1911 <= 999);
	FUZZ_ASSERT(real_day(date));

	n = rocdate_format(date, text, sizeof(text));
	FUZZ_ASSERT(n > 0 && (size_t)n == strlen(text));
	FUZZ_ASSERT(rocdate_parse(text, &again, NULL) == 0);
	FUZZ_ASSERT(same(date, &again));

	/* exact-size buffers: ASan sees any write past SIZE */
	for (size = 0; size <= n + 1; size++) {
		small = fuzz_alloc((size_t)size);
		if (size <= n) {
			FUZZ_ASSERT(rocdate_format(date, small, (size_t)size) ==
				    -1);
		} else {
			FUZZ_ASSERT(rocdate_format(date, small, (size_t)size) ==
				    n);
			FUZZ_ASSERT(strcmp(small, text) == 0);
		}
		free(small);
	}

	rocdate_to_generalized(date, gt);
	FUZZ_ASSERT(strlen(gt) == 15);
	FUZZ_ASSERT(strcmp(gt + 8, "000000Z") == 0);
	FUZZ_ASSERT(rocdate_from_generalized(gt, &again) == 0);
	FUZZ_ASSERT(same(date, &again));
}

int FUZZ_ENTRY(rocdate)(const uint8_t *data, size_t size)
{
	char *in = fuzz_cstring(data, size);
	struct rocdate date = {0, 0, 0};
	char gt[16];
	const char *error = NULL;
	int r = 0;

	r = rocdate_parse(in, &date, &error);
	if (r == 0) {
		check_date(&date);
	} else {
		FUZZ_ASSERT(r == KCG_EINVAL);
		FUZZ_ASSERT(error != NULL && error[0] != '\0');
	}

	if (rocdate_from_generalized(in, &date) == 0) {
		check_date(&date);
		rocdate_to_generalized(&date, gt);
		FUZZ_ASSERT(strcmp(gt, in) == 0);
	}

	/* an impossible date: formatting refuses, conversion writes "" */
	if (size >= 3) {
		date.year = (int)(int8_t)data[0] * 100 + 1911;
		date.month = (int)(int8_t)data[1];
		date.day = (int)(int8_t)data[2];
		if (!real_day(&date) || date.year - 1911 < 1) {
			FUZZ_ASSERT(rocdate_format(&date, gt, sizeof(gt)) ==
				    -1);
		}
		if (!real_day(&date) || date.year < 1 || date.year > 9999) {
			rocdate_to_generalized(&date, gt);
			FUZZ_ASSERT(gt[0] == '\0');
		}
	}
	free(in);
	return 0;
}
