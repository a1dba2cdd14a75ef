/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef SS_TRACE_CMD_H
#define SS_TRACE_CMD_H

#include "cmd/cli.h"

/* Runs 'sockscope trace'; returns an SS_EXIT_* code. */
int trace_cmd_run(const struct cli_opts *opts);

#endif
