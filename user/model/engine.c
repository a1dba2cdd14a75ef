// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The engine's data structures are chosen for the event rate, not for
 * elegance: sockets live in a chained hash by cookie, allocated from a pool
 * (no malloc per event); each process keeps the cookies it holds in an
 * array with back-indexes, so fork, exit and close are O(sockets of that
 * process / holders of that socket), never O(all sockets).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/decode.h"
#include "model/engine.h"
#include "model/explain.h"

#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT 2
#define TCP_FIN_WAIT1 4
#define TCP_FIN_WAIT2 5
#define TCP_TIME_WAIT 6
#define TCP_CLOSE 7
#define TCP_LISTEN 10
#define TCP_CLOSE_WAIT 8
#define TCP_LAST_ACK 9
#define TCP_CLOSING 11
#define TW_BUCKETS 4096
#define TIME_WAIT_NS (60ull * 1000000000ull) /* TCP_TIMEWAIT_LEN */
#define POOL_CHUNK 1024

struct eng_proc {
	uint32_t pid;
	uint32_t uid;
	char comm[SS_COMM_LEN];
	uint64_t *cookies; /* sockets this process holds */
	uint32_t nr;
	uint32_t cap;
	struct eng_proc *next;
};

struct pool_chunk {
	struct pool_chunk *next;
	struct eng_sock socks[POOL_CHUNK];
};

struct engine {
	struct eng_sock **buckets;
	size_t nr_buckets; /* power of two */
	size_t nr_socks;
	struct eng_proc **proc_buckets;
	size_t nr_proc_buckets;
	struct eng_sock *free_list;
	struct pool_chunk *chunks;
	struct eng_sock *tw_buckets[TW_BUCKETS]; /* timewait rows by 4-tuple */
	struct eng_sock **history; /* ring of closed sockets */
	size_t history_max;
	size_t history_head; /* oldest */
	size_t history_len;
	uint64_t seq; /* bumped on every change */
	struct engine_stats st;
};

static size_t hash64(uint64_t v, size_t n)
{
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdull;
	v ^= v >> 33;
	return (size_t)v & (n - 1);
}

/* ---- pool ---------------------------------------------------------------- */

static struct eng_sock *sock_alloc(struct engine *en)
{
	struct eng_sock *s;

	if (!en->free_list) {
		struct pool_chunk *c = calloc(1, sizeof(*c));

		if (!c)
			return NULL;
		c->next = en->chunks;
		en->chunks = c;
		for (size_t i = 0; i < POOL_CHUNK; i++) {
			c->socks[i].next = en->free_list;
			en->free_list = &c->socks[i];
		}
	}
	s = en->free_list;
	en->free_list = s->next;
	memset(s, 0, sizeof(*s));
	s->holders = s->inline_holders;
	s->cap_holders = ENGINE_INLINE_HOLDERS;
	return s;
}

static void sock_release_mem(struct engine *en, struct eng_sock *s)
{
	if (s->holders != s->inline_holders)
		free(s->holders);
	s->next = en->free_list;
	en->free_list = s;
}

/* ---- sockets by cookie ----------------------------------------------------- */

static int grow_buckets(struct engine *en)
{
	size_t n = en->nr_buckets ? en->nr_buckets * 2 : 1024;
	struct eng_sock **b = calloc(n, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < en->nr_buckets; i++) {
		struct eng_sock *s = en->buckets[i], *next;

		for (; s; s = next) {
			size_t h = hash64(s->info.cookie, n);

			next = s->next;
			s->next = b[h];
			b[h] = s;
		}
	}
	free(en->buckets);
	en->buckets = b;
	en->nr_buckets = n;
	return 0;
}

struct eng_sock *engine__find(struct engine *en, uint64_t cookie)
{
	struct eng_sock *s;

	if (!en->nr_buckets)
		return NULL;
	for (s = en->buckets[hash64(cookie, en->nr_buckets)]; s; s = s->next)
		if (s->info.cookie == cookie)
			return s;
	return NULL;
}

static struct eng_sock *sock_insert(struct engine *en, uint64_t cookie)
{
	struct eng_sock *s;
	size_t h;

	if (en->nr_socks >= en->nr_buckets && grow_buckets(en))
		return NULL;
	s = sock_alloc(en);
	if (!s)
		return NULL;
	s->info.cookie = cookie;
	h = hash64(cookie, en->nr_buckets);
	s->next = en->buckets[h];
	en->buckets[h] = s;
	en->nr_socks++;
	return s;
}

static void sock_unlink(struct engine *en, struct eng_sock *s)
{
	struct eng_sock **pp = &en->buckets[hash64(s->info.cookie, en->nr_buckets)];

	for (; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			en->nr_socks--;
			return;
		}
	}
}

/* ---- processes ------------------------------------------------------------- */

static struct eng_proc *proc_find(struct engine *en, uint32_t pid)
{
	struct eng_proc *p;

	if (!en->nr_proc_buckets)
		return NULL;
	for (p = en->proc_buckets[hash64(pid, en->nr_proc_buckets)]; p; p = p->next)
		if (p->pid == pid)
			return p;
	return NULL;
}

static struct eng_proc *proc_get(struct engine *en, uint32_t pid, uint32_t uid,
				 const char *comm)
{
	struct eng_proc *p = proc_find(en, pid);
	size_t h;

	if (p) {
		if (comm && comm[0])
			memcpy(p->comm, comm, SS_COMM_LEN);
		return p;
	}
	if (!en->nr_proc_buckets) {
		en->proc_buckets = calloc(4096, sizeof(*en->proc_buckets));
		if (!en->proc_buckets)
			return NULL;
		en->nr_proc_buckets = 4096;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = pid;
	p->uid = uid;
	if (comm)
		memcpy(p->comm, comm, SS_COMM_LEN);
	h = hash64(pid, en->nr_proc_buckets);
	p->next = en->proc_buckets[h];
	en->proc_buckets[h] = p;
	return p;
}

static void proc_drop(struct engine *en, struct eng_proc *p)
{
	struct eng_proc **pp = &en->proc_buckets[hash64(p->pid, en->nr_proc_buckets)];

	for (; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	free(p->cookies);
	free(p);
}

static struct holder *holder_of(struct eng_sock *s, uint32_t pid)
{
	for (uint32_t i = 0; i < s->nr_holders; i++)
		if (s->holders[i].pid == pid)
			return &s->holders[i];
	return NULL;
}

/* s gains holder pid (no-op if it already holds it). */
static void holder_add(struct engine *en, struct eng_sock *s, uint32_t pid,
		       uint32_t uid, const char *comm)
{
	struct eng_proc *p;
	struct holder *h;

	if (!pid || holder_of(s, pid))
		return;
	p = proc_get(en, pid, uid, comm);
	if (!p)
		return;
	if (p->nr == p->cap) {
		uint32_t cap = p->cap ? p->cap * 2 : 8;
		uint64_t *c = realloc(p->cookies, cap * sizeof(*c));

		if (!c)
			return;
		p->cookies = c;
		p->cap = cap;
	}
	if (s->nr_holders == s->cap_holders) {
		uint32_t cap = s->cap_holders * 2;
		struct holder *n = malloc(cap * sizeof(*n));

		if (!n)
			return;
		memcpy(n, s->holders, s->nr_holders * sizeof(*n));
		if (s->holders != s->inline_holders)
			free(s->holders);
		s->holders = n;
		s->cap_holders = cap;
	}
	h = &s->holders[s->nr_holders++];
	memset(h, 0, sizeof(*h));
	h->pid = pid;
	h->uid = uid;
	h->fd = -1;
	memcpy(h->comm, comm && comm[0] ? comm : p->comm, SS_COMM_LEN);
	h->slot = p->nr;
	p->cookies[p->nr++] = s->info.cookie;
	s->released = false;
	s->changed_seq = ++en->seq;
}

static void remember_past(struct eng_sock *s, const struct holder *h)
{
	for (uint32_t i = 0; i < s->nr_past; i++)
		if (s->past[i].pid == h->pid)
			return;
	if (s->nr_past < ENGINE_PAST_HOLDERS)
		s->past[s->nr_past++] = *h;
}

/* s loses holder pid; the process's cookie list is kept in step. */
static void holder_remove(struct engine *en, struct eng_sock *s, uint32_t pid)
{
	struct holder *h = holder_of(s, pid);
	struct eng_proc *p;
	uint32_t slot;

	if (!h)
		return;
	slot = h->slot;
	p = proc_find(en, pid);
	if (p && slot < p->nr && p->cookies[slot] == s->info.cookie) {
		uint64_t moved = p->cookies[--p->nr];

		p->cookies[slot] = moved;
		if (slot < p->nr) {
			struct eng_sock *m = engine__find(en, moved);
			struct holder *mh = m ? holder_of(m, pid) : NULL;

			if (mh)
				mh->slot = slot;
		}
		if (!p->nr)
			proc_drop(en, p);
	}
	remember_past(s, h);
	*h = s->holders[--s->nr_holders];
	s->changed_seq = ++en->seq;
}

static void holders_clear(struct engine *en, struct eng_sock *s)
{
	while (s->nr_holders)
		holder_remove(en, s, s->holders[s->nr_holders - 1].pid);
}

/* ---- timewait rows by 4-tuple ---------------------------------------------------
 *
 * A timewait socket can change or die with no event: the peer's FIN moves it
 * from FIN_WAIT2 to TIME_WAIT, the peer's RST kills it. When the peer is on
 * this host we see the peer's side, and find our row by the reversed tuple.
 */

struct tuple_key {
	uint32_t netns;
	uint16_t lport;
	uint16_t rport;
	uint8_t laddr[SS_ADDR_LEN]; /* IPv6 form: IPv4 as ::ffff:a.b.c.d */
	uint8_t raddr[SS_ADDR_LEN];
};

static void v6_form(uint8_t out[SS_ADDR_LEN], unsigned int family, const uint8_t *a)
{
	if (family == SS_AF_INET) {
		memset(out, 0, SS_ADDR_LEN);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, a, 4);
	} else {
		memcpy(out, a, SS_ADDR_LEN);
	}
}

static void key_of(struct tuple_key *k, const struct ss_sockinfo *i, bool reversed)
{
	memset(k, 0, sizeof(*k));
	k->netns = i->netns;
	k->lport = reversed ? i->rport : i->lport;
	k->rport = reversed ? i->lport : i->rport;
	v6_form(k->laddr, i->family, reversed ? i->raddr : i->laddr);
	v6_form(k->raddr, i->family, reversed ? i->laddr : i->raddr);
}

static size_t key_hash(const struct tuple_key *k)
{
	uint64_t h = 1469598103934665603ull;
	const uint8_t *p = (const uint8_t *)k;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return (size_t)h & (TW_BUCKETS - 1);
}

static void tw_index_add(struct engine *en, struct eng_sock *s)
{
	struct tuple_key k;
	size_t h;

	if (s->in_tw_index)
		return;
	key_of(&k, &s->info, false);
	h = key_hash(&k);
	s->tw_next = en->tw_buckets[h];
	en->tw_buckets[h] = s;
	s->in_tw_index = true;
}

static void tw_index_del(struct engine *en, struct eng_sock *s)
{
	struct eng_sock **pp;
	struct tuple_key k;

	if (!s->in_tw_index)
		return;
	key_of(&k, &s->info, false);
	for (pp = &en->tw_buckets[key_hash(&k)]; *pp; pp = &(*pp)->tw_next) {
		if (*pp == s) {
			*pp = s->tw_next;
			break;
		}
	}
	s->in_tw_index = false;
}

/* Our timewait row whose peer is the socket 'peer' (same netns). */
static struct eng_sock *tw_peer_of(struct engine *en, const struct ss_sockinfo *peer)
{
	struct tuple_key want, k;

	if (!peer->lport || !peer->rport)
		return NULL;
	key_of(&want, peer, true);
	for (struct eng_sock *s = en->tw_buckets[key_hash(&want)]; s; s = s->tw_next) {
		key_of(&k, &s->info, false);
		if (!memcmp(&k, &want, sizeof(k)))
			return s;
	}
	return NULL;
}

/* ---- history ----------------------------------------------------------------- */

/* The socket is gone from the kernel: out of the table, into history. */
static void sock_finish(struct engine *en, struct eng_sock *s, uint64_t now)
{
	holders_clear(en, s);
	tw_index_del(en, s);
	sock_unlink(en, s);
	s->closed_ns = now;
	s->next = NULL;
	en->seq++;
	if (!en->history_max) {
		sock_release_mem(en, s);
		return;
	}
	if (en->history_len == en->history_max) {
		sock_release_mem(en, en->history[en->history_head]);
		en->history[en->history_head] = s;
		en->history_head = (en->history_head + 1) % en->history_max;
		return;
	}
	en->history[(en->history_head + en->history_len) % en->history_max] = s;
	en->history_len++;
}

/* ---- lifecycle ----------------------------------------------------------------- */

struct engine *engine__new(size_t history_max)
{
	struct engine *en = calloc(1, sizeof(*en));

	if (!en)
		return NULL;
	en->history_max = history_max;
	if (history_max) {
		en->history = calloc(history_max, sizeof(*en->history));
		if (!en->history) {
			free(en);
			return NULL;
		}
	}
	if (grow_buckets(en)) {
		free(en->history);
		free(en);
		return NULL;
	}
	return en;
}

static void free_procs(struct engine *en)
{
	for (size_t i = 0; i < en->nr_proc_buckets; i++) {
		struct eng_proc *p = en->proc_buckets[i], *next;

		for (; p; p = next) {
			next = p->next;
			free(p->cookies);
			free(p);
		}
	}
	free(en->proc_buckets);
	en->proc_buckets = NULL;
	en->nr_proc_buckets = 0;
}

void engine__free(struct engine *en)
{
	if (!en)
		return;
	for (size_t i = 0; i < en->nr_buckets; i++)
		for (struct eng_sock *s = en->buckets[i]; s; s = s->next)
			if (s->holders != s->inline_holders)
				free(s->holders);
	for (size_t i = 0; i < en->history_len; i++) {
		struct eng_sock *s = en->history[(en->history_head + i) % en->history_max];

		if (s->holders != s->inline_holders)
			free(s->holders);
	}
	free_procs(en);
	while (en->chunks) {
		struct pool_chunk *c = en->chunks;

		en->chunks = c->next;
		free(c);
	}
	free(en->buckets);
	free(en->history);
	free(en);
}

/* Drops every live socket (not history); keeps creation times in *keep. */
static void clear_live(struct engine *en)
{
	for (size_t i = 0; i < en->nr_buckets; i++) {
		struct eng_sock *s = en->buckets[i], *next;

		for (; s; s = next) {
			next = s->next;
			sock_release_mem(en, s);
		}
		en->buckets[i] = NULL;
	}
	en->nr_socks = 0;
	memset(en->tw_buckets, 0, sizeof(en->tw_buckets));
	free_procs(en);
}

struct created {
	uint64_t cookie;
	uint64_t ns;
};

static int cmp_created(const void *a, const void *b)
{
	const struct created *x = a, *y = b;

	return x->cookie < y->cookie ? -1 : x->cookie > y->cookie;
}

int engine__seed(struct engine *en, const struct snapshot *s, uint64_t now_ns)
{
	struct created *keep = NULL;
	size_t nkeep = 0;

	/* Remember when the sockets we already knew were created. */
	if (en->nr_socks) {
		keep = malloc(en->nr_socks * sizeof(*keep));
		if (!keep)
			return -ENOMEM;
		for (size_t i = 0; i < en->nr_buckets; i++)
			for (struct eng_sock *e = en->buckets[i]; e; e = e->next)
				keep[nkeep++] = (struct created){ e->info.cookie, e->created_ns };
		qsort(keep, nkeep, sizeof(*keep), cmp_created);
		en->st.resyncs++;
	}
	clear_live(en);

	for (size_t i = 0; i < s->nr_socks; i++) {
		struct eng_sock *e = engine__find(en, s->socks[i].cookie);

		if (!e && !(e = sock_insert(en, s->socks[i].cookie)))
			goto nomem;
		e->info = s->socks[i];
		/* its real remaining time is unknown: at most the full period */
		if (e->info.proto == SS_PROTO_TCP && e->info.state == TCP_TIME_WAIT) {
			e->tw_expire_ns = now_ns + TIME_WAIT_NS;
			tw_index_add(en, e);
		}
	}
	/* Held sockets missing from the tables (unbound, or TCP bound but not
	 * listening) are tracked too: they may bind or listen later. */
	for (size_t i = 0; i < s->nr_holders; i++) {
		const struct ss_sockinfo *h = &s->holders[i];
		struct eng_sock *e = engine__find(en, h->cookie);

		if (!e) {
			if (!(e = sock_insert(en, h->cookie)))
				goto nomem;
			e->info = *h;
			e->info.hdr.type = SS_REC_SOCK;
			e->info.pid = 0;
			e->info.fd = 0;
			memset(e->info.comm, 0, sizeof(e->info.comm));
		}
		holder_add(en, e, h->pid, h->uid, h->comm);
		{
			struct holder *hh = holder_of(e, h->pid);

			if (hh && hh->fd < 0)
				hh->fd = (int32_t)h->fd;
		}
	}
	for (size_t i = 0; keep && i < en->nr_buckets; i++) {
		for (struct eng_sock *e = en->buckets[i]; e; e = e->next) {
			struct created k = { e->info.cookie, 0 }, *f;

			f = bsearch(&k, keep, nkeep, sizeof(*keep), cmp_created);
			if (f)
				e->created_ns = f->ns;
		}
	}
	free(keep);
	en->seq++;
	return 0;
nomem:
	free(keep);
	return -ENOMEM;
}

/* ---- events ------------------------------------------------------------------ */

/*
 * An address from an event into the table, which keeps the socket's own
 * family: an inet6 socket talking IPv4 holds the v4-mapped form, as the
 * kernel does (and as the snapshot iterators report it).
 */
static void put_addr(uint8_t dst[SS_ADDR_LEN], unsigned int sock_family,
		     unsigned int addr_family, const uint8_t *addr)
{
	if (addr_family == sock_family)
		memcpy(dst, addr, SS_ADDR_LEN);
	else if (addr_family == SS_AF_INET && sock_family == SS_AF_INET6)
		v6_form(dst, SS_AF_INET, addr);
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

/* The socket of e, created on first sight. */
static struct eng_sock *sock_for(struct engine *en, const struct ss_event *e)
{
	struct eng_sock *s;

	if (!e->cookie || (e->hdr.flags & SS_F_NO_COOKIE))
		return NULL;
	s = engine__find(en, e->cookie);
	if (s)
		return s;
	s = sock_insert(en, e->cookie);
	if (!s)
		return NULL;
	s->info.hdr.type = SS_REC_SOCK;
	s->info.hdr.size = sizeof(s->info);
	s->info.hdr.version = SS_ABI_VERSION;
	s->info.netns = e->netns;
	s->info.family = e->family;
	s->info.proto = e->proto;
	s->info.state = TCP_CLOSE;
	if (!(e->hdr.flags & SS_F_NO_OWNER))
		s->info.uid = e->uid; /* the socket's owner: its creator */
	s->created_ns = e->ts_ns;
	s->changed_seq = ++en->seq;
	return s;
}

static void actor_holds(struct engine *en, struct eng_sock *s, const struct ss_event *e)
{
	if (!(e->hdr.flags & (SS_F_NO_OWNER | SS_F_ASYNC)))
		holder_add(en, s, e->pid, e->uid, e->comm);
}

static void set_state(struct engine *en, struct eng_sock *s, unsigned int state)
{
	if (s->info.state != state) {
		s->info.state = (__u8)state;
		s->changed_seq = ++en->seq;
	}
}

/* What the local peer's transition does to our timewait row, if any. */
static void peer_effects(struct engine *en, const struct eng_sock *peer,
			 unsigned int old, unsigned int new, uint64_t now)
{
	struct eng_sock *tw;

	if (peer->info.proto != SS_PROTO_TCP)
		return;
	if (new == TCP_LAST_ACK) { /* the peer sent its FIN */
		tw = tw_peer_of(en, &peer->info);
		if (tw && tw->info.state == TCP_FIN_WAIT2) {
			set_state(en, tw, TCP_TIME_WAIT);
			tw->tw_expire_ns = now + TIME_WAIT_NS;
		}
	} else if (new == TCP_CLOSE && (old == TCP_ESTABLISHED || old == TCP_CLOSE_WAIT)) {
		/* the peer aborted: its RST kills our timewait socket */
		tw = tw_peer_of(en, &peer->info);
		if (tw)
			sock_finish(en, tw, now);
	}
}

static void on_state(struct engine *en, const struct ss_event *e)
{
	unsigned int old = e->u.state.old_state, new = e->u.state.new_state;
	struct eng_sock *s = engine__find(en, e->cookie);

	if (!s) {
		if (new == TCP_CLOSE)
			return; /* nothing to forget */
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
	if (new != TCP_CLOSE) {
		set_state(en, s, new);
		return;
	}
	/* Still held by a process (reset, refused): it stays, out of the
	 * tables. A child nobody accepted, or a released socket, is done. */
	if (!s->released && s->nr_holders) {
		set_state(en, s, TCP_CLOSE);
		return;
	}
	/*
	 * Released and closed after an active close: the kernel hands the
	 * connection to a timewait socket with the same cookie. It is in
	 * TIME_WAIT if the peer's FIN came, else it waits out FIN_WAIT2
	 * (tcp_time_wait(sk, TCP_FIN_WAIT2, ...) for orphans); both last up
	 * to 60 s (TCP_TIMEWAIT_LEN, tcp_fin_timeout's default).
	 */
	if ((old == TCP_FIN_WAIT1 || old == TCP_FIN_WAIT2 || old == TCP_CLOSING) &&
	    !(e->hdr.flags & SS_F_RESET)) {
		set_state(en, s, (e->hdr.flags & SS_F_FIN_RCVD) ? TCP_TIME_WAIT
								 : TCP_FIN_WAIT2);
		s->tw_expire_ns = e->ts_ns + TIME_WAIT_NS;
		tw_index_add(en, s);
		return;
	}
	sock_finish(en, s, e->ts_ns);
}

static void on_close(struct engine *en, const struct ss_event *e)
{
	struct eng_sock *s = engine__find(en, e->cookie);

	if (!s)
		return;
	holders_clear(en, s);
	/* the closer held it last */
	if (!(e->hdr.flags & SS_F_NO_OWNER)) {
		struct holder h = { .pid = e->pid, .uid = e->uid, .fd = -1 };

		memcpy(h.comm, e->comm, SS_COMM_LEN);
		remember_past(s, &h);
	}
	s->released = true;
	s->closed_ns = e->ts_ns;
	if (e->hdr.flags & SS_F_LOCAL)
		set_local(s, e);
	/* TCP connections live on after release (FIN_WAIT1, LAST_ACK, ...):
	 * their state events finish them. Everything else ends here. */
	if (s->info.proto == SS_PROTO_TCP && s->info.state != TCP_CLOSE &&
	    s->info.state != TCP_LISTEN && s->info.state != TCP_SYN_SENT)
		return;
	sock_finish(en, s, e->ts_ns);
}

static void on_fork(struct engine *en, const struct ss_event *e)
{
	struct eng_proc *parent = proc_find(en, e->u.fork.parent);
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
		struct eng_sock *s = engine__find(en, copy[i]);

		if (s)
			holder_add(en, s, e->pid, e->uid, e->comm);
	}
	free(copy);
}

static void on_exit_proc(struct engine *en, const struct ss_event *e)
{
	struct eng_proc *p;

	while ((p = proc_find(en, e->pid))) {
		uint32_t before = p->nr;
		struct eng_sock *s;

		if (!before) {
			proc_drop(en, p);
			return;
		}
		s = engine__find(en, p->cookies[before - 1]);
		if (s)
			holder_remove(en, s, e->pid); /* may free p with its last socket */
		p = proc_find(en, e->pid);
		if (p && p->nr == before)
			p->nr--; /* inconsistent entry: drop it rather than loop */
	}
}

void engine__apply(struct engine *en, const struct ss_event *e)
{
	struct eng_sock *s;

	en->st.events++;
	switch (e->hdr.type) {
	case SS_EV_SOCKET:
		s = sock_for(en, e);
		if (s)
			actor_holds(en, s, e);
		break;
	case SS_EV_BIND:
		if (e->err || !(s = sock_for(en, e)))
			break;
		actor_holds(en, s, e);
		set_local(s, e);
		s->info.reuseaddr = !!(e->hdr.flags & SS_F_REUSEADDR);
		s->info.reuseport = !!(e->hdr.flags & SS_F_REUSEPORT);
		s->changed_seq = ++en->seq;
		break;
	case SS_EV_LISTEN:
		if (!(s = sock_for(en, e)))
			break;
		actor_holds(en, s, e);
		if (e->err)
			break;
		set_local(s, e);
		set_state(en, s, TCP_LISTEN);
		break;
	case SS_EV_CONNECT:
		if ((s = sock_for(en, e)))
			actor_holds(en, s, e);
		break;
	case SS_EV_CONNECT_DONE:
		if (!(s = sock_for(en, e)))
			break;
		actor_holds(en, s, e);
		if (e->err)
			break;
		set_local(s, e);
		set_remote(s, e);
		if (s->info.proto == SS_PROTO_UDP)
			set_state(en, s, TCP_ESTABLISHED);
		s->changed_seq = ++en->seq;
		break;
	case SS_EV_ACCEPT:
		if (!(s = sock_for(en, e)))
			break;
		set_local(s, e);
		set_remote(s, e);
		if (s->info.state == TCP_CLOSE)
			set_state(en, s, TCP_ESTABLISHED);
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
		if ((s = engine__find(en, e->cookie)))
			holder_remove(en, s, e->pid);
		break;
	case SS_EV_FDRECV:
		if ((s = engine__find(en, e->cookie)))
			holder_add(en, s, e->pid, e->uid, e->comm);
		break;
	}
}

void engine__expire(struct engine *en, uint64_t now_ns)
{
	for (size_t i = 0; i < en->nr_buckets; i++) {
		struct eng_sock *s = en->buckets[i], *next;

		for (; s; s = next) {
			next = s->next;
			if (s->tw_expire_ns && now_ns >= s->tw_expire_ns)
				sock_finish(en, s, now_ns);
		}
	}
}

/* ---- queries ------------------------------------------------------------------ */

static bool visible(const struct eng_sock *s)
{
	if (s->info.proto == SS_PROTO_TCP)
		return s->info.state != TCP_CLOSE;
	return s->info.lport != 0;
}

int engine__for_each_visible(struct engine *en,
			     int (*fn)(const struct eng_sock *s, void *arg), void *arg)
{
	for (size_t i = 0; i < en->nr_buckets; i++) {
		for (struct eng_sock *s = en->buckets[i]; s; s = s->next) {
			int rc;

			if (!visible(s))
				continue;
			rc = fn(s, arg);
			if (rc)
				return rc;
		}
	}
	return 0;
}

int engine__for_each_history(struct engine *en,
			     int (*fn)(const struct eng_sock *s, void *arg), void *arg)
{
	for (size_t i = 0; i < en->history_len; i++) {
		int rc = fn(en->history[(en->history_head + i) % en->history_max], arg);

		if (rc)
			return rc;
	}
	return 0;
}

size_t engine__port_sockets(struct engine *en, uint32_t netns, unsigned int proto,
			    unsigned int port, unsigned int af, const uint8_t *addr,
			    const struct eng_sock **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < en->nr_buckets; i++) {
		for (struct eng_sock *s = en->buckets[i]; s; s = s->next) {
			const struct ss_sockinfo *k = &s->info;

			if (!visible(s) || k->netns != netns || k->proto != proto ||
			    k->lport != port)
				continue;
			if (!addr_covers(k->family, k->laddr, k->v6only, af, addr))
				continue;
			if (n < max)
				out[n] = s;
			n++;
		}
	}
	return n;
}

int engine__port_snapshot(struct engine *en, uint32_t netns, unsigned int proto,
			  unsigned int port, struct snapshot *out)
{
	const struct eng_sock *found[64];
	size_t n, nh = 0;

	memset(out, 0, sizeof(*out));
	n = engine__port_sockets(en, netns, proto, port, 0, NULL, found, 64);
	if (n > 64)
		n = 64;
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		nh += found[i]->nr_holders;
	out->socks = calloc(n, sizeof(*out->socks));
	out->holders = calloc(nh ? nh : 1, sizeof(*out->holders));
	if (!out->socks || !out->holders) {
		snapshot__free(out);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const struct eng_sock *s = found[i];

		out->socks[out->nr_socks++] = s->info;
		for (uint32_t k = 0; k < s->nr_holders; k++) {
			struct ss_sockinfo *h = &out->holders[out->nr_holders++];

			*h = s->info;
			h->hdr.type = SS_REC_HOLDER;
			h->pid = s->holders[k].pid;
			h->uid = s->holders[k].uid;
			h->fd = s->holders[k].fd < 0 ? 0 : (uint32_t)s->holders[k].fd;
			memcpy(h->comm, s->holders[k].comm, SS_COMM_LEN);
		}
	}
	snapshot__sort(out);
	return 0;
}

size_t eng_sock__all_holders(const struct eng_sock *s, struct holder *out,
			     size_t max)
{
	size_t n = 0;

	for (uint32_t i = 0; i < s->nr_holders && n < max; i++)
		out[n++] = s->holders[i];
	for (uint32_t i = 0; i < s->nr_past && n < max; i++) {
		bool dup = false;

		for (size_t k = 0; k < n; k++)
			dup |= out[k].pid == s->past[i].pid;
		if (!dup)
			out[n++] = s->past[i];
	}
	return n;
}

uint64_t engine__seq(const struct engine *en)
{
	return en->seq;
}

void engine__stats(const struct engine *en, struct engine_stats *st)
{
	*st = en->st;
	st->sockets = en->nr_socks;
	st->history = en->history_len;
	st->visible = 0;
	st->listening = 0;
	for (size_t i = 0; i < en->nr_buckets; i++) {
		for (struct eng_sock *s = en->buckets[i]; s; s = s->next) {
			st->visible += visible(s);
			st->listening += visible(s) && sock_is_listening(&s->info);
		}
	}
}
