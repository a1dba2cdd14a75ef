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
