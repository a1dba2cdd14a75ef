// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * One delivery attempt of a sink, and what a failure starts: an outage,
 * reported once, retried with backoff (0.5 s doubling to 30 s) until a
 * delivery works again, which is reported too.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "output/sinks/sink_internal.h"

#define BACKOFF_MIN (500 * MSEC)
#define BACKOFF_MAX (30 * SEC)

/* Appends to the one status line ("; " between two messages). */
void sink_report(struct report *rep, const char *fmt, ...)
{
	size_t len;
	va_list ap;

	if (!rep || !rep->buf || !rep->cap)
		return;
	len = strnlen(rep->buf, rep->cap - 1);
	if (len && len + 2 < rep->cap) {
		memcpy(rep->buf + len, "; ", 3);
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(rep->buf + len, rep->cap - len, fmt, ap);
	va_end(ap);
}

void sink_close_fd(struct sink *s)
{
	if (s->fd >= 0 && s->own_fd)
		close(s->fd);
	s->fd = -1;
}

void sink_consume(struct sink *s, size_t n)
{
	while (n) {
		struct rec *r = queue__head(&s->q);
		size_t rest = r->len - s->head_off;

		if (n < rest) {
			s->head_off += n;
			return;
		}
		n -= rest;
		s->head_off = 0;
		queue__pop(&s->q);
		s->written++;
	}
}

void sink_drop_oversize(struct sink *s, size_t len, const char *why)
{
	s->oversize = len;
	s->oversize_why = why;
	s->dropped++;
}

int sink_drain_stream(struct sink *s, const char **op)
{
	struct iovec iov[SINK_BATCH];

	while (s->q.nrec) {
		int n = queue__gather(&s->q, s->head_off, iov, SINK_BATCH);
		ssize_t w = s->tr->write(s, iov, n, op);

		if (w == -EINTR)
			continue;
		if (w == -EAGAIN || w == -EWOULDBLOCK || !w)
			return -EAGAIN;
		if (w < 0)
			return (int)w;
		sink_consume(s, (size_t)w);
	}
	return 0;
}

static const char *errstr(int err, char *buf, size_t len)
{
	/* GNU strerror_r: thread-safe, returns the text to use. */
	return strerror_r(err < 0 ? -err : err, buf, len);
}

static void fail(struct sink *s, int64_t now, struct report *rep, const char *op, int err)
{
	char eb[128];

	s->errors++;
	s->last_err = err;
	if (s->tr->close_on_error) {
		/* A frame cut by a lost connection is discarded by the
		 * collector: send it whole on the next one. */
		s->head_off = 0;
		s->tr->close(s);
	}
	/* Otherwise (a file, stdout) a failed write (ENOSPC) leaves a good
	 * fd, and the file its whole lines (file.c cuts a torn one off): the
	 * queue goes to the same file when it works. */
	s->backoff = s->backoff ? s->backoff * 2 : BACKOFF_MIN;
	if (s->backoff > BACKOFF_MAX)
		s->backoff = BACKOFF_MAX;
	s->retry_at = now + s->backoff;
	if (s->outage)
		return;
	s->outage = true;
	s->outage_start = now;
	s->dropped_at_outage = s->dropped;
	s->failed_at_outage = s->failed;
	if (s->tr->outage_note) {
		sink_report(rep, "%s: %s; %s", op,
			    s->fail_why ? s->fail_why : errstr(err, eb, sizeof(eb)),
			    s->tr->outage_note);
		return;
	}
	sink_report(rep, "%s: %s; retrying in %.1f s, doubling to %lld s", op,
		    s->fail_why					 ? s->fail_why
		    : err == -EPIPE && !strcmp(op, "connection") ? "closed by the collector"
								 : errstr(err, eb, sizeof(eb)),
		    (double)s->backoff / SEC, BACKOFF_MAX / SEC);
}

static void recover(struct sink *s, int64_t now, struct report *rep)
{
	s->outage = false;
	s->backoff = 0;
	s->retry_at = 0;
	sink_report(rep, "delivering again after %.1f s; %llu events dropped meanwhile",
		    (double)(now - s->outage_start) / SEC,
		    (unsigned long long)(s->dropped - s->dropped_at_outage));
	if (s->failed != s->failed_at_outage)
		sink_report(rep, "%llu failed delivery",
			    (unsigned long long)(s->failed - s->failed_at_outage));
}

void sink_deliver(struct sink *s, int64_t now, struct report *rep)
{
	const char *op = "write";
	int err;

	s->fail_why = NULL;
	err = s->tr->ready(s, now, &op);
	if (err == -EINPROGRESS)
		return;
	if (!err)
		err = s->tr->drain(s, &op);
	if (err == -EINPROGRESS)
		return;
	if (err && err != -EAGAIN) {
		fail(s, now, rep, op, err);
		return;
	}
	if (s->outage)
		recover(s, now, rep);
}
