// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <arpa/inet.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli.h"
#include "cmd/config.h"
#include "lib/exitcodes.h"
#include "lib/names.h"

enum {
	OPT_JSON = 256,
	OPT_PROTO,
	OPT_FAMILY,
	OPT_FAILED,
	OPT_STATES,
	OPT_RING_SIZE,
	OPT_VERSION,
	OPT_ALL,
	OPT_WATCH,
	OPT_INTERVAL,
	OPT_NETNS,
	OPT_AT,
	OPT_CONFIG,
	OPT_DB,
	OPT_RETAIN,
	OPT_RETAIN_SIZE,
	OPT_SINK,
	OPT_METRICS,
	OPT_CHECK_CONFIG,
	OPT_SINCE,
	OPT_UNTIL,
	OPT_LIMIT,
};

static const struct option long_opts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "output", required_argument, NULL, 'o' },
	{ "pid", required_argument, NULL, 'p' },
	{ "comm", required_argument, NULL, 'c' },
	{ "port", required_argument, NULL, 'P' },
	{ "proto", required_argument, NULL, OPT_PROTO },
	{ "family", required_argument, NULL, OPT_FAMILY },
	{ "events", required_argument, NULL, 'e' },
	{ "failed", no_argument, NULL, OPT_FAILED },
	{ "states", no_argument, NULL, OPT_STATES },
	{ "duration", required_argument, NULL, 'd' },
	{ "count", required_argument, NULL, 'n' },
	{ "ring-size", required_argument, NULL, OPT_RING_SIZE },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "watch", no_argument, NULL, OPT_WATCH },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "netns", required_argument, NULL, OPT_NETNS },
	{ "at", required_argument, NULL, OPT_AT },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "db", required_argument, NULL, OPT_DB },
	{ "retain", required_argument, NULL, OPT_RETAIN },
	{ "retain-size", required_argument, NULL, OPT_RETAIN_SIZE },
	{ "sink", required_argument, NULL, OPT_SINK },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "check-config", no_argument, NULL, OPT_CHECK_CONFIG },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

#define FOR_TRACE (1u << SS_CMD_TRACE)
#define FOR_PORTS (1u << SS_CMD_PORTS)
#define FOR_WHO (1u << SS_CMD_WHO)
#define FOR_DAEMON (1u << SS_CMD_DAEMON)
#define FOR_HISTORY (1u << SS_CMD_HISTORY)
#define FOR_ALL (FOR_TRACE | FOR_PORTS | FOR_WHO | FOR_DAEMON | FOR_HISTORY)

/* Which commands take which option. */
static unsigned int option_commands(int c)
{
	switch (c) {
	case 'v':
	case 'h':
	case OPT_VERSION:
		return FOR_ALL;
	case OPT_JSON:
		return FOR_TRACE | FOR_PORTS | FOR_WHO | FOR_HISTORY;
	case OPT_PROTO:
	case OPT_NETNS:
		return FOR_TRACE | FOR_PORTS | FOR_WHO;
	case 'p':
	case 'c':
	case 'P':
		return FOR_TRACE | FOR_PORTS | FOR_HISTORY;
	case OPT_FAMILY:
		return FOR_TRACE | FOR_PORTS;
	case OPT_RING_SIZE:
		return FOR_TRACE | FOR_PORTS | FOR_DAEMON;
	case OPT_ALL:
	case OPT_WATCH:
	case OPT_INTERVAL:
		return FOR_PORTS;
	case OPT_AT:
		return FOR_WHO;
	case OPT_CONFIG:
	case OPT_DB:
		return FOR_DAEMON | FOR_HISTORY | FOR_WHO;
	case OPT_RETAIN:
	case OPT_RETAIN_SIZE:
	case OPT_SINK:
	case OPT_METRICS:
	case OPT_CHECK_CONFIG:
		return FOR_DAEMON;
	case OPT_SINCE:
	case OPT_UNTIL:
	case OPT_LIMIT:
		return FOR_HISTORY;
	case OPT_FAILED:
		return FOR_TRACE | FOR_HISTORY;
	default: /* -o, -e, --states, -d, -n */
		return FOR_TRACE;
	}
}

static const char *option_long_name(int c)
{
	for (const struct option *opt = long_opts; opt->name; opt++)
		if (opt->val == c)
			return opt->name;
	return "?";
}

static const char *command_name(enum ss_command cmd)
{
	switch (cmd) {
	case SS_CMD_PORTS:
		return "ports";
	case SS_CMD_WHO:
		return "who";
	case SS_CMD_DAEMON:
		return "daemon";
	case SS_CMD_HISTORY:
		return "history";
	default:
		return "trace";
	}
}

static const char usage_overview[] =
	"Usage: sockscope [COMMAND] [OPTIONS]\n"
	"\n"
	"Commands:\n"
	"  trace    stream every TCP/UDP socket's lifecycle, live (the default)\n"
	"  ports    what is bound right now and who holds it (like ss -tulpn)\n"
	"  who      who holds a port: sockscope who [ADDR:]PORT [--at TIME]\n"
	"  daemon   always-on audit: history in SQLite, log sinks, metrics\n"
	"  history  closed sockets and failures remembered by the daemon\n"
	"  help     this help; 'sockscope COMMAND --help' for a command's options\n"
	"\n";

static const char usage_trace[] =
	"Usage: sockscope [trace] [OPTIONS]\n"
	"\n"
	"Trace every TCP/UDP socket's lifecycle (socket, bind, listen, connect,\n"
	"accept, close, TCP states) from the kernel, live. Failures (EADDRINUSE,\n"
	"EACCES, EADDRNOTAVAIL) come with an explanation and the holders.\n"
	"\n"
	"Output:\n"
	"      --json             one JSON object per line (NDJSON)\n"
	"  -o, --output FILE      append events to FILE instead of stdout\n"
	"      --states           show TCP state changes (always on with --json)\n"
	"Filters (applied in the kernel):\n"
	"  -p, --pid PID          only this process (tgid)\n"
	"  -c, --comm NAME        only this command name (exact, <= 15 bytes)\n"
	"  -P, --port PORT        only this local or remote port\n"
	"      --proto tcp|udp    only this protocol\n"
	"      --family 4|6       only IPv4 (inet) or IPv6 (inet6) sockets\n"
	"  -e, --events LIST      comma-separated: socket,bind,listen,connect,\n"
	"                         connect_done,accept,close,state\n"
	"      --failed           only failures\n"
	"Stopping:\n"
	"  -d, --duration SEC     stop after SEC seconds\n"
	"  -n, --count N          stop after N events\n"
	"Tuning:\n"
	"      --ring-size SIZE   ring buffer size, power of two >= 4K (default 16M)\n"
	"  -v, --verbose          more diagnostics on stderr (-vv: libbpf's too)\n"
	"  -h, --help             this help\n"
	"      --version          print the version\n"
	"\n"
	"Examples:\n"
	"  sockscope                          trace everything, one line per event\n"
	"  sockscope trace --json -o ev.json  everything as NDJSON into ev.json\n"
	"  sockscope trace --failed           only failures, with who holds the port\n"
	"  sockscope trace -P 8080 --proto tcp   who binds, connects to, closes :8080\n"
	"  sockscope trace -e bind,listen -d 60  a minute of binds and listens\n";

static const char usage_ports[] =
	"Usage: sockscope ports [OPTIONS]\n"
	"\n"
	"What is bound right now (TCP listeners, bound UDP sockets), with every\n"
	"process holding each socket, in every network namespace. Read from the\n"
	"kernel with BPF iterators.\n"
	"\n"
	"      --all              also connected sockets (ESTABLISHED, TIME_WAIT, ...)\n"
	"      --json             one JSON object per socket\n"
	"      --watch            live table fed by the event stream (Ctrl-C quits)\n"
	"      --interval SEC     --watch redraw interval (default 1)\n"
	"  -p, --pid PID          only sockets this process holds\n"
	"  -c, --comm NAME        only sockets held by this command name\n"
	"  -P, --port PORT        only this local or remote port\n"
	"      --proto tcp|udp    only this protocol\n"
	"      --family 4|6       only inet or inet6 sockets\n"
	"      --netns INODE      only this network namespace (ls -l /proc/PID/ns/net)\n"
	"      --ring-size SIZE   with --watch: ring buffer size\n"
	"  -v, --verbose          more diagnostics\n"
	"\n"
	"Examples:\n"
	"  sockscope ports                    listening TCP and bound UDP, with holders\n"
	"  sockscope ports --all --json       every socket, as NDJSON\n"
	"  sockscope ports -c nginx           what nginx holds\n"
	"  sockscope ports --watch            live table, changes highlighted\n";

static const char usage_who[] =
	"Usage: sockscope who [ADDR:]PORT [OPTIONS]\n"
	"\n"
	"Who holds PORT right now: every socket bound to it (listening, connected,\n"
	"TIME_WAIT) and every process holding each one, in all network namespaces.\n"
	"With ADDR, only sockets whose local address covers ADDR (wildcards do).\n"
	"\n"
	"      --proto tcp|udp    only this protocol\n"
	"      --netns INODE      only this network namespace\n"
	"      --json             one JSON object per socket\n"
	"      --at TIME          who held it then, from the daemon's history:\n"
	"                         \"2026-11-20 14:02\", RFC 3339, or an age (1h, 30m)\n"
	"      --db PATH          the daemon's database, when no daemon runs\n"
	"\n"
	"Examples:\n"
	"  sockscope who 8080\n"
	"  sockscope who 8080 --at \"2026-11-20 14:02\"\n"
	"  sockscope who 127.0.0.1:53 --proto udp\n"
	"  sockscope who [::1]:443\n"
	"\n"
	"Exit status: 0 if something holds the port, 6 if nothing does.\n";

static const char usage_daemon[] =
	"Usage: sockscope daemon [OPTIONS]\n"
	"\n"
	"Always-on port audit: the live port map, every closed socket, failure and\n"
	"port ownership change stored in SQLite, events streamed to log sinks,\n"
	"metrics for Prometheus, answers to ports/who/history over\n"
	"/run/sockscope/daemon.sock. Options override the config file.\n"
	"\n"
	"      --config FILE      config file (default /etc/sockscope/sockscope.conf)\n"
	"      --check-config     check the config, report errors by line, exit\n"
	"      --db PATH          SQLite database (default /var/lib/sockscope/sockscope.db)\n"
	"      --retain AGE       drop history older than AGE (30d, 12h, forever)\n"
	"      --retain-size SIZE keep the database under SIZE (1G, 500M, 0: no limit)\n"
	"      --sink SPEC        where events go, repeatable: stdout, syslog,\n"
	"                         file:/PATH[?max_bytes=N&keep=N],\n"
	"                         syslog+udp://HOST:PORT, syslog+tcp://HOST:PORT\n"
	"      --metrics ADDR     Prometheus metrics on a loopback ADDR:PORT\n"
	"      --ring-size SIZE   ring buffer size\n"
	"\n"
	"Signals: SIGHUP reopens log files, SIGTERM flushes and exits.\n"
	"\n"
	"Examples:\n"
	"  sockscope daemon --sink file:/var/log/sockscope/events.json --metrics 127.0.0.1:9463\n"
	"  sockscope daemon --check-config --config /etc/sockscope/sockscope.conf\n";

static const char usage_history[] =
	"Usage: sockscope history [OPTIONS]\n"
	"\n"
	"Closed sockets and failures the daemon remembers, newest first. Asks the\n"
	"running daemon, or reads its database when none runs.\n"
	"\n"
	"  -P, --port PORT        local or remote port\n"
	"  -p, --pid PID          a process that held the socket\n"
	"  -c, --comm NAME        a command name that held the socket\n"
	"      --since TIME       from TIME (RFC 3339, \"2026-11-20 14:02\", or an age: 1h)\n"
	"      --until TIME       to TIME\n"
	"      --failed           only failures\n"
	"      --limit N          at most N rows (default 1000)\n"
	"      --json             one JSON object per row\n"
	"      --db PATH          the database, when no daemon runs\n"
	"\n"
	"Examples:\n"
	"  sockscope history --port 8080 --since 1h\n"
	"  sockscope history --failed --since \"2026-11-20 14:00\" --until \"2026-11-20 15:00\"\n";

static const char usage_exit_codes[] =
	"\n"
	"Exit codes: 0 ok, 1 runtime failure, 2 usage, 3 permission,\n"
	"            4 missing kernel feature, 5 output file error, 6 who: not held.\n";

void cli_usage(FILE *f, enum ss_command cmd)
{
	switch (cmd) {
	case SS_CMD_PORTS:
		fputs(usage_ports, f);
		break;
	case SS_CMD_WHO:
		fputs(usage_who, f);
		break;
	case SS_CMD_DAEMON:
		fputs(usage_daemon, f);
		break;
	case SS_CMD_HISTORY:
		fputs(usage_history, f);
		break;
	case SS_CMD_TRACE:
		fputs(usage_trace, f);
		break;
	default:
		fputs(usage_overview, f);
		fputs(usage_trace, f);
		break;
	}
	fputs(usage_exit_codes, f);
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return SS_EXIT_USAGE;
}

/* Whole-string unsigned decimal in [min, max]. */
static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static int parse_events(const char *list, __u32 *mask, char *err, size_t errlen)
{
	const char *p = list;

	*mask = 0;
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		unsigned int t = event_from_name(p, (unsigned int)len);

		if (!t || t > SS_EV_STATE)
			return fail(err, errlen,
				    "unknown event '%.*s' in --events (known: socket, bind, listen, connect, connect_done, accept, close, state)",
				    (int)len, p);
		*mask |= SS_EV_BIT(t);
		if (!comma)
			break;
		p = comma + 1;
	}
	if (!*mask)
		return fail(err, errlen, "--events needs at least one event name");
	return 0;
}

static int parse_option(int c, const char *arg, struct cli_opts *o,
			bool *events_set, char *err, size_t errlen)
{
	uint64_t v;

	switch (c) {
	case OPT_JSON:
		o->json = true;
		return 0;
	case 'o':
		if (!*arg)
			return fail(err, errlen, "--output needs a file name");
		o->output = arg;
		return 0;
	case 'p':
		if (parse_u64(arg, 1, 4194304, &v))
			return fail(err, errlen, "bad --pid '%s': expected a process id (1-4194304)", arg);
		o->filter.pid = (__u32)v;
		return 0;
	case 'c':
		if (!*arg || strlen(arg) >= SS_COMM_LEN)
			return fail(err, errlen,
				    "bad --comm '%s': a command name is 1-15 bytes (the kernel keeps no more)", arg);
		memcpy(o->filter.comm, arg, strlen(arg));
		o->filter.has_comm = 1;
		return 0;
	case 'P':
		if (parse_u64(arg, 1, 65535, &v))
			return fail(err, errlen, "bad --port '%s': expected 1-65535", arg);
		o->filter.port = (__u16)v;
		return 0;
	case OPT_PROTO:
		if (!strcmp(arg, "tcp"))
			o->filter.proto = SS_PROTO_TCP;
		else if (!strcmp(arg, "udp"))
			o->filter.proto = SS_PROTO_UDP;
		else
			return fail(err, errlen, "bad --proto '%s': expected tcp or udp", arg);
		return 0;
	case OPT_FAMILY:
		if (!strcmp(arg, "4") || !strcmp(arg, "inet"))
			o->filter.family = SS_AF_INET;
		else if (!strcmp(arg, "6") || !strcmp(arg, "inet6"))
			o->filter.family = SS_AF_INET6;
		else
			return fail(err, errlen, "bad --family '%s': expected 4 or 6", arg);
		return 0;
	case 'e':
		*events_set = true;
		return parse_events(arg, &o->filter.events, err, errlen);
	case OPT_FAILED:
		o->filter.failed_only = 1;
		return 0;
	case OPT_STATES:
		o->states = true;
		return 0;
	case 'd': {
		char *end;
		double d;

		errno = 0;
		d = strtod(arg, &end);
		if (errno || end == arg || *end || !isfinite(d) || d <= 0 || d > 1e7)
			return fail(err, errlen, "bad --duration '%s': expected seconds > 0", arg);
		o->duration_ms = (uint64_t)ceil(d * 1000.0);
		return 0;
	}
	case 'n':
		if (parse_u64(arg, 1, UINT64_MAX, &v))
			return fail(err, errlen, "bad --count '%s': expected a number >= 1", arg);
		o->count = v;
		return 0;
	case OPT_RING_SIZE:
		if (config_parse_size(arg, &v) || v < 4096 || v > (1ull << 30) || (v & (v - 1)))
			return fail(err, errlen,
				    "bad --ring-size '%s': expected a power of two from 4K to 1G", arg);
		o->ring_size = (uint32_t)v;
		return 0;
	case OPT_ALL:
		o->all = true;
		return 0;
	case OPT_WATCH:
		o->watch = true;
		return 0;
	case OPT_INTERVAL: {
		char *end;
		double d;

		errno = 0;
		d = strtod(arg, &end);
		if (errno || end == arg || *end || !isfinite(d) || d < 0.05 || d > 3600)
			return fail(err, errlen, "bad --interval '%s': expected seconds from 0.05 to 3600", arg);
		o->interval_ms = (uint64_t)ceil(d * 1000.0);
		return 0;
	}
	case OPT_NETNS:
		if (parse_u64(arg, 1, UINT32_MAX, &v))
			return fail(err, errlen, "bad --netns '%s': expected a namespace inode number", arg);
		o->netns = (uint32_t)v;
		return 0;
	case OPT_AT:
		o->at = arg;
		return 0;
	case OPT_CONFIG:
		o->config = arg;
		return 0;
	case OPT_DB:
		o->db = arg;
		return 0;
	case OPT_RETAIN:
		o->retain = arg;
		return 0;
	case OPT_RETAIN_SIZE:
		o->retain_size = arg;
		return 0;
	case OPT_SINK:
		if (o->nr_sinks == sizeof(o->sinks) / sizeof(o->sinks[0]))
			return fail(err, errlen, "too many --sink options (at most 8)");
		o->sinks[o->nr_sinks++] = arg;
		return 0;
	case OPT_METRICS:
		o->metrics = arg;
		return 0;
	case OPT_CHECK_CONFIG:
		o->check_config = true;
		return 0;
	case OPT_SINCE:
		o->since = arg;
		return 0;
	case OPT_UNTIL:
		o->until = arg;
		return 0;
	case OPT_LIMIT:
		if (parse_u64(arg, 1, 10000000, &v))
			return fail(err, errlen, "bad --limit '%s': expected 1-10000000", arg);
		o->limit = (uint32_t)v;
		return 0;
	case 'v':
		o->verbose++;
		return 0;
	case 'h':
		/* with no command word: the overview of every command */
		o->help_for = o->command_given ? o->command : SS_CMD_HELP;
		o->command = SS_CMD_HELP;
		return 0;
	case OPT_VERSION:
		o->command = SS_CMD_VERSION;
		return 0;
	}
	return fail(err, errlen, "internal: unhandled option %d", c);
}

/* "8080", "127.0.0.1:8080", "[::1]:8080", "::1:8080" is ambiguous: refused */
static int parse_who_target(const char *arg, struct cli_opts *o, char *err,
			    size_t errlen)
{
	char host[64];
	const char *port = arg;
	uint64_t v;

	if (arg[0] == '[') {
		const char *close = strchr(arg, ']');

		if (!close || close[1] != ':' || (size_t)(close - arg - 1) >= sizeof(host))
			return fail(err, errlen, "bad address '%s': expected [IPv6]:PORT", arg);
		memcpy(host, arg + 1, (size_t)(close - arg - 1));
		host[close - arg - 1] = '\0';
		if (inet_pton(AF_INET6, host, o->who_addr) != 1)
			return fail(err, errlen, "bad IPv6 address '%s'", host);
		o->who_family = SS_AF_INET6;
		port = close + 2;
	} else if (strchr(arg, ':')) {
		const char *colon = strrchr(arg, ':');

		if (strchr(arg, ':') != colon)
			return fail(err, errlen, "bad address '%s': write IPv6 as [ADDR]:PORT", arg);
		if ((size_t)(colon - arg) >= sizeof(host))
			return fail(err, errlen, "bad address '%s'", arg);
		memcpy(host, arg, (size_t)(colon - arg));
		host[colon - arg] = '\0';
		if (host[0]) {
			if (inet_pton(AF_INET, host, o->who_addr) != 1)
				return fail(err, errlen, "bad IPv4 address '%s'", host);
			o->who_family = SS_AF_INET;
		}
		port = colon + 1;
	}
	if (parse_u64(port, 1, 65535, &v))
		return fail(err, errlen, "bad port '%s': expected 1-65535", port);
	o->who_port = (uint16_t)v;
	return 0;
}

int cli_parse(int argc, char **argv, struct cli_opts *o, char *err,
	      size_t errlen)
{
	bool events_set = false;
	int c, rc;

	memset(o, 0, sizeof(*o));
	o->command = SS_CMD_TRACE;
	o->ring_size = SS_DEFAULT_RING_SIZE;
	o->interval_ms = 1000;
	o->limit = 1000;
	if (errlen)
		err[0] = '\0';

	/* An optional command word comes first. */
	if (argc > 1 && argv[1][0] != '-') {
		if (!strcmp(argv[1], "help")) {
			o->command = SS_CMD_HELP;
			o->help_for = SS_CMD_HELP;
			return 0;
		} else if (!strcmp(argv[1], "trace")) {
			o->command = SS_CMD_TRACE;
		} else if (!strcmp(argv[1], "ports")) {
			o->command = SS_CMD_PORTS;
		} else if (!strcmp(argv[1], "who")) {
			o->command = SS_CMD_WHO;
		} else if (!strcmp(argv[1], "daemon")) {
			o->command = SS_CMD_DAEMON;
		} else if (!strcmp(argv[1], "history")) {
			o->command = SS_CMD_HISTORY;
		} else {
			return fail(err, errlen, "unknown command '%s' (try 'sockscope --help')", argv[1]);
		}
		o->command_given = true;
		argv++;
		argc--;
	}

	optind = 0; /* glibc: full re-initialisation, so we can parse again */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":ho:p:c:P:e:d:n:v", long_opts, NULL)) != -1) {
		if (c == '?') {
			if (optopt)
				return fail(err, errlen, "unknown option '-%c' (try 'sockscope --help')", optopt);
			return fail(err, errlen, "unknown option '%s' (try 'sockscope --help')", argv[optind - 1]);
		}
		if (c == ':')
			return fail(err, errlen, "option '%s' needs a value", argv[optind - 1]);
		if (o->command != SS_CMD_HELP && !(option_commands(c) & (1u << o->command)))
			return fail(err, errlen, "option '--%s' does not apply to '%s' (try 'sockscope %s --help')",
				    option_long_name(c), command_name(o->command),
				    command_name(o->command));
		rc = parse_option(c, optarg, o, &events_set, err, errlen);
		if (rc)
			return rc;
	}
	if (o->command == SS_CMD_HELP || o->command == SS_CMD_VERSION)
		return 0;
	if (o->command == SS_CMD_WHO) {
		if (optind >= argc)
			return fail(err, errlen, "who needs a port: sockscope who [ADDR:]PORT");
		rc = parse_who_target(argv[optind++], o, err, errlen);
		if (rc)
			return rc;
	}
	if (optind < argc)
		return fail(err, errlen, "unexpected argument '%s' (try 'sockscope --help')", argv[optind]);

	if (!events_set) {
		o->filter.events = SS_EV_ALL_KERNEL & ~SS_EV_BIT(SS_EV_STATE);
		if (o->json || o->states)
			o->filter.events |= SS_EV_BIT(SS_EV_STATE);
	} else if (o->states) {
		o->filter.events |= SS_EV_BIT(SS_EV_STATE);
	}
	return 0;
}
