// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* sockscope: Linux socket lifecycle tracer. main() only wires things up. */
#include <stdio.h>

#include "cmd/cli.h"
#include "lib/exitcodes.h"
#include "cmd/daemon.h"
#include "cmd/history_cmd.h"
#include "cmd/ports_cmd.h"
#include "cmd/trace_cmd.h"
#include "cmd/who_cmd.h"
#include "runtime/ctl_client.h"

int main(int argc, char **argv)
{
	struct cli_opts opts;
	char err[512];
	int rc;

	rc = cli_parse(argc, argv, &opts, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "sockscope: %s\n", err);
		return rc;
	}
	switch (opts.command) {
	case SS_CMD_HELP:
		cli_usage(stdout, opts.help_for);
		return SS_EXIT_OK;
	case SS_CMD_VERSION:
		printf("sockscope %s (event ABI %d)\n", SS_VERSION, SS_ABI_VERSION);
		return SS_EXIT_OK;
	case SS_CMD_PORTS:
		/* a running daemon answers from its live map and database */
		if (!opts.watch && !ctl_client__forward(argc, argv, &rc))
			return rc;
		return ports_cmd_run(&opts);
	case SS_CMD_WHO:
		if (!ctl_client__forward(argc, argv, &rc))
			return rc;
		return who_cmd_run(&opts);
	case SS_CMD_HISTORY:
		if (!ctl_client__forward(argc, argv, &rc))
			return rc;
		return history_cmd_run(&opts);
	case SS_CMD_DAEMON:
		return daemon_cmd_run(&opts);
	case SS_CMD_TRACE:
		break;
	}
	return trace_cmd_run(&opts);
}
