/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A thread that calls fn(arg, now) every period, for work that must not
 * stall an event loop (the daemon's SQLite commits): the loop keeps draining
 * the ring buffer while a transaction is written.
 */
#ifndef SS_TICKER_H
#define SS_TICKER_H

#include <stddef.h>
#include <stdint.h>

struct ticker;

/*
 * Starts the thread; the first call comes one period from now. now is
 * CLOCK_MONOTONIC ns. The thread blocks every signal: they stay the main
 * thread's. 0 or -errno (with context in err).
 */
int ticker__start(struct ticker **out, uint64_t period_ns, void (*fn)(void *arg, uint64_t now),
		  void *arg, char *err, size_t errlen);
/* Stops it, after the call in progress if any, and frees it. NULL is fine. */
void ticker__stop(struct ticker *t);

#endif
