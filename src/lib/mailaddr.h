/*
 * mailaddr - checks for mail addresses we store or put in a header.
 *
 * Only plain ASCII addr-spec forms are accepted (local@domain, dot-atom
 * local part, LDH domain labels with at least one dot). No display names,
 * comments, quoted local parts, IP literals, white space or control
 * characters: anything that could smuggle a CR/LF into a header is refused.
 */
#ifndef KCG_MAILADDR_H
#define KCG_MAILADDR_H

#include <stddef.h>

#define MAILADDR_MAX 254

/*
 * mailaddr_normalize - validate IN and write it to out_r (MAILADDR_MAX + 1
 * bytes) with the domain lower-cased; the local part is kept as typed.
 * Returns 0, or KCG_EINVAL with a static zh-TW / English reason.
 */
int mailaddr_normalize(const char *in, char out_r[MAILADDR_MAX + 1],
		       const char **error_r);

/*
 * mailaddr_in_domain - true when the normalized ADDR's domain equals
 * DOMAIN (case-insensitively).
 */
int mailaddr_in_domain(const char *addr, const char *domain);

#endif
