/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The engine's timewait rows by 4-tuple (model/engine*.c only).
 *
 * A timewait socket can change or die with no event of its own: the peer's
 * FIN moves it from FIN_WAIT2 to TIME_WAIT, the peer's RST kills it. When
 * the peer is on this host we see the peer's side, and find our row by the
 * peer's tuple reversed.
 */
#ifndef SS_ENGINE_TW_H
#define SS_ENGINE_TW_H

#include "model/engine.h"

#define TW_BUCKETS 4096

/* Zeroed is empty. */
struct tw_index {
	struct eng_sock *buckets[TW_BUCKETS];
};

/* Indexes s by its tuple (no-op if it is indexed). */
void tw_index__add(struct tw_index *ix, struct eng_sock *s);
void tw_index__unlink(struct tw_index *ix, struct eng_sock *s);

/* Forgets s if it is indexed. Inline: every finished socket passes here,
 * few of them indexed. */
static inline void tw_index__del(struct tw_index *ix, struct eng_sock *s)
{
	if (s->in_tw_index)
		tw_index__unlink(ix, s);
}

/* Our indexed row whose peer is the socket 'peer' (same netns), or NULL. */
struct eng_sock *tw_index__peer_of(const struct tw_index *ix, const struct ss_sockinfo *peer);

/* Forgets every row (the sockets' in_tw_index flags are not touched). */
void tw_index__clear(struct tw_index *ix);

#endif
