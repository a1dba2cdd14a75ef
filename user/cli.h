/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Command line of 'sockscope trace'. */
#ifndef SS_CLI_H
#define SS_CLI_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sockscope_abi.h"

#define SS_VERSION "0.1.0"
#define SS_DEFAULT_RING_SIZE (16u << 20)

enum ss_command {
	SS_CMD_TRACE,
	SS_CMD_HELP,
	SS_CMD_VERSION,
};

struct trace_opts {
	enum ss_command command;
	bool json;
	bool states;
	const char *output; /* NULL: stdout */
	struct ss_filter filter; /* events mask always set after parsing */
	uint64_t count; /* 0: unlimited */
	uint64_t duration_ms; /* 0: unlimited */
	uint32_t ring_size;
	int verbose;
};

/*
 * Parses argv into *o. Returns 0, or SS_EXIT_USAGE with a one-line reason in
 * err (no trailing newline). Does not print anything.
 */
int cli_parse(int argc, char **argv, struct trace_opts *o, char *err,
	      size_t errlen);
void cli_usage(FILE *f);

#endif
