/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Why did it fail? For EADDRINUSE (bind, listen), EACCES (bind) and
 * EADDRNOTAVAIL (bind, connect): a one-line reason and, for address
 * conflicts, the sockets and processes holding the port — read from a fresh
 * kernel snapshot, so the answer is what the kernel holds, not a guess.
 */
#ifndef SS_EXPLAIN_H
#define SS_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/portrow.h"
#include "lib/sbuf.h"
#include "kernel/snapshot.h"
#include "sockscope_abi.h"

#define EXPLAIN_MAX_HOLDERS 8

struct explain_holder {
	bool has_process; /* false: TIME_WAIT or orphaned socket */
	struct holder proc;
	struct ss_sockinfo sock; /* the conflicting socket */
};

struct explanation {
	char reason[400];
	struct explain_holder holders[EXPLAIN_MAX_HOLDERS];
	size_t nr_holders;
	size_t more_holders; /* beyond EXPLAIN_MAX_HOLDERS */
};

/* Whether this event is a failure we explain. */
bool explain_wanted(const struct ss_event *e);

/*
 * Whether explaining e needs the sockets of its netns (a snapshot):
 * address conflicts and exhausted local ports do, permission and
 * unassigned-address failures do not.
 */
bool explain_needs_snapshot(const struct ss_event *e);

/*
 * Explains e using snapshot s (sockets of e's netns and their holders).
 * Returns true and fills x, or false when there is nothing to say (or
 * nothing without a snapshot, s NULL).
 */
bool explain_event(const struct ss_event *e, const struct snapshot *s, struct explanation *x);

/* Does a socket bound to (family, laddr, v6only) cover address (af, addr)?
 * af 0 means any address. */
bool addr_covers(unsigned int family, const __u8 *laddr, bool v6only, unsigned int af,
		 const __u8 *addr);

/* JSON: ,"reason":"...","holders":[...] (no braces) */
void explain_json(struct sbuf *sb, const struct explanation *x);
/* Text: the indented line(s) printed under the failing event. */
void explain_text(struct sbuf *sb, const struct explanation *x);

#endif
