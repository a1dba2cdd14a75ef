// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What every sink shares: the bounded queue (drops counted, overflow told
 * once, records kept in order through wraps) and the spec grammar, which
 * accepts the documented forms and says why it refuses the others.
 */
#include "sink_testutil.h"

/* ---- the queue ---- */

static void queue_bound_drops_and_counts(void **state)
{
	char got[2048], want[2048], big[2048];
	struct sink *s;
	struct sink_stats st;
	int port = 0, fd = udp_socket(AF_INET, &port), n = 0, fit;
	size_t len;

	(void)state;
	assert_true(fd >= 0);
	s = open_sinkf("syslog+udp://127.0.0.1:%d?queue_bytes=1K", port);
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
	char l[300], got[2048], want[2048];
	struct sink *s;
	int port = 0, fd = udp_socket(AF_INET, &port), seq = 0, next = 0;

	(void)state;
	assert_true(fd >= 0);
	s = open_sinkf("syslog+udp://127.0.0.1:%d?queue_bytes=1K", port);
	/* Sizes that do not divide the ring: records wrap at every offset. */
	for (int round = 0; round < 200; round++) {
		for (int k = 0; k < 1 + round % 4; k++, seq++) {
			snprintf(l, sizeof(l), "{\"n\":%d,\"p\":\"%.*s\"}", seq, (seq * 37) % 120,
				 "............................................."
				 "............................................."
				 "..............................");
			put(s, l, "bind", 6, 1);
		}
		pump(s, T0);
		while (next < seq) {
			snprintf(l, sizeof(l), "{\"n\":%d,\"p\":\"%.*s\"}", next, (next * 37) % 120,
				 "............................................."
				 "............................................."
				 "..............................");
			rfc5424(want, sizeof(want), 3, 6, "bind", 1, l);
			assert_int_equal(recv_dgram(fd, got, sizeof(got)), strlen(want));
			assert_string_equal(got, want);
			next++;
		}
	}
	assert_int_equal(stats(s).dropped, 0);
	assert_int_equal(stats(s).written, (uint64_t)seq);
	sink__close(s, 0);
	close(fd);
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
		"syslog+tcp://[::1]:514",
		"syslog+udp://127.0.0.1:514?format=local",
		/* 0: never rotated (a file logrotate rotates) */
		"file:/var/log/s.json?max_bytes=0",
		"stdout?queue_bytes=8M",
		/* The one size grammar (lib/parse.h) and IPv6 zones. */
		"file:/tmp/x.json?max_bytes=2TB&queue_bytes=1MiB",
		"syslog+udp://[fe80::1%1]:514",
	};
	static const char *bad[] = {
		"",
		"tcp://127.0.0.1:514",
		"stdout?max_bytes=1",
		"file:",
		"file://relative/path",
		"file:relative/path",
		"file:./x.json",
		"syslog+udp://1.2.3.4",
		"syslog+tcp://[::1]",
		"syslog+udp://127.0.0.1?format=local",
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
		"syslog+tcp://[fe80::1%no-such-if]:514",
		"file:/x?max_bytes=1KX",
		"syslog?queue_bytes=1T",
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
	assert_int_equal(sink__open(&s, "syslog+udp://localhost:514", "h", "a", err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "not a numeric IP address"));
	sink__close(NULL, 0);
}

/* The reasons an operator reads for the values that used to pass. */
static void specs_refused_with_reason(void **state)
{
	static const struct {
		const char *spec, *why;
	} cases[] = {
		{"file:relative/path", "file:relative/path: expected an absolute path"},
		{"file:/x?max_bytes=ten", "max_bytes 'ten': a size such as 10485760 or 10M, "
					  "or 0 (never rotate)"},
		{"syslog+udp://1.2.3.4", "syslog+udp: '1.2.3.4': missing ':PORT'"},
		{"syslog+tcp://[::1]", "syslog+tcp: '[::1]': missing ':PORT'"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		assert_int_equal(sink__check(cases[i].spec, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, cases[i].why);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(queue_bound_drops_and_counts),
		T(queue_wraps_and_keeps_order),
		T(specs_parse_or_say_why_not),
		T(specs_refused_with_reason),
	};

	return run_sink_tests("sink", tests);
}
