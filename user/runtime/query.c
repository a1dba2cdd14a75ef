// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "kernel/decode.h"
#include "lib/escape.h"
#include "lib/names.h"
#include "output/portrow.h"
#include "runtime/query.h"
#include "runtime/remote.h"

struct query_server {
	int fd;
	char path[108];
};

struct query_server *query_server__open(char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct query_server *q;
	mode_t old;

	if (mkdir(QUERY_DIR, 0700) && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", QUERY_DIR, strerror(errno));
		return NULL;
	}
	q = calloc(1, sizeof(*q));
	if (!q) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(q->path, sizeof(q->path), QUERY_DIR "/engine-%d.sock", (int)getpid());
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", q->path);
	unlink(q->path);
	q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	old = umask(0177); /* the socket file is created 0600 */
	if (q->fd < 0 || bind(q->fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(q->fd, 8)) {
		snprintf(err, errlen, "query socket %s: %s", q->path, strerror(errno));
		umask(old);
		if (q->fd >= 0)
			close(q->fd);
		free(q);
		return NULL;
	}
	umask(old);
	return q;
}

void query_server__close(struct query_server *q)
{
	if (!q)
		return;
	close(q->fd);
	unlink(q->path);
	free(q);
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			return; /* the client went away: its loss */
		}
		p += w;
		n -= (size_t)w;
	}
}

void query_server__serve(struct query_server *q, struct engine *en, struct timefmt *tf)
{
	int fd;

	if (!q || !en)
		return;
	while ((fd = accept4(q->fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		/* the daemon's framed protocol, answered with no store */
		remote_answer(fd, en, NULL, tf);
		close(fd);
	}
}

static int ask(const char *path, uint16_t port, bool text,
	       void (*fn)(const char *, void *), void *arg)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[65536], req[32];
	size_t used = 0;
	int fd, answered = 0;

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
	snprintf(req, sizeof(req), "history %u %s\n", port, text ? "text" : "json");
	write_all(fd, req, strlen(req));
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;
		char *nl;

		if (poll(&p, 1, 2000) <= 0)
			break;
		n = read(fd, buf + used, sizeof(buf) - 1 - used);
		if (n <= 0)
			break;
		used += (size_t)n;
		buf[used] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			if (!strcmp(buf, "{\"end\":true}"))
				answered = 1;
			else
				fn(buf, arg);
			used -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, used + 1);
		}
		if (answered || used == sizeof(buf) - 1)
			break;
	}
	close(fd);
	return answered;
}

int query_history(uint16_t port, bool text, void (*fn)(const char *line, void *arg),
		  void *arg)
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
