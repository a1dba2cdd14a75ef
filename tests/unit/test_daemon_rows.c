// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The daemon's event -> database rows, field by field. */
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "cmd/daemon_rows.h"

/* 2026-11-21T14:02:11Z; the monotonic clock starts at 0 here. */
#define REAL_BASE_NS (1795269731LL * 1000000000LL)

static struct timefmt tf;

/* One holder of a failure row, the fields every holder has. */
static void assert_holder(const struct store_failure_holder *h, uint32_t has_process, uint32_t pid,
			  uint64_t cookie, const char *state, const char *laddr, uint16_t lport,
			  const char *raddr, uint16_t rport, uint8_t reuseaddr)
{
	assert_int_equal(h->has_process, has_process);
	assert_int_equal(h->pid, pid);
	assert_int_equal(h->cookie, cookie);
	assert_string_equal(h->state, state);
	assert_string_equal(h->laddr, laddr);
	assert_int_equal(h->lport, lport);
	assert_string_equal(h->raddr, raddr);
	assert_int_equal(h->rport, rport);
	assert_int_equal(h->reuseaddr, reuseaddr);
}

static int setup(void **state)
{
	(void)state;
	timefmt_init_offset(&tf, REAL_BASE_NS);
	return 0;
}

static void test_bind_is_an_owner_row(void **state)
{
	struct ss_event e = tu_nginx_record(SS_EV_BIND);
	struct store_owner r;

	(void)state;
	tu_set_local(&e, AF_INET, "127.0.0.1", 8080);
	daemon_row_owner(&r, &e, "bind", &tf);
	assert_int_equal(r.ts_ns, REAL_BASE_NS + 123456789);
	assert_int_equal(r.netns, 4026531840u);
	assert_string_equal(r.proto, "tcp");
	assert_string_equal(r.laddr, "127.0.0.1");
	assert_int_equal(r.lport, 8080);
	assert_int_equal(r.cookie, 4242);
	assert_int_equal(r.pid, 812);
	assert_int_equal(r.uid, 33);
	assert_string_equal(r.comm, "nginx");
	assert_string_equal(r.action, "bind");
}

static void test_failure_with_explanation(void **state)
{
	struct ss_event e = tu_nginx_record(SS_EV_BIND);
	struct explanation x;
	struct store_failure r;

	(void)state;
	tu_set_local(&e, AF_INET, "0.0.0.0", 80);
	e.err = EADDRINUSE;
	memset(&x, 0, sizeof(x));
	strcpy(x.reason, "port 80/tcp is held by nginx(pid=77)");
	x.nr_holders = 2;
	x.holders[0].has_process = true;
	x.holders[0].proc.pid = 77;
	x.holders[0].proc.uid = 0;
	strcpy(x.holders[0].proc.comm, "ng\"inx");
	x.holders[0].sock.cookie = 99;
	x.holders[0].sock.family = SS_AF_INET;
	x.holders[0].sock.proto = SS_PROTO_TCP;
	x.holders[0].sock.state = 10; /* LISTEN */
	x.holders[0].sock.lport = 80;
	x.holders[0].sock.reuseaddr = 1;
	x.holders[1].sock.cookie = 100; /* no process: TIME_WAIT */
	x.holders[1].sock.family = SS_AF_INET;
	x.holders[1].sock.proto = SS_PROTO_TCP;
	x.holders[1].sock.state = 6; /* TIME_WAIT */
	inet_pton(AF_INET, "127.0.0.1", x.holders[1].sock.laddr);
	x.holders[1].sock.lport = 80;
	inet_pton(AF_INET, "127.0.0.2", x.holders[1].sock.raddr);
	x.holders[1].sock.rport = 5555;

	daemon_row_failure(&r, &e, &x, &tf);
	assert_int_equal(r.ts_ns, REAL_BASE_NS + 123456789);
	assert_string_equal(r.event, "bind");
	assert_int_equal(r.pid, 812);
	assert_string_equal(r.comm, "nginx");
	assert_string_equal(r.proto, "tcp");
	assert_string_equal(r.laddr, "0.0.0.0");
	assert_int_equal(r.lport, 80);
	assert_string_equal(r.raddr, "");
	assert_int_equal(r.rport, 0);
	assert_int_equal(r.err, EADDRINUSE);
	assert_string_equal(r.error, "EADDRINUSE");
	assert_string_equal(r.reason, "port 80/tcp is held by nginx(pid=77)");
	assert_int_equal(r.nr_holders, 2);
	assert_holder(&r.holders[0], 1, 77, 99, "LISTEN", "0.0.0.0", 80, "", 0, 1);
	assert_int_equal(r.holders[0].uid, 0);
	assert_string_equal(r.holders[0].comm, "ng\"inx");
	assert_int_equal(r.holders[0].reuseport, 0);
	assert_holder(&r.holders[1], 0, 0, 100, "TIME_WAIT", "127.0.0.1", 80, "127.0.0.2", 5555, 0);

	/* no explanation: no reason, no holders */
	daemon_row_failure(&r, &e, NULL, &tf);
	assert_string_equal(r.reason, "");
	assert_int_equal(r.nr_holders, 0);
}

static void test_close_with_holders(void **state)
{
	struct ss_event e = tu_nginx_record(SS_EV_CLOSE);
	struct holder hs[10];
	struct eng_sock s;
	struct store_socket r;

	(void)state;
	memset(&s, 0, sizeof(s));
	memset(hs, 0, sizeof(hs));
	s.info.cookie = 4242;
	s.info.netns = 4026531840u;
	s.info.family = SS_AF_INET;
	s.info.proto = SS_PROTO_TCP;
	s.info.state = 1; /* ESTABLISHED */
	inet_pton(AF_INET, "10.0.0.1", s.info.laddr);
	s.info.lport = 443;
	inet_pton(AF_INET, "10.0.0.9", s.info.raddr);
	s.info.rport = 51000;
	s.created_ns = 23456789;
	for (int i = 0; i < 10; i++) {
		hs[i].pid = 100 + (uint32_t)i;
		hs[i].uid = 1000;
		strcpy(hs[i].comm, i ? "worker" : "master");
	}
	e.hdr.flags |= SS_F_TCP_INFO;
	e.u.close.bytes_sent = 1234;
	e.u.close.bytes_received = 5678;

	daemon_row_closed(&r, &s, &e, hs, 10, &tf);
	assert_int_equal(r.cookie, 4242);
	assert_int_equal(r.netns, 4026531840u);
	assert_string_equal(r.proto, "tcp");
	assert_string_equal(r.family, "inet");
	assert_string_equal(r.laddr, "10.0.0.1");
	assert_int_equal(r.lport, 443);
	assert_string_equal(r.raddr, "10.0.0.9");
	assert_int_equal(r.rport, 51000);
	assert_string_equal(r.state, "ESTABLISHED");
	assert_int_equal(r.opened_ns, REAL_BASE_NS + 23456789);
	assert_int_equal(r.closed_ns, REAL_BASE_NS + 123456789);
	assert_int_equal(r.bytes_sent, 1234);
	assert_int_equal(r.bytes_received, 5678);
	assert_int_equal(r.nr_holders, 8); /* at most 8 stored */
	assert_int_equal(r.holders[0].pid, 100);
	assert_string_equal(r.holders[0].comm, "master");
	assert_int_equal(r.holders[7].pid, 107);
	assert_int_equal(r.holders[7].uid, 1000);
	assert_string_equal(r.holders[7].comm, "worker");

	/* existed before sockscope, never connected, no TCP info */
	s.created_ns = 0;
	s.info.rport = 0;
	e.hdr.flags &= (__u16)~SS_F_TCP_INFO;
	daemon_row_closed(&r, &s, &e, hs, 0, &tf);
	assert_int_equal(r.opened_ns, 0);
	assert_string_equal(r.raddr, "");
	assert_int_equal(r.rport, 0);
	assert_int_equal(r.bytes_sent, 0);
	assert_int_equal(r.nr_holders, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_bind_is_an_owner_row, setup),
		cmocka_unit_test_setup(test_failure_with_explanation, setup),
		cmocka_unit_test_setup(test_close_with_holders, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
