/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The answers to 'ports', 'who' and 'history': one entry point, whoever
 * asks (a local command, or a client of a running trace, ports --watch or
 * daemon over the control socket).
 */
#ifndef SS_ANSWERS_H
#define SS_ANSWERS_H

#include "cmd/cli.h"
#include "model/engine.h"
#include "output/store/store.h"
#include "lib/timefmt.h"
#include "runtime/dqueries.h"

/*
 * Answers the query command in o (ports, who, history) from the engine (live
 * sockets and recent history; may be NULL) and the store (the past; may be
 * NULL), writing through w. Returns an SS_EXIT_* code.
 */
int answers__run(struct engine *en, struct store *st, struct timefmt *tf,
		 const struct cli_opts *o, const struct writer *w);

#endif
