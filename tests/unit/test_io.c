// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * io_write_all() (lib/io.h) writes every byte through short writes and
 * signals, reports how far it got on a full non-blocking fd, and turns a
 * gone socket peer into -EPIPE without raising SIGPIPE.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "lib/io.h"

enum { BIG = 1 << 20 };

static volatile sig_atomic_t ticks;

/* A bounded number of interruptions: under valgrind, a signal every
 * 500 us could interrupt every write before it wrote anything, forever. */
static void on_tick(int sig)
{
	static const struct itimerval off;

	(void)sig;
	if (++ticks >= 200)
		setitimer(ITIMER_REAL, &off, NULL);
}

struct reader {
	int fd;
	char *buf;
	size_t len;
};

/* Reads slowly, in small pieces, until EOF. */
static void *read_slowly(void *arg)
{
	struct reader *r = arg;

	for (;;) {
		ssize_t n =
			read(r->fd, r->buf + r->len, r->len + 3000 <= BIG ? 3000 : BIG - r->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		r->len += (size_t)n;
		usleep(50);
	}
	return NULL;
}

static char *pattern(void)
{
	char *p = malloc(BIG);

	assert_non_null(p);
	for (size_t i = 0; i < BIG; i++)
		p[i] = (char)(i * 7 + i / 251);
	return p;
}

static void pipe_short_writes_and_signals_still_write_everything(void **state)
{
	struct sigaction sa = {.sa_handler = on_tick}; /* no SA_RESTART */
	struct itimerval it = {{0, 500}, {0, 500}}, off = {{0, 0}, {0, 0}};
	struct reader r = {0};
	char *want = pattern();
	pthread_t th;
	sigset_t alrm;
	size_t done = 0;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	/* A small pipe: the writer waits on the reader again and again. */
	fcntl(p[1], F_SETPIPE_SZ, 4096);
	r.fd = p[0];
	r.buf = malloc(BIG);
	assert_non_null(r.buf);
	/* The reader blocks SIGALRM (it inherits the mask): the signals go
	 * to the writer. */
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alrm, NULL);
	assert_int_equal(pthread_create(&th, NULL, read_slowly, &r), 0);
	pthread_sigmask(SIG_UNBLOCK, &alrm, NULL);
	/* Signals interrupt the blocked write(): EINTR, or a short count. */
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, NULL), 0);
	ticks = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	assert_int_equal(io_write_all(p[1], want, BIG, &done), 0);
	setitimer(ITIMER_REAL, &off, NULL);
	signal(SIGALRM, SIG_DFL);
	assert_int_equal(done, BIG);
	close(p[1]);
	pthread_join(th, NULL);
	close(p[0]);
	assert_true(ticks > 0);
	assert_int_equal(r.len, BIG);
	assert_memory_equal(r.buf, want, BIG);
	free(r.buf);
	free(want);
}

static void nonblocking_full_pipe_says_how_much_went(void **state)
{
	char *want = pattern();
	size_t done = 1, got = 0;
	char buf[65536];
	int p[2];
	ssize_t n;

	(void)state;
	assert_int_equal(pipe(p), 0);
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	assert_int_equal(io_write_all(p[1], want, BIG, &done), -EAGAIN);
	assert_true(done > 0 && done < BIG);
	/* What went is exactly the first done bytes. */
	while ((n = read(p[0], buf, sizeof(buf))) > 0) {
		assert_memory_equal(buf, want + got, (size_t)n);
		got += (size_t)n;
	}
	assert_int_equal(got, done);
	/* The rest goes once there is room. */
	assert_int_equal(io_write_all(p[1], want + done, 100, &done), 0);
	assert_int_equal(done, 100);
	close(p[0]);
	close(p[1]);
	free(want);
}

static void gone_socket_peer_is_epipe_not_sigpipe(void **state)
{
	size_t done = 42;
	int sv[2];

	(void)state;
	/* The default action of SIGPIPE would end this test program. */
	signal(SIGPIPE, SIG_DFL);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(io_write_all(sv[0], "hello", 5, &done), 0);
	assert_int_equal(done, 5);
	close(sv[1]);
	assert_int_equal(io_write_all(sv[0], "again", 5, &done), -EPIPE);
	assert_int_equal(done, 0);
	close(sv[0]);
}

static void nothing_to_write_and_bad_fds(void **state)
{
	size_t done = 42;
	int p[2];

	(void)state;
	assert_int_equal(io_write_all(-1, "x", 0, &done), 0);
	assert_int_equal(done, 0);
	assert_int_equal(io_write_all(-1, "x", 1, NULL), -EBADF);
	/* A read-only fd. */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(io_write_all(p[0], "x", 1, &done), -EBADF);
	assert_int_equal(done, 0);
	/* A file: not a socket, written with write(). */
	{
		char path[] = "/tmp/sockscope-io-XXXXXX", buf[16] = {0};
		int fd = mkstemp(path);

		assert_true(fd >= 0);
		unlink(path);
		assert_int_equal(io_write_all(fd, "abc", 3, NULL), 0);
		assert_int_equal(pread(fd, buf, sizeof(buf), 0), 3);
		assert_string_equal(buf, "abc");
		close(fd);
	}
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pipe_short_writes_and_signals_still_write_everything),
		cmocka_unit_test(nonblocking_full_pipe_says_how_much_went),
		cmocka_unit_test(gone_socket_peer_is_epipe_not_sigpipe),
		cmocka_unit_test(nothing_to_write_and_bad_fds),
	};

	return cmocka_run_group_tests_name("io", tests, NULL, NULL);
}
