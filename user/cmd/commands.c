// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The command table: what each command word runs, takes and says in --help. */
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>

#include "cmd/commands.h"
#include "cmd/daemon.h"
#include "cmd/history.h"
#include "cmd/who.h"
#include "cmd/ports.h"
#include "cmd/trace.h"
#include "lib/err.h"
#include "lib/exitcodes.h"

static int help_run(const struct cli_opts *o)
{
	cli_usage(stdout, o->help_for);
	return SS_EXIT_OK;
}

/* The Makefile passes the version of debian/changelog, its one source. */
#ifndef SS_VERSION
#error "SS_VERSION is set by the Makefile (from debian/changelog)"
#endif

/* libbpf's version is the library loaded now, not the headers built with. */
static int version_run(const struct cli_opts *o)
{
	(void)o;
	printf("sockscope %s (event ABI %d, libbpf %u.%u)\n", SS_VERSION, SS_ABI_VERSION,
	       libbpf_major_version(), libbpf_minor_version());
	return SS_EXIT_OK;
}

static bool daemon_answers_always(const struct cli_opts *o)
{
	(void)o;
	return true;
}

/* ports --watch is a live table of this process's own event stream */
static bool daemon_answers_ports(const struct cli_opts *o)
{
	return !o->watch;
}

/* help COMMAND */
static int set_help_for(const struct cli_option *opt, const char *arg, void *cfg, char *err,
			size_t errlen)
{
	const struct command *c = command__find(arg);

	(void)opt;
	if (!c)
		return errf(err, errlen, -EINVAL, "unknown command '%s' (try 'sockscope --help')",
			    arg);
	((struct cli_opts *)cfg)->help_for = c->id;
	return 0;
}

static const struct cli_option help_topic_option = {
	.kind = OPTK_CUSTOM,
	.parse = set_help_for,
	.metavar = "[COMMAND]",
	.noun = "a command",
};

const struct opt_entry help_options[] = {
	OPT_GROUP(common_options),
	OPT_END,
};

/* The help text as it prints: */
/* clang-format off */
const struct command commands[] = {
	{
		.name = "trace",
		.id = SS_CMD_TRACE,
		.is_default = true,
		.summary = "stream every TCP/UDP socket's lifecycle, live (the default)",
		.about = "Trace every TCP/UDP socket's lifecycle (socket, bind, listen, connect,\n"
			 "accept, close, TCP states) from the kernel, live. Failures (EADDRINUSE,\n"
			 "EACCES, EADDRNOTAVAIL) come with an explanation and the holders.",
		.options = trace_options,
		.examples = "  sockscope                          trace everything, one line per event\n"
			    "  sockscope trace --json -o ev.json  everything as NDJSON into ev.json\n"
			    "  sockscope trace --failed           only failures, with who holds the port\n"
			    "  sockscope trace -P 8080 --proto tcp   who binds, connects to, closes :8080\n"
			    "  sockscope trace -e bind,listen -d 60  a minute of binds and listens\n"
			    "  sockscope trace --cgroup /system.slice/nginx.service  that unit and below\n"
			    "  sockscope trace --raddr 10.0.0.0/8 --uid www-data     a user's peers in 10/8\n",
		.run = trace_cmd_run,
	},
	{
		.name = "ports",
		.id = SS_CMD_PORTS,
		.summary = "what is bound right now and who holds it (like ss -tulpn)",
		.about = "What is bound right now (TCP listeners, bound UDP sockets), with every\n"
			 "process holding each socket, in every network namespace. Read from the\n"
			 "kernel with BPF iterators.",
		.options = ports_options,
		.examples = "  sockscope ports                    listening TCP and bound UDP, with holders\n"
			    "  sockscope ports --all --json       every socket, as NDJSON\n"
			    "  sockscope ports -c nginx           what nginx holds\n"
			    "  sockscope ports --state established  netstat -an | grep ESTABLISHED\n"
			    "  sockscope ports --watch            live table, changes highlighted\n",
		.run = ports_cmd_run,
		.daemon_answers = daemon_answers_ports,
	},
	{
		.name = "who",
		.id = SS_CMD_WHO,
		.summary = "who holds a port: sockscope who [ADDR:]PORT [--at TIME]",
		.about = "Who holds PORT right now: every socket bound to it (listening, connected,\n"
			 "TIME_WAIT) and every process holding each one, in all network namespaces.\n"
			 "With ADDR, only sockets whose local address covers ADDR (wildcards do).",
		.options = who_options,
		.operand = &who_target_option,
		.examples = "  sockscope who 8080\n"
			    "  sockscope who 8080 --at \"2026-11-20 14:02\"\n"
			    "  sockscope who 127.0.0.1:53 --proto udp\n"
			    "  sockscope who [::1]:443\n"
			    "  sockscope who 443 --state established --netns blue\n",
		.notes = "Exit status: 0 if something holds the port, 6 if nothing does.\n",
		.run = who_cmd_run,
		.daemon_answers = daemon_answers_always,
	},
	{
		.name = "daemon",
		.id = SS_CMD_DAEMON,
		.summary = "always-on audit: history in SQLite, log sinks, metrics",
		.about = "Always-on port audit: the live port map, every closed socket, failure and\n"
			 "port ownership change stored in SQLite, events streamed to log sinks,\n"
			 "metrics for Prometheus, answers to ports/who/history over\n"
			 "/run/sockscope/daemon.sock. Options override the config file.",
		.options = daemon_options,
		.examples = "  sockscope daemon --sink file:/var/log/sockscope/events.json --metrics 127.0.0.1:9463\n"
			    "  sockscope daemon --check-config --config /etc/sockscope/sockscope.conf\n",
		.notes = "Signals: SIGHUP reopens log files, SIGTERM flushes and exits.\n",
		.run = daemon_cmd_run,
	},
	{
		.name = "history",
		.id = SS_CMD_HISTORY,
		.summary =
			"closed sockets and failures remembered by the daemon",
		.about =
			"Closed sockets and failures the daemon remembers, newest first. Asks the\n"
			"running daemon, or reads its database when none runs.",
		.options = history_options,
		.examples = "  sockscope history --port 8080 --since 1h\n"
			    "  sockscope history --raddr 10.0.0.0/8 --rport 5432 --since 1d\n"
			    "  sockscope history --failed --since \"2026-11-20 14:00\" --until \"2026-11-20 15:00\"\n",
		.run = history_cmd_run,
		.daemon_answers = daemon_answers_always,
	},
	{
		.name = "help",
		.id = SS_CMD_HELP,
		.summary = "this help; 'sockscope help COMMAND' for a command's options",
		.about = "Every command, and the options of the default one.",
		.options = help_options,
		.operand = &help_topic_option,
		.operand_optional = true,
		.run = help_run,
	},
	{
		.name = "version",
		.id = SS_CMD_VERSION,
		.hidden = true, /* --version */
		.summary = "print the version",
		.about = "The version, the event ABI it speaks and the libbpf it runs on.",
		.options = common_options,
		.run = version_run,
	},
	{},
};
/* clang-format on */

const struct command *command__find(const char *word)
{
	for (const struct command *c = commands; c->name; c++)
		if (!c->hidden && !strcmp(c->name, word))
			return c;
	return NULL;
}

const struct command *command__of(enum ss_command id)
{
	const struct command *c = commands;

	while (c->name && c->id != id)
		c++;
	return c->name ? c : commands;
}
