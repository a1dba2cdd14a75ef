/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Printing the sockets of a snapshot that match a predicate, with holders. */
#ifndef SS_SNAPROWS_H
#define SS_SNAPROWS_H

#include <stdbool.h>
#include <stddef.h>

#include "cmd/cli.h"
#include "output/output.h"
#include "output/portrow.h"
#include "runtime/rowfilter.h"
#include "kernel/snapshot.h"

typedef bool (*row_pred)(const struct ss_sockinfo *sock, const struct holder *h,
			 size_t nr, const struct cli_opts *o);

/* Rows matching pred, as a table (with header) or NDJSON. Returns the
 * number of rows printed, or -errno from the output. */
long snaprows_print(const struct snapshot *s, row_pred pred,
		    const struct cli_opts *o, struct output *out);


/* Opens the snapshot programs and takes one snapshot; prints a one-line
 * error and returns an SS_EXIT_* code on failure. */
int snaprows_take(const struct cli_opts *o, struct snapshot *s);

#endif
