/*
 * test_otp - the parts of otp that need no directory: base32 (RFC 4648's
 * own test vectors) and the otpauth:// URI. Enrolment, disable and the
 * overlay's checks are proven against slapd in tests/integration/test_otp.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kcg.h"
#include "otp.h"
#include "xalloc.h"

static void test_base32_rfc4648(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		/* RFC 4648 section 10, without the padding */
		{"", ""},
		{"f", "MY"},
		{"fo", "MZXQ"},
		{"foo", "MZXW6"},
		{"foob", "MZXW6YQ"},
		{"fooba", "MZXW6YTB"},
		{"foobar", "MZXW6YTBOI"},
		/* RFC 6238's SHA1 test key: 20 bytes, 32 characters */
		{"12345678901234567890", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"},
	};
	size_t i;
	char *b;

	for (i = 0; i < KCG_N_ELEMENTS(cases); i++) {
		b = otp_base32((const unsigned char *)cases[i].in,
			       strlen(cases[i].in));
		assert_string_equal(b, cases[i].out);
		free(b);
	}
}

static void test_base32_all_bytes(void **state)
{
	unsigned char in[OTP_SECRET_BYTES];
	char *b;

	memset(in, 0xff, sizeof(in));
	b = otp_base32(in, sizeof(in));
	assert_string_equal(b, "77777777777777777777777777777777");
	xfree_secret(&b);
	memset(in, 0, sizeof(in));
	b = otp_base32(in, sizeof(in));
	assert_string_equal(b, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	xfree_secret(&b);
}

static void test_uri(void **state)
{
	char *u;

	u = otp_uri("KCG", "wangxm", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "SHA1",
		    6, 30);
	assert_string_equal(u, "otpauth://totp/KCG:wangxm?secret="
			       "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=KCG"
			       "&algorithm=SHA1&digits=6&period=30");
	xfree_secret(&u);
	/* the issuer and the uid are percent-encoded: a space, a colon, an
	 * ampersand or CJK must not change the URI's structure */
	u = otp_uri("高雄 KCG", "a.b-c_d", "MY", "SHA256", 8, 60);
	assert_string_equal(u, "otpauth://totp/%E9%AB%98%E9%9B%84%20KCG:"
			       "a.b-c_d?secret=MY&issuer=%E9%AB%98%E9%9B%84"
			       "%20KCG&algorithm=SHA256&digits=8&period=60");
	xfree_secret(&u);
	u = otp_uri("a:b&c=d", "x", "MY", "SHA1", 6, 30);
	assert_non_null(strstr(u, "/a%3Ab%26c%3Dd:x?"));
	assert_non_null(strstr(u, "&issuer=a%3Ab%26c%3Dd&"));
	xfree_secret(&u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base32_rfc4648),
		cmocka_unit_test(test_base32_all_bytes),
		cmocka_unit_test(test_uri),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
