/*
 * harness - real servers and real programs for the integration tests.
 *
 * Starts a private slapd with scripts/slapd-sandbox in a temporary folder
 * (the libssh pattern: a group setup starts it, the teardown stops it),
 * and runs kcgidm or any other program with given standard input,
 * capturing its standard output, standard error and exit status.
 * Test programs exit 77 (skip) only when slapd itself is not installed.
 */
#ifndef KCG_HARNESS_H
#define KCG_HARNESS_H

#include <jansson.h>

struct run {
	int status; /* exit status, or 128 + signal */
	char *out;
	char *err;
};

/* harness_sandbox_start - a fresh sandbox; its folder in *dir_r (static). */
int harness_sandbox_start(const char **dir_r);
/* harness_sandbox_stop / _restart - stop it (data kept) / start again. */
void harness_sandbox_stop(void);
void harness_sandbox_restart(void);
/* harness_sandbox_destroy - stop it and remove its folder. */
void harness_sandbox_destroy(void);
/* harness_ldapi - the sandbox's ldapi:// URI (static). */
const char *harness_ldapi(void);

/* harness_bind_dn - ldapwhoami -x as DN with PW (in a sandbox file, never
 * in argv): its exit status (0 bound, 49 invalid credentials). */
int harness_bind_dn(const char *dn, const char *pw);

/* harness_bind - harness_bind_dn for uid=UID,ou=people,dc=kcg,dc=gov,dc=tw. */
int harness_bind(const char *uid, const char *pw);

/* harness_count - how many times NEEDLE occurs in HAY (not overlapping). */
int harness_count(const char *hay, const char *needle);

/*
 * harness_run - run ARGV (NULL-terminated; argv[0] is a path) with INPUT
 * (may be NULL) on standard input. Fills *r (free with harness_run_free).
 */
void harness_run(struct run *r, const char *input, char *const *argv);

/*
 * harness_kcgidm - run the built kcgidm with "-c <sandbox conf>" and the
 * NULL-terminated arguments. Returns the exit status; output in *r.
 */
int harness_kcgidm(struct run *r, const char *input, ...);

/* harness_kcgidm_json - the same with --json, parsing stdout (caller
 * frees with json_decref); fails the test when stdout is not JSON. */
json_t *harness_kcgidm_json(int *status_r, const char *input, ...);

void harness_run_free(struct run *r);

/* harness_slapcat - the whole database as LDIF (caller frees). */
char *harness_slapcat(void);
/* harness_slapcat_filter - the entries that match FILTER, all for NULL
 * (caller frees): e.g. not those of ou=services, which a bind changes
 * (lastbind). */
char *harness_slapcat_filter(const char *filter);

/* harness_write_file - write TEXT to a new file in the sandbox folder. */
const char *harness_write_file(const char *name, const char *text);

/* harness_natid - a valid citizen ID "L" + 8 digits + its check digit. */
void harness_natid(char letter, unsigned long digits8, char out[11]);

/*
 * harness_sink_start - Postfix's smtp-sink on 127.0.0.1, writing each
 * message it accepts to a file in its own folder. Returns the port, or
 * exits 77 when smtp-sink is not installed. EXTRA_ARGS (may be NULL) are
 * smtp-sink options such as fault injection.
 */
int harness_sink_start(const char *const *extra_args);
/* harness_sink_stop - stop it (its files stay until the next start). */
void harness_sink_stop(void);
/* harness_sink_dir - the folder its message files are in (static). */
const char *harness_sink_dir(void);
/*
 * harness_sink_messages - the messages received so far, each with its
 * body decoded (base64 or quoted-printable) after the headers; a
 * NULL-terminated array (free with harness_strv_free).
 */
char **harness_sink_messages(void);
void harness_strv_free(char **v);
/* harness_sink_clear - delete the message files received so far. */
void harness_sink_clear(void);

/* harness_sandbox_smtp - point the sandbox's kcgidm.conf at 127.0.0.1:PORT. */
void harness_sandbox_smtp(int port);

/* harness_ldapmodify_admin - apply LDIF as the sandbox's admin (manage
 * rights, no policy): for setting up states such as expired tokens. */
void harness_ldapmodify_admin(const char *ldif);

/* harness_slapmodify - apply LDIF offline (slapd stopped meanwhile): for
 * states slapd refuses online, such as an old pwdLastSuccess. */
void harness_slapmodify(const char *ldif);

/* harness_free_port - a TCP port on 127.0.0.1 nobody listens on now. */
int harness_free_port(void);

/* harness_conf - the sandbox's kcgidm.conf (static). */
const char *harness_conf(void);

#endif
