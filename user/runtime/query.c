// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/io.h"
#include "runtime/query.h"

static int recv_full(int fd, void *p, size_t n)
{
	char *c = p;

	while (n) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		ssize_t got;

		if (poll(&pf, 1, 2000) <= 0)
			return -ETIMEDOUT;
		got = recv(fd, c, n, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -EIO;
		c += got;
		n -= (size_t)got;
	}
	return 0;
}

/* Asks one engine over its control socket (runtime/ctl_server.h); its
 * 'O' frames hold whole lines. */
static int ask(const char *path, uint16_t port, bool text,
	       void (*fn)(const char *, void *), void *arg)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char buf[65536], req[64];
	size_t used = 0;
	int fd, n, answered = 0;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (errno == ECONNREFUSED)
			unlink(path); /* left behind by an engine that died */
		close(fd);
		return 0;
	}
	n = snprintf(req, sizeof(req), "--engine-history%c%u%c%s%c", 0, port, 0,
		     text ? "text" : "json", 0);
	io_write_all(fd, req, (size_t)n + 1, NULL); /* + the empty argument */
	for (;;) {
		char type, *nl;
		uint32_t len;

		if (recv_full(fd, &type, 1) || recv_full(fd, &len, sizeof(len)))
			break;
		if (type == 'X') {
			answered = 1;
			break;
		}
		if (len > sizeof(buf) - 1 - used ||
		    recv_full(fd, buf + used, len))
			break;
		if (type != 'O')
			continue; /* stderr of the engine: not ours to show */
		used += len;
		buf[used] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			fn(buf, arg);
			used -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, used + 1);
		}
	}
	close(fd);
	return answered;
}

int query_history(uint16_t port, bool text,
		  void (*fn)(const char *line, void *arg), void *arg)
{
	struct dirent *d;
	char path[300];
	DIR *dir = opendir(QUERY_DIR);
	int engines = 0;

	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		if (strncmp(d->d_name, "engine-", 7))
			continue;
		snprintf(path, sizeof(path), QUERY_DIR "/%s", d->d_name);
		engines += ask(path, port, text, fn, arg);
	}
	closedir(dir);
	return engines;
}
