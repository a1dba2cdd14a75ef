/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Writing whole buffers to file descriptors. */
#ifndef SS_LIB_IO_H
#define SS_LIB_IO_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Writes all n bytes, retrying after EINTR and short writes. Returns 0 or
 * -errno (-EPIPE: the reader went away; never raises SIGPIPE on a socket).
 * On a non-blocking fd, -EAGAIN may come after part was written: *done (if
 * not NULL) says how much.
 */
int io_write_all(int fd, const void *p, size_t n, size_t *done);

#endif
