// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/io.h"
#include "output/output.h"

/*
 * A path root writes to may sit in a directory others can write (/tmp), so
 * a link planted there must not redirect us to a file of root's choosing:
 * the last component is opened O_NOFOLLOW. A link that belongs to us (as
 * /dev/stdout -> /proc/self/fd/1 belongs to root) was not planted and is
 * followed; fs.protected_symlinks makes the same distinction.
 */
static int open_nofollow(const char *path, int flags)
{
	struct stat ls;
	int fd, e;

	fd = open(path, flags | O_NOFOLLOW, 0600);
	if (fd >= 0)
		return fd;
	/* EACCES: in a sticky directory the kernel itself refuses another
	 * user's link with O_CREAT; both say "a link not ours". */
	e = errno;
	if ((e != ELOOP && e != EACCES) || lstat(path, &ls) || !S_ISLNK(ls.st_mode))
		return -e;
	if (ls.st_uid != geteuid())
		return -ELOOP;
	fd = open(path, flags, 0600);
	return fd < 0 ? -errno : fd;
}

int output_open_path(const char *path, char *err, size_t errlen)
{
	int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	struct stat st;
	int fd, rc;

	fd = open_nofollow(path, flags);
	if (fd == -ELOOP)
		return errf(err, errlen, fd, "%s: a symbolic link that is not ours: refused", path);
	if (fd == -ENXIO && !stat(path, &st) && S_ISFIFO(st.st_mode))
		return errf(err, errlen, fd, "no reader on FIFO %s", path);
	if (fd == -ENXIO && !stat(path, &st) && S_ISSOCK(st.st_mode))
		goto refuse;
	if (fd < 0)
		return errf(err, errlen, fd, "%s: %s", path, strerror(-fd));
	if (fstat(fd, &st)) {
		rc = -errno;
		close(fd);
		return errf(err, errlen, rc, "%s: %s", path, strerror(-rc));
	}
	if (S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))
		return fd;
	close(fd);
refuse:
	return errf(err, errlen, -EINVAL,
		    "%s: not a regular file, FIFO or character device: refused", path);
}

int output_open(struct output *out, const char *path, size_t bufsize, char *err, size_t errlen)
{
	int fd, fl;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	out->buf = malloc(bufsize);
	if (!out->buf)
		return errf(err, errlen, -ENOMEM, "output buffer: %s", strerror(ENOMEM));
	out->cap = bufsize;
	if (!path || !strcmp(path, "-")) {
		out->fd = STDOUT_FILENO;
		return 0;
	}
	fd = output_open_path(path, err, errlen);
	/* Opened without blocking (a FIFO with no reader); written blocking,
	 * as stdout is: a slow reader slows us, it does not lose lines. */
	if (fd >= 0 && ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK))) {
		int rc = -errno;

		close(fd);
		fd = errf(err, errlen, rc, "%s: %s", path, strerror(-rc));
	}
	if (fd < 0) {
		free(out->buf);
		out->buf = NULL;
		return fd;
	}
	out->fd = fd;
	out->own_fd = true;
	return 0;
}
int output_flush(struct output *out)
{
	int err;

	if (!out->len)
		return 0;
	err = io_write_all(out->fd, out->buf, out->len, NULL);
	out->len = 0;
	return err;
}

int output_append(struct output *out, const char *data, size_t len)
{
	int err;

	if (out->len + len > out->cap) {
		err = output_flush(out);
		if (err)
			return err;
		if (len > out->cap)
			return io_write_all(out->fd, data, len, NULL);
	}
	memcpy(out->buf + out->len, data, len);
	out->len += len;
	return 0;
}

int output_close(struct output *out)
{
	int err = 0;

	if (out->buf)
		err = output_flush(out);
	if (out->own_fd && out->fd >= 0 && close(out->fd) && !err)
		err = -errno;
	free(out->buf);
	out->buf = NULL;
	out->fd = -1;
	return err;
}
