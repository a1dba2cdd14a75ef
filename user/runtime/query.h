/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Questions to a running engine (trace, ports --watch) over a UNIX socket:
 * /run/sockscope/engine-<pid>.sock, mode 0600, root peers only. Today one
 * question: "history PORT [json|text]" -> the closed sockets that were bound
 * to PORT, one per line, then {"end":true}.
 */
#ifndef SS_QUERY_H
#define SS_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/engine.h"
#include "lib/timefmt.h"

#define QUERY_DIR "/run/sockscope"

struct query_server;

/* NULL (and a reason in err) if it cannot listen: callers go on without. */
struct query_server *query_server__open(char *err, size_t errlen);
/* Answers the clients waiting, without blocking. */
void query_server__serve(struct query_server *q, struct engine *en, struct timefmt *tf);
void query_server__close(struct query_server *q);

/* Client: asks every running engine for PORT's history; calls fn per line
 * (JSON objects, or table rows when text). Returns how many engines answered. */
int query_history(uint16_t port, bool text, void (*fn)(const char *line, void *arg),
		  void *arg);

#endif
