/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A consumer of one BPF ring buffer (BPF_MAP_TYPE_RINGBUF) that maps its
 * data area once. libbpf's ring_buffer__new() maps it twice, back to back,
 * so that a record wrapping the end reads as contiguous memory; the kernel
 * maps every page of a ring at mmap time, so the second copy costs the
 * ring's full size in RSS (16 MiB by default). Here a record that wraps the
 * end is copied into a small buffer instead: records are a few hundred
 * bytes, and few of them wrap.
 *
 * Semantics are the kernel's (kernel/bpf/ringbuf.c): an 8-byte header per
 * record (length, BPF_RINGBUF_BUSY_BIT while reserved, DISCARD_BIT when
 * discarded), records 8-byte aligned, the producer position read with
 * acquire, the consumer position written with release after each record.
 */
#ifndef SS_KERNEL_RINGBUF_H
#define SS_KERNEL_RINGBUF_H

#include <stddef.h>

struct ringbuf;

/* Called for each committed record; a negative return stops the drain
 * (the record counts as consumed) and is returned by ringbuf__consume(). */
typedef int (*ringbuf_fn)(void *ctx, void *data, size_t size);

/*
 * Maps the ring of map_fd, whose data area is size bytes (the map's
 * max_entries: a power of two, a multiple of the page size). 0 and *out,
 * or -errno.
 */
int ringbuf__open(struct ringbuf **out, int map_fd, size_t size, ringbuf_fn fn, void *ctx);
/*
 * A ring over memory the caller owns, laid out as the kernel's (for tests):
 * the two positions and a data area of size bytes (a power of two, at
 * least 8). 0 and *out, or -EINVAL / -ENOMEM.
 */
int ringbuf__open_mem(struct ringbuf **out, unsigned long *consumer_pos,
		      const unsigned long *producer_pos, const void *data, size_t size,
		      ringbuf_fn fn, void *ctx);
/* Hands every committed record to fn, without waiting. Returns how many
 * (at most INT_MAX), fn's negative return, or -EBADMSG for a header whose
 * length does not fit the ring. */
int ringbuf__consume(struct ringbuf *rb);
/* Waits up to timeout_ms for the kernel's wakeup, then consumes (records
 * are often submitted without a wakeup: a timeout does not mean empty). */
int ringbuf__poll(struct ringbuf *rb, int timeout_ms);
/* The map's fd: pollable (readable when records wait); -1 for memory. */
int ringbuf__fd(const struct ringbuf *rb);
/* Unmaps and frees; NULL is fine. */
void ringbuf__free(struct ringbuf *rb);

#endif
