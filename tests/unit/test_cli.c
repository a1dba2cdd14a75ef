// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Option parsing: what is accepted, and a one-line reason + exit 2 for the
 * rest. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli.h"
#include "cmd/commands.h"
#include "lib/exitcodes.h"

static struct cli_opts o;
static char err[512];

#define PARSE(...)                                                                     \
	({                                                                             \
		char *argv_[] = {"sockscope", __VA_ARGS__, NULL};                      \
		cli_parse((int)(sizeof(argv_) / sizeof(argv_[0])) - 1, argv_, &o, err, \
			  sizeof(err));                                                \
	})

static int parse0(void)
{
	char *argv[] = {"sockscope", NULL};

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
	assert_int_equal(PARSE("trace", "--json", "-o", "/tmp/x", "-p", "42", "-c", "nginx", "-P",
			       "8080", "--proto", "udp", "--family", "6", "--failed", "-d", "1.5",
			       "-n", "10", "--ring-size", "64K", "-vv"),
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
	/* JSON too: state events only with --states (contract v1.3) */
	assert_false(o.filter.events & SS_EV_BIT(SS_EV_STATE));
	assert_int_equal(PARSE("--json", "--states"), 0);
	assert_true(o.filter.events & SS_EV_BIT(SS_EV_STATE));
}

static void events_list(void **state)
{
	(void)state;
	assert_int_equal(PARSE("--events", "bind,close"), 0);
	assert_int_equal(o.filter.events, SS_EV_BIT(SS_EV_BIND) | SS_EV_BIT(SS_EV_CLOSE));
	assert_int_equal(PARSE("-e", "connect_done", "--states"), 0);
	assert_int_equal(o.filter.events, SS_EV_BIT(SS_EV_CONNECT_DONE) | SS_EV_BIT(SS_EV_STATE));
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

static void value_given_to_an_option_without_one(void **state)
{
	(void)state;
	expect_usage(PARSE("--json=yes"), "option '--json' takes no value");
	expect_usage(PARSE("ports", "--states=1"), "option '--states' takes no value");
	expect_usage(PARSE("ports", "--all=1"), "option '--all' takes no value");
	expect_usage(PARSE("--help=me"), "option '--help' takes no value");
	/* an abbreviation is named in full */
	expect_usage(PARSE("--jso=1"), "option '--json' takes no value");
}

static void option_of_another_command(void **state)
{
	(void)state;
	expect_usage(PARSE("--watch"),
		     "option '--watch' does not apply to 'trace' (it applies to ports;");
	expect_usage(PARSE("trace", "--state", "established"), "it applies to ports and who;");
	expect_usage(PARSE("daemon", "--json"), "it applies to trace, ports, who and history;");
	expect_usage(PARSE("history", "--sink", "stdout"), "try 'sockscope history --help'");
	/* after --help nothing is checked: the help is what was asked for */
	assert_int_equal(PARSE("ports", "--help", "--states"), 0);
	assert_int_equal(o.help_for, SS_CMD_PORTS);
}

static void bad_value_of_each_kind(void **state)
{
	(void)state;
	expect_usage(PARSE("history", "--limit", "0"), "bad --limit '0': expected 1-10000000");
	expect_usage(PARSE("history", "--limit", "+5"), "bad --limit");
	expect_usage(PARSE("--ring-size", "3K"), "bad --ring-size '3K'");
	expect_usage(PARSE("--ring-size", "1T"), "bad --ring-size");
	expect_usage(PARSE("ports", "--interval", "0.01"), "bad --interval '0.01'");
	expect_usage(PARSE("ports", "--interval", "3601"), "bad --interval");
	expect_usage(PARSE("--duration", "-1"), "bad --duration '-1': expected seconds > 0");
	expect_usage(PARSE("--duration", "inf"), "bad --duration");
	expect_usage(PARSE("--output", ""), "--output needs a file name");
	expect_usage(PARSE("--proto", "TCP"), "bad --proto 'TCP': expected tcp or udp");
	expect_usage(PARSE("--events", ""), "--events needs at least one event name");
	expect_usage(PARSE("--events", "bind,resync"),
		     "unknown event 'resync' in --events (known:");
	expect_usage(PARSE("--comm", ""), "bad --comm '': a command name is 1-15 bytes");
	expect_usage(PARSE("who", "abc"), "bad port 'abc'");
	expect_usage(PARSE("who", "1.2.3.4"), "bad address '1.2.3.4'");
	expect_usage(PARSE("daemon", "--sink", "a", "--sink", "b", "--sink", "c", "--sink", "d",
			   "--sink", "e", "--sink", "f", "--sink", "g", "--sink", "h", "--sink",
			   "i"),
		     "too many --sink options (at most 8)");
	expect_usage(PARSE("history", "--until"), "option '--until' needs a value");
	expect_usage(PARSE("-P"), "option '-P' needs a value");
}

static void values_of_each_kind(void **state)
{
	(void)state;
	assert_int_equal(PARSE("-v", "--verbose", "-v"), 0);
	assert_int_equal(o.verbose, 3);
	assert_int_equal(PARSE("--ring-size", "1GiB", "--family", "inet"), 0);
	assert_int_equal(o.ring_size, 1u << 30);
	assert_int_equal(o.filter.family, SS_AF_INET);
	/* the last --comm wins, whole */
	assert_int_equal(PARSE("-c", "nginx-worker", "-c", "sshd"), 0);
	assert_string_equal(o.filter.comm, "sshd");
	assert_int_equal(PARSE("-e", "bind", "-e", "close"), 0);
	assert_int_equal(o.filter.events, SS_EV_BIT(SS_EV_CLOSE));
	assert_int_equal(PARSE("daemon", "--sink", "stdout", "--sink", "syslog", "--check-config",
			       "--retain", "30d", "--retain-size", "1G", "--metrics",
			       "127.0.0.1:9463", "--db", "/tmp/x.db", "--config", "/dev/null",
			       "--ring-size", "8M"),
			 0);
	assert_int_equal(o.command, SS_CMD_DAEMON);
	assert_int_equal(o.nr_sinks, 2);
	assert_string_equal(o.sinks[1], "syslog");
	assert_true(o.check_config);
	assert_string_equal(o.retain, "30d");
	assert_string_equal(o.retain_size, "1G");
	assert_string_equal(o.metrics, "127.0.0.1:9463");
	assert_string_equal(o.db, "/tmp/x.db");
	assert_string_equal(o.config, "/dev/null");
	assert_int_equal(o.ring_size, 8u << 20);
	assert_int_equal(PARSE("history", "--since", "1h", "--until", "now", "--limit", "5",
			       "--failed", "-P", "80", "--json"),
			 0);
	assert_string_equal(o.since, "1h");
	assert_string_equal(o.until, "now");
	assert_int_equal(o.limit, 5);
	assert_int_equal(o.filter.failed_only, 1);
	assert_int_equal(PARSE("who", "8080", "--at", "1h", "--db", "/tmp/x.db"), 0);
	assert_string_equal(o.at, "1h");
}

static void help_command(void **state)
{
	(void)state;
	assert_int_equal(PARSE("help", "ports"), 0);
	assert_int_equal(o.command, SS_CMD_HELP);
	assert_int_equal(o.help_for, SS_CMD_PORTS);
	assert_int_equal(PARSE("help"), 0);
	assert_int_equal(o.help_for, SS_CMD_HELP);
	assert_int_equal(PARSE("--help"), 0);
	assert_int_equal(o.help_for, SS_CMD_HELP);
	assert_int_equal(PARSE("who", "-h"), 0);
	assert_int_equal(o.help_for, SS_CMD_WHO);
	expect_usage(PARSE("help", "bogus"), "unknown command 'bogus'");
	expect_usage(PARSE("help", "who", "more"), "unexpected argument 'more'");
	expect_usage(PARSE("version"), "unknown command 'version'");
}

static char *usage_text(enum ss_command cmd)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	cli_usage(f, cmd);
	assert_int_equal(fclose(f), 0);
	return buf;
}

struct help_check {
	const char *text;
	const char *command;
};

static int mentioned(const struct cli_option *opt, const char *help, void *arg)
{
	const struct help_check *c = arg;
	char line[128];

	if (opt->letter)
		snprintf(line, sizeof(line), "  -%c, --%s%s%s", opt->letter, opt->name,
			 opt->metavar ? " " : "", opt->metavar ? opt->metavar : "");
	else
		snprintf(line, sizeof(line), "      --%s%s%s", opt->name, opt->metavar ? " " : "",
			 opt->metavar ? opt->metavar : "");
	if (!strstr(c->text, line))
		fail_msg("'%s --help' lacks '%s'", c->command, line);
	if (!strstr(c->text, strchr(help, '\n') ? "" : help))
		fail_msg("'%s --help' lacks the help of --%s", c->command, opt->name);
	return 0;
}

static void help_is_generated_from_the_tables(void **state)
{
	(void)state;
	for (const struct command *c = commands; c->name; c++) {
		char *text = usage_text(c->id);
		struct help_check chk = {text, c->name};

		assert_non_null(strstr(text, "Usage: sockscope "));
		assert_non_null(strstr(text, "Exit codes: 0 ok"));
		if (c->id != SS_CMD_HELP && !c->hidden) {
			char usage[128];

			snprintf(usage, sizeof(usage), "Usage: sockscope %s%s%s",
				 c->is_default ? "[" : "", c->name, c->is_default ? "]" : "");
			assert_non_null(strstr(text, usage));
			assert_non_null(strstr(text, c->about));
			opt_table__walk(c->options, mentioned, &chk);
		}
		for (const char *ln = text; *ln; ln = strchr(ln, '\n') + 1) {
			const char *nl = strchr(ln, '\n');

			assert_non_null(nl);
			/* option lines fit a terminal (examples are commands to
			 * copy) */
			if (nl - ln > 80 && (!strncmp(ln, "  -", 3) || !strncmp(ln, "      --", 8)))
				fail_msg("'%s --help' has an option line over 80 columns: %.*s",
					 c->name, (int)(nl - ln), ln);
		}
		free(text);
	}
	/* the overview names every command, then the default one's options */
	{
		char *text = usage_text(SS_CMD_HELP);

		for (const struct command *c = commands; c->name; c++) {
			char line[160];

			snprintf(line, sizeof(line), "  %-8s %s\n", c->name, c->summary);
			if (c->hidden)
				assert_null(strstr(text, line));
			else
				assert_non_null(strstr(text, line));
		}
		assert_non_null(strstr(text, "Usage: sockscope [trace] [OPTIONS]"));
		free(text);
	}
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
		cmocka_unit_test(value_given_to_an_option_without_one),
		cmocka_unit_test(option_of_another_command),
		cmocka_unit_test(bad_value_of_each_kind),
		cmocka_unit_test(values_of_each_kind),
		cmocka_unit_test(help_command),
		cmocka_unit_test(help_is_generated_from_the_tables),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
