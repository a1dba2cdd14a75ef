/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The questions a daemon answers — ports, who (now, before, --at) and
 * history — written through a writer, so the same code answers over the
 * daemon's socket and, with no daemon, locally from the database.
 */
#ifndef SS_DQUERIES_H
#define SS_DQUERIES_H

#include <stdint.h>

#include "cmd/cli.h"
#include "model/engine.h"
#include "output/store/store.h"
#include "lib/timefmt.h"

struct writer {
	/* stream 1: stdout, 2: stderr */
	void (*write)(void *ctx, int stream, const char *p, size_t n);
	void *ctx;
};

void writer_printf(const struct writer *w, int stream, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Each returns an SS_EXIT_* code. en may be NULL (no daemon: no live map). */
int dq_ports(struct engine *en, const struct cli_opts *o, struct timefmt *tf,
	     const struct writer *w);
int dq_who(struct engine *en, struct store *st, const struct cli_opts *o, struct timefmt *tf,
	   const struct writer *w);
int dq_history(struct store *st, const struct cli_opts *o, const struct writer *w);

/* --at / --since / --until: 0, or SS_EXIT_USAGE with a message written. */
int dq_time(const char *what, const char *s, int64_t *out_ns, const struct writer *w);

#endif
