/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The BPF side's lifecycle: open -> configure -> load -> attach -> seed ->
 * poll -> destroy. Every program is attached through a bpf_link, so the
 * kernel detaches all of them when the process exits, however it exits.
 */
#ifndef SS_TRACER_H
#define SS_TRACER_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sockscope_abi.h"

struct tracer;

/* Called for each raw record of the ring buffer (not validated yet: see
 * event_decode()); a negative return stops the current poll and is
 * returned by tracer__poll(). */
typedef int (*tracer_record_fn)(void *ctx, void *data, size_t size);

struct tracer_opts {
	const struct ss_filter *filter;
	uint32_t ring_size;
	int verbose;	     /* 1: ours, 2: libbpf's log too */
	bool track_holders;  /* fork/exit/fdclose records for the engine */
	bool track_identity; /* SS_EV_PROC records (exe, cmdline, parent) */
	tracer_record_fn on_record;
	void *ctx;
};

/*
 * Checks the host, loads and attaches everything. Returns 0 and *out, or
 * -errno (ss_exit_code() in lib/exitcodes.h says what each means) with a
 * one-line reason in err; nothing stays attached then.
 */
int tracer__start(struct tracer **out, const struct tracer_opts *opts, char *err, size_t errlen);
/* Waits up to timeout_ms for records, then drains the ring. Returns the
 * number of records handled or a negative error. */
int tracer__poll(struct tracer *t, int timeout_ms);
/* Detaches every program: nothing more is produced (or lost) after it. */
void tracer__detach(struct tracer *t);
/* Drains whatever is left without waiting. */
int tracer__drain(struct tracer *t);
/* Records the kernel could not deliver since start (ring buffer full). */
uint64_t tracer__lost(const struct tracer *t);
/* The ring buffer map's fd (pollable): readable when records wait (see
 * tracer__poll() on why a drain is due on every wakeup anyway). */
int tracer__fd(const struct tracer *t);
unsigned int tracer__nr_attached(const struct tracer *t);
/*
 * Seeds owners again for sockets that existed before start. tracer__start()
 * seeds once; sockets that had no cookie then (the file walk can read a
 * cookie, not generate one) get it from the first snapshot's table
 * iterators, so call this once after it. 0 or -errno.
 */
int tracer__seed(struct tracer *t, char *err, size_t errlen);
uint64_t tracer__nr_seeded(const struct tracer *t);
void tracer__destroy(struct tracer *t);

#endif
