/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Driving the event loop's servers (runtime/conn.h) from a test, as the
 * runtime does: one epoll set whose sources are struct ep_source. */
#ifndef SS_LOOP_TESTUTIL_H
#define SS_LOOP_TESTUTIL_H

#include <poll.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "runtime/conn.h"

/* One round of the loop: whatever is ready within timeout_ms. */
static inline void tu_pump(int epfd, int timeout_ms)
{
	struct epoll_event evs[16];
	int n = epoll_wait(epfd, evs, 16, timeout_ms);

	for (int i = 0; i < n; i++) {
		struct ep_source *s = evs[i].data.ptr;

		s->ready(s, evs[i].events);
	}
}

/* What the server sent on fd until it closed or `rounds` loop rounds of
 * pump_ms passed, NUL-terminated; "" if nothing came. */
static inline void tu_read_reply(int epfd, int fd, char *buf, size_t len, int rounds, int pump_ms)
{
	size_t used = 0;

	for (int i = 0; i < rounds && used < len - 1; i++) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		tu_pump(epfd, pump_ms);
		if (poll(&p, 1, 0) <= 0)
			continue;
		n = recv(fd, buf + used, len - 1 - used, 0);
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
}

#endif
