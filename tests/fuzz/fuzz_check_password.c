/*
 * fuzz_check_password - the slapd ppolicy module's entry point,
 * check_password(), called directly as in tests/unit/test_check_password.c
 * (and OpenLDAP's contrib ppm_test.c), with a fake entry read through test
 * doubles of the four SLAPI accessors the module uses (tests/slapi_doubles.c).
 *
 * Input: byte 0 picks the entry (NULL, no uid attribute, or up to three
 * uid values); the rest is "PASSWORD <0xff> UID <0xff> UID <0xff> UID".
 * The password reaches the module as slapd passes it, a C string; uid
 * values are bervals of exactly bv_len bytes, not NUL-terminated.
 *
 * Invariants: it never crashes or leaks; it answers LDAP_SUCCESS with no
 * text, or LDAP_CONSTRAINT_VIOLATION with pwquality_message() of the
 * first broken rule in a malloc'd *ppErrStr (freed here, as slapd does);
 * the same verdict without ppErrStr and with a pwdCheckModuleArg; the
 * password is left as it was.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <slapi-plugin.h>

#include "../slapi_doubles.h"
#include "fuzz.h"
#include "pwquality.h"

/* --- the target -------------------------------------------------------- */

/* expected - the first rule PW breaks for entry E (NULL: no entry) */
static enum pwquality_result expected(const char *pw,
				      const struct slapi_entry *e)
{
	enum pwquality_result res = pwquality_check(pw, strlen(pw), NULL);
	char *uid = NULL;
	int i = 0;

	if (res != PWQ_OK || e == NULL || !e->has_uid)
		return res;
	for (i = 0; i < e->uid.n && res == PWQ_OK; i++) {
		const struct berval *bv = &e->uid.vals[i].bv;

		if (bv->bv_len == 0)
			continue;
		/* the module sees the value as a C string */
		uid = fuzz_cstring((const uint8_t *)bv->bv_val, bv->bv_len);
		res = pwquality_check(pw, strlen(pw), uid);
		free(uid);
	}
	return res;
}

int FUZZ_ENTRY(check_password)(const uint8_t *data, size_t size)
{
	struct berval arg = {sizeof("ignored") - 1, (char *)"ignored"};
	struct slapi_entry fake;
	char *fields[1 + SLAPI_DOUBLES_MAX_UIDS];
	size_t lens[1 + SLAPI_DOUBLES_MAX_UIDS];
	struct slapi_entry *e = NULL;
	char *pw = NULL, *before = NULL, *err = NULL;
	size_t n = 0, i = 0;
	enum pwquality_result want = PWQ_OK;
	int mode = 0, rc = 0;

	if (size == 0)
		return 0;
	mode = data[0] % 3;
	n = fuzz_split(data + 1, size - 1, fields, lens,
		       1 + SLAPI_DOUBLES_MAX_UIDS);
	memset(&fake, 0, sizeof(fake));
	if (mode == 1) {
		e = &fake;
	} else if (mode == 2) {
		e = &fake;
		fake.has_uid = 1;
		for (i = 1; i < n; i++) {
			struct berval *bv = &fake.uid.vals[fake.uid.n++].bv;

			/* exactly bv_len bytes: ASan sees a read past them */
			bv->bv_len = lens[i];
			bv->bv_val = lens[i] > 0 ? fuzz_alloc(lens[i]) : NULL;
			if (lens[i] > 0)
				memcpy(bv->bv_val, fields[i], lens[i]);
		}
	}
	/* the password as slapd hands it over: a C string, exactly sized */
	pw = fuzz_cstring((const uint8_t *)fields[0], strlen(fields[0]));
	before = fuzz_cstring((const uint8_t *)pw, strlen(pw));
	want = expected(pw, e);

	err = (char *)"not reset";
	rc = check_password(pw, &err, (Entry *)e, NULL);
	if (want == PWQ_OK) {
		FUZZ_ASSERT(rc == LDAP_SUCCESS);
		FUZZ_ASSERT(err == NULL);
	} else {
		FUZZ_ASSERT(rc == LDAP_CONSTRAINT_VIOLATION);
		FUZZ_ASSERT(err != NULL);
		FUZZ_ASSERT(strcmp(err, pwquality_message(want)) == 0);
		free(err); /* as slapd does */
	}
	rc = check_password(pw, NULL, (Entry *)e, &arg);
	FUZZ_ASSERT(rc == (want == PWQ_OK ? LDAP_SUCCESS
					  : LDAP_CONSTRAINT_VIOLATION));
	FUZZ_ASSERT(strcmp(pw, before) == 0);

	for (i = 0; i < (size_t)fake.uid.n; i++)
		free(fake.uid.vals[i].bv.bv_val);
	fuzz_split_free(fields, n);
	free(before);
	free(pw);
	return 0;
}
