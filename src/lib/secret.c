/*
 * secret - reading passwords and keys (see secret.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "err.h"
#include "kcg.h"
#include "secret.h"
#include "xalloc.h"

#define SECRET_MAX 4096

/* open_checked - open PATH for reading: a regular file (or, with
 * FIFO_OK, a pipe), mode 0600 or stricter when PRIVATE. */
static int open_checked(const char *path, int private, int fifo_ok, int *fd_r,
			const char **error_r)
{
	struct stat st;
	int fd;

	/* O_NONBLOCK: a FIFO must not hang us before fstat() refuses it */
	fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		*error_r = err_fmt("無法開啟 %s / cannot open %s: %s", path,
				   path, strerror(errno));
		return KCG_EINVAL;
	}
	if (fstat(fd, &st) < 0 ||
	    !(S_ISREG(st.st_mode) || (fifo_ok && S_ISFIFO(st.st_mode)))) {
		*error_r = err_fmt("%s 不是一般檔案 / %s is not a regular file",
				   path, path);
		close(fd);
		return KCG_EINVAL;
	}
	if (private && (st.st_mode & 077) != 0) {
		*error_r = err_fmt("%s 權限為 %04o，必須為 0600 / %s has mode "
				   "%04o; it must be 0600 or stricter",
				   path, (unsigned)(st.st_mode & 07777), path,
				   (unsigned)(st.st_mode & 07777));
		close(fd);
		return KCG_EINVAL;
	}
	*fd_r = fd;
	return 0;
}

int secret_fopen(const char *path, int private, FILE **fp_r,
		 const char **error_r)
{
	int fd = -1, flags;

	if (open_checked(path, private, !private, &fd, error_r) < 0)
		return KCG_EINVAL;
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0 ||
	    (*fp_r = fdopen(fd, "r")) == NULL) {
		*error_r = err_fmt("無法開啟 %s / cannot open %s: %s", path,
				   path, strerror(errno));
		close(fd);
		return KCG_EINVAL;
	}
	return 0;
}

int secret_read_file(const char *path, int private, char **secret_r,
		     size_t *len_r, const char **error_r)
{
	int r = KCG_EINVAL;
	int fd = -1;
	char *buf = NULL;
	ssize_t n;
	size_t len = 0;

	if (open_checked(path, private, 0, &fd, error_r) < 0)
		goto out;
	buf = xmalloc(SECRET_MAX + 1);
	while (len < SECRET_MAX) {
		n = read(fd, buf + len, SECRET_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*error_r = err_fmt("讀取 %s 失敗 / reading %s: %s",
					   path, path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len == SECRET_MAX) {
		*error_r = err_fmt("%s 太大 / %s is too large", path, path);
		goto out;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	buf[len] = '\0';
	if (len == 0 || memchr(buf, '\0', len) != NULL) {
		*error_r = err_fmt("%s 是空的或含 NUL / %s is empty or "
				   "contains NUL",
				   path, path);
		goto out;
	}
	*secret_r = buf;
	buf = NULL;
	if (len_r != NULL)
		*len_r = len;
	r = 0;
out:
	if (buf != NULL) {
		explicit_bzero(buf, SECRET_MAX + 1);
		free(buf);
	}
	if (fd >= 0)
		close(fd);
	return r;
}

/* read_line - one line from FP into new memory, without its newline. */
static int read_line(FILE *fp, char **line_r, const char **error_r)
{
	char *buf = xmalloc(SECRET_MAX + 2);
	size_t len = 0;
	int c;

	/* byte by byte: fgets would hide a NUL, which slapd's check module
	 * cannot see past either (the rest would be stored unchecked) */
	while (len <= SECRET_MAX && (c = getc(fp)) != EOF && c != '\n')
		buf[len++] = (char)c;
	if (len == 0 && c == EOF) {
		*error_r = "沒有輸入密碼 / no password was given";
		goto fail;
	}
	if (len > SECRET_MAX) {
		*error_r = "密碼太長 / password is too long";
		goto fail;
	}
	if (memchr(buf, '\0', len) != NULL) {
		*error_r = "密碼含有 NUL 字元 / the password contains a NUL "
			   "byte";
		goto fail;
	}
	while (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	*line_r = buf;
	return 0;
fail:
	explicit_bzero(buf, SECRET_MAX + 2);
	free(buf);
	return KCG_EINVAL;
}

/* prompt_tty - ask on the terminal with echo off. */
static int prompt_tty(FILE *tty, const char *prompt, char **line_r,
		      const char **error_r)
{
	struct termios old, noecho;
	int r, restore = 0;

	fputs(prompt, tty);
	fflush(tty);
	if (tcgetattr(fileno(tty), &old) == 0) {
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		noecho.c_lflag |= ECHONL;
		restore = tcsetattr(fileno(tty), TCSAFLUSH, &noecho) == 0;
	}
	r = read_line(tty, line_r, error_r);
	if (restore)
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
	return r;
}

int secret_read_password(const char *file, const char *prompt,
			 const char *confirm_prompt, char **password_r,
			 const char **error_r)
{
	int r = KCG_EINVAL;
	FILE *fp = NULL, *tty = NULL;
	char *pw = NULL, *again = NULL;

	if (file != NULL) {
		fp = fopen(file, "re");
		if (fp == NULL) {
			*error_r = err_fmt("無法開啟 %s / cannot open %s: %s",
					   file, file, strerror(errno));
			goto out;
		}
		r = read_line(fp, &pw, error_r);
	} else if (!isatty(STDIN_FILENO)) {
		r = read_line(stdin, &pw, error_r);
	} else {
		tty = fopen("/dev/tty", "r+e");
		if (tty == NULL) {
			*error_r = "無終端機可輸入密碼 / no terminal to ask "
				   "for the password";
			goto out;
		}
		r = prompt_tty(tty, prompt, &pw, error_r);
		if (r == 0 && confirm_prompt != NULL) {
			r = prompt_tty(tty, confirm_prompt, &again, error_r);
			if (r == 0 && strcmp(pw, again) != 0) {
				*error_r = "兩次輸入的密碼不一致 / the two "
					   "passwords differ";
				r = KCG_EINVAL;
			}
		}
	}
	if (r < 0)
		goto out;
	if (pw[0] == '\0') {
		*error_r = "沒有輸入密碼 / the password is empty";
		r = KCG_EINVAL;
		goto out;
	}
	*password_r = pw;
	pw = NULL;
	r = 0;
out:
	xfree_secret(&pw);
	xfree_secret(&again);
	if (fp != NULL)
		fclose(fp);
	if (tty != NULL)
		fclose(tty);
	return r;
}

void secret_no_core(void)
{
	struct rlimit rl = {0, 0};

	(void)setrlimit(RLIMIT_CORE, &rl);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}
