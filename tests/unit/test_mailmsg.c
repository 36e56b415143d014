/*
 * test_mailmsg - composing mail: RFC 2047 words, the seed's headers,
 * base64 bodies, and refusing header injection. Decoding is done by
 * libetpan's parser, not by the code under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libetpan/libetpan.h>

#include "kcg.h"
#include "mailmsg.h"

#define SEED_FROM    "高雄市政府人事處人事服務網 <KPDFForum@kcg.gov.tw>"
#define SEED_SUBJECT "高雄市政府人事處iKPD人事服務網帳號開通通知"
#define SEED_BODY                                                                                        \
	"王小明 您好：\n\n"                                                                        \
	"您申請的 iKPD 人事服務網帳號已通過審核，請於 48 小時內點選下列連結" \
	"開通帳號：\n"                                                                              \
	"https://ikpd.kcg.gov.tw/ikpd/activate?token=AbC123-_xyz\n"                                      \
	".\n"                                                                                            \
	"..leading dots and a line that is exactly a dot above\n"                                        \
	"\t縮排 tab\n"                                                                                 \
	"高雄市政府人事處 敬上\n"

/* decode_phrase - RFC 2047 decoding by libetpan (caller frees). */
static char *decode_phrase(const char *s)
{
	size_t indx = 0;
	char *out = NULL;

	assert_int_equal(mailmime_encoded_phrase_parse("us-ascii", s, strlen(s),
						       &indx, "utf-8", &out),
			 MAILIMF_NO_ERROR);
	return out;
}

/* unfold - S with its "\r\n " folds removed (new memory). */
static char *unfold(const char *s)
{
	char *out = strdup(s), *p = out;

	for (; *s != '\0'; s++) {
		if (s[0] == '\r' && s[1] == '\n' &&
		    (s[2] == ' ' || s[2] == '\t'))
			s += 2;
		else
			*p++ = *s;
	}
	*p = '\0';
	return out;
}

struct word_case {
	const char *in;
	int plain; /* returned as is */
};

static const struct word_case word_cases[] = {
	{"Hello World", 1},
	{"KPDFForum", 1},
	{"", 1},
	{SEED_SUBJECT, 0},
	{"高雄市政府人事處人事服務網", 0},
	{"王小明", 0},
	{"Doe, John", 0},	  /* a special */
	{"a \"quoted\" word", 0}, /* a special */
	{"=?UTF-8?B?Zm9v?=", 0},  /* looks encoded: must not pass */
	{" leading space", 0},	  /* spaces would be lost */
	{"double  space", 0},
	{"trailing space ", 0},
	{"𠀀𠀁𠀂 four-byte characters 𠀃𠀄𠀅𠀆𠀇𠀈𠀉𠀊𠀋𠀌", 0},
	{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaaaaaaaaa",
	 0}, /* one word too long to fold */
};

/* test_encode_word - round trips through libetpan's decoder, words of
 * at most 75 (here 60) characters, cut between characters. */
static void test_encode_word(void **state)
{
	size_t i;

	for (i = 0; i < KCG_N_ELEMENTS(word_cases); i++) {
		const struct word_case *c = &word_cases[i];
		char *enc = mailmsg_encode_word(c->in), *unf, *dec, *w, *save;

		assert_non_null(enc);
		if (c->plain) {
			assert_string_equal(enc, c->in);
			free(enc);
			continue;
		}
		assert_true(strncmp(enc, "=?UTF-8?B?", 10) == 0);
		/* every word is whole and decodes alone to valid UTF-8 */
		unf = strdup(enc);
		for (w = strtok_r(unf, "\r\n ", &save); w != NULL;
		     w = strtok_r(NULL, "\r\n ", &save)) {
			char *one;

			assert_true(strlen(w) <= 60);
			assert_true(strncmp(w, "=?UTF-8?B?", 10) == 0);
			assert_true(strcmp(w + strlen(w) - 2, "?=") == 0);
			one = decode_phrase(w);
			assert_non_null(one);
			free(one);
		}
		free(unf);
		/* the folds are CRLF + space, and the whole decodes back */
		for (w = enc; (w = strchr(w, '\r')) != NULL; w++)
			assert_true(w[1] == '\n' && w[2] == ' ');
		unf = unfold(enc);
		dec = decode_phrase(unf);
		assert_string_equal(dec, c->in);
		free(dec);
		free(unf);
		free(enc);
	}
}

/* test_encode_word_refuses - control characters and bad UTF-8. */
static void test_encode_word_refuses(void **state)
{
	static const char *const bad[] = {
		"a\r\nBcc: x@evil.example",
		"a\nb",
		"a\rb",
		"a\tb",
		"a\x7f"
		"b",
		"\xff\xfe",
		"\xe9\xab", /* truncated */
		"\xc0\xaf", /* overlong */
	};
	size_t i;

	for (i = 0; i < KCG_N_ELEMENTS(bad); i++)
		assert_null(mailmsg_encode_word(bad[i]));
}

/* parsed - a composed message taken apart by libetpan. */
struct parsed {
	struct mailmime *mime;
	char *from_name, *from_addr, *to_name, *to_addr, *subject;
	char *body;
	size_t body_len;
	int has_date, has_msgid, has_mime_version, charset_utf8, base64;
};

static void parsed_free(struct parsed *p)
{
	if (p->mime != NULL)
		mailmime_free(p->mime);
	free(p->from_name);
	free(p->to_name);
	free(p->from_addr);
	free(p->to_addr);
	free(p->subject);
	if (p->body != NULL)
		mmap_string_unref(p->body);
	memset(p, 0, sizeof(*p));
}

/* parse - take MSG apart; fails the test when libetpan cannot. */
static void parse(const char *msg, size_t len, struct parsed *p)
{
	struct mailimf_fields *f;
	struct mailmime *part;
	struct mailmime_data *d;
	clistiter *it;
	size_t indx = 0;

	memset(p, 0, sizeof(*p));
	assert_int_equal(mailmime_parse(msg, len, &indx, &p->mime),
			 MAILIMF_NO_ERROR);
	assert_int_equal(p->mime->mm_type, MAILMIME_MESSAGE);
	f = p->mime->mm_data.mm_message.mm_fields;
	assert_non_null(f);
	for (it = clist_begin(f->fld_list); it != NULL; it = clist_next(it)) {
		struct mailimf_field *fld = clist_content(it);
		struct mailimf_mailbox *mb;

		switch (fld->fld_type) {
		case MAILIMF_FIELD_ORIG_DATE:
			p->has_date = 1;
			break;
		case MAILIMF_FIELD_MESSAGE_ID:
			p->has_msgid = 1;
			assert_non_null(strchr(
				fld->fld_data.fld_message_id->mid_value, '@'));
			break;
		case MAILIMF_FIELD_FROM:
			mb = clist_content(clist_begin(
				fld->fld_data.fld_from->frm_mb_list->mb_list));
			p->from_addr = strdup(mb->mb_addr_spec);
			if (mb->mb_display_name != NULL)
				p->from_name =
					decode_phrase(mb->mb_display_name);
			break;
		case MAILIMF_FIELD_TO: {
			struct mailimf_address *a = clist_content(clist_begin(
				fld->fld_data.fld_to->to_addr_list->ad_list));

			assert_int_equal(a->ad_type, MAILIMF_ADDRESS_MAILBOX);
			mb = a->ad_data.ad_mailbox;
			p->to_addr = strdup(mb->mb_addr_spec);
			if (mb->mb_display_name != NULL)
				p->to_name = decode_phrase(mb->mb_display_name);
			break;
		}
		case MAILIMF_FIELD_SUBJECT:
			p->subject = decode_phrase(
				fld->fld_data.fld_subject->sbj_value);
			break;
		case MAILIMF_FIELD_OPTIONAL_FIELD:
			if (strcasecmp(
				    fld->fld_data.fld_optional_field->fld_name,
				    "MIME-Version") == 0)
				p->has_mime_version = 1;
			break;
		}
	}
	if (p->mime->mm_mime_fields != NULL)
		for (it = clist_begin(p->mime->mm_mime_fields->fld_list);
		     it != NULL; it = clist_next(it)) {
			struct mailmime_field *mf = clist_content(it);

			if (mf->fld_type == MAILMIME_FIELD_VERSION)
				p->has_mime_version = 1;
		}
	part = p->mime->mm_data.mm_message.mm_msg_mime;
	assert_non_null(part);
	assert_int_equal(part->mm_type, MAILMIME_SINGLE);
	assert_string_equal(part->mm_content_type->ct_subtype, "plain");
	for (it = clist_begin(part->mm_content_type->ct_parameters); it != NULL;
	     it = clist_next(it)) {
		struct mailmime_parameter *pm = clist_content(it);

		if (strcasecmp(pm->pa_name, "charset") == 0 &&
		    strcasecmp(pm->pa_value, "UTF-8") == 0)
			p->charset_utf8 = 1;
	}
	d = part->mm_data.mm_single;
	p->base64 = d->dt_encoding == MAILMIME_MECHANISM_BASE64;
	indx = 0;
	assert_int_equal(mailmime_part_parse(d->dt_data.dt_text.dt_data,
					     d->dt_data.dt_text.dt_length,
					     &indx, d->dt_encoding, &p->body,
					     &p->body_len),
			 MAILIMF_NO_ERROR);
}

/* crlf - TEXT with LF line ends made CRLF, a final one added. */
static char *crlf(const char *text)
{
	char *out = malloc(2 * strlen(text) + 3), *p = out;

	for (; *text != '\0'; text++) {
		if (*text == '\n' && (p == out || p[-1] != '\r'))
			*p++ = '\r';
		*p++ = *text;
	}
	if (p == out || p[-1] != '\n') {
		*p++ = '\r';
		*p++ = '\n';
	}
	*p = '\0';
	return out;
}

/* check_lines - CRLF everywhere, no line over 78 characters, ends with
 * CRLF, nothing but ASCII (the encodings did their job). */
static void check_lines(const char *msg, size_t len)
{
	size_t i, col = 0;

	assert_true(len >= 2 && msg[len - 2] == '\r' && msg[len - 1] == '\n');
	for (i = 0; i < len; i++) {
		assert_true((unsigned char)msg[i] < 0x80);
		if (msg[i] == '\n') {
			assert_true(i > 0 && msg[i - 1] == '\r');
			col = 0;
		} else if (msg[i] == '\r') {
			assert_true(i + 1 < len && msg[i + 1] == '\n');
		} else {
			col++;
			assert_true(col <= 78);
		}
	}
}

struct compose_case {
	const char *from, *to, *subject, *body;
	const char *from_name, *from_addr, *to_name, *to_addr;
};

static const struct compose_case compose_cases[] = {
	/* the seed's activation notice */
	{SEED_FROM, "王小明 <wang@KCG.gov.tw>", SEED_SUBJECT, SEED_BODY,
	 "高雄市政府人事處人事服務網", "KPDFForum@kcg.gov.tw", "王小明",
	 "wang@kcg.gov.tw"},
	/* bare addresses, ASCII, CRLF body without a final line break */
	{"noreply@kcg.gov.tw", "abc@kcg.gov.tw", "Password reset",
	 "line one\r\nline two", NULL, "noreply@kcg.gov.tw", NULL,
	 "abc@kcg.gov.tw"},
	/* quoted and special-laden display names */
	{"\"Doe, John\" <john@example.com>", "Mr. X <x@example.org>", "a: b; c",
	 "x\n", "Doe, John", "john@example.com", "Mr. X", "x@example.org"},
	/* a very long subject and name fold and still decode */
	{"高雄市政府人事處人事服務網高雄市政府人事處人事服務網高雄市政府人事處"
	 "人事服務網 <KPDFForum@kcg.gov.tw>",
	 "abc@kcg.gov.tw",
	 SEED_SUBJECT SEED_SUBJECT SEED_SUBJECT " and some ASCII words too", "",
	 "高雄市政府人事處人事服務網高雄市政府人事處人事服務網高雄市政府人"
	 "事處人事服務網",
	 "KPDFForum@kcg.gov.tw", NULL, "abc@kcg.gov.tw"},
};

/* test_compose - every case decodes back to exactly what went in. */
static void test_compose(void **state)
{
	size_t i;

	for (i = 0; i < KCG_N_ELEMENTS(compose_cases); i++) {
		const struct compose_case *c = &compose_cases[i];
		struct mailmsg_spec spec = {c->from, c->to, c->subject,
					    c->body};
		char *msg = NULL, *ef = NULL, *et = NULL, *want;
		const char *err = NULL;
		size_t len = 0;
		struct parsed p;

		assert_int_equal(
			mailmsg_compose(&spec, &msg, &len, &ef, &et, &err), 0);
		assert_int_equal(strlen(msg), len);
		check_lines(msg, len);
		assert_string_equal(ef, c->from_addr);
		assert_string_equal(et, c->to_addr);
		parse(msg, len, &p);
		assert_non_null(strstr(msg, "\r\nMIME-Version: 1.0\r\n"));
		assert_true(p.has_date);
		assert_true(p.has_msgid);
		assert_true(p.charset_utf8);
		assert_true(p.base64);
		assert_string_equal(p.from_addr, c->from_addr);
		assert_string_equal(p.to_addr, c->to_addr);
		if (c->from_name != NULL)
			assert_string_equal(p.from_name, c->from_name);
		else
			assert_null(p.from_name);
		if (c->to_name != NULL)
			assert_string_equal(p.to_name, c->to_name);
		else
			assert_null(p.to_name);
		assert_string_equal(p.subject, c->subject);
		want = crlf(c->body);
		assert_int_equal(p.body_len, strlen(want));
		assert_memory_equal(p.body, want, p.body_len);
		free(want);
		parsed_free(&p);
		free(msg);
		free(ef);
		free(et);
	}
}

struct refuse_case {
	const char *from, *to, *subject, *body;
};

static const struct refuse_case refuse_cases[] = {
	/* CR/LF in a display name, a subject, an address */
	{"Evil\r\nBcc: all@kcg.gov.tw <a@kcg.gov.tw>", "b@kcg.gov.tw", "s",
	 "x"},
	{"Evil\n <a@kcg.gov.tw>", "b@kcg.gov.tw", "s", "x"},
	{"a@kcg.gov.tw", "b@kcg.gov.tw", "s\r\nBcc: all@kcg.gov.tw", "x"},
	{"a@kcg.gov.tw", "b@kcg.gov.tw", "s\nX-Evil: 1", "x"},
	{"a@kcg.gov.tw", "b@kcg.gov.tw", "s\rX", "x"},
	{"a@kcg.gov.tw", "b@kcg.gov.tw\r\nBcc: all@kcg.gov.tw", "s", "x"},
	{"a@kcg.gov.tw\n", "b@kcg.gov.tw", "s", "x"},
	{"Name <a@kcg.gov.tw\r\n>", "b@kcg.gov.tw", "s", "x"},
	/* other control characters, bad UTF-8 */
	{"a@kcg.gov.tw", "b@kcg.gov.tw", "tab\there", "x"},
	{"a@kcg.gov.tw", "b@kcg.gov.tw", "\xe9\xab", "x"},
	{"\xff <a@kcg.gov.tw>", "b@kcg.gov.tw", "s", "x"},
	{"a@kcg.gov.tw", "b@kcg.gov.tw", "s", "bad \xc0\xaf utf-8"},
	{"a@kcg.gov.tw", "b@kcg.gov.tw", "s", "bell \a in body"},
	{"a@kcg.gov.tw", "b@kcg.gov.tw", "s", "lone \r carriage return"},
	/* bad addresses and forms */
	{"a@kcg.gov.tw", "not an address", "s", "x"},
	{"a@kcg.gov.tw", "two@at@kcg.gov.tw", "s", "x"},
	{"a@kcg.gov.tw", "a@kcg.gov.tw, b@kcg.gov.tw", "s", "x"},
	{"a@kcg.gov.tw", "x <a@kcg.gov.tw>, y <b@kcg.gov.tw>", "s", "x"},
	{"\"Bad \\\" quote\" <a@kcg.gov.tw>", "b@kcg.gov.tw", "s", "x"},
	{"", "b@kcg.gov.tw", "s", "x"},
	{NULL, "b@kcg.gov.tw", "s", "x"},
	{"a@kcg.gov.tw", "b@kcg.gov.tw", NULL, "x"},
	{"a@kcg.gov.tw", "b@kcg.gov.tw", "s", NULL},
};

/* test_compose_refuses - injection attempts never make a message. */
static void test_compose_refuses(void **state)
{
	size_t i;

	for (i = 0; i < KCG_N_ELEMENTS(refuse_cases); i++) {
		const struct refuse_case *c = &refuse_cases[i];
		struct mailmsg_spec spec = {c->from, c->to, c->subject,
					    c->body};
		char *msg = NULL, *ef = NULL, *et = NULL;
		const char *err = NULL;
		size_t len = 0;

		if (mailmsg_compose(&spec, &msg, &len, &ef, &et, &err) !=
		    KCG_EINVAL)
			fail_msg("case %zu was not refused", i);
		assert_non_null(err);
		assert_null(msg);
		assert_null(ef);
		assert_null(et);
	}
}

/* test_message_ids_differ - two messages never share a Message-ID. */
static void test_message_ids_differ(void **state)
{
	struct mailmsg_spec spec = {SEED_FROM, "a@kcg.gov.tw", "s", "x"};
	char *m1 = NULL, *m2 = NULL, *f = NULL, *t = NULL, *id1, *id2;
	const char *err = NULL;
	size_t l1 = 0, l2 = 0;

	assert_int_equal(mailmsg_compose(&spec, &m1, &l1, &f, &t, &err), 0);
	free(f);
	free(t);
	assert_int_equal(mailmsg_compose(&spec, &m2, &l2, &f, &t, &err), 0);
	free(f);
	free(t);
	id1 = strstr(m1, "Message-ID: <");
	id2 = strstr(m2, "Message-ID: <");
	assert_non_null(id1);
	assert_non_null(id2);
	assert_true(strncmp(id1, id2, (size_t)(strchr(id1, '>') - id1)) != 0);
	free(m1);
	free(m2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_word),
		cmocka_unit_test(test_encode_word_refuses),
		cmocka_unit_test(test_compose),
		cmocka_unit_test(test_compose_refuses),
		cmocka_unit_test(test_message_ids_differ),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
