// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* 'ports' and 'who': one-shot views of a kernel snapshot. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "model/explain.h"
#include "lib/exitcodes.h"
#include "cmd/ports_cmd.h"
#include "runtime/query.h"
#include "output/snaprows.h"
#include "cmd/watch.h"

static bool ports_pred(const struct ss_sockinfo *sock, const struct holder *h,
		       size_t nr, const struct cli_opts *o)
{
	if (!o->all && !sock_is_listening(sock))
		return false;
	return rowfilter_match(sock, h, nr, o);
}

static bool who_pred(const struct ss_sockinfo *sock, const struct holder *h,
		     size_t nr, const struct cli_opts *o)
{
	(void)h;
	(void)nr;
	if (sock->lport != o->who_port)
		return false;
	if (o->filter.proto && sock->proto != o->filter.proto)
		return false;
	if (o->netns && sock->netns != o->netns)
		return false;
	return addr_covers(sock->family, sock->laddr, sock->v6only, o->who_family,
			   o->who_addr);
}

static int print_rows(const struct cli_opts *o, row_pred pred, long *printed)
{
	struct snapshot s;
	struct output out;
	long n;
	int rc, err;

	signal(SIGPIPE, SIG_IGN);
	rc = snaprows_take(o, &s);
	if (rc)
		return rc;
	err = output_open(&out, NULL, 256u << 10);
	if (err) {
		snapshot__free(&s);
		fprintf(stderr, "sockscope: output: %s\n", strerror(-err));
		return SS_EXIT_OUTPUT;
	}
	n = snaprows_print(&s, pred, o, &out);
	err = output_close(&out);
	snapshot__free(&s);
	if (n < 0)
		err = (int)n;
	if (err && err != -EPIPE) {
		fprintf(stderr, "sockscope: writing output: %s\n", strerror(-err));
		return SS_EXIT_OUTPUT;
	}
	*printed = n < 0 ? 0 : n;
	return 0;
}

int ports_cmd_run(const struct cli_opts *o)
{
	long printed;

	if (o->watch)
		return watch_run(o);
	return print_rows(o, ports_pred, &printed);
}

struct history_out {
	bool json;
	size_t n;
};

static void print_history_line(const char *line, void *arg)
{
	struct history_out *h = arg;

	if (!h->n++ && !h->json)
		fputs("held before (history of running sockscope engines):\n", stdout);
	fputs(line, stdout);
	fputc('\n', stdout);
}

int who_cmd_run(const struct cli_opts *o)
{
	struct history_out history = { .json = o->json };
	long printed = 0;
	int rc = print_rows(o, who_pred, &printed);

	if (rc)
		return rc;
	/* Who held it before: only a running trace or ports --watch knows. */
	fflush(stdout);
	query_history(o->who_port, !o->json, print_history_line, &history);
	fflush(stdout);
	if (!printed) {
		fprintf(stderr, "sockscope: nothing holds port %u%s%s\n", o->who_port,
			o->filter.proto == SS_PROTO_TCP ? "/tcp" :
			o->filter.proto == SS_PROTO_UDP ? "/udp" : "",
			o->netns ? " in that network namespace" : " in any network namespace");
		return SS_EXIT_NOT_HELD;
	}
	return 0;
}

/* ---- ports' and who's options (see cmd/commands.h) ---- */
#include "cmd/commands.h"
#include "lib/err.h"
#include "lib/parse.h"

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
	OPT(opt_netns),
	OPT_HELP(opt_ring_size, "with --watch: ring buffer size"),
	OPT_GROUP(common_options),
	OPT_END,
};

static const struct cli_option opt_at = {
	.name = "at",
	.kind = OPTK_STRING,
	CLI_FIELD(at),
	.metavar = "TIME",
	.help = "who held it then, from the daemon's history:\n"
		"\"2026-11-20 14:02\", RFC 3339, or an age (1h, 30m)",
};

/* "8080", ":8080", "127.0.0.1:8080", "[::1]:8080" */
static int set_who_target(const struct cli_option *opt, const char *arg,
			  void *cfg, char *err, size_t errlen)
{
	struct cli_opts *o = cfg;
	const char *why = "", *port;
	struct addrport ap;

	(void)opt;
	if (parse_addrport(arg, ADDRPORT_ADDR_OPTIONAL, &ap, &why)) {
		/* name the port itself, as the messages always did */
		port = strrchr(arg, ':');
		if (!strncmp(why, "bad port", 8))
			return errf(err, errlen, -EINVAL,
				    "bad port '%s': expected 1-65535",
				    port ? port + 1 : arg);
		return errf(err, errlen, -EINVAL, "bad address '%s': %s", arg,
			    why);
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
	OPT_HELP(opt_netns, "only this network namespace"),
	OPT_HELP(opt_json, "one JSON object per socket"),
	OPT(opt_at),
	OPT(opt_db),
	OPT(opt_config),
	OPT_GROUP(common_options),
	OPT_END,
};
/* ---- end of ports' and who's options ---- */
