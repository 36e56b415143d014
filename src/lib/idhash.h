/*
 * idhash - the keyed hash under which national IDs are stored.
 *
 * The directory never holds a plaintext national ID: the roster and the
 * accounts carry HMAC-SHA256(key, normalized ID) in lower-case hex. The key
 * lives in a file that must be mode 0600, so that a copy of the directory
 * (slapcat, a backup, a replica) does not allow a dictionary attack over
 * the small space of valid IDs.
 */
#ifndef KCG_IDHASH_H
#define KCG_IDHASH_H

#define IDHASH_HEX_LEN 64
#define IDHASH_MIN_KEY 32

struct idhash;

/*
 * idhash_open - load the key from KEY_FILE (mode 0600 or stricter, at least
 * IDHASH_MIN_KEY bytes; its bytes are the key, a trailing newline aside).
 * Returns 0 with a new object in *ih_r (free with idhash_free), or
 * KCG_EINVAL with the reason.
 */
int idhash_open(const char *key_file, struct idhash **ih_r,
		const char **error_r);

/*
 * idhash_compute - HMAC-SHA256 of the normalized ID NATID, as lower-case
 * hex into hex_r (IDHASH_HEX_LEN + 1 bytes). Returns 0 or KCG_EINTERNAL.
 */
int idhash_compute(const struct idhash *ih, const char *natid,
		   char hex_r[IDHASH_HEX_LEN + 1]);

/* idhash_free - wipe the key, free, set *ihp to NULL. */
void idhash_free(struct idhash **ihp);

#endif
