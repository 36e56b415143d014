/*
 * mailmsg - compose the mail kcgidm sends: RFC 5322 with MIME (libetpan),
 * UTF-8 text/plain, headers in RFC 2047 encoded words where needed, Date
 * and Message-ID, CRLF line endings.
 *
 * Header values are checked here, once for every sender: a CR or LF (or
 * any control character) in a name, an address or a subject is refused,
 * so nothing that reaches a header can inject another.
 */
#ifndef KCG_MAILMSG_H
#define KCG_MAILMSG_H

#include <stddef.h>

struct mailmsg_spec {
	const char *from;    /* "Display Name <addr@domain>" or "addr@domain" */
	const char *to;	     /* the same forms */
	const char *subject; /* UTF-8 */
	const char *body;    /* UTF-8, LF or CRLF line endings */
};

/*
 * mailmsg_compose - the whole message for SPEC in new memory (*msg_r,
 * *len_r; caller frees), with CRLF line endings and without the final
 * "." line. The envelope sender and recipient (bare addresses) go to
 * *env_from_r and *env_to_r (caller frees). Returns 0, or KCG_EINVAL with
 * the reason (bad address, CR/LF or control character in a header value,
 * invalid UTF-8), or KCG_EINTERNAL.
 */
int mailmsg_compose(const struct mailmsg_spec *spec, char **msg_r,
		    size_t *len_r, char **env_from_r, char **env_to_r,
		    const char **error_r);

/*
 * mailmsg_encode_word - VALUE as RFC 2047 "=?UTF-8?B?...?=" words of at
 * most 75 characters each (split only on UTF-8 character boundaries),
 * separated by "\r\n " folds; plain ASCII without specials is returned
 * as is. New memory (caller frees); NULL when VALUE is not valid UTF-8
 * or holds a control character.
 */
char *mailmsg_encode_word(const char *value);

#endif
