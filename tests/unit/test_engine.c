// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The engine's model follows the lifecycle events exactly. */
#include "testutil.h"

#include <arpa/inet.h>
#include <string.h>

#include "model/engine.h"

#define NS 4026531840u
#define SEC 1000000000ull

static struct engine *en;
static uint64_t clock_ns = 1000;

static int setup(void **state)
{
	(void)state;
	en = engine__new(3);
	return en ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	engine__free(en);
	return 0;
}

static struct ss_event ev(unsigned int type, uint64_t cookie, uint32_t pid)
{
	struct ss_event e = tu_record(type);

	e.ts_ns = clock_ns += 1000;
	e.cookie = cookie;
	e.pid = e.tid = pid;
	e.netns = NS;
	strcpy(e.comm, "srv");
	return e;
}

static void apply(struct ss_event e)
{
	engine__apply(en, &e);
}

static struct ss_event with_local(struct ss_event e, const char *ip, unsigned int port)
{
	tu_set_local(&e, AF_INET, ip, port);
	return e;
}

static struct ss_event with_remote(struct ss_event e, const char *ip, unsigned int port)
{
	tu_set_remote(&e, AF_INET, ip, port);
	return e;
}

static struct ss_event state(uint64_t cookie, unsigned int old, unsigned int new)
{
	struct ss_event e = ev(SS_EV_STATE, cookie, 0);

	e.hdr.flags |= SS_F_NO_OWNER | SS_F_ASYNC;
	e.u.state.old_state = old;
	e.u.state.new_state = new;
	return e;
}

static int count_visible_cb(const struct eng_sock *s, void *arg)
{
	(void)s;
	(*(int *)arg)++;
	return 0;
}

static int nr_visible(void)
{
	int n = 0;

	engine__for_each_visible(en, count_visible_cb, &n);
	return n;
}

static bool holds(uint64_t cookie, uint32_t pid)
{
	struct eng_sock *s = engine__find(en, cookie);

	for (uint32_t i = 0; s && i < s->nr_holders; i++)
		if (s->holders[i].pid == pid)
			return true;
	return false;
}

static void listener_lifecycle(void **state_)
{
	struct eng_sock *s;

	(void)state_;
	apply(ev(SS_EV_SOCKET, 1, 100));
	assert_int_equal(nr_visible(), 0); /* unbound TCP: not in the tables */
	apply(with_local(ev(SS_EV_BIND, 1, 100), "0.0.0.0", 8080));
	assert_int_equal(nr_visible(), 0); /* bound, not listening: still not */
	apply(with_local(ev(SS_EV_LISTEN, 1, 100), "0.0.0.0", 8080));
	apply(state(1, 7, 10));
	assert_int_equal(nr_visible(), 1);
	s = engine__find(en, 1);
	assert_non_null(s);
	assert_int_equal(s->info.state, 10);
	assert_int_equal(s->info.lport, 8080);
	assert_true(holds(1, 100));
	{
		const struct eng_sock *out[4];

		assert_int_equal(engine__port_sockets(en, NS, SS_PROTO_TCP, 8080, 0, NULL, out, 4),
				 1);
		assert_ptr_equal(out[0], s);
		assert_int_equal(
			engine__port_sockets(en, NS + 1, SS_PROTO_TCP, 8080, 0, NULL, out, 4), 0);
	}
	apply(ev(SS_EV_CLOSE, 1, 100));
	assert_null(engine__find(en, 1));
	assert_int_equal(nr_visible(), 0);
}

static void fork_inherits_and_close_in_parent_only(void **state_)
{
	struct ss_event e;

	(void)state_;
	apply(ev(SS_EV_SOCKET, 2, 200));
	apply(with_local(ev(SS_EV_LISTEN, 2, 200), "127.0.0.1", 9000));
	apply(state(2, 7, 10));
	e = ev(SS_EV_FORK, 0, 201);
	e.u.fork.parent = 200;
	apply(e);
	assert_true(holds(2, 200));
	assert_true(holds(2, 201));
	/* the parent closes its fd; the child still holds the socket */
	apply(ev(SS_EV_FDCLOSE, 2, 200));
	assert_false(holds(2, 200));
	assert_true(holds(2, 201));
	assert_int_equal(nr_visible(), 1);
	/* the child exits: its last reference goes with it */
	apply(ev(SS_EV_EXIT, 0, 201));
	assert_false(holds(2, 201));
	apply(ev(SS_EV_CLOSE, 2, 201));
	assert_null(engine__find(en, 2));
}

static void exit_drops_many_sockets(void **state_)
{
	(void)state_;
	for (uint64_t c = 10; c < 60; c++) {
		apply(ev(SS_EV_SOCKET, c, 300));
		apply(with_local(ev(SS_EV_BIND, c, 300), "0.0.0.0", (unsigned int)(2000 + c)));
	}
	{
		struct ss_event e = ev(SS_EV_FORK, 0, 301);

		e.u.fork.parent = 300;
		apply(e);
	}
	apply(ev(SS_EV_EXIT, 0, 300));
	for (uint64_t c = 10; c < 60; c++) {
		assert_false(holds(c, 300));
		assert_true(holds(c, 301));
	}
	apply(ev(SS_EV_EXIT, 0, 301));
	for (uint64_t c = 10; c < 60; c++)
		assert_int_equal(engine__find(en, c)->nr_holders, 0);
}

static void active_close_leaves_time_wait_then_expires(void **state_)
{
	struct eng_sock *s;

	(void)state_;
	apply(ev(SS_EV_SOCKET, 3, 400));
	apply(with_remote(ev(SS_EV_CONNECT, 3, 400), "127.0.0.1", 80));
	apply(state(3, 7, 2));
	apply(with_remote(with_local(state(3, 2, 1), "127.0.0.1", 40000), "127.0.0.1", 80));
	apply(with_remote(with_local(ev(SS_EV_CONNECT_DONE, 3, 400), "127.0.0.1", 40000),
			  "127.0.0.1", 80));
	s = engine__find(en, 3);
	assert_int_equal(s->info.state, 1);
	assert_int_equal(s->info.lport, 40000);
	assert_int_equal(s->info.rport, 80);
	apply(ev(SS_EV_CLOSE, 3, 400)); /* released while ESTABLISHED */
	assert_non_null(engine__find(en, 3));
	apply(state(3, 1, 4));
	apply(state(3, 4, 5));
	{
		struct ss_event e = state(3, 5, 7); /* peer's FIN came: TIME_WAIT */

		e.hdr.flags |= SS_F_FIN_RCVD;
		apply(e);
	}
	s = engine__find(en, 3);
	assert_non_null(s);
	assert_int_equal(s->info.state, 6);
	assert_int_equal(s->nr_holders, 0);
	assert_int_equal(nr_visible(), 1);
	engine__expire(en, clock_ns + 61 * SEC);
	assert_null(engine__find(en, 3));
}

static void orphan_fin_wait2_handed_to_timewait(void **state_)
{
	(void)state_;
	apply(ev(SS_EV_SOCKET, 9, 400));
	apply(state(9, 7, 2));
	apply(state(9, 2, 1));
	apply(ev(SS_EV_CLOSE, 9, 400));
	apply(state(9, 1, 4));
	apply(state(9, 4, 5));
	apply(state(9, 5, 7)); /* no FIN from the peer: still FIN_WAIT2, as ss shows */
	assert_int_equal(engine__find(en, 9)->info.state, 5);
	assert_int_equal(nr_visible(), 1);
	engine__expire(en, clock_ns + 61 * SEC);
	assert_null(engine__find(en, 9));
}

/* A connection between two local sockets: cookie c (client) and c+1 (server).
 */
static void local_pair(uint64_t c, unsigned int cport)
{
	apply(ev(SS_EV_SOCKET, c, 800));
	apply(with_remote(with_local(state(c, 7, 2), "127.0.0.1", cport), "127.0.0.1", 80));
	apply(with_remote(with_local(state(c, 2, 1), "127.0.0.1", cport), "127.0.0.1", 80));
	apply(with_remote(with_local(state(c + 1, 10, 3), "127.0.0.1", 80), "127.0.0.1", cport));
	apply(state(c + 1, 3, 1));
	apply(with_remote(with_local(ev(SS_EV_ACCEPT, c + 1, 801), "127.0.0.1", 80), "127.0.0.1",
			  cport));
}

/* A local pair (c, c + 1) whose client closes first: the client's orphan
 * ends in FIN_WAIT2 (its timewait row), the server in CLOSE_WAIT. */
static void client_closes_first(uint64_t c, unsigned int cport)
{
	local_pair(c, cport);
	apply(ev(SS_EV_CLOSE, c, 800));
	apply(state(c, 1, 4));
	apply(state(c + 1, 1, 8));
	apply(state(c, 4, 5));
	apply(state(c, 5, 7));
}

static void local_peer_moves_and_kills_timewait_rows(void **state_)
{
	(void)state_;
	/* client closes first; its orphan goes FIN_WAIT2 -> timewait
	 * (FIN_WAIT2) */
	client_closes_first(20, 41000);
	assert_int_equal(engine__find(en, 20)->info.state, 5);
	/* the server closes normally: its FIN turns our row into TIME_WAIT */
	apply(ev(SS_EV_CLOSE, 21, 801));
	apply(state(21, 8, 9));
	assert_int_equal(engine__find(en, 20)->info.state, 6);
	apply(state(21, 9, 7));
	assert_null(engine__find(en, 21));
	assert_non_null(engine__find(en, 20));

	/* same, but the server aborts (SO_LINGER 0): its RST kills our row */
	client_closes_first(30, 42000);
	apply(ev(SS_EV_CLOSE, 31, 801));
	apply(state(31, 8, 7));
	assert_null(engine__find(en, 30));

	/* the RST arrives before the hand-over: a reset, no timewait at all */
	local_pair(40, 43000);
	apply(ev(SS_EV_CLOSE, 40, 800));
	apply(state(40, 1, 4));
	apply(state(40, 4, 5));
	{
		struct ss_event e = state(40, 5, 7);

		e.hdr.flags |= SS_F_RESET;
		apply(e);
	}
	assert_null(engine__find(en, 40));
}

static void passive_close_and_reset_end_without_time_wait(void **state_)
{
	(void)state_;
	apply(with_local(state(4, 10, 3), "127.0.0.1", 80)); /* child SYN_RECV */
	apply(state(4, 3, 1));
	apply(with_remote(with_local(ev(SS_EV_ACCEPT, 4, 500), "127.0.0.1", 80), "127.0.0.1",
			  5555));
	assert_true(holds(4, 500));
	apply(state(4, 1, 8)); /* peer closed */
	apply(ev(SS_EV_CLOSE, 4, 500));
	apply(state(4, 8, 9));
	apply(state(4, 9, 7));
	assert_null(engine__find(en, 4));

	/* a child nobody accepted, reset by the peer */
	apply(with_local(state(5, 10, 3), "127.0.0.1", 80));
	apply(state(5, 3, 7));
	assert_null(engine__find(en, 5));

	/* a refused connect: the socket stays with its holder, out of tables */
	apply(ev(SS_EV_SOCKET, 6, 501));
	apply(state(6, 7, 2));
	assert_int_equal(nr_visible(), 1);
	apply(state(6, 2, 7));
	assert_non_null(engine__find(en, 6));
	assert_int_equal(nr_visible(), 0);
}

static int count_history_cb(const struct eng_sock *s, void *arg)
{
	uint64_t *last = arg;

	assert_true(s->info.cookie > *last); /* oldest first */
	*last = s->info.cookie;
	return 0;
}

static void history_is_bounded_oldest_evicted(void **state_)
{
	struct engine_stats st;
	uint64_t last = 0;

	(void)state_;
	for (uint64_t c = 100; c < 105; c++) {
		struct ss_event e = ev(SS_EV_SOCKET, c, 600);

		e.proto = SS_PROTO_UDP;
		apply(e);
		e = with_local(ev(SS_EV_BIND, c, 600), "0.0.0.0", (unsigned int)c);
		e.proto = SS_PROTO_UDP;
		apply(e);
		apply(ev(SS_EV_CLOSE, c, 600));
	}
	engine__stats(en, &st);
	assert_int_equal(st.history, 3);
	engine__for_each_history(en, count_history_cb, &last);
	assert_int_equal(last, 104);
}

static void seed_then_events_and_resync_keeps_creation(void **state_)
{
	struct ss_sockinfo socks[2], holders[2];
	struct snapshot snap = {.socks = socks, .nr_socks = 1, .holders = holders, .nr_holders = 2};
	struct holder all[8];
	struct eng_sock *s;

	(void)state_;
	memset(socks, 0, sizeof(socks));
	memset(holders, 0, sizeof(holders));
	socks[0].cookie = 7;
	socks[0].netns = NS;
	socks[0].family = SS_AF_INET;
	socks[0].proto = SS_PROTO_TCP;
	socks[0].state = 10;
	socks[0].lport = 443;
	holders[0] = socks[0];
	holders[0].pid = 700;
	strcpy(holders[0].comm, "nginx");
	holders[1] = holders[0];
	holders[1].pid = 701;
	assert_int_equal(engine__seed(en, &snap, clock_ns), 0);
	assert_true(holds(7, 700) && holds(7, 701));
	assert_int_equal(nr_visible(), 1);

	/* created later, then the model is re-synced: the time survives */
	apply(ev(SS_EV_SOCKET, 8, 702));
	s = engine__find(en, 8);
	{
		uint64_t created = s->created_ns;

		socks[1] = socks[0];
		socks[1].cookie = 8;
		socks[1].lport = 444;
		snap.nr_socks = 2;
		assert_int_equal(engine__seed(en, &snap, clock_ns), 0);
		assert_int_equal(engine__find(en, 8)->created_ns, created);
	}
	apply(ev(SS_EV_FDCLOSE, 7, 700));
	assert_int_equal(eng_sock__all_holders(engine__find(en, 7), all, 8), 2);
	assert_int_equal(all[0].pid, 701); /* current first, then past */
	assert_int_equal(all[1].pid, 700);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		tu_test(listener_lifecycle),
		tu_test(fork_inherits_and_close_in_parent_only),
		tu_test(exit_drops_many_sockets),
		tu_test(active_close_leaves_time_wait_then_expires),
		tu_test(orphan_fin_wait2_handed_to_timewait),
		tu_test(local_peer_moves_and_kills_timewait_rows),
		tu_test(passive_close_and_reset_end_without_time_wait),
		tu_test(history_is_bounded_oldest_evicted),
		tu_test(seed_then_events_and_resync_keeps_creation),
	};

	return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
