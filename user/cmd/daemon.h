/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef SS_DAEMON_H
#define SS_DAEMON_H

#include "cmd/cli.h"
#include "cmd/config.h"

/* 'sockscope daemon': returns an SS_EXIT_* code. */
int daemon_cmd_run(const struct cli_opts *o);
/* Config file, then command-line overrides; messages printed on error. */
int daemon_config_resolve(const struct cli_opts *o, struct daemon_config *c);

/*
 * The daemon without the kernel, for tests/bench/replay.c: its consumers
 * (counters, the store, the sinks of cfg) on a runtime that is never
 * started; feed(rt, arg) pushes records through runtime__feed(). Then the
 * store and the sinks are flushed and closed. Returns what feed returned,
 * or an SS_EXIT_* code if the outputs could not be opened.
 */
struct runtime;
int daemon_replay(const struct daemon_config *cfg, int (*feed)(struct runtime *rt, void *arg),
		  void *arg);

#endif
