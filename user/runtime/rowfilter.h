/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The filters 'ports' shares with 'trace', applied to a table row. */
#ifndef SS_ROWFILTER_H
#define SS_ROWFILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "cmd/cli.h"
#include "output/portrow.h"

/* pid, comm, port, proto, family, netns; holders match pid and comm. */
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

#endif
