// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "cmd/cli.h"
#include "runtime/answers.h"
#include "lib/exitcodes.h"
#include "runtime/query.h"
#include "runtime/remote.h"

#define MAX_REQUEST 8192
#define MAX_ARGS 64

struct remote_server {
	int fd;
};

struct remote_server *remote_server__open(char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct remote_server *r;
	mode_t old;

	if (mkdir(QUERY_DIR, 0700) && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", QUERY_DIR, strerror(errno));
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", REMOTE_SOCKET);
	/* a live daemon answers: refuse to steal its socket */
	if (remote_forward(0, NULL, NULL) == 0) {
		snprintf(err, errlen, "another sockscope daemon is running (%s answers)",
			 REMOTE_SOCKET);
		free(r);
		return NULL;
	}
	unlink(REMOTE_SOCKET);
	r->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	old = umask(0177);
	if (r->fd < 0 || bind(r->fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(r->fd, 16)) {
		snprintf(err, errlen, "query socket %s: %s", REMOTE_SOCKET, strerror(errno));
		umask(old);
		if (r->fd >= 0)
			close(r->fd);
		free(r);
		return NULL;
	}
	umask(old);
	return r;
}

void remote_server__close(struct remote_server *r)
{
	if (!r)
		return;
	close(r->fd);
	unlink(REMOTE_SOCKET);
	free(r);
}

static void send_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);

		if (w <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			return; /* the client went away, or is too slow: its loss */
		}
		c += w;
		n -= (size_t)w;
	}
}

static void send_frame(int fd, char type, const char *p, size_t n)
{
	uint32_t len = (uint32_t)n;

	send_all(fd, &type, 1);
	send_all(fd, &len, sizeof(len));
	send_all(fd, p, n);
}

static void frame_write(void *ctx, int stream, const char *p, size_t n)
{
	send_frame(*(int *)ctx, stream == 2 ? 'E' : 'O', p, n);
}

/* Reads "arg\0arg\0...\0\0" (the empty argument ends it). */
static int read_request(int fd, char *buf, size_t cap, char **argv, int *argc)
{
	size_t used = 0;

	*argc = 1;
	argv[0] = "sockscope";
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 200) <= 0)
			return -ETIMEDOUT; /* a silent client does not stall the daemon */
		n = recv(fd, buf + used, cap - used, 0);
		if (n <= 0)
			return -EIO;
		used += (size_t)n;
		if (used >= 2 && !buf[used - 1] && !buf[used - 2])
			break;
		if (used == 1 && !buf[0])
			break; /* a ping: empty command */
		if (used == cap)
			return -E2BIG;
	}
	for (size_t i = 0; i < used && buf[i] && *argc < MAX_ARGS; i += strlen(buf + i) + 1)
		argv[(*argc)++] = buf + i;
	return 0;
}

void remote_answer(int fd, struct engine *en, struct store *st, struct timefmt *tf)
{
	struct writer w = { .write = frame_write, .ctx = &fd };
	struct timeval tv = { .tv_sec = 2 };
	char buf[MAX_REQUEST], err[512], *argv[MAX_ARGS];
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct cli_opts o;
	int argc, rc;
	int32_t code;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) || cred.uid != 0)
		return; /* root only: the answers name every user's processes */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (read_request(fd, buf, sizeof(buf), argv, &argc))
		return;
	if (argc == 1) {
		code = 0; /* ping */
	} else if ((rc = cli_parse(argc, argv, &o, err, sizeof(err)))) {
		writer_printf(&w, 2, "sockscope: %s\n", err);
		code = rc;
	} else if ((o.command == SS_CMD_PORTS && !o.watch) || o.command == SS_CMD_WHO ||
		   o.command == SS_CMD_HISTORY) {
		code = answers__run(en, st, tf, &o, &w);
	} else {
		writer_printf(&w, 2, "sockscope: the daemon answers ports, who and history\n");
		code = SS_EXIT_USAGE;
	}
	send_frame(fd, 'X', (const char *)&code, sizeof(code));
}

void remote_server__serve(struct remote_server *r, struct engine *en, struct store *st,
			  struct timefmt *tf)
{
	int fd;

	if (!r)
		return;
	while ((fd = accept4(r->fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		remote_answer(fd, en, st, tf);
		close(fd);
	}
}

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
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 30 };
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
		send_all(fd, argv[i], strlen(argv[i]) + 1);
	send_all(fd, "", 1); /* the empty argument ends the command (alone: a ping) */
	for (;;) {
		char type;
		uint32_t len;

		if (recv_all(fd, &type, 1) || recv_all(fd, &len, sizeof(len)) || len > (64u << 20))
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
