/*
 * fuzz_mailmsg - mailmsg_compose with hostile header fields and body.
 *
 * Input: "FROM <0xff> TO <0xff> SUBJECT <0xff> BODY"; missing fields take
 * the seed's values, so that short inputs still reach the composer.
 *
 * Invariants of a composed message: the header is printable ASCII with
 * CR and LF only as CRLF, lines of at most 998 characters, and exactly
 * the eight fields we write (no CR/LF in a value can add another); the
 * Subject and the display names, unfolded and without the folding white
 * space around them, decode (RFC 2047) back to what was given;
 * From and To carry the envelope addresses, which are normalized; the
 * base64 body decodes to the body with CRLF line ends. A value holding a
 * CR, LF or other control character is always refused, and nothing is
 * written to the results on failure.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kcg.h"
#include "mailaddr.h"
#include "mailmsg.h"

#define SEED_FROM    "高雄市政府人事處人事服務網 <KPDFForum@kcg.gov.tw>"
#define SEED_TO	     "王小明 <wangxm@kcg.gov.tw>"
#define SEED_SUBJECT "高雄市政府人事處iKPD人事服務網帳號開通通知"
#define SEED_BODY    "王小明 您好：\n請於 48 小時內開通帳號。\n"

#define PREFIX	   "=?UTF-8?B?"
#define PREFIX_LEN (sizeof(PREFIX) - 1)

/* The fields we write, each exactly once. */
static const char *const field_names[] = {
	"Date",	   "From",	   "To",	   "Message-ID",
	"Subject", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
};
#define N_FIELDS (sizeof(field_names) / sizeof(field_names[0]))

/* A parsed header: each field's unfolded value (new memory). */
struct header {
	char *value[N_FIELDS];
};

/* has_control - S holds a C0 control or DEL (what a header refuses) */
static int has_control(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((uint8_t)*s < 0x20 || (uint8_t)*s == 0x7f)
			return 1;
	}
	return 0;
}

/* b64_value - the value of base64 digit C, or -1 */
static int b64_value(char c)
{
	static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c != '\0' ? strchr(digits, c) : NULL;

	return p != NULL ? (int)(p - digits) : -1;
}

/*
 * decode_b64 - the bytes of base64 S[0..LEN) (padded, CRLF ignored) at
 * OUT (LEN bytes); how many, or -1 when S is not base64.
 */
static long decode_b64(const char *s, size_t len, uint8_t *out)
{
	unsigned int acc = 0;
	long n = 0;
	size_t i = 0, digits = 0, pad = 0;
	int v = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\r' || s[i] == '\n')
			continue;
		if (s[i] == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (v = b64_value(s[i])) < 0)
			return -1;
		acc = acc << 6 | (unsigned int)v;
		if (++digits % 4 == 0) {
			out[n++] = (uint8_t)(acc >> 16);
			out[n++] = (uint8_t)(acc >> 8);
			out[n++] = (uint8_t)acc;
			acc = 0;
		}
	}
	if ((digits + pad) % 4 != 0 || pad > 2)
		return -1;
	if (digits % 4 == 2) {
		out[n++] = (uint8_t)(acc >> 4);
	} else if (digits % 4 == 3) {
		out[n++] = (uint8_t)(acc >> 10);
		out[n++] = (uint8_t)(acc >> 2);
	} else if (digits % 4 == 1) {
		return -1;
	}
	return n;
}

/*
 * decode_phrase - a header phrase as its text: plain as it is, or encoded
 * words separated by spaces, decoded and joined (RFC 2047 section 6.2).
 * New memory.
 */
static char *decode_phrase(const char *s)
{
	size_t len = strlen(s), n = 0, wlen = 0;
	char *out = fuzz_alloc(len + 1);
	const char *p = s, *end = NULL;
	long got = 0;

	if (strncmp(s, PREFIX, PREFIX_LEN) != 0) {
		memcpy(out, s, len + 1);
		return out;
	}
	while (*p != '\0') {
		end = strchr(p, ' ');
		if (end == NULL)
			end = p + strlen(p);
		wlen = (size_t)(end - p);
		FUZZ_ASSERT(wlen <= 75);
		FUZZ_ASSERT(wlen >= PREFIX_LEN + 2 &&
			    memcmp(p, PREFIX, PREFIX_LEN) == 0 &&
			    memcmp(end - 2, "?=", 2) == 0);
		got = decode_b64(p + PREFIX_LEN, wlen - PREFIX_LEN - 2,
				 (uint8_t *)out + n);
		FUZZ_ASSERT(got >= 0);
		/* each word holds whole characters */
		FUZZ_ASSERT(fuzz_utf8_valid((uint8_t *)out + n, (size_t)got));
		n += (size_t)got;
		p = *end == ' ' ? end + 1 : end;
	}
	out[n] = '\0';
	return out;
}

/* trim_wsp - S without leading and trailing SP and HTAB, in place */
static void trim_wsp(char *s)
{
	size_t skip = strspn(s, " \t"), n = strlen(s);

	while (n > skip && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	memmove(s, s + skip, n - skip);
	s[n - skip] = '\0';
}

/*
 * parse_header - check the header of MSG[0..LEN) and unfold its fields
 * into H; returns where the body starts.
 */
static size_t parse_header(const char *msg, size_t len, struct header *h)
{
	const char *end = NULL, *line = msg, *eol = NULL, *colon = NULL;
	size_t hlen = 0, i = 0, f = N_FIELDS, old = 0, add = 0;

	end = memmem(msg, len, "\r\n\r\n", 4);
	FUZZ_ASSERT(end != NULL);
	hlen = (size_t)(end - msg) + 2;
	for (i = 0; i < hlen; i++) {
		uint8_t c = (uint8_t)msg[i];

		if (c == '\r')
			FUZZ_ASSERT(msg[i + 1] == '\n');
		else if (c == '\n')
			FUZZ_ASSERT(i > 0 && msg[i - 1] == '\r');
		else
			FUZZ_ASSERT(c == '\t' || (c >= 0x20 && c <= 0x7e));
	}
	while (line < msg + hlen) {
		eol = memmem(line, (size_t)(msg + hlen - line), "\r\n", 2);
		FUZZ_ASSERT(eol != NULL);
		FUZZ_ASSERT(eol - line <= 998);
		if (*line == ' ' || *line == '\t') {
			/* unfolding removes the CRLF, keeps the space; a
			 * line of only white space is not a fold (RFC 5322
			 * 3.2.2) */
			FUZZ_ASSERT(f < N_FIELDS);
			FUZZ_ASSERT(strspn(line, " \t") < (size_t)(eol - line));
			old = strlen(h->value[f]);
			add = (size_t)(eol - line);
			h->value[f] = realloc(h->value[f], old + add + 1);
			FUZZ_ASSERT(h->value[f] != NULL);
			memcpy(h->value[f] + old, line, add);
			h->value[f][old + add] = '\0';
		} else {
			colon = memchr(line, ':', (size_t)(eol - line));
			FUZZ_ASSERT(colon != NULL);
			for (f = 0; f < N_FIELDS; f++) {
				if (strlen(field_names[f]) ==
					    (size_t)(colon - line) &&
				    memcmp(line, field_names[f],
					   (size_t)(colon - line)) == 0)
					break;
			}
			/* only our fields, each once: nothing injected */
			FUZZ_ASSERT(f < N_FIELDS);
			FUZZ_ASSERT(h->value[f] == NULL);
			h->value[f] = fuzz_cstring((const uint8_t *)colon + 1,
						   (size_t)(eol - colon - 1));
		}
		line = eol + 2;
	}
	for (f = 0; f < N_FIELDS; f++) {
		FUZZ_ASSERT(h->value[f] != NULL);
		/* folding white space around a value is not part of it */
		trim_wsp(h->value[f]);
	}
	return hlen + 2;
}

/* trim - S without leading and trailing spaces, in place */
static char *trim(char *s)
{
	size_t n = 0;

	while (*s == ' ')
		s++;
	n = strlen(s);
	while (n > 0 && s[n - 1] == ' ')
		s[--n] = '\0';
	return s;
}

/*
 * check_mailbox - header value VALUE shows the mailbox IN (what the
 * caller gave: "Name <addr>", "\"Name\" <addr>" or "addr") with the
 * normalized envelope address ENV.
 */
static void check_mailbox(const char *value, const char *in, const char *env)
{
	char norm[MAILADDR_MAX + 1];
	char *copy = fuzz_cstring((const uint8_t *)in, strlen(in));
	char *name = NULL, *addr = copy, *lt = strrchr(copy, '<');
	char *shown = NULL, *decoded = NULL;
	size_t n = strlen(copy);

	if (n > 0 && copy[n - 1] == '>' && lt != NULL) {
		copy[n - 1] = '\0';
		*lt = '\0';
		addr = lt + 1;
		name = trim(copy);
		n = strlen(name);
		if (n >= 2 && name[0] == '"' && name[n - 1] == '"') {
			name[n - 1] = '\0';
			name++;
		}
		if (name[0] == '\0')
			name = NULL;
	}
	FUZZ_ASSERT(mailaddr_normalize(addr, norm, NULL) == 0);
	FUZZ_ASSERT(strcmp(norm, env) == 0);
	if (name == NULL) {
		FUZZ_ASSERT(strcmp(value, env) == 0);
		goto out;
	}
	n = strlen(value);
	FUZZ_ASSERT(n > strlen(env) + 3);
	FUZZ_ASSERT(value[n - 1] == '>');
	FUZZ_ASSERT(memcmp(value + n - strlen(env) - 3, " <", 2) == 0);
	FUZZ_ASSERT(memcmp(value + n - strlen(env) - 1, env, strlen(env)) == 0);
	shown = fuzz_cstring((const uint8_t *)value, n - strlen(env) - 3);
	decoded = decode_phrase(shown);
	FUZZ_ASSERT(strcmp(decoded, name) == 0);
out:
	free(decoded);
	free(shown);
	free(copy);
}

/* crlf - BODY with every line ended by CRLF, as mailmsg.h promises */
static char *crlf(const char *body, size_t *len_r)
{
	size_t len = strlen(body), n = 0, start = 0, end = 0, i = 0;
	char *out = fuzz_alloc(2 * len + 3);

	for (i = 0; i <= len; i++) {
		if (i < len && body[i] != '\n')
			continue;
		if (i == len && start == len && len > 0)
			break;
		end = i > start && body[i - 1] == '\r' ? i - 1 : i;
		memcpy(out + n, body + start, end - start);
		n += end - start;
		out[n++] = '\r';
		out[n++] = '\n';
		start = i + 1;
	}
	*len_r = n;
	return out;
}

/* check_message - the invariants of a composed message */
static void check_message(const struct mailmsg_spec *spec, const char *msg,
			  size_t len, const char *env_from, const char *env_to)
{
	struct header h;
	char *subject = NULL, *want = NULL;
	uint8_t *body = NULL;
	size_t start = 0, want_len = 0, f = 0;
	long got = 0;

	FUZZ_ASSERT(strlen(msg) == len);
	FUZZ_ASSERT(!has_control(spec->from) && !has_control(spec->to) &&
		    !has_control(spec->subject));
	memset(&h, 0, sizeof(h));
	start = parse_header(msg, len, &h);

	check_mailbox(h.value[1], spec->from, env_from);
	check_mailbox(h.value[2], spec->to, env_to);
	subject = decode_phrase(h.value[4]);
	FUZZ_ASSERT(strcmp(subject, spec->subject) == 0);
	FUZZ_ASSERT(strcmp(h.value[7], "base64") == 0);

	body = fuzz_alloc(len - start + 1);
	got = decode_b64(msg + start, len - start, body);
	FUZZ_ASSERT(got >= 0);
	want = crlf(spec->body, &want_len);
	FUZZ_ASSERT((size_t)got == want_len);
	FUZZ_ASSERT(memcmp(body, want, want_len) == 0);

	for (f = 0; f < N_FIELDS; f++)
		free(h.value[f]);
	free(want);
	free(body);
	free(subject);
}

int FUZZ_ENTRY(mailmsg)(const uint8_t *data, size_t size)
{
	static const char *const seeds[] = {SEED_FROM, SEED_TO, SEED_SUBJECT,
					    SEED_BODY};
	char *fields[4];
	size_t lens[4];
	const char *value[4];
	struct mailmsg_spec spec;
	char *msg = NULL, *env_from = NULL, *env_to = NULL;
	const char *error = NULL;
	size_t n = 0, i = 0, len = 0;
	int r = 0;

	n = fuzz_split(data, size, fields, lens, 4);
	for (i = 0; i < 4; i++)
		value[i] = i < n ? fields[i] : seeds[i];
	spec.from = value[0];
	spec.to = value[1];
	spec.subject = value[2];
	spec.body = value[3];

	r = mailmsg_compose(&spec, &msg, &len, &env_from, &env_to, &error);
	if (r != 0) {
		FUZZ_ASSERT(r == KCG_EINVAL || r == KCG_EINTERNAL);
		FUZZ_ASSERT(error != NULL && error[0] != '\0');
		FUZZ_ASSERT(msg == NULL && env_from == NULL && env_to == NULL);
		goto out;
	}
	FUZZ_ASSERT(msg != NULL && env_from != NULL && env_to != NULL);
	check_message(&spec, msg, len, env_from, env_to);
out:
	free(msg);
	free(env_from);
	free(env_to);
	fuzz_split_free(fields, n);
	return 0;
}
