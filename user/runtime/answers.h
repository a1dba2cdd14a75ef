/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The answers to 'ports', 'who' and 'history': one entry point, whoever
 * asks (a local command, or a client of a running trace, ports --watch or
 * daemon over the control socket).
 *
 * Sources: the engine for the live sockets; for the past, the store when
 * there is one (the daemon's database: it has every socket its engine saw
 * close), else the engine's own history (a running trace or ports --watch,
 * asked with a normal command line such as "history --port 8080 --json").
 *
 * Layout, the same whoever answers:
 *   ports           header + live rows (text) / one JSON object per row
 *   who PORT        live rows as ports prints them; then "held before:" and
 *                   the rows 'history --port PORT --limit 20' prints
 *   who PORT --at T "held at that time:" + stored rows, then "held then and
 *                   still now:" + the live rows already open at T
 *   history         past rows, newest first
 * Titles are for people: --json prints the rows only.
 */
#ifndef SS_ANSWERS_H
#define SS_ANSWERS_H

#include <stdint.h>

#include "cmd/cli.h"
#include "model/engine.h"
#include "output/store/store.h"
#include "lib/timefmt.h"

struct writer {
	/* stream 1: stdout, 2: stderr */
	void (*write)(void *ctx, int stream, const char *p, size_t n);
	void *ctx;
};

void writer_printf(const struct writer *w, int stream, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Answers the query command in o (ports, who, history) from the engine (live
 * sockets and recent history; may be NULL) and the store (the past; may be
 * NULL), writing through w. Returns an SS_EXIT_* code.
 */
int answers__run(struct engine *en, struct store *st, struct timefmt *tf, const struct cli_opts *o,
		 const struct writer *w);

/*
 * More past rows from elsewhere: fn writes whole rows (lines) for the
 * history question q_argv (NULL-terminated, e.g. {"history", "--port",
 * "8080", NULL}) through w and returns how many, or -errno. Used by the
 * local commands to add the history of running trace/watch engines.
 */
struct answers_more {
	long (*fn)(char *const *q_argv, const struct writer *w, void *arg);
	void *arg;
};

int answers__run_more(struct engine *en, struct store *st, struct timefmt *tf,
		      const struct cli_opts *o, const struct writer *w,
		      const struct answers_more *more);

/* The times of a query, CLOCK_REALTIME ns (0: not given). */
struct answers_times {
	int64_t at_ns, since_ns, until_ns;
};

/*
 * Parses o's --at, --since and --until into t: 0, or SS_EXIT_USAGE with a
 * message written (a bad form, a date out of range, --until before
 * --since). Callers check them before looking for a database: a typo is a
 * usage error whether or not there is one.
 */
int answers__times(const struct cli_opts *o, struct answers_times *t, const struct writer *w);

#endif
