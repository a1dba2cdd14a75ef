/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Questions to a running engine (trace, ports --watch) over its control
 * socket, /run/sockscope/engine-<pid>.sock (runtime/ctl_server.h): the
 * closed sockets that were bound to a port, one per line.
 */
#ifndef SS_QUERY_H
#define SS_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/engine.h"
#include "lib/timefmt.h"

#define QUERY_DIR "/run/sockscope"

/* Client: asks every running engine for PORT's history; calls fn per line
 * (JSON objects, or table rows when text). Returns how many engines answered. */
int query_history(uint16_t port, bool text, void (*fn)(const char *line, void *arg),
		  void *arg);

#endif
