// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The command line: the options several commands share, and the parse and
 * the help that the command table and the option tables drive.
 */
#include <errno.h>
#include <string.h>

#include "cmd/cli.h"
#include "cmd/commands.h"
#include "kernel/resolve.h"
#include "lib/err.h"
#include "lib/exitcodes.h"
#include "model/cgroup_ident.h"

const struct cli_option opt_json = {
	.name = "json",
	.kind = OPTK_FLAG,
	CLI_FIELD(json),
	.help = "one JSON object per line (NDJSON)",
};

const struct cli_option opt_pid = {
	.name = "pid",
	.letter = 'p',
	.kind = OPTK_U64,
	CLI_FIELD(filter.pid),
	.metavar = "PID",
	.help = "only this process (tgid)",
	.expect = "expected a process id (1-4194304)",
	.min = 1,
	.max = 4194304,
};

/* The kernel keeps 15 bytes of a command name: a longer one never matches. */
static int set_comm(const struct cli_option *opt, const char *arg, void *cfg, char *err,
		    size_t errlen)
{
	struct cli_opts *o = cfg;
	size_t n = strlen(arg);

	(void)opt;
	(void)err;
	(void)errlen;
	if (!n || n >= sizeof(o->filter.comm))
		return -EINVAL;
	memset(o->filter.comm, 0, sizeof(o->filter.comm));
	memcpy(o->filter.comm, arg, n);
	o->filter.has_comm = 1;
	return 0;
}

const struct cli_option opt_comm = {
	.name = "comm",
	.letter = 'c',
	.kind = OPTK_CUSTOM,
	.parse = set_comm,
	.metavar = "NAME",
	.help = "only this command name (exact, <= 15 bytes)",
	.expect = "a command name is 1-15 bytes (the kernel keeps no more)",
};

const struct cli_option opt_port = {
	.name = "port",
	.letter = 'P',
	.kind = OPTK_U64,
	CLI_FIELD(filter.port),
	.metavar = "PORT",
	.help = "only this local or remote port",
	.expect = "expected 1-65535",
	.min = 1,
	.max = 65535,
};

const struct cli_option opt_proto = {
	.name = "proto",
	.kind = OPTK_CHOICE,
	CLI_FIELD(filter.proto),
	.metavar = "tcp|udp",
	.help = "only this protocol",
	.expect = "expected tcp or udp",
	.choices = (const struct opt_choice[]){{"tcp", SS_PROTO_TCP}, {"udp", SS_PROTO_UDP}, {}},
};

const struct cli_option opt_family = {
	.name = "family",
	.kind = OPTK_CHOICE,
	CLI_FIELD(filter.family),
	.metavar = "4|6",
	.help = "only IPv4 (inet) or IPv6 (inet6) sockets",
	.expect = "expected 4 or 6",
	.choices = (const struct opt_choice[]){{"4", SS_AF_INET},
					       {"inet", SS_AF_INET},
					       {"6", SS_AF_INET6},
					       {"inet6", SS_AF_INET6},
					       {}},
};

/* An inode, or a name from 'ip netns': rows and the kernel test the inode. */
static int set_netns(const struct cli_option *opt, const char *arg, void *cfg, char *err,
		     size_t errlen)
{
	struct cli_opts *o = cfg;
	char why[256];
	uint32_t ino;

	if (resolve_netns(arg, &ino, why, sizeof(why)))
		return errf(err, errlen, -EINVAL, "bad --%s '%s': %s", opt->name, arg, why);
	o->netns = o->filter.netns = ino;
	return 0;
}

const struct cli_option opt_netns = {
	.name = "netns",
	.kind = OPTK_CUSTOM,
	.parse = set_netns,
	.metavar = "NS",
	.help = "only this network namespace: an inode\n"
		"(ls -l /proc/PID/ns/net) or a name from 'ip netns'",
};

const struct cli_option opt_failed = {
	.name = "failed",
	.kind = OPTK_FLAG,
	CLI_FIELD(filter.failed_only),
	.help = "only failures",
};

const struct cli_option opt_states = {
	.name = "states",
	.kind = OPTK_FLAG,
	CLI_FIELD(states),
	.help = "show TCP state changes too",
};

const struct cli_option opt_ring_size = {
	.name = "ring-size",
	.kind = OPTK_SIZE,
	CLI_FIELD(ring_size),
	.metavar = "SIZE",
	.help = "ring buffer size, power of two >= 4K (default 16M)",
	.expect = "expected a power of two from 4K to 1G",
	.min = 4096,
	.max = 1u << 30,
	.pow2 = true,
};

const struct cli_option opt_config = {
	.name = "config",
	.kind = OPTK_STRING,
	CLI_FIELD(config),
	.metavar = "FILE",
	.help = "the daemon's config file",
};

const struct cli_option opt_db = {
	.name = "db",
	.kind = OPTK_STRING,
	CLI_FIELD(db),
	.metavar = "PATH",
	.help = "the daemon's database, when no daemon runs",
};

const struct cli_option opt_verbose = {
	.name = "verbose",
	.letter = 'v',
	.kind = OPTK_COUNT,
	CLI_FIELD(verbose),
	.help = "more diagnostics on stderr (-vv: libbpf's too)",
};

static int set_help(const struct cli_option *opt, const char *arg, void *cfg, char *err,
		    size_t errlen)
{
	struct cli_opts *o = cfg;

	(void)opt;
	(void)arg;
	(void)err;
	(void)errlen;
	/* with no command word: the overview of every command */
	o->help_for = o->command_given ? o->command : SS_CMD_HELP;
	o->command = SS_CMD_HELP;
	return 0;
}

const struct cli_option opt_help = {
	.name = "help",
	.letter = 'h',
	.kind = OPTK_CUSTOM,
	.parse = set_help,
	.help = "this help",
};

static int set_version(const struct cli_option *opt, const char *arg, void *cfg, char *err,
		       size_t errlen)
{
	(void)opt;
	(void)arg;
	(void)err;
	(void)errlen;
	((struct cli_opts *)cfg)->command = SS_CMD_VERSION;
	return 0;
}

const struct cli_option opt_version = {
	.name = "version",
	.kind = OPTK_CUSTOM,
	.parse = set_version,
	.help = "print the version",
};

/* ---- identity filters: --container, --unit ---- */

static int set_container(const struct cli_option *opt, const char *arg, void *cfg, char *err,
			 size_t errlen)
{
	(void)opt;
	(void)err;
	(void)errlen;
	/* ids are printed and matched in lower case, as the runtimes name them */
	if (!cg_ident_container_arg_ok(arg))
		return -EINVAL;
	((struct cli_opts *)cfg)->container = arg;
	return 0;
}

const struct cli_option opt_container = {
	.name = "container",
	.kind = OPTK_CUSTOM,
	.parse = set_container,
	.metavar = "ID",
	.help = "only this container's processes (id prefix, >= 12 hex)",
	.expect = "expected a container id prefix of 12 to 64 lower-case hex digits",
};

/* systemd's bound: a longer name is no unit and would never match */
static int set_unit(const struct cli_option *opt, const char *arg, void *cfg, char *err,
		    size_t errlen)
{
	size_t n = strlen(arg);

	(void)opt;
	(void)err;
	(void)errlen;
	if (!n || n >= CG_UNIT_MAX)
		return -EINVAL;
	((struct cli_opts *)cfg)->unit = arg;
	return 0;
}

const struct cli_option opt_unit = {
	.name = "unit",
	.kind = OPTK_CUSTOM,
	.parse = set_unit,
	.metavar = "NAME",
	.help = "only this systemd unit's or scope's processes",
	.expect = "expected a unit name of 1-255 bytes",
};

/* clang-format off */
const struct opt_entry identity_options[] = {
	OPT(opt_container),
	OPT(opt_unit),
	OPT_END,
};
/* clang-format on */

/* clang-format off */
/* What every command accepts. */
const struct opt_entry common_options[] = {
	OPT(opt_verbose),
	OPT(opt_help),
	OPT(opt_version),
	OPT_END,
};

/* The socket filters of trace and ports. */
const struct opt_entry filter_options[] = {
	OPT(opt_pid),
	OPT(opt_comm),
	OPT(opt_port),
	OPT(opt_proto),
	OPT(opt_family),
	OPT_END,
};
/* clang-format on */

/* Every option of every command: an option meant for another command is
 * recognised, and named as such. */
static int build_parser(struct opt_parser *p, char *err, size_t errlen)
{
	opt_parser__init(p);
	for (const struct command *c = commands; c->name; c++)
		if (opt_parser__add(p, c->options, err, errlen))
			return -EINVAL;
	return 0;
}

/* "ports", "ports and who", "trace, ports and history" */
static void commands_taking(const struct cli_option *opt, char *buf, size_t len)
{
	const struct command *found[16];
	unsigned int n = 0;
	size_t off = 0;

	buf[0] = '\0';
	for (const struct command *c = commands; c->name && n < 16; c++)
		if (!c->hidden && opt_table__has(c->options, opt))
			found[n++] = c;
	for (unsigned int i = 0; i < n && off < len; i++) {
		const char *sep = i == 0 ? "" : i + 1 == n ? " and " : ", ";

		off += (size_t)snprintf(buf + off, len - off, "%s%s", sep, found[i]->name);
	}
}

static int not_applicable(const struct cli_option *opt, const struct command *cmd, char *err,
			  size_t errlen)
{
	char where[128];

	commands_taking(opt, where, sizeof(where));
	return errf(err, errlen, SS_EXIT_USAGE,
		    "option '--%s' does not apply to '%s' (it applies to %s; "
		    "try 'sockscope %s --help')",
		    opt->name, cmd->name, where, cmd->name);
}

static const struct command *default_command(void)
{
	const struct command *c = commands;

	while (c->name && !c->is_default)
		c++;
	return c->name ? c : commands;
}

static void defaults(struct cli_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->command = default_command()->id;
	o->help_for = SS_CMD_HELP;
	o->ring_size = SS_DEFAULT_RING_SIZE;
	o->interval_ms = 1000;
	o->limit = 1000;
}

/*
 * TCP state changes only when asked (--states, -e state), in text and JSON
 * alike: they are half of a connection's records, and the kernel does not
 * even write them when nobody asked. A connection's outcome and its final
 * state travel on connect_done and close.
 */
static void default_events(struct cli_opts *o)
{
	if (!o->filter.events) {
		o->filter.events = SS_EV_ALL_KERNEL & ~SS_EV_BIT(SS_EV_STATE);
		if (o->states)
			o->filter.events |= SS_EV_BIT(SS_EV_STATE);
	} else if (o->states) {
		o->filter.events |= SS_EV_BIT(SS_EV_STATE);
	}
}

static int parse_operands(const struct command *cmd, int argc, char **argv, struct cli_opts *o,
			  char *err, size_t errlen)
{
	if (cmd->operand && optind < argc) {
		if (opt__apply(cmd->operand, argv[optind++], o, err, errlen))
			return SS_EXIT_USAGE;
	} else if (cmd->operand && !cmd->operand_optional) {
		return errf(err, errlen, SS_EXIT_USAGE, "%s needs %s: sockscope %s %s", cmd->name,
			    cmd->operand->noun, cmd->name, cmd->operand->metavar);
	}
	if (optind < argc)
		return errf(err, errlen, SS_EXIT_USAGE,
			    "unexpected argument '%s' (try 'sockscope --help')", argv[optind]);
	return 0;
}

int cli_parse(int argc, char **argv, struct cli_opts *o, char *err, size_t errlen)
{
	const struct command *cmd = default_command();
	const struct cli_option *opt;
	struct opt_parser p;
	const char *arg;
	size_t n;
	int rc;

	defaults(o);
	if (errlen)
		err[0] = '\0';

	/* An optional command word comes first. */
	if (argc > 1 && argv[1][0] != '-') {
		cmd = command__find(argv[1]);
		if (!cmd)
			return errf(err, errlen, SS_EXIT_USAGE,
				    "unknown command '%s' (try 'sockscope --help')", argv[1]);
		o->command = cmd->id;
		o->command_given = true;
		argv++;
		argc--;
	}

	if (build_parser(&p, err, errlen))
		return SS_EXIT_USAGE;
	while ((rc = opt_parser__next(&p, argc, argv, &opt, &arg, err, errlen)) > 0) {
		/* after --help, nothing else matters */
		if (o->command != SS_CMD_HELP && !opt_table__has(cmd->options, opt))
			return not_applicable(opt, cmd, err, errlen);
		if (opt__apply(opt, arg, o, err, errlen))
			return SS_EXIT_USAGE;
	}
	if (rc == -ENOENT && errlen && (n = strlen(err)) < errlen)
		snprintf(err + n, errlen - n, " (try 'sockscope --help')");
	if (rc)
		return SS_EXIT_USAGE;
	if (o->command == SS_CMD_VERSION || (o->command == SS_CMD_HELP && cmd->id != SS_CMD_HELP))
		return 0;
	rc = parse_operands(cmd, argc, argv, o, err, errlen);
	if (rc)
		return rc;
	default_events(o);
	return 0;
}

/* clang-format off */
static const char exit_codes[] =
	"\n"
	"Exit codes: 0 ok, 1 runtime failure, 2 usage, 3 permission,\n"
	"            4 missing kernel feature, 5 output file error, 6 who: not held.\n";
/* clang-format on */

static void print_command(const struct command *c, FILE *f)
{
	fprintf(f, "Usage: sockscope %s%s%s%s%s [OPTIONS]\n\n", c->is_default ? "[" : "", c->name,
		c->is_default ? "]" : "", c->operand ? " " : "",
		c->operand ? c->operand->metavar : "");
	fprintf(f, "%s\n\n", c->about);
	opt_table__print(c->options, f);
	if (c->examples)
		fprintf(f, "\nExamples:\n%s", c->examples);
	if (c->notes)
		fprintf(f, "\n%s", c->notes);
}

static void print_overview(FILE *f)
{
	fputs("Usage: sockscope [COMMAND] [OPTIONS]\n\nCommands:\n", f);
	for (const struct command *c = commands; c->name; c++)
		if (!c->hidden)
			fprintf(f, "  %-8s %s\n", c->name, c->summary);
	fputc('\n', f);
}

void cli_usage(FILE *f, enum ss_command cmd)
{
	const struct command *c = command__of(cmd);

	if (c->id == SS_CMD_HELP || c->hidden) {
		print_overview(f);
		c = default_command();
	}
	print_command(c, f);
	fputs(exit_codes, f);
}
