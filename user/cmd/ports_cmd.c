// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* 'ports': the listening (or, with --all, every) socket and its holders. */
#include "cmd/ports_cmd.h"
#include "cmd/query_local.h"
#include "cmd/watch.h"

int ports_cmd_run(const struct cli_opts *o)
{
	if (o->watch)
		return watch_run(o);
	return query_local_run(o);
}
