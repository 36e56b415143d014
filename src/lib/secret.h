/*
 * secret - reading passwords and keys without leaking them.
 *
 * Secrets never come from argv. Every secret returned here is in memory
 * owned by the caller, who must release it with xfree_secret(), which
 * wipes it first.
 */
#ifndef KCG_SECRET_H
#define KCG_SECRET_H

#include <stddef.h>
#include <stdio.h>

/*
 * secret_read_file - read PATH whole, without its trailing newline.
 * With PRIVATE, the file must be a regular file not readable or writable
 * by group or others (mode 0600 or stricter), or it is refused. Returns 0
 * with the secret in *secret_r (caller frees with xfree_secret) and its
 * length in *len_r (may be NULL); KCG_EINVAL with a reason that names the
 * file otherwise.
 */
int secret_read_file(const char *path, int private, char **secret_r,
		     size_t *len_r, const char **error_r);

/*
 * secret_fopen - open PATH, a file of personal data or secrets, for
 * reading into *fp_r (the caller fcloses it). With PRIVATE it must be a
 * regular file of mode 0600 or stricter (a batch with passwords);
 * otherwise a regular file or a pipe (never a device: /dev/zero would
 * never end). Returns 0, or KCG_EINVAL with the reason.
 */
int secret_fopen(const char *path, int private, FILE **fp_r,
		 const char **error_r);

/*
 * secret_read_password - a password from, in this order: FILE when not
 * NULL (its first line); the first line of standard input when it is not a
 * terminal; otherwise a prompt on the terminal without echo, asked twice
 * when CONFIRM_PROMPT is not NULL (the seed's 密碼 / 密碼確認) and refused
 * when the two differ. Returns 0 with the password in *password_r (caller
 * frees with xfree_secret), or KCG_EINVAL with a reason.
 */
int secret_read_password(const char *file, const char *prompt,
			 const char *confirm_prompt, char **password_r,
			 const char **error_r);

/*
 * secret_no_core - keep this process's memory (passwords, tokens, the ID
 * key) out of core dumps and away from other processes of the same user:
 * RLIMIT_CORE 0 and PR_SET_DUMPABLE 0 (no ptrace, /proc/PID/mem or
 * environ for them). Called first thing by every program that holds a
 * secret. Failures are ignored: neither call fails on Linux.
 */
void secret_no_core(void);

#endif
