// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* 'who': who holds a port now, and who held it before (runtime/answers.h). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "cmd/commands.h"
#include "cmd/query_local.h"
#include "cmd/who.h"
#include "lib/err.h"
#include "lib/parse.h"

int who_cmd_run(const struct cli_opts *o)
{
	return query_local_run(o);
}

/* ---- who's options (see cmd/commands.h) ---- */
static const struct cli_option opt_at = {
	.name = "at",
	.kind = OPTK_STRING,
	CLI_FIELD(at),
	.metavar = "TIME",
	.help = "who held it then, from the daemon's history:\n"
		"\"2026-11-20 14:02\", RFC 3339, or an age (1h, 30m)",
};

/* "8080", ":8080", "127.0.0.1:8080", "[::1]:8080" */
static int set_who_target(const struct cli_option *opt, const char *arg, void *cfg, char *err,
			  size_t errlen)
{
	struct cli_opts *o = cfg;
	const char *why = "", *port;
	struct addrport ap;

	(void)opt;
	if (parse_addrport(arg, ADDRPORT_ADDR_OPTIONAL, &ap, &why)) {
		/* name the port itself, as the messages always did */
		port = strrchr(arg, ':');
		if (!strncmp(why, "bad port", 8))
			return errf(err, errlen, -EINVAL, "bad port '%s': expected 1-65535",
				    port ? port + 1 : arg);
		return errf(err, errlen, -EINVAL, "bad address '%s': %s", arg, why);
	}
	o->who_port = ap.port;
	o->who_family = 0;
	if (ap.family == AF_INET)
		o->who_family = SS_AF_INET;
	else if (ap.family == AF_INET6)
		o->who_family = SS_AF_INET6;
	memcpy(o->who_addr, ap.addr, sizeof(o->who_addr));
	return 0;
}

const struct cli_option who_target_option = {
	.kind = OPTK_CUSTOM,
	.parse = set_who_target,
	.metavar = "[ADDR:]PORT",
	.noun = "a port",
};

const struct opt_entry who_options[] = {
	OPT(opt_proto),
	OPT_HELP(opt_netns, "only this network namespace (inode or 'ip netns' name)"),
	OPT_GROUP(filter_more_options),
	OPT(opt_state),
	OPT_GROUP(identity_options),
	OPT_HELP(opt_json, "one JSON object per socket"),
	OPT(opt_at),
	OPT(opt_db),
	OPT(opt_config),
	OPT_GROUP(common_options),
	OPT_END,
};
/* ---- end of who's options ---- */
