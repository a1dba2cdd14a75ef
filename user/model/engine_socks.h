/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The engine's sockets (model/engine*.c only): allocated from a pool in
 * chunks, so an event never mallocs a socket, and found by cookie in a
 * chained hash that doubles when it holds as many sockets as buckets.
 *
 * A socket leaves the hash (sock_table__unlink) when it goes to history and
 * returns to the pool (sock_table__put) when history evicts it.
 */
#ifndef SS_ENGINE_SOCKS_H
#define SS_ENGINE_SOCKS_H

#include <stdlib.h>
#include <string.h>

#include "model/engine.h"
#include "model/engine_util.h"

struct sock_chunk;
struct past_chunk;

struct sock_table {
	struct eng_sock **buckets;
	size_t nr_buckets; /* power of two */
	size_t nr_socks;   /* in the hash */
	struct eng_sock *free_list;
	struct sock_chunk *chunks;
	/* past-holder arrays given back, for reuse: a socket that closes
	 * takes one, one evicted from history returns it (malloc and free
	 * there cost ~65 instructions per event); allocated in chunks */
	struct holder *past_free;
	struct past_chunk *past_chunks;
};

/* 0 or -ENOMEM. */
int sock_table__init(struct sock_table *t);
/* Room for n sockets without a rehash (a snapshot's, at once). 0 or
 * -ENOMEM (then the table grows as it fills, as before). */
int sock_table__reserve(struct sock_table *t, size_t n);
/* Frees the pool: sockets in the hash with it, the others must be put. */
void sock_table__free(struct sock_table *t);

/* Inline: looked up on every event. */
static inline struct eng_sock *sock_table__find(const struct sock_table *t, uint64_t cookie)
{
	struct eng_sock *s;

	if (!t->nr_buckets)
		return NULL;
	for (s = t->buckets[engine_hash64(cookie, t->nr_buckets)]; s; s = s->next)
		if (s->info.cookie == cookie)
			return s;
	return NULL;
}

/* A zeroed socket with this cookie, in the hash; NULL when out of memory.
 * The cookie must not be in the hash yet. */
struct eng_sock *sock_table__insert(struct sock_table *t, uint64_t cookie);

/* Takes s out of the hash; it stays allocated (history keeps it). */
static inline void sock_table__unlink(struct sock_table *t, struct eng_sock *s)
{
	struct eng_sock **pp = &t->buckets[engine_hash64(s->info.cookie, t->nr_buckets)];

	for (; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			t->nr_socks--;
			return;
		}
	}
}

/* Frees the holder array s grew past its inline ones. */
static inline void eng_sock__free_holders(struct eng_sock *s)
{
	if (s->holders != s->inline_holders)
		free(s->holders);
}

/* A chunk of past-holder arrays onto the free list: its first, or NULL
 * when out of memory. */
struct holder *sock_table__past_refill(struct sock_table *t);

/* A free past-holder array keeps the next free one in its first bytes. */
static inline struct holder *past_next(const struct holder *arr)
{
	struct holder *next;

	memcpy(&next, (const void *)arr, sizeof(next));
	return next;
}

static inline void past_set_next(struct holder *arr, struct holder *next)
{
	memcpy((void *)arr, &next, sizeof(next));
}

/* Room for ENGINE_PAST_HOLDERS past holders: NULL when out of memory. */
static inline struct holder *sock_table__past_get(struct sock_table *t)
{
	struct holder *p = t->past_free;

	if (!p && !(p = sock_table__past_refill(t)))
		return NULL;
	t->past_free = past_next(p);
	return p;
}

/* Gives s's past holders back. */
static inline void sock_table__past_put(struct sock_table *t, struct eng_sock *s)
{
	if (!s->past)
		return;
	past_set_next(s->past, t->past_free);
	t->past_free = s->past;
	s->past = NULL;
	s->nr_past = 0;
}

/* Returns an unlinked socket to the pool. */
static inline void sock_table__put(struct sock_table *t, struct eng_sock *s)
{
	eng_sock__free_holders(s);
	sock_table__past_put(t, s);
	s->next = t->free_list;
	t->free_list = s;
}
/* Returns every socket in the hash to the pool. */
void sock_table__clear(struct sock_table *t);

/* A walk over the sockets in the hash, in no order. The socket last
 * returned may be unlinked during the walk; no other may. */
struct sock_iter {
	size_t bucket;
	struct eng_sock *next;
};

#define SOCK_ITER_INIT  \
	{               \
		0, NULL \
	}

static inline struct eng_sock *sock_table__next(const struct sock_table *t, struct sock_iter *it)
{
	struct eng_sock *s;

	while (!it->next && it->bucket < t->nr_buckets)
		it->next = t->buckets[it->bucket++];
	s = it->next;
	if (s)
		it->next = s->next;
	return s;
}

#endif
