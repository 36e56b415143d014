/*
 * natid - Taiwan national identification numbers (身分證字號, 統一證號).
 *
 * Pure checks: nothing here allocates or logs, and no message ever quotes
 * the number, because a national ID must never reach a log line.
 */
#include <stddef.h>
#include <string.h>

#include "kcg.h"
#include "natid.h"

/*
 * Letter values A..Z of the checksum. They are not in alphabetical order
 * because I, O, W, X, Y and Z were added to the scheme later.
 */
static const unsigned char letter_value[26] = {
	10, 11, 12, 13, 14, 15, 16, 17, 34, 18, 19, 20, 21,
	22, 35, 23, 24, 25, 26, 27, 28, 29, 32, 30, 31, 33,
};

/* is_space - ASCII white space, independent of the locale */
static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

/* to_upper - ASCII upper case, independent of the locale */
static char to_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* is_digit - ASCII decimal digit */
static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* checksum_ok - the weighted sum of the upper-cased ID is divisible by 10 */
static int checksum_ok(const char id[NATID_LEN], enum natid_kind kind)
{
	unsigned int v = letter_value[id[0] - 'A'];
	unsigned int sum = v / 10 + (v % 10) * 9;
	unsigned int weight = 8;
	int i = 1;

	if (kind == NATID_RESIDENT_OLD) {
		/* the second letter counts as its value's last digit */
		sum += (letter_value[id[1] - 'A'] % 10) * 8;
		weight = 7;
		i = 2;
	}
	for (; i < NATID_LEN - 1; i++)
		sum += (unsigned int)(id[i] - '0') * weight--;
	sum += (unsigned int)(id[NATID_LEN - 1] - '0');
	return sum % 10 == 0;
}

int natid_normalize(const char *in, char out_r[NATID_LEN + 1],
		    enum natid_kind *kind_r, const char **error_r)
{
	char id[NATID_LEN + 1];
	enum natid_kind kind = NATID_CITIZEN;
	const char *end = NULL;
	const char *error = NULL;
	size_t len = 0;
	size_t i = 0;
	int r = KCG_EINVAL;

	if (in == NULL) {
		error = "未輸入身分證字號 / national ID is missing";
		goto out;
	}
	while (is_space(*in))
		in++;
	end = in + strlen(in);
	while (end > in && is_space(end[-1]))
		end--;
	len = (size_t)(end - in);
	if (len == 0) {
		error = "未輸入身分證字號 / national ID is missing";
		goto out;
	}
	if (len != NATID_LEN) {
		error = "身分證字號須為 10 碼 / national ID must be 10 "
			"characters";
		goto out;
	}
	for (i = 0; i < NATID_LEN; i++)
		id[i] = to_upper(in[i]);
	id[NATID_LEN] = '\0';

	if (id[0] < 'A' || id[0] > 'Z') {
		error = "身分證字號第 1 碼須為英文字母 / "
			"national ID must start with a letter";
		goto out;
	}
	if (id[1] == '1' || id[1] == '2') {
		kind = NATID_CITIZEN;
	} else if (id[1] == '8' || id[1] == '9') {
		kind = NATID_RESIDENT_NEW;
	} else if (id[1] >= 'A' && id[1] <= 'D') {
		kind = NATID_RESIDENT_OLD;
	} else {
		error = "身分證字號第 2 碼須為 1、2、8、9 或 A-D / "
			"the second character must be 1, 2, 8, 9 or A-D";
		goto out;
	}
	for (i = 2; i < NATID_LEN; i++) {
		if (!is_digit(id[i])) {
			error = "身分證字號第 3 至 10 碼須為數字 / "
				"characters 3 to 10 must be digits";
			goto out;
		}
	}
	if (!checksum_ok(id, kind)) {
		error = "身分證字號檢查碼錯誤 / national ID checksum is wrong";
		goto out;
	}

	memcpy(out_r, id, NATID_LEN + 1);
	if (kind_r != NULL)
		*kind_r = kind;
	r = 0;
out:
	if (r != 0 && error_r != NULL)
		*error_r = error;
	return r;
}

void natid_mask(const char *id, char out_r[NATID_LEN + 1])
{
	size_t i = 0;

	/* never show anything of an ID that is not normalized */
	if (id == NULL || strnlen(id, NATID_LEN + 1) != NATID_LEN) {
		memset(out_r, '*', NATID_LEN);
		out_r[NATID_LEN] = '\0';
		return;
	}
	for (i = 0; i < NATID_LEN; i++)
		out_r[i] = i < 3 || i >= NATID_LEN - 2 ? id[i] : '*';
	out_r[NATID_LEN] = '\0';
}
