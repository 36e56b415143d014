/*
 * slapi_doubles - a fake slapd entry and test doubles of the four SLAPI
 * accessors that the ppolicy check module (src/slapd/kcg_check_password.c)
 * reads it through, with OpenLDAP 2.5.13's semantics
 * (servers/slapd/slapi/slapi_utils.c).
 *
 * Test-only: compiled, together with the module's source, into
 * tests/unit/test_check_password and the check_password fuzz target
 * (tests/fuzz), which call check_password() directly as
 * contrib/slapd-modules/ppm/ppm_test.c does, with no slapd.
 */
#ifndef KCG_SLAPI_DOUBLES_H
#define KCG_SLAPI_DOUBLES_H

#include <slapi-plugin.h>

/* How many uid values a fake entry holds at most. */
#define SLAPI_DOUBLES_MAX_UIDS 3

/* In slapd a Slapi_Value is a struct berval and a Slapi_Attr an Attribute. */
struct slapi_value {
	struct berval bv;
};

struct slapi_attr {
	struct slapi_value vals[SLAPI_DOUBLES_MAX_UIDS];
	int n; /* values in use */
};

/*
 * The fake entry: a uid attribute (when has_uid) and nothing else. The
 * caller owns the entry and the memory its bervals point to; the doubles
 * only read it.
 */
struct slapi_entry {
	int has_uid;
	struct slapi_attr uid;
};

/* The module's name for what ppolicy passes it. */
typedef Slapi_Entry Entry;

/* The module's entry point (src/slapd/kcg_check_password.c). */
int check_password(char *pPasswd, char **ppErrStr, Entry *pEntry,
		   struct berval *pArg);

#endif
