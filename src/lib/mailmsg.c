/*
 * mailmsg - compose kcgidm's mail with libetpan (see mailmsg.h).
 *
 * libetpan builds the RFC 5322 fields and the MIME part and writes them
 * out; what it does not do is done here: RFC 2047 encoded words for
 * non-ASCII display names and subjects (libetpan 1.9.4 has no encoder),
 * refusing control characters in header values (libetpan writes them as
 * given), and a Message-ID on the sender's domain (libetpan's own uses
 * the host name and an unseeded random()).
 *
 * The message ends with CRLF, as a message on disk should. The SMTP
 * client strips that final CRLF before handing the message to
 * mailsmtp_data_message(), which appends "\r\n.\r\n" itself (smtp.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <libetpan/libetpan.h>

#include "err.h"
#include "kcg.h"
#include "mailaddr.h"
#include "mailmsg.h"
#include "utf8.h"
#include "xalloc.h"

/* Raw bytes per encoded word: 36 bytes are 48 base64 characters, so a
 * word "=?UTF-8?B?...?=" is at most 60 characters. */
#define WORD_RAW_MAX 36
/* A plain ASCII word longer than this is encoded so that it can fold. */
#define PLAIN_WORD_MAX 60
#define BODY_MAX       (1024 * 1024)
#define NAME_MAX_BYTES 256
#define SUBJECT_MAX    998

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* has_control - true when S holds a C0 control character or DEL. */
static int has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* base64_append - append the base64 form of IN[0..LEN) at *P. */
static void base64_append(char **p, const unsigned char *in, size_t len)
{
	char *o = *p;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		*o++ = b64[in[i] >> 2];
		*o++ = b64[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		*o++ = b64[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
		*o++ = b64[in[i + 2] & 63];
	}
	if (i + 1 == len) {
		*o++ = b64[in[i] >> 2];
		*o++ = b64[(in[i] & 3) << 4];
		*o++ = '=';
		*o++ = '=';
	} else if (i + 2 == len) {
		*o++ = b64[in[i] >> 2];
		*o++ = b64[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		*o++ = b64[(in[i + 1] & 15) << 2];
		*o++ = '=';
	}
	*p = o;
}

/* is_plain - ASCII that can stand in a header as is: printable, single
 * spaces between words of at most PLAIN_WORD_MAX, no RFC 5322 specials,
 * nothing that looks like an encoded word. */
static int is_plain(const char *s)
{
	size_t word = 0;
	const char *p;

	if (s[0] == ' ')
		return 0;
	if (strstr(s, "=?") != NULL)
		return 0;
	for (p = s; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return 0;
		if (strchr("()<>[]:;@\\,.\"", *p) != NULL)
			return 0;
		if (*p == ' ') {
			if (p[1] == ' ' || p[1] == '\0')
				return 0;
			word = 0;
		} else if (++word > PLAIN_WORD_MAX) {
			return 0;
		}
	}
	return 1;
}

/* char_len - the length of the UTF-8 sequence starting with byte C. */
static size_t char_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c >= 0xf0)
		return 4;
	if (c >= 0xe0)
		return 3;
	return 2;
}

/* encode_words - VALUE (valid UTF-8, no controls) as encoded words of at
 * most WORD_RAW_MAX bytes each, cut only between characters, joined with
 * SEP. New memory. */
static char *encode_words(const char *value, const char *sep)
{
	size_t len = strlen(value), seplen = strlen(sep), n, cl, i = 0;
	size_t words = len / (WORD_RAW_MAX - 3) + 1;
	char *out = xmalloc(words * (60 + seplen) + 1), *p = out;

	do {
		n = 0;
		while (i + n < len &&
		       n + (cl = char_len((unsigned char)value[i + n])) <=
			       WORD_RAW_MAX)
			n += cl;
		if (p != out) {
			memcpy(p, sep, seplen);
			p += seplen;
		}
		memcpy(p, "=?UTF-8?B?", 10);
		p += 10;
		base64_append(&p, (const unsigned char *)value + i, n);
		memcpy(p, "?=", 2);
		p += 2;
		i += n;
	} while (i < len);
	*p = '\0';
	return out;
}

/* header_value - VALUE checked (UTF-8, no control character) and made
 * header-safe: as is when plain, else encoded words joined with SEP. */
static char *header_value(const char *value, const char *sep)
{
	if (has_control(value) || !utf8_valid(value, strlen(value)))
		return NULL;
	if (is_plain(value))
		return xstrdup(value);
	return encode_words(value, sep);
}

char *mailmsg_encode_word(const char *value)
{
	return header_value(value, "\r\n ");
}

/* trim - S without leading and trailing spaces, in place. */
static char *trim(char *s)
{
	size_t n;

	while (*s == ' ')
		s++;
	n = strlen(s);
	while (n > 0 && s[n - 1] == ' ')
		s[--n] = '\0';
	return s;
}

/* parse_mailbox - "Name <addr>", "\"Name\" <addr>" or "addr": the
 * normalized address in ADDR_R and the display name (NULL when none) in
 * *name_r, as new memory. WHAT names the header in errors. */
static int parse_mailbox(const char *what, const char *in, char **name_r,
			 char addr_r[MAILADDR_MAX + 1], const char **error_r)
{
	char *copy = NULL, *lt, *name = NULL, *addr;
	const char *err = NULL;
	size_t n;
	int r = KCG_EINVAL;

	if (in == NULL || has_control(in)) {
		*error_r =
			err_fmt("%s: 含換行或控制字元 / contains a CR, LF or "
				"control character",
				what);
		goto out;
	}
	copy = xstrdup(in);
	n = strlen(copy);
	lt = strrchr(copy, '<');
	if (n > 0 && copy[n - 1] == '>' && lt != NULL) {
		copy[n - 1] = '\0';
		*lt = '\0';
		addr = lt + 1;
		name = trim(copy);
		n = strlen(name);
		if (n >= 2 && name[0] == '"' && name[n - 1] == '"') {
			name[n - 1] = '\0';
			name++;
			if (strpbrk(name, "\"\\") != NULL) {
				*error_r = err_fmt(
					"%s: 顯示名稱不可含引號或反斜線 "
					"/ quotes and backslashes are "
					"not allowed in the display "
					"name",
					what);
				goto out;
			}
		}
		if (strpbrk(name, "<>") != NULL) {
			*error_r = err_fmt("%s: 只能有一個地址 / one address "
					   "only (no < or > in the name)",
					   what);
			goto out;
		}
		if (!utf8_valid(name, strlen(name)) ||
		    strlen(name) > NAME_MAX_BYTES) {
			*error_r = err_fmt("%s: 顯示名稱無效 / invalid display "
					   "name (UTF-8, at most %d bytes)",
					   what, NAME_MAX_BYTES);
			goto out;
		}
	} else {
		addr = copy;
	}
	if (mailaddr_normalize(addr, addr_r, &err) < 0) {
		*error_r = err_fmt("%s: %s", what, err);
		goto out;
	}
	*name_r = name != NULL && name[0] != '\0' ? xstrdup(name) : NULL;
	r = 0;
out:
	free(copy);
	return r;
}

/* crlf_body - BODY checked (UTF-8, no control character but TAB) with
 * every line ending as CRLF, including the last. New memory in *out_r. */
static int crlf_body(const char *body, char **out_r, size_t *len_r,
		     const char **error_r)
{
	size_t len = strlen(body), n = 0, i, start = 0, end;
	char *out = NULL;

	if (len > BODY_MAX) {
		*error_r = "內文太長 / the body is too long";
		return KCG_EINVAL;
	}
	out = xmalloc(2 * len + 3);
	for (i = 0; i <= len; i++) {
		if (i < len && body[i] != '\n')
			continue;
		if (i == len && start == len && len > 0)
			break; /* the body ended with a line break */
		end = i;
		if (end > start && body[end - 1] == '\r')
			end--;
		if (!utf8_valid(body + start, end - start)) {
			free(out);
			*error_r = "內文含無效的 UTF-8 或控制字元 / the body "
				   "holds invalid UTF-8 or a control character";
			return KCG_EINVAL;
		}
		memcpy(out + n, body + start, end - start);
		n += end - start;
		out[n++] = '\r';
		out[n++] = '\n';
		start = i + 1;
	}
	out[n] = '\0';
	*out_r = out;
	*len_r = n;
	return 0;
}

/* message_id - "<time.random@DOMAIN>" in new memory (libetpan's form,
 * without the angle brackets). */
static char *message_id(const char *addr)
{
	unsigned char rnd[12] = {0};
	char hex[sizeof(rnd) * 2 + 1];
	const char *domain = strchr(addr, '@');
	size_t i;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		struct timespec ts;

		/* Never fails for 12 bytes on Linux; still, not all zero. */
		clock_gettime(CLOCK_REALTIME, &ts);
		memcpy(rnd, &ts,
		       sizeof(rnd) < sizeof(ts) ? sizeof(rnd) : sizeof(ts));
	}
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	return xasprintf("%lld.%s%s", (long long)time(NULL), hex, domain);
}

/* new_mailbox - a libetpan mailbox for NAME (may be NULL) and ADDR. */
static struct mailimf_mailbox *new_mailbox(const char *name, const char *addr)
{
	char *n = NULL, *a = xstrdup(addr);
	struct mailimf_mailbox *mb;

	/* Words joined by spaces: libetpan folds them, and writes a display
	 * name made of atext and spaces without quotes. */
	if (name != NULL)
		n = header_value(name, " ");
	mb = mailimf_mailbox_new(n, a);
	if (mb == NULL) {
		free(n);
		free(a);
	}
	return mb;
}

/* build_fields - the RFC 5322 fields; NULL when out of memory. */
static struct mailimf_fields *
build_fields(const char *from_name, const char *from_addr, const char *to_name,
	     const char *to_addr, const char *subject)
{
	struct mailimf_mailbox_list *from = NULL;
	struct mailimf_address_list *to = NULL;
	struct mailimf_mailbox *mb = NULL;
	struct mailimf_address *addr = NULL;
	struct mailimf_date_time *date = NULL;
	struct mailimf_fields *fields = NULL;
	char *subj = NULL, *msgid = NULL;

	from = mailimf_mailbox_list_new_empty();
	to = mailimf_address_list_new_empty();
	date = mailimf_get_current_date();
	if (from == NULL || to == NULL || date == NULL)
		goto out;
	if ((mb = new_mailbox(from_name, from_addr)) == NULL)
		goto out;
	if (mailimf_mailbox_list_add(from, mb) != MAILIMF_NO_ERROR) {
		mailimf_mailbox_free(mb);
		goto out;
	}
	if ((mb = new_mailbox(to_name, to_addr)) == NULL)
		goto out;
	if ((addr = mailimf_address_new(MAILIMF_ADDRESS_MAILBOX, mb, NULL)) ==
	    NULL) {
		mailimf_mailbox_free(mb);
		goto out;
	}
	if (mailimf_address_list_add(to, addr) != MAILIMF_NO_ERROR) {
		mailimf_address_free(addr);
		goto out;
	}
	subj = header_value(subject, " ");
	msgid = message_id(from_addr);
	fields = mailimf_fields_new_with_data_all(date, from, NULL, NULL, to,
						  NULL, NULL, msgid, NULL, NULL,
						  subj);
	if (fields != NULL)
		date = NULL, from = NULL, to = NULL, subj = NULL, msgid = NULL;
out:
	if (date != NULL)
		mailimf_date_time_free(date);
	if (from != NULL)
		mailimf_mailbox_list_free(from);
	if (to != NULL)
		mailimf_address_list_free(to);
	free(subj);
	free(msgid);
	return fields;
}

/* build_part - the text/plain; charset=UTF-8 part, base64, for TEXT
 * (which stays the caller's and must outlive the part). */
static struct mailmime *build_part(char *text, size_t len)
{
	struct mailmime_fields *mf = NULL;
	struct mailmime_content *ct = NULL;
	struct mailmime_parameter *param = NULL;
	struct mailmime *part = NULL;

	mf = mailmime_fields_new_encoding(MAILMIME_MECHANISM_BASE64);
	ct = mailmime_content_new_with_str("text/plain");
	param = mailmime_param_new_with_data("charset", "UTF-8");
	if (mf == NULL || ct == NULL || param == NULL)
		goto out;
	if (clist_append(ct->ct_parameters, param) < 0)
		goto out;
	param = NULL;
	part = mailmime_new_empty(ct, mf);
	if (part == NULL)
		goto out;
	ct = NULL;
	mf = NULL;
	if (mailmime_set_body_text(part, text, len) != MAILIMF_NO_ERROR) {
		mailmime_free(part);
		part = NULL;
	}
out:
	if (param != NULL)
		mailmime_parameter_free(param);
	if (ct != NULL)
		mailmime_content_free(ct);
	if (mf != NULL)
		mailmime_fields_free(mf);
	return part;
}

int mailmsg_compose(const struct mailmsg_spec *spec, char **msg_r,
		    size_t *len_r, char **env_from_r, char **env_to_r,
		    const char **error_r)
{
	char from_addr[MAILADDR_MAX + 1], to_addr[MAILADDR_MAX + 1];
	char *from_name = NULL, *to_name = NULL, *body = NULL;
	struct mailimf_fields *fields = NULL;
	struct mailmime *msg = NULL, *part = NULL;
	MMAPString *str = NULL;
	size_t body_len = 0;
	int r = KCG_EINVAL, col = 0;

	r = parse_mailbox("From", spec->from, &from_name, from_addr, error_r);
	if (r < 0)
		goto out;
	r = parse_mailbox("To", spec->to, &to_name, to_addr, error_r);
	if (r < 0)
		goto out;
	r = KCG_EINVAL;
	if (spec->subject == NULL || has_control(spec->subject) ||
	    !utf8_valid(spec->subject, strlen(spec->subject)) ||
	    strlen(spec->subject) > SUBJECT_MAX) {
		*error_r = "Subject: 含換行、控制字元或無效的 UTF-8 / contains "
			   "a CR, LF, control character or invalid UTF-8";
		goto out;
	}
	if (spec->body == NULL) {
		*error_r = "沒有內文 / no body";
		goto out;
	}
	r = crlf_body(spec->body, &body, &body_len, error_r);
	if (r < 0)
		goto out;

	r = KCG_EINTERNAL;
	*error_r = "libetpan: 記憶體不足 / out of memory";
	fields = build_fields(from_name, from_addr, to_name, to_addr,
			      spec->subject);
	if (fields == NULL)
		goto out;
	msg = mailmime_new_message_data(NULL);
	if (msg == NULL)
		goto out;
	mailmime_set_imf_fields(msg, fields);
	fields = NULL;
	part = build_part(body, body_len);
	if (part == NULL)
		goto out;
	if (mailmime_smart_add_part(msg, part) != MAILIMF_NO_ERROR) {
		mailmime_free(part);
		goto out;
	}
	str = mmap_string_new("");
	if (str == NULL)
		goto out;
	if (mailmime_write_mem(str, &col, msg) != MAILIMF_NO_ERROR) {
		*error_r = "libetpan: 無法產生郵件 / cannot write the message";
		goto out;
	}
	*msg_r = xstrndup(str->str, str->len);
	*len_r = str->len;
	*env_from_r = xstrdup(from_addr);
	*env_to_r = xstrdup(to_addr);
	r = 0;
out:
	if (str != NULL)
		mmap_string_free(str);
	if (msg != NULL)
		mailmime_free(msg);
	if (fields != NULL)
		mailimf_fields_free(fields);
	free(body);
	free(from_name);
	free(to_name);
	return r;
}
