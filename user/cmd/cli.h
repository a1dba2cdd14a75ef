/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Command line: 'sockscope [COMMAND] [OPTIONS]'. The commands are in
 * cmd/commands.c, their options in option tables (cmd/options.h) that both
 * parse and print --help.
 */
#ifndef SS_CLI_H
#define SS_CLI_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/parse.h"
#include "sockscope_abi.h"

#define SS_DEFAULT_RING_SIZE (16u << 20)

enum ss_command {
	SS_CMD_TRACE,
	SS_CMD_PORTS,
	SS_CMD_WHO,
	SS_CMD_DAEMON,
	SS_CMD_HISTORY,
	SS_CMD_HELP,
	SS_CMD_VERSION,
};

/*
 * The filters' userspace half (cmd/filter_opts.c): what rows are tested
 * on. Their kernel half (uid, cgroup id, netns, ports, address prefixes) is
 * in cli_opts.filter, for trace's BPF programs and for the same tests on
 * rows.
 */
struct filter_extra {
	struct addr_prefix laddr, raddr; /* family 0: none */
	char cgroup[4096];		 /* --cgroup, relative to the v2 root; "": none */
	uint32_t states;		 /* --state: mask of 1 << SS_TCP_*; 0: none */
};

struct cli_opts {
	enum ss_command command;
	enum ss_command help_for; /* with SS_CMD_HELP: which command's help */
	bool command_given;	  /* a command word was on the command line */
	bool json;
	bool states;
	const char *output;	 /* NULL: stdout */
	struct ss_filter filter; /* events mask always set after parsing */
	struct filter_extra fx;
	uint64_t count;	      /* 0: unlimited */
	uint64_t duration_ms; /* 0: unlimited */
	uint32_t ring_size;
	int verbose;
	/* ports */
	bool all; /* also connected sockets */
	bool watch;
	uint64_t interval_ms;
	/* ports, who */
	uint32_t netns; /* 0: all namespaces */
	/* who [ADDR:]PORT */
	uint16_t who_port;
	uint16_t who_family; /* 0: any address */
	uint8_t who_addr[SS_ADDR_LEN];
	const char *at; /* who --at TIME (checked by the command) */
	/* daemon (values checked with the config file's rules) */
	const char *config; /* NULL: the default path, optional */
	const char *db;
	const char *retain;
	const char *retain_size;
	const char *metrics;
	const char *sinks[8];
	unsigned int nr_sinks;
	bool check_config;
	/* history */
	const char *since;
	const char *until;
	uint32_t limit;
	/* identity filters (trace, ports, who, history), on the resolved
	 * cgroup identity (model/cgroup_ident.h) */
	const char *container; /* an id prefix, 12-64 hex, lower case */
	const char *unit;      /* a unit name, exact */
};

/*
 * Parses argv into *o. Returns 0, or SS_EXIT_USAGE with a one-line reason in
 * err (no trailing newline). Does not print anything.
 */
int cli_parse(int argc, char **argv, struct cli_opts *o, char *err, size_t errlen);
/* Help for a command, from its tables (SS_CMD_HELP: the overview). */
void cli_usage(FILE *f, enum ss_command cmd);

#endif
