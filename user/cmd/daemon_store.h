/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The daemon's history: its events as store rows (closed sockets, failures,
 * port ownership changes), committed every 200 ms on a writer thread so the
 * event loop never waits on SQLite, and a corrupt database moved aside and
 * started afresh.
 */
#ifndef SS_DAEMON_STORE_H
#define SS_DAEMON_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/timefmt.h"
#include "output/store/store.h"
#include "runtime/runtime.h"

struct ticker;

struct daemon_store {
	struct store *store;
	const char *path;   /* the database file, for set-aside before open */
	struct timefmt *tf; /* the daemon's clock, for row times */
	/* commits the queue every period; flush() runs there only (or, with
	 * flush_inline, in the loop), daemon_store__close() commits the rest */
	struct ticker *writer;
	bool flush_inline; /* replay: commit from the consumer, counted there */
	uint64_t corrupt;  /* database files moved aside (__atomic) */
	uint64_t last_retain_ns;
	unsigned int since_flush;
	char status[256]; /* the last flush error, told once */
};

/*
 * Opens (or creates) the database so->path, moving a corrupt one aside and
 * starting afresh. 0 or -errno with one line in err.
 */
int daemon_store__open(struct daemon_store *ds, const struct store_opts *so, struct timefmt *tf,
		       char *err, size_t errlen);
/* The writer thread, once the loop runs. 0 or -errno with one line in err. */
int daemon_store__start_writer(struct daemon_store *ds, char *err, size_t errlen);
/* The runtime consumer's event callback (ctx: the daemon_store). */
int daemon_store__event(void *ctx, const struct ss_event *e, const struct rt_extra *x);
uint64_t daemon_store__corrupt(const struct daemon_store *ds);
/* Stops the writer, commits what is queued, closes. Safe on a zeroed one. */
void daemon_store__close(struct daemon_store *ds);

#endif
