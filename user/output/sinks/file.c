// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The byte-stream transports on a local fd: stdout, and files (created
 * with their directory, rotated by size, reopened on SIGHUP or when
 * deleted to free a full disk).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/io.h"
#include "lib/parse.h"
#include "output/output.h"
#include "output/sinks/sink_internal.h"

#define FILE_MAX_DEFAULT (10ull << 20)
#define KEEP_DEFAULT 5u
#define KEEP_MAX 1000u

/* ---- stdout ---- */

static int stdout_open(struct sink *s)
{
	struct stat st;
	int fd;

	if (fstat(STDOUT_FILENO, &st))
		return -errno;
	s->fd = STDOUT_FILENO;
	s->own_fd = false;
	if (S_ISSOCK(st.st_mode)) {
		/* e.g. journald's stream under systemd: MSG_DONTWAIT is
		 * per call and leaves the shared file alone. */
		s->u.out.mode = OUT_SEND;
	} else if (S_ISREG(st.st_mode)) {
		s->u.out.mode = OUT_WRITE;
	} else {
		/*
		 * Setting O_NONBLOCK on fd 1 would change the file
		 * description we share with the shell or the terminal;
		 * opening it again gives a description of our own. Failing
		 * that, poll before each write of at most PIPE_BUF.
		 */
		fd = open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		if (fd >= 0) {
			s->fd = fd;
			s->own_fd = true;
			s->u.out.mode = OUT_WRITE;
		} else {
			s->u.out.mode = OUT_POLL;
		}
	}
	return 0;
}

static int stdout_ready(struct sink *s, int64_t now, const char **op)
{
	(void)now;
	*op = "stdout";
	return s->fd < 0 ? stdout_open(s) : 0;
}

static ssize_t stdout_write(struct sink *s, struct iovec *iov, int n, const char **op)
{
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)n};
	struct pollfd p = {.fd = s->fd, .events = POLLOUT};
	size_t sum = 0;
	ssize_t w;

	*op = "write";
	if (s->u.out.mode == OUT_SEND) {
		w = sendmsg(s->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		return w < 0 ? -errno : w;
	}
	if (s->u.out.mode == OUT_POLL) {
		/* Writable means room for PIPE_BUF bytes in a pipe. */
		if (poll(&p, 1, 0) == 0)
			return -EAGAIN;
		for (int i = 0; i < n; i++) {
			if (sum + iov[i].iov_len > PIPE_BUF) {
				if (!i)
					iov[i].iov_len = PIPE_BUF;
				n = i ? i : 1;
				break;
			}
			sum += iov[i].iov_len;
		}
	}
	w = writev(s->fd, iov, n);
	return w < 0 ? -errno : w;
}

const struct sink_transport sink_stdout = {
	.what = "stdout",
	.options = "queue_bytes",
	.format = FMT_NDJSON,
	.ready = stdout_ready,
	.drain = sink_drain_stream,
	.write = stdout_write,
	.close = sink_close_fd,
};

/* ---- file ---- */

static int file_parse(struct sink *s, const char *rest, char *err, size_t errlen)
{
	const char *path = sink_spec_path(rest);

	if (!path || !*path || strlen(path) >= sizeof(s->u.file.path))
		return errf(err, errlen, -EINVAL, "file: expected file:PATH or file:///PATH");
	/* The daemon runs from / and a relative path would move with it. */
	if (path[0] != '/')
		return errf(err, errlen, -EINVAL, "file:%s: expected an absolute path", path);
	strcpy(s->u.file.path, path);
	s->u.file.max_bytes = FILE_MAX_DEFAULT;
	s->u.file.keep = KEEP_DEFAULT;
	return 0;
}

static int file_option(struct sink *s, const char *key, const char *v, char *err, size_t errlen)
{
	uint64_t n;

	if (!strcmp(key, "max_bytes")) {
		/* 0 is "never rotate" (sink.h), for files logrotate rotates */
		if (parse_size(v, &n))
			return errf(err, errlen, -EINVAL,
				    "max_bytes '%s': a size such as 10485760 "
				    "or 10M, or 0 (never rotate)",
				    v);
		s->u.file.max_bytes = n;
		return 0;
	}
	if (!strcmp(key, "keep")) {
		if (parse_u64(v, 0, KEEP_MAX, &n))
			return errf(err, errlen, -EINVAL, "keep '%s': a count from 0 to %u", v,
				    KEEP_MAX);
		s->u.file.keep = (unsigned int)n;
		return 0;
	}
	return -ENOENT;
}

/* mkdir -p of the file's directory (0755): a log directory that does not
 * exist yet is created, as logging daemons do. */
static void file_make_dir(const char *path)
{
	char dir[PATH_MAX];
	char *p;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return;
	p = strrchr(dir, '/');
	if (!p || p == dir)
		return;
	*p = '\0';
	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(dir, 0755);
		*p = '/';
	}
	mkdir(dir, 0755);
}

static int file_open(struct sink *s)
{
	struct stat st;
	int fd;

	file_make_dir(s->u.file.path);
	/* Opened as trace -o opens its file (no planted link, 0600, no
	 * device but a FIFO or a character one); kept O_NONBLOCK: a FIFO
	 * at PATH must not block us in write(). */
	fd = output_open_path(s->u.file.path, NULL, 0);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st)) {
		int err = -errno;

		close(fd);
		return err;
	}
	s->fd = fd;
	s->own_fd = true;
	s->u.file.rotatable = S_ISREG(st.st_mode);
	s->u.file.size = (uint64_t)st.st_size;
	return 0;
}

/* Deleted while we hold it (to free space on a full disk): our fd alone
 * would keep its blocks allocated. */
static bool file_unlinked(const struct sink *s)
{
	struct stat st;

	return s->fd >= 0 && !fstat(s->fd, &st) && st.st_nlink == 0;
}

static int file_ready(struct sink *s, int64_t now, const char **op)
{
	(void)now;
	if (s->outage && file_unlinked(s)) {
		/* A new file starts with a whole line, not the rest of one. */
		s->head_off = 0;
		sink_close_fd(s);
	}
	*op = "open";
	return s->fd < 0 ? file_open(s) : 0;
}

/* PATH -> PATH.1 -> ... -> PATH.keep; what was PATH.keep is replaced. */
static int file_rotate(struct sink *s, const char **op)
{
	const char *path = s->u.file.path;
	char from[PATH_MAX], to[PATH_MAX];
	int r;

	if (!s->u.file.keep) {
		if (unlink(path) && errno != ENOENT)
			goto fail;
	} else {
		for (unsigned int i = s->u.file.keep - 1; i >= 1; i--) {
			snprintf(from, sizeof(from), "%s.%u", path, i);
			snprintf(to, sizeof(to), "%s.%u", path, i + 1);
			/* A missing PATH.i is a gap (fewer files so far). */
			if (rename(from, to) && errno != ENOENT)
				goto fail;
		}
		snprintf(to, sizeof(to), "%s.1", path);
		if (rename(path, to) && errno != ENOENT)
			goto fail;
	}
	sink_close_fd(s);
	r = file_open(s);
	if (r)
		*op = "open";
	return r;
fail:
	/* The file stays as it is and events wait in the queue: writing on
	 * would grow a file the operator bounded. Retried after the backoff. */
	*op = "rotate";
	return -errno;
}

static bool file_bounded(const struct sink *s)
{
	return s->u.file.rotatable && s->u.file.max_bytes;
}

/*
 * A write that stopped inside a line (a full disk, a file size limit) must
 * not leave the line torn in the file: the rest is tried at once, and if
 * the disk refuses it too, the torn part is cut off again and the line
 * stays queued to go whole on a retry. Returns the bytes of whole lines
 * now in the file, or the error when there are none.
 */
static ssize_t file_whole_lines(struct sink *s, const struct iovec *iov, int n, size_t w)
{
	size_t sum = 0, torn, done = 0;
	int i, err;

	for (i = 0; i < n && sum + iov[i].iov_len <= w; i++)
		sum += iov[i].iov_len;
	torn = w - sum;
	if (!torn)
		return (ssize_t)w;
	err = io_write_all(s->fd, (const char *)iov[i].iov_base + torn, iov[i].iov_len - torn,
			   &done);
	s->u.file.size += done;
	if (!err)
		return (ssize_t)(w + done);
	torn += done;
	/* A FIFO or a device cannot take bytes back, nor a file the line
	 * was already resumed in (a cut that failed before): the rest of
	 * the line goes after them on the retry. */
	if (!s->u.file.rotatable || (i == 0 && s->head_off) || output_cut_back(s->fd, torn))
		return (ssize_t)(w + done);
	s->u.file.size -= torn;
	s->cut++;
	return sum ? (ssize_t)sum : err;
}

/* Rotates before a whole line would take the file past max_bytes, and
 * writes only the lines that fit (the first one always, however long). */
static ssize_t file_write(struct sink *s, struct iovec *iov, int n, const char **op)
{
	uint64_t max = s->u.file.max_bytes;
	size_t want = 0;
	ssize_t w;

	if (file_bounded(s) && !s->head_off && s->u.file.size &&
	    s->u.file.size + iov[0].iov_len > max) {
		int r = file_rotate(s, op);

		if (r)
			return r;
	}
	if (file_bounded(s)) {
		uint64_t limit = max > s->u.file.size ? max - s->u.file.size : 0;
		uint64_t sum = iov[0].iov_len;
		int i;

		for (i = 1; i < n && sum + iov[i].iov_len <= limit; i++)
			sum += iov[i].iov_len;
		n = i;
	}
	*op = "write";
	w = writev(s->fd, iov, n);
	if (w < 0)
		return -errno;
	s->u.file.size += (uint64_t)w;
	for (int i = 0; i < n; i++)
		want += iov[i].iov_len;
	if ((size_t)w < want)
		w = file_whole_lines(s, iov, n, (size_t)w);
	return w;
}

static void file_reopen(struct sink *s)
{
	if (s->fd >= 0 && s->head_off) {
		/* Finish the line in the old file if that works at once; if
		 * not, the new file gets it whole. */
		struct rec *r = queue__head(&s->q);
		size_t rest = r->len - s->head_off;

		if (!io_write_all(s->fd, rec_data(r) + s->head_off, rest, NULL))
			sink_consume(s, rest);
		s->head_off = 0;
	}
	sink_close_fd(s);
}

const struct sink_transport sink_file = {
	.what = "a file sink",
	.options = "max_bytes, keep, queue_bytes",
	.format = FMT_NDJSON,
	.parse = file_parse,
	.option = file_option,
	.ready = file_ready,
	.drain = sink_drain_stream,
	.write = file_write,
	.reopen = file_reopen,
	.close = sink_close_fd,
};
