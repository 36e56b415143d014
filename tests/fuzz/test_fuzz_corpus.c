/*
 * test_fuzz_corpus - replay the fuzz corpora and regression inputs.
 *
 * Every fuzz target (tests/fuzz/fuzz_*.c) is linked in without libFuzzer,
 * and each file of tests/fuzz/corpus/<target>/ and
 * tests/fuzz/regressions/<target>/ is fed to it once, so that the seeds
 * and every crash the fuzzers ever found are checked by each `make check`
 * with the build's own compiler and flags (and sanitizers, under
 * scripts/sanitize). A broken invariant aborts with the target's message,
 * after the name of the file is printed.
 *
 * Usage: test_fuzz_corpus                 (all, from $KCG_TOP_SRCDIR)
 *        test_fuzz_corpus TARGET FILE...  (replay files through one target)
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

typedef int fuzz_entry_fn(const uint8_t *data, size_t size);

struct target {
	const char *name;
	fuzz_entry_fn *entry;
};

#define FUZZ_ROW(t) {#t, fuzz_##t##_entry},
static const struct target targets[] = {FUZZ_TARGETS(FUZZ_ROW)};
#undef FUZZ_ROW

#define N_TARGETS (sizeof(targets) / sizeof(targets[0]))

/* find_target - the target called NAME, or NULL */
static const struct target *find_target(const char *name)
{
	size_t i = 0;

	for (i = 0; i < N_TARGETS; i++) {
		if (strcmp(targets[i].name, name) == 0)
			return &targets[i];
	}
	return NULL;
}

/* run_file - feed the file PATH to T; 0, or -1 when it cannot be read */
static int run_file(const struct target *t, const char *path)
{
	FILE *fp = NULL;
	uint8_t *data = NULL;
	size_t size = 0, cap = 4096, n = 0;
	int r = -1;

	fp = fopen(path, "rb");
	if (fp == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		goto out;
	}
	data = fuzz_alloc(cap);
	while ((n = fread(data + size, 1, cap - size, fp)) > 0) {
		size += n;
		if (size == cap) {
			cap *= 2;
			data = realloc(data, cap);
			if (data == NULL)
				fuzz_fail(__FILE__, __LINE__, __func__,
					  "out of memory");
		}
	}
	if (ferror(fp)) {
		fprintf(stderr, "%s: read error\n", path);
		goto out;
	}
	printf("%s: %s (%zu bytes)\n", t->name, path, size);
	fflush(stdout);
	/* exactly SIZE bytes, so that ASan sees a read past the input */
	data = realloc(data, size ? size : 1);
	if (data == NULL)
		fuzz_fail(__FILE__, __LINE__, __func__, "out of memory");
	t->entry(data, size);
	r = 0;
out:
	if (fp != NULL)
		fclose(fp);
	free(data);
	return r;
}

/* skip_name - dot files and the READMEs of the corpus folders */
static int skip_name(const char *name)
{
	return name[0] == '.' || strcmp(name, "README") == 0;
}

/*
 * run_dir - every regular file of DIR through T, in name order; the number
 * run in *count_r. A missing DIR is an error only when REQUIRED.
 */
static int run_dir(const struct target *t, const char *dir, int required,
		   size_t *count_r)
{
	struct dirent **names = NULL;
	struct stat st;
	char path[4096];
	int n = 0, i = 0, r = 0;

	*count_r = 0;
	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		if (!required && errno == ENOENT)
			return 0;
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (r == 0 && !skip_name(names[i]->d_name)) {
			snprintf(path, sizeof(path), "%s/%s", dir,
				 names[i]->d_name);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				r = run_file(t, path);
				*count_r += r == 0;
			}
		}
		free(names[i]);
	}
	free(names);
	return r;
}

/* check_dirs - every folder of TOP/tests/fuzz/WHAT names a target */
static int check_dirs(const char *top, const char *what)
{
	char dir[4096];
	struct dirent *de = NULL;
	struct stat st;
	DIR *d = NULL;
	int r = 0;

	snprintf(dir, sizeof(dir), "%s/tests/fuzz/%s", top, what);
	d = opendir(dir);
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (skip_name(de->d_name) || find_target(de->d_name) != NULL)
			continue;
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/%s/%s", top, what,
			 de->d_name);
		if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
			fprintf(stderr, "%s: no fuzz target of that name\n",
				dir);
			r = -1;
		}
	}
	closedir(d);
	return r;
}

int main(int argc, char **argv)
{
	const char *top = getenv("KCG_TOP_SRCDIR");
	const struct target *t = NULL;
	char dir[4096];
	size_t i = 0, seeds = 0, regressions = 0;
	int r = 0;

	if (argc >= 2) {
		t = find_target(argv[1]);
		if (t == NULL || argc < 3) {
			fprintf(stderr, "usage: %s [TARGET FILE...]\n",
				argv[0]);
			return 2;
		}
		for (i = 2; i < (size_t)argc; i++)
			if (run_file(t, argv[i]) < 0)
				return 1;
		return 0;
	}
	if (top == NULL || top[0] == '\0')
		top = ".";
	if (check_dirs(top, "corpus") < 0 || check_dirs(top, "regressions") < 0)
		r = 1;
	for (i = 0; i < N_TARGETS; i++) {
		t = &targets[i];
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", top,
			 t->name);
		if (run_dir(t, dir, 1, &seeds) < 0)
			return 1;
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/regressions/%s", top,
			 t->name);
		if (run_dir(t, dir, 0, &regressions) < 0)
			return 1;
		printf("# %s: %zu seeds, %zu regressions\n", t->name, seeds,
		       regressions);
		if (seeds == 0) {
			fprintf(stderr, "%s: no seed inputs\n", t->name);
			r = 1;
		}
	}
	return r;
}
