// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Records -> NDJSON and text, field by field, as the README documents them. */
#include "testutil.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "output/format.h"

/* 2026-11-21T14:02:11Z = 1795269731 s; monotonic clock starts at 0 here. */
#define REAL_BASE_NS (1795269731LL * 1000000000LL)

static struct formatter fmt;
static char line[2048];

static void setup_fmt(bool json)
{
	fmt.json = json;
	timefmt_init_offset(&fmt.tf, REAL_BASE_NS);
}

static const char *render(const struct ss_event *e)
{
	struct sbuf sb;

	sbuf_init(&sb, line, sizeof(line));
	format_event(&fmt, &sb, e, NULL);
	assert_false(sb.overflow);
	return line;
}

static void json_bind_success(void **state)
{
	struct ss_event e = tu_nginx_record(SS_EV_BIND);

	(void)state;
	setup_fmt(true);
	tu_set_local(&e, AF_INET, "0.0.0.0", 8080);
	assert_string_equal(
		render(&e),
		"{\"ts\":\"2026-11-21T14:02:11.123456789Z\",\"event\":\"bind\",\"pid\":812,"
		"\"tid\":813,\"uid\":33,\"comm\":\"nginx\",\"cgroup_id\":7,"
		"\"netns\":4026531840,\"cookie\":4242,\"proto\":\"tcp\",\"family\":\"inet\","
		"\"laddr\":\"0.0.0.0\",\"lport\":8080}\n");
}

static void json_bind_failure_has_error_and_errno(void **state)
{
	struct ss_event e = tu_nginx_record(SS_EV_BIND);

	(void)state;
	setup_fmt(true);
	tu_set_local(&e, AF_INET, "127.0.0.1", 8080);
	e.err = 98;
	assert_non_null(strstr(
		render(&e),
		"\"laddr\":\"127.0.0.1\",\"lport\":8080,\"error\":\"EADDRINUSE\",\"errno\":98}"));
}

static void json_unknown_fields_are_omitted(void **state)
{
	struct ss_event e = tu_nginx_record(SS_EV_STATE);

	(void)state;
	setup_fmt(true);
	e.hdr.flags |= SS_F_NO_OWNER | SS_F_NO_COOKIE | SS_F_ASYNC;
	e.u.state.old_state = 2;
	e.u.state.new_state = 1;
	render(&e);
	assert_null(strstr(line, "\"pid\""));
	assert_null(strstr(line, "\"comm\""));
	assert_null(strstr(line, "\"cookie\""));
	assert_null(strstr(line, "\"laddr\""));
	assert_null(strstr(line, "\"raddr\""));
	assert_non_null(strstr(line, "\"old_state\":\"SYN_SENT\",\"new_state\":\"ESTABLISHED\"}"));
	assert_non_null(strstr(line, "\"async\":true"));
}

static void json_v4mapped_prints_ipv4(void **state)
{
	struct ss_event e = tu_nginx_record(SS_EV_ACCEPT);

	(void)state;
	setup_fmt(true);
	e.family = SS_AF_INET6;
	e.laddr_family = SS_AF_INET6;
	inet_pton(AF_INET6, "::ffff:127.0.0.1", e.laddr);
	e.lport = 80;
	e.hdr.flags |= SS_F_LOCAL;
	tu_set_remote(&e, AF_INET6, "::ffff:10.1.2.3", 5555);
	render(&e);
	assert_non_null(strstr(line, "\"family\":\"inet6\",\"laddr\":\"127.0.0.1\",\"lport\":80,"
				     "\"raddr\":\"10.1.2.3\",\"rport\":5555"));
}

static void json_ipv6_rfc5952(void **state)
{
	struct ss_event e = tu_nginx_record(SS_EV_CONNECT);

	(void)state;
	setup_fmt(true);
	e.family = SS_AF_INET6;
	tu_set_remote(&e, AF_INET6, "2001:db8:0:0:0:0:0:1", 443);
	render(&e);
	assert_non_null(strstr(line, "\"raddr\":\"2001:db8::1\",\"rport\":443,\"v6only\":false}"));
}

static void json_per_event_fields(void **state)
{
	struct ss_event e;

	(void)state;
	setup_fmt(true);

	e = tu_nginx_record(SS_EV_SOCKET);
	e.u.socket.type = 2;
	e.proto = SS_PROTO_UDP;
	assert_non_null(
		strstr(render(&e), "\"proto\":\"udp\",\"family\":\"inet\",\"type\":\"dgram\"}"));

	e = tu_nginx_record(SS_EV_LISTEN);
	e.u.listen.backlog = 511;
	assert_non_null(strstr(render(&e), "\"backlog\":511}"));

	e = tu_nginx_record(SS_EV_CONNECT_DONE);
	e.u.connect.latency_ns = 1500;
	e.err = 111;
	assert_non_null(strstr(render(&e),
			       "\"error\":\"ECONNREFUSED\",\"errno\":111,\"latency_ns\":1500}"));

	e = tu_nginx_record(SS_EV_CLOSE);
	e.hdr.flags |= SS_F_TCP_INFO;
	e.u.close.duration_ns = 99;
	e.u.close.bytes_sent = 1000;
	e.u.close.bytes_received = 2000;
	e.u.close.state = 8;
	assert_non_null(strstr(render(&e), "\"duration_ns\":99,\"bytes_sent\":1000,"
					   "\"bytes_received\":2000,\"state\":\"CLOSE_WAIT\"}"));

	/* UDP close: no TCP fields */
	e = tu_nginx_record(SS_EV_CLOSE);
	e.proto = SS_PROTO_UDP;
	e.u.close.duration_ns = 5;
	render(&e);
	assert_null(strstr(line, "bytes_sent"));
	assert_null(strstr(line, "\"state\""));
}

static void json_hostile_comm_stays_one_valid_line(void **state)
{
	struct ss_event e = tu_nginx_record(SS_EV_BIND);

	(void)state;
	setup_fmt(true);
	memcpy(e.comm, "a\"b\\c\nd\xff\x01zzzzzz", 16); /* full, no NUL */
	render(&e);
	assert_non_null(strstr(line, "\"comm\":\"a\\\"b\\\\c\\nd\\ufffd\\u0001zzzzzz\""));
	assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);
}

static void json_unknown_errno_keeps_number(void **state)
{
	struct ss_event e = tu_nginx_record(SS_EV_BIND);

	(void)state;
	setup_fmt(true);
	e.err = 4000;
	render(&e);
	assert_null(strstr(line, "\"error\""));
	assert_non_null(strstr(line, "\"errno\":4000"));
}

static void json_lost(void **state)
{
	struct sbuf sb;

	(void)state;
	setup_fmt(true);
	sbuf_init(&sb, line, sizeof(line));
	format_lost(&fmt, &sb, 17, REAL_BASE_NS, REAL_BASE_NS + 2000000000LL);
	assert_string_equal(
		line, "{\"ts\":\"2026-11-21T14:02:13.000000000Z\",\"event\":\"lost\",\"lost\":17,"
		      "\"since\":\"2026-11-21T14:02:11.000000000Z\"}\n");
}

/* Columns: every value is one token, so 'awk' and the eye can rely on them. */
static int count_tokens(const char *s)
{
	int n = 0;
	bool in = false;

	for (; *s && *s != '\n'; s++) {
		if (*s != ' ' && !in)
			n++;
		in = *s != ' ';
	}
	return n;
}

static void text_line_layout(void **state)
{
	struct ss_event e = tu_nginx_record(SS_EV_BIND);
	struct sbuf sb;
	char header[512];

	(void)state;
	setup_fmt(false);
	tu_set_local(&e, AF_INET, "0.0.0.0", 8080);
	e.err = 98;
	render(&e);
	assert_non_null(strstr(line, "bind"));
	assert_non_null(strstr(line, " 812 "));
	assert_non_null(strstr(line, " nginx "));
	assert_non_null(strstr(line, " tcp4 "));
	assert_non_null(strstr(line, " 0.0.0.0:8080 "));
	assert_non_null(strstr(line, "EADDRINUSE\n"));
	assert_int_equal(count_tokens(line), 8);

	sbuf_init(&sb, header, sizeof(header));
	format_header(&fmt, &sb);
	/* the LOCAL column starts where the header says it does */
	assert_int_equal(strstr(line, "0.0.0.0:8080") - line, strstr(header, "LOCAL") - header);
}

static void text_hostile_comm_is_one_token(void **state)
{
	struct ss_event e = tu_nginx_record(SS_EV_SOCKET);

	(void)state;
	setup_fmt(false);
	strcpy(e.comm, "evil name\n\x1b[2J");
	e.u.socket.type = 1;
	render(&e);
	assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);
	assert_null(strchr(line, '\x1b'));
	assert_non_null(strstr(line, "evil\\x20name\\x0a\\x1b[2J"));
}

static void text_ipv6_brackets_and_results(void **state)
{
	struct ss_event e = tu_nginx_record(SS_EV_CONNECT_DONE);

	(void)state;
	setup_fmt(false);
	e.family = SS_AF_INET6;
	tu_set_remote(&e, AF_INET6, "::1", 80);
	e.u.connect.latency_ns = 2500000;
	render(&e);
	assert_non_null(strstr(line, " tcp6 "));
	assert_non_null(strstr(line, " [::1]:80 "));
	assert_non_null(strstr(line, "ok latency=2.50ms\n"));

	e = tu_nginx_record(SS_EV_STATE);
	e.hdr.flags |= SS_F_NO_OWNER;
	e.u.state.old_state = 10;
	e.u.state.new_state = 7;
	render(&e);
	assert_non_null(strstr(line, "LISTEN->CLOSE\n"));
	assert_non_null(strstr(line, " - "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_bind_success),
		cmocka_unit_test(json_bind_failure_has_error_and_errno),
		cmocka_unit_test(json_unknown_fields_are_omitted),
		cmocka_unit_test(json_v4mapped_prints_ipv4),
		cmocka_unit_test(json_ipv6_rfc5952),
		cmocka_unit_test(json_per_event_fields),
		cmocka_unit_test(json_hostile_comm_stays_one_valid_line),
		cmocka_unit_test(json_unknown_errno_keeps_number),
		cmocka_unit_test(json_lost),
		cmocka_unit_test(text_line_layout),
		cmocka_unit_test(text_hostile_comm_is_one_token),
		cmocka_unit_test(text_ipv6_brackets_and_results),
	};

	/* local time in text output: make it deterministic */
	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests_name("format", tests, NULL, NULL);
}
