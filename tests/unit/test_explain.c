// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Explanations of failures from a hand-made snapshot. */
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "model/explain.h"

#define NETNS 4026531840u

static struct ss_sockinfo socks[8], holders[8];
static struct snapshot snap;
static struct explanation x;

static void reset(void)
{
	memset(socks, 0, sizeof(socks));
	memset(holders, 0, sizeof(holders));
	memset(&snap, 0, sizeof(snap));
	snap.socks = socks;
	snap.holders = holders;
}

static struct ss_sockinfo *add_sock(int af, const char *l, unsigned int lport, const char *r,
				    unsigned int rport, unsigned int state, uint64_t cookie)
{
	struct ss_sockinfo *s = &socks[snap.nr_socks++];

	s->hdr.type = SS_REC_SOCK;
	s->cookie = cookie;
	s->netns = NETNS;
	s->family = af == AF_INET ? SS_AF_INET : SS_AF_INET6;
	s->proto = SS_PROTO_TCP;
	inet_pton(af, l, s->laddr);
	s->lport = (__u16)lport;
	if (r) {
		inet_pton(af, r, s->raddr);
		s->rport = (__u16)rport;
	}
	s->state = (__u8)state;
	return s;
}

static void add_holder(uint64_t cookie, unsigned int pid, const char *comm)
{
	struct ss_sockinfo *h = &holders[snap.nr_holders++];

	h->hdr.type = SS_REC_HOLDER;
	h->cookie = cookie;
	h->pid = pid;
	h->fd = 3;
	strncpy(h->comm, comm, sizeof(h->comm));
}

static struct ss_event failed_bind(int af, const char *addr, unsigned int port, int err)
{
	struct ss_event e;

	memset(&e, 0, sizeof(e));
	e.hdr.type = SS_EV_BIND;
	e.hdr.size = sizeof(e);
	e.hdr.version = SS_ABI_VERSION;
	e.err = err;
	e.netns = NETNS;
	e.proto = SS_PROTO_TCP;
	e.family = af == AF_INET ? SS_AF_INET : SS_AF_INET6;
	e.laddr_family = e.family;
	inet_pton(af, addr, e.laddr);
	e.lport = (__u16)port;
	e.pid = 900;
	strcpy(e.comm, "python3");
	return e;
}

static void listener_named(void **state)
{
	struct ss_event e = failed_bind(AF_INET, "0.0.0.0", 8080, EADDRINUSE);

	(void)state;
	reset();
	add_sock(AF_INET, "0.0.0.0", 8080, NULL, 0, 10, 77);
	add_sock(AF_INET, "0.0.0.0", 9090, NULL, 0, 10, 78); /* other port */
	add_holder(77, 812, "nginx");
	add_holder(77, 813, "nginx");
	snapshot__sort(&snap);
	assert_true(explain_event(&e, &snap, &x));
	assert_string_equal(x.reason,
			    "port 8080 is held by pid 812 (nginx), listening on 0.0.0.0:8080");
	assert_int_equal(x.nr_holders, 2);
	assert_int_equal(x.holders[0].proc.pid, 812);
	assert_int_equal(x.holders[1].proc.pid, 813);
	assert_int_equal(x.holders[0].sock.cookie, 77);
}

static void time_wait_and_reuseaddr_hint(void **state)
{
	struct ss_event e = failed_bind(AF_INET, "127.0.0.1", 8080, EADDRINUSE);

	(void)state;
	reset();
	add_sock(AF_INET, "127.0.0.1", 8080, "127.0.0.1", 51234, 6, 50);
	snapshot__sort(&snap);
	assert_true(explain_event(&e, &snap, &x));
	assert_string_equal(
		x.reason,
		"port 8080 is held by a TIME_WAIT connection 127.0.0.1:8080 -> 127.0.0.1:51234 (no process); SO_REUSEADDR would allow this bind");
	assert_int_equal(x.nr_holders, 1);
	assert_false(x.holders[0].has_process);
	/* with SO_REUSEADDR set, the hint would be wrong */
	e.hdr.flags |= SS_F_REUSEADDR;
	assert_true(explain_event(&e, &snap, &x));
	assert_null(strstr(x.reason, "SO_REUSEADDR would"));
}

static void listener_beats_time_wait_and_reuseport(void **state)
{
	struct ss_event e = failed_bind(AF_INET, "127.0.0.1", 8080, EADDRINUSE);
	struct ss_sockinfo *l;

	(void)state;
	reset();
	add_sock(AF_INET, "127.0.0.1", 8080, "127.0.0.1", 5, 6, 50);
	l = add_sock(AF_INET, "0.0.0.0", 8080, NULL, 0, 10, 51);
	l->reuseport = 1;
	add_holder(51, 812, "nginx");
	snapshot__sort(&snap);
	assert_true(explain_event(&e, &snap, &x));
	assert_string_equal(
		x.reason,
		"port 8080 is held by pid 812 (nginx), listening on 0.0.0.0:8080; SO_REUSEPORT is set on the existing socket but not on this one");
	e.hdr.flags |= SS_F_REUSEPORT;
	e.uid = 1000;
	assert_true(explain_event(&e, &snap, &x));
	assert_non_null(strstr(x.reason, "different users (uid 0 vs 1000)"));
}

static void no_conflict_other_address_or_netns(void **state)
{
	struct ss_event e = failed_bind(AF_INET, "127.0.0.1", 8080, EADDRINUSE);
	struct ss_sockinfo *s;

	(void)state;
	reset();
	add_sock(AF_INET, "127.0.0.2", 8080, NULL, 0, 10, 60); /* other address */
	s = add_sock(AF_INET, "127.0.0.1", 8080, NULL, 0, 10, 61);
	s->netns = 1; /* other namespace */
	snapshot__sort(&snap);
	assert_true(explain_event(&e, &snap, &x));
	assert_non_null(strstr(x.reason, "nothing holds it now"));
	assert_int_equal(x.nr_holders, 0);
}

static void dual_stack_wildcards(void **state)
{
	__u8 zero[16] = {0}, v4[16] = {0}, v6[16] = {0};

	(void)state;
	inet_pton(AF_INET, "127.0.0.1", v4);
	inet_pton(AF_INET6, "::1", v6);
	/* "::" covers IPv4 unless v6only */
	assert_true(addr_covers(SS_AF_INET6, zero, false, SS_AF_INET, v4));
	assert_false(addr_covers(SS_AF_INET6, zero, true, SS_AF_INET, v4));
	assert_true(addr_covers(SS_AF_INET6, zero, true, SS_AF_INET6, v6));
	/* 0.0.0.0 covers IPv4 only */
	assert_true(addr_covers(SS_AF_INET, zero, false, SS_AF_INET, v4));
	assert_false(addr_covers(SS_AF_INET, zero, false, SS_AF_INET6, v6));
	/* any address */
	assert_true(addr_covers(SS_AF_INET, v4, false, 0, NULL));

	/* a v6 bind of :: conflicts with an IPv4 listener */
	reset();
	add_sock(AF_INET, "127.0.0.1", 443, NULL, 0, 10, 70);
	add_holder(70, 5, "srv");
	snapshot__sort(&snap);
	{
		struct ss_event e = failed_bind(AF_INET6, "::", 443, EADDRINUSE);

		assert_true(explain_event(&e, &snap, &x));
		assert_non_null(strstr(x.reason, "held by pid 5 (srv)"));
	}
}

/* An IPv4 bind in the way of a dual-stack "::": said so; a v6-only one is not in the way. */
static void dual_stack_holder_named(void **state)
{
	struct ss_event e = failed_bind(AF_INET, "0.0.0.0", 8080, EADDRINUSE);
	struct ss_sockinfo *l;

	(void)state;
	reset();
	l = add_sock(AF_INET6, "::", 8080, NULL, 0, 10, 90);
	add_holder(90, 812, "nginx");
	snapshot__sort(&snap);
	assert_true(explain_event(&e, &snap, &x));
	assert_string_equal(
		x.reason,
		"port 8080 is held by pid 812 (nginx), listening on [::]:8080: a dual-stack IPv6 socket (IPV6_V6ONLY off), which also holds the IPv4 port");
	assert_int_equal(x.nr_holders, 1);
	/* an IPv6 bind conflicts too, but there is nothing IPv4 to say */
	e = failed_bind(AF_INET6, "::1", 8080, EADDRINUSE);
	assert_true(explain_event(&e, &snap, &x));
	assert_null(strstr(x.reason, "dual-stack"));
	/* IPV6_V6ONLY on: the IPv4 port is free, the holder is not in the way */
	l->v6only = 1;
	e = failed_bind(AF_INET, "0.0.0.0", 8080, EADDRINUSE);
	assert_true(explain_event(&e, &snap, &x));
	assert_non_null(strstr(x.reason, "nothing holds it now"));
	assert_int_equal(x.nr_holders, 0);
}

/* A dual-stack "::" request needs the IPv4 port; with IPV6_V6ONLY it does not. */
static void dual_stack_request(void **state)
{
	struct ss_event e = failed_bind(AF_INET6, "::", 443, EADDRINUSE);

	(void)state;
	reset();
	add_sock(AF_INET, "0.0.0.0", 443, NULL, 0, 10, 91);
	add_holder(91, 5, "srv");
	snapshot__sort(&snap);
	assert_true(explain_event(&e, &snap, &x));
	assert_string_equal(
		x.reason,
		"port 443 is held by pid 5 (srv), listening on 0.0.0.0:443; this socket is dual-stack (IPV6_V6ONLY off) and needs the IPv4 port too: IPV6_V6ONLY would allow this bind");
	e.hdr.flags |= SS_F_V6ONLY;
	assert_true(explain_event(&e, &snap, &x));
	assert_non_null(strstr(x.reason, "nothing holds it now"));
}

/* A server with its listener and accepted connections on the port is one
 * holder, listed with the listener; the others follow, best first. */
static void holders_listed_once(void **state)
{
	struct ss_event e = failed_bind(AF_INET, "127.0.0.1", 8080, EADDRINUSE);

	(void)state;
	reset();
	add_sock(AF_INET, "127.0.0.1", 8080, "127.0.0.1", 40001, 1, 100);
	add_sock(AF_INET, "127.0.0.1", 8080, "127.0.0.1", 40002, 1, 101);
	add_sock(AF_INET, "127.0.0.1", 8080, "127.0.0.1", 40003, 6, 102); /* TIME_WAIT */
	add_sock(AF_INET, "127.0.0.1", 8080, NULL, 0, 10, 103);		  /* listener */
	add_sock(AF_INET, "127.0.0.1", 8080, "127.0.0.1", 40004, 1, 104);
	add_holder(100, 812, "srv");
	add_holder(101, 812, "srv");
	add_holder(103, 812, "srv");
	add_holder(104, 813, "worker");
	snapshot__sort(&snap);
	assert_true(explain_event(&e, &snap, &x));
	assert_non_null(strstr(x.reason, "held by pid 812 (srv), listening on 127.0.0.1:8080"));
	assert_int_equal(x.nr_holders, 3);
	assert_int_equal(x.holders[0].proc.pid, 812);
	assert_int_equal(x.holders[0].sock.cookie, 103);
	assert_int_equal(x.holders[1].proc.pid, 813);
	assert_false(x.holders[2].has_process);
	assert_int_equal(x.holders[2].sock.cookie, 102);
	assert_int_equal(x.more_holders, 0);
}

static void eacces_privileged(void **state)
{
	struct ss_event e = failed_bind(AF_INET, "0.0.0.0", 80, EACCES);

	(void)state;
	e.u.bind.prot_sock = 1024;
	assert_false(explain_needs_snapshot(&e));
	assert_true(explain_event(&e, NULL, &x));
	assert_string_equal(
		x.reason,
		"port 80 is privileged (below net.ipv4.ip_unprivileged_port_start=1024): binding it needs CAP_NET_BIND_SERVICE, which pid 900 (python3) does not have");
	e.lport = 8080;
	assert_true(explain_event(&e, NULL, &x));
	assert_non_null(strstr(x.reason, "not privileged here"));
}

static void eaddrnotavail(void **state)
{
	struct ss_event e = failed_bind(AF_INET, "10.9.9.9", 0, EADDRNOTAVAIL);

	(void)state;
	assert_false(explain_needs_snapshot(&e));
	assert_true(explain_event(&e, NULL, &x));
	assert_non_null(strstr(x.reason, "address 10.9.9.9 is not assigned"));

	/* connect: ephemeral ports exhausted */
	reset();
	for (int i = 0; i < 4; i++)
		add_sock(AF_INET, "127.0.0.1", 40000 + i, "127.0.0.1", 80, 1, 90 + i);
	snapshot__sort(&snap);
	memset(&e, 0, sizeof(e));
	e.hdr.type = SS_EV_CONNECT_DONE;
	e.err = EADDRNOTAVAIL;
	e.netns = NETNS;
	e.proto = SS_PROTO_TCP;
	e.raddr_family = SS_AF_INET;
	inet_pton(AF_INET, "127.0.0.1", e.raddr);
	e.rport = 80;
	e.u.connect.port_lo = 40000;
	e.u.connect.port_hi = 40003;
	assert_true(explain_needs_snapshot(&e));
	assert_false(explain_event(&e, NULL, &x)); /* nothing to count from */
	assert_true(explain_event(&e, &snap, &x));
	assert_string_equal(
		x.reason,
		"no free local port for 127.0.0.1:80: 4 sockets already use that destination and net.ipv4.ip_local_port_range is 40000-40003 (4 ports)");
}

static void not_explained(void **state)
{
	struct ss_event e = failed_bind(AF_INET, "0.0.0.0", 80, EINVAL);

	(void)state;
	assert_false(explain_wanted(&e));
	assert_false(explain_needs_snapshot(&e));
	assert_false(explain_event(&e, NULL, &x));
	e.err = EADDRINUSE; /* a conflict needs the sockets */
	assert_true(explain_needs_snapshot(&e));
	assert_false(explain_event(&e, NULL, &x));
	e.hdr.type = SS_EV_CLOSE;
	e.err = 0;
	assert_false(explain_wanted(&e));
}

static void json_rendering(void **state)
{
	struct ss_event e = failed_bind(AF_INET, "0.0.0.0", 8080, EADDRINUSE);
	char buf[2048];
	struct sbuf sb;

	(void)state;
	reset();
	add_sock(AF_INET, "0.0.0.0", 8080, NULL, 0, 10, 77);
	add_holder(77, 812, "ng\"x");
	snapshot__sort(&snap);
	assert_true(explain_event(&e, &snap, &x));
	sbuf_init(&sb, buf, sizeof(buf));
	explain_json(&sb, &x);
	assert_string_equal(
		buf,
		",\"reason\":\"port 8080 is held by pid 812 (ng\\\"x), listening on 0.0.0.0:8080\","
		"\"holders\":[{\"pid\":812,\"comm\":\"ng\\\"x\",\"uid\":0,\"cookie\":77,\"state\":\"LISTEN\","
		"\"laddr\":\"0.0.0.0\",\"lport\":8080,\"reuseaddr\":false,\"reuseport\":false}]");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(listener_named),
		cmocka_unit_test(time_wait_and_reuseaddr_hint),
		cmocka_unit_test(listener_beats_time_wait_and_reuseport),
		cmocka_unit_test(no_conflict_other_address_or_netns),
		cmocka_unit_test(dual_stack_wildcards),
		cmocka_unit_test(dual_stack_holder_named),
		cmocka_unit_test(dual_stack_request),
		cmocka_unit_test(holders_listed_once),
		cmocka_unit_test(eacces_privileged),
		cmocka_unit_test(eaddrnotavail),
		cmocka_unit_test(not_explained),
		cmocka_unit_test(json_rendering),
	};

	return cmocka_run_group_tests_name("explain", tests, NULL, NULL);
}
