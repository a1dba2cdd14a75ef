/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The private engine of a one-shot command (ports, who with no daemon):
 * seeded from one kernel snapshot, so the answer comes from the same
 * engine rows a running trace, ports --watch or daemon answers from.
 */
#ifndef SS_ONESHOT_H
#define SS_ONESHOT_H

#include "cmd/cli.h"
#include "model/engine.h"

/*
 * Checks privileges and BTF, takes a snapshot (of o->netns only, if set)
 * and seeds a new engine with it. 0, or -errno (see ss_exit_code()) with
 * a one-line message printed on stderr. Free *out with engine__free().
 */
int oneshot_engine(const struct cli_opts *o, struct engine **out);

#endif
