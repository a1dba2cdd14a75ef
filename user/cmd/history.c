// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* 'history': closed sockets, failures, ownership changes (runtime/answers.h).
 */
#include "cmd/history.h"
#include "cmd/query_local.h"

int history_cmd_run(const struct cli_opts *o)
{
	return query_local_run(o);
}

/* ---- history's options (see cmd/commands.h) ---- */
#include "cmd/commands.h"

static const struct cli_option opt_since = {
	.name = "since",
	.kind = OPTK_STRING,
	CLI_FIELD(since),
	.metavar = "TIME",
	.help = "from TIME (RFC 3339, \"2026-11-20 14:02\", or an age: 1h)",
};

static const struct cli_option opt_until = {
	.name = "until",
	.kind = OPTK_STRING,
	CLI_FIELD(until),
	.metavar = "TIME",
	.help = "to TIME",
};

static const struct cli_option opt_limit = {
	.name = "limit",
	.kind = OPTK_U64,
	CLI_FIELD(limit),
	.metavar = "N",
	.help = "at most N rows (default 1000)",
	.expect = "expected 1-10000000",
	.min = 1,
	.max = 10000000,
};

const struct opt_entry history_options[] = {
	OPT_HELP(opt_port, "local or remote port"),
	OPT_HELP(opt_pid, "a process that held the socket"),
	OPT_HELP(opt_comm, "a command name that held the socket"),
	OPT_GROUP(filter_past_options),
	OPT_GROUP(identity_options),
	OPT(opt_since),
	OPT(opt_until),
	OPT(opt_failed),
	OPT(opt_limit),
	OPT_HELP(opt_json, "one JSON object per row"),
	OPT_HELP(opt_db, "the database, when no daemon runs"),
	OPT(opt_config),
	OPT_GROUP(common_options),
	OPT_END,
};
/* ---- end of history's options ---- */
