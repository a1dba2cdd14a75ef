/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The filters of trace, applied to rows: ports' and who's live sockets, and
 * history's past rows. The same options mean the same on each (README,
 * "Filters").
 */
#ifndef SS_ROWFILTER_H
#define SS_ROWFILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "cmd/cli.h"
#include "output/portrow.h"
#include "output/store/store.h"

/*
 * pid, comm, port, proto, family, netns, uid, cgroup, addresses and ports;
 * holders match pid, comm, uid and cgroup. Not --state (rowfilter_state).
 */
bool rowfilter_match(const struct ss_sockinfo *sock, const struct holder *h, size_t nr,
		     const struct cli_opts *o);

/*
 * --container and --unit on an identity (NULL: unknown, which matches only
 * when neither is given). In userspace: the kernel knows cgroup ids, and
 * which ids a unit or a container has changes as cgroups come and go
 * (a restarted service gets a new directory, hence a new id).
 */
bool rowfilter_identity(const struct cg_ident *id, const struct cli_opts *o);
/* Whether any of the holders' identities passes rowfilter_identity(). */
bool rowfilter_holders_identity(const struct holder *h, size_t nr, const struct cli_opts *o);

/* The filters who adds to its port: all of the above but pid, comm and family. */
bool rowfilter_who(const struct ss_sockinfo *sock, const struct holder *h, size_t nr,
		   const struct cli_opts *o);

/* --state: whether sock is in one of the states asked for (true: none asked). */
bool rowfilter_state(const struct ss_sockinfo *sock, const struct cli_opts *o);

/* Whether o's filters beyond port, pid and comm select past rows (history). */
bool rowfilter_past_active(const struct cli_opts *o);
/* A past row against --uid, --netns, --laddr/--raddr, --lport/--rport. */
bool rowfilter_past(const struct store_row *r, const struct cli_opts *o);

#endif
