// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* 'history': closed sockets, failures, ownership changes (runtime/answers.h).
 */
#include "cmd/history_cmd.h"
#include "cmd/query_local.h"

int history_cmd_run(const struct cli_opts *o)
{
	return query_local_run(o);
}
