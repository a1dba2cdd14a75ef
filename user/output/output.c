// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/grow.h"
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
	struct stat st;
	int fd, fl;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	out->buf = malloc(bufsize);
	if (!out->buf)
		return errf(err, errlen, -ENOMEM, "output buffer: %s", strerror(ENOMEM));
	out->cap = bufsize;
	if (!path || !strcmp(path, "-")) {
		out->fd = STDOUT_FILENO;
		out->cut = !fstat(out->fd, &st) && S_ISREG(st.st_mode);
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
	out->cut = !fstat(fd, &st) && S_ISREG(st.st_mode);
	return 0;
}

size_t output_whole_lines(const char *p, size_t n)
{
	const char *nl = n ? memrchr(p, '\n', n) : NULL;

	return nl ? (size_t)(nl - p) + 1 : 0;
}

int output_cut_back(int fd, size_t torn)
{
	off_t end = lseek(fd, 0, SEEK_CUR);

	if (end < 0)
		return -errno;
	if ((off_t)torn > end)
		return -EINVAL;
	end -= (off_t)torn;
	if (ftruncate(fd, end) || lseek(fd, end, SEEK_SET) < 0)
		return -errno;
	return 0;
}

/*
 * Writes n bytes of whole lines; on a failure *kept says how many of them
 * are in the output as whole lines, the torn rest cut off again where that
 * can be done (a pipe keeps what it was given).
 */
static int write_lines(struct output *out, const char *p, size_t n, size_t *kept)
{
	size_t done = 0;
	int err = io_write_all(out->fd, p, n, &done);

	*kept = done;
	if (!err)
		return 0;
	*kept = output_whole_lines(p, done);
	if (out->cut && *kept < done)
		output_cut_back(out->fd, done - *kept);
	out->err = err;
	return err;
}

/* The counted records of buf: those ending within kept are written. */
static void count_records(struct output *out, size_t kept)
{
	for (size_t i = 0; i < out->nr_rec; i++) {
		if (out->rec_end[i] <= kept)
			out->written++;
		else
			out->not_written++;
	}
	out->nr_rec = 0;
}

int output_flush(struct output *out)
{
	size_t kept;
	int err;

	if (out->err) {
		count_records(out, 0);
		out->len = 0;
		return out->err;
	}
	if (!out->len)
		return 0;
	err = write_lines(out, out->buf, out->len, &kept);
	count_records(out, kept);
	out->len = 0;
	return err;
}

static int put(struct output *out, const char *data, size_t len, bool counted)
{
	size_t kept;
	int err;

	if (out->err) {
		if (counted)
			out->not_written++;
		return out->err;
	}
	if (out->len + len > out->cap) {
		err = output_flush(out);
		if (err || len > out->cap) {
			/* too big for the buffer: written at once */
			if (!err)
				err = write_lines(out, data, len, &kept);
			if (counted && !err)
				out->written++;
			else if (counted)
				out->not_written++;
			return err;
		}
	}
	if (counted && out->nr_rec == out->rec_cap &&
	    grow_array(&out->rec_end, &out->rec_cap, sizeof(*out->rec_end), 256)) {
		out->not_written++;
		return -ENOMEM;
	}
	memcpy(out->buf + out->len, data, len);
	out->len += len;
	if (counted)
		out->rec_end[out->nr_rec++] = out->len;
	return 0;
}

int output_append(struct output *out, const char *data, size_t len)
{
	return put(out, data, len, false);
}

int output_record(struct output *out, const char *data, size_t len)
{
	return put(out, data, len, true);
}

int output_close(struct output *out)
{
	int err = 0;

	if (out->buf)
		err = output_flush(out);
	if (out->own_fd && out->fd >= 0 && close(out->fd) && !err)
		err = -errno;
	free(out->buf);
	free(out->rec_end);
	out->buf = NULL;
	out->rec_end = NULL;
	out->nr_rec = out->rec_cap = 0;
	out->fd = -1;
	return err;
}
