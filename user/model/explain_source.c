// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>

#include "model/explain_source.h"
#include "lib/timefmt.h"

/*
 * A snapshot of one namespace that is no older than the event: failures in
 * a burst share one, but a snapshot taken before a failure happened cannot
 * explain it. (bpf_ktime_get_ns() is CLOCK_MONOTONIC, so times compare.)
 */
static const struct snapshot *snapshot_for(struct explain_source *x, uint32_t netns,
					   uint64_t event_ns)
{
	char err[256];

	if (x->cache_valid && x->cache_netns == netns && x->cache_ns >= event_ns)
		return &x->cache;
	snapshot__free(&x->cache);
	x->cache_valid = false;
	x->cache_ns = mono_now_ns();
	if (!x->snap || snapshot__take(x->snap, &x->cache, netns, err, sizeof(err)))
		return NULL;
	x->cache_valid = true;
	x->cache_netns = netns;
	return &x->cache;
}

const struct explanation *explain_source__explain(struct explain_source *x, struct engine *en,
						  const struct ss_event *e)
{
	const struct snapshot *snap = NULL;

	if (!explain_wanted(e))
		return NULL;
	if (e->err == EADDRINUSE && en) {
		struct snapshot mine;
		bool found = false;

		if (!engine__port_snapshot(en, e->netns, e->proto, e->lport, &mine)) {
			found = explain_event(e, &mine, &x->expl) && x->expl.nr_holders;
			snapshot__free(&mine);
		}
		if (found)
			return &x->expl;
	}
	if (explain_needs_snapshot(e))
		snap = snapshot_for(x, e->netns, e->ts_ns);
	return explain_event(e, snap, &x->expl) ? &x->expl : NULL;
}

void explain_source__release(struct explain_source *x)
{
	snapshot__free(&x->cache);
	x->cache_valid = false;
}
