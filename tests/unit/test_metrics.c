// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Metrics: the exposition text (families, samples, label escaping) and the
 * HTTP server on loopback, driven through its epoll set as the runtime does:
 * a scrape split across segments, another path, a bad address.
 */
#include "testutil.h"
#include "loop_testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "output/metrics.h"
#include "runtime/conn.h"

static void test_family_and_samples(void **state)
{
	char buf[512];
	struct sbuf sb;

	(void)state;
	sbuf_init(&sb, buf, sizeof(buf));
	metrics_family(&sb, "sockscope_events_total", "counter", "Kernel events seen, by type.");
	metrics_sample(&sb, "sockscope_events_total", "event", "bind", 42);
	metrics_sample(&sb, "sockscope_lost_records_total", NULL, NULL, 0);
	assert_false(sb.overflow);
	buf[sb.len] = '\0';
	assert_string_equal(buf, "# HELP sockscope_events_total Kernel events seen, by type.\n"
				 "# TYPE sockscope_events_total counter\n"
				 "sockscope_events_total{event=\"bind\"} 42\n"
				 "sockscope_lost_records_total 0\n");
}

/* Label values come from configuration (sink specs): escaped as the text
 * format requires, so no value can break a line or a label. */
static void test_label_escaping(void **state)
{
	char buf[256];
	struct sbuf sb;

	(void)state;
	sbuf_init(&sb, buf, sizeof(buf));
	metrics_sample(&sb, "m", "sink", "file:/a\"b\\c\nd", 7);
	buf[sb.len] = '\0';
	assert_string_equal(buf, "m{sink=\"file:/a\\\"b\\\\c\\nd\"} 7\n");
}

static void render(struct sbuf *sb, void *arg)
{
	metrics_family(sb, "sockscope_test", "gauge", "A test.");
	metrics_sample(sb, "sockscope_test", NULL, NULL, *(unsigned long long *)arg);
}

/* A loopback port nobody listens on now. */
static unsigned int free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static int client(unsigned int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Everything the server sends until it closes, pumping its loop meanwhile. */
static void read_all(int epfd, int fd, char *buf, size_t len)
{
	tu_read_reply(epfd, fd, buf, len, 200, 5);
}

static void test_scrape_in_segments(void **state)
{
	unsigned long long value = 12345;
	struct metrics_server *m;
	unsigned int port = free_port();
	char addr[32], err[256], reply[2048];
	int epfd = epoll_create1(EPOLL_CLOEXEC), fd;

	(void)state;
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", port);
	assert_int_equal(metrics_server__open(&m, epfd, addr, render, &value, err, sizeof(err)), 0);

	/* the request line and the headers in three writes */
	fd = client(port);
	assert_int_equal(send(fd, "GET /met", 8, 0), 8);
	tu_pump(epfd, 20);
	assert_int_equal(send(fd, "rics HTTP/1.1\r\nHost: x\r\n", 24, 0), 24);
	tu_pump(epfd, 20);
	assert_int_equal(send(fd, "\r\n", 2, 0), 2);
	read_all(epfd, fd, reply, sizeof(reply));
	close(fd);
	assert_non_null(strstr(reply, "HTTP/1.0 200 OK\r\n"));
	assert_non_null(strstr(reply, "Content-Type: text/plain; version=0.0.4"));
	assert_non_null(strstr(reply, "\r\n\r\n# HELP sockscope_test A test.\n"
				      "# TYPE sockscope_test gauge\n"
				      "sockscope_test 12345\n"));

	/* anything else is a 404, and the server goes on */
	fd = client(port);
	assert_int_equal(send(fd, "GET / HTTP/1.0\r\n\r\n", 18, 0), 18);
	read_all(epfd, fd, reply, sizeof(reply));
	close(fd);
	assert_non_null(strstr(reply, "HTTP/1.0 404 Not Found\r\n"));

	value = 7;
	fd = client(port);
	assert_int_equal(send(fd, "GET /metrics HTTP/1.0\r\n\r\n", 25, 0), 25);
	read_all(epfd, fd, reply, sizeof(reply));
	close(fd);
	assert_non_null(strstr(reply, "sockscope_test 7\n"));

	metrics_server__close(m);
	close(epfd);
}

static void test_bad_addresses(void **state)
{
	struct metrics_server *m;
	unsigned long long v = 0;
	char err[256];
	int epfd = epoll_create1(EPOLL_CLOEXEC);

	(void)state;
	/* an IPv6 address without brackets is ambiguous */
	assert_int_equal(metrics_server__open(&m, epfd, "::1:9463", render, &v, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "::1:9463"));
	assert_int_equal(metrics_server__open(&m, epfd, "127.0.0.1", render, &v, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(
		metrics_server__open(&m, epfd, "127.0.0.1:70000", render, &v, err, sizeof(err)),
		-EINVAL);
	assert_null(m);
	close(epfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_family_and_samples),
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_scrape_in_segments),
		cmocka_unit_test(test_bad_addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
