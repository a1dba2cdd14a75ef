/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The daemon's event -> database row mapping: what a closed socket, a
 * failed bind/listen/connect and a change of port ownership store.
 */
#ifndef SS_DAEMON_ROWS_H
#define SS_DAEMON_ROWS_H

#include <stddef.h>

#include "lib/timefmt.h"
#include "model/engine.h"
#include "model/explain.h"
#include "output/store/store.h"
#include "sockscope_abi.h"

/* A close: s is the socket as the engine knew it, holders everyone who
 * held it (at most 8 are stored). */
void daemon_row_closed(struct store_socket *r, const struct eng_sock *s, const struct ss_event *e,
		       const struct holder *holders, size_t nr_holders, struct timefmt *tf);
/* A failure and its explanation (x may be NULL). */
void daemon_row_failure(struct store_failure *r, const struct ss_event *e,
			const struct explanation *x, struct timefmt *tf);
/* action: "bind", "listen" or "release". */
void daemon_row_owner(struct store_owner *r, const struct ss_event *e, const char *action,
		      struct timefmt *tf);

#endif
