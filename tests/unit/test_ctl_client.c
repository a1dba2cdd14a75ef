// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The control socket's client: the request it sends, the frames it reads, its
 * bounded waits. */
#include "testutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "runtime/ctl_client.h"

static char sock_path[108];
static int lfd = -1;
static char req[256];
static size_t nreq;
static char out[1024], errs[1024];
static size_t nout, nerr;

enum mode { ANSWER, SILENT, GARBAGE };

static void capture(void *ctx, int stream, const char *p, size_t n)
{
	(void)ctx;
	if (stream == 2) {
		memcpy(errs + nerr, p, n);
		nerr += n;
	} else {
		memcpy(out + nout, p, n);
		nout += n;
	}
}

static const struct writer w = {.write = capture};

static void frame(int fd, char type, const void *p, uint32_t n)
{
	assert_int_equal(write(fd, &type, 1), 1);
	assert_int_equal(write(fd, &n, sizeof(n)), sizeof(n));
	if (n)
		assert_int_equal(write(fd, p, n), (ssize_t)n);
}

static void *serve(void *arg)
{
	enum mode m = (enum mode)(intptr_t)arg;
	int fd = accept(lfd, NULL, NULL);
	int32_t code = 6;

	nreq = 0;
	/* the request ends with an empty argument: two NULs in a row */
	while (nreq < 2 || req[nreq - 1] || req[nreq - 2]) {
		ssize_t n = read(fd, req + nreq, sizeof(req) - nreq);

		if (n <= 0)
			break;
		nreq += (size_t)n;
	}
	if (m == ANSWER) {
		frame(fd, 'O', "row\n", 4);
		frame(fd, 'E', "oops\n", 5);
		frame(fd, 'O', "", 0);
		frame(fd, 'X', &code, sizeof(code));
	} else if (m == GARBAGE) {
		assert_int_equal(write(fd, "{\"error\":\"bad request\"}\n", 24), 24);
	} else {
		frame(fd, 'O', "half", 4);
		usleep(400 * 1000); /* says no more, keeps the connection */
	}
	close(fd);
	return NULL;
}

static int setup(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	(void)state;
	snprintf(sock_path, sizeof(sock_path), "/tmp/ss-ctl-test-%d.sock", (int)getpid());
	unlink(sock_path);
	strcpy(sa.sun_path, sock_path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 4))
		return -1;
	nout = nerr = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	close(lfd);
	unlink(sock_path);
	return 0;
}

static long elapsed_ms;

static int ask_with(enum mode m, int timeout_ms, int *rc)
{
	struct timespec a, b;
	char *argv[] = {"who", "8080", "--json", NULL};
	pthread_t t;
	int err;

	assert_int_equal(pthread_create(&t, NULL, serve, (void *)(intptr_t)m), 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	err = ctl_client__ask(sock_path, argv, &w, timeout_ms, rc);
	clock_gettime(CLOCK_MONOTONIC, &b);
	elapsed_ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	pthread_join(t, NULL);
	return err;
}

static void frames_and_exit_code(void **state)
{
	int rc = -1;

	(void)state;
	assert_int_equal(ask_with(ANSWER, 2000, &rc), 0);
	assert_int_equal(rc, 6);
	assert_int_equal(nreq, sizeof("who\0"
				      "8080\0"
				      "--json\0"));
	assert_memory_equal(req,
			    "who\0"
			    "8080\0"
			    "--json\0",
			    nreq);
	assert_int_equal(nout, 4);
	assert_memory_equal(out, "row\n", 4);
	assert_int_equal(nerr, 5);
	assert_memory_equal(errs, "oops\n", 5);
}

static void silent_server_is_bounded(void **state)
{
	int rc = -1;

	(void)state;
	assert_int_equal(ask_with(SILENT, 150, &rc), -ETIMEDOUT);
	assert_true(elapsed_ms >= 140 && elapsed_ms < 350);
	assert_int_equal(rc, -1);
}

/* An old plain-line server: refused as a protocol error, nothing printed. */
static void not_our_protocol(void **state)
{
	int rc = -1;

	(void)state;
	assert_int_equal(ask_with(GARBAGE, 2000, &rc), -EPROTO);
	assert_int_equal(nout + nerr, 0);
}

static void no_server(void **state)
{
	char *argv[] = {"ports", NULL};

	(void)state;
	close(lfd);
	lfd = -1;
	assert_int_equal(ctl_client__ask(sock_path, argv, &w, 1000, NULL), -ECONNREFUSED);
	unlink(sock_path);
	assert_int_equal(ctl_client__ask(sock_path, argv, &w, 1000, NULL), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		tu_test(frames_and_exit_code),
		tu_test(silent_server_is_bounded),
		tu_test(not_our_protocol),
		tu_test(no_server),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
