// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The bounded record queue of a sink (layout in sink_internal.h). */
#include <errno.h>
#include <stdlib.h>

#include "output/sinks/sink_internal.h"

static size_t rec_size(size_t len)
{
	return (sizeof(struct rec) + len + 7) & ~(size_t)7;
}

static struct rec *rec_at(const struct queue *q, size_t pos)
{
	return (struct rec *)(void *)(q->buf + pos);
}

int queue__init(struct queue *q, size_t cap)
{
	*q = (struct queue){.cap = cap & ~(size_t)7};
	/* Pages are only touched as the queue fills. */
	q->buf = malloc(q->cap);
	return q->buf ? 0 : -ENOMEM;
}

void queue__free(struct queue *q)
{
	free(q->buf);
	q->buf = NULL;
}

bool queue__fits(const struct queue *q, size_t len)
{
	return len <= UINT32_MAX && rec_size(len) <= q->cap;
}

char *queue__push(struct queue *q, size_t len)
{
	size_t need = rec_size(len);
	size_t at;
	struct rec *r;

	if (!queue__fits(q, len))
		return NULL;
	if (!q->wrapped) {
		if (q->cap - q->tail >= need) {
			at = q->tail;
		} else if (q->head >= need) {
			q->wrap_end = q->tail;
			q->wrapped = true;
			at = 0;
		} else {
			return NULL;
		}
	} else if (q->head - q->tail >= need) {
		at = q->tail;
	} else {
		return NULL;
	}
	q->tail = at + need;
	r = rec_at(q, at);
	r->len = (uint32_t)len;
	r->_pad = 0;
	q->nrec++;
	q->bytes += len;
	return rec_data(r);
}

struct rec *queue__head(const struct queue *q)
{
	return q->nrec ? rec_at(q, q->head) : NULL;
}

void queue__pop(struct queue *q)
{
	struct rec *r = rec_at(q, q->head);

	q->head += rec_size(r->len);
	q->bytes -= r->len;
	if (!--q->nrec) {
		/* Empty: start over at 0, the most room before a wrap. */
		q->head = q->tail = 0;
		q->wrapped = false;
	} else if (q->wrapped && q->head == q->wrap_end) {
		q->head = 0;
		q->wrapped = false;
	}
}

int queue__gather(const struct queue *q, size_t skip, struct iovec *iov, int max)
{
	size_t pos = q->head;
	bool wrapped = q->wrapped;
	int n = 0;

	for (size_t i = 0; i < q->nrec && n < max; i++) {
		struct rec *r;

		if (wrapped && pos == q->wrap_end) {
			pos = 0;
			wrapped = false;
		}
		r = rec_at(q, pos);
		pos += rec_size(r->len);
		iov[n].iov_base = rec_data(r) + (i ? 0 : skip);
		iov[n].iov_len = r->len - (i ? 0 : skip);
		n++;
	}
	return n;
}
