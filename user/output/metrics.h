/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Prometheus text exposition on an opt-in loopback address: GET /metrics.
 * Served from the event loop's epoll set without ever waiting on a client
 * (runtime/conn.h): buffered, a deadline per client, a cap on clients.
 */
#ifndef SS_METRICS_H
#define SS_METRICS_H

#include <stddef.h>

#include "lib/sbuf.h"

struct metrics_server;

/*
 * Listens on addr ("127.0.0.1:9463" or "[::1]:9463") in epfd; each scrape
 * is answered with what render(sb, arg) writes. 0 or -errno with a reason.
 */
int metrics_server__open(struct metrics_server **out, int epfd, const char *addr,
			 void (*render)(struct sbuf *sb, void *arg), void *arg, char *err,
			 size_t errlen);
void metrics_server__close(struct metrics_server *m);

/*
 * What an HTTP request read so far (in, len: every byte since the connection
 * opened) asks for: not complete yet (no empty line), GET /metrics, or
 * anything else (answered 404). Pure: the server's reader and the fuzz
 * target (tests/fuzz/fuzz_metrics.c) share it.
 */
enum { METRICS_REQ_PARTIAL, METRICS_REQ_METRICS, METRICS_REQ_OTHER };
int metrics_request_kind(const char *in, size_t len);

/* Exposition helpers: "# HELP/# TYPE" once per family, then samples. */
void metrics_family(struct sbuf *sb, const char *name, const char *type, const char *help);
/* label may be NULL; value is escaped as the text format requires. */
void metrics_sample(struct sbuf *sb, const char *name, const char *label, const char *value,
		    unsigned long long v);

#endif
