// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bind cycle: socket(TCP) + bind(loopback, port 0) + close, in a loop. */
#include <sys/socket.h>

#include "gen.h"

struct state {
	struct sockaddr_storage addr;
	socklen_t len;
	int family;
};

static void *setup(const struct gen_opts *o)
{
	static struct state st;

	st.len = gen_loopback(&st.addr, o->v6, 0);
	st.family = o->v6 ? AF_INET6 : AF_INET;
	return &st;
}

static int op(void *p)
{
	struct state *st = p;
	int fd = socket(st->family, SOCK_STREAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&st->addr, st->len))
		err = -errno;
	close(fd);
	return err;
}

int main(int argc, char **argv)
{
	return gen_main(argc, argv, "bind", 0, setup, op);
}
