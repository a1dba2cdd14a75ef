// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The row printers of ports, who, history and ports --watch: exact bytes. */
#include "testutil.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "output/rows.h"

#define NETNS 4026531840u
#define SEC 1000000000ll
#define T0 (1795183331ll * SEC) /* 2026-11-20T14:02:11Z */

static struct timefmt tf;
static char out[8192];

static const char *text(const struct store_row *r)
{
	struct sbuf sb;

	sbuf_init(&sb, out, sizeof(out));
	rows_past_text(&sb, r, &tf);
	sbuf_putc(&sb, '\0');
	return out;
}

static const char *json(const struct store_row *r)
{
	struct sbuf sb;

	sbuf_init(&sb, out, sizeof(out));
	rows_past_json(&sb, r, &tf);
	sbuf_putc(&sb, '\0');
	return out;
}

static struct store_row socket_row(void)
{
	struct store_row r = {.kind = STORE_KIND_SOCKET};
	struct store_socket *s = &r.socket;

	s->cookie = 77;
	s->netns = NETNS;
	strcpy(s->proto, "tcp");
	strcpy(s->family, "inet");
	strcpy(s->laddr, "127.0.0.1");
	s->lport = 8080;
	strcpy(s->raddr, "10.0.0.2");
	s->rport = 5555;
	strcpy(s->state, "ESTABLISHED");
	s->opened_ns = T0;
	s->closed_ns = T0 + 3 * SEC / 2;
	s->bytes_sent = 100;
	s->bytes_received = 200;
	s->holders[0] = (struct store_holder){.pid = 10, .uid = 1000, .comm = "srv"};
	s->holders[1] = (struct store_holder){.pid = 11, .uid = 0, .comm = "worker"};
	s->nr_holders = 2;
	return r;
}

static void closed_socket(void **state)
{
	struct store_row r = socket_row();

	(void)state;
	assert_string_equal(json(&r), "{\"kind\":\"socket\",\"cookie\":77,\"netns\":4026531840,"
				      "\"proto\":\"tcp\",\"family\":\"inet\","
				      "\"laddr\":\"127.0.0.1\",\"lport\":8080,"
				      "\"raddr\":\"10.0.0.2\",\"rport\":5555,"
				      "\"state\":\"ESTABLISHED\","
				      "\"opened\":\"2026-11-20T14:02:11.000000000Z\","
				      "\"closed\":\"2026-11-20T14:02:12.500000000Z\","
				      "\"duration_ns\":1500000000,"
				      "\"bytes_sent\":100,\"bytes_received\":200,"
				      "\"holders\":[{\"pid\":10,\"comm\":\"srv\",\"uid\":1000},"
				      "{\"pid\":11,\"comm\":\"worker\",\"uid\":0}]}\n");
	assert_string_equal(text(&r), "2026-11-20T14:02:12.500000000Z  closed  tcp ESTABLISHED "
				      "127.0.0.1:8080 -> 10.0.0.2:5555  opened "
				      "2026-11-20T14:02:11.000000000Z  by srv(pid=10) "
				      "worker(pid=11)\n");
}

/* Unknown values are left out (JSON) or said (text), never invented. */
static void closed_socket_unknowns(void **state)
{
	struct store_row r = socket_row();
	struct store_socket *s = &r.socket;

	(void)state;
	s->laddr[0] = '\0';
	s->lport = 0;
	s->rport = 0;
	s->state[0] = '\0';
	s->opened_ns = 0;
	s->nr_holders = 0;
	assert_string_equal(json(&r),
			    "{\"kind\":\"socket\",\"cookie\":77,\"netns\":4026531840,"
			    "\"proto\":\"tcp\",\"family\":\"inet\","
			    "\"closed\":\"2026-11-20T14:02:12.500000000Z\","
			    "\"bytes_sent\":100,\"bytes_received\":200,\"holders\":[]}\n");
	assert_string_equal(text(&r), "2026-11-20T14:02:12.500000000Z  closed  tcp  : -> *  "
				      "opened (before sockscope)  by\n");
}

static struct store_row failure_row(void)
{
	struct store_row r = {.kind = STORE_KIND_FAILURE};
	struct store_failure *f = &r.failure;

	f->ts_ns = T0 + 2 * SEC;
	strcpy(f->event, "bind");
	f->pid = 13;
	f->uid = 1000;
	strcpy(f->comm, "dup");
	f->netns = NETNS;
	strcpy(f->proto, "tcp");
	strcpy(f->laddr, "0.0.0.0");
	f->lport = 8080;
	f->err = 98;
	strcpy(f->error, "EADDRINUSE");
	strcpy(f->reason, "port 8080 is held by pid 10 (srv), listening on 0.0.0.0:8080");
	f->holders[0] = (struct store_failure_holder){
		.has_process = 1,
		.pid = 10,
		.uid = 1000,
		.comm = "srv",
		.cookie = 77,
		.state = "LISTEN",
		.laddr = "0.0.0.0",
		.lport = 8080,
		.reuseaddr = 1,
	};
	f->holders[1] = (struct store_failure_holder){
		.cookie = 78,
		.state = "TIME_WAIT",
		.laddr = "127.0.0.1",
		.lport = 8080,
		.raddr = "127.0.0.1",
		.rport = 40000,
	};
	f->nr_holders = 2;
	return r;
}

static void failure(void **state)
{
	struct store_row r = failure_row();

	(void)state;
	assert_string_equal(json(&r),
			    "{\"kind\":\"failure\",\"ts\":\"2026-11-20T14:02:13."
			    "000000000Z\","
			    "\"event\":\"bind\",\"pid\":13,\"uid\":1000,\"comm\":\"dup\","
			    "\"netns\":4026531840,\"proto\":\"tcp\","
			    "\"laddr\":\"0.0.0.0\",\"lport\":8080,"
			    "\"error\":\"EADDRINUSE\",\"errno\":98,"
			    "\"reason\":\"port 8080 is held by pid 10 (srv), listening on "
			    "0.0.0.0:8080\","
			    "\"holders\":[{\"pid\":10,\"comm\":\"srv\",\"uid\":1000,"
			    "\"cookie\":77,"
			    "\"state\":\"LISTEN\",\"laddr\":\"0.0.0.0\",\"lport\":8080,"
			    "\"reuseaddr\":true,\"reuseport\":false},"
			    "{\"cookie\":78,\"state\":\"TIME_WAIT\",\"laddr\":\"127.0.0."
			    "1\",\"lport\":8080,"
			    "\"raddr\":\"127.0.0.1\",\"rport\":40000,"
			    "\"reuseaddr\":false,\"reuseport\":false}]}\n");
	/* the process that failed, then the holders that are processes */
	assert_string_equal(text(&r), "2026-11-20T14:02:13.000000000Z  failed  bind tcp "
				      "0.0.0.0:8080 EADDRINUSE  by dup(pid=13) srv(pid=10)\n");
	/* no reason, no holders, no process */
	r.failure.pid = 0;
	r.failure.reason[0] = '\0';
	r.failure.nr_holders = 0;
	assert_string_equal(json(&r), "{\"kind\":\"failure\",\"ts\":\"2026-11-20T14:02:13."
				      "000000000Z\","
				      "\"event\":\"bind\",\"netns\":4026531840,\"proto\":\"tcp\","
				      "\"laddr\":\"0.0.0.0\",\"lport\":8080,"
				      "\"error\":\"EADDRINUSE\",\"errno\":98}\n");
	assert_string_equal(text(&r), "2026-11-20T14:02:13.000000000Z  failed  bind tcp "
				      "0.0.0.0:8080 EADDRINUSE  by\n");
}

static void owner(void **state)
{
	struct store_row r = {.kind = STORE_KIND_OWNER};
	struct store_owner *o = &r.owner;

	(void)state;
	o->ts_ns = T0 + 3 * SEC;
	strcpy(o->action, "release");
	o->netns = NETNS;
	strcpy(o->proto, "tcp");
	strcpy(o->laddr, "0.0.0.0");
	o->lport = 8080;
	o->cookie = 77;
	o->pid = 10;
	o->uid = 1000;
	strcpy(o->comm, "srv");
	assert_string_equal(json(&r),
			    "{\"kind\":\"owner\",\"ts\":\"2026-11-20T14:02:14.000000000Z\","
			    "\"action\":\"release\",\"netns\":4026531840,"
			    "\"proto\":\"tcp\",\"laddr\":\"0.0.0.0\",\"lport\":8080,"
			    "\"cookie\":77,\"pid\":10,\"uid\":1000,\"comm\":\"srv\"}\n");
	assert_string_equal(text(&r), "2026-11-20T14:02:14.000000000Z  owner   release tcp "
				      "0.0.0.0:8080   by srv(pid=10)\n");
}

/* A name is chosen by whoever runs the process: it cannot break a line. */
static void hostile_names(void **state)
{
	struct store_row r = socket_row();
	const char *j;

	(void)state;
	memcpy(r.socket.holders[0].comm, "a\"b\\c\nd e\xff", 11);
	memset(r.socket.holders[1].comm, 'x', 16); /* fills its array: no NUL */
	j = json(&r);
	assert_non_null(strstr(j, "{\"pid\":10,\"comm\":\"a\\\"b\\\\c\\nd e\\ufffd\","));
	assert_non_null(strstr(j, "\"comm\":\"xxxxxxxxxxxxxxxx\",\"uid\":0}]}\n"));
	assert_non_null(strstr(text(&r), "  by a\"b\\x5cc\\x0ad\\x20e\\xff(pid=10) "
					 "xxxxxxxxxxxxxxxx(pid=11)\n"));
	assert_ptr_equal(strchr(text(&r), '\n'), out + strlen(out) - 1); /* one line */
}

static struct ss_sockinfo listener(void)
{
	struct ss_sockinfo s = {0};

	s.cookie = 5;
	s.family = SS_AF_INET;
	s.proto = SS_PROTO_TCP;
	s.state = 10;
	inet_pton(AF_INET, "0.0.0.0", s.laddr);
	s.lport = 8080;
	s.netns = NETNS;
	s.uid = 1000;
	return s;
}

static void live_and_marked(void **state)
{
	struct ss_sockinfo s = listener();
	struct holder h[2] = {
		{.pid = 10, .uid = 1000, .fd = 3, .comm = "py\"thon"},
		{.pid = 11, .uid = 1000, .fd = -1, .comm = "w"},
	};
	struct port_row r = {.sock = &s, .holders = h, .nr_holders = 2};
	struct sbuf sb;

	(void)state;
	sbuf_init(&sb, out, sizeof(out));
	portrow_header(&sb);
	portrow_text(&sb, &r);
	sbuf_putc(&sb, '\0');
	assert_string_equal(out,
			    "PROTO STATE       LOCAL                       "
			    "REMOTE                      "
			    "NETNS       UNIT/CONTAINER        PROCESSES\n"
			    "tcp4  LISTEN      0.0.0.0:8080                *   "
			    "                        "
			    "4026531840  -                     py\"thon(pid=10,fd=3),w(pid=11)\n");
	sbuf_init(&sb, out, sizeof(out));
	portrow_json(&sb, &r, &tf);
	sbuf_putc(&sb, '\0');
	assert_string_equal(out, "{\"proto\":\"tcp\",\"family\":\"inet\",\"state\":\"LISTEN\","
				 "\"laddr\":\"0.0.0.0\",\"lport\":8080,\"netns\":4026531840,"
				 "\"cookie\":5,\"uid\":1000,\"reuseaddr\":false,\"reuseport\":"
				 "false,"
				 "\"holders\":[{\"pid\":10,\"comm\":\"py\\\"thon\",\"uid\":1000,"
				 "\"fd\":3},{\"pid\":11,\"comm\":\"w\",\"uid\":1000}]}\n");
	r.nr_holders = 0;
	r.change = ROW_NEW;
	sbuf_init(&sb, out, sizeof(out));
	rows_live_marked(&sb, &r, false);
	sbuf_putc(&sb, '\0');
	assert_string_equal(out, "+ tcp4  LISTEN      0.0.0.0:8080                *         "
				 "                  4026531840  -                     -\n");
	sbuf_init(&sb, out, sizeof(out));
	rows_live_marked(&sb, &r, true);
	sbuf_putc(&sb, '\0');
	assert_string_equal(
		out, "\033[32m+ tcp4  LISTEN      0.0.0.0:8080                * "
		     "                          4026531840  -                     -\033[0m\n");
	r.change = ROW_SAME;
	sbuf_init(&sb, out, sizeof(out));
	rows_live_marked(&sb, &r, true);
	sbuf_putc(&sb, '\0');
	assert_string_equal(out, "  tcp4  LISTEN      0.0.0.0:8080                *         "
				 "                  4026531840  -                     -\n");
}

static void socket_of_engine_row(void **state)
{
	struct ss_sockinfo s = listener();
	struct holder h[1] = {{.pid = 10, .uid = 1000, .fd = 3, .comm = "srv"}};
	struct store_row r = {.kind = STORE_KIND_SOCKET};

	(void)state;
	rows_socket_of(&r.socket, &s, 0, (uint64_t)T0, h, 1);
	assert_string_equal(json(&r),
			    "{\"kind\":\"socket\",\"cookie\":5,\"netns\":4026531840,"
			    "\"proto\":\"tcp\",\"family\":\"inet\","
			    "\"laddr\":\"0.0.0.0\",\"lport\":8080,\"state\":\"LISTEN\","
			    "\"closed\":\"2026-11-20T14:02:11.000000000Z\","
			    "\"bytes_sent\":0,\"bytes_received\":0,"
			    "\"holders\":[{\"pid\":10,\"comm\":\"srv\",\"uid\":1000}]}\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(closed_socket),
		cmocka_unit_test(closed_socket_unknowns),
		cmocka_unit_test(failure),
		cmocka_unit_test(owner),
		cmocka_unit_test(hostile_names),
		cmocka_unit_test(live_and_marked),
		cmocka_unit_test(socket_of_engine_row),
	};

	timefmt_init(&tf);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
