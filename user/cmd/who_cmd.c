// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* 'who': who holds a port now, and who held it before (runtime/answers.h). */
#include "cmd/query_local.h"
#include "cmd/who_cmd.h"

int who_cmd_run(const struct cli_opts *o)
{
	return query_local_run(o);
}
