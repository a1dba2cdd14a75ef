/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef SS_PORTS_CMD_H
#define SS_PORTS_CMD_H

#include "cmd/cli.h"

/* 'sockscope ports' with no daemon to ask: returns an SS_EXIT_* code. */
int ports_cmd_run(const struct cli_opts *o);

#endif
