/*
 * utf8 - UTF-8 validation, shared by everything that takes text input.
 */
#ifndef KCG_UTF8_H
#define KCG_UTF8_H

#include <stddef.h>

/*
 * utf8_valid - true when S[0..LEN) is well-formed UTF-8 (no overlong
 * forms, surrogates or code points above U+10FFFF) with no NUL and no C0
 * control character other than TAB.
 */
int utf8_valid(const char *s, size_t len);

/* utf8_count - the number of code points in well-formed S[0..LEN). */
size_t utf8_count(const char *s, size_t len);

#endif
