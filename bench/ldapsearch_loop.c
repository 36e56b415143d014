/*
 * ldapsearch_loop - the baseline of the uid-check benchmark: the search
 * account_uid_check() sends, (|(uid=U)(kcgMail=U@DOMAIN)) under
 * ou=people with no attributes, repeated on one libldap connection per
 * thread for a fixed time, bound as the provisioner like kcgidmd.
 *
 * usage: ldapsearch_loop URI BINDDN PASSWORD_FILE BASE UID DOMAIN SECONDS
 *        THREADS
 * Prints "requests N seconds S rate R errors E" on stdout.
 *
 * Built by bench/run (cc ... -lldap -lpthread); not part of the product.
 *
 * SECURITY: reads the bind password from a file (never argv) and keeps it
 * only for the binds; a benchmark tool for a private sandbox, never meant
 * for a production directory.
 */
#define _GNU_SOURCE
#include <ldap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct job {
	const char *uri, *binddn, *base;
	char *filter;
	struct berval pw;
	double seconds;
	unsigned long done, errors;
};

/* now - monotonic seconds. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* run - one thread: bind, then search until the time is up. */
static void *run(void *arg)
{
	struct job *j = arg;
	char *attrs[] = {"1.1", NULL};
	LDAP *ld = NULL;
	LDAPMessage *res = NULL;
	int version = LDAP_VERSION3, rc;
	double end;

	if (ldap_initialize(&ld, j->uri) != LDAP_SUCCESS) {
		j->errors++;
		return NULL;
	}
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
	rc = ldap_sasl_bind_s(ld, j->binddn, LDAP_SASL_SIMPLE, &j->pw, NULL,
			      NULL, NULL);
	if (rc != LDAP_SUCCESS) {
		fprintf(stderr, "ldapsearch_loop: bind: %s\n",
			ldap_err2string(rc));
		j->errors++;
		goto out;
	}
	end = now() + j->seconds;
	while (now() < end) {
		rc = ldap_search_ext_s(ld, j->base, LDAP_SCOPE_SUBTREE,
				       j->filter, attrs, 0, NULL, NULL, NULL, 0,
				       &res);
		if (rc == LDAP_SUCCESS)
			j->done++;
		else
			j->errors++;
		ldap_msgfree(res);
		res = NULL;
	}
out:
	ldap_unbind_ext_s(ld, NULL, NULL);
	return NULL;
}

int main(int argc, char **argv)
{
	struct job *jobs;
	pthread_t *tids;
	char pw[256];
	FILE *fp;
	size_t len;
	unsigned long done = 0, errors = 0;
	double t0, t;
	int i, n;

	if (argc != 9) {
		fputs("usage: ldapsearch_loop URI BINDDN PASSWORD_FILE BASE "
		      "UID DOMAIN SECONDS THREADS\n",
		      stderr);
		return 1;
	}
	fp = fopen(argv[3], "r");
	if (fp == NULL || fgets(pw, sizeof(pw), fp) == NULL) {
		perror(argv[3]);
		return 1;
	}
	fclose(fp);
	len = strcspn(pw, "\r\n");
	pw[len] = '\0';
	n = atoi(argv[8]);
	if (n < 1)
		n = 1;
	jobs = calloc((size_t)n, sizeof(*jobs));
	tids = calloc((size_t)n, sizeof(*tids));
	if (jobs == NULL || tids == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		jobs[i].uri = argv[1];
		jobs[i].binddn = argv[2];
		jobs[i].base = argv[4];
		jobs[i].pw.bv_val = pw;
		jobs[i].pw.bv_len = len;
		jobs[i].seconds = atof(argv[7]);
		if (asprintf(&jobs[i].filter, "(|(uid=%s)(kcgMail=%s@%s))",
			     argv[5], argv[5], argv[6]) < 0)
			return 1;
	}
	t0 = now();
	for (i = 0; i < n; i++)
		pthread_create(&tids[i], NULL, run, &jobs[i]);
	for (i = 0; i < n; i++) {
		pthread_join(tids[i], NULL);
		done += jobs[i].done;
		errors += jobs[i].errors;
		free(jobs[i].filter);
	}
	t = now() - t0;
	explicit_bzero(pw, sizeof(pw));
	printf("requests %lu seconds %.3f rate %.1f errors %lu\n", done, t,
	       (double)done / t, errors);
	free(jobs);
	free(tids);
	return errors > 0 && done == 0 ? 1 : 0;
}
