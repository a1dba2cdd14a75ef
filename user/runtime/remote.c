// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/io.h"
#include "runtime/remote.h"

static int recv_all(int fd, void *p, size_t n)
{
	char *c = p;

	while (n) {
		ssize_t got = recv(fd, c, n, 0);

		if (got <= 0)
			return got < 0 && errno == EINTR ? 0 : -EIO;
		c += got;
		n -= (size_t)got;
	}
	return 0;
}

int remote_forward(int argc, char **argv, int *rc)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = 30};
	char *buf = NULL;
	int fd, err = -EIO;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", REMOTE_SOCKET);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(fd);
		return err;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (int i = 1; i < argc; i++)
		io_write_all(fd, argv[i], strlen(argv[i]) + 1, NULL);
	/* the empty argument ends the command (alone: a ping) */
	io_write_all(fd, "", 1, NULL);
	for (;;) {
		char type;
		uint32_t len;

		if (recv_all(fd, &type, 1) || recv_all(fd, &len, sizeof(len)) ||
		    len > (64u << 20))
			break;
		free(buf);
		buf = malloc(len ? len : 1);
		if (!buf || recv_all(fd, buf, len))
			break;
		if (type == 'X' && len == sizeof(int32_t)) {
			int32_t code;

			memcpy(&code, buf, sizeof(code));
			if (rc)
				*rc = code;
			err = 0;
			break;
		}
		fwrite(buf, 1, len, type == 'E' ? stderr : stdout);
	}
	free(buf);
	close(fd);
	fflush(stdout);
	return err;
}
