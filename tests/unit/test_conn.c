// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The servers of the event loop: requests in several segments, silent
 * clients past the cap or the deadline, and the control socket's framing.
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

#include "lib/timefmt.h"
#include "runtime/conn.h"
#include "runtime/ctl_server.h"

/* Complete at the first empty line; the reply names the request's length. */
static int on_request(void *ctx, struct conn *c, const char *in, size_t len)
{
	char reply[32];
	int n;

	(void)ctx;
	if (!memmem(in, len, "\n\n", 2))
		return 0;
	n = snprintf(reply, sizeof(reply), "ok %zu\n", len);
	conn_reply(c, reply, (size_t)n);
	return 1;
}

static const struct conn_ops ops = {.request = on_request};

struct fixture {
	int epfd;
	struct sockaddr_in sa;
	struct conn_server *srv;
};

static void pump(struct fixture *f, int timeout_ms)
{
	tu_pump(f->epfd, timeout_ms);
}

static void open_fixture(struct fixture *f, unsigned int max_conns, uint64_t request_ns)
{
	struct conn_opts o = {
		.ops = &ops,
		.max_conns = max_conns,
		.max_request = 256,
		.max_reply = 4096,
		.request_ns = request_ns,
		.reply_ns = 1000000000ull,
	};
	socklen_t len = sizeof(f->sa);
	char err[128];
	int fd;

	f->epfd = epoll_create1(EPOLL_CLOEXEC);
	assert_true(f->epfd >= 0);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	memset(&f->sa, 0, sizeof(f->sa));
	f->sa.sin_family = AF_INET;
	f->sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&f->sa, sizeof(f->sa)), 0);
	assert_int_equal(listen(fd, 64), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&f->sa, &len), 0);
	assert_int_equal(conn_server__open(&f->srv, f->epfd, fd, &o, err, sizeof(err)), 0);
}

static void close_fixture(struct fixture *f)
{
	conn_server__close(f->srv);
	close(f->epfd);
}

static int client(struct fixture *f)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_int_equal(connect(fd, (struct sockaddr *)&f->sa, sizeof(f->sa)), 0);
	return fd;
}

/* What the server sent, after pumping the loop a while; "" if closed. */
static void read_reply(struct fixture *f, int fd, char *buf, size_t len)
{
	tu_read_reply(f->epfd, fd, buf, len, 50, 10);
}

static bool closed_by_server(struct fixture *f, int fd)
{
	char c;

	pump(f, 10);
	return recv(fd, &c, 1, MSG_DONTWAIT) == 0;
}

static void test_request_in_segments(void **state)
{
	struct fixture f;
	char buf[64];
	int fd;

	(void)state;
	open_fixture(&f, 4, 2000000000ull);
	fd = client(&f);
	assert_int_equal(send(fd, "GET", 3, 0), 3);
	pump(&f, 20);
	assert_int_equal(send(fd, " /x\n", 4, 0), 4);
	pump(&f, 20);
	assert_int_equal(conn_server__nr(f.srv), 1); /* waiting for the rest */
	assert_int_equal(send(fd, "\n", 1, 0), 1);
	read_reply(&f, fd, buf, sizeof(buf));
	assert_string_equal(buf, "ok 8\n");
	assert_int_equal(conn_server__nr(f.srv), 0);
	close(fd);
	close_fixture(&f);
}

static void test_silent_clients_past_the_cap(void **state)
{
	struct fixture f;
	int silent[6], fd;
	char buf[64];

	(void)state;
	open_fixture(&f, 4, 2000000000ull);
	for (int i = 0; i < 6; i++) {
		silent[i] = client(&f);
		pump(&f, 10);
	}
	assert_int_equal(conn_server__nr(f.srv), 4);
	/* the oldest made room for the newest */
	assert_true(closed_by_server(&f, silent[0]));
	assert_true(closed_by_server(&f, silent[1]));
	assert_false(closed_by_server(&f, silent[5]));
	/* and one that asks is still answered */
	fd = client(&f);
	assert_int_equal(send(fd, "a\n\n", 3, 0), 3);
	read_reply(&f, fd, buf, sizeof(buf));
	assert_string_equal(buf, "ok 3\n");
	close(fd);
	for (int i = 0; i < 6; i++)
		close(silent[i]);
	close_fixture(&f);
}

static void test_deadline_closes_silent_client(void **state)
{
	struct fixture f;
	uint64_t until;
	int fd;

	(void)state;
	open_fixture(&f, 4, 50000000ull); /* 50 ms to send the request */
	fd = client(&f);
	assert_int_equal(send(fd, "GET", 3, 0), 3);
	pump(&f, 10);
	assert_int_equal(conn_server__nr(f.srv), 1);
	until = mono_now_ns() + 500000000ull;
	while (conn_server__nr(f.srv) && mono_now_ns() < until)
		pump(&f, 20);
	assert_int_equal(conn_server__nr(f.srv), 0);
	assert_true(closed_by_server(&f, fd));
	close(fd);
	close_fixture(&f);
}

static void test_oversized_request_dropped(void **state)
{
	struct fixture f;
	char big[300];
	int fd;

	(void)state;
	open_fixture(&f, 4, 2000000000ull);
	memset(big, 'x', sizeof(big));
	fd = client(&f);
	assert_int_equal(send(fd, big, sizeof(big), 0), (ssize_t)sizeof(big));
	pump(&f, 20);
	pump(&f, 20);
	assert_int_equal(conn_server__nr(f.srv), 0);
	close(fd);
	close_fixture(&f);
}

static void test_ctl_request_framing(void **state)
{
	char req[] = "who\0"
		     "8080\0"
		     "--json\0";
	char *argv[8];
	int argc = 0;

	(void)state;
	/* not complete until the empty argument */
	assert_false(ctl_request_parse(req, 4, argv, 8, &argc));
	assert_false(ctl_request_parse(req, sizeof(req) - 1, argv, 8, &argc));
	assert_true(ctl_request_parse(req, sizeof(req), argv, 8, &argc));
	assert_int_equal(argc, 4);
	assert_string_equal(argv[0], "sockscope");
	assert_string_equal(argv[1], "who");
	assert_string_equal(argv[2], "8080");
	assert_string_equal(argv[3], "--json");
	/* a ping */
	assert_true(ctl_request_parse(req + sizeof(req) - 1, 1, argv, 8, &argc));
	assert_int_equal(argc, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_in_segments),
		cmocka_unit_test(test_silent_clients_past_the_cap),
		cmocka_unit_test(test_deadline_closes_silent_client),
		cmocka_unit_test(test_oversized_request_dropped),
		cmocka_unit_test(test_ctl_request_framing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
