/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The runtime: the one event path of trace, ports --watch and the daemon.
 * It owns the loader (kernel/tracer.h), the snapshot iterators, the engine,
 * the explanation source and the event loop: one epoll set with the ring buffer, a
 * signalfd (SIGINT, SIGTERM, SIGHUP), a timerfd for ticks, the control
 * socket and any other server added to it (metrics). Lost records are
 * handled here, once: consumers are told, the engine is re-seeded from a
 * kernel snapshot and consumers are told again.
 *
 * Consumers (the formatter of trace, the redraw of ports --watch, the
 * daemon's sinks, store and metrics) see each record after the engine has
 * applied it, with what the runtime computed once for all of them.
 */
#ifndef SS_RUNTIME_H
#define SS_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/tracer.h"
#include "lib/timefmt.h"
#include "model/engine.h"
#include "output/format.h"
#include "output/store/store.h"
#include "sockscope_abi.h"

struct rt_extra {
	/* a failure's explanation, a close's holders: as format_event() takes
	 * them */
	struct event_extra fmt;
	/* SS_EV_CLOSE: the socket as the engine knew it before it forgot it
	 * (a copy without its holders lists: those are fmt.holders), or NULL */
	const struct eng_sock *closing;
};

/* Every callback may be NULL. A nonzero return of event() or tick() stops
 * the runtime without the final drain (a count reached, an output error). */
struct rt_consumer {
	void *ctx;
	/* a record of a type in rt_opts.events, engine applied */
	int (*event)(void *ctx, const struct ss_event *e, const struct rt_extra *x);
	/* after every wakeup of the loop, and at least every rt_opts.tick_ms */
	int (*tick)(void *ctx, uint64_t now_mono_ns);
	/* the kernel dropped lost records between since_real_ns and now */
	void (*loss)(void *ctx, uint64_t lost, uint64_t since_real_ns, uint64_t now_real_ns);
	/* the engine was rebuilt from the kernel after a loss */
	void (*resync)(void *ctx, uint64_t sockets, uint64_t now_real_ns);
	/* SIGHUP (without any hup(), SIGHUP stops the runtime) */
	void (*hup)(void *ctx);
};

enum rt_ctl {
	RT_CTL_NONE,
	RT_CTL_ENGINE, /* CTL_DIR/engine-<pid>.sock, if it can be had */
	/* CTL_DAEMON_SOCKET, required, and refused if a daemon answers */
	RT_CTL_DAEMON,
};

struct rt_opts {
	struct ss_filter filter; /* what the kernel sends */
	uint32_t ring_size;
	int verbose;
	bool engine;	      /* keep the live model (holders, resync, answers) */
	size_t history;	      /* closed sockets the engine remembers */
	bool need_snapshot;   /* no start without the snapshot iterators */
	__u32 events;	      /* SS_EV_BIT()s of the types consumers get; 0: all */
	uint64_t duration_ms; /* 0: until a signal */
	uint64_t tick_ms;     /* 0: 100 */
	enum rt_ctl ctl;
	struct store *store; /* for the control socket's answers; may be NULL */
};

#define RT_MAX_CONSUMERS 4

struct runtime;

/* The engine, the explanation source and the loop's fds; no kernel yet (see
 * runtime__feed). 0 or -errno with a reason in err. */
int runtime__new(struct runtime **out, const struct rt_opts *o, char *err, size_t errlen);
int runtime__add_consumer(struct runtime *rt, const struct rt_consumer *c);
/*
 * Signals, control socket, loader, first snapshot (the engine seeded from
 * it), then tracer__seed(). 0 or -errno (lib/exitcodes.h ss_exit_code()
 * says what each means to a command) with a reason in err; nothing stays
 * attached then.
 */
int runtime__start(struct runtime *rt, char *err, size_t errlen);
/*
 * The loop, until SIGINT/SIGTERM, the duration, or a consumer stops it;
 * then the loader is detached, what the kernel produced is drained and the
 * final loss (if any) reported, so the last 'lost' and the totals agree.
 * 0 or -errno with a reason in err.
 */
int runtime__run(struct runtime *rt, char *err, size_t errlen);
/* One raw ring-buffer record through the handler the ring buffer uses:
 * 0, or -ECANCELED once a consumer stopped the runtime. */
int runtime__feed(struct runtime *rt, void *data, size_t size);
void runtime__free(struct runtime *rt);

/* The epoll set, for servers of the loop (metrics_server__open). */
int runtime__epoll_fd(const struct runtime *rt);
struct engine *runtime__engine(const struct runtime *rt);
struct timefmt *runtime__timefmt(struct runtime *rt);
struct tracer *runtime__tracer(const struct runtime *rt); /* NULL before start */
uint64_t runtime__lost(const struct runtime *rt);	  /* reported to consumers */
uint64_t runtime__bad_records(const struct runtime *rt);
int runtime__signal(const struct runtime *rt); /* what stopped it, or 0 */

/*
 * Rebuilds the engine's live table from a kernel snapshot of every
 * namespace (at start, and after lost records). 0 or -errno with a reason.
 */
int engine_reseed(struct engine *en, struct snapshot_loader *l, char *err, size_t errlen);

#endif
