/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the sink tests share: a temporary directory per test, files read
 * back whole, loopback collectors (TCP, UDP) and the messages a
 * sink opened by open_sink() sends. Real files, pipes and loopback
 * sockets; the clock is passed in, so the retry schedule is checked
 * exactly.
 */
#ifndef SS_SINK_TESTUTIL_H
#define SS_SINK_TESTUTIL_H

#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "output/sinks/sink.h"
#include "output/sinks/syslog5424.h"

#define MS 1000000LL
#define SEC 1000000000LL
#define T0 (1000 * SEC)		 /* a fake CLOCK_MONOTONIC */
#define TS 1795269731123456789LL /* 2026-11-21T14:02:11.123456789Z */

static char dir[64];
static char path[256];
static char status[512];
static char err[256];
static int saved_stdout = -1;

static inline int setup(void **state)
{
	(void)state;
	return tu_mkdtemp(dir, sizeof(dir), "sink");
}

static inline int teardown(void **state)
{
	(void)state;
	if (saved_stdout >= 0) {
		dup2(saved_stdout, STDOUT_FILENO);
		close(saved_stdout);
		saved_stdout = -1;
	}
	return tu_rm_rf(dir);
}

static inline const char *in_dir(const char *name)
{
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

/* The whole file, or NULL if it does not exist. Caller frees. */
static inline char *slurp(const char *name)
{
	FILE *f = fopen(in_dir(name), "r");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

static inline void assert_file(const char *name, const char *want)
{
	char *got = slurp(name);

	if (!want) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

/* 25 bytes with its newline. */
static inline const char *line(int n)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "{\"event\":\"bind\",\"n\":%03d}\n", n);
	return buf;
}

static inline char *lines(int from, int to)
{
	static char buf[8192];

	buf[0] = '\0';
	for (int i = from; i <= to; i++)
		strcat(buf, line(i));
	return buf;
}

static inline struct sink *open_sink(const char *spec)
{
	struct sink *s = NULL;
	int r = sink__open(&s, spec, "host1", "sockscope", err, sizeof(err));

	if (r)
		fail_msg("sink__open(%s): %d %s", spec, r, err);
	assert_string_equal(sink__name(s), spec);
	return s;
}

/* open_sink() of a spec built from a format, e.g. a loopback port. */
static inline struct sink *open_sinkf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static inline struct sink *open_sinkf(const char *fmt, ...)
{
	char spec[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(spec, sizeof(spec), fmt, ap);
	va_end(ap);
	return open_sink(spec);
}

static inline void put(struct sink *s, const char *l, const char *msgid, int sev, uint32_t pid)
{
	sink__write(s, l, strlen(l), msgid, sev, TS, pid);
}

static inline struct sink_stats stats(struct sink *s)
{
	struct sink_stats st;

	sink__stats(s, &st);
	return st;
}

static inline void pump(struct sink *s, int64_t now)
{
	sink__pump(s, now, status, sizeof(status));
	assert_null(strchr(status, '\n'));
}

static inline void assert_status_has(const char *want)
{
	if (!strstr(status, want))
		fail_msg("status \"%s\" lacks \"%s\"", status, want);
}

/* A bound, not listening TCP socket: its port refuses connections until
 * the test calls listen() on it. */
static inline int tcp_socket(int *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static inline int udp_socket(int family, int *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(&ss, 0, sizeof(ss));
	if (fd < 0)
		return -1;
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		a->sin6_port = htons((uint16_t)*port);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a->sin_port = htons((uint16_t)*port);
	}
	if (bind(fd, (struct sockaddr *)&ss,
		 family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in))) {
		close(fd);
		return -1;
	}
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	*port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					 : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/* One datagram within 2 s, NUL-terminated; its length. */
static inline ssize_t recv_dgram(int fd, char *buf, size_t cap)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n;

	if (poll(&p, 1, 2000) != 1)
		return -1;
	n = recv(fd, buf, cap - 1, 0);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static inline bool nothing_more(int fd)
{
	char c;

	return recv(fd, &c, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN;
}

/* Reads until want bytes arrived (2 s at most), compares. */
static inline void assert_stream(int fd, const char *want, size_t len)
{
	char *got = malloc(len + 1);
	size_t have = 0;

	assert_non_null(got);
	while (have < len) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 2000) != 1)
			fail_msg("stream: %zu of %zu bytes", have, len);
		n = recv(fd, got + have, len - have, 0);
		assert_true(n > 0);
		have += (size_t)n;
	}
	assert_memory_equal(got, want, len);
	free(got);
}

/* The message a syslog sink opened by open_sink() sends for an event. */
static inline size_t rfc5424(char *buf, size_t cap, int fac, int sev, const char *msgid,
			     uint32_t pid, const char *l)
{
	return syslog5424_format(buf, cap, fac, sev, TS, "host1", "sockscope", pid, msgid, l,
				 strlen(l));
}

/* ...and its TCP frame. */
static inline size_t frame(char *buf, size_t cap, int sev, const char *msgid, uint32_t pid,
			   const char *l)
{
	char msg[1024];
	size_t len = rfc5424(msg, sizeof(msg), 3, sev, msgid, pid, l);
	size_t plen = syslog5424_frame_prefix(buf, cap, len);

	memcpy(buf + plen, msg, len + 1);
	return plen + len;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

/* As the daemon does: a reader gone is an error, not death. */
#define run_sink_tests(name, tests)                         \
	(signal(SIGPIPE, SIG_IGN), setenv("TZ", "UTC0", 1), \
	 cmocka_run_group_tests_name(name, tests, NULL, NULL))

#endif
