/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where explanations come from, for the commands that explain failures
 * (trace, daemon): the engine's view at that point of the event stream
 * first — the moment of the failure, even if the holder has closed since —
 * then a kernel snapshot, shared by failures close together in time.
 */
#ifndef SS_EXPLAIN_SOURCE_H
#define SS_EXPLAIN_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "model/engine.h"
#include "model/explain.h"
#include "kernel/snapshot.h"

struct explain_source {
	struct snapshot_loader *snap; /* NULL: no kernel snapshots */
	struct snapshot cache;
	bool cache_valid;
	uint32_t cache_netns;
	uint64_t cache_ns; /* CLOCK_MONOTONIC when it was taken */
	struct explanation expl;
};

/* en may be NULL. Returns the explanation (valid until the next call) or NULL. */
const struct explanation *explain_source__explain(struct explain_source *x, struct engine *en,
						  const struct ss_event *e);
/* Frees the cached snapshot (not the loader). */
void explain_source__release(struct explain_source *x);

#endif
