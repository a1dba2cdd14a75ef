// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * holder: keeps N TCP/UDP sockets open across P processes, for snapshot
 * (`ports --all` vs ss vs lsof) and memory benchmarks.
 *
 *   holder -n 20000 -p 100 [-t TIMEOUT_SECS]
 *
 * Each process holds about N/P sockets, on its own loopback address
 * 127.64.X.Y (all of 127/8 is local on Linux) plus some on [::1]:
 *   2% TCP listeners, 58% connected TCP (both ends: connect + accept),
 *   20% bound UDP, 20% bound + connected UDP.
 * No traffic is sent. When every process is ready, the parent prints
 *   {"holder":"ready","sockets":N,"processes":P,"pids":[...]}
 * and holds until stdin reaches EOF, SIGTERM/SIGINT, or the timeout
 * (default 3600 s); then every process exits. Children die with the parent.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gen.h"

#define MAX_PROCS 1000

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void die(int idx, const char *what)
{
	fprintf(stderr, "holder[%d]: %s: %s\n", idx, what, strerror(errno));
	_exit(1);
}

static socklen_t proc_addr(struct sockaddr_storage *ss, int idx, int v6)
{
	socklen_t len = gen_loopback(ss, v6, 0);

	if (!v6) {
		unsigned int n = (unsigned int)idx + 1;

		((struct sockaddr_in *)ss)->sin_addr.s_addr =
			htonl((127u << 24) | (64u << 16) | ((n >> 8) & 0xff) << 8 | (n & 0xff));
	}
	return len;
}

static int bound_socket(int idx, int type, int v6, struct sockaddr_storage *out, socklen_t *outlen)
{
	struct sockaddr_storage ss;
	socklen_t len = proc_addr(&ss, idx, v6);
	int fd = socket(v6 ? AF_INET6 : AF_INET, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die(idx, "socket");
	if (bind(fd, (struct sockaddr *)&ss, len))
		die(idx, "bind");
	if (out) {
		*outlen = sizeof(*out);
		if (getsockname(fd, (struct sockaddr *)out, outlen))
			die(idx, "getsockname");
	}
	return fd;
}

/* Creates k sockets; returns how many. */
static int hold(int idx, int k)
{
	int nl = k / 50 > 0 ? k / 50 : 1, made = 0, pairs, nub, nuc;
	struct sockaddr_storage *laddr, uaddr4, uaddr6;
	socklen_t *llen, ulen4 = 0, ulen6 = 0;
	int *lfd;

	laddr = calloc((size_t)nl, sizeof(*laddr));
	llen = calloc((size_t)nl, sizeof(*llen));
	lfd = calloc((size_t)nl, sizeof(*lfd));
	if (!laddr || !llen || !lfd)
		die(idx, "calloc");
	if (nl > k)
		nl = k;
	for (int i = 0; i < nl; i++) {
		int v6 = i % 5 == 4;

		lfd[i] = bound_socket(idx, SOCK_STREAM, v6, &laddr[i], &llen[i]);
		if (listen(lfd[i], 128))
			die(idx, "listen");
		made++;
	}
	pairs = (k - made) * 58 / 100 / 2;
	for (int i = 0; i < pairs; i++) {
		int l = i % nl, c, s;

		c = socket(laddr[l].ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c < 0)
			die(idx, "socket");
		if (connect(c, (struct sockaddr *)&laddr[l], llen[l]))
			die(idx, "connect");
		s = accept4(lfd[l], NULL, NULL, SOCK_CLOEXEC);
		if (s < 0)
			die(idx, "accept");
		made += 2;
	}
	nub = (k - made) / 2;
	nuc = k - made - nub;
	if (nub == 0 && nuc > 0) {
		nub = 1;
		nuc--;
	}
	for (int i = 0; i < nub; i++) {
		int v6 = i % 5 == 4;

		if (i == 0)
			bound_socket(idx, SOCK_DGRAM, 0, &uaddr4, &ulen4);
		else if (i == 4)
			bound_socket(idx, SOCK_DGRAM, 1, &uaddr6, &ulen6);
		else
			bound_socket(idx, SOCK_DGRAM, v6, NULL, NULL);
		made++;
	}
	for (int i = 0; i < nuc; i++) {
		int v6 = i % 5 == 4 && ulen6;
		int fd = bound_socket(idx, SOCK_DGRAM, v6, NULL, NULL);

		if (connect(fd, (struct sockaddr *)(v6 ? &uaddr6 : &uaddr4), v6 ? ulen6 : ulen4))
			die(idx, "connect udp");
		made++;
	}
	free(laddr);
	free(llen);
	free(lfd);
	return made;
}

int main(int argc, char **argv)
{
	int nprocs = 100, res[2], status, total = 0, failed = 0;
	long nsock = 20000, timeout = 3600;
	static pid_t pids[MAX_PROCS];
	struct sigaction sa;
	struct pollfd pfd;
	rlim_t nofile;
	double end;
	int c;

	while ((c = getopt(argc, argv, "n:p:t:h")) != -1) {
		switch (c) {
		case 'n':
			nsock = strtol(optarg, NULL, 10);
			break;
		case 'p':
			nprocs = (int)strtol(optarg, NULL, 10);
			break;
		case 't':
			timeout = strtol(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: %s [-n SOCKETS] [-p PROCESSES] [-t TIMEOUT_SECS]\n",
				argv[0]);
			return c == 'h' ? 0 : 2;
		}
	}
	if (nsock < 1 || nprocs < 1 || nprocs > MAX_PROCS || nsock < nprocs || timeout < 1) {
		fprintf(stderr, "holder: bad -n/-p/-t\n");
		return 2;
	}
	nofile = gen_raise_nofile();
	if ((rlim_t)(nsock / nprocs + 16) > nofile) {
		fprintf(stderr,
			"holder: %ld sockets per process exceed the open-file limit %llu: use more processes\n",
			nsock / nprocs + 1, (unsigned long long)nofile);
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (pipe(res)) {
		perror("pipe");
		return 1;
	}
	for (int i = 0; i < nprocs; i++) {
		int k = (int)(nsock / nprocs) + (i < nsock % nprocs ? 1 : 0);

		pids[i] = fork();
		if (pids[i] < 0) {
			perror("fork");
			nprocs = i;
			failed = 1;
			break;
		}
		if (pids[i] == 0) {
			int made;

			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() == 1)
				_exit(1);
			close(res[0]);
			made = hold(i, k);
			if (write(res[1], &made, sizeof(made)) != sizeof(made))
				_exit(1);
			for (;;)
				pause();
		}
	}
	close(res[1]);
	for (int i = 0; i < nprocs && !failed; i++) {
		int made;

		if (read(res[0], &made, sizeof(made)) != sizeof(made)) {
			failed = 1;
			break;
		}
		total += made;
	}
	if (!failed) {
		printf("{\"holder\":\"ready\",\"sockets\":%d,\"processes\":%d,\"pids\":[", total,
		       nprocs);
		for (int i = 0; i < nprocs; i++)
			printf("%s%d", i ? "," : "", (int)pids[i]);
		printf("]}\n");
		fflush(stdout);
		end = gen_now() + (double)timeout;
		pfd.fd = STDIN_FILENO;
		pfd.events = POLLIN;
		while (!stopping && gen_now() < end) {
			char buf[256];
			int n = poll(&pfd, 1, 200);

			if (n > 0) {
				ssize_t r = read(STDIN_FILENO, buf, sizeof(buf));

				if (r <= 0)
					break; /* EOF: the harness went away */
			}
		}
	} else {
		fprintf(stderr, "holder: a process failed to set up its sockets\n");
	}
	for (int i = 0; i < nprocs; i++)
		kill(pids[i], SIGKILL);
	for (int i = 0; i < nprocs; i++)
		waitpid(pids[i], &status, 0);
	return failed;
}
