// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What the engine adds to a record and keeps from it: the last known tuple
 * of a socket whose port the kernel released before the close was read,
 * and IPV6_V6ONLY, which decides whether "::" also holds the IPv4 port.
 */
#include "testutil.h"

#include "model/engine.h"

#define NS 4026531840u

static struct engine *en;
static uint64_t clock_ns = 1000;

static int setup(void **state)
{
	(void)state;
	en = engine__new(8);
	return en ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	engine__free(en);
	return 0;
}

static struct ss_event ev(unsigned int type, uint64_t cookie)
{
	struct ss_event e = tu_record(type);

	e.ts_ns = clock_ns += 1000;
	e.cookie = cookie;
	e.pid = e.tid = 700;
	e.netns = NS;
	strcpy(e.comm, "client");
	return e;
}

static void apply(struct ss_event e)
{
	engine__apply(en, &e);
}

static struct ss_event state(uint64_t cookie, unsigned int old, unsigned int new)
{
	struct ss_event e = ev(SS_EV_STATE, cookie);

	e.hdr.flags |= SS_F_NO_OWNER | SS_F_ASYNC;
	e.u.state.old_state = old;
	e.u.state.new_state = new;
	return e;
}

/* A client connected 127.0.0.1:41000 -> 127.0.0.1:80, cookie c. */
static void connected(uint64_t c)
{
	struct ss_event e = ev(SS_EV_CONNECT_DONE, c);

	apply(ev(SS_EV_SOCKET, c));
	tu_set_local(&e, AF_INET, "127.0.0.1", 41000);
	tu_set_remote(&e, AF_INET, "127.0.0.1", 80);
	engine__apply(en, &e);
}

static void reset_close_gets_last_tuple(void **state_)
{
	struct ss_event out, e;
	const struct ss_event *got;
	char buf[INET_ADDRSTRLEN];

	(void)state_;
	connected(10);
	/* the RST: the kernel releases the port before the state hook reads it */
	e = state(10, SS_TCP_ESTABLISHED, SS_TCP_CLOSE);
	tu_set_remote(&e, AF_INET, "127.0.0.1", 80);
	e.hdr.flags |= SS_F_RESET;
	got = engine__last_tuple(en, &e, &out);
	assert_ptr_equal(got, &out);
	assert_true(got->hdr.flags & SS_F_LOCAL);
	assert_int_equal(got->lport, 41000);
	assert_int_equal(got->laddr_family, SS_AF_INET);
	assert_string_equal(inet_ntop(AF_INET, got->laddr, buf, sizeof(buf)), "127.0.0.1");
	assert_int_equal(got->rport, 80);
	engine__apply(en, got);

	/* the close record, with neither end */
	e = ev(SS_EV_CLOSE, 10);
	e.u.close.state = SS_TCP_CLOSE;
	got = engine__last_tuple(en, &e, &out);
	assert_ptr_equal(got, &out);
	assert_int_equal(got->hdr.flags & (SS_F_LOCAL | SS_F_REMOTE), SS_F_LOCAL | SS_F_REMOTE);
	assert_int_equal(got->lport, 41000);
	assert_int_equal(got->rport, 80);
	assert_int_equal(got->pid, 700);
	assert_int_equal(got->u.close.state, SS_TCP_CLOSE);
	engine__apply(en, got);
	assert_null(engine__find(en, 10));
}

static void nothing_added_when_complete_or_unknown(void **state_)
{
	struct ss_event out, e;

	(void)state_;
	connected(20);
	/* a record that has its tuple is left alone (the kernel's view wins) */
	e = ev(SS_EV_CLOSE, 20);
	tu_set_local(&e, AF_INET, "127.0.0.1", 41000);
	tu_set_remote(&e, AF_INET, "127.0.0.1", 80);
	assert_ptr_equal(engine__last_tuple(en, &e, &out), &e);
	/* other events and other transitions are not filled */
	e = ev(SS_EV_BIND, 20);
	assert_ptr_equal(engine__last_tuple(en, &e, &out), &e);
	e = state(20, SS_TCP_ESTABLISHED, SS_TCP_FIN_WAIT1);
	assert_ptr_equal(engine__last_tuple(en, &e, &out), &e);
	/* a socket the engine never saw, or one that was never bound */
	e = ev(SS_EV_CLOSE, 99);
	assert_ptr_equal(engine__last_tuple(en, &e, &out), &e);
	apply(ev(SS_EV_SOCKET, 21));
	e = ev(SS_EV_CLOSE, 21);
	assert_ptr_equal(engine__last_tuple(en, &e, &out), &e);
	e.hdr.flags |= SS_F_NO_COOKIE;
	assert_ptr_equal(engine__last_tuple(en, &e, &out), &e);
}

/* A listener on "::" port p, IPV6_V6ONLY as given, cookie c. */
static void v6_listener(uint64_t c, unsigned int p, bool v6only)
{
	struct ss_event e = ev(SS_EV_BIND, c);

	e.family = SS_AF_INET6;
	tu_set_local(&e, AF_INET6, "::", p);
	if (v6only)
		e.hdr.flags |= SS_F_V6ONLY;
	engine__apply(en, &e);
	e.hdr.type = SS_EV_LISTEN;
	engine__apply(en, &e);
}

static void v6only_decides_the_ipv4_port(void **state_)
{
	const struct eng_sock *found[4];
	__u8 v4[SS_ADDR_LEN] = {0};

	(void)state_;
	inet_pton(AF_INET, "127.0.0.1", v4);
	v6_listener(30, 8080, false);
	v6_listener(31, 8081, true);
	assert_false(engine__find(en, 30)->info.v6only);
	assert_true(engine__find(en, 31)->info.v6only);
	/* the dual-stack one holds 127.0.0.1:8080, the v6-only one not :8081 */
	assert_int_equal(engine__port_sockets(en, NS, SS_PROTO_TCP, 8080, SS_AF_INET, v4, found, 4),
			 1);
	assert_int_equal(engine__port_sockets(en, NS, SS_PROTO_TCP, 8081, SS_AF_INET, v4, found, 4),
			 0);
	assert_int_equal(engine__port_sockets(en, NS, SS_PROTO_TCP, 8081, 0, NULL, found, 4), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		tu_test(reset_close_gets_last_tuple),
		tu_test(nothing_added_when_complete_or_unknown),
		tu_test(v6only_decides_the_ipv4_port),
	};

	return cmocka_run_group_tests_name("engine_tuple", tests, NULL, NULL);
}
