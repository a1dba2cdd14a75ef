// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The engine's socket pool and cookie hash (see engine_socks.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/engine_socks.h"

#define POOL_CHUNK 1024
#define FIRST_BUCKETS 1024

struct sock_chunk {
	struct sock_chunk *next;
	struct eng_sock socks[POOL_CHUNK];
};

#define PAST_CHUNK 64

struct past_chunk {
	struct past_chunk *next;
	struct holder past[PAST_CHUNK][ENGINE_PAST_HOLDERS];
};

struct holder *sock_table__past_refill(struct sock_table *t)
{
	struct past_chunk *c = malloc(sizeof(*c));

	if (!c)
		return NULL;
	c->next = t->past_chunks;
	t->past_chunks = c;
	for (size_t i = 0; i < PAST_CHUNK; i++) {
		past_set_next(c->past[i], t->past_free);
		t->past_free = c->past[i];
	}
	return t->past_free;
}

/* Rehashes into n buckets (a power of two). */
static int rehash(struct sock_table *t, size_t n)
{
	struct eng_sock **b = calloc(n, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < t->nr_buckets; i++) {
		struct eng_sock *s = t->buckets[i], *next;

		for (; s; s = next) {
			size_t h = engine_hash64(s->info.cookie, n);

			next = s->next;
			s->next = b[h];
			b[h] = s;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nr_buckets = n;
	return 0;
}

static int grow_buckets(struct sock_table *t)
{
	return rehash(t, t->nr_buckets ? t->nr_buckets * 2 : FIRST_BUCKETS);
}

int sock_table__init(struct sock_table *t)
{
	memset(t, 0, sizeof(*t));
	return grow_buckets(t);
}

int sock_table__reserve(struct sock_table *t, size_t n)
{
	size_t want = t->nr_buckets;

	while (want < n && want <= SIZE_MAX / 4)
		want *= 2;
	return want > t->nr_buckets ? rehash(t, want) : 0;
}

void sock_table__free(struct sock_table *t)
{
	struct sock_iter it = SOCK_ITER_INIT;
	struct eng_sock *s;

	while ((s = sock_table__next(t, &it)))
		eng_sock__free_holders(s);
	while (t->past_chunks) {
		struct past_chunk *c = t->past_chunks;

		t->past_chunks = c->next;
		free(c);
	}
	while (t->chunks) {
		struct sock_chunk *c = t->chunks;

		t->chunks = c->next;
		free(c);
	}
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

static struct eng_sock *sock_alloc(struct sock_table *t)
{
	struct eng_sock *s;

	if (!t->free_list) {
		/* not calloc: each socket is cleared when taken (a seed of 20000
		 * sockets zeroed 8 MiB twice) */
		struct sock_chunk *c = malloc(sizeof(*c));

		if (!c)
			return NULL;
		c->next = t->chunks;
		t->chunks = c;
		for (size_t i = 0; i < POOL_CHUNK; i++) {
			c->socks[i].next = t->free_list;
			t->free_list = &c->socks[i];
		}
	}
	s = t->free_list;
	t->free_list = s->next;
	memset(s, 0, sizeof(*s));
	s->holders = s->inline_holders;
	s->cap_holders = ENGINE_INLINE_HOLDERS;
	return s;
}

struct eng_sock *sock_table__insert(struct sock_table *t, uint64_t cookie)
{
	struct eng_sock *s;
	size_t h;

	if (t->nr_socks >= t->nr_buckets && grow_buckets(t))
		return NULL;
	s = sock_alloc(t);
	if (!s)
		return NULL;
	s->info.cookie = cookie;
	h = engine_hash64(cookie, t->nr_buckets);
	s->next = t->buckets[h];
	t->buckets[h] = s;
	t->nr_socks++;
	return s;
}

void sock_table__clear(struct sock_table *t)
{
	for (size_t i = 0; i < t->nr_buckets; i++) {
		struct eng_sock *s = t->buckets[i], *next;

		for (; s; s = next) {
			next = s->next;
			sock_table__put(t, s);
		}
		t->buckets[i] = NULL;
	}
	t->nr_socks = 0;
}
