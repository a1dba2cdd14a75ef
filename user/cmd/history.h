/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef SS_HISTORY_CMD_H
#define SS_HISTORY_CMD_H

#include "cmd/cli.h"

/* 'sockscope history' with no daemon to ask: an SS_EXIT_* code. */
int history_cmd_run(const struct cli_opts *o);

#endif
