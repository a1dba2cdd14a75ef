// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Option parsing: what is accepted, and a one-line reason + exit 2 for the rest. */
#include "testutil.h"

#include <string.h>

#include "cmd/cli.h"
#include "lib/exitcodes.h"

static struct cli_opts o;
static char err[512];

#define PARSE(...)                                                             \
	({                                                                     \
		char *argv_[] = { "sockscope", __VA_ARGS__, NULL };            \
		cli_parse((int)(sizeof(argv_) / sizeof(argv_[0])) - 1, argv_, \
			  &o, err, sizeof(err));                               \
	})

static int parse0(void)
{
	char *argv[] = { "sockscope", NULL };

	return cli_parse(1, argv, &o, err, sizeof(err));
}

static void defaults(void **state)
{
	(void)state;
	assert_int_equal(parse0(), 0);
	assert_int_equal(o.command, SS_CMD_TRACE);
	assert_false(o.json);
	assert_null(o.output);
	assert_int_equal(o.ring_size, SS_DEFAULT_RING_SIZE);
	/* text mode: everything but state events */
	assert_true(o.filter.events & SS_EV_BIT(SS_EV_BIND));
	assert_false(o.filter.events & SS_EV_BIT(SS_EV_STATE));
	assert_int_equal(o.filter.pid, 0);
	assert_int_equal(o.filter.port, 0);
}

static void trace_word_and_all_options(void **state)
{
	(void)state;
	assert_int_equal(PARSE("trace", "--json", "-o", "/tmp/x", "-p", "42", "-c", "nginx",
			       "-P", "8080", "--proto", "udp", "--family", "6", "--failed",
			       "-d", "1.5", "-n", "10", "--ring-size", "64K", "-vv"),
			 0);
	assert_true(o.json);
	assert_string_equal(o.output, "/tmp/x");
	assert_int_equal(o.filter.pid, 42);
	assert_int_equal(o.filter.has_comm, 1);
	assert_string_equal(o.filter.comm, "nginx");
	assert_int_equal(o.filter.port, 8080);
	assert_int_equal(o.filter.proto, SS_PROTO_UDP);
	assert_int_equal(o.filter.family, SS_AF_INET6);
	assert_int_equal(o.filter.failed_only, 1);
	assert_int_equal(o.duration_ms, 1500);
	assert_int_equal(o.count, 10);
	assert_int_equal(o.ring_size, 65536);
	assert_int_equal(o.verbose, 2);
	/* JSON: state events included */
	assert_true(o.filter.events & SS_EV_BIT(SS_EV_STATE));
}

static void events_list(void **state)
{
	(void)state;
	assert_int_equal(PARSE("--events", "bind,close"), 0);
	assert_int_equal(o.filter.events, SS_EV_BIT(SS_EV_BIND) | SS_EV_BIT(SS_EV_CLOSE));
	assert_int_equal(PARSE("-e", "connect_done", "--states"), 0);
	assert_int_equal(o.filter.events,
			 SS_EV_BIT(SS_EV_CONNECT_DONE) | SS_EV_BIT(SS_EV_STATE));
	assert_int_equal(PARSE("--states"), 0);
	assert_true(o.filter.events & SS_EV_BIT(SS_EV_STATE));
}

static void help_and_version(void **state)
{
	(void)state;
	assert_int_equal(PARSE("--help"), 0);
	assert_int_equal(o.command, SS_CMD_HELP);
	assert_int_equal(PARSE("help"), 0);
	assert_int_equal(o.command, SS_CMD_HELP);
	assert_int_equal(PARSE("--version"), 0);
	assert_int_equal(o.command, SS_CMD_VERSION);
}

static void expect_usage(int rc, const char *needle)
{
	assert_int_equal(rc, SS_EXIT_USAGE);
	assert_non_null(strstr(err, needle));
	assert_null(strchr(err, '\n'));
}

static void bad_input(void **state)
{
	(void)state;
	expect_usage(PARSE("--bogus"), "unknown option '--bogus'");
	expect_usage(PARSE("-x"), "unknown option '-x'");
	expect_usage(PARSE("portz"), "unknown command 'portz'");
	expect_usage(PARSE("ports", "--states"), "option '--states' does not apply to 'ports'");
	expect_usage(PARSE("trace", "--all"), "option '--all' does not apply to 'trace'");
	expect_usage(PARSE("who", "8080", "-P", "80"), "option '--port' does not apply to 'who'");
	expect_usage(PARSE("ports", "--interval", "0"), "bad --interval");
	expect_usage(PARSE("ports", "--netns", "x"), "bad --netns");
	expect_usage(PARSE("trace", "extra"), "unexpected argument 'extra'");
	expect_usage(PARSE("--port"), "needs a value");
	expect_usage(PARSE("--port", "0"), "bad --port '0'");
	expect_usage(PARSE("--port", "65536"), "bad --port");
	expect_usage(PARSE("--port", "80x"), "bad --port");
	expect_usage(PARSE("--port", "-1"), "bad --port");
	expect_usage(PARSE("--port", ""), "bad --port");
	expect_usage(PARSE("--pid", "abc"), "bad --pid");
	expect_usage(PARSE("--pid", "0"), "bad --pid");
	expect_usage(PARSE("--proto", "sctp"), "bad --proto");
	expect_usage(PARSE("--family", "5"), "bad --family");
	expect_usage(PARSE("--events", "bind,bogus"), "unknown event 'bogus'");
	expect_usage(PARSE("--events", "lost"), "unknown event 'lost'");
	expect_usage(PARSE("--events", ","), "unknown event ''");
	expect_usage(PARSE("--comm", "a-name-longer-than-15"), "bad --comm");
	expect_usage(PARSE("--duration", "0"), "bad --duration");
	expect_usage(PARSE("--duration", "nan"), "bad --duration");
	expect_usage(PARSE("--duration", "1s"), "bad --duration");
	expect_usage(PARSE("--count", "0"), "bad --count");
	expect_usage(PARSE("--ring-size", "5000"), "bad --ring-size");
	expect_usage(PARSE("--ring-size", "2K"), "bad --ring-size");
	expect_usage(PARSE("--ring-size", "2G"), "bad --ring-size");
	expect_usage(PARSE("--ring-size", "16Q"), "bad --ring-size");
	expect_usage(PARSE("-o", ""), "--output needs a file name");
}

static void ports_and_who(void **state)
{
	(void)state;
	assert_int_equal(PARSE("ports"), 0);
	assert_int_equal(o.command, SS_CMD_PORTS);
	assert_false(o.all);
	assert_int_equal(o.interval_ms, 1000);
	assert_int_equal(PARSE("ports", "--all", "--json", "--watch", "--interval", "0.5",
			       "--netns", "4026531840", "-c", "nginx", "--proto", "tcp"),
			 0);
	assert_true(o.all && o.json && o.watch);
	assert_int_equal(o.interval_ms, 500);
	assert_int_equal(o.netns, 4026531840u);
	assert_int_equal(o.filter.proto, SS_PROTO_TCP);

	assert_int_equal(PARSE("who", "8080"), 0);
	assert_int_equal(o.command, SS_CMD_WHO);
	assert_int_equal(o.who_port, 8080);
	assert_int_equal(o.who_family, 0);
	assert_int_equal(PARSE("who", "127.0.0.1:53", "--proto", "udp"), 0);
	assert_int_equal(o.who_family, SS_AF_INET);
	assert_int_equal(o.who_addr[0], 127);
	assert_int_equal(o.who_port, 53);
	assert_int_equal(PARSE("who", "[::1]:443"), 0);
	assert_int_equal(o.who_family, SS_AF_INET6);
	assert_int_equal(o.who_addr[15], 1);
	assert_int_equal(PARSE("who", ":22"), 0);
	assert_int_equal(o.who_family, 0);
	assert_int_equal(o.who_port, 22);

	assert_int_equal(PARSE("ports", "--help"), 0);
	assert_int_equal(o.command, SS_CMD_HELP);
	assert_int_equal(o.help_for, SS_CMD_PORTS);

	expect_usage(PARSE("who"), "who needs a port");
	expect_usage(PARSE("who", "0"), "bad port '0'");
	expect_usage(PARSE("who", "::1:80"), "IPv6 address goes in brackets");
	expect_usage(PARSE("who", "[::1]80"), "expected ':PORT' after ']'");
	expect_usage(PARSE("who", "300.1.1.1:80"), "bad IPv4 address");
	expect_usage(PARSE("who", "80", "81"), "unexpected argument '81'");
}

static void reparse_is_clean(void **state)
{
	(void)state;
	assert_int_equal(PARSE("-p", "5", "--json"), 0);
	assert_int_equal(parse0(), 0);
	assert_int_equal(o.filter.pid, 0);
	assert_false(o.json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(trace_word_and_all_options),
		cmocka_unit_test(events_list),
		cmocka_unit_test(help_and_version),
		cmocka_unit_test(bad_input),
		cmocka_unit_test(ports_and_who),
		cmocka_unit_test(reparse_is_clean),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
