// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The daemon's history (daemon_store.h): rows, the writer thread, set-aside. */
#include "cmd/daemon_store.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cmd/daemon_rows.h"
#include "lib/ticker.h"

/* store transactions this often, on the writer thread */
#define FLUSH_NS (200ull * 1000000ull)
#define RETAIN_NS (10ull * 1000000000ull)
/* replay, without the writer: a commit every this many events */
#define FLUSH_EVERY 512

/*
 * A corrupt database is moved aside and a fresh one started, at start and
 * whenever a flush, retention or a query finds the damage: why names the
 * damage. st NULL: store__open() refused the file.
 */
static int set_aside(struct daemon_store *ds, struct store *st, const char *why)
{
	char moved[PATH_MAX], err[512];
	int rc = st ? store__set_aside(st, moved, sizeof(moved), err, sizeof(err))
		    : store__set_aside_path(ds->path, moved, sizeof(moved), err, sizeof(err));

	if (rc) {
		fprintf(stderr, "sockscope: database: %s; %s\n", why, err);
		return rc;
	}
	__atomic_add_fetch(&ds->corrupt, 1, __ATOMIC_RELAXED);
	fprintf(stderr, "sockscope: database: %s; moved to %s, starting a fresh one\n", why, moved);
	return 0;
}

static void flush(struct daemon_store *ds, uint64_t now)
{
	char err[256];

	if (store__flush(ds->store, err, sizeof(err))) {
		/* report an outage once, not every 200 ms */
		if (strcmp(err, ds->status))
			fprintf(stderr, "sockscope: database: %s (rows kept queued)\n", err);
		snprintf(ds->status, sizeof(ds->status), "%s", err);
	} else if (ds->status[0]) {
		fprintf(stderr, "sockscope: database: writing again\n");
		ds->status[0] = '\0';
	}
	if (store__corrupt(ds->store) &&
	    !set_aside(ds, ds->store, "the file is corrupt, found while running"))
		ds->status[0] = '\0';
	if (now - ds->last_retain_ns >= RETAIN_NS) {
		ds->last_retain_ns = now;
		if (store__retain(ds->store, (int64_t)timefmt_real_ns(ds->tf, now), err,
				  sizeof(err)))
			fprintf(stderr, "sockscope: database retention: %s\n", err);
	}
}

/* The acting process's identity into a row (the row's memset left it
 * unknown: flags 0). */
static void row_proc(struct proc_ident *dst, const struct rt_extra *x)
{
	if (x->fmt.proc)
		*dst = *x->fmt.proc;
}

/* Closed sockets, failures and port ownership changes, as rows. */
int daemon_store__event(void *ctx, const struct ss_event *e, const struct rt_extra *x)
{
	struct daemon_store *ds = ctx;
	bool failure = e->err != 0;
	union {
		struct store_socket socket;
		struct store_failure failure;
		struct store_owner owner;
	} r;

	if (e->hdr.type == SS_EV_CLOSE) {
		if (x->closing) {
			daemon_row_closed(&r.socket, x->closing, e, x->fmt.holders,
					  x->fmt.nr_holders, ds->tf);
			row_proc(&r.socket.proc, x);
			store__add_socket(ds->store, &r.socket);
		}
		if ((e->hdr.flags & SS_F_LOCAL) && e->lport) {
			daemon_row_owner(&r.owner, e, "release", ds->tf);
			row_proc(&r.owner.proc, x);
			store__add_owner(ds->store, &r.owner);
		}
	}
	if (failure && (e->hdr.type == SS_EV_BIND || e->hdr.type == SS_EV_LISTEN ||
			e->hdr.type == SS_EV_CONNECT_DONE)) {
		daemon_row_failure(&r.failure, e, x->fmt.expl, ds->tf);
		row_proc(&r.failure.proc, x);
		store__add_failure(ds->store, &r.failure);
	}
	if (!failure && (e->hdr.type == SS_EV_BIND || e->hdr.type == SS_EV_LISTEN)) {
		daemon_row_owner(&r.owner, e, e->hdr.type == SS_EV_BIND ? "bind" : "listen",
				 ds->tf);
		row_proc(&r.owner.proc, x);
		store__add_owner(ds->store, &r.owner);
	}
	/* without a writer thread (replay: its cost counted in this thread) */
	if (ds->flush_inline && ++ds->since_flush >= FLUSH_EVERY) {
		ds->since_flush = 0;
		flush(ds, mono_now_ns());
	}
	return 0;
}

static void writer_tick(void *arg, uint64_t now)
{
	flush(arg, now);
}

int daemon_store__open(struct daemon_store *ds, const struct store_opts *so, struct timefmt *tf,
		       char *err, size_t errlen)
{
	int rc;

	ds->path = so->path;
	ds->tf = tf;
	rc = store__open(&ds->store, so, err, errlen);
	if (rc == -EUCLEAN && !set_aside(ds, NULL, err))
		rc = store__open(&ds->store, so, err, errlen);
	/* the whole file, once: damage the first writes would not meet */
	if (!rc && store__check(ds->store, err, errlen) == -EUCLEAN)
		rc = set_aside(ds, ds->store, err);
	return rc;
}

int daemon_store__start_writer(struct daemon_store *ds, char *err, size_t errlen)
{
	return ticker__start(&ds->writer, FLUSH_NS, writer_tick, ds, err, errlen);
}

uint64_t daemon_store__corrupt(const struct daemon_store *ds)
{
	return __atomic_load_n(&ds->corrupt, __ATOMIC_RELAXED);
}

void daemon_store__close(struct daemon_store *ds)
{
	char err[256];

	ticker__stop(ds->writer); /* its last commit first */
	ds->writer = NULL;
	if (ds->store && store__flush(ds->store, err, sizeof(err)))
		fprintf(stderr, "sockscope: database: final flush: %s\n", err);
	store__close(ds->store);
	ds->store = NULL;
}
