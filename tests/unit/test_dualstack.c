// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Dual-stack sockets in every output: "v6only" in JSON on inet6 sockets
 * only, and a wildcard in text the way ss prints it: "*:PORT" for an IPv6
 * "::" that also holds the IPv4 port, "[::]:PORT" for a v6-only one,
 * "0.0.0.0:PORT" for IPv4.
 */
#include "testutil.h"

#include "output/format.h"
#include "output/portrow.h"
#include "output/rows.h"

static char line[2048];

static struct ss_sockinfo listener(int af, const char *ip, unsigned int port, bool v6only)
{
	struct ss_sockinfo s;

	memset(&s, 0, sizeof(s));
	s.hdr.type = SS_REC_SOCK;
	s.family = tu_addr(s.laddr, af, ip);
	s.proto = SS_PROTO_TCP;
	s.lport = (__u16)port;
	s.state = SS_TCP_LISTEN;
	s.v6only = v6only;
	s.netns = 4026531840u;
	return s;
}

static const char *row(const struct ss_sockinfo *s, bool json)
{
	struct port_row r = {.sock = s};
	struct sbuf sb;

	sbuf_init(&sb, line, sizeof(line));
	if (json)
		portrow_json(&sb, &r, NULL);
	else
		portrow_text(&sb, &r);
	assert_false(sb.overflow);
	return line;
}

static void port_rows_as_ss(void **state)
{
	struct ss_sockinfo dual = listener(AF_INET6, "::", 8080, false);
	struct ss_sockinfo only = listener(AF_INET6, "::", 8081, true);
	struct ss_sockinfo v4 = listener(AF_INET, "0.0.0.0", 8082, false);
	struct ss_sockinfo lo6 = listener(AF_INET6, "::1", 8083, false);

	(void)state;
	assert_non_null(strstr(row(&dual, false), " *:8080 "));
	assert_non_null(strstr(row(&only, false), " [::]:8081 "));
	assert_non_null(strstr(row(&v4, false), " 0.0.0.0:8082 "));
	/* only the wildcard is dual-stack */
	assert_non_null(strstr(row(&lo6, false), " [::1]:8083 "));

	assert_non_null(strstr(row(&dual, true), "\"reuseport\":false,\"v6only\":false"));
	assert_non_null(strstr(row(&only, true), "\"v6only\":true"));
	assert_non_null(strstr(row(&dual, true), "\"laddr\":\"::\",\"lport\":8080"));
	assert_null(strstr(row(&v4, true), "v6only"));
}

static const char *event(const struct ss_event *e, bool json)
{
	struct formatter f;
	struct sbuf sb;

	formatter_init(&f, json);
	sbuf_init(&sb, line, sizeof(line));
	format_event(&f, &sb, e, NULL);
	assert_false(sb.overflow);
	return line;
}

static void trace_events(void **state)
{
	struct ss_event e = tu_record(SS_EV_LISTEN);

	(void)state;
	e.family = SS_AF_INET6;
	tu_set_local(&e, AF_INET6, "::", 8080);
	assert_non_null(strstr(event(&e, false), " *:8080 "));
	assert_non_null(strstr(event(&e, true), "\"lport\":8080,\"v6only\":false"));
	e.hdr.flags |= SS_F_V6ONLY;
	assert_non_null(strstr(event(&e, false), " [::]:8080 "));
	assert_non_null(strstr(event(&e, true), "\"v6only\":true"));
	/* an IPv4 request on an inet6 socket, and IPv4 sockets */
	e.hdr.flags &= (__u16)~SS_F_V6ONLY;
	tu_set_local(&e, AF_INET, "0.0.0.0", 8080);
	assert_non_null(strstr(event(&e, false), " 0.0.0.0:8080 "));
	e.family = SS_AF_INET;
	assert_null(strstr(event(&e, true), "v6only"));
}

static const char *past(const struct store_row *r, bool json)
{
	struct timefmt tf;
	struct sbuf sb;

	timefmt_init_offset(&tf, 0);
	sbuf_init(&sb, line, sizeof(line));
	if (json)
		rows_past_json(&sb, r, &tf);
	else
		rows_past_text(&sb, r, &tf);
	assert_false(sb.overflow);
	return line;
}

static void history_rows(void **state)
{
	struct ss_sockinfo dual = listener(AF_INET6, "::", 8080, false);
	struct store_row r = {.kind = STORE_KIND_SOCKET};

	(void)state;
	rows_socket_of(&r.socket, &dual, 1, 2, NULL, 0);
	assert_false(r.socket.v6only);
	assert_non_null(strstr(past(&r, false), " *:8080 "));
	assert_non_null(strstr(past(&r, true), "\"family\":\"inet6\",\"v6only\":false"));
	dual.v6only = 1;
	rows_socket_of(&r.socket, &dual, 1, 2, NULL, 0);
	assert_true(r.socket.v6only);
	assert_non_null(strstr(past(&r, false), " :::8080 "));
	assert_non_null(strstr(past(&r, true), "\"v6only\":true"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(port_rows_as_ss),
		cmocka_unit_test(trace_events),
		cmocka_unit_test(history_rows),
	};

	return cmocka_run_group_tests_name("dualstack", tests, NULL, NULL);
}
