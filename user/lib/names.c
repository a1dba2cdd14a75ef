// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <linux/types.h>
#include <string.h>

#include "lib/names.h"
#include "sockscope_abi.h"

static const char *const events[SS_EV_MAX] = {
	[SS_EV_SOCKET] = "socket",
	[SS_EV_BIND] = "bind",
	[SS_EV_LISTEN] = "listen",
	[SS_EV_CONNECT] = "connect",
	[SS_EV_CONNECT_DONE] = "connect_done",
	[SS_EV_ACCEPT] = "accept",
	[SS_EV_CLOSE] = "close",
	[SS_EV_STATE] = "state",
	[SS_EV_LOST] = "lost",
	[SS_EV_FORK] = "fork",
	[SS_EV_EXIT] = "exit",
	[SS_EV_FDCLOSE] = "fdclose",
	[SS_EV_FDRECV] = "fdrecv",
	[SS_EV_PROC] = "proc",
};

const char *event_name(unsigned int type)
{
	return type < SS_EV_MAX ? events[type] : NULL;
}

unsigned int event_from_name(const char *name, unsigned int len)
{
	for (unsigned int t = 1; t < SS_EV_MAX; t++) {
		if (events[t] && strlen(events[t]) == len && !memcmp(events[t], name, len))
			return t;
	}
	return 0;
}

const char *errno_name(int err)
{
	if (err <= 0)
		return NULL;
	/* glibc >= 2.32; NULL for values it does not know */
	return strerrorname_np(err);
}

/* The kernel's TCP state names (include/net/tcp_states.h). */
static const char *const tcp_states[SS_TCP_MAX_STATES] = {
	[SS_TCP_ESTABLISHED] = "ESTABLISHED",
	[SS_TCP_SYN_SENT] = "SYN_SENT",
	[SS_TCP_SYN_RECV] = "SYN_RECV",
	[SS_TCP_FIN_WAIT1] = "FIN_WAIT1",
	[SS_TCP_FIN_WAIT2] = "FIN_WAIT2",
	[SS_TCP_TIME_WAIT] = "TIME_WAIT",
	[SS_TCP_CLOSE] = "CLOSE",
	[SS_TCP_CLOSE_WAIT] = "CLOSE_WAIT",
	[SS_TCP_LAST_ACK] = "LAST_ACK",
	[SS_TCP_LISTEN] = "LISTEN",
	[SS_TCP_CLOSING] = "CLOSING",
	[SS_TCP_NEW_SYN_RECV] = "NEW_SYN_RECV",
	[SS_TCP_BOUND_INACTIVE] = "BOUND_INACTIVE",
};

const char *tcp_state_name(unsigned int state)
{
	if (state >= sizeof(tcp_states) / sizeof(tcp_states[0]))
		return NULL;
	return tcp_states[state];
}

const char *sock_type_name(unsigned int type)
{
	switch (type) {
	case 1:
		return "stream";
	case 2:
		return "dgram";
	case 3:
		return "raw";
	case 5:
		return "seqpacket";
	default:
		return NULL;
	}
}

const char *proto_name(unsigned int proto)
{
	switch (proto) {
	case SS_PROTO_TCP:
		return "tcp";
	case SS_PROTO_UDP:
		return "udp";
	default:
		return NULL;
	}
}

const char *family_name(unsigned int family)
{
	switch (family) {
	case SS_AF_INET:
		return "inet";
	case SS_AF_INET6:
		return "inet6";
	default:
		return NULL;
	}
}
