/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The command table (bpftool's commands[]): one entry per command word, with
 * its summary, help text, option table and run function. cli_parse() finds
 * the command and parses with its table, cli_usage() prints help from it,
 * main() runs it. Adding a command is one entry here.
 */
#ifndef SS_CMD_COMMANDS_H
#define SS_CMD_COMMANDS_H

#include "cmd/cli.h"
#include "cmd/options.h"

struct command {
	const char *name; /* the command word */
	enum ss_command id;
	bool is_default;     /* runs when no command word is given */
	bool hidden;	     /* not a command word, not in the overview (--version) */
	const char *summary; /* its line in the overview */
	const char *about;   /* the paragraph atop its --help */
	const struct opt_entry *options;
	/* A positional argument (OPTK_CUSTOM; .noun says what it is) */
	const struct cli_option *operand;
	bool operand_optional;
	const char *examples;		      /* lines for "Examples:" */
	const char *notes;		      /* after the examples (exit status, signals) */
	int (*run)(const struct cli_opts *o); /* returns an SS_EXIT_* code */
	/* Whether a running daemon answers this command line (NULL: never) */
	bool (*daemon_answers)(const struct cli_opts *o);
};

/* Every command, ending with an entry whose name is NULL. */
extern const struct command commands[];

/* The command for a word (hidden ones excepted), or NULL. */
const struct command *command__find(const char *word);
/* The entry of a command (never NULL for an ss_command value). */
const struct command *command__of(enum ss_command id);

/*
 * Option tables. Options more than one command takes are defined once in
 * cli.c; each command's own options and its table are at the end of its
 * file.
 */
extern const struct opt_entry filter_options[]; /* -p -c -P --proto --family */
extern const struct opt_entry common_options[]; /* -v -h --version */
extern const struct opt_entry help_options[];
/* --container --unit (cli.c) */
extern const struct opt_entry identity_options[];
extern const struct opt_entry trace_options[];	  /* trace.c */
extern const struct opt_entry ports_options[];	  /* ports.c */
extern const struct opt_entry who_options[];	  /* who.c */
extern const struct cli_option who_target_option; /* [ADDR:]PORT */
extern const struct opt_entry daemon_options[];	  /* daemon.c */
extern const struct opt_entry history_options[];  /* history.c */

/* Options shared by several commands (cli.c). */
extern const struct cli_option opt_json, opt_pid, opt_comm, opt_port, opt_proto, opt_family,
	opt_netns, opt_failed, opt_ring_size, opt_states, opt_config, opt_db, opt_verbose, opt_help,
	opt_version;

/* Filters of trace, ports, who and history (filter_opts.c): --uid, --cgroup,
 * --laddr, --raddr, --lport, --rport; --state for ports and who. */
extern const struct opt_entry filter_more_options[];
extern const struct opt_entry filter_past_options[]; /* history: no --cgroup */
extern const struct cli_option opt_state;

/* Where in struct cli_opts an option's value goes */
#define CLI_FIELD(member) OPT_FIELD(struct cli_opts, member)

#endif
