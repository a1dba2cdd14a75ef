// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The engine's timewait index (see engine_tw.h). */
#include <stdbool.h>
#include <string.h>

#include "model/engine_tw.h"
#include "model/engine_util.h"

/* Both families in one form, so an inet6 socket talking IPv4 and its IPv4
 * peer key alike. */
struct tuple_key {
	uint32_t netns;
	uint16_t lport;
	uint16_t rport;
	uint8_t laddr[SS_ADDR_LEN]; /* IPv6 form: IPv4 as ::ffff:a.b.c.d */
	uint8_t raddr[SS_ADDR_LEN];
};

static void key_of(struct tuple_key *k, const struct ss_sockinfo *i, bool reversed)
{
	memset(k, 0, sizeof(*k));
	k->netns = i->netns;
	k->lport = reversed ? i->rport : i->lport;
	k->rport = reversed ? i->lport : i->rport;
	engine_v6_form(k->laddr, i->family, reversed ? i->raddr : i->laddr);
	engine_v6_form(k->raddr, i->family, reversed ? i->laddr : i->raddr);
}

/* FNV-1a over the key's bytes */
static size_t key_hash(const struct tuple_key *k)
{
	uint64_t h = 1469598103934665603ull;
	const uint8_t *p = (const uint8_t *)k;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return (size_t)h & (TW_BUCKETS - 1);
}

void tw_index__add(struct tw_index *ix, struct eng_sock *s)
{
	struct tuple_key k;
	size_t h;

	if (s->in_tw_index)
		return;
	key_of(&k, &s->info, false);
	h = key_hash(&k);
	s->tw_next = ix->buckets[h];
	ix->buckets[h] = s;
	s->in_tw_index = true;
}

void tw_index__unlink(struct tw_index *ix, struct eng_sock *s)
{
	struct eng_sock **pp;
	struct tuple_key k;

	key_of(&k, &s->info, false);
	for (pp = &ix->buckets[key_hash(&k)]; *pp; pp = &(*pp)->tw_next) {
		if (*pp == s) {
			*pp = s->tw_next;
			break;
		}
	}
	s->in_tw_index = false;
}

struct eng_sock *tw_index__peer_of(const struct tw_index *ix, const struct ss_sockinfo *peer)
{
	struct tuple_key want, k;

	if (!peer->lport || !peer->rport)
		return NULL;
	key_of(&want, peer, true);
	for (struct eng_sock *s = ix->buckets[key_hash(&want)]; s; s = s->tw_next) {
		key_of(&k, &s->info, false);
		if (!memcmp(&k, &want, sizeof(k)))
			return s;
	}
	return NULL;
}

void tw_index__clear(struct tw_index *ix)
{
	memset(ix->buckets, 0, sizeof(ix->buckets));
}
