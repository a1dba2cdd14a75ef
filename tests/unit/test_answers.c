// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * answers__run() over a hand-seeded engine and a temporary database: the
 * exact output of ports, who (now and before) and history.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cli.h"
#include "lib/exitcodes.h"
#include "runtime/answers.h"

#define NS 4026531840u
#define SEC 1000000000ull
#define T0 (1795183331ull * SEC) /* 2026-11-20T14:02:11Z */
#define MONO0 (1000 * SEC)

static struct engine *en;
static struct store *st;
static struct timefmt tf;
static char dir[256], path[300];
static char out[1 << 16], errs[4096];
static size_t nout, nerr;
static uint64_t clock_ns = MONO0;

static void capture(void *ctx, int stream, const char *p, size_t n)
{
	char *b = stream == 2 ? errs : out;
	size_t *len = stream == 2 ? &nerr : &nout;
	size_t cap = stream == 2 ? sizeof(errs) : sizeof(out);

	(void)ctx;
	assert_true(*len + n < cap);
	memcpy(b + *len, p, n);
	*len += n;
	b[*len] = '\0';
}

static const struct writer w = {.write = capture};

/* Runs "sockscope ARGS..." through answers__run_more(). */
static int ask(const struct answers_more *more, ...)
{
	char *argv[16] = {"sockscope"}, err[256];
	struct cli_opts o;
	int argc = 1;
	va_list ap;

	va_start(ap, more);
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	if (cli_parse(argc, argv, &o, err, sizeof(err)))
		fail_msg("cli_parse: %s", err);
	nout = nerr = 0;
	out[0] = errs[0] = '\0';
	return answers__run_more(en, st, &tf, &o, &w, more);
}

#define ASK(...) ask(NULL, __VA_ARGS__, NULL)

static struct ss_sockinfo sock(uint64_t cookie, const char *laddr, unsigned int lport,
			       const char *raddr, unsigned int rport, unsigned int state)
{
	struct ss_sockinfo s = {0};

	s.hdr.type = SS_REC_SOCK;
	s.cookie = cookie;
	s.netns = NS;
	s.family = SS_AF_INET;
	s.proto = SS_PROTO_TCP;
	s.state = (__u8)state;
	inet_pton(AF_INET, laddr, s.laddr);
	s.lport = (__u16)lport;
	if (raddr) {
		inet_pton(AF_INET, raddr, s.raddr);
		s.rport = (__u16)rport;
	}
	s.uid = 1000;
	return s;
}

static struct ss_sockinfo holder(uint64_t cookie, uint32_t pid, uint32_t fd, const char *comm)
{
	struct ss_sockinfo h = {0};

	h.hdr.type = SS_REC_HOLDER;
	h.cookie = cookie;
	h.netns = NS;
	h.pid = pid;
	h.uid = 1000;
	h.fd = fd;
	snprintf(h.comm, sizeof(h.comm), "%s", comm);
	return h;
}

static struct ss_event ev(unsigned int type, uint64_t cookie, uint32_t pid, const char *comm)
{
	struct ss_event e = tu_record(type);

	e.ts_ns = clock_ns += SEC;
	e.cookie = cookie;
	e.pid = e.tid = pid;
	e.netns = NS;
	snprintf(e.comm, sizeof(e.comm), "%s", comm);
	return e;
}

static void apply(struct ss_event e)
{
	engine__apply(en, &e);
}

/* A listener on 8080 that pid 20 ("old") opened and closed: in the history. */
static void closed_listener(uint64_t cookie, uint32_t pid, const char *comm)
{
	struct ss_event e = ev(SS_EV_SOCKET, cookie, pid, comm);

	apply(e);
	e = ev(SS_EV_BIND, cookie, pid, comm);
	tu_set_local(&e, AF_INET, "0.0.0.0", 8080);
	apply(e);
	e.hdr.type = SS_EV_LISTEN;
	e.ts_ns = clock_ns += SEC;
	apply(e);
	e = ev(SS_EV_STATE, cookie, 0, "");
	e.hdr.flags |= SS_F_NO_OWNER | SS_F_ASYNC;
	e.u.state.old_state = 7;
	e.u.state.new_state = 10;
	apply(e);
	apply(ev(SS_EV_CLOSE, cookie, pid, comm));
}

static int setup(void **state)
{
	struct ss_sockinfo socks[] = {
		sock(1, "0.0.0.0", 8080, NULL, 0, 10),
		sock(2, "127.0.0.1", 8080, "127.0.0.1", 40000, 1),
		sock(3, "127.0.0.1", 9090, NULL, 0, 10),
	};
	struct ss_sockinfo holders[] = {
		holder(1, 10, 3, "srv"),
		holder(2, 11, 4, "worker"),
		holder(3, 12, 5, "other"),
	};
	struct snapshot s = {
		.socks = socks,
		.nr_socks = 3,
		.holders = holders,
		.nr_holders = 3,
	};
	(void)state;
	timefmt_init(&tf);
	tf.mono_to_real_ns = (int64_t)(T0 - MONO0); /* MONO0 + n s: 14:02:11 + n s */
	clock_ns = MONO0;
	en = engine__new(16);
	if (!en || engine__seed(en, &s, clock_ns))
		return -1;
	if (tu_mkdtemp(dir, sizeof(dir), "answers"))
		return -1;
	snprintf(path, sizeof(path), "%s/history.db", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	engine__free(en);
	store__close(st);
	st = NULL;
	tu_rm_rf(dir);
	return 0;
}

/* The database with a closed socket, a failure and an owner change on 8080. */
static void fill_store(void)
{
	struct store_opts so = {.path = path};
	struct store_socket s = {.cookie = 50,
				 .netns = NS,
				 .proto = "tcp",
				 .family = "inet",
				 .laddr = "0.0.0.0",
				 .lport = 8080,
				 .state = "LISTEN",
				 .opened_ns = (int64_t)(T0 - 60 * SEC),
				 .closed_ns = (int64_t)(T0 - 30 * SEC),
				 .nr_holders = 1};
	struct store_failure f = {.ts_ns = (int64_t)(T0 - 20 * SEC),
				  .event = "bind",
				  .pid = 13,
				  .uid = 1000,
				  .comm = "dup",
				  .netns = NS,
				  .proto = "tcp",
				  .laddr = "0.0.0.0",
				  .lport = 8080,
				  .err = 98,
				  .error = "EADDRINUSE"};
	struct store_owner o = {.ts_ns = (int64_t)(T0 - 10 * SEC),
				.netns = NS,
				.proto = "tcp",
				.laddr = "0.0.0.0",
				.lport = 9090,
				.cookie = 3,
				.pid = 12,
				.uid = 1000,
				.comm = "other",
				.action = "listen"};
	char err[256];

	s.holders[0] = (struct store_holder){.pid = 30, .uid = 0, .comm = "nginx"};
	assert_int_equal(store__open(&st, &so, err, sizeof(err)), 0);
	store__add_socket(st, &s);
	store__add_failure(st, &f);
	store__add_owner(st, &o);
	assert_int_equal(store__flush(st, err, sizeof(err)), 0);
}

#define HEADER                                                                 \
	"PROTO STATE       LOCAL                       REMOTE                " \
	"      NETNS "                                                         \
	"      UNIT/CONTAINER        PROCESSES\n"
#define ROW_LISTEN                                                             \
	"tcp4  LISTEN      0.0.0.0:8080                *                     " \
	"      "                                                               \
	"4026531840  -                     srv(pid=10,fd=3)\n"
#define ROW_ESTAB                                                              \
	"tcp4  ESTABLISHED 127.0.0.1:8080              127.0.0.1:40000       " \
	"      "                                                               \
	"4026531840  -                     worker(pid=11,fd=4)\n"
#define ROW_9090                                                               \
	"tcp4  LISTEN      127.0.0.1:9090              *                     " \
	"      "                                                               \
	"4026531840  -                     other(pid=12,fd=5)\n"

static void ports_listening_and_all(void **state)
{
	(void)state;
	assert_int_equal(ASK("ports"), SS_EXIT_OK);
	assert_string_equal(out, HEADER ROW_LISTEN ROW_9090);
	assert_int_equal(ASK("ports", "--all", "--port", "8080"), SS_EXIT_OK);
	assert_string_equal(out, HEADER ROW_LISTEN ROW_ESTAB);
	assert_int_equal(ASK("ports", "--comm", "other", "--json"), SS_EXIT_OK);
	assert_string_equal(out, "{\"proto\":\"tcp\",\"family\":\"inet\",\"state\":\"LISTEN\","
				 "\"laddr\":\"127.0.0.1\",\"lport\":9090,\"netns\":4026531840,"
				 "\"cookie\":3,\"uid\":1000,\"reuseaddr\":false,\"reuseport\":"
				 "false,"
				 "\"holders\":[{\"pid\":12,\"comm\":\"other\",\"uid\":1000,"
				 "\"fd\":5}]}\n");
	assert_string_equal(errs, "");
}

/* A running trace (no store): who held it before comes from its history. */
static void who_now_and_before_from_the_engine(void **state)
{
	(void)state;
	closed_listener(7, 20, "old");
	assert_int_equal(ASK("who", "8080"), SS_EXIT_OK);
	assert_string_equal(out, HEADER ROW_LISTEN ROW_ESTAB
			    "held before:\n"
			    "2026-11-20T14:02:16.000000000Z  closed  tcp LISTEN "
			    "0.0.0.0:8080 -> *"
			    "  opened 2026-11-20T14:02:12.000000000Z  by old(pid=20)\n");
	assert_int_equal(ASK("who", "9090", "--json"), SS_EXIT_OK);
	assert_null(strstr(out, "held before")); /* titles are for people */
	assert_null(strstr(out, "\"kind\""));
	/* the same rows as history --port 8080 asked of that engine */
	assert_int_equal(ASK("history", "--port", "8080", "--json"), SS_EXIT_OK);
	assert_string_equal(out, "{\"kind\":\"socket\",\"cookie\":7,\"netns\":4026531840,"
				 "\"proto\":\"tcp\",\"family\":\"inet\",\"laddr\":\"0.0.0.0\","
				 "\"lport\":8080,\"state\":\"LISTEN\","
				 "\"opened\":\"2026-11-20T14:02:12.000000000Z\","
				 "\"closed\":\"2026-11-20T14:02:16.000000000Z\","
				 "\"duration_ns\":4000000000,\"bytes_sent\":0,"
				 "\"bytes_received\":0,"
				 "\"holders\":[{\"pid\":20,\"comm\":\"old\",\"uid\":0}]}\n");
}

static void who_nothing_held(void **state)
{
	(void)state;
	assert_int_equal(ASK("who", "7777"), SS_EXIT_NOT_HELD);
	assert_string_equal(out, "");
	assert_string_equal(errs, "sockscope: nothing holds port 7777 in any "
				  "network namespace\n");
	assert_int_equal(ASK("who", "7777", "--proto", "udp", "--netns", "1"), SS_EXIT_NOT_HELD);
	assert_string_equal(errs, "sockscope: nothing holds port 7777/udp in that network "
				  "namespace\n");
}

/* The daemon: live rows from its engine, the past from its database only. */
static void who_with_the_store(void **state)
{
	(void)state;
	closed_listener(7, 20, "old"); /* in the store too, in a daemon: not twice */
	fill_store();
	assert_int_equal(ASK("who", "8080"), SS_EXIT_OK);
	assert_string_equal(out, HEADER ROW_LISTEN ROW_ESTAB
			    "held before:\n"
			    "2026-11-20T14:01:51.000000000Z  failed  bind tcp 0.0.0.0:8080 "
			    "EADDRINUSE  by dup(pid=13)\n"
			    "2026-11-20T14:01:41.000000000Z  closed  tcp LISTEN "
			    "0.0.0.0:8080 -> *"
			    "  opened 2026-11-20T14:01:11.000000000Z  by nginx(pid=30)\n");
	assert_int_equal(ASK("who", "8080", "--json"), SS_EXIT_OK);
	assert_non_null(strstr(out, "\"holders\":[{\"pid\":11,\"comm\":\"worker\",\"uid\":1000,"
				    "\"fd\":4}]}\n{\"kind\":\"failure\""));
	assert_non_null(strstr(out, "\"holders\":[{\"pid\":30,\"comm\":\"nginx\",\"uid\":0}]}\n"));
}

static void history_filters(void **state)
{
	(void)state;
	fill_store();
	assert_int_equal(ASK("history"), SS_EXIT_OK);
	assert_string_equal(out, "2026-11-20T14:02:01.000000000Z  owner   listen tcp "
				 "0.0.0.0:9090   by other(pid=12)\n"
				 "2026-11-20T14:01:51.000000000Z  failed  bind tcp 0.0.0.0:8080 "
				 "EADDRINUSE  by dup(pid=13)\n"
				 "2026-11-20T14:01:41.000000000Z  closed  tcp LISTEN "
				 "0.0.0.0:8080 -> *"
				 "  opened 2026-11-20T14:01:11.000000000Z  by nginx(pid=30)\n");
	assert_int_equal(ASK("history", "--failed", "--json"), SS_EXIT_OK);
	assert_string_equal(out, "{\"kind\":\"failure\",\"ts\":\"2026-11-20T14:01:51."
				 "000000000Z\","
				 "\"event\":\"bind\",\"pid\":13,\"uid\":1000,\"comm\":\"dup\","
				 "\"netns\":4026531840,\"proto\":\"tcp\",\"laddr\":\"0.0.0.0\","
				 "\"lport\":8080,\"error\":\"EADDRINUSE\",\"errno\":98}\n");
	assert_int_equal(ASK("history", "--pid", "30", "--limit", "1"), SS_EXIT_OK);
	assert_non_null(strstr(out, "nginx(pid=30)\n"));
	assert_null(strchr(out, '\n')[1] ? "more" : NULL);
	assert_int_equal(ASK("history", "--port", "1"), SS_EXIT_OK);
	assert_string_equal(out, "");
	assert_string_equal(errs, "sockscope: no history matches\n");
	assert_int_equal(ASK("history", "--since", "yesterday-ish"), SS_EXIT_USAGE);
	assert_non_null(strstr(errs, "bad --since 'yesterday-ish'"));
}

/* Bad times: usage errors with what is wrong, no rows. */
static void bad_times(void **state)
{
	struct answers_times t;
	struct cli_opts o;
	char *argv[] = {"sockscope", "history", "--since", "2h", "--until", "1h", NULL}, err[256];

	(void)state;
	assert_int_equal(ASK("who", "80", "--at", "yesterday-ish"), SS_EXIT_USAGE);
	assert_string_equal(errs, "sockscope: bad --at 'yesterday-ish': expected RFC 3339, "
				  "\"2026-11-20 14:02\", or an age like 1h, 30m, 2d\n");
	assert_int_equal(ASK("history", "--since", "2026-02-30T00:00:00Z"), SS_EXIT_USAGE);
	assert_string_equal(errs, "sockscope: bad --since '2026-02-30T00:00:00Z': expected RFC "
				  "3339, \"2026-11-20 14:02\", or an age like 1h, 30m, 2d\n");
	assert_int_equal(ASK("history", "--since", "9999-12-31T23:59:59Z"), SS_EXIT_USAGE);
	assert_string_equal(errs, "sockscope: bad --since '9999-12-31T23:59:59Z': out of range "
				  "(years 1678 to 2261)\n");
	assert_int_equal(ASK("history", "--until", "99999999d"), SS_EXIT_USAGE);
	assert_string_equal(
		errs, "sockscope: bad --until '99999999d': out of range (years 1678 to 2261)\n");
	assert_int_equal(ASK("history", "--since", "1h", "--until", "2h"), SS_EXIT_USAGE);
	assert_string_equal(errs, "sockscope: --until '2h' is before --since '1h'\n");
	assert_int_equal(ASK("history", "--since", "2026-11-20T14:02:11Z", "--until",
			     "2026-11-20T14:02:10Z"),
			 SS_EXIT_USAGE);
	assert_string_equal(out, "");
	/* the window the right way round, and answers__times on its own */
	assert_int_equal(cli_parse(6, argv, &o, err, sizeof(err)), 0);
	nerr = 0;
	errs[0] = '\0';
	assert_int_equal(answers__times(&o, &t, &w), 0);
	assert_true(t.since_ns < t.until_ns && !t.at_ns);
	assert_string_equal(errs, "");
}

/* The engine's history obeys the same filters as the store's. */
static void history_of_an_engine(void **state)
{
	(void)state;
	closed_listener(7, 20, "old");
	closed_listener(8, 21, "newer");
	assert_int_equal(ASK("history"), SS_EXIT_OK);
	assert_non_null(strstr(out, "newer(pid=21)\n2026")); /* newest first */
	assert_int_equal(ASK("history", "--comm", "old"), SS_EXIT_OK);
	assert_null(strstr(out, "newer"));
	assert_non_null(strstr(out, "old(pid=20)"));
	assert_int_equal(ASK("history", "--limit", "1"), SS_EXIT_OK);
	assert_null(strstr(out, "old"));
	assert_int_equal(ASK("history", "--failed"), SS_EXIT_OK);
	assert_string_equal(out, "");
	assert_int_equal(ASK("history", "--until", "2026-11-20T14:02:16Z"), SS_EXIT_OK);
	assert_null(strstr(out, "newer"));
}

/* More rows (running engines): one title, and the question they get. */
static long more_rows(char *const *q, const struct writer *wr, void *arg)
{
	char *joined = arg;

	for (size_t i = 0; q[i]; i++) {
		strcat(joined, q[i]);
		strcat(joined, " ");
	}
	wr->write(wr->ctx, 1, "row one\nrow two\n", 16);
	return 2;
}

static void who_with_more_sources(void **state)
{
	char joined[256] = "";
	struct answers_more more = {.fn = more_rows, .arg = joined};

	(void)state;
	fill_store();
	assert_int_equal(ask(&more, "who", "9090", NULL), SS_EXIT_OK);
	assert_string_equal(joined, "history --port 9090 --limit 20 ");
	assert_string_equal(out,
			    HEADER ROW_9090 "held before:\n"
					    "2026-11-20T14:02:01.000000000Z  owner   listen tcp "
					    "0.0.0.0:9090   by other(pid=12)\n"
					    "row one\nrow two\n");
	joined[0] = '\0';
	assert_int_equal(
		ask(&more, "history", "--pid", "7", "--since", "1h", "--failed", "--json", NULL),
		SS_EXIT_OK);
	assert_string_equal(joined, "history --pid 7 --since 1h --failed --limit 1000 --json ");
	assert_string_equal(errs, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		tu_test(ports_listening_and_all), tu_test(who_now_and_before_from_the_engine),
		tu_test(who_nothing_held),	  tu_test(who_with_the_store),
		tu_test(history_filters),	  tu_test(history_of_an_engine),
		tu_test(who_with_more_sources),	  tu_test(bad_times),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
