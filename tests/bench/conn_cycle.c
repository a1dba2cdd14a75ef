// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * conn cycle: socket + connect to a loopback listener + accept + close both
 * ends, in one thread (a loopback handshake completes inside connect()).
 * Both ends set SO_LINGER {1, 0}, so close sends a RST and no TIME_WAIT
 * socket is left behind (as in PLATFORM.md's reference loop).
 */
#include <sys/socket.h>

#include "gen.h"

struct state {
	struct sockaddr_storage addr; /* the listener */
	socklen_t len;
	int family;
	int lfd;
};

static const struct linger lin0 = {.l_onoff = 1, .l_linger = 0};

static void *setup(const struct gen_opts *o)
{
	static struct state st;

	st.family = o->v6 ? AF_INET6 : AF_INET;
	st.lfd = gen_bound(o->v6, SOCK_STREAM | SOCK_CLOEXEC, 1024, &st.addr, &st.len,
			   "conn_cycle: listener");
	return st.lfd < 0 ? NULL : &st;
}

static int op(void *p)
{
	struct state *st = p;
	int c, s, err = 0;

	c = socket(st->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0)
		return -errno;
	if (connect(c, (struct sockaddr *)&st->addr, st->len)) {
		err = -errno;
		close(c);
		return err;
	}
	s = accept4(st->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (s < 0)
		err = -errno;
	setsockopt(c, SOL_SOCKET, SO_LINGER, &lin0, sizeof(lin0));
	if (s >= 0) {
		setsockopt(s, SOL_SOCKET, SO_LINGER, &lin0, sizeof(lin0));
		close(s);
	}
	close(c);
	return err;
}

int main(int argc, char **argv)
{
	return gen_main(argc, argv, "conn", 0, setup, op);
}
