/*
 * rocdate - dates in the Republic of China calendar (民國紀年).
 *
 * The HR roster and the IKPD form give dates as ROC dates; the directory
 * keeps them as GeneralizedTime at 00:00 UTC. Nothing here allocates.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "kcg.h"
#include "rocdate.h"

#define ROC_OFFSET   1911
#define ROC_YEAR_MAX 999
#define GT_LEN	     15 /* "YYYYMMDDhhmmssZ" */

/* Said for year 0, for 1000 and for a Gregorian year typed by mistake. */
static const char year_range[] =
	"民國年須介於 1 至 999 / ROC year must be 1 to 999";

/* is_space - ASCII white space, independent of the locale */
static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

/* is_digit - ASCII decimal digit */
static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* days_in_month - days in MONTH of Gregorian YEAR, 0 for a bad month */
static int days_in_month(int year, int month)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30,
				     31, 31, 30, 31, 30, 31};
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	if (month < 1 || month > 12)
		return 0;
	return month == 2 && leap ? 29 : days[month - 1];
}

/* date_ok - DATE exists in the real calendar, year 1..9999 */
static int date_ok(const struct rocdate *date)
{
	return date->year >= 1 && date->year <= 9999 && date->day >= 1 &&
	       date->day <= days_in_month(date->year, date->month);
}

/* number - read 1..MAX_DIGITS digits at *SP into *VALUE_R, advance *SP */
static int number(const char **sp, size_t max_digits, int *value_r)
{
	const char *s = *sp;
	int value = 0;
	size_t n = 0;

	while (is_digit(s[n])) {
		if (n == max_digits)
			return -1;
		value = value * 10 + (s[n] - '0');
		n++;
	}
	if (n == 0)
		return -1;
	*sp = s + n;
	*value_r = value;
	return 0;
}

int rocdate_parse(const char *in, struct rocdate *date_r, const char **error_r)
{
	struct rocdate date = {0, 0, 0};
	const char *s = in;
	const char *error = NULL;
	int roc_year = 0;
	int r = KCG_EINVAL;

	error = "日期格式須為 民國年-月-日（如 99-12-25） / "
		"date must be ROC year-month-day, e.g. 99-12-25";
	if (s == NULL)
		goto out;
	while (is_space(*s))
		s++;
	if (number(&s, 3, &roc_year) < 0) {
		/* "1000-01-01" is a year out of range, not a typo */
		if (is_digit(*s))
			error = year_range;
		goto out;
	}
	if (*s++ != '-' || number(&s, 2, &date.month) < 0 || *s++ != '-' ||
	    number(&s, 2, &date.day) < 0)
		goto out;
	while (is_space(*s))
		s++;
	if (*s != '\0')
		goto out;
	if (roc_year < 1 || roc_year > ROC_YEAR_MAX) {
		error = year_range;
		goto out;
	}
	if (date.month < 1 || date.month > 12) {
		error = "月份須介於 1 至 12 / month must be 1 to 12";
		goto out;
	}
	date.year = roc_year + ROC_OFFSET;
	if (!date_ok(&date)) {
		error = "日期不存在 / no such day in that month";
		goto out;
	}

	*date_r = date;
	r = 0;
out:
	if (r != 0 && error_r != NULL)
		*error_r = error;
	return r;
}

int rocdate_format(const struct rocdate *date, char *out, size_t size)
{
	int n = 0;

	if (date == NULL || out == NULL || !date_ok(date) ||
	    date->year - ROC_OFFSET < 1)
		return -1;
	n = snprintf(out, size, "%d-%02d-%02d", date->year - ROC_OFFSET,
		     date->month, date->day);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return n;
}

/* put_digits - write VALUE as exactly WIDTH decimal digits at OUT */
static void put_digits(char *out, int value, int width)
{
	while (width-- > 0) {
		out[width] = (char)('0' + value % 10);
		value /= 10;
	}
}

void rocdate_to_generalized(const struct rocdate *date, char out[16])
{
	/* an impossible date gives "", which no directory accepts */
	if (date == NULL || !date_ok(date)) {
		out[0] = '\0';
		return;
	}
	put_digits(out, date->year, 4);
	put_digits(out + 4, date->month, 2);
	put_digits(out + 6, date->day, 2);
	memcpy(out + 8, "000000Z", 8);
}

int rocdate_from_generalized(const char *gt, struct rocdate *date_r)
{
	struct rocdate date = {0, 0, 0};
	int i = 0;

	if (gt == NULL || strlen(gt) != GT_LEN)
		return KCG_EINVAL;
	for (i = 0; i < 8; i++) {
		if (!is_digit(gt[i]))
			return KCG_EINVAL;
	}
	/* only midnight UTC: any other time means a zone was applied */
	if (strcmp(gt + 8, "000000Z") != 0)
		return KCG_EINVAL;
	date.year = (gt[0] - '0') * 1000 + (gt[1] - '0') * 100 +
		    (gt[2] - '0') * 10 + (gt[3] - '0');
	date.month = (gt[4] - '0') * 10 + (gt[5] - '0');
	date.day = (gt[6] - '0') * 10 + (gt[7] - '0');
	if (!date_ok(&date) || date.year - ROC_OFFSET < 1 ||
	    date.year - ROC_OFFSET > ROC_YEAR_MAX)
		return KCG_EINVAL;
	*date_r = date;
	return 0;
}
