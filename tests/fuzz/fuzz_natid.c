/*
 * fuzz_natid - natid_normalize and natid_mask on arbitrary text.
 *
 * Invariants: an accepted ID is ten characters that pass an independent
 * checksum; its kind follows its second character; it re-normalizes to
 * itself in upper and lower case; it is the input, trimmed and
 * upper-cased (nothing else is tolerated); a refusal is KCG_EINVAL with
 * a reason; natid_mask always writes ten characters and shows only the
 * first three and last two.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kcg.h"
#include "natid.h"

/* The letters in the order of their checksum values 10, 11, ... 35. */
static const char letters[] = "ABCDEFGHJKLMNPQRSTUVXYWZIO";

/* is_space - the white space natid.h says is ignored */
static int is_space(char c)
{
	return c != '\0' && strchr(" \t\n\r\v\f", c) != NULL;
}

/* ref_checksum - the published algorithm, written apart from natid.c */
static int ref_checksum(const char *id)
{
	static const unsigned int weight[] = {8, 7, 6, 5, 4, 3, 2, 1, 1};
	unsigned int v = (unsigned int)(strchr(letters, id[0]) - letters) + 10;
	unsigned int sum = v / 10 + v % 10 * 9;
	unsigned int d = 0;
	size_t i = 0;

	for (i = 1; i < NATID_LEN; i++) {
		if (id[i] >= 'A' && id[i] <= 'D')
			d = (unsigned int)(strchr(letters, id[i]) - letters +
					   10) %
			    10;
		else
			d = (unsigned int)(id[i] - '0');
		sum += d * weight[i - 1];
	}
	return sum % 10 == 0;
}

/* check_mask - natid_mask shows 3 + 2 characters of a 10-character ID */
static void check_mask(const char *id)
{
	char masked[NATID_LEN + 1];
	size_t n = strnlen(id, NATID_LEN + 1);
	size_t i = 0;

	memset(masked, 'x', sizeof(masked));
	natid_mask(id, masked);
	FUZZ_ASSERT(masked[NATID_LEN] == '\0');
	for (i = 0; i < NATID_LEN; i++) {
		if (n == NATID_LEN && (i < 3 || i >= NATID_LEN - 2))
			FUZZ_ASSERT(masked[i] == id[i]);
		else
			FUZZ_ASSERT(masked[i] == '*');
	}
}

int FUZZ_ENTRY(natid)(const uint8_t *data, size_t size)
{
	char *in = fuzz_cstring(data, size);
	char out[NATID_LEN + 1], again[NATID_LEN + 1], lower[NATID_LEN + 1];
	enum natid_kind kind = NATID_CITIZEN, kind2 = NATID_CITIZEN;
	const char *error = NULL;
	const char *start = in;
	size_t len = 0, i = 0;
	int r = 0;

	check_mask(in);
	r = natid_normalize(in, out, &kind, &error);
	if (r != 0) {
		FUZZ_ASSERT(r == KCG_EINVAL);
		FUZZ_ASSERT(error != NULL && error[0] != '\0');
		/* NULL kind_r and error_r are allowed */
		FUZZ_ASSERT(natid_normalize(in, again, NULL, NULL) == r);
		goto out;
	}
	FUZZ_ASSERT(strlen(out) == NATID_LEN);
	FUZZ_ASSERT(out[0] >= 'A' && out[0] <= 'Z');
	for (i = 2; i < NATID_LEN; i++)
		FUZZ_ASSERT(out[i] >= '0' && out[i] <= '9');
	switch (out[1]) {
	case '1':
	case '2':
		FUZZ_ASSERT(kind == NATID_CITIZEN);
		break;
	case '8':
	case '9':
		FUZZ_ASSERT(kind == NATID_RESIDENT_NEW);
		break;
	case 'A':
	case 'B':
	case 'C':
	case 'D':
		FUZZ_ASSERT(kind == NATID_RESIDENT_OLD);
		break;
	default:
		FUZZ_ASSERT(!"second character");
	}
	FUZZ_ASSERT(ref_checksum(out));

	/* the input is the ID, trimmed and upper-cased */
	while (is_space(*start))
		start++;
	len = strlen(start);
	while (len > 0 && is_space(start[len - 1]))
		len--;
	FUZZ_ASSERT(len == NATID_LEN);
	for (i = 0; i < NATID_LEN; i++) {
		char c = start[i];

		FUZZ_ASSERT(out[i] ==
			    (c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c));
	}

	/* canonical: re-normalizes to itself, also from lower case */
	FUZZ_ASSERT(natid_normalize(out, again, &kind2, NULL) == 0);
	FUZZ_ASSERT(memcmp(out, again, NATID_LEN + 1) == 0 && kind2 == kind);
	for (i = 0; i <= NATID_LEN; i++)
		lower[i] = out[i] >= 'A' && out[i] <= 'Z'
				   ? (char)(out[i] - 'A' + 'a')
				   : out[i];
	FUZZ_ASSERT(natid_normalize(lower, again, &kind2, NULL) == 0);
	FUZZ_ASSERT(memcmp(out, again, NATID_LEN + 1) == 0 && kind2 == kind);

	check_mask(out);
out:
	free(in);
	return 0;
}
