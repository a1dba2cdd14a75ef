/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef SS_WHO_CMD_H
#define SS_WHO_CMD_H

#include "cmd/cli.h"

/* 'sockscope who [ADDR:]PORT [--at T]' with no daemon to ask: an SS_EXIT_*
 * code. */
int who_cmd_run(const struct cli_opts *o);

#endif
