/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The rows of ports, who, history and ports --watch, one text printer and
 * one JSON printer per kind:
 *
 *  - a live socket with its holders (output/portrow.h: portrow_header,
 *    portrow_text, portrow_json; with the watch's change marker below);
 *  - a closed socket, a failure, an owner change (struct store_row, whether
 *    it comes from the daemon's database or from an engine's history).
 *
 * Each printer appends one whole line, newline included.
 */
#ifndef SS_ROWS_H
#define SS_ROWS_H

#include <stdbool.h>

#include "lib/sbuf.h"
#include "lib/timefmt.h"
#include "output/portrow.h"
#include "output/store/store.h"

/*
 * ports --watch: a live row behind its change marker (' ', '+', '*', '-'),
 * in colour on a terminal (tty), the colour reset before the newline.
 */
void rows_live_marked(struct sbuf *sb, const struct port_row *r, bool tty);

/* A stored (or remembered) row of any kind, for people and as JSON. */
void rows_past_text(struct sbuf *sb, const struct store_row *r, struct timefmt *tf);
void rows_past_json(struct sbuf *sb, const struct store_row *r, struct timefmt *tf);

/*
 * A closed socket as a row: what the daemon stores and an engine's history
 * remembers (times CLOCK_REALTIME ns, opened 0: before sockscope).
 */
void rows_socket_of(struct store_socket *r, const struct ss_sockinfo *s, uint64_t opened_ns,
		    uint64_t closed_ns, const struct holder *h, size_t nr);

/* The cgroup path a stored row keeps: of cgroup_id, or of the first holder
 * with a known one ("" when none is known). */
void rows_cgroup_path(char *dst, size_t len, uint64_t cgroup_id);
void rows_cgroup_of(char *dst, size_t len, const struct holder *h, size_t nr);

/* A row's text fields as snprintf(dst, len, "%s", ...) fills them (cut to
 * len - 1 bytes, NUL-terminated), without printf: s, and an address as
 * addr_str() prints it. */
void rows_str(char *dst, size_t len, const char *s);
void rows_addr(char *dst, size_t len, unsigned int family, const __u8 *addr);

#endif
