/*
 * pwquality - the seed's password rules and strength meter.
 *
 * One password serves the city account and the IKPD portal, so the rule
 * is the union of the seed's two policies:
 *  - at least 8 characters (account system) -- IKPD's 7 is implied;
 *  - upper case, lower case and a digit (IKPD), which also satisfies the
 *    account system's "3 of 4 classes";
 *  - must not contain the login name, compared case-insensitively;
 *  - printable ASCII only: no white space, control characters, Chinese,
 *    full-width forms or any other non-ASCII character (IKPD).
 * A "symbol" is printable ASCII punctuation: ! " # $ % & ' ( ) * + , - . /
 * : ; < = > ? @ [ \ ] ^ _ ` { | } ~
 *
 * slapd is the authority (our ppolicy check module links this same file);
 * the CLI and the web pages call it only for early feedback. This module
 * never allocates, logs or exits, so it is safe inside slapd.
 */
#ifndef KCG_PWQUALITY_H
#define KCG_PWQUALITY_H

#include <stddef.h>

#define PWQUALITY_MIN_LENGTH 8
#define PWQUALITY_MAX_LENGTH 128

enum pwquality_class {
	PWQ_UPPER = 1 << 0,
	PWQ_LOWER = 1 << 1,
	PWQ_DIGIT = 1 << 2,
	PWQ_SYMBOL = 1 << 3,
};

/* Which rule a password broke; PWQ_OK when none. */
enum pwquality_result {
	PWQ_OK = 0,
	PWQ_EMPTY,
	PWQ_TOO_SHORT,
	PWQ_TOO_LONG,
	PWQ_BAD_CHAR,	   /* white space, control, non-ASCII, invalid UTF-8 */
	PWQ_FEW_CLASSES,   /* fewer than 3 of the 4 classes */
	PWQ_NEED_UPPER,
	PWQ_NEED_LOWER,
	PWQ_NEED_DIGIT,
	PWQ_CONTAINS_UID,
};

enum pwquality_strength {
	PWQ_STRENGTH_NONE = 0, /* empty */
	PWQ_STRENGTH_WEAK,     /* 弱 */
	PWQ_STRENGTH_MEDIUM,   /* 中 */
	PWQ_STRENGTH_STRONG,   /* 強 */
};

/*
 * pwquality_check - apply the rules to PASSWORD (LEN bytes, need not be
 * NUL-terminated) for the account UID (may be NULL or empty: the uid rule
 * is then skipped). Rules are tested in the order of the enum above and
 * the first broken one is returned, except that BAD_CHAR is tested right
 * after EMPTY: lengths are then counted over printable ASCII, where bytes
 * and characters agree ("密碼" is BAD_CHAR, not TOO_SHORT).
 */
enum pwquality_result pwquality_check(const char *password, size_t len,
				      const char *uid);

/*
 * pwquality_classes - the PWQ_* class bits present in PASSWORD.
 */
unsigned int pwquality_classes(const char *password, size_t len);

/*
 * pwquality_message - a static, one-line reason for RESULT in zh-TW
 * followed by English, short enough for a client to show as is
 * ("密碼需包含大寫英文字母 / must contain an upper-case letter").
 */
const char *pwquality_message(enum pwquality_result result);

/*
 * pwquality_strength - the seed's meter: fewer than 3 classes is weak;
 * otherwise 1-6 characters weak, 7-10 medium, more than 10 strong.
 * Characters are counted as UTF-8 code points.
 */
enum pwquality_strength pwquality_strength(const char *password, size_t len);

/* pwquality_strength_label - "弱", "中", "強" or "" for NONE. */
const char *pwquality_strength_label(enum pwquality_strength s);

#endif
