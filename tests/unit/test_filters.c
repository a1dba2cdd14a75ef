// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The filters of trace, ports, who and history: the prefix grammar
 * (lib/parse.h), the options that take them (cmd/filter_opts.c) and their
 * kernel form, and the row filters (runtime/rowfilter.h) on live and past
 * rows. Resolving names against the host (users, 'ip netns', cgroups) is
 * exercised for real by tests/integration/test_filters_more.py.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "cmd/cli.h"
#include "lib/parse.h"
#include "runtime/rowfilter.h"

static struct cli_opts o;
static char err[512];

#define PARSE(...)                                                                     \
	({                                                                             \
		char *argv_[] = {"sockscope", __VA_ARGS__, NULL};                      \
		cli_parse((int)(sizeof(argv_) / sizeof(argv_[0])) - 1, argv_, &o, err, \
			  sizeof(err));                                                \
	})

static struct addr_prefix pfx(const char *s)
{
	struct addr_prefix p;
	const char *why = NULL;

	if (parse_prefix(s, &p, NULL, &why))
		fail_msg("parse_prefix(\"%s\") refused: %s", s, why);
	return p;
}

static void bad_prefix(const char *s, const char *why_part)
{
	struct addr_prefix p, net;
	const char *why = "";

	if (parse_prefix(s, &p, &net, &why) != -EINVAL)
		fail_msg("parse_prefix(\"%s\") accepted", s);
	if (!strstr(why, why_part))
		fail_msg("parse_prefix(\"%s\"): '%s' does not say '%s'", s, why, why_part);
}

static void prefixes_accepted(void **state)
{
	struct addr_prefix p;
	char buf[64];

	(void)state;
	p = pfx("10.0.0.0/8");
	assert_int_equal(p.family, AF_INET);
	assert_int_equal(p.len, 8);
	assert_string_equal(prefix_str(&p, buf, sizeof(buf)), "10.0.0.0/8");
	p = pfx("192.168.1.7");
	assert_int_equal(p.len, 32);
	p = pfx("0.0.0.0/0");
	assert_int_equal(p.len, 0);
	p = pfx("fd00::/8");
	assert_int_equal(p.family, AF_INET6);
	assert_int_equal(p.len, 8);
	p = pfx("::1");
	assert_int_equal(p.len, 128);
	p = pfx("[2001:db8::]/32");
	assert_string_equal(prefix_str(&p, buf, sizeof(buf)), "2001:db8::/32");
	p = pfx("10.1.2.3/32");
	p = pfx("10.1.2.0/024"); /* digits are digits */
	assert_int_equal(p.len, 24);
}

static void prefixes_refused(void **state)
{
	struct addr_prefix p, net;
	const char *why;
	char buf[64];

	(void)state;
	bad_prefix("", "empty");
	bad_prefix("10.0.0.0/33", "past 32");
	bad_prefix("::1/129", "past 128");
	bad_prefix("10.0.0.0/99999999999999999999999", "past 32");
	bad_prefix("10.0.0.0/", "length");
	bad_prefix("10.0.0.0/+8", "length");
	bad_prefix("10.0.0.0/8 ", "length");
	bad_prefix("10.0.0.0/-1", "length");
	bad_prefix("10.0.0", "IPv4");
	bad_prefix("10.0.0.256", "IPv4");
	bad_prefix("[10.0.0.1]", "IPv4");
	bad_prefix("fd00:::1", "IPv6");
	bad_prefix("[::1", "IPv6");
	bad_prefix("host.example", "IPv4");
	bad_prefix("1.2.3.4/8", "host bits");
	bad_prefix("::1/64", "host bits");
	bad_prefix("10.0.0.128/24", "host bits");
	/* the network it would have been, for the message */
	assert_int_equal(parse_prefix("1.2.3.4/8", &p, &net, &why), -EINVAL);
	assert_string_equal(prefix_str(&net, buf, sizeof(buf)), "1.0.0.0/8");
	assert_int_equal(parse_prefix("fd00::1:2/100", &p, &net, &why), -EINVAL);
	assert_string_equal(prefix_str(&net, buf, sizeof(buf)), "fd00::/100");
}

static bool covers(const char *prefix, const char *addr)
{
	struct addr_prefix p = pfx(prefix);
	uint8_t a[16];

	if (inet_pton(AF_INET, addr, a) == 1)
		return prefix_covers(&p, AF_INET, a);
	assert_int_equal(inet_pton(AF_INET6, addr, a), 1);
	return prefix_covers(&p, AF_INET6, a);
}

static void prefix_coverage(void **state)
{
	(void)state;
	assert_true(covers("10.0.0.0/8", "10.255.1.2"));
	assert_false(covers("10.0.0.0/8", "11.0.0.1"));
	assert_true(covers("10.0.0.0/9", "10.127.0.1"));
	assert_false(covers("10.0.0.0/9", "10.128.0.1"));
	assert_true(covers("0.0.0.0/0", "203.0.113.9"));
	assert_true(covers("127.0.0.1", "127.0.0.1"));
	assert_false(covers("127.0.0.1", "127.0.0.2"));
	/* an IPv4 prefix covers the v4-mapped forms of its range */
	assert_true(covers("10.0.0.0/8", "::ffff:10.9.8.7"));
	assert_false(covers("10.0.0.0/8", "::ffff:11.9.8.7"));
	assert_false(covers("10.0.0.0/8", "::10.9.8.7")); /* not mapped */
	assert_true(covers("0.0.0.0/0", "::ffff:1.2.3.4"));
	assert_false(covers("0.0.0.0/0", "::1"));
	/* an IPv6 prefix never covers an IPv4 address */
	assert_false(covers("::/0", "10.0.0.1"));
	assert_true(covers("::/0", "::1"));
	assert_true(covers("::ffff:0:0/96", "::ffff:10.0.0.1"));
	assert_true(covers("fd00::/8", "fdff:1::2"));
	assert_false(covers("fd00::/8", "fe80::1"));
	assert_true(covers("2001:db8::/33", "2001:db8:7fff::1"));
	assert_false(covers("2001:db8::/33", "2001:db8:8000::1"));
}

/* The kernel's form, as emit.bpf.h's addr_in() tests it. */
static bool kernel_covers(const struct ss_addr_filter *k, int family, const char *addr)
{
	uint8_t a[16] = {0};
	uint32_t a4;
	uint64_t w[2], m[2], n[2];

	assert_int_equal(inet_pton(family, addr, a), 1);
	if (family == AF_INET) {
		memcpy(&a4, a, 4);
		return k->has_v4 && (a4 & k->mask4) == k->net4;
	}
	memcpy(w, a, 16);
	memcpy(m, k->mask, 16);
	memcpy(n, k->net, 16);
	return (w[0] & m[0]) == n[0] && (w[1] & m[1]) == n[1];
}

static void options_fill_the_kernel_filter(void **state)
{
	(void)state;
	assert_int_equal(PARSE("trace", "--laddr", "10.0.0.0/8", "--raddr", "fd00::/16", "--lport",
			       "80", "--rport", "443", "--uid", "0"),
			 0);
	assert_int_equal(o.filter.laddr.family, SS_AF_INET);
	assert_true(o.filter.laddr.has_v4);
	assert_true(kernel_covers(&o.filter.laddr, AF_INET, "10.1.2.3"));
	assert_false(kernel_covers(&o.filter.laddr, AF_INET, "11.1.2.3"));
	assert_true(kernel_covers(&o.filter.laddr, AF_INET6, "::ffff:10.1.2.3"));
	assert_false(kernel_covers(&o.filter.laddr, AF_INET6, "::ffff:11.1.2.3"));
	assert_false(kernel_covers(&o.filter.laddr, AF_INET6, "::10.1.2.3"));
	assert_int_equal(o.filter.raddr.family, SS_AF_INET6);
	assert_false(o.filter.raddr.has_v4);
	assert_false(kernel_covers(&o.filter.raddr, AF_INET, "10.1.2.3"));
	assert_true(kernel_covers(&o.filter.raddr, AF_INET6, "fd00:1::1"));
	assert_false(kernel_covers(&o.filter.raddr, AF_INET6, "fd01::1"));
	assert_int_equal(o.filter.lport, 80);
	assert_int_equal(o.filter.rport, 443);
	assert_int_equal(o.filter.has_uid, 1);
	assert_int_equal(o.filter.uid, 0);
	/* /0 in the kernel: a zero mask covers everything of the family */
	assert_int_equal(PARSE("trace", "--laddr", "0.0.0.0/0"), 0);
	assert_true(kernel_covers(&o.filter.laddr, AF_INET, "1.2.3.4"));
	assert_true(kernel_covers(&o.filter.laddr, AF_INET6, "::ffff:1.2.3.4"));
	assert_false(kernel_covers(&o.filter.laddr, AF_INET6, "::1"));
	/* no filter: family 0 */
	assert_int_equal(PARSE("trace"), 0);
	assert_int_equal(o.filter.laddr.family, 0);
	assert_int_equal(o.filter.has_uid, 0);
	assert_int_equal(o.filter.cgroup_id, 0);
}

static void bad_values_exit_2_with_one_line(void **state)
{
	static const char *const cases[][3] = {
		{"trace", "--laddr", "10.0.0.0/33"},
		{"ports", "--raddr", "::1/129"},
		{"who", "--laddr", "1.2.3.4/8"},
		{"history", "--lport", "0"},
		{"trace", "--rport", "65536"},
		{"ports", "--state", "established,bogus"},
		{"ports", "--state", ""},
		{"trace", "--uid", "4294967295"},
		{"trace", "--uid", "no-such-user-h11"},
		{"ports", "--netns", "no-such-netns-h11"},
		{"ports", "--netns", "../etc"},
		{"trace", "--cgroup", "no-such-cgroup-h11/x"},
		{"trace", "--cgroup", "a/../b"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = PARSE((char *)cases[i][0], (char *)cases[i][1], (char *)cases[i][2]);

		if (rc != 2)
			fail_msg("%s %s '%s': rc %d", cases[i][0], cases[i][1], cases[i][2], rc);
		assert_non_null(strstr(err, cases[i][1]));
		assert_null(strchr(err, '\n'));
	}
	assert_int_equal(PARSE("trace", "--laddr", "1.2.3.4/8"), 2);
	assert_non_null(strstr(err, "1.0.0.0/8"));
	/* history's --cgroup need not exist, but is still a cgroup path */
	assert_int_equal(PARSE("history", "--cgroup", "a/../b"), 2);
	assert_non_null(strstr(err, "'..' are not allowed"));
	/* --state is for tables */
	assert_int_equal(PARSE("trace", "--state", "established"), 2);
}

static void state_names_and_groups(void **state)
{
	(void)state;
	assert_int_equal(PARSE("ports", "--state", "established"), 0);
	assert_int_equal(o.fx.states, 1u << SS_TCP_ESTABLISHED);
	assert_int_equal(PARSE("ports", "--state", "ESTABLISHED,time_wait,Listen"), 0);
	assert_int_equal(o.fx.states, (1u << SS_TCP_ESTABLISHED) | (1u << SS_TCP_TIME_WAIT) |
					      (1u << SS_TCP_LISTEN));
	assert_int_equal(PARSE("who", "80", "--state", "unconnected"), 0);
	assert_int_equal(o.fx.states, 1u << SS_TCP_CLOSE);
	assert_int_equal(PARSE("ports", "--state", "bucket"), 0);
	assert_int_equal(o.fx.states, (1u << SS_TCP_SYN_RECV) | (1u << SS_TCP_NEW_SYN_RECV) |
					      (1u << SS_TCP_TIME_WAIT));
	assert_int_equal(PARSE("ports", "--state", "connected"), 0);
	assert_false(o.fx.states & (1u << SS_TCP_LISTEN));
	assert_false(o.fx.states & (1u << SS_TCP_CLOSE));
	assert_true(o.fx.states & (1u << SS_TCP_TIME_WAIT));
	assert_true(o.fx.states & (1u << SS_TCP_SYN_SENT));
	assert_int_equal(PARSE("ports", "--state", "synchronized"), 0);
	assert_false(o.fx.states & (1u << SS_TCP_SYN_SENT));
	assert_true(o.fx.states & (1u << SS_TCP_ESTABLISHED));
	assert_int_equal(PARSE("ports", "--state", "big"), 0);
	assert_false(o.fx.states & (1u << SS_TCP_TIME_WAIT));
	assert_true(o.fx.states & (1u << SS_TCP_LISTEN));
	assert_int_equal(PARSE("ports", "--state", "all"), 0);
	for (unsigned int s = SS_TCP_ESTABLISHED; s < SS_TCP_MAX_STATES; s++)
		assert_true(o.fx.states & (1u << s));
}

static struct ss_sockinfo sock(const char *laddr, uint16_t lport, const char *raddr, uint16_t rport,
			       uint8_t st)
{
	struct ss_sockinfo s = {.proto = SS_PROTO_TCP, .lport = lport, .rport = rport, .state = st};

	s.family = strchr(laddr, ':') ? SS_AF_INET6 : SS_AF_INET;
	assert_int_equal(inet_pton(s.family == SS_AF_INET ? AF_INET : AF_INET6, laddr, s.laddr), 1);
	assert_int_equal(inet_pton(s.family == SS_AF_INET ? AF_INET : AF_INET6, raddr, s.raddr), 1);
	s.netns = 4026531840u;
	return s;
}

static void live_rows_filtered(void **state)
{
	struct ss_sockinfo est = sock("10.0.0.1", 8080, "10.0.0.2", 40000, SS_TCP_ESTABLISHED);
	struct ss_sockinfo lst = sock("0.0.0.0", 8080, "0.0.0.0", 0, SS_TCP_LISTEN);
	struct ss_sockinfo v6 =
		sock("::ffff:10.0.0.1", 8080, "::ffff:192.0.2.1", 1, SS_TCP_ESTABLISHED);
	struct holder h[2] = {{.pid = 10, .uid = 1000}, {.pid = 11, .uid = 0}};

	(void)state;
	assert_int_equal(PARSE("ports", "--laddr", "10.0.0.0/8"), 0);
	assert_true(rowfilter_match(&est, h, 2, &o));
	assert_false(rowfilter_match(&lst, h, 2, &o)); /* a wildcard is not in 10/8 */
	assert_true(rowfilter_match(&v6, h, 2, &o));   /* v4-mapped */
	assert_int_equal(PARSE("ports", "--raddr", "10.0.0.2"), 0);
	assert_true(rowfilter_match(&est, h, 2, &o));
	assert_false(rowfilter_match(&lst, h, 2, &o)); /* no peer: never matches */
	assert_false(rowfilter_match(&v6, h, 2, &o));
	assert_int_equal(PARSE("ports", "--lport", "8080", "--rport", "40000"), 0);
	assert_true(rowfilter_match(&est, h, 2, &o));
	assert_false(rowfilter_match(&lst, h, 2, &o));
	assert_int_equal(PARSE("ports", "--uid", "1000"), 0);
	assert_true(rowfilter_match(&est, h, 2, &o));
	assert_false(rowfilter_match(&est, h + 1, 1, &o));
	assert_false(rowfilter_match(&est, NULL, 0, &o)); /* nobody holds it */
	/* pid and uid: of the same holder */
	assert_int_equal(PARSE("ports", "--uid", "1000", "--pid", "11"), 0);
	assert_false(rowfilter_match(&est, h, 2, &o));
	assert_int_equal(PARSE("ports", "--netns", "4026531840"), 0);
	assert_true(rowfilter_match(&est, h, 2, &o));
	assert_int_equal(PARSE("ports", "--netns", "4026531841"), 0);
	assert_false(rowfilter_match(&est, h, 2, &o));
	assert_int_equal(PARSE("ports", "--state", "established"), 0);
	assert_true(rowfilter_state(&est, &o));
	assert_false(rowfilter_state(&lst, &o));
	assert_int_equal(PARSE("who", "8080", "--state", "listening", "--uid", "0"), 0);
	assert_true(rowfilter_who(&lst, h, 2, &o));
	assert_false(rowfilter_who(&est, h, 2, &o));
	assert_false(rowfilter_who(&lst, h, 1, &o));
}

static void past_rows_filtered(void **state)
{
	struct store_row sock_row = {.kind = STORE_KIND_SOCKET},
			 fail = {.kind = STORE_KIND_FAILURE}, own = {.kind = STORE_KIND_OWNER};
	struct store_socket *s = &sock_row.socket;

	(void)state;
	s->netns = 7;
	strcpy(s->laddr, "10.0.0.1");
	s->lport = 8080;
	strcpy(s->raddr, "::ffff:192.0.2.1");
	s->rport = 5000;
	s->holders[0] = (struct store_holder){.pid = 10, .uid = 1000};
	s->nr_holders = 1;
	fail.failure.netns = 7;
	strcpy(fail.failure.laddr, "fd00::1");
	fail.failure.lport = 8080;
	fail.failure.pid = 10;
	fail.failure.uid = 1000;
	own.owner.netns = 8;
	strcpy(own.owner.laddr, "10.0.0.1");
	own.owner.lport = 8080;
	own.owner.pid = 0; /* no known process */

	assert_int_equal(PARSE("history"), 0);
	assert_false(rowfilter_past_active(&o));
	assert_int_equal(PARSE("history", "--laddr", "10.0.0.0/8"), 0);
	assert_true(rowfilter_past_active(&o));
	assert_true(rowfilter_past(&sock_row, &o));
	assert_false(rowfilter_past(&fail, &o));
	assert_true(rowfilter_past(&own, &o));
	assert_int_equal(PARSE("history", "--raddr", "192.0.2.0/24"), 0);
	assert_true(rowfilter_past(&sock_row, &o)); /* v4-mapped */
	assert_false(rowfilter_past(&fail, &o));    /* no peer */
	assert_false(rowfilter_past(&own, &o));	    /* owner rows have none */
	assert_int_equal(PARSE("history", "--uid", "1000"), 0);
	assert_true(rowfilter_past(&sock_row, &o));
	assert_true(rowfilter_past(&fail, &o));
	assert_false(rowfilter_past(&own, &o));
	assert_int_equal(PARSE("history", "--uid", "0"), 0);
	assert_false(rowfilter_past(&sock_row, &o));
	assert_false(rowfilter_past(&own, &o)); /* pid 0: uid unknown, not 0 */
	assert_int_equal(PARSE("history", "--netns", "8"), 0);
	assert_false(rowfilter_past(&sock_row, &o));
	assert_true(rowfilter_past(&own, &o));
	assert_int_equal(PARSE("history", "--rport", "5000", "--lport", "8080"), 0);
	assert_true(rowfilter_past(&sock_row, &o));
	assert_false(rowfilter_past(&fail, &o));
	/* --cgroup: the stored path, whole components; the cgroup may be gone
	 * (history does not need it to exist), a row without one is out */
	snprintf(sock_row.socket.cgroup, sizeof(sock_row.socket.cgroup), "%s",
		 "/system.slice/gone-4711.service");
	assert_int_equal(PARSE("history", "--cgroup", "/system.slice"), 0);
	assert_true(rowfilter_past_active(&o));
	assert_true(rowfilter_past(&sock_row, &o));
	assert_false(rowfilter_past(&fail, &o));
	assert_int_equal(PARSE("history", "--cgroup", "system.slice/gone-4711.service/"), 0);
	assert_true(rowfilter_past(&sock_row, &o));
	assert_int_equal(PARSE("history", "--cgroup", "/system"), 0);
	assert_false(rowfilter_past(&sock_row, &o));
	assert_int_equal(PARSE("history", "--cgroup", "/"), 0);
	assert_true(rowfilter_past(&sock_row, &o));
	assert_false(rowfilter_past(&own, &o));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(prefixes_accepted),
		cmocka_unit_test(prefixes_refused),
		cmocka_unit_test(prefix_coverage),
		cmocka_unit_test(options_fill_the_kernel_filter),
		cmocka_unit_test(bad_values_exit_2_with_one_line),
		cmocka_unit_test(state_names_and_groups),
		cmocka_unit_test(live_rows_filtered),
		cmocka_unit_test(past_rows_filtered),
	};

	return cmocka_run_group_tests_name("filters", tests, NULL, NULL);
}
