// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * UDP cycle: socket(UDP) + bind(loopback, port 0) + connect() to a loopback
 * sink + close; with --sendto, one 16-byte sendto() to the sink instead of
 * connect() (the sink is drained without blocking now and then, and drops
 * what does not fit: only loopback traffic).
 */
#include <sys/socket.h>

#include "gen.h"

struct state {
	struct sockaddr_storage local, sink;
	socklen_t llen, slen;
	int family;
	int sink_fd;
	int sendto;
	unsigned int n;
};

static void *setup(const struct gen_opts *o)
{
	static struct state st;

	st.family = o->v6 ? AF_INET6 : AF_INET;
	st.sendto = o->sendto;
	st.llen = gen_loopback(&st.local, o->v6, 0);
	st.sink_fd = gen_bound(o->v6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, &st.sink,
			       &st.slen, "udp_cycle: sink");
	return st.sink_fd < 0 ? NULL : &st;
}

static void drain(struct state *st)
{
	char buf[64];

	while (recv(st->sink_fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		;
}

static int op(void *p)
{
	static const char msg[16] = "sockscope-bench";
	struct state *st = p;
	int fd, err = 0;

	fd = socket(st->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&st->local, st->llen))
		err = -errno;
	else if (st->sendto) {
		if (sendto(fd, msg, sizeof(msg), 0, (struct sockaddr *)&st->sink, st->slen) < 0)
			err = -errno;
	} else if (connect(fd, (struct sockaddr *)&st->sink, st->slen)) {
		err = -errno;
	}
	close(fd);
	if (st->sendto && (++st->n & 63) == 0)
		drain(st);
	return err;
}

int main(int argc, char **argv)
{
	return gen_main(argc, argv, "udp", GEN_SENDTO, setup, op);
}
