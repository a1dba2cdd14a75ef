// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "kernel/decode.h"
#include "kernel/snapshot.h"
#include "lib/err.h"
#include "lib/signals.h"
#include "model/cgroup_ident.h"
#include "model/explain_source.h"
#include "model/proc_ident.h"
#include "runtime/conn.h"
#include "runtime/ctl_server.h"
#include "runtime/runtime.h"

#define DEFAULT_TICK_MS 100
#define MAX_HOLDERS 16

struct runtime {
	struct rt_opts o;
	struct rt_consumer consumers[RT_MAX_CONSUMERS];
	unsigned int nr_consumers;
	struct tracer *tracer;
	struct snapshot_loader *snap;
	struct engine *en;
	struct explain_source xsrc;
	struct ctl_server *ctl;
	struct timefmt tf;
	int epfd, sig_fd, timer_fd;
	struct ep_source ring_ep, sig_ep, timer_ep;
	bool stop;    /* a signal or the duration: drain what is left */
	bool stopped; /* a consumer stopped it: deliver nothing more */
	int signal;
	uint64_t lost;		/* reported to consumers */
	uint64_t lost_since_ns; /* realtime start of the current loss window */
	uint64_t bad_records;
	struct holder holders[MAX_HOLDERS];
};

int engine_reseed(struct engine *en, struct snapshot_loader *l, char *err, size_t errlen)
{
	uint64_t now = mono_now_ns();
	struct snapshot s;
	int rc;

	rc = snapshot__take(l, &s, 0, err, errlen);
	if (rc)
		return rc;
	rc = engine__seed(en, &s, now);
	snapshot__free(&s);
	if (rc)
		return errf(err, errlen, rc, "seeding the engine: %s", strerror(-rc));
	return 0;
}

/* The event path: holders of a closing socket before the engine forgets
 * them, the engine, then the explanation, once for every consumer. */
static int on_event(struct runtime *rt, const struct ss_event *e)
{
	struct rt_extra x = {0};
	struct eng_sock closing;
	struct ss_event filled;

	if (e->hdr.type == SS_EV_PROC) {
		/* before the records it precedes: their consumers see it */
		if (proc_cache__default())
			proc_cache__add(proc_cache__default(), event_proc(e));
		return 0;
	}
	if (rt->en)
		e = engine__last_tuple(rt->en, e, &filled);
	if (e->hdr.type == SS_EV_CLOSE && rt->en) {
		struct eng_sock *es = engine__find(rt->en, e->cookie);

		if (es) {
			x.fmt.nr_holders = eng_sock__all_holders(es, rt->holders, MAX_HOLDERS);
			closing = *es;
			closing.holders = closing.past = NULL;
			closing.nr_holders = closing.nr_past = 0;
			closing.next = closing.tw_next = NULL;
			x.closing = &closing;
		}
	}
	if (rt->en)
		engine__apply(rt->en, e);
	if (e->hdr.type == SS_EV_EXIT && proc_cache__default())
		proc_cache__exited(proc_cache__default(), e->pid, proc_mono_to_boot_ns(e->ts_ns));
	if (e->hdr.type > SS_EV_STATE)
		return 0; /* holder bookkeeping, for the engine only */
	if (!(rt->o.events & SS_EV_BIT(e->hdr.type)))
		return 0; /* wanted by the engine, not by the consumers */
	x.fmt.expl = explain_source__explain(&rt->xsrc, rt->en, e);
	x.fmt.holders = rt->holders;
	if (!(e->hdr.flags & SS_F_NO_OWNER))
		x.fmt.ident = cg_ident_lookup(e->cgroup_id);
	if (!(e->hdr.flags & SS_F_NO_OWNER) && proc_cache__default())
		x.fmt.proc = proc_cache__get(proc_cache__default(), e->pid,
					     proc_mono_to_boot_ns(e->ts_ns), false);
	for (unsigned int i = 0; i < rt->nr_consumers; i++) {
		const struct rt_consumer *c = &rt->consumers[i];

		if (c->event && c->event(c->ctx, e, &x)) {
			rt->stopped = true;
			return -ECANCELED;
		}
	}
	return 0;
}

/* The ring buffer's callback, and runtime__feed(). */
static int on_record(void *ctx, void *data, size_t size)
{
	struct runtime *rt = ctx;
	const struct ss_event *e;

	if (rt->stopped)
		return -ECANCELED;
	if (event_decode(data, size, &e)) {
		rt->bad_records++;
		return 0;
	}
	return on_event(rt, e);
}

int runtime__feed(struct runtime *rt, void *data, size_t size)
{
	return on_record(rt, data, size);
}

/* Drops are reported as soon as they are seen; the live model missed those
 * events, so it is re-read from the kernel. */
static void check_lost(struct runtime *rt)
{
	uint64_t lost, now;
	struct engine_stats st;
	char err[256];

	if (!rt->tracer || (lost = tracer__lost(rt->tracer)) == rt->lost)
		return;
	now = real_now_ns();
	for (unsigned int i = 0; i < rt->nr_consumers; i++)
		if (rt->consumers[i].loss)
			rt->consumers[i].loss(rt->consumers[i].ctx, lost - rt->lost,
					      rt->lost_since_ns, now);
	rt->lost = lost;
	rt->lost_since_ns = now;
	if (!rt->en || !rt->snap)
		return;
	if (engine_reseed(rt->en, rt->snap, err, sizeof(err))) {
		fprintf(stderr, "sockscope: %s\n", err);
		return;
	}
	engine__stats(rt->en, &st);
	now = real_now_ns();
	for (unsigned int i = 0; i < rt->nr_consumers; i++)
		if (rt->consumers[i].resync)
			rt->consumers[i].resync(rt->consumers[i].ctx, st.sockets, now);
}

static void tick(struct runtime *rt)
{
	uint64_t now = mono_now_ns();

	if (rt->en)
		engine__expire(rt->en, now);
	for (unsigned int i = 0; i < rt->nr_consumers && !rt->stopped; i++)
		if (rt->consumers[i].tick && rt->consumers[i].tick(rt->consumers[i].ctx, now))
			rt->stopped = true;
}

#define RT_OF(ep, member) ((struct runtime *)((char *)(ep)-offsetof(struct runtime, member)))

static void ring_ready(struct ep_source *ep, uint32_t events)
{
	(void)ep;
	(void)events; /* drained after every wakeup */
}

static void timer_ready(struct ep_source *ep, uint32_t events)
{
	struct runtime *rt = RT_OF(ep, timer_ep);
	uint64_t ticks;

	(void)events;
	if (read(rt->timer_fd, &ticks, sizeof(ticks)) < 0)
		return;
}

static void sig_ready(struct ep_source *ep, uint32_t events)
{
	struct runtime *rt = RT_OF(ep, sig_ep);
	struct signalfd_siginfo si;

	(void)events;
	while (read(rt->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		bool taken = false;

		for (unsigned int i = 0; si.ssi_signo == SIGHUP && i < rt->nr_consumers; i++) {
			if (rt->consumers[i].hup) {
				rt->consumers[i].hup(rt->consumers[i].ctx);
				taken = true;
			}
		}
		/* SIGHUP that no consumer takes ends the run, as INT and TERM
		 */
		if (!taken) {
			rt->stop = true;
			rt->signal = (int)si.ssi_signo;
		}
	}
}

static int ep_add(struct runtime *rt, int fd, struct ep_source *src,
		  void (*ready)(struct ep_source *, uint32_t))
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = src};

	src->ready = ready;
	return epoll_ctl(rt->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

int runtime__new(struct runtime **out, const struct rt_opts *o, char *err, size_t errlen)
{
	struct runtime *rt;

	*out = NULL;
	rt = calloc(1, sizeof(*rt));
	if (!rt)
		return errf(err, errlen, -ENOMEM, "out of memory");
	rt->o = *o;
	if (!rt->o.events)
		rt->o.events = ~(__u32)0;
	if (!rt->o.tick_ms)
		rt->o.tick_ms = DEFAULT_TICK_MS;
	rt->sig_fd = rt->timer_fd = -1;
	timefmt_init(&rt->tf);
	rt->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (rt->epfd < 0 || (o->engine && !(rt->en = engine__new(o->history)))) {
		int e = rt->epfd < 0 ? -errno : -ENOMEM;

		runtime__free(rt);
		return errf(err, errlen, e, "%s", e == -ENOMEM ? "out of memory" : strerror(-e));
	}
	*out = rt;
	return 0;
}

int runtime__add_consumer(struct runtime *rt, const struct rt_consumer *c)
{
	if (rt->nr_consumers == RT_MAX_CONSUMERS)
		return -ENOSPC;
	rt->consumers[rt->nr_consumers++] = *c;
	return 0;
}

static int open_loop_fds(struct runtime *rt, char *err, size_t errlen)
{
	struct itimerspec its = {0};
	int rc;

	rt->sig_fd = signals_open();
	if (rt->sig_fd < 0)
		return errf(err, errlen, rt->sig_fd, "signalfd: %s", strerror(-rt->sig_fd));
	rt->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (rt->timer_fd < 0)
		return errf(err, errlen, neg_errno(errno), "timerfd: %s", strerror(errno));
	its.it_interval.tv_sec = (time_t)(rt->o.tick_ms / 1000);
	its.it_interval.tv_nsec = (long)(rt->o.tick_ms % 1000) * 1000000L;
	its.it_value = its.it_interval;
	if (timerfd_settime(rt->timer_fd, 0, &its, NULL) ||
	    (rc = ep_add(rt, rt->sig_fd, &rt->sig_ep, sig_ready)) ||
	    (rc = ep_add(rt, rt->timer_fd, &rt->timer_ep, timer_ready)))
		return errf(err, errlen, neg_errno(errno), "event loop: %s", strerror(errno));
	return 0;
}

static int open_ctl(struct runtime *rt, char *err, size_t errlen)
{
	struct ctl_server_opts co = {
		.path = rt->o.ctl == RT_CTL_DAEMON ? CTL_DAEMON_SOCKET : NULL,
		.exclusive = rt->o.ctl == RT_CTL_DAEMON,
		.en = rt->en,
		.st = rt->o.store,
		.tf = &rt->tf,
	};
	char why[256];

	if (rt->o.ctl == RT_CTL_NONE)
		return 0;
	if (!ctl_server__open(&rt->ctl, rt->epfd, &co, why, sizeof(why)))
		return 0;
	if (rt->o.ctl == RT_CTL_ENGINE)
		return 0; /* who asks us for history: nice to have */
	return errf(err, errlen, -EIO, "%s", why);
}

int runtime__start(struct runtime *rt, char *err, size_t errlen)
{
	struct ss_filter kfilter = rt->o.filter;
	struct tracer_opts topts = {
		.filter = &kfilter,
		.ring_size = rt->o.ring_size,
		.verbose = rt->o.verbose,
		.track_holders = rt->en != NULL,
		.track_identity = true,
		.on_record = on_record,
		.ctx = rt,
	};
	char why[512];
	int rc;

	if ((rc = open_loop_fds(rt, err, errlen)) || (rc = open_ctl(rt, err, errlen)))
		return rc;
	/* Attach first, then seed: events that race the snapshot are in the
	 * ring and are applied on top of it. */
	rc = tracer__start(&rt->tracer, &topts, err, errlen);
	if (rc)
		return rc;
	rc = ep_add(rt, tracer__fd(rt->tracer), &rt->ring_ep, ring_ready);
	if (rc)
		return errf(err, errlen, rc, "event loop: %s", strerror(-rc));
	/* Explanations and holders need the snapshot iterators; tracing
	 * works without them. */
	rc = snapshot_loader__open(&rt->snap, rt->o.verbose, why, sizeof(why));
	if (rc) {
		if (rt->o.need_snapshot)
			return errf(err, errlen, rc, "%s", why);
		fprintf(stderr, "sockscope: failures will not be explained: %s\n", why);
	} else {
		rt->xsrc.snap = rt->snap;
		rc = rt->en ? engine_reseed(rt->en, rt->snap, why, sizeof(why)) : 0;
		if (rc && rt->o.need_snapshot)
			return errf(err, errlen, rc, "%s", why);
		tracer__seed(rt->tracer, why, sizeof(why));
	}
	rt->lost_since_ns = real_now_ns();
	return 0;
}

static int drain(struct runtime *rt, char *err, size_t errlen)
{
	int n;

	if (!rt->tracer || rt->stopped)
		return 0;
	n = tracer__drain(rt->tracer);
	if (n < 0 && n != -ECANCELED && n != -EINTR)
		return errf(err, errlen, n, "reading the ring buffer: %s", strerror(-n));
	return 0;
}

/*
 * This thread drains the ring for every traced process. When the traced
 * work keeps every CPU busy, a fair share of a CPU came late often enough
 * to overflow the ring (1% of the records lost with 2 workers on 2 CPUs).
 * Like auditd's priority_boost (4 by default), the loop alone runs 4 nice
 * levels higher: it takes no more CPU than it needs, it is only scheduled
 * ahead of the work it must keep up with. The threads already started
 * (output writer, store, sinks) keep theirs: Linux's nice is per thread.
 */
#define LOOP_NICE_BOOST 4

static void boost_loop_thread(const struct runtime *rt)
{
	id_t tid = (id_t)gettid();
	int nice;

	errno = 0;
	nice = getpriority(PRIO_PROCESS, tid);
	if (errno || setpriority(PRIO_PROCESS, tid, nice - LOOP_NICE_BOOST))
		if (rt->o.verbose)
			fprintf(stderr, "sockscope: the event loop's priority stays: %s\n",
				strerror(errno));
}

int runtime__run(struct runtime *rt, char *err, size_t errlen)
{
	uint64_t deadline = rt->o.duration_ms ? mono_now_ns() + rt->o.duration_ms * 1000000ull : 0;
	int rc = 0;

	if (rt->tracer)
		boost_loop_thread(rt);

	while (!rt->stop && !rt->stopped) {
		struct epoll_event evs[32];
		int timeout = -1, n;

		if (deadline) {
			uint64_t now = mono_now_ns();

			if (now >= deadline)
				break;
			timeout = (int)((deadline - now + 999999) / 1000000);
		}
		n = epoll_wait(rt->epfd, evs, 32, timeout);
		if (n < 0 && errno != EINTR) {
			rc = errf(err, errlen, neg_errno(errno), "epoll: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			struct ep_source *src = evs[i].data.ptr;

			src->ready(src, evs[i].events);
		}
		/* Records are submitted without wakeups until a batch is
		 * pending, so any wakeup is a time to drain. */
		if ((rc = drain(rt, err, errlen)))
			break;
		check_lost(rt);
		tick(rt);
	}
	/*
	 * Stop the kernel side first, so the count of lost records is final:
	 * the last in-band 'lost' record and the summary then agree. Whatever
	 * the kernel already produced is still delivered.
	 */
	if (rt->tracer)
		tracer__detach(rt->tracer);
	if (!rc)
		rc = drain(rt, err, errlen);
	check_lost(rt);
	return rc;
}

void runtime__free(struct runtime *rt)
{
	if (!rt)
		return;
	ctl_server__close(rt->ctl);
	tracer__destroy(rt->tracer);
	explain_source__release(&rt->xsrc);
	snapshot_loader__close(rt->snap);
	engine__free(rt->en);
	if (rt->sig_fd >= 0)
		close(rt->sig_fd);
	if (rt->timer_fd >= 0)
		close(rt->timer_fd);
	if (rt->epfd >= 0)
		close(rt->epfd);
	free(rt);
}

int runtime__epoll_fd(const struct runtime *rt)
{
	return rt->epfd;
}

struct engine *runtime__engine(const struct runtime *rt)
{
	return rt->en;
}

struct timefmt *runtime__timefmt(struct runtime *rt)
{
	return &rt->tf;
}

struct tracer *runtime__tracer(const struct runtime *rt)
{
	return rt->tracer;
}

uint64_t runtime__lost(const struct runtime *rt)
{
	return rt->lost;
}

uint64_t runtime__bad_records(const struct runtime *rt)
{
	return rt->bad_records;
}

int runtime__signal(const struct runtime *rt)
{
	return rt->signal;
}
