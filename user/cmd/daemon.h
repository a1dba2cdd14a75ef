/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef SS_DAEMON_H
#define SS_DAEMON_H

#include "cmd/cli.h"
#include "cmd/config.h"

/* 'sockscope daemon': returns an SS_EXIT_* code. */
int daemon_cmd_run(const struct cli_opts *o);
/* Config file, then command-line overrides; messages printed on error. */
int daemon_config_resolve(const struct cli_opts *o, struct daemon_config *c);

#endif
