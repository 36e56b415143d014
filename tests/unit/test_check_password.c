/*
 * test_check_password - the slapd ppolicy check module without slapd.
 *
 * As contrib/slapd-modules/ppm/ppm_test.c does, the module's source is
 * linked in and check_password() is called directly. The entry is a fake:
 * the module reads it only through four SLAPI accessors, and
 * tests/slapi_doubles.c (shared with the fuzz target) defines test doubles
 * of them with OpenLDAP 2.5.13's semantics
 * (servers/slapd/slapi/slapi_utils.c). The built .so is also dlopen'ed to
 * check that it exports check_password and init_module and nothing of the
 * rules; linked
 * with -export-dynamic, its SLAPI references bind to the same doubles.
 * malloc is wrapped (-Wl,--wrap=malloc) to inject allocation failures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include <slapi-plugin.h>

#include "../slapi_doubles.h"
#include "kcg.h"
#include "pwquality.h"

#ifndef KCG_CHECK_MODULE
#define KCG_CHECK_MODULE "src/slapd/.libs/kcg_check_password.so"
#endif

typedef int check_password_fn(char *, char **, Entry *, struct berval *);

/* entry_set - fill E with the NULL-terminated UIDS (NULL: no uid). */
static Entry *entry_set(struct slapi_entry *e, const char *const *uids)
{
	memset(e, 0, sizeof(*e));
	if (uids == NULL)
		return e;
	e->has_uid = 1;
	for (; e->uid.n < SLAPI_DOUBLES_MAX_UIDS && uids[e->uid.n] != NULL;
	     e->uid.n++) {
		struct berval *bv = &e->uid.vals[e->uid.n].bv;

		bv->bv_val = (char *)uids[e->uid.n];
		bv->bv_len = strlen(uids[e->uid.n]);
	}
	return e;
}

/* --- allocation failure injection -------------------------------------- */

void *__real_malloc(size_t size);
void *__wrap_malloc(size_t size);

/* How many more calls succeed; negative: all of them. */
static int malloc_successes = -1;

void *__wrap_malloc(size_t size)
{
	if (malloc_successes == 0)
		return NULL;
	if (malloc_successes > 0)
		malloc_successes--;
	return __real_malloc(size);
}

/* --- the table --------------------------------------------------------- */

enum entry_kind {
	ENTRY_UID = 0, /* uid attribute with the values in .uids */
	ENTRY_NO_UID,  /* an entry with no uid attribute */
	ENTRY_NULL,    /* pEntry == NULL */
};

struct pw_case {
	const char *name;
	const char *password; /* NULL: pPasswd == NULL */
	enum entry_kind entry;
	const char *uids[SLAPI_DOUBLES_MAX_UIDS + 1];
	enum pwquality_result want;
};

/* 125 and 126 more characters: 128 and 129 in all. */
#define A125                                                                   \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"      \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define A126 A125 "a"

/* clang-format off */
static const struct pw_case cases[] = {
	{"good", "Kaohsiung2024!", ENTRY_UID, {"alice"}, PWQ_OK},
	{"good, 3 classes", "Kaohsiung2024", ENTRY_UID, {"alice"}, PWQ_OK},
	{"good, 8 characters", "Abcdef12", ENTRY_UID, {"alice"}, PWQ_OK},
	{"good, 128 characters", "Aa1" A125, ENTRY_UID, {"alice"}, PWQ_OK},
	{"NULL password", NULL, ENTRY_UID, {"alice"}, PWQ_EMPTY},
	{"empty", "", ENTRY_UID, {"alice"}, PWQ_EMPTY},
	{"too short", "Ab1!xyz", ENTRY_UID, {"alice"}, PWQ_TOO_SHORT},
	{"too long", "Aa1" A126, ENTRY_UID, {"alice"}, PWQ_TOO_LONG},
	{"2 classes", "abcdefgh", ENTRY_UID, {"alice"}, PWQ_FEW_CLASSES},
	{"no upper", "abcdef1!", ENTRY_UID, {"alice"}, PWQ_NEED_UPPER},
	{"no lower", "ABCDEF1!", ENTRY_UID, {"alice"}, PWQ_NEED_LOWER},
	{"no digit", "Abcdefg!", ENTRY_UID, {"alice"}, PWQ_NEED_DIGIT},
	{"uid", "Xy1alice9", ENTRY_UID, {"alice"}, PWQ_CONTAINS_UID},
	{"UID", "xy1ALICE9", ENTRY_UID, {"alice"}, PWQ_CONTAINS_UID},
	{"uId", "Pw1AlIcE", ENTRY_UID, {"alice"}, PWQ_CONTAINS_UID},
	{"uid value UID", "Xy1alice9", ENTRY_UID, {"ALICE"}, PWQ_CONTAINS_UID},
	{"2nd uid value", "Xy1A.Chen9", ENTRY_UID, {"alice", "a.chen"},
		PWQ_CONTAINS_UID},
	{"no uid in pw", "Kaohsiung24", ENTRY_UID, {"alice", "a.chen"}, PWQ_OK},
	{"no uid attribute", "Xy1alice9", ENTRY_NO_UID, {NULL}, PWQ_OK},
	{"NULL entry", "Xy1alice9", ENTRY_NULL, {NULL}, PWQ_OK},
	{"NULL e, no upper", "abcdef1!", ENTRY_NULL, {NULL}, PWQ_NEED_UPPER},
	{"space", "Abcd 1234", ENTRY_UID, {"alice"}, PWQ_BAD_CHAR},
	{"tab", "Abcd\t1234", ENTRY_UID, {"alice"}, PWQ_BAD_CHAR},
	{"control", "Abcd1234\x1b", ENTRY_UID, {"alice"}, PWQ_BAD_CHAR},
	{"full-width", "\xef\xbc\xa1" "bcdefg1", ENTRY_UID, {"alice"},
		PWQ_BAD_CHAR},
	{"Chinese", "Abcdefg1密碼", ENTRY_UID, {"alice"}, PWQ_BAD_CHAR},
	{"invalid UTF-8", "Abcdefg1\xff", ENTRY_UID, {"alice"}, PWQ_BAD_CHAR},
	{"cut UTF-8", "Abcdefg1\xe5\xaf", ENTRY_UID, {"alice"}, PWQ_BAD_CHAR},
	{"NULL entry, space", "Abcd 1234", ENTRY_NULL, {NULL}, PWQ_BAD_CHAR},
};
/* clang-format on */

/* run_case - C through FN, with and without ppErrStr and pwdCheckModuleArg */
static void run_case(check_password_fn *fn, const struct pw_case *c)
{
	struct slapi_entry fake;
	struct berval arg = {sizeof("ignored") - 1, (char *)"ignored"};
	Entry *e = NULL;
	char *pw = NULL;
	char *err = (char *)"not reset";
	int rc;

	if (c->entry == ENTRY_UID)
		e = entry_set(&fake, c->uids);
	else if (c->entry == ENTRY_NO_UID)
		e = entry_set(&fake, NULL);
	if (c->password != NULL) {
		pw = strdup(c->password);
		assert_non_null(pw);
	}

	rc = fn(pw, &err, e, NULL);
	if (c->want == PWQ_OK) {
		assert_int_equal(rc, LDAP_SUCCESS);
		assert_null(err);
	} else {
		assert_int_equal(rc, LDAP_CONSTRAINT_VIOLATION);
		assert_non_null(err);
		assert_string_equal(err, pwquality_message(c->want));
		free(err); /* as slapd does */
	}
	/* No ppErrStr, and a pwdCheckModuleArg: same verdict. */
	rc = fn(pw, NULL, e, &arg);
	assert_int_equal(rc, c->want == PWQ_OK ? LDAP_SUCCESS
					       : LDAP_CONSTRAINT_VIOLATION);
	/* The password is only read. */
	if (pw != NULL)
		assert_string_equal(pw, c->password);
	free(pw);
}

/* test_table - every case through the linked-in check_password */
static void test_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < KCG_N_ELEMENTS(cases); i++) {
		print_message("case: %s\n", cases[i].name);
		run_case(check_password, &cases[i]);
	}
}

/* test_message_text - the client sees zh-TW, then English */
static void test_message_text(void **state)
{
	char pw[] = "abcdef1!";
	char *err = NULL;

	(void)state;
	assert_int_not_equal(check_password(pw, &err, NULL, NULL), 0);
	assert_string_equal(err, "密碼需包含大寫英文字母 / "
				 "must contain an upper-case letter");
	free(err);
}

/* test_one_megabyte - 1 MB of otherwise acceptable characters */
static void test_one_megabyte(void **state)
{
	static const char *const uids[] = {"alice", NULL};
	const size_t len = 1024 * 1024;
	struct slapi_entry fake;
	char *pw = NULL;
	char *err = NULL;
	size_t i;

	(void)state;
	pw = malloc(len + 1);
	assert_non_null(pw);
	for (i = 0; i < len; i++)
		pw[i] = "Aa1!"[i % 4];
	pw[len] = '\0';
	assert_int_equal(check_password(pw, &err, entry_set(&fake, uids), NULL),
			 LDAP_CONSTRAINT_VIOLATION);
	assert_string_equal(err, pwquality_message(PWQ_TOO_LONG));
	free(err);
	/* With a space at the end, still rejected. */
	pw[len - 1] = ' ';
	assert_int_not_equal(check_password(pw, &err, NULL, NULL), 0);
	assert_non_null(err);
	free(err);
	free(pw);
}

/* test_uid_not_terminated - only bv_len bytes of a uid value are used */
static void test_uid_not_terminated(void **state)
{
	static const char *const uids[] = {"alicebob", NULL};
	struct slapi_entry fake;
	char pw[] = "Xy1Alice9";
	char *err = NULL;

	(void)state;
	entry_set(&fake, uids);
	fake.uid.vals[0].bv.bv_len = 5; /* "alice" */
	assert_int_equal(check_password(pw, &err, &fake, NULL),
			 LDAP_CONSTRAINT_VIOLATION);
	assert_string_equal(err, pwquality_message(PWQ_CONTAINS_UID));
	free(err);
}

/* test_no_memory - every allocation failure is LDAP_OTHER, no message */
static void test_no_memory(void **state)
{
	static const char *const uids[] = {"alice", NULL};
	static const struct {
		const char *password;
		int with_uid;
		int successes;
	} oom[] = {
		{"abcdef1!", 0, 0},	  /* the message */
		{"Kaohsiung2024!", 1, 0}, /* the uid copy */
		{"Xy1alice9", 1, 0},	  /* the uid copy */
		{"Xy1alice9", 1, 1},	  /* the message */
	};
	struct slapi_entry fake;
	char pw[32];
	char *err = NULL;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < KCG_N_ELEMENTS(oom); i++) {
		strcpy(pw, oom[i].password);
		err = (char *)"not reset";
		malloc_successes = oom[i].successes;
		rc = check_password(
			pw, &err,
			oom[i].with_uid ? entry_set(&fake, uids) : NULL, NULL);
		malloc_successes = -1;
		assert_int_equal(rc, LDAP_OTHER);
		assert_null(err);
	}
}

/* test_module_exports - the built .so exports check_password, not the rules */
static void test_module_exports(void **state)
{
	const char *path = getenv("KCG_CHECK_MODULE");
	check_password_fn *fn = NULL;
	int (*init)(int, char **) = NULL;
	Dl_info where;
	void *h = NULL;
	size_t i;

	(void)state;
	if (path == NULL || *path == '\0')
		path = KCG_CHECK_MODULE;
	/* RTLD_NOW, like the module's -z now: every reference must bind. */
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL)
		fail_msg("dlopen %s: %s", path, dlerror());
	*(void **)&fn = dlsym(h, "check_password");
	assert_non_null(fn);
	assert_true(fn != check_password);
	assert_null(dlsym(h, "pwquality_check"));
	assert_null(dlsym(h, "utf8_valid"));
	/* init_module, for olcModuleLoad: the module's own (libc has one
	 * of that name too), and without libltdl around it does nothing */
	*(void **)&init = dlsym(h, "init_module");
	assert_non_null(init);
	assert_true(dladdr(*(void **)&init, &where) != 0);
	assert_non_null(strstr(where.dli_fname, "kcg_check_password"));
	assert_int_equal(init(0, NULL), 0);
	/* And it works, reading the fake entry through the doubles. */
	for (i = 0; i < KCG_N_ELEMENTS(cases); i++)
		run_case(fn, &cases[i]);
	dlclose(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_message_text),
		cmocka_unit_test(test_one_megabyte),
		cmocka_unit_test(test_uid_not_terminated),
		cmocka_unit_test(test_no_memory),
		cmocka_unit_test(test_module_exports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
