/*
 * ratelimit - attempts per minute per client address and per identity.
 *
 * A key is kept only as a SHA-256 of "KIND\0KEY" under a per-process
 * random salt, so the table never holds a national ID, a uid or a token
 * in clear. A key's minute starts with its first attempt; the table is
 * bounded and keys whose minute is over are reused as it fills.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "log.h"
#include "web.h"
#include "xalloc.h"

#define RL_SLOTS 4096 /* open addressing, power of two */

struct rl_slot {
	unsigned char key[32];
	time_t window; /* the first attempt of this minute; 0 = free */
	int count;
};

struct ratelimit {
	int limit;
	unsigned char salt[32];
	struct rl_slot slots[RL_SLOTS];
};

struct ratelimit *ratelimit_new(int per_minute)
{
	struct ratelimit *rl = xcalloc(1, sizeof(*rl));

	rl->limit = per_minute;
	if (gnutls_rnd(GNUTLS_RND_RANDOM, rl->salt, sizeof(rl->salt)) < 0) {
		log_error("no randomness for the rate limit salt");
		abort();
	}
	return rl;
}

void ratelimit_free(struct ratelimit **rlp)
{
	if (*rlp == NULL)
		return;
	explicit_bzero(*rlp, sizeof(**rlp));
	free(*rlp);
	*rlp = NULL;
}

int ratelimit_hit(struct ratelimit *rl, const char *kind, const char *key)
{
	gnutls_hash_hd_t h;
	unsigned char digest[32];
	time_t now = time(NULL);
	size_t i, idx, victim = RL_SLOTS;
	struct rl_slot *s;

	if (key == NULL)
		key = "";
	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
		return 0;
	gnutls_hash(h, rl->salt, sizeof(rl->salt));
	gnutls_hash(h, kind, strlen(kind) + 1);
	gnutls_hash(h, key, strlen(key));
	gnutls_hash_deinit(h, digest);
	memcpy(&idx, digest, sizeof(idx));
	for (i = 0; i < 64; i++) {
		s = &rl->slots[(idx + i) & (RL_SLOTS - 1)];
		if (s->window != 0 && memcmp(s->key, digest, 32) == 0) {
			if (now - s->window >= 60) {
				s->window = now;
				s->count = 0;
			}
			return ++s->count > rl->limit ? -1 : 0;
		}
		if (victim == RL_SLOTS &&
		    (s->window == 0 || now - s->window >= 60))
			victim = (idx + i) & (RL_SLOTS - 1);
	}
	if (victim == RL_SLOTS) {
		/* the neighbourhood is busy this minute: refuse, safely */
		log_warning("rate limit table busy");
		return -1;
	}
	s = &rl->slots[victim];
	memcpy(s->key, digest, 32);
	s->window = now;
	s->count = 1;
	return s->count > rl->limit ? -1 : 0;
}
