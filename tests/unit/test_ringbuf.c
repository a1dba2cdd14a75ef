// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The ring buffer consumer over a fake mapping laid out as the kernel's:
 * records in order, one that wraps the end handed over whole, reserved
 * ones wait, discarded ones are skipped, the consumer position follows. */
#include "testutil.h"

#include <errno.h>

#include <linux/bpf.h>

#include "kernel/ringbuf.h"

#define RING 256

struct fake {
	unsigned long cons, prod;
	_Alignas(8) uint8_t data[RING];
	/* what the callback saw */
	uint8_t seen[8][RING];
	size_t seen_len[8];
	unsigned long cons_seen[8];
	int nr;
	int fail_at; /* the callback returns -EIO at this record (0: never) */
};

static struct fake f;

static int on_rec(void *ctx, void *data, size_t size)
{
	struct fake *fk = ctx;

	assert_true(fk->nr < 8);
	memcpy(fk->seen[fk->nr], data, size);
	fk->seen_len[fk->nr] = size;
	fk->cons_seen[fk->nr] = fk->cons;
	fk->nr++;
	return fk->nr == fk->fail_at ? -EIO : 0;
}

/* Writes a record of len bytes (byte i = fill + i) at the producer
 * position, wrapping as the kernel's double mapping would; flags go in the
 * header (busy, discard). */
static void produce(size_t len, uint8_t fill, uint32_t flags)
{
	unsigned long pos = f.prod;
	uint32_t hdr = (uint32_t)len | flags;

	memcpy(&f.data[pos & (RING - 1)], &hdr, 4);
	memset(&f.data[(pos + 4) & (RING - 1)], 0, 4);
	for (size_t i = 0; i < len; i++)
		f.data[(pos + BPF_RINGBUF_HDR_SZ + i) & (RING - 1)] = (uint8_t)(fill + i);
	f.prod = pos + ((BPF_RINGBUF_HDR_SZ + len + 7) & ~7ul);
}

static void set_hdr(unsigned long pos, uint32_t v)
{
	memcpy(&f.data[pos & (RING - 1)], &v, 4);
}

static void check_seen(int i, size_t len, uint8_t fill)
{
	assert_int_equal(f.seen_len[i], len);
	for (size_t k = 0; k < len; k++)
		assert_int_equal(f.seen[i][k], (uint8_t)(fill + k));
}

static int setup(void **state)
{
	(void)state;
	memset(&f, 0, sizeof(f));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return 0;
}

static struct ringbuf *open_fake(void)
{
	struct ringbuf *rb;

	assert_int_equal(ringbuf__open_mem(&rb, &f.cons, &f.prod, f.data, RING, on_rec, &f), 0);
	assert_int_equal(ringbuf__fd(rb), -1);
	return rb;
}

static void records_in_order_consumer_follows(void **state)
{
	struct ringbuf *rb = open_fake();

	(void)state;
	assert_int_equal(ringbuf__consume(rb), 0);
	produce(20, 1, 0);
	produce(3, 50, 0);
	assert_int_equal(ringbuf__consume(rb), 2);
	check_seen(0, 20, 1);
	check_seen(1, 3, 50);
	/* 8 + 20 rounded to 32; 8 + 3 rounded to 16 */
	assert_int_equal(f.cons, 48);
	assert_int_equal(f.cons_seen[1], 32); /* stored after each record */
	assert_int_equal(ringbuf__consume(rb), 0);
	ringbuf__free(rb);
}

static void a_record_that_wraps_comes_whole(void **state)
{
	struct ringbuf *rb;

	(void)state;
	/* start near the end: a 100-byte record from offset 216 wraps */
	f.cons = f.prod = 5 * RING + 208;
	rb = open_fake();
	produce(100, 7, 0);
	produce(10, 200, 0); /* after the wrap, in place */
	assert_int_equal(ringbuf__consume(rb), 2);
	check_seen(0, 100, 7);
	check_seen(1, 10, 200);
	assert_int_equal(f.cons, f.prod);
	/* a header at the very end, the payload at the start */
	f.cons = f.prod = 6 * RING + RING - 8;
	produce(40, 9, 0);
	assert_int_equal(ringbuf__consume(rb), 1);
	check_seen(2, 40, 9);
	/* a record ending exactly at the end is read in place */
	f.cons = f.prod = 7 * RING + RING - 64;
	produce(56, 3, 0);
	assert_int_equal(ringbuf__consume(rb), 1);
	check_seen(3, 56, 3);
	assert_int_equal(f.cons, 8 * RING);
	ringbuf__free(rb);
}

static void busy_waits_discarded_skipped(void **state)
{
	struct ringbuf *rb = open_fake();
	unsigned long busy;

	(void)state;
	produce(8, 1, 0);
	produce(8, 2, BPF_RINGBUF_DISCARD_BIT);
	busy = f.prod;
	produce(8, 3, BPF_RINGBUF_BUSY_BIT);
	produce(8, 4, 0); /* committed, but after a reserved one */
	assert_int_equal(ringbuf__consume(rb), 1);
	check_seen(0, 8, 1);
	assert_int_equal(f.cons, busy); /* past the discarded one, not the busy one */
	set_hdr(busy, 8);		/* committed now */
	assert_int_equal(ringbuf__consume(rb), 2);
	check_seen(1, 8, 3);
	check_seen(2, 8, 4);
	assert_int_equal(f.cons, f.prod);
	ringbuf__free(rb);
}

static void a_callback_error_stops_after_its_record(void **state)
{
	struct ringbuf *rb = open_fake();

	(void)state;
	f.fail_at = 2;
	produce(8, 1, 0);
	produce(8, 2, 0);
	produce(8, 3, 0);
	assert_int_equal(ringbuf__consume(rb), -EIO);
	assert_int_equal(f.cons, 32); /* the failed record is consumed */
	f.fail_at = 0;
	assert_int_equal(ringbuf__consume(rb), 1);
	check_seen(2, 8, 3);
	ringbuf__free(rb);
}

static void a_length_past_the_ring_is_refused(void **state)
{
	struct ringbuf *rb = open_fake();

	(void)state;
	produce(8, 1, 0);
	set_hdr(0, RING); /* 8 + RING bytes cannot fit */
	assert_int_equal(ringbuf__consume(rb), -EBADMSG);
	assert_int_equal(f.cons, 0);
	assert_int_equal(f.nr, 0);
	ringbuf__free(rb);
}

static void bad_sizes_are_refused(void **state)
{
	struct ringbuf *rb;

	(void)state;
	assert_int_equal(ringbuf__open_mem(&rb, &f.cons, &f.prod, f.data, 100, on_rec, &f),
			 -EINVAL);
	assert_null(rb);
	assert_int_equal(ringbuf__open_mem(&rb, &f.cons, &f.prod, f.data, 4, on_rec, &f), -EINVAL);
	assert_int_equal(ringbuf__open(&rb, -1, 1000, on_rec, &f), -EINVAL);
	assert_int_equal(ringbuf__open(&rb, -1, 1 << 16, on_rec, &f), -EBADF);
	assert_null(rb);
	ringbuf__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		tu_test(records_in_order_consumer_follows),
		tu_test(a_record_that_wraps_comes_whole),
		tu_test(busy_waits_discarded_skipped),
		tu_test(a_callback_error_stops_after_its_record),
		tu_test(a_length_past_the_ring_is_refused),
		tu_test(bad_sizes_are_refused),
	};

	return cmocka_run_group_tests_name("ringbuf", tests, NULL, NULL);
}
