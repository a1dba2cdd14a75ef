// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The engine's transitions: how each record changes the model (sockets,
 * their holders, timewait rows, history), how a snapshot replaces it, and
 * how TIME_WAIT ages out; engine_query.c reads the model. The containers
 * are chosen for the event rate and live in their own files
 * (engine_internal.h): sockets in a pooled hash by cookie (no malloc per
 * event), processes with the cookies they hold, so fork, exit and close
 * are O(sockets of that process / holders of that socket), never
 * O(all sockets).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/engine_internal.h"

#define TIME_WAIT_NS (60ull * 1000000000ull) /* TCP_TIMEWAIT_LEN */

/* ---- the containers, with the change counter ----------------------------- */

/* Out of line, so that holder_add()'s check, which ends most calls, is
 * inlined without the whole addition (see the replay benchmark). */
static __attribute__((noinline)) struct holder *
holder_add_new(struct engine *en, struct eng_sock *s, uint32_t pid, uint32_t uid, const char *comm)
{
	if (holders__add(&en->procs, s, pid, uid, comm))
		return NULL;
	s->changed_seq = ++en->seq;
	return &s->holders[s->nr_holders - 1];
}

/* cgroup_id: the process's cgroup as of this record (0: not known); a
 * holder takes the latest, a process may move. */
static void holder_add(struct engine *en, struct eng_sock *s, uint32_t pid, uint32_t uid,
		       const char *comm, uint64_t cgroup_id)
{
	struct holder *h;

	if (!pid)
		return;
	h = eng_sock__holder(s, pid);
	if (!h)
		h = holder_add_new(en, s, pid, uid, comm);
	if (h && cgroup_id)
		h->cgroup_id = cgroup_id;
}

static void holder_remove(struct engine *en, struct eng_sock *s, uint32_t pid)
{
	if (holders__remove(&en->procs, &en->socks, s, pid))
		s->changed_seq = ++en->seq;
}

static void holders_clear(struct engine *en, struct eng_sock *s)
{
	while (s->nr_holders)
		holder_remove(en, s, s->holders[s->nr_holders - 1].pid);
}

/* The socket is gone from the kernel: out of the table, into history. */
static void sock_finish(struct engine *en, struct eng_sock *s, uint64_t now)
{
	struct eng_sock *evicted;

	holders_clear(en, s);
	tw_index__del(&en->tw, s);
	sock_table__unlink(&en->socks, s);
	s->closed_ns = now;
	s->next = NULL;
	en->seq++;
	evicted = sock_history__push(&en->history, s);
	if (evicted)
		sock_table__put(&en->socks, evicted);
}

/* ---- lifecycle ----------------------------------------------------------- */

struct engine *engine__new(size_t history_max)
{
	struct engine *en = calloc(1, sizeof(*en));

	if (!en)
		return NULL;
	if (sock_history__init(&en->history, history_max)) {
		free(en);
		return NULL;
	}
	if (sock_table__init(&en->socks)) {
		sock_history__free(&en->history);
		free(en);
		return NULL;
	}
	return en;
}

void engine__free(struct engine *en)
{
	if (!en)
		return;
	for (size_t i = 0; i < en->history.len; i++)
		sock_table__put(&en->socks, sock_history__at(&en->history, i));
	sock_history__free(&en->history);
	proc_table__free(&en->procs);
	sock_table__free(&en->socks);
	free(en);
}

/* ---- seeding ------------------------------------------------------------- */

struct created {
	uint64_t cookie;
	uint64_t ns;
};

static int cmp_created(const void *a, const void *b)
{
	const struct created *x = a, *y = b;

	return x->cookie < y->cookie ? -1 : x->cookie > y->cookie;
}

/* When the live sockets were created, sorted by cookie (*keep NULL when
 * there are none). 0 or -ENOMEM. */
static int save_created(struct engine *en, struct created **keep, size_t *n)
{
	struct sock_iter it = SOCK_ITER_INIT;
	struct eng_sock *e;

	*keep = NULL;
	*n = 0;
	if (!en->socks.nr_socks)
		return 0;
	*keep = malloc(en->socks.nr_socks * sizeof(**keep));
	if (!*keep)
		return -ENOMEM;
	while ((e = sock_table__next(&en->socks, &it)))
		(*keep)[(*n)++] = (struct created){e->info.cookie, e->created_ns};
	qsort(*keep, *n, sizeof(**keep), cmp_created);
	return 0;
}

static void restore_created(struct engine *en, const struct created *keep, size_t n)
{
	struct sock_iter it = SOCK_ITER_INIT;
	struct eng_sock *e;

	while ((e = sock_table__next(&en->socks, &it))) {
		struct created k = {e->info.cookie, 0}, *f;

		f = bsearch(&k, keep, n, sizeof(*keep), cmp_created);
		if (f)
			e->created_ns = f->ns;
	}
}

/* Drops every live socket and process (not history). */
static void clear_live(struct engine *en)
{
	sock_table__clear(&en->socks);
	tw_index__clear(&en->tw);
	proc_table__free(&en->procs);
}

static struct eng_sock *seed_sock(struct engine *en, uint64_t cookie)
{
	struct eng_sock *e = sock_table__find(&en->socks, cookie);

	return e ? e : sock_table__insert(&en->socks, cookie);
}

static int seed_tables(struct engine *en, const struct snapshot *s, uint64_t now_ns)
{
	for (size_t i = 0; i < s->nr_socks; i++) {
		struct eng_sock *e = seed_sock(en, s->socks[i].cookie);

		if (!e)
			return -ENOMEM;
		e->info = s->socks[i];
		/* its real remaining time is unknown: at most the full period
		 */
		if (e->info.proto == SS_PROTO_TCP && e->info.state == SS_TCP_TIME_WAIT) {
			e->tw_expire_ns = now_ns + TIME_WAIT_NS;
			tw_index__add(&en->tw, e);
		}
	}
	return 0;
}

/* Held sockets missing from the tables (unbound, or TCP bound but not
 * listening) are tracked too: they may bind or listen later. */
static int seed_holders(struct engine *en, const struct snapshot *s)
{
	for (size_t i = 0; i < s->nr_holders; i++) {
		const struct ss_sockinfo *h = &s->holders[i];
		struct eng_sock *e = sock_table__find(&en->socks, h->cookie);
		struct holder *hh;

		if (!e) {
			if (!(e = sock_table__insert(&en->socks, h->cookie)))
				return -ENOMEM;
			e->info = *h;
			e->info.hdr.type = SS_REC_SOCK;
			e->info.pid = 0;
			e->info.fd = 0;
			memset(e->info.comm, 0, sizeof(e->info.comm));
		}
		holder_add(en, e, h->pid, h->uid, h->comm, snapshot__pid_cgroup(s, h->pid));
		hh = eng_sock__holder(e, h->pid);
		if (hh && hh->fd < 0)
			hh->fd = (int32_t)h->fd;
	}
	return 0;
}

int engine__seed(struct engine *en, const struct snapshot *s, uint64_t now_ns)
{
	struct created *keep;
	size_t nkeep;
	int err;

	/* Remember when the sockets we already knew were created. */
	err = save_created(en, &keep, &nkeep);
	if (err)
		return err;
	if (keep)
		en->st.resyncs++;
	clear_live(en);
	/* no rehash per doubling: the tables' sockets (the few sockets in no
	 * table, known by their holders only, grow it as before) */
	(void)sock_table__reserve(&en->socks, s->nr_socks);
	err = seed_tables(en, s, now_ns);
	if (!err)
		err = seed_holders(en, s);
	if (!err && keep)
		restore_created(en, keep, nkeep);
	free(keep);
	if (err)
		return err;
	en->seq++;
	return 0;
}

/* ---- events -------------------------------------------------------------- */

/*
 * An address from an event into the table, which keeps the socket's own
 * family: an inet6 socket talking IPv4 holds the v4-mapped form, as the
 * kernel does (and as the snapshot iterators report it).
 */
static void put_addr(uint8_t dst[SS_ADDR_LEN], unsigned int sock_family, unsigned int addr_family,
		     const uint8_t *addr)
{
	if (addr_family == sock_family)
		memcpy(dst, addr, SS_ADDR_LEN);
	else if (addr_family == SS_AF_INET && sock_family == SS_AF_INET6)
		engine_v6_form(dst, SS_AF_INET, addr);
}

static void set_local(struct eng_sock *s, const struct ss_event *e)
{
	if (!(e->hdr.flags & SS_F_LOCAL))
		return;
	put_addr(s->info.laddr, s->info.family, e->laddr_family, e->laddr);
	s->info.lport = e->lport;
}

static void set_remote(struct eng_sock *s, const struct ss_event *e)
{
	if (!(e->hdr.flags & SS_F_REMOTE))
		return;
	put_addr(s->info.raddr, s->info.family, e->raddr_family, e->raddr);
	s->info.rport = e->rport;
}

/*
 * IPV6_V6ONLY as the record read it from the socket: set before bind, it
 * decides whether "::" also holds the IPv4 port, so it is taken from each
 * record that read the bound socket.
 */
static void set_v6only(struct eng_sock *s, const struct ss_event *e)
{
	if (s->info.family == SS_AF_INET6)
		s->info.v6only = !!(e->hdr.flags & SS_F_V6ONLY);
}

/* The socket of e, created on first sight. */
static struct eng_sock *sock_for(struct engine *en, const struct ss_event *e)
{
	struct eng_sock *s;

	if (!e->cookie || (e->hdr.flags & SS_F_NO_COOKIE))
		return NULL;
	s = sock_table__find(&en->socks, e->cookie);
	if (s)
		return s;
	s = sock_table__insert(&en->socks, e->cookie);
	if (!s)
		return NULL;
	s->info.hdr.type = SS_REC_SOCK;
	s->info.hdr.size = sizeof(s->info);
	s->info.hdr.version = SS_ABI_VERSION;
	s->info.netns = e->netns;
	s->info.family = e->family;
	s->info.proto = e->proto;
	s->info.state = SS_TCP_CLOSE;
	if (!(e->hdr.flags & SS_F_NO_OWNER))
		s->info.uid = e->uid; /* the socket's owner: its creator */
	s->created_ns = e->ts_ns;
	s->changed_seq = ++en->seq;
	return s;
}

static void actor_holds(struct engine *en, struct eng_sock *s, const struct ss_event *e)
{
	if (!(e->hdr.flags & (SS_F_NO_OWNER | SS_F_ASYNC)))
		holder_add(en, s, e->pid, e->uid, e->comm, e->cgroup_id);
}

static void set_state(struct engine *en, struct eng_sock *s, unsigned int state)
{
	if (s->info.state != state) {
		s->info.state = (__u8)state;
		s->changed_seq = ++en->seq;
	}
}

/* What the local peer's transition does to our timewait row, if any. */
static void peer_effects(struct engine *en, const struct eng_sock *peer, unsigned int old,
			 unsigned int new, uint64_t now)
{
	struct eng_sock *tw;

	if (peer->info.proto != SS_PROTO_TCP)
		return;
	if (new == SS_TCP_LAST_ACK) { /* the peer sent its FIN */
		tw = tw_index__peer_of(&en->tw, &peer->info);
		if (tw && tw->info.state == SS_TCP_FIN_WAIT2) {
			set_state(en, tw, SS_TCP_TIME_WAIT);
			tw->tw_expire_ns = now + TIME_WAIT_NS;
		}
	} else if (new == SS_TCP_CLOSE && (old == SS_TCP_ESTABLISHED || old == SS_TCP_CLOSE_WAIT)) {
		/* the peer aborted: its RST kills our timewait socket */
		tw = tw_index__peer_of(&en->tw, &peer->info);
		if (tw)
			sock_finish(en, tw, now);
	}
}

static void on_state(struct engine *en, const struct ss_event *e)
{
	unsigned int old = e->u.state.old_state, new = e->u.state.new_state;
	struct eng_sock *s = sock_table__find(&en->socks, e->cookie);

	if (!s) {
		if (new == SS_TCP_CLOSE)
			return;	     /* nothing to forget */
		s = sock_for(en, e); /* e.g. a child in SYN_RECV */
		if (!s)
			return;
	}
	/* While connecting the local address is being chosen: take the
	 * kernel's view on every transition. */
	if (e->hdr.flags & SS_F_LOCAL)
		set_local(s, e);
	if (e->hdr.flags & SS_F_REMOTE)
		set_remote(s, e);
	peer_effects(en, s, old, new, e->ts_ns);
	if (new != SS_TCP_CLOSE) {
		set_state(en, s, new);
		return;
	}
	/* Still held by a process (reset, refused): it stays, out of the
	 * tables. A child nobody accepted, or a released socket, is done. */
	if (!s->released && s->nr_holders) {
		set_state(en, s, SS_TCP_CLOSE);
		return;
	}
	/*
	 * Released and closed after an active close: the kernel hands the
	 * connection to a timewait socket with the same cookie. It is in
	 * TIME_WAIT if the peer's FIN came, else it waits out FIN_WAIT2
	 * (tcp_time_wait(sk, TCP_FIN_WAIT2, ...) for orphans); both last up
	 * to 60 s (TCP_TIMEWAIT_LEN, tcp_fin_timeout's default).
	 */
	if ((old == SS_TCP_FIN_WAIT1 || old == SS_TCP_FIN_WAIT2 || old == SS_TCP_CLOSING) &&
	    !(e->hdr.flags & SS_F_RESET)) {
		set_state(en, s,
			  (e->hdr.flags & SS_F_FIN_RCVD) ? SS_TCP_TIME_WAIT : SS_TCP_FIN_WAIT2);
		s->tw_expire_ns = e->ts_ns + TIME_WAIT_NS;
		tw_index__add(&en->tw, s);
		return;
	}
	sock_finish(en, s, e->ts_ns);
}

static void on_close(struct engine *en, const struct ss_event *e)
{
	struct eng_sock *s = sock_table__find(&en->socks, e->cookie);

	if (!s)
		return;
	holders_clear(en, s);
	/* the closer held it last */
	if (!(e->hdr.flags & SS_F_NO_OWNER)) {
		struct holder h = {
			.pid = e->pid, .uid = e->uid, .fd = -1, .cgroup_id = e->cgroup_id};

		memcpy(h.comm, e->comm, SS_COMM_LEN);
		holders__remember_past(&en->socks, s, &h);
	}
	s->released = true;
	s->closed_ns = e->ts_ns;
	if (e->hdr.flags & SS_F_LOCAL)
		set_local(s, e);
	/* TCP connections live on after release (FIN_WAIT1, LAST_ACK, ...):
	 * their state events finish them. Everything else ends here. */
	if (s->info.proto == SS_PROTO_TCP && s->info.state != SS_TCP_CLOSE &&
	    s->info.state != SS_TCP_LISTEN && s->info.state != SS_TCP_SYN_SENT)
		return;
	sock_finish(en, s, e->ts_ns);
}

static void on_fork(struct engine *en, const struct ss_event *e)
{
	struct eng_proc *parent = proc_table__find(&en->procs, e->u.fork.parent);
	uint32_t n;
	uint64_t *copy;

	if (!parent || !parent->nr)
		return;
	/* copy first: adding holders may not move the parent, but be safe */
	n = parent->nr;
	copy = malloc(n * sizeof(*copy));
	if (!copy)
		return;
	memcpy(copy, parent->cookies, n * sizeof(*copy));
	for (uint32_t i = 0; i < n; i++) {
		struct eng_sock *s = sock_table__find(&en->socks, copy[i]);

		if (s)
			holder_add(en, s, e->pid, e->uid, e->comm, e->cgroup_id);
	}
	free(copy);
}

static void on_exit_proc(struct engine *en, const struct ss_event *e)
{
	struct eng_proc *p;

	while ((p = proc_table__find(&en->procs, e->pid))) {
		uint32_t before = p->nr;
		struct eng_sock *s;

		if (!before) {
			proc_table__drop(&en->procs, p);
			return;
		}
		s = sock_table__find(&en->socks, p->cookies[before - 1]);
		/* may free p with its last socket */
		if (s)
			holder_remove(en, s, e->pid);
		/* an inconsistent entry: drop it rather than loop */
		p = proc_table__find(&en->procs, e->pid);
		if (p && p->nr == before)
			p->nr--;
	}
}

/* The socket a record is about, with its actor made a holder of it (the
 * actor of a socket call has the socket in its fd table). */
static struct eng_sock *held_sock(struct engine *en, const struct ss_event *e)
{
	struct eng_sock *s = sock_for(en, e);

	if (s)
		actor_holds(en, s, e);
	return s;
}

void engine__apply(struct engine *en, const struct ss_event *e)
{
	struct eng_sock *s;

	en->st.events++;
	switch (e->hdr.type) {
	case SS_EV_SOCKET:
	case SS_EV_CONNECT:
		held_sock(en, e);
		break;
	case SS_EV_BIND:
		if (e->err || !(s = held_sock(en, e)))
			break;
		set_local(s, e);
		s->info.reuseaddr = !!(e->hdr.flags & SS_F_REUSEADDR);
		s->info.reuseport = !!(e->hdr.flags & SS_F_REUSEPORT);
		set_v6only(s, e);
		s->changed_seq = ++en->seq;
		break;
	case SS_EV_LISTEN:
		if (!(s = held_sock(en, e)) || e->err)
			break;
		set_local(s, e);
		set_v6only(s, e);
		set_state(en, s, SS_TCP_LISTEN);
		break;
	case SS_EV_CONNECT_DONE:
		if (!(s = held_sock(en, e)) || e->err)
			break;
		set_local(s, e);
		set_remote(s, e);
		set_v6only(s, e);
		if (s->info.proto == SS_PROTO_UDP)
			set_state(en, s, SS_TCP_ESTABLISHED);
		s->changed_seq = ++en->seq;
		break;
	case SS_EV_ACCEPT:
		if (!(s = sock_for(en, e)))
			break;
		set_local(s, e);
		set_remote(s, e);
		set_v6only(s, e); /* inherited from the listener */
		if (s->info.state == SS_TCP_CLOSE)
			set_state(en, s, SS_TCP_ESTABLISHED);
		actor_holds(en, s, e);
		break;
	case SS_EV_STATE:
		on_state(en, e);
		break;
	case SS_EV_CLOSE:
		on_close(en, e);
		break;
	case SS_EV_FORK:
		on_fork(en, e);
		break;
	case SS_EV_EXIT:
		on_exit_proc(en, e);
		break;
	case SS_EV_FDCLOSE:
		if ((s = sock_table__find(&en->socks, e->cookie)))
			holder_remove(en, s, e->pid);
		break;
	case SS_EV_FDRECV:
		if ((s = sock_table__find(&en->socks, e->cookie)))
			holder_add(en, s, e->pid, e->uid, e->comm, e->cgroup_id);
		break;
	}
}

void engine__expire(struct engine *en, uint64_t now_ns)
{
	struct sock_iter it = SOCK_ITER_INIT;
	struct eng_sock *s;

	/* the walk allows finishing the socket it stands on */
	while ((s = sock_table__next(&en->socks, &it)))
		if (s->tw_expire_ns && now_ns >= s->tw_expire_ns)
			sock_finish(en, s, now_ns);
}
