/*
 * rusage - run a program and write its peak RSS and CPU time to a file.
 *
 * usage: rusage OUTFILE PROGRAM [ARGS...]
 * Writes "MAXRSS_KB UTIME STIME" (from wait4) to OUTFILE and exits with
 * the program's status (128 + signal when killed).
 *
 * bench/run measures its clients through this instead of directly: a
 * child forked from the Python interpreter starts with the interpreter's
 * resident pages, and ru_maxrss keeps that high-water mark across exec.
 * Forked from this small process, the client's figure is its own.
 *
 * Built by bench/run; not part of the product.
 *
 * SECURITY: runs what it is given with its own privileges; a benchmark
 * helper, never installed.
 */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct rusage ru;
	FILE *fp;
	pid_t pid;
	int status;

	if (argc < 3) {
		fputs("usage: rusage OUTFILE PROGRAM [ARGS...]\n", stderr);
		return 125;
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 125;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("wait4");
		return 125;
	}
	fp = fopen(argv[1], "w");
	if (fp == NULL) {
		perror(argv[1]);
		return 125;
	}
	fprintf(fp, "%ld %ld.%06ld %ld.%06ld\n", ru.ru_maxrss,
		(long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec,
		(long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec);
	fclose(fp);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
