// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/io.h"

int io_write_all(int fd, const void *p, size_t n, size_t *done)
{
	const char *c = p;
	bool sock = true;
	size_t off = 0;
	int rc = 0;

	while (off < n) {
		/* send() first: MSG_NOSIGNAL keeps a gone peer from raising
		 * SIGPIPE; a non-socket answers ENOTSOCK once, then write(). */
		ssize_t w = sock ? send(fd, c + off, n - off, MSG_NOSIGNAL) : -1;

		if (!sock || (w < 0 && errno == ENOTSOCK)) {
			sock = false;
			w = write(fd, c + off, n - off);
		}
		if (w < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (w == 0) {
			rc = -EIO;
			break;
		}
		off += (size_t)w;
	}
	if (done)
		*done = off;
	return rc;
}
