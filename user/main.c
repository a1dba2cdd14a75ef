// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* sockscope: Linux socket lifecycle tracer. main() only wires things up. */
#include <stdio.h>

#include "cmd/cli.h"
#include "cmd/commands.h"
#include "kernel/cgroups.h"
#include "model/proc_ident.h"
#include "runtime/ctl_client.h"

int main(int argc, char **argv)
{
	const struct command *cmd;
	struct cli_opts opts;
	char err[512];
	int rc;

	rc = cli_parse(argc, argv, &opts, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "sockscope: %s\n", err);
		return rc;
	}
	/* identities of processes that were there before us come from /proc */
	proc_cache__default_root("/proc");
	/* cgroup ids resolve to units and containers (lazily, on first use) */
	cgroups__install();
	cmd = command__of(opts.command);
	/* a running daemon answers from its live map and its history */
	if (cmd->daemon_answers && cmd->daemon_answers(&opts) &&
	    !ctl_client__forward(argc, argv, &rc))
		return rc;
	return cmd->run(&opts);
}
