/*
 * test_natid - national ID validation, normalization and masking.
 *
 * The valid IDs below were computed outside this code base from the
 * rules in FACTS.md; test_every_letter recomputes check digits with its
 * own copy of the rules for every letter and every kind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kcg.h"
#include "natid.h"

struct normalize_case {
	const char *in;
	int r;
	const char *out;
	enum natid_kind kind;
};

static const struct normalize_case normalize_cases[] = {
	/* the seed's example */
	{"A123456789", 0, "A123456789", NATID_CITIZEN},
	/* citizens, [A-Z][12] */
	{"F131104093", 0, "F131104093", NATID_CITIZEN},
	{"Z200000004", 0, "Z200000004", NATID_CITIZEN},
	{"I100000003", 0, "I100000003", NATID_CITIZEN},
	{"O298765430", 0, "O298765430", NATID_CITIZEN},
	{"W111111113", 0, "W111111113", NATID_CITIZEN},
	{"K222222226", 0, "K222222226", NATID_CITIZEN},
	/* new residents, [A-Z][89] */
	{"A800000005", 0, "A800000005", NATID_RESIDENT_NEW},
	{"B901234562", 0, "B901234562", NATID_RESIDENT_NEW},
	{"Y813579134", 0, "Y813579134", NATID_RESIDENT_NEW},
	{"H945678906", 0, "H945678906", NATID_RESIDENT_NEW},
	/* old residents, [A-Z][A-D] */
	{"AA00000009", 0, "AA00000009", NATID_RESIDENT_OLD},
	{"AB12345677", 0, "AB12345677", NATID_RESIDENT_OLD},
	{"FC76543218", 0, "FC76543218", NATID_RESIDENT_OLD},
	{"XD00000003", 0, "XD00000003", NATID_RESIDENT_OLD},
	{"OA11111114", 0, "OA11111114", NATID_RESIDENT_OLD},
	/* lower case is folded, also the second letter of the old form */
	{"a123456789", 0, "A123456789", NATID_CITIZEN},
	{"fc76543218", 0, "FC76543218", NATID_RESIDENT_OLD},
	{"Fc76543218", 0, "FC76543218", NATID_RESIDENT_OLD},
	{"y813579134", 0, "Y813579134", NATID_RESIDENT_NEW},
	/* surrounding white space is ignored */
	{"  A123456789", 0, "A123456789", NATID_CITIZEN},
	{"A123456789 \t\r\n", 0, "A123456789", NATID_CITIZEN},
	{" \ta123456789 ", 0, "A123456789", NATID_CITIZEN},
	/* wrong checksums */
	{"A123456788", KCG_EINVAL, NULL, 0},
	{"A123456780", KCG_EINVAL, NULL, 0},
	{"F131104094", KCG_EINVAL, NULL, 0},
	{"A800000006", KCG_EINVAL, NULL, 0},
	{"B901234561", KCG_EINVAL, NULL, 0},
	{"AA00000008", KCG_EINVAL, NULL, 0},
	{"FC76543217", KCG_EINVAL, NULL, 0},
	{"B123456789", KCG_EINVAL, NULL, 0},
	/* wrong lengths */
	{"", KCG_EINVAL, NULL, 0},
	{"   ", KCG_EINVAL, NULL, 0},
	{"A12345678", KCG_EINVAL, NULL, 0},
	{"A1234567890", KCG_EINVAL, NULL, 0},
	{"A1234567891", KCG_EINVAL, NULL, 0},
	/* wrong shapes */
	{"1123456789", KCG_EINVAL, NULL, 0},
	{"A323456789", KCG_EINVAL, NULL, 0},
	{"A023456789", KCG_EINVAL, NULL, 0},
	{"AE00000009", KCG_EINVAL, NULL, 0},
	{"A12345678X", KCG_EINVAL, NULL, 0},
	{"AA0000000A", KCG_EINVAL, NULL, 0},
	{"A1234 6789", KCG_EINVAL, NULL, 0},
	{"A 12345678", KCG_EINVAL, NULL, 0},
	{"A12345678\x80", KCG_EINVAL, NULL, 0},
	{"Ａ123456789", KCG_EINVAL, NULL, 0},
	{"A12345678９", KCG_EINVAL, NULL, 0},
};

/* test_normalize - every case in the table */
static void test_normalize(void **state)
{
	size_t i = 0;

	for (i = 0; i < KCG_N_ELEMENTS(normalize_cases); i++) {
		const struct normalize_case *t = &normalize_cases[i];
		char out[NATID_LEN + 1] = "untouched";
		enum natid_kind kind = (enum natid_kind) - 1;
		const char *error = NULL;
		int r = natid_normalize(t->in, out, &kind, &error);

		if (r != t->r)
			fail_msg("case %zu: returned %d, expected %d", i, r,
				 t->r);
		if (r == 0) {
			assert_string_equal(out, t->out);
			assert_int_equal(kind, t->kind);
			assert_null(error);
		} else {
			/* results are written only on success */
			assert_string_equal(out, "untouched");
			assert_int_equal(kind, (enum natid_kind) - 1);
			assert_non_null(error);
			assert_non_null(strstr(error, " / "));
			/* the message never quotes the input */
			assert_null(strstr(error, "123456"));
		}
	}
}

/* test_optional_outputs - kind_r and error_r may be NULL */
static void test_optional_outputs(void **state)
{
	char out[NATID_LEN + 1];
	const char *error = NULL;

	assert_int_equal(natid_normalize("A123456789", out, NULL, NULL), 0);
	assert_string_equal(out, "A123456789");
	assert_int_equal(natid_normalize("A123456788", out, NULL, NULL),
			 KCG_EINVAL);
	assert_int_equal(natid_normalize(NULL, out, NULL, &error), KCG_EINVAL);
	assert_non_null(error);
}

/* The letter values, typed again from FACTS.md for an independent check. */
static const struct {
	char letter;
	int value;
} letters[] = {
	{'A', 10}, {'B', 11}, {'C', 12}, {'D', 13}, {'E', 14}, {'F', 15},
	{'G', 16}, {'H', 17}, {'I', 34}, {'J', 18}, {'K', 19}, {'L', 20},
	{'M', 21}, {'N', 22}, {'O', 35}, {'P', 23}, {'Q', 24}, {'R', 25},
	{'S', 26}, {'T', 27}, {'U', 28}, {'V', 29}, {'W', 32}, {'X', 30},
	{'Y', 31}, {'Z', 33},
};

/* value_of - the checksum value of letter C */
static int value_of(char c)
{
	size_t i = 0;

	for (i = 0; i < KCG_N_ELEMENTS(letters); i++) {
		if (letters[i].letter == c)
			return letters[i].value;
	}
	fail_msg("no letter %c", c);
	return 0;
}

/* check_digit - the digit that completes the first nine characters of ID */
static char check_digit(const char *id)
{
	int v = value_of(id[0]);
	int sum = (v / 10) * 1 + (v % 10) * 9;
	int k = 0;

	if (id[1] >= 'A' && id[1] <= 'Z') {
		sum += (value_of(id[1]) % 10) * 8;
		for (k = 2; k <= 8; k++)
			sum += (id[k] - '0') * (9 - k);
	} else {
		for (k = 1; k <= 8; k++)
			sum += (id[k] - '0') * (9 - k);
	}
	return (char)('0' + (10 - sum % 10) % 10);
}

/* test_every_letter - all letters, all kinds, all ten final digits */
static void test_every_letter(void **state)
{
	static const char seconds[] = "1289ABCD";
	static const enum natid_kind kinds[] = {
		NATID_CITIZEN,	    NATID_CITIZEN,	NATID_RESIDENT_NEW,
		NATID_RESIDENT_NEW, NATID_RESIDENT_OLD, NATID_RESIDENT_OLD,
		NATID_RESIDENT_OLD, NATID_RESIDENT_OLD,
	};
	size_t l = 0;
	size_t s = 0;
	char d = 0;

	for (l = 0; l < KCG_N_ELEMENTS(letters); l++) {
		for (s = 0; s < sizeof(seconds) - 1; s++) {
			char id[NATID_LEN + 1];
			char good = 0;

			snprintf(id, sizeof(id), "%c%c%08lu", letters[l].letter,
				 seconds[s],
				 (unsigned long)(l * 7919 + s * 104729) %
					 100000000UL);
			good = check_digit(id);
			for (d = '0'; d <= '9'; d++) {
				char out[NATID_LEN + 1];
				enum natid_kind kind = NATID_CITIZEN;
				const char *error = NULL;
				int r = 0;

				id[NATID_LEN - 1] = d;
				r = natid_normalize(id, out, &kind, &error);
				if (d == good) {
					assert_int_equal(r, 0);
					assert_string_equal(out, id);
					assert_int_equal(kind, kinds[s]);
				} else {
					assert_int_equal(r, KCG_EINVAL);
				}
			}
		}
	}
}

struct mask_case {
	const char *in;
	const char *out;
};

static const struct mask_case mask_cases[] = {
	{"A123456789", "A12*****89"},
	{"E123456789", "E12*****89"},
	{"FC76543218", "FC7*****18"},
	{"Y813579134", "Y81*****34"},
	/* not normalized: nothing is shown */
	{"A12345678", "**********"},
	{"A1234567890", "**********"},
	{"", "**********"},
	{NULL, "**********"},
};

/* test_mask - the display form */
static void test_mask(void **state)
{
	size_t i = 0;

	for (i = 0; i < KCG_N_ELEMENTS(mask_cases); i++) {
		char out[NATID_LEN + 1];

		natid_mask(mask_cases[i].in, out);
		assert_string_equal(out, mask_cases[i].out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_optional_outputs),
		cmocka_unit_test(test_every_letter),
		cmocka_unit_test(test_mask),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
