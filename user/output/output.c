// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
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
	__atomic_store_n(&out->err, err, __ATOMIC_RELEASE);
	return err;
}

/* Counted records ending at rec_end[0..n): those within kept are written. */
static void count_in(struct output *out, const size_t *rec_end, size_t n, size_t kept)
{
	for (size_t i = 0; i < n; i++) {
		if (rec_end[i] <= kept)
			out->written++;
		else
			out->not_written++;
	}
}

static void count_records(struct output *out, size_t kept)
{
	count_in(out, out->rec_end, out->nr_rec, kept);
	out->nr_rec = 0;
}

/* ---- the writer thread (output_start_writer()) ---- */

/* A buffer and where its records end; queued, or free for reuse. */
struct chunk {
	char *buf;
	size_t len, cap;
	size_t *rec_end;
	size_t nr_rec, rec_cap;
	struct chunk *next;
};

struct output_writer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t work, room;
	struct chunk *head, *tail, *free;
	size_t pending, max_pending; /* bytes queued */
	bool stop;
	/* records the caller could not even queue (no memory), its own count */
	uint64_t refused;
};

/*
 * Only this thread writes to the fd and counts, once the writer runs: a
 * chunk given after an error has all its records counted as not written.
 */
static void *writer_run(void *arg)
{
	struct output *out = arg;
	struct output_writer *w = out->w;
	sigset_t all;

	sigfillset(&all); /* signals stay the caller's */
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct chunk *c;
		size_t kept = 0;

		while (!w->head && !w->stop)
			pthread_cond_wait(&w->work, &w->lock);
		if (!(c = w->head))
			break;
		w->head = c->next;
		if (!w->head)
			w->tail = NULL;
		pthread_mutex_unlock(&w->lock);
		if (!__atomic_load_n(&out->err, __ATOMIC_ACQUIRE) && c->len)
			write_lines(out, c->buf, c->len, &kept);
		count_in(out, c->rec_end, c->nr_rec, kept);
		pthread_mutex_lock(&w->lock);
		w->pending -= c->len;
		c->len = c->nr_rec = 0;
		c->next = w->free;
		w->free = c;
		pthread_cond_signal(&w->room);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/*
 * Queues the caller's buffer and gives it a free one of at least need
 * bytes (waiting while max_pending bytes are queued). -ENOMEM: nothing was
 * queued, and the caller's buffer is as it was.
 */
static int hand_over(struct output *out, size_t need)
{
	struct output_writer *w = out->w;
	struct chunk *c;

	pthread_mutex_lock(&w->lock);
	while (w->pending && w->pending + out->len > w->max_pending)
		pthread_cond_wait(&w->room, &w->lock);
	c = w->free;
	if (c && c->cap >= need) {
		w->free = c->next;
	} else {
		pthread_mutex_unlock(&w->lock);
		if (!(c = calloc(1, sizeof(*c))) || !(c->buf = malloc(need))) {
			free(c);
			return -ENOMEM;
		}
		c->cap = need;
		pthread_mutex_lock(&w->lock);
	}
	/* the caller's buffer goes to the queue; the free one comes back */
	{
		struct chunk mine = {.buf = out->buf,
				     .len = out->len,
				     .cap = out->cap,
				     .rec_end = out->rec_end,
				     .nr_rec = out->nr_rec,
				     .rec_cap = out->rec_cap};

		out->buf = c->buf;
		out->cap = c->cap;
		out->rec_end = c->rec_end;
		out->rec_cap = c->rec_cap;
		out->len = out->nr_rec = 0;
		mine.next = NULL;
		*c = mine;
	}
	if (w->tail)
		w->tail->next = c;
	else
		w->head = c;
	w->tail = c;
	w->pending += c->len;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

int output_start_writer(struct output *out, size_t max_pending)
{
	struct output_writer *w = calloc(1, sizeof(*w));
	int e;

	if (!w)
		return -ENOMEM;
	w->max_pending = max_pending;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->room, NULL);
	out->w = w;
	e = pthread_create(&w->thread, NULL, writer_run, out);
	if (e) {
		out->w = NULL;
		free(w);
		return -e;
	}
	return 0;
}

/* Writes what is queued, stops the thread, frees its chunks. */
static void writer_stop(struct output *out)
{
	struct output_writer *w = out->w;
	struct chunk *c;

	if (!w)
		return;
	if (out->len || out->nr_rec)
		hand_over(out, out->cap);
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	/* ENOMEM in hand_over(): what is still here was never written */
	count_records(out, 0);
	out->not_written += w->refused;
	out->len = 0;
	while ((c = w->free)) {
		w->free = c->next;
		free(c->buf);
		free(c->rec_end);
		free(c);
	}
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->room);
	pthread_mutex_destroy(&w->lock);
	free(w);
	out->w = NULL;
}

/* put() with the writer running: the buffer is handed over when full. */
static int put_async(struct output *out, const char *data, size_t len, bool counted)
{
	int err;

	if (out->len + len > out->cap && (err = hand_over(out, len > out->cap ? len : out->cap))) {
		out->w->refused += counted;
		return err;
	}
	if (counted && out->nr_rec == out->rec_cap &&
	    grow_array(&out->rec_end, &out->rec_cap, sizeof(*out->rec_end), 256)) {
		out->w->refused++;
		return -ENOMEM;
	}
	memcpy(out->buf + out->len, data, len);
	out->len += len;
	if (counted)
		out->rec_end[out->nr_rec++] = out->len;
	return __atomic_load_n(&out->err, __ATOMIC_ACQUIRE);
}

int output_flush(struct output *out)
{
	size_t kept;
	int err;

	if (out->w) {
		if (out->len && (err = hand_over(out, out->cap)))
			return err;
		return __atomic_load_n(&out->err, __ATOMIC_ACQUIRE);
	}
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

	if (out->w)
		return put_async(out, data, len, counted);
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

char *output_reserve(struct output *out, size_t n)
{
	/* without the writer an error sticks here; with it, commit says */
	if ((!out->w && out->err) || n > out->cap)
		return NULL;
	if (out->len + n > out->cap && (out->w ? hand_over(out, out->cap) : output_flush(out)))
		return NULL;
	if (out->nr_rec == out->rec_cap &&
	    grow_array(&out->rec_end, &out->rec_cap, sizeof(*out->rec_end), 256))
		return NULL;
	return out->buf + out->len;
}

int output_commit(struct output *out, size_t len)
{
	out->len += len;
	out->rec_end[out->nr_rec++] = out->len;
	return out->w ? __atomic_load_n(&out->err, __ATOMIC_ACQUIRE) : 0;
}

int output_close(struct output *out)
{
	int err = 0;

	writer_stop(out);
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
