/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ports, who and history when no daemon answers: the same answers
 * (runtime/answers.h) from what this host has without one — a private
 * engine seeded from a kernel snapshot, the history of running trace /
 * ports --watch engines, and the daemon's database if it exists.
 */
#ifndef SS_QUERY_LOCAL_H
#define SS_QUERY_LOCAL_H

#include "cmd/cli.h"

/* Returns an SS_EXIT_* code. */
int query_local_run(const struct cli_opts *o);

#endif
