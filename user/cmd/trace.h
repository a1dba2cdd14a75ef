/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef SS_TRACE_CMD_H
#define SS_TRACE_CMD_H

#include <stdint.h>

#include "cmd/cli.h"
#include "output/format.h"
#include "output/output.h"
#include "runtime/runtime.h"

/* Runs 'sockscope trace'; returns an SS_EXIT_* code. */
int trace_cmd_run(const struct cli_opts *opts);

/* The formatter consumer of trace: one line per event, 'lost' and
 * 'resync' in band. tests/bench/replay.c runs it too. */
struct trace_out {
	struct formatter fmt;
	struct output out; /* opened by the caller */
	uint64_t events;
	uint64_t max_events; /* 0: unlimited */
	int out_err;	     /* first output error, -errno */
	/* --container/--unit (NULL: none), on the events' identity */
	const struct cli_opts *ident_filter;
	char line[8192];
};

void trace_out__consumer(struct trace_out *t, struct rt_consumer *c);

#endif
