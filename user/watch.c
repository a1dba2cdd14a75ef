// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>

#include "exitcodes.h"
#include "watch.h"

int watch_run(const struct cli_opts *o)
{
	(void)o;
	fprintf(stderr, "sockscope: ports --watch is not available yet\n");
	return SS_EXIT_USAGE;
}
