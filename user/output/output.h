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

/* path NULL or "-": stdout. Returns 0 or -errno. */
int output_open(struct output *out, const char *path, size_t bufsize);
/* Buffers; writes when full. 0 or -errno (-EPIPE: the reader went away). */
int output_append(struct output *out, const char *data, size_t len);
int output_flush(struct output *out);
/* Flushes and closes. Returns what the flush returned. */
int output_close(struct output *out);

#endif
