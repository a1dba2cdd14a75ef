/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The engine: sockscope's live model of the host's sockets, fed by the event
 * stream and seeded from a kernel snapshot.
 *
 *  - sockets, by cookie: tuple, protocol, family, state, netns, reuse flags,
 *    creation time, and every process that holds it now (fork inherits,
 *    accept/close/exit change the set) and held it before;
 *  - the port map: (netns, proto, local address, local port) -> sockets,
 *    answered from the live sockets (engine__port_sockets);
 *  - history: closed sockets with tuple, holders, lifetime and last state,
 *    bounded, oldest evicted first.
 *
 * Visibility follows the kernel's socket tables (what ss shows): TCP sockets
 * not in CLOSE (TIME_WAIT included, aged out after 60 s), UDP sockets bound
 * to a port.
 */
#ifndef SS_ENGINE_H
#define SS_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/portrow.h"
#include "kernel/snapshot.h"
#include "sockscope_abi.h"

/* Room in the socket itself: most sockets have one holder; each inline
 * one costs 40 bytes per live socket (100,000 of them: 4 MB). */
#define ENGINE_INLINE_HOLDERS 1
#define ENGINE_PAST_HOLDERS 4

struct eng_sock {
	struct ss_sockinfo info; /* tuple, state, netns, reuse, cookie */
	uint64_t created_ns;	 /* CLOCK_MONOTONIC; 0: existed before start */
	uint64_t closed_ns;	 /* released (history) */
	uint64_t tw_expire_ns;	 /* TIME_WAIT rows: when the kernel drops them */
	uint64_t changed_seq;	 /* engine->seq at the last change (for --watch) */
	struct holder *holders;	 /* current holders */
	uint32_t nr_holders;
	uint32_t cap_holders;
	struct holder inline_holders[ENGINE_INLINE_HOLDERS];
	/* holders that let go: NULL until one does (then room for
	 * ENGINE_PAST_HOLDERS), so a live socket no one left pays 8 bytes,
	 * not 160 */
	struct holder *past;
	uint32_t nr_past;
	bool released;		  /* no process holds it; the kernel may still */
	bool in_tw_index;	  /* a timewait row, findable by its 4-tuple */
	struct eng_sock *next;	  /* hash chain / free list */
	struct eng_sock *tw_next; /* timewait index chain */
};

struct engine_stats {
	uint64_t events;
	uint64_t sockets;   /* tracked now */
	uint64_t visible;   /* in the kernel tables (ports --all) */
	uint64_t listening; /* TCP LISTEN and unconnected UDP among them */
	uint64_t history;   /* closed sockets remembered */
	uint64_t resyncs;
};

struct engine;

struct engine *engine__new(size_t history_max);
void engine__free(struct engine *en);

/* Replaces the model with what the snapshot holds (start, and after loss).
 * Creation times of sockets already known are kept. now_ns: CLOCK_MONOTONIC
 * when the snapshot was taken. */
int engine__seed(struct engine *en, const struct snapshot *s, uint64_t now_ns);
/* Applies one kernel record (any SS_EV_* type). */
void engine__apply(struct engine *en, const struct ss_event *e);
/* Ages TIME_WAIT rows out; now_ns is CLOCK_MONOTONIC. */
void engine__expire(struct engine *en, uint64_t now_ns);

struct eng_sock *engine__find(struct engine *en, uint64_t cookie);
/* Calls fn for every socket in the kernel tables; stops on non-zero. */
int engine__for_each_visible(struct engine *en, int (*fn)(const struct eng_sock *s, void *arg),
			     void *arg);
/* Closed sockets, oldest first. */
int engine__for_each_history(struct engine *en, int (*fn)(const struct eng_sock *s, void *arg),
			     void *arg);
/* Sockets bound to (netns, proto, port), optionally only those covering
 * (af, addr). Fills up to max entries, returns how many match in total. */
size_t engine__port_sockets(struct engine *en, uint32_t netns, unsigned int proto,
			    unsigned int port, unsigned int af, const uint8_t *addr,
			    const struct eng_sock **out, size_t max);

/*
 * The sockets bound to (netns, proto, port) and their holders, in the
 * snapshot's shape, for explain_event(): the engine's view at this point of
 * the event stream is the moment a failure happened. 0 or -ENOMEM; free
 * with snapshot__free().
 */
int engine__port_snapshot(struct engine *en, uint32_t netns, unsigned int proto, unsigned int port,
			  struct snapshot *out);

/*
 * The end of a socket's life as its last known tuple: a close record, or a
 * TCP state change to CLOSE, of a socket the engine knows, whose local or
 * remote end the kernel no longer had (a reset or an abort releases the
 * port before the record is read). Copies e to *out with the ends it lacks
 * taken from the engine and returns out; returns e itself otherwise.
 * Call before engine__apply(), which may forget the socket.
 */
const struct ss_event *engine__last_tuple(struct engine *en, const struct ss_event *e,
					  struct ss_event *out);

/* Everyone who held the socket: current holders, then past ones. */
size_t eng_sock__all_holders(const struct eng_sock *s, struct holder *out, size_t max);

uint64_t engine__seq(const struct engine *en);
void engine__stats(const struct engine *en, struct engine_stats *st);

#endif
