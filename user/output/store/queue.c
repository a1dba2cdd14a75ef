// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The bounded in-memory row queue: store__add_*() copy a row in under the
 * queue lock and never touch the disk, so the tracer never waits on it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "output/store/store_internal.h"

static int rowq_push(struct rowq *q, const void *row)
{
	if (!q->tail || q->tail_idx == QCHUNK_ROWS) {
		struct qchunk *c = malloc(sizeof(*c) + QCHUNK_ROWS * q->esize);

		if (!c)
			return -ENOMEM;
		c->next = NULL;
		if (q->tail)
			q->tail->next = c;
		else
			q->head = c;
		q->tail = c;
		q->tail_idx = 0;
	}
	memcpy(q->tail->rows + q->tail_idx * q->esize, row, q->esize);
	q->tail_idx++;
	q->count++;
	return 0;
}

void rowq_iter_init(struct rowq_iter *it, const struct rowq *q)
{
	it->chunk = q->head;
	it->idx = q->head_idx;
	it->esize = q->esize;
}

/* Only called for a row known to exist: it->chunk->next is then set. */
const void *rowq_iter_next(struct rowq_iter *it)
{
	if (it->idx == QCHUNK_ROWS) {
		it->chunk = it->chunk->next;
		it->idx = 0;
	}
	return it->chunk->rows + it->idx++ * it->esize;
}

void rowq_free(struct rowq *q)
{
	while (q->head) {
		struct qchunk *next = q->head->next;

		free(q->head);
		q->head = next;
	}
	q->tail = NULL;
	q->head_idx = q->tail_idx = q->count = 0;
}

void rowq_pop(struct rowq *q, size_t n)
{
	q->count -= n;
	if (!q->count) {
		rowq_free(q); /* an idle queue holds no memory */
		return;
	}
	n += q->head_idx;
	while (n >= QCHUNK_ROWS) {
		struct qchunk *next = q->head->next;

		free(q->head);
		q->head = next;
		n -= QCHUNK_ROWS;
	}
	q->head_idx = n;
}

static void queue_add(struct store *st, int kind, const void *row)
{
	struct rowq *q = &st->q[kind];
	size_t total;

	store_lock(&st->qlock);
	total = st->q[Q_SOCKET].count + st->q[Q_FAILURE].count + st->q[Q_OWNER].count;
	if (total >= st->qrows_max || st->qbytes + q->esize > STORE_QUEUE_BYTES ||
	    rowq_push(q, row))
		st->stats.dropped++;
	else
		st->qbytes += q->esize;
	store_unlock(&st->qlock);
}

void store__add_socket(struct store *st, const struct store_socket *r)
{
	queue_add(st, Q_SOCKET, r);
}

void store__add_failure(struct store *st, const struct store_failure *r)
{
	queue_add(st, Q_FAILURE, r);
}

void store__add_owner(struct store *st, const struct store_owner *r)
{
	queue_add(st, Q_OWNER, r);
}

void store__stats(const struct store *st, struct store_stats *out)
{
	/* the lock is not part of the store's value */
	struct store *mst = (struct store *)st;

	store_lock(&mst->qlock);
	*out = st->stats;
	out->queued = st->q[Q_SOCKET].count + st->q[Q_FAILURE].count + st->q[Q_OWNER].count;
	store_unlock(&mst->qlock);
}
