/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The engine's closed sockets (model/engine*.c only): a ring of at most
 * max, oldest evicted first. It holds the sockets, not their memory: what
 * it evicts goes back to the caller. */
#ifndef SS_ENGINE_HISTORY_H
#define SS_ENGINE_HISTORY_H

#include <stddef.h>

#include "model/engine.h"

struct sock_history {
	struct eng_sock **ring;
	size_t max;  /* 0: nothing is kept */
	size_t head; /* oldest */
	size_t len;
};

/* 0 or -ENOMEM. */
int sock_history__init(struct sock_history *h, size_t max);
/* Frees the ring, not the sockets in it. */
void sock_history__free(struct sock_history *h);

/* Appends s. Returns the socket the caller must free: the oldest if the
 * ring was full, s itself if nothing is kept, else NULL. Inline: every
 * finished socket passes here. */
static inline struct eng_sock *sock_history__push(struct sock_history *h, struct eng_sock *s)
{
	struct eng_sock *old;

	if (!h->max)
		return s;
	if (h->len == h->max) {
		old = h->ring[h->head];
		h->ring[h->head] = s;
		h->head = (h->head + 1) % h->max;
		return old;
	}
	h->ring[(h->head + h->len) % h->max] = s;
	h->len++;
	return NULL;
}

/* The i-th oldest (i < len). */
static inline struct eng_sock *sock_history__at(const struct sock_history *h, size_t i)
{
	return h->ring[(h->head + i) % h->max];
}

#endif
