// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* 'ports': the listening (or, with --all, every) socket and its holders. */
#include "cmd/ports.h"
#include "cmd/query_local.h"
#include "cmd/watch.h"

int ports_cmd_run(const struct cli_opts *o)
{
	if (o->watch)
		return watch_run(o);
	return query_local_run(o);
}

/* ---- ports' options (see cmd/commands.h) ---- */
#include "cmd/commands.h"

static const struct cli_option opt_all = {
	.name = "all",
	.kind = OPTK_FLAG,
	CLI_FIELD(all),
	.help = "also connected sockets (ESTABLISHED, TIME_WAIT, ...)",
};

static const struct cli_option opt_watch = {
	.name = "watch",
	.kind = OPTK_FLAG,
	CLI_FIELD(watch),
	.help = "live table fed by the event stream (Ctrl-C quits)",
};

static const struct cli_option opt_interval = {
	.name = "interval",
	.kind = OPTK_SECONDS,
	CLI_FIELD(interval_ms),
	.metavar = "SEC",
	.help = "--watch redraw interval (default 1)",
	.expect = "expected seconds from 0.05 to 3600",
	.min = 50,
	.max = 3600000,
};

const struct opt_entry ports_options[] = {
	OPT(opt_all),
	OPT_HELP(opt_json, "one JSON object per socket"),
	OPT(opt_watch),
	OPT(opt_interval),
	OPT_GROUP(filter_options),
	OPT_GROUP(filter_more_options),
	OPT(opt_netns),
	OPT(opt_state),
	OPT_GROUP(identity_options),
	OPT_HELP(opt_ring_size, "with --watch: ring buffer size"),
	OPT_GROUP(common_options),
	OPT_END,
};

/* ---- end of ports' options ---- */
