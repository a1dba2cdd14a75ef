// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/exitcodes.h"
#include "lib/io.h"
#include "lib/parse.h"
#include "runtime/ctl_client.h"

#define MAX_FRAME (64u << 20)

static void stdio_write(void *ctx, int stream, const char *p, size_t n)
{
	(void)ctx;
	fwrite(p, 1, n, stream == 2 ? stderr : stdout);
	if (stream == 2)
		fflush(stderr);
}

const struct writer ctl_stdio_writer = {.write = stdio_write};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for ev on fd until the deadline: 0, or -ETIMEDOUT / -errno. */
static int wait_for(int fd, short ev, int64_t deadline)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = ev};
		int64_t left = deadline - now_ms();
		int n;

		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

/* A whole request on a non-blocking socket, waiting for room until deadline. */
static int send_all(int fd, const char *p, size_t n, int64_t deadline)
{
	size_t done;
	int err;

	while ((err = io_write_all(fd, p, n, &done)) == -EAGAIN) {
		p += done;
		n -= done;
		if ((err = wait_for(fd, POLLOUT, deadline)))
			return err;
	}
	return err;
}

static int recv_all(int fd, void *buf, size_t n, int64_t deadline)
{
	char *p = buf;

	while (n) {
		ssize_t got = recv(fd, p, n, 0);
		int err;

		if (got > 0) {
			p += got;
			n -= (size_t)got;
			continue;
		}
		if (!got)
			return -EPROTO; /* closed before the exit code */
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		if ((err = wait_for(fd, POLLIN, deadline)))
			return err;
	}
	return 0;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/* non-blocking: a server whose backlog is full fails now (EAGAIN) */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* The request: each argument with its NUL, then the empty one. */
static int send_request(int fd, char *const *argv, int64_t deadline)
{
	int err = 0;

	for (size_t i = 0; argv && argv[i] && !err; i++)
		err = send_all(fd, argv[i], strlen(argv[i]) + 1, deadline);
	return err ? err : send_all(fd, "", 1, deadline);
}

int ctl_client__read_reply(int fd, const struct writer *w, int timeout_ms, int *rc)
{
	int64_t deadline = now_ms() + timeout_ms;
	char *buf = NULL;
	int err;

	for (;;) {
		uint32_t len;
		char type;

		if ((err = recv_all(fd, &type, 1, deadline)) ||
		    (err = recv_all(fd, &len, sizeof(len), deadline)))
			break;
		if (len > MAX_FRAME || (type == 'X' && len != sizeof(int32_t)) ||
		    (type != 'X' && type != 'O' && type != 'E')) {
			err = -EPROTO;
			break;
		}
		free(buf);
		buf = malloc(len ? len : 1);
		if (!buf) {
			err = -ENOMEM;
			break;
		}
		if ((err = recv_all(fd, buf, len, deadline)))
			break;
		if (type == 'X') {
			int32_t code;

			memcpy(&code, buf, sizeof(code));
			if (rc)
				*rc = code;
			break;
		}
		if (w && len)
			w->write(w->ctx, type == 'E' ? 2 : 1, buf, len);
	}
	free(buf);
	return err;
}

int ctl_client__ask(const char *path, char *const *argv, const struct writer *w, int timeout_ms,
		    int *rc)
{
	int64_t deadline = now_ms() + timeout_ms;
	int fd = connect_to(path), err;

	if (fd < 0)
		return fd;
	err = send_request(fd, argv, deadline);
	if (!err)
		err = ctl_client__read_reply(fd, w, (int)(deadline - now_ms()), rc);
	close(fd);
	return err;
}

int ctl_client__forward(int argc, char **argv, int *rc)
{
	char *args[66];
	int n = 0, err;

	/* argv[1..]: at most the server's 64 arguments; more is refused there
	 */
	for (int i = 1; i < argc && n < 65; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	err = ctl_client__ask(CTL_DAEMON_SOCKET, args, &ctl_stdio_writer, CTL_DAEMON_TIMEOUT_MS,
			      rc);
	fflush(stdout);
	/*
	 * No daemon, or (-EACCES: the root-only socket) none this user may ask:
	 * connect() failed, nothing was asked, the caller answers itself (and
	 * says so if the database is not this user's to read either).
	 */
	if (err == -ENOENT || err == -ECONNREFUSED || err == -EAGAIN || err == -ENOTDIR ||
	    err == -EACCES)
		return err;
	if (err) {
		/* it took the question: answering again here could print twice
		 */
		fprintf(stderr, "sockscope: the daemon did not answer: %s\n", strerror(-err));
		if (rc)
			*rc = SS_EXIT_RUNTIME;
	}
	return 0;
}

/* Only the rows (stdout) of an engine's answer, counted. */
struct rows_only {
	const struct writer *w;
	long lines;
};

static void rows_only_write(void *ctx, int stream, const char *p, size_t n)
{
	struct rows_only *r = ctx;

	if (stream != 1)
		return; /* "no history matches" from one engine says nothing of
			   the others */
	for (size_t i = 0; i < n; i++)
		r->lines += p[i] == '\n';
	r->w->write(r->w->ctx, 1, p, n);
}

/* "engine-PID.sock": PID, else 0 */
static pid_t engine_socket_pid(const char *name)
{
	size_t n = strlen(name);
	uint64_t pid;
	char num[16];

	if (strncmp(name, "engine-", 7) || n <= 12 || n - 12 >= sizeof(num) ||
	    strcmp(name + n - 5, ".sock"))
		return 0;
	memcpy(num, name + 7, n - 12);
	num[n - 12] = '\0';
	if (parse_u64(num, 1, INT32_MAX, &pid))
		return 0;
	return (pid_t)pid;
}

void ctl_client__sweep_engines(void)
{
	DIR *dir = opendir(CTL_DIR);
	struct dirent *d;
	char path[300];

	while (dir && (d = readdir(dir))) {
		pid_t pid = engine_socket_pid(d->d_name);

		/* its engine was killed (kill -9 leaves the socket behind) */
		if (pid > 0 && kill(pid, 0) && errno == ESRCH) {
			snprintf(path, sizeof(path), CTL_DIR "/%s", d->d_name);
			unlink(path);
		}
	}
	if (dir)
		closedir(dir);
}

long ctl_client__ask_engines(char *const *argv, const struct writer *w, int *engines)
{
	struct rows_only ro = {.w = w};
	struct writer out = {.write = rows_only_write, .ctx = &ro};
	DIR *dir = opendir(CTL_DIR);
	struct dirent *d;
	char path[300];
	int answered = 0;

	while (dir && (d = readdir(dir))) {
		int err, code;

		if (!engine_socket_pid(d->d_name))
			continue;
		snprintf(path, sizeof(path), CTL_DIR "/%s", d->d_name);
		err = ctl_client__ask(path, argv, &out, CTL_ENGINE_TIMEOUT_MS, &code);
		if (err == -ECONNREFUSED)
			unlink(path); /* left behind by an engine that died */
		answered += !err;
	}
	if (dir)
		closedir(dir);
	if (engines)
		*engines = answered;
	return ro.lines;
}

bool ctl_client__engines_present(void)
{
	DIR *dir = opendir(CTL_DIR);
	struct dirent *d;
	bool found = false;

	while (dir && !found && (d = readdir(dir))) {
		pid_t pid = engine_socket_pid(d->d_name);

		found = pid > 0 && !(kill(pid, 0) && errno == ESRCH);
	}
	if (dir)
		closedir(dir);
	return found;
}
