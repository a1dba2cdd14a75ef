/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Prometheus text exposition on an opt-in loopback address: GET /metrics.
 * Served from the daemon's loop without blocking it: connections are
 * accepted non-blocking and a client gets at most 50 ms to send its request.
 */
#ifndef SS_METRICS_H
#define SS_METRICS_H

#include <stddef.h>

#include "lib/sbuf.h"

struct metrics_server;

/* addr: "127.0.0.1:9463" or "[::1]:9463". NULL and a reason on failure. */
struct metrics_server *metrics_server__open(const char *addr, char *err, size_t errlen);
/* Answers waiting scrapes; render() writes the exposition text. */
void metrics_server__serve(struct metrics_server *m,
			   void (*render)(struct sbuf *sb, void *arg), void *arg);
void metrics_server__close(struct metrics_server *m);

/* Exposition helpers: "# HELP/# TYPE" once per family, then samples. */
void metrics_family(struct sbuf *sb, const char *name, const char *type, const char *help);
/* label may be NULL; value is escaped as the text format requires. */
void metrics_sample(struct sbuf *sb, const char *name, const char *label,
		    const char *value, unsigned long long v);

#endif
