// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Syslog sinks on sockets: TCP (backoff while refused, partial writes
 * resumed in order, a closing collector noticed, a flush on close), UDP
 * and AF_UNIX datagrams (one per event, ICMP errors, oversize events, the
 * local and RFC 5424 formats).
 */
#include "sink_testutil.h"

/* ---- TCP ---- */

static void tcp_refused_backs_off_then_delivers_to_new_listener(void **state)
{
	/* When each retry is due, in ms from the first attempt. */
	static const int64_t retry_ms[] = {
		0, 500, 1500, 3500, 7500, 15500, 31500, 61500, 91500,
	};
	char want[4096];
	size_t wlen = 0;
	struct sink *s;
	int lfd, port, cfd;

	(void)state;
	lfd = tcp_socket(&port);
	s = open_sinkf("syslog+tcp://127.0.0.1:%d", port);
	put(s, "{\"event\":\"bind\"}\n", "bind", 6, 10);
	put(s, "{\"event\":\"connect\",\"error\":\"ECONNREFUSED\"}\n", "connect", 4, 11);
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
	wlen += frame(want + wlen, sizeof(want) - wlen, 6, "bind", 10, "{\"event\":\"bind\"}");
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
	struct sink *s;
	int lfd, port;

	(void)state;
	lfd = tcp_socket(&port);
	s = open_sinkf("syslog+tcp://127.0.0.1:%d", port);
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
	char l[256], *want, *got;
	size_t wlen = 0, have = 0;
	struct sink *s;
	int lfd, port, cfd, small = 4096;

	(void)state;
	lfd = tcp_socket(&port);
	/* A small receive window: much of the data waits in our queue and
	 * goes out in pieces cut anywhere in a frame. */
	setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	assert_int_equal(listen(lfd, 4), 0);
	s = open_sinkf("syslog+tcp://127.0.0.1:%d?queue_bytes=16M", port);
	pump(s, T0);
	assert_string_equal(status, "");
	cfd = accept(lfd, NULL, NULL);
	assert_true(cfd >= 0);
	want = malloc((size_t)N * 512);
	got = malloc((size_t)N * 512);
	assert_non_null(want);
	assert_non_null(got);
	for (int i = 0; i < N; i++) {
		snprintf(l, sizeof(l), "{\"event\":\"close\",\"n\":%d,\"pad\":\"%0*d\"}\n", i,
			 100 + i % 50, 0);
		put(s, l, "close", 6, (uint32_t)i + 1);
		l[strlen(l) - 1] = '\0';
		wlen += frame(want + wlen, (size_t)N * 512 - wlen, 6, "close", (uint32_t)i + 1, l);
	}
	pump(s, T0);
	assert_true(stats(s).queued_bytes > 0); /* the socket is full */
	assert_true(stats(s).healthy);		/* and that is no error */
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
	char want[512];
	size_t wlen;
	struct sink *s;
	int lfd, port, cfd;

	(void)state;
	lfd = tcp_socket(&port);
	assert_int_equal(listen(lfd, 4), 0);
	s = open_sinkf("syslog+tcp://127.0.0.1:%d", port);
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
	char want[8192];
	size_t wlen = 0;
	struct sink *s;
	int lfd, port, cfd;
	struct timespec a, b;

	(void)state;
	lfd = tcp_socket(&port);
	assert_int_equal(listen(lfd, 4), 0);
	s = open_sinkf("syslog+tcp://127.0.0.1:%d", port);
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
	s = open_sinkf("syslog+tcp://127.0.0.1:%d", port);
	put(s, line(0), "bind", 6, 1);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(sink__flush(s, 300), -ECONNREFUSED);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_true((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < 1000);
	assert_true(stats(s).errors >= 1);
	sink__close(s, 100);
	close(lfd);
}

/* ---- datagrams ---- */

static void udp_sends_one_datagram_per_event(void **state)
{
	static const int families[] = {AF_INET, AF_INET6};
	char got[2048], want[2048];

	(void)state;
	for (size_t f = 0; f < 2; f++) {
		struct sink *s;
		int port = 0, fd = udp_socket(families[f], &port);

		if (fd < 0 && families[f] == AF_INET6) {
			print_message("no IPv6 loopback: [::1] not tested\n");
			continue;
		}
		assert_true(fd >= 0);
		s = open_sinkf(families[f] == AF_INET6 ? "syslog+udp://[::1]:%d"
						       : "syslog+udp://127.0.0.1:%d",
			       port);
		put(s, "{\"event\":\"bind\"}\n", "bind", 6, 10);
		put(s, "{\"event\":\"listen\",\"error\":\"EADDRINUSE\"}\n", "listen", 4, 11);
		put(s, "{\"event\":\"close\"}\n", "close", 6, 12);
		pump(s, T0);
		assert_string_equal(status, "");
		rfc5424(want, sizeof(want), 3, 6, "bind", 10, "{\"event\":\"bind\"}");
		assert_int_equal(recv_dgram(fd, got, sizeof(got)), strlen(want));
		assert_string_equal(got, want);
		rfc5424(want, sizeof(want), 3, 4, "listen", 11,
			"{\"event\":\"listen\",\"error\":\"EADDRINUSE\"}");
		assert_int_equal(recv_dgram(fd, got, sizeof(got)), strlen(want));
		assert_string_equal(got, want);
		rfc5424(want, sizeof(want), 3, 6, "close", 12, "{\"event\":\"close\"}");
		assert_int_equal(recv_dgram(fd, got, sizeof(got)), strlen(want));
		assert_string_equal(got, want);
		assert_true(nothing_more(fd));
		assert_int_equal(stats(s).written, 3);
		sink__close(s, 0);
		close(fd);
	}
}

static void udp_collector_down_then_back(void **state)
{
	char got[2048], want[2048];
	struct sink *s;
	int port = 0, fd = udp_socket(AF_INET, &port);

	(void)state;
	close(fd); /* nobody at the port: ICMP port unreachable */
	s = open_sinkf("syslog+udp://127.0.0.1:%d", port);
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
	char got[2048], want[2048], *big;
	struct sink *s;
	int port = 0, fd = udp_socket(AF_INET, &port);

	(void)state;
	assert_true(fd >= 0);
	s = open_sinkf("syslog+udp://127.0.0.1:%d", port);
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
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", p);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void unix_socket_local_and_rfc5424_formats(void **state)
{
	char sock[256], got[2048], want[2048];
	struct sink *s;
	int fd;

	(void)state;
	snprintf(sock, sizeof(sock), "%s", in_dir("log.sock"));
	fd = unix_dgram(sock);
	/* Default: the format every /dev/log owner parses. */
	s = open_sinkf("syslog+unix:%s", sock);
	put(s, "{\"event\":\"bind\"}\n", "bind", 4, 42);
	pump(s, T0);
	syslog_local_format(want, sizeof(want), 3, 4, TS, "sockscope", 42, "{\"event\":\"bind\"}",
			    16);
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
	syslog_local_format(want, sizeof(want), 3, 6, TS, "sockscope", 42, "{\"event\":\"close\"}",
			    17);
	assert_int_equal(recv_dgram(fd, got, sizeof(got)), strlen(want));
	assert_string_equal(got, want);
	sink__close(s, 0);

	s = open_sinkf("syslog+unix:%s?format=rfc5424&facility=local0", sock);
	put(s, "{\"event\":\"bind\"}\n", "bind", 6, 42);
	pump(s, T0);
	rfc5424(want, sizeof(want), 16, 6, "bind", 42, "{\"event\":\"bind\"}");
	assert_int_equal(recv_dgram(fd, got, sizeof(got)), strlen(want));
	assert_string_equal(got, want);
	sink__close(s, 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(tcp_refused_backs_off_then_delivers_to_new_listener),
		T(tcp_first_report_names_the_error),
		T(tcp_partial_writes_resume_in_order),
		T(tcp_collector_closing_is_noticed_before_sending),
		T(close_flushes_what_is_queued),
		T(udp_sends_one_datagram_per_event),
		T(udp_collector_down_then_back),
		T(udp_event_too_big_for_a_datagram_is_dropped_and_told),
		T(unix_socket_local_and_rfc5424_formats),
	};

	return run_sink_tests("sink_net", tests);
}
