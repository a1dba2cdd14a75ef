// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Sinks deliver every queued line in order, never block, and survive a
 * failing destination: reported once, retried on the backoff schedule,
 * counted when the queue overflows. Real files, pipes and loopback sockets;
 * the clock is passed in, so the retry schedule is checked exactly.
 */
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
#define T0 (1000 * SEC) /* a fake CLOCK_MONOTONIC */
#define TS 1795269731123456789LL /* 2026-11-21T14:02:11.123456789Z */

static char dir[64];
static char path[256];
static char status[512];
static char err[256];
static int saved_stdout = -1;

/* ---- helpers ---- */

static int rm_one(const char *p, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/sockscope-sink-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	if (saved_stdout >= 0) {
		dup2(saved_stdout, STDOUT_FILENO);
		close(saved_stdout);
		saved_stdout = -1;
	}
	return nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static const char *in_dir(const char *name)
{
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

/* The whole file, or NULL if it does not exist. Caller frees. */
static char *slurp(const char *name)
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

static void assert_file(const char *name, const char *want)
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
static const char *line(int n)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "{\"event\":\"bind\",\"n\":%03d}\n", n);
	return buf;
}

static char *lines(int from, int to)
{
	static char buf[8192];

	buf[0] = '\0';
	for (int i = from; i <= to; i++)
		strcat(buf, line(i));
	return buf;
}

static struct sink *open_sink(const char *spec)
{
	struct sink *s = NULL;
	int r = sink__open(&s, spec, "host1", "sockscope", err, sizeof(err));

	if (r)
		fail_msg("sink__open(%s): %d %s", spec, r, err);
	assert_string_equal(sink__name(s), spec);
	return s;
}

static void put(struct sink *s, const char *l, const char *msgid, int sev,
		uint32_t pid)
{
	sink__write(s, l, strlen(l), msgid, sev, TS, pid);
}

static struct sink_stats stats(struct sink *s)
{
	struct sink_stats st;

	sink__stats(s, &st);
	return st;
}

static void pump(struct sink *s, int64_t now)
{
	sink__pump(s, now, status, sizeof(status));
	assert_null(strchr(status, '\n'));
}

static void assert_status_has(const char *want)
{
	if (!strstr(status, want))
		fail_msg("status \"%s\" lacks \"%s\"", status, want);
}

/* A bound, not listening TCP socket: its port refuses connections until
 * the test calls listen() on it. */
static int tcp_socket(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
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

static int udp_socket(int family, int *port)
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
	if (bind(fd, (struct sockaddr *)&ss, family == AF_INET6 ?
			     sizeof(struct sockaddr_in6) :
			     sizeof(struct sockaddr_in))) {
		close(fd);
		return -1;
	}
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	*port = ntohs(family == AF_INET6 ?
			      ((struct sockaddr_in6 *)&ss)->sin6_port :
			      ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/* One datagram within 2 s, NUL-terminated; its length. */
static ssize_t recv_dgram(int fd, char *buf, size_t cap)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, 2000) != 1)
		return -1;
	n = recv(fd, buf, cap - 1, 0);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static bool nothing_more(int fd)
{
	char c;

	return recv(fd, &c, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN;
}

/* Reads until want bytes arrived (2 s at most), compares. */
static void assert_stream(int fd, const char *want, size_t len)
{
	char *got = malloc(len + 1);
	size_t have = 0;

	assert_non_null(got);
	while (have < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
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
static size_t rfc5424(char *buf, size_t cap, int fac, int sev,
		      const char *msgid, uint32_t pid, const char *l)
{
	return syslog5424_format(buf, cap, fac, sev, TS, "host1", "sockscope",
				 pid, msgid, l, strlen(l));
}

/* ...and its TCP frame. */
static size_t frame(char *buf, size_t cap, int sev, const char *msgid,
		    uint32_t pid, const char *l)
{
	char msg[1024];
	size_t len = rfc5424(msg, sizeof(msg), 3, sev, msgid, pid, l);
	size_t plen = syslog5424_frame_prefix(buf, cap, len);

	memcpy(buf + plen, msg, len + 1);
	return plen + len;
}

/* ---- file sink ---- */

static void file_writes_lines_and_rotates_keeping_keep_files(void **state)
{
	char spec[320];
	struct sink *s;
	struct sink_stats st;

	(void)state;
	/* 4 lines of 25 bytes fill a file; the 5th goes to a new one. */
	snprintf(spec, sizeof(spec), "file:%s?max_bytes=100&keep=2",
		 in_dir("ev.json"));
	s = open_sink(spec);
	for (int i = 0; i < 6; i++) {
		put(s, line(i), "bind", 6, 1);
		pump(s, T0);
		assert_string_equal(status, "");
	}
	assert_file("ev.json", lines(4, 5));
	assert_file("ev.json.1", lines(0, 3));
	/* Many lines in one pump: rotation happens mid-batch. */
	for (int i = 6; i < 18; i++)
		put(s, line(i), "bind", 6, 1);
	pump(s, T0);
	assert_string_equal(status, "");
	assert_file("ev.json", lines(16, 17));
	assert_file("ev.json.1", lines(12, 15));
	assert_file("ev.json.2", lines(8, 11));
	assert_file("ev.json.3", NULL); /* exactly keep old files */
	st = stats(s);
	assert_int_equal(st.written, 18);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.errors, 0);
	assert_int_equal(st.queued_bytes, 0);
	assert_true(st.healthy);
	sink__close(s, 0);

	/* A line without its newline gets one; keep=0 keeps nothing. */
	snprintf(spec, sizeof(spec), "file:%s?max_bytes=50&keep=0",
		 in_dir("k0.json"));
	s = open_sink(spec);
	for (int i = 0; i < 5; i++)
		sink__write(s, line(i), 24, "bind", 6, TS, 1);
	pump(s, T0);
	assert_file("k0.json", lines(4, 4));
	assert_file("k0.json.1", NULL);
	sink__close(s, 0);
}

static void file_reopens_after_rename(void **state)
{
	char spec[320], moved[256];
	struct sink *s;

	(void)state;
	snprintf(spec, sizeof(spec), "file:%s", in_dir("ev.json"));
	s = open_sink(spec);
	put(s, line(1), "bind", 6, 1);
	pump(s, T0);
	/* logrotate moves the file: we still write to it until SIGHUP. */
	snprintf(moved, sizeof(moved), "%s", in_dir("ev.json.old"));
	assert_int_equal(rename(in_dir("ev.json"), moved), 0);
	put(s, line(2), "bind", 6, 1);
	pump(s, T0);
	assert_file("ev.json", NULL);
	sink__reopen(s);
	put(s, line(3), "bind", 6, 1);
	pump(s, T0 + MS);
	assert_string_equal(status, "");
	assert_file("ev.json.old", lines(1, 2));
	assert_file("ev.json", lines(3, 3));
	assert_int_equal(stats(s).written, 3);
	sink__close(s, 0);
}

static void file_on_full_disk_reports_once_and_counts_drops(void **state)
{
	struct sink *s;
	struct sink_stats st;

	(void)state;
	/* /dev/full: every write fails with ENOSPC, like a full disk. */
	s = open_sink("file:/dev/full?queue_bytes=1024");
	put(s, line(0), "bind", 6, 1);
	pump(s, T0);
	assert_status_has("write: No space left on device");
	assert_status_has("retrying in 0.5 s");
	st = stats(s);
	assert_false(st.healthy);
	assert_int_equal(st.errors, 1);
	assert_int_equal(st.written, 0);
	/* The tracer goes on; the queue (40 bytes a line) fills, then drops. */
	for (int i = 1; i < 100; i++)
		put(s, line(i), "bind", 6, 1);
	st = stats(s);
	assert_int_equal(st.dropped, 100 - 1024 / 40);
	assert_int_equal(st.queued_bytes, 25 * (1024 / 40));
	pump(s, T0 + 100 * MS); /* before the retry */
	assert_string_equal(status, "queue full (1024 bytes): dropping events");
	assert_int_equal(stats(s).errors, 1);
	pump(s, T0 + 500 * MS); /* retry: fails again, not reported again */
	assert_string_equal(status, "");
	assert_int_equal(stats(s).errors, 2);
	pump(s, T0 + 600 * MS);
	assert_string_equal(status, "");
	sink__close(s, 0);
}

static void file_in_missing_dir_is_created(void **state)
{
	char spec[320];
	struct sink *s;

	(void)state;
	snprintf(spec, sizeof(spec), "file:%s/new/sub/ev.json", in_dir(""));
	s = open_sink(spec);
	put(s, line(0), "bind", 6, 1);
	pump(s, T0);
	assert_string_equal(status, "");
	assert_int_equal(stats(s).written, 1);
	assert_file("new/sub/ev.json", lines(0, 0));
	sink__close(s, 0);
}

/* A directory that cannot be made yet (a file stands in the way): errors,
 * backoff and drops, then delivery once the way is clear. */
static void file_in_unmakeable_dir_recovers_when_it_appears(void **state)
{
	char spec[320], sub[256];
	struct sink *s;
	struct sink_stats st;
	FILE *f;

	(void)state;
	snprintf(sub, sizeof(sub), "%s", in_dir("blocked"));
	f = fopen(sub, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(spec, sizeof(spec), "file:%s/ev.json?queue_bytes=1024", sub);
	s = open_sink(spec);
	assert_true(stats(s).healthy); /* nothing tried yet */
	put(s, line(0), "bind", 6, 1);
	pump(s, T0);
	assert_status_has("open: Not a directory");
	for (int i = 1; i < 30; i++)
		put(s, line(i), "bind", 6, 1);
	pump(s, T0 + 500 * MS);
	assert_string_equal(status, "queue full (1024 bytes): dropping events");
	pump(s, T0 + 1000 * MS); /* next retry at 0.5 + 1.0 s */
	assert_string_equal(status, "");
	assert_int_equal(stats(s).errors, 2);
	assert_int_equal(unlink(sub), 0);
	assert_int_equal(mkdir(sub, 0700), 0);
	pump(s, T0 + 1499 * MS);
	assert_int_equal(stats(s).written, 0);
	pump(s, T0 + 1500 * MS);
	assert_string_equal(status, "delivering again after 1.5 s; "
				    "5 events dropped meanwhile");
	st = stats(s);
	assert_true(st.healthy);
	assert_int_equal(st.written, 25);
	assert_int_equal(st.dropped, 5);
	assert_int_equal(st.queued_bytes, 0);
	assert_file("blocked/ev.json", lines(0, 24));
	/* The queue drained: a new overflow would be reported again. */
	pump(s, T0 + 1600 * MS);
	assert_string_equal(status, "");
	sink__close(s, 0);
}

/* ---- TCP ---- */

static void tcp_refused_backs_off_then_delivers_to_new_listener(void **state)
{
	/* When each retry is due, in ms from the first attempt. */
	static const int64_t retry_ms[] = {
		0, 500, 1500, 3500, 7500, 15500, 31500, 61500, 91500,
	};
	char spec[64], want[4096];
	size_t wlen = 0;
	struct sink *s;
	int lfd, port, cfd;

	(void)state;
	lfd = tcp_socket(&port);
	snprintf(spec, sizeof(spec), "syslog+tcp://127.0.0.1:%d", port);
	s = open_sink(spec);
	put(s, "{\"event\":\"bind\"}\n", "bind", 6, 10);
	put(s, "{\"event\":\"connect\",\"error\":\"ECONNREFUSED\"}\n",
	    "connect", 4, 11);
	put(s, "{\"event\":\"lost\",\"lost\":3}\n", "lost", 4, 0);
	for (size_t i = 0; i < sizeof(retry_ms) / sizeof(retry_ms[0]); i++) {
		if (i) {
			pump(s, T0 + (retry_ms[i] - 1) * MS);
			assert_int_equal(stats(s).errors, i);
			assert_string_equal(status, "");
		}
		pump(s, T0 + retry_ms[i] * MS);
		assert_int_equal(stats(s).errors, i + 1);
		if (i)
			assert_string_equal(status, "");
	}
	assert_false(stats(s).healthy);
	assert_int_equal(stats(s).written, 0);
	assert_int_equal(listen(lfd, 4), 0);
	pump(s, T0 + 121499 * MS); /* capped at 30 s: due at 121.5 s */
	assert_int_equal(stats(s).errors, 9);
	pump(s, T0 + 121500 * MS);
	assert_string_equal(status, "delivering again after 121.5 s; "
				    "0 events dropped meanwhile");
	assert_true(stats(s).healthy);
	assert_int_equal(stats(s).written, 3);
	cfd = accept(lfd, NULL, NULL);
	assert_true(cfd >= 0);
	wlen += frame(want + wlen, sizeof(want) - wlen, 6, "bind", 10,
		      "{\"event\":\"bind\"}");
	wlen += frame(want + wlen, sizeof(want) - wlen, 4, "connect", 11,
		      "{\"event\":\"connect\",\"error\":\"ECONNREFUSED\"}");
	wlen += frame(want + wlen, sizeof(want) - wlen, 4, "lost", 0,
		      "{\"event\":\"lost\",\"lost\":3}");
	assert_stream(cfd, want, wlen);
	assert_true(nothing_more(cfd));
	sink__close(s, 0);
	close(cfd);
	close(lfd);
}

static void tcp_first_report_names_the_error(void **state)
{
	char spec[64];
	struct sink *s;
	int lfd, port;

	(void)state;
	lfd = tcp_socket(&port);
	snprintf(spec, sizeof(spec), "syslog+tcp://127.0.0.1:%d", port);
	s = open_sink(spec);
	pump(s, T0);
	assert_string_equal(status, "connect: Connection refused; retrying in "
				    "0.5 s, doubling to 30 s");
	sink__close(s, 0);
	close(lfd);
}

static void tcp_partial_writes_resume_in_order(void **state)
{
	/* More than the kernel's socket buffers take (loopback's big MSS
	 * lets the send buffer grow to megabytes). */
	enum { N = 30000 };
	char spec[64], l[256], *want, *got;
	size_t wlen = 0, have = 0;
	struct sink *s;
	int lfd, port, cfd, small = 4096;

	(void)state;
	lfd = tcp_socket(&port);
	/* A small receive window: much of the data waits in our queue and
	 * goes out in pieces cut anywhere in a frame. */
	setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	assert_int_equal(listen(lfd, 4), 0);
	snprintf(spec, sizeof(spec), "syslog+tcp://127.0.0.1:%d?queue_bytes=16M",
		 port);
	s = open_sink(spec);
	pump(s, T0);
	assert_string_equal(status, "");
	cfd = accept(lfd, NULL, NULL);
	assert_true(cfd >= 0);
	want = malloc((size_t)N * 512);
	got = malloc((size_t)N * 512);
	assert_non_null(want);
	assert_non_null(got);
	for (int i = 0; i < N; i++) {
		snprintf(l, sizeof(l), "{\"event\":\"close\",\"n\":%d,\"pad\":\"%0*d\"}\n",
			 i, 100 + i % 50, 0);
		put(s, l, "close", 6, (uint32_t)i + 1);
		l[strlen(l) - 1] = '\0';
		wlen += frame(want + wlen, (size_t)N * 512 - wlen, 6, "close",
			      (uint32_t)i + 1, l);
	}
	pump(s, T0);
	assert_true(stats(s).queued_bytes > 0); /* the socket is full */
	assert_true(stats(s).healthy); /* and that is no error */
	assert_int_equal(stats(s).errors, 0);
	for (int round = 0; have < wlen && round < 100000; round++) {
		ssize_t n = recv(cfd, got + have, wlen - have, MSG_DONTWAIT);

		if (n > 0)
			have += (size_t)n;
		pump(s, T0 + round * MS);
		assert_string_equal(status, "");
	}
	assert_int_equal(have, wlen);
	assert_memory_equal(got, want, wlen);
	assert_int_equal(stats(s).written, N);
	assert_int_equal(stats(s).queued_bytes, 0);
	free(want);
	free(got);
	sink__close(s, 0);
	close(cfd);
	close(lfd);
}

static void tcp_collector_closing_is_noticed_before_sending(void **state)
{
	char spec[64], want[512];
	size_t wlen;
	struct sink *s;
	int lfd, port, cfd;

	(void)state;
	lfd = tcp_socket(&port);
	assert_int_equal(listen(lfd, 4), 0);
	snprintf(spec, sizeof(spec), "syslog+tcp://127.0.0.1:%d", port);
	s = open_sink(spec);
	pump(s, T0);
	cfd = accept(lfd, NULL, NULL);
	assert_true(cfd >= 0);
	close(cfd); /* the collector restarts */
	put(s, "{\"event\":\"bind\"}", "bind", 6, 7);
	pump(s, T0 + MS);
	assert_string_equal(status, "connection: closed by the collector; "
				    "retrying in 0.5 s, doubling to 30 s");
	assert_int_equal(stats(s).written, 0);
	pump(s, T0 + 501 * MS);
	assert_status_has("delivering again after 0.5 s");
	cfd = accept(lfd, NULL, NULL);
	assert_true(cfd >= 0);
	wlen = frame(want, sizeof(want), 6, "bind", 7, "{\"event\":\"bind\"}");
	assert_stream(cfd, want, wlen);
	assert_int_equal(stats(s).written, 1);
	sink__close(s, 0);
	close(cfd);
	close(lfd);
}

static void close_flushes_what_is_queued(void **state)
{
	char spec[64], want[8192];
	size_t wlen = 0;
	struct sink *s;
	int lfd, port, cfd;
	struct timespec a, b;

	(void)state;
	lfd = tcp_socket(&port);
	assert_int_equal(listen(lfd, 4), 0);
	snprintf(spec, sizeof(spec), "syslog+tcp://127.0.0.1:%d", port);
	s = open_sink(spec);
	for (int i = 0; i < 10; i++) {
		char l[32];

		put(s, line(i), "bind", 6, 1);
		snprintf(l, sizeof(l), "%.24s", line(i));
		wlen += frame(want + wlen, sizeof(want) - wlen, 6, "bind", 1, l);
	}
	sink__close(s, 2000); /* never pumped: close connects and sends */
	cfd = accept(lfd, NULL, NULL);
	assert_true(cfd >= 0);
	assert_stream(cfd, want, wlen);
	close(cfd);

	/* A collector that is down costs at most the timeout. */
	assert_int_equal(close(lfd), 0);
	lfd = tcp_socket(&port);
	snprintf(spec, sizeof(spec), "syslog+tcp://127.0.0.1:%d", port);
	s = open_sink(spec);
	put(s, line(0), "bind", 6, 1);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(sink__flush(s, 300), -ECONNREFUSED);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_true((b.tv_sec - a.tv_sec) * 1000 +
			    (b.tv_nsec - a.tv_nsec) / 1000000 <
		    1000);
	assert_true(stats(s).errors >= 1);
	sink__close(s, 100);
	close(lfd);
}

/* ---- datagrams ---- */

static void udp_sends_one_datagram_per_event(void **state)
{
	static const int families[] = { AF_INET, AF_INET6 };
	char spec[64], got[2048], want[2048];

	(void)state;
	for (size_t f = 0; f < 2; f++) {
		struct sink *s;
		int port = 0, fd = udp_socket(families[f], &port);

		if (fd < 0 && families[f] == AF_INET6) {
			print_message("no IPv6 loopback: [::1] not tested\n");
			continue;
		}
		assert_true(fd >= 0);
		snprintf(spec, sizeof(spec),
			 families[f] == AF_INET6 ? "syslog+udp://[::1]:%d" :
						   "syslog+udp://127.0.0.1:%d",
			 port);
		s = open_sink(spec);
		put(s, "{\"event\":\"bind\"}\n", "bind", 6, 10);
		put(s, "{\"event\":\"listen\",\"error\":\"EADDRINUSE\"}\n",
		    "listen", 4, 11);
		put(s, "{\"event\":\"close\"}\n", "close", 6, 12);
		pump(s, T0);
		assert_string_equal(status, "");
		rfc5424(want, sizeof(want), 3, 6, "bind", 10, "{\"event\":\"bind\"}");
		assert_int_equal(recv_dgram(fd, got, sizeof(got)),
				 strlen(want));
		assert_string_equal(got, want);
		rfc5424(want, sizeof(want), 3, 4, "listen", 11,
			"{\"event\":\"listen\",\"error\":\"EADDRINUSE\"}");
		assert_int_equal(recv_dgram(fd, got, sizeof(got)),
				 strlen(want));
		assert_string_equal(got, want);
		rfc5424(want, sizeof(want), 3, 6, "close", 12, "{\"event\":\"close\"}");
		assert_int_equal(recv_dgram(fd, got, sizeof(got)),
				 strlen(want));
		assert_string_equal(got, want);
		assert_true(nothing_more(fd));
		assert_int_equal(stats(s).written, 3);
		sink__close(s, 0);
		close(fd);
	}
}

static void udp_collector_down_then_back(void **state)
{
	char spec[64], got[2048], want[2048];
	struct sink *s;
	int port = 0, fd = udp_socket(AF_INET, &port);

	(void)state;
	close(fd); /* nobody at the port: ICMP port unreachable */
	snprintf(spec, sizeof(spec), "syslog+udp://127.0.0.1:%d", port);
	s = open_sink(spec);
	put(s, "{\"n\":1}", "bind", 6, 1);
	pump(s, T0); /* UDP cannot know: sent, lost */
	assert_int_equal(stats(s).written, 1);
	put(s, "{\"n\":2}", "bind", 6, 1);
	pump(s, T0 + MS); /* the ICMP error came back */
	assert_status_has("send: Connection refused");
	assert_int_equal(stats(s).written, 1);
	fd = udp_socket(AF_INET, &port);
	assert_true(fd >= 0);
	pump(s, T0 + 501 * MS);
	assert_status_has("delivering again");
	rfc5424(want, sizeof(want), 3, 6, "bind", 1, "{\"n\":2}");
	assert_int_equal(recv_dgram(fd, got, sizeof(got)), strlen(want));
	assert_string_equal(got, want);
	sink__close(s, 0);
	close(fd);
}

static void udp_event_too_big_for_a_datagram_is_dropped_and_told(void **state)
{
	char spec[64], got[2048], want[2048], *big;
	struct sink *s;
	int port = 0, fd = udp_socket(AF_INET, &port);

	(void)state;
	assert_true(fd >= 0);
	snprintf(spec, sizeof(spec), "syslog+udp://127.0.0.1:%d", port);
	s = open_sink(spec);
	big = malloc(70000);
	assert_non_null(big);
	memset(big, 'x', 69999);
	big[69999] = '\0';
	put(s, big, "bind", 6, 1);
	put(s, "{\"n\":2}", "bind", 6, 1);
	pump(s, T0);
	/* Retrying could never work: dropped, told, and the next one goes. */
	assert_status_has("bytes: too big for one datagram");
	assert_int_equal(stats(s).dropped, 1);
	assert_int_equal(stats(s).written, 1);
	assert_true(stats(s).healthy);
	rfc5424(want, sizeof(want), 3, 6, "bind", 1, "{\"n\":2}");
	assert_int_equal(recv_dgram(fd, got, sizeof(got)), strlen(want));
	assert_string_equal(got, want);
	free(big);
	sink__close(s, 0);
	close(fd);
}

static int unix_dgram(const char *p)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", p);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void unix_socket_local_and_rfc5424_formats(void **state)
{
	char spec[320], sock[256], got[2048], want[2048];
	struct sink *s;
	int fd;

	(void)state;
	snprintf(sock, sizeof(sock), "%s", in_dir("log.sock"));
	fd = unix_dgram(sock);
	/* Default: the format every /dev/log owner parses. */
	snprintf(spec, sizeof(spec), "syslog+unix:%s", sock);
	s = open_sink(spec);
	put(s, "{\"event\":\"bind\"}\n", "bind", 4, 42);
	pump(s, T0);
	syslog_local_format(want, sizeof(want), 3, 4, TS, "sockscope", 42,
			    "{\"event\":\"bind\"}", 16);
	assert_int_equal(recv_dgram(fd, got, sizeof(got)), strlen(want));
	assert_string_equal(got, want);

	/* The owner goes away: reported; back, and SIGHUP: at once. */
	close(fd);
	unlink(sock);
	put(s, "{\"event\":\"close\"}\n", "close", 6, 42);
	pump(s, T0 + MS);
	assert_status_has("Connection refused");
	fd = unix_dgram(sock);
	sink__reopen(s);
	pump(s, T0 + 2 * MS);
	assert_status_has("delivering again");
	syslog_local_format(want, sizeof(want), 3, 6, TS, "sockscope", 42,
			    "{\"event\":\"close\"}", 17);
	assert_int_equal(recv_dgram(fd, got, sizeof(got)), strlen(want));
	assert_string_equal(got, want);
	sink__close(s, 0);

	snprintf(spec, sizeof(spec), "syslog+unix:%s?format=rfc5424&facility=local0",
		 sock);
	s = open_sink(spec);
	put(s, "{\"event\":\"bind\"}\n", "bind", 6, 42);
	pump(s, T0);
	rfc5424(want, sizeof(want), 16, 6, "bind", 42, "{\"event\":\"bind\"}");
	assert_int_equal(recv_dgram(fd, got, sizeof(got)), strlen(want));
	assert_string_equal(got, want);
	sink__close(s, 0);
	close(fd);
}

/* ---- the queue ---- */

static void queue_bound_drops_and_counts(void **state)
{
	char spec[64], got[2048], want[2048], big[2048];
	struct sink *s;
	struct sink_stats st;
	int port = 0, fd = udp_socket(AF_INET, &port), n = 0, fit;
	size_t len;

	(void)state;
	assert_true(fd >= 0);
	snprintf(spec, sizeof(spec), "syslog+udp://127.0.0.1:%d?queue_bytes=1K",
		 port);
	s = open_sink(spec);
	/* Each queued message takes its length plus an 8-byte header,
	 * rounded up to 8: the first `fit` events are kept, in order. */
	len = rfc5424(want, sizeof(want), 3, 6, "bind", 1, line(0));
	fit = (int)(1024 / ((8 + len + 7) & ~(size_t)7));
	for (int i = 0; i < 100; i++)
		put(s, line(i), "bind", 6, 1);
	st = stats(s);
	assert_int_equal(st.dropped, 100 - fit);
	assert_int_equal(st.queued_bytes, fit * len);
	assert_int_equal(st.written, 0);
	pump(s, T0);
	assert_string_equal(status, "queue full (1024 bytes): dropping events");
	/* Loopback UDP: every datagram sent is already in our buffer. */
	for (; recv(fd, got, sizeof(got) - 1, MSG_DONTWAIT) > 0; n++) {
		rfc5424(want, sizeof(want), 3, 6, "bind", 1, line(n));
		assert_memory_equal(got, want, len);
	}
	assert_int_equal(n, fit);
	st = stats(s);
	assert_int_equal(st.written, (uint64_t)fit);
	assert_int_equal(st.queued_bytes, 0);
	assert_true(st.healthy); /* dropping is not an outage */
	/* Told once per overflow; drained, the next one is told again. */
	pump(s, T0 + MS);
	assert_string_equal(status, "");
	for (int i = 0; i < 100; i++)
		put(s, line(i), "bind", 6, 1);
	pump(s, T0 + 2 * MS);
	assert_string_equal(status, "queue full (1024 bytes): dropping events");
	/* One event bigger than the whole queue. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	put(s, big, "bind", 6, 1);
	pump(s, T0 + 3 * MS);
	assert_status_has("bytes: larger than the queue");
	sink__close(s, 0);
	close(fd);
}

static void queue_wraps_and_keeps_order(void **state)
{
	char spec[64], l[300], got[2048], want[2048];
	struct sink *s;
	int port = 0, fd = udp_socket(AF_INET, &port), seq = 0, next = 0;

	(void)state;
	assert_true(fd >= 0);
	snprintf(spec, sizeof(spec), "syslog+udp://127.0.0.1:%d?queue_bytes=1K",
		 port);
	s = open_sink(spec);
	/* Sizes that do not divide the ring: records wrap at every offset. */
	for (int round = 0; round < 200; round++) {
		for (int k = 0; k < 1 + round % 4; k++, seq++) {
			snprintf(l, sizeof(l), "{\"n\":%d,\"p\":\"%.*s\"}", seq,
				 (seq * 37) % 120, "........................................................................................................................");
			put(s, l, "bind", 6, 1);
		}
		pump(s, T0);
		while (next < seq) {
			snprintf(l, sizeof(l), "{\"n\":%d,\"p\":\"%.*s\"}", next,
				 (next * 37) % 120, "........................................................................................................................");
			rfc5424(want, sizeof(want), 3, 6, "bind", 1, l);
			assert_int_equal(recv_dgram(fd, got, sizeof(got)),
					 strlen(want));
			assert_string_equal(got, want);
			next++;
		}
	}
	assert_int_equal(stats(s).dropped, 0);
	assert_int_equal(stats(s).written, (uint64_t)seq);
	sink__close(s, 0);
	close(fd);
}

/* ---- stdout ---- */

static void stdout_to_a_full_pipe_never_blocks(void **state)
{
	enum { N = 200, LEN = 1000 };
	char *want, *got, l[LEN + 1];
	size_t have = 0;
	struct sink *s;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	fflush(stdout);
	saved_stdout = dup(STDOUT_FILENO);
	assert_int_equal(dup2(p[1], STDOUT_FILENO), STDOUT_FILENO);
	close(p[1]);
	s = open_sink("stdout");
	want = malloc((size_t)N * LEN);
	got = malloc((size_t)N * LEN);
	assert_non_null(want);
	assert_non_null(got);
	for (int i = 0; i < N; i++) {
		snprintf(l, sizeof(l), "{\"n\":%04d,\"pad\":\"%0*d\"}\n", i,
			 LEN - 20, 0);
		assert_int_equal(strlen(l), LEN);
		memcpy(want + (size_t)i * LEN, l, LEN);
		put(s, l, "bind", 6, 1);
	}
	alarm(20); /* a blocking write would hang here: fail instead */
	pump(s, T0);
	assert_int_equal(stats(s).errors, 0);
	assert_true(stats(s).queued_bytes > 0); /* 200 KB > the pipe */
	assert_true(stats(s).healthy);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	for (int round = 0; have < (size_t)N * LEN && round < 100000; round++) {
		ssize_t n = read(p[0], got + have, (size_t)N * LEN - have);

		if (n > 0)
			have += (size_t)n;
		pump(s, T0);
	}
	alarm(0);
	assert_int_equal(have, (size_t)N * LEN);
	assert_memory_equal(got, want, have);
	assert_int_equal(stats(s).written, N);
	sink__close(s, 0);
	close(p[0]);
	free(want);
	free(got);
}

/* ---- specs ---- */

static void specs_parse_or_say_why_not(void **state)
{
	static const char *good[] = {
		"stdout",
		"file:/var/log/sockscope/events.json?max_bytes=10485760&keep=5",
		"file:///var/log/sockscope/events.json",
		"file:/tmp/x.json?max_bytes=1G&queue_bytes=64K&keep=0",
		"syslog",
		"syslog?facility=local3&format=rfc5424",
		"syslog+unix:/run/other.sock",
		"syslog+udp://127.0.0.1:5514",
		"syslog+tcp://127.0.0.1:5514?facility=16",
		"syslog+udp://[::1]:5514",
		"syslog+tcp://[::1]",
		"syslog+udp://127.0.0.1?format=local",
		"stdout?queue_bytes=8M",
	};
	static const char *bad[] = {
		"",
		"tcp://127.0.0.1:514",
		"stdout?max_bytes=1",
		"file:",
		"file://relative/path",
		"file:/x?keep=1001",
		"file:/x?keep=5K",
		"file:/x?max_bytes=ten",
		"file:/x?max_bytes",
		"file:/x?facility=daemon",
		"syslog?queue_bytes=100",
		"syslog?queue_bytes=2G",
		"syslog?facility=local8",
		"syslog?facility=24",
		"syslog?format=json",
		"syslog+unix:",
		"syslog+udp://",
		"syslog+udp://localhost:514",
		"syslog+udp://::1:514",
		"syslog+tcp://[::1:514",
		"syslog+tcp://127.0.0.1:0",
		"syslog+tcp://127.0.0.1:65536",
		"syslog+tcp://127.0.0.1:51x",
		"syslog+tcp://127.0.0.1:",
		"syslog+tcp://[::1]x",
	};
	struct sink *s;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(sink__check(good[i], err, sizeof(err)), 0);
		s = open_sink(good[i]);
		sink__close(s, 0); /* never pumped: nothing opened or sent */
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s = (struct sink *)1;
		err[0] = '\0';
		if (sink__open(&s, bad[i], "h", "a", err, sizeof(err)) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
		assert_null(s);
		if (!err[0] || strchr(err, '\n'))
			fail_msg("'%s': reason \"%s\"", bad[i], err);
		assert_int_equal(sink__check(bad[i], err, sizeof(err)), -EINVAL);
	}
	assert_int_equal(sink__open(&s, "syslog+udp://localhost:514", "h", "a",
				    err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "not a numeric IP address"));
	sink__close(NULL, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(file_writes_lines_and_rotates_keeping_keep_files),
		T(file_reopens_after_rename),
		T(file_on_full_disk_reports_once_and_counts_drops),
		T(file_in_missing_dir_is_created),
		T(file_in_unmakeable_dir_recovers_when_it_appears),
		T(tcp_refused_backs_off_then_delivers_to_new_listener),
		T(tcp_first_report_names_the_error),
		T(tcp_partial_writes_resume_in_order),
		T(tcp_collector_closing_is_noticed_before_sending),
		T(close_flushes_what_is_queued),
		T(udp_sends_one_datagram_per_event),
		T(udp_collector_down_then_back),
		T(udp_event_too_big_for_a_datagram_is_dropped_and_told),
		T(unix_socket_local_and_rfc5424_formats),
		T(queue_bound_drops_and_counts),
		T(queue_wraps_and_keeps_order),
		T(stdout_to_a_full_pipe_never_blocks),
		T(specs_parse_or_say_why_not),
	};

	/* As the daemon does: a reader gone is an error, not death. */
	signal(SIGPIPE, SIG_IGN);
	setenv("TZ", "UTC0", 1);
	return cmocka_run_group_tests_name("sink", tests, NULL, NULL);
}
