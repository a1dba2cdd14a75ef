// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The ring buffer consumer with one mapping of the data (see ringbuf.h). */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "kernel/ringbuf.h"

struct ringbuf {
	unsigned long *consumer_pos;
	const unsigned long *producer_pos;
	const uint8_t *data;
	unsigned long mask;
	ringbuf_fn fn;
	void *ctx;
	int map_fd;
	/* the mappings (NULL for memory the caller owns) */
	void *cons_map;
	void *prod_map;
	size_t page_size;
	size_t prod_len;
	/* where a record that wraps the end is made contiguous */
	uint8_t *wrap;
	size_t wrap_cap;
};

static int ringbuf_alloc(struct ringbuf **out, size_t size, ringbuf_fn fn, void *ctx)
{
	struct ringbuf *rb;

	*out = NULL;
	if (size < 8 || (size & (size - 1)))
		return -EINVAL;
	rb = calloc(1, sizeof(*rb));
	if (!rb)
		return -ENOMEM;
	rb->mask = size - 1;
	rb->fn = fn;
	rb->ctx = ctx;
	rb->map_fd = -1;
	*out = rb;
	return 0;
}

int ringbuf__open_mem(struct ringbuf **out, unsigned long *consumer_pos,
		      const unsigned long *producer_pos, const void *data, size_t size,
		      ringbuf_fn fn, void *ctx)
{
	int rc = ringbuf_alloc(out, size, fn, ctx);

	if (rc)
		return rc;
	(*out)->consumer_pos = consumer_pos;
	(*out)->producer_pos = producer_pos;
	(*out)->data = data;
	return 0;
}

int ringbuf__open(struct ringbuf **out, int map_fd, size_t size, ringbuf_fn fn, void *ctx)
{
	long page = sysconf(_SC_PAGESIZE);
	struct ringbuf *rb;
	void *p;
	int rc;

	if (page <= 0 || size % (size_t)page)
		return -EINVAL;
	rc = ringbuf_alloc(&rb, size, fn, ctx);
	if (rc)
		return rc;
	rb->page_size = (size_t)page;
	rb->map_fd = map_fd;
	/* The kernel lets only the consumer's page be mapped writable. */
	p = mmap(NULL, rb->page_size, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	rb->cons_map = p;
	rb->consumer_pos = p;
	/* The producer's page and the data, once: size bytes, not 2 * size. */
	rb->prod_len = rb->page_size + size;
	p = mmap(NULL, rb->prod_len, PROT_READ, MAP_SHARED, map_fd, (off_t)rb->page_size);
	if (p == MAP_FAILED)
		goto fail;
	rb->prod_map = p;
	rb->producer_pos = p;
	rb->data = (const uint8_t *)p + rb->page_size;
	*out = rb;
	return 0;
fail:
	rc = errno ? -errno : -EINVAL;
	ringbuf__free(rb);
	return rc;
}

void ringbuf__free(struct ringbuf *rb)
{
	if (!rb)
		return;
	if (rb->prod_map)
		munmap(rb->prod_map, rb->prod_len);
	if (rb->cons_map)
		munmap(rb->cons_map, rb->page_size);
	free(rb->wrap);
	free(rb);
}

int ringbuf__fd(const struct ringbuf *rb)
{
	return rb->map_fd;
}

/* The record of len bytes at data offset off, contiguous: in place, or
 * copied out when it wraps the end. NULL when out of memory. */
static void *record_at(struct ringbuf *rb, unsigned long off, size_t len)
{
	size_t size = rb->mask + 1, first;

	if (off + len <= size)
		return (void *)(rb->data + off);
	if (len > rb->wrap_cap) {
		size_t cap = rb->wrap_cap ? rb->wrap_cap : 1024;
		uint8_t *n;

		while (cap < len)
			cap *= 2;
		n = realloc(rb->wrap, cap);
		if (!n)
			return NULL;
		rb->wrap = n;
		rb->wrap_cap = cap;
	}
	first = size - off;
	memcpy(rb->wrap, rb->data + off, first);
	memcpy(rb->wrap + first, rb->data, len - first);
	return rb->wrap;
}

int ringbuf__consume(struct ringbuf *rb)
{
	unsigned long cons, prod;
	int64_t cnt = 0;
	bool more;

	cons = __atomic_load_n(rb->consumer_pos, __ATOMIC_ACQUIRE);
	do {
		more = false;
		prod = __atomic_load_n(rb->producer_pos, __ATOMIC_ACQUIRE);
		while (cons < prod) {
			/* records are 8-byte aligned: a header never wraps */
			const uint32_t *hdr = (const uint32_t *)(rb->data + (cons & rb->mask));
			uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
			uint32_t n = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
			void *rec;
			int rc;

			if (len & BPF_RINGBUF_BUSY_BIT)
				goto done; /* reserved, not committed yet */
			if ((uint64_t)n + BPF_RINGBUF_HDR_SZ > rb->mask + 1)
				return -EBADMSG;
			more = true;
			rec = NULL;
			if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
				rec = record_at(rb, (cons + BPF_RINGBUF_HDR_SZ) & rb->mask, n);
				if (!rec)
					return -ENOMEM; /* the record stays: retried next time */
			}
			cons += (BPF_RINGBUF_HDR_SZ + n + 7) & ~7ul;
			if (rec) {
				rc = rb->fn(rb->ctx, rec, n);
				if (rc < 0) {
					__atomic_store_n(rb->consumer_pos, cons, __ATOMIC_RELEASE);
					return rc;
				}
				cnt++;
			}
			/* the kernel reuses the space as soon as it sees this */
			__atomic_store_n(rb->consumer_pos, cons, __ATOMIC_RELEASE);
		}
	} while (more);
done:
	return cnt > INT_MAX ? INT_MAX : (int)cnt;
}

int ringbuf__poll(struct ringbuf *rb, int timeout_ms)
{
	struct pollfd pfd = {.fd = rb->map_fd, .events = POLLIN};

	if (rb->map_fd >= 0 && poll(&pfd, 1, timeout_ms) < 0)
		return -errno;
	return ringbuf__consume(rb);
}
