/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where formatted events go: stdout or a file opened for append. Lines are
 * gathered in one buffer and written with one write(2) per batch, not per
 * event.
 */
#ifndef SS_OUTPUT_H
#define SS_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct output_writer;

struct output {
	int fd;
	bool own_fd;
	/* A regular file: a line torn by a short write is cut off again. */
	bool cut;
	char *buf;
	size_t len;
	size_t cap;
	/* Where each counted record (output_record()) ends in buf. */
	size_t *rec_end;
	size_t nr_rec, rec_cap;
	/* Counted records in the output whole, and those that never will
	 * be (a write failed before or in them). */
	uint64_t written, not_written;
	/* The first write error (-errno): nothing is written after it. */
	int err;
	/* output_start_writer(): full buffers are written by a thread */
	struct output_writer *w;
};

/*
 * Opens PATH for appending as outputs must be opened: the last component
 * not followed if it is a link someone else planted, a new file 0600, only
 * a regular file, a FIFO or a character device accepted, a FIFO without a
 * reader refused (-ENXIO) rather than waited for. Returns the fd (still
 * O_NONBLOCK) or -errno with one line in err.
 */
int output_open_path(const char *path, char *err, size_t errlen);
/* path NULL or "-": stdout; else output_open_path(), then blocking writes.
 * Returns 0 or -errno with one line in err. */
int output_open(struct output *out, const char *path, size_t bufsize, char *err, size_t errlen);
/*
 * Output is whole lines: data given to output_append() or output_record()
 * ends with '\n'. When a write fails part way (a full disk: ENOSPC, a file
 * size limit: EFBIG), the line it tore is cut off again (a regular file is
 * truncated back to the end of the last whole line), and the error sticks:
 * nothing is written after it, and every record given from then on counts
 * as not written.
 */
/* Buffers; writes when full. 0 or -errno (-EPIPE: the reader went away). */
int output_append(struct output *out, const char *data, size_t len);
/* The same for one record that counts (an event): in written once it is
 * in the output whole, else in not_written. */
int output_record(struct output *out, const char *data, size_t len);
/*
 * A record formatted in place, saving the copy output_record() makes:
 * output_reserve() gives room for up to n bytes at the end of the buffer
 * (NULL when it cannot: after an error, or no memory; then format
 * elsewhere and call output_record(), which counts it), and
 * output_commit() takes the len bytes written there as one record, with
 * output_record()'s result.
 */
char *output_reserve(struct output *out, size_t n);
int output_commit(struct output *out, size_t len);
int output_flush(struct output *out);
/*
 * From now on full buffers (and flushes) are handed to a thread that writes
 * them, at most max_pending bytes of them waiting: a write(2) that stalls
 * (an ext4 journal commit, a slow pipe reader) no longer stops the caller,
 * who drains the ring buffer meanwhile; past max_pending the caller waits,
 * as it did on write(2). Errors and the written / not_written counts are
 * the same, and final after output_close(); an error is seen by the caller
 * from the next output_*() call after the writer met it. 0 or -errno.
 */
int output_start_writer(struct output *out, size_t max_pending);
/* Flushes and closes. Returns what the flush returned. */
int output_close(struct output *out);

/* The part of p[0..n) that is whole lines: up to its last '\n'. */
size_t output_whole_lines(const char *p, size_t n);
/*
 * A write left torn bytes of a line at the end of the regular file fd (its
 * offset is just after them): truncates them away and moves the offset
 * back. 0 or -errno.
 */
int output_cut_back(int fd, size_t torn);

#endif
