// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The identity in every output: event JSON, the ports/who column and JSON,
 * explanations, stored rows (JSON and text); and nothing when it is not
 * known. A fake resolver stands in for the cgroup cache.
 */
#include "testutil.h"

#include <errno.h>
#include <string.h>

#include "model/explain.h"
#include "output/format.h"
#include "output/portrow.h"
#include "output/rows.h"

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DOCKER "/system.slice/docker-" ID64 ".scope"

static struct cg_ident nginx, docker, hostile;

/* tcp 0.0.0.0:8080 LISTEN, cookie 5 */
static struct ss_sockinfo tu_sockinfo_listen(void)
{
	struct ss_sockinfo s;

	memset(&s, 0, sizeof(s));
	s.hdr.type = SS_REC_SOCK;
	s.cookie = 5;
	s.netns = 4026531840u;
	s.family = SS_AF_INET;
	s.proto = SS_PROTO_TCP;
	s.lport = 8080;
	s.state = SS_TCP_LISTEN;
	return s;
}
static char out[8192];

static const struct cg_ident *fake(void *ctx, uint64_t id)
{
	(void)ctx;
	return id == 7 ? &nginx : id == 8 ? &docker : id == 9 ? &hostile : NULL;
}

static int setup(void **state)
{
	(void)state;
	assert_int_equal(cg_ident_parse("/system.slice/nginx.service", &nginx), 0);
	assert_int_equal(cg_ident_parse(DOCKER, &docker), 0);
	assert_int_equal(cg_ident_parse("/x/a\"b\nc d.service", &hostile), 0);
	cg_ident_set_resolver(fake, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cg_ident_set_resolver(NULL, NULL);
	return 0;
}

static void event_json_fields_last(void **state)
{
	struct ss_event e = tu_nginx_record(SS_EV_SOCKET);
	struct event_extra x = {.ident = cg_ident_lookup(8)};
	struct formatter f;
	struct sbuf sb;

	(void)state;
	formatter_init(&f, true);
	sbuf_init(&sb, out, sizeof(out));
	format_event(&f, &sb, &e, &x);
	assert_non_null(strstr(out, ",\"type\":0,\"cgroup\":\"" DOCKER "\",\"unit\":\"docker-" ID64
				    ".scope\",\"container_id\":\"" ID64
				    "\",\"container_runtime\":\"docker\"}\n"));
	assert_null(strstr(out, "pod_uid"));
	/* unknown: nothing at all */
	sbuf_init(&sb, out, sizeof(out));
	format_event(&f, &sb, &e, NULL);
	assert_null(strstr(out, "\"cgroup\""));
	assert_null(strstr(out, "\"unit\""));
	/* hostile path: escaped, still one line */
	x.ident = cg_ident_lookup(9);
	sbuf_init(&sb, out, sizeof(out));
	format_event(&f, &sb, &e, &x);
	assert_non_null(strstr(out, "\"cgroup\":\"/x/a\\\"b\\nc d.service\""));
	assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
}

static void ports_column_and_json(void **state)
{
	struct ss_sockinfo s = tu_sockinfo_listen();
	struct holder h[2] = {{.pid = 10, .fd = 3, .comm = "nginx", .cgroup_id = 7},
			      {.pid = 11, .fd = -1, .comm = "w", .cgroup_id = 8}};
	struct port_row r = {.sock = &s, .holders = h, .nr_holders = 2};
	struct sbuf sb;

	(void)state;
	sbuf_init(&sb, out, sizeof(out));
	portrow_text(&sb, &r);
	assert_non_null(strstr(out, " nginx.service         nginx(pid=10,fd=3),w(pid=11)\n"));
	h[0].cgroup_id = 8;
	sbuf_init(&sb, out, sizeof(out));
	portrow_text(&sb, &r);
	assert_non_null(strstr(out, " 0123456789ab(docker)  nginx(pid=10"));
	h[0].cgroup_id = 9;
	sbuf_init(&sb, out, sizeof(out));
	portrow_text(&sb, &r);
	assert_non_null(strstr(out, " a\"b\\x0ac\\x20d.service nginx("));
	h[0].cgroup_id = 0; /* the first holder with one names the row */
	sbuf_init(&sb, out, sizeof(out));
	portrow_json(&sb, &r, NULL);
	assert_non_null(strstr(out, "\"reuseport\":false,\"cgroup\":\"" DOCKER "\""));
	assert_non_null(strstr(out, "{\"pid\":10,\"comm\":\"nginx\",\"uid\":0,\"fd\":3},"));
	assert_non_null(
		strstr(out, "{\"pid\":11,\"comm\":\"w\",\"uid\":0,\"cgroup\":\"" DOCKER "\""));
	h[1].cgroup_id = 0;
	sbuf_init(&sb, out, sizeof(out));
	portrow_text(&sb, &r);
	assert_non_null(strstr(out, " -                     nginx(pid=10"));
}

static void explanation_names_it(void **state)
{
	struct ss_sockinfo socks[1] = {tu_sockinfo_listen()};
	struct ss_sockinfo holders[1] = {socks[0]};
	struct snap_pidcg cg[1] = {{.pid = 812, .cgroup_id = 7}};
	struct snapshot snap = {.socks = socks, .nr_socks = 1, .holders = holders, .nr_holders = 1};
	struct ss_event e = tu_nginx_record(SS_EV_BIND);
	struct explanation x;
	struct sbuf sb;

	(void)state;
	holders[0].hdr.type = SS_REC_HOLDER;
	holders[0].pid = 812;
	strcpy(holders[0].comm, "nginx");
	e.err = EADDRINUSE;
	e.lport = socks[0].lport;
	e.laddr_family = SS_AF_INET;
	e.netns = socks[0].netns;
	e.cookie = 1;
	e.pid = 900;
	snap.pid_cgroups = cg;
	snap.nr_pid_cgroups = 1;
	assert_true(explain_event(&e, &snap, &x));
	assert_non_null(strstr(x.reason, "is held by pid 812 (nginx, nginx.service), listening"));
	sbuf_init(&sb, out, sizeof(out));
	explain_json(&sb, &x);
	assert_non_null(strstr(out, "\"uid\":0,\"cgroup\":\"/system.slice/nginx.service\","
				    "\"unit\":\"nginx.service\",\"cookie\":"));
	cg[0].cgroup_id = 8;
	assert_true(explain_event(&e, &snap, &x));
	assert_non_null(strstr(x.reason, "(nginx, container 0123456789ab docker)"));
	snap.nr_pid_cgroups = 0;
	assert_true(explain_event(&e, &snap, &x));
	assert_non_null(strstr(x.reason, "held by pid 812 (nginx), listening"));
}

static void stored_rows(void **state)
{
	struct store_row r = {.kind = STORE_KIND_OWNER};
	struct timefmt tf;
	struct sbuf sb;

	(void)state;
	timefmt_init(&tf);
	r.owner.pid = 5;
	strcpy(r.owner.comm, "x");
	strcpy(r.owner.action, "bind");
	strcpy(r.owner.cgroup, DOCKER);
	sbuf_init(&sb, out, sizeof(out));
	rows_past_json(&sb, &r, &tf);
	assert_non_null(
		strstr(out, ",\"container_id\":\"" ID64 "\",\"container_runtime\":\"docker\"}\n"));
	sbuf_init(&sb, out, sizeof(out));
	rows_past_text(&sb, &r, &tf);
	assert_non_null(strstr(out, " x(pid=5)  in 0123456789ab(docker)\n"));
	r.owner.cgroup[0] = '\0';
	sbuf_init(&sb, out, sizeof(out));
	rows_past_json(&sb, &r, &tf);
	assert_null(strstr(out, "cgroup"));
	sbuf_init(&sb, out, sizeof(out));
	rows_past_text(&sb, &r, &tf);
	assert_null(strstr(out, " in "));
	/* a row's path from its holders: the first that has one */
	{
		struct holder h[2] = {{.pid = 1}, {.pid = 2, .cgroup_id = 7}};
		char p[STORE_CGROUP_LEN];

		rows_cgroup_of(p, sizeof(p), h, 2);
		assert_string_equal(p, "/system.slice/nginx.service");
		rows_cgroup_of(p, sizeof(p), h, 1);
		assert_string_equal(p, "");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(event_json_fields_last),
		cmocka_unit_test(ports_column_and_json),
		cmocka_unit_test(explanation_names_it),
		cmocka_unit_test(stored_rows),
	};

	return cmocka_run_group_tests_name("identity_output", tests, setup, teardown);
}
