/*
 * session - server-side sessions, kept only in the daemon's memory.
 *
 * A session id and its CSRF token are 256-bit tokens from token_new (the
 * same GnuTLS generator as the mail links). A session ends after
 * web.session_seconds without use, and at the latest after four times
 * that, whatever happens; what it holds (a national ID typed during the
 * application, for instance) is wiped when it ends.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "web.h"
#include "xalloc.h"

struct session_store {
	struct session *head;
	size_t count, max;
	int idle;
};

struct session_store *session_store_new(int max_sessions, int idle_seconds)
{
	struct session_store *st = xcalloc(1, sizeof(*st));

	st->max = (size_t)max_sessions;
	st->idle = idle_seconds;
	return st;
}

/* new_token - a fresh random token into OUT; exits when there is none. */
static void new_token(char out[TOKEN_LEN + 1])
{
	char hash[TOKEN_HASH_LEN + 1];

	if (token_new(out, hash) < 0) {
		log_error("no randomness for a session token");
		abort();
	}
}

/* wipe_str - wipe and free *SP. */
static void wipe_str(char **sp)
{
	if (*sp != NULL)
		xfree_secret(sp);
}

void session_reset_apply(struct session *s)
{
	s->verified = 0;
	s->method = NULL;
	wipe_str(&s->name);
	wipe_str(&s->natid);
	json_decref(s->hr);
	s->hr = NULL;
	s->hr_confirmed = 0;
	s->privacy_viewed = s->rules_viewed = 0;
	s->privacy_time = s->rules_time = 0;
	s->uid_passed[0] = '\0';
	json_decref(s->draft);
	s->draft = NULL;
}

void session_reset_ikpd(struct session *s)
{
	wipe_str(&s->ikpd_mail);
	wipe_str(&s->ikpd_natid);
	wipe_str(&s->ikpd_birth);
	wipe_str(&s->ikpd_name);
}

/* session_free - everything S holds, wiped. */
static void session_free(struct session *s)
{
	session_reset_apply(s);
	session_reset_ikpd(s);
	json_decref(s->receipt);
	json_decref(s->ikpd_done);
	wipe_str(&s->login_uid);
	wipe_str(&s->last_login);
	wipe_str(&s->flash);
	explicit_bzero(s, sizeof(*s));
	free(s);
}

/* expired - true when S has lapsed at NOW. */
static int expired(const struct session_store *st, const struct session *s,
		   time_t now)
{
	return now - s->last > st->idle || now - s->created > 4L * st->idle;
}

/* sweep - drop the lapsed sessions. */
static void sweep(struct session_store *st, time_t now)
{
	struct session **pp = &st->head, *s;

	while ((s = *pp) != NULL) {
		if (expired(st, s, now)) {
			*pp = s->next;
			session_free(s);
			st->count--;
		} else {
			pp = &s->next;
		}
	}
}

struct session *session_find(struct session_store *st, const char *id)
{
	struct session *s;
	time_t now = time(NULL);

	if (id == NULL || strlen(id) != TOKEN_LEN)
		return NULL;
	sweep(st, now);
	for (s = st->head; s != NULL; s = s->next)
		if (strcmp(s->id, id) == 0) {
			s->last = now;
			return s;
		}
	return NULL;
}

struct session *session_create(struct session_store *st)
{
	struct session *s, **pp, **oldest;
	time_t now = time(NULL);

	sweep(st, now);
	if (st->count >= st->max && st->head != NULL) {
		/* full: the least recently used one goes */
		oldest = &st->head;
		for (pp = &st->head; *pp != NULL; pp = &(*pp)->next)
			if ((*pp)->last < (*oldest)->last)
				oldest = pp;
		s = *oldest;
		*oldest = s->next;
		session_free(s);
		st->count--;
		log_warning("session table full: the oldest session ended");
	}
	s = xcalloc(1, sizeof(*s));
	new_token(s->id);
	new_token(s->csrf);
	s->created = s->last = now;
	s->next = st->head;
	st->head = s;
	st->count++;
	return s;
}

void session_rotate(struct session_store *st, struct session *s)
{
	(void)st;
	new_token(s->id);
	new_token(s->csrf);
}

void session_destroy(struct session_store *st, struct session *s)
{
	struct session **pp;

	for (pp = &st->head; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			session_free(s);
			st->count--;
			return;
		}
}

int session_csrf_ok(const struct session *s, const char *token)
{
	unsigned char diff = 0;
	size_t i;

	if (s == NULL || token == NULL || strlen(token) != TOKEN_LEN)
		return 0;
	for (i = 0; i < TOKEN_LEN; i++)
		diff |= (unsigned char)(s->csrf[i] ^ token[i]);
	return diff == 0;
}

size_t session_count(const struct session_store *st)
{
	return st->count;
}

void session_store_free(struct session_store **sp)
{
	struct session_store *st = *sp;
	struct session *s;

	if (st == NULL)
		return;
	while ((s = st->head) != NULL) {
		st->head = s->next;
		session_free(s);
	}
	free(st);
	*sp = NULL;
}
