/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef SS_WATCH_H
#define SS_WATCH_H

#include "cmd/cli.h"

/* 'sockscope ports --watch': live table fed by the event stream. */
int watch_run(const struct cli_opts *o);

#endif
