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

struct output {
	int fd;
	bool own_fd;
	char *buf;
	size_t len;
	size_t cap;
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
/* Buffers; writes when full. 0 or -errno (-EPIPE: the reader went away). */
int output_append(struct output *out, const char *data, size_t len);
int output_flush(struct output *out);
/* Flushes and closes. Returns what the flush returned. */
int output_close(struct output *out);

#endif
