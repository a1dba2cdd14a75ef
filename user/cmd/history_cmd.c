// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* history (and who --at) when no daemon runs: straight from its database. */
#include <stdio.h>
#include <unistd.h>

#include "cmd/daemon.h"
#include "runtime/dqueries.h"
#include "lib/exitcodes.h"
#include "output/store/store.h"

static void stdio_write(void *ctx, int stream, const char *p, size_t n)
{
	(void)ctx;
	fwrite(p, 1, n, stream == 2 ? stderr : stdout);
}

int history_local_run(const struct cli_opts *o)
{
	struct writer w = { .write = stdio_write };
	struct daemon_config c;
	struct store_opts so = { 0 };
	struct store *st = NULL;
	struct timefmt tf;
	char err[512];
	int rc;

	rc = daemon_config_resolve(o, &c);
	if (rc)
		return rc;
	if (access(c.db, R_OK)) {
		fprintf(stderr, "sockscope: no daemon is running and there is no database at %s "
				"(start 'sockscope daemon', or give --db)\n", c.db);
		return SS_EXIT_RUNTIME;
	}
	so.path = c.db;
	so.readonly = true; /* a reader never writes, nor creates */
	if (store__open(&st, &so, err, sizeof(err))) {
		fprintf(stderr, "sockscope: database %s: %s\n", c.db, err);
		return SS_EXIT_RUNTIME;
	}
	timefmt_init(&tf);
	if (o->command == SS_CMD_WHO)
		rc = dq_who(NULL, st, o, &tf, &w);
	else
		rc = dq_history(st, o, &w);
	store__close(st);
	fflush(stdout);
	return rc;
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
