// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The sink API (sink.h): events are formatted into the queue by
 * sink__write() and delivered by sink__pump(), sink__flush() and
 * sink__close(). How a spec is read, how records wait, how a delivery
 * fails and which fd they go to live in the files sink_internal.h lists.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/timefmt.h"
#include "output/sinks/sink_internal.h"
#include "output/sinks/syslog5424.h"

int sink__open(struct sink **out, const char *spec, const char *hostname, const char *app,
	       char *err, size_t errlen)
{
	struct sink *s;
	int r;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (!spec)
		return errf(err, errlen, -EINVAL, "no sink given");
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fd = -1;
	s->name = strdup(spec);
	s->hostname = hostname ? strdup(hostname) : NULL;
	s->app = app ? strdup(app) : NULL;
	if (!s->name || (hostname && !s->hostname) || (app && !s->app)) {
		r = -ENOMEM;
		goto fail;
	}
	r = sink_parse_spec(s, spec, err, errlen);
	if (!r)
		r = queue__init(&s->q, s->q.cap);
	if (r)
		goto fail;
	*out = s;
	return 0;
fail:
	if (r == -ENOMEM)
		errf(err, errlen, r, "out of memory");
	sink__close(s, 0);
	return r;
}

int sink__check(const char *spec, char *err, size_t errlen)
{
	struct sink *s;
	int r = sink__open(&s, spec, NULL, NULL, err, errlen);

	/* Nothing was opened: closing only frees. */
	sink__close(s, 0);
	return r;
}

/* "[LEN ]HEADER[ LINE]" for a syslog sink; the record's size, 0 if the
 * queue is full (*want: the size it needed). */
static size_t write_syslog(struct sink *s, const char *line, size_t len, const char *msgid,
			   int severity, int64_t ts_real_ns, uint32_t pid, size_t *want)
{
	char hdr[SYSLOG5424_HEADER_MAX], pre[24];
	size_t hlen, plen = 0, msglen;
	char *p;

	if (len && line[len - 1] == '\n')
		len--;
	if (s->format == FMT_RFC5424)
		hlen = syslog5424_header(hdr, sizeof(hdr), s->facility, severity, ts_real_ns,
					 s->hostname, s->app, pid, msgid);
	else
		hlen = syslog_local_header(hdr, sizeof(hdr), s->facility, severity, ts_real_ns,
					   s->app, pid);
	msglen = hlen + (len ? 1 + len : 0);
	if (s->tr->framed)
		plen = syslog5424_frame_prefix(pre, sizeof(pre), msglen);
	*want = plen + msglen;
	p = queue__push(&s->q, *want);
	if (!p)
		return 0;
	memcpy(p, pre, plen);
	memcpy(p + plen, hdr, hlen);
	if (len) {
		p[plen + hlen] = ' ';
		memcpy(p + plen + hlen + 1, line, len);
	}
	return *want;
}

void sink__write_event(struct sink *s, const char *line, size_t len, const char *msgid,
		       int severity, int64_t ts_real_ns, uint32_t pid, const struct ss_event *e,
		       const struct event_extra *x)
{
	size_t want;
	char *p;

	if (s->tr->encode) {
		struct sink_msg m = {line, len, msgid, severity, ts_real_ns, pid, e, x};

		if (m.len && m.line[m.len - 1] == '\n')
			m.len--;
		if (!m.len || s->tr->encode(s, &m, &want))
			return;
	} else if (s->format == FMT_NDJSON) {
		bool nl = len && line[len - 1] == '\n';

		if (!len)
			return;
		want = len + !nl;
		p = queue__push(&s->q, want);
		if (p) {
			memcpy(p, line, len);
			if (!nl)
				p[len] = '\n';
			return;
		}
	} else if (write_syslog(s, line, len, msgid, severity, ts_real_ns, pid, &want)) {
		return;
	}
	if (!queue__fits(&s->q, want)) {
		sink_drop_oversize(s, want, "larger than the queue");
		return;
	}
	s->dropped++;
	s->overflow = true;
}

void sink__write(struct sink *s, const char *line, size_t len, const char *msgid, int severity,
		 int64_t ts_real_ns, uint32_t pid)
{
	sink__write_event(s, line, len, msgid, severity, ts_real_ns, pid, NULL, NULL);
}

void sink__pump(struct sink *s, int64_t now_mono_ns, char *status, size_t statuslen)
{
	struct report rep = {status, statuslen};

	if (status && statuslen)
		status[0] = '\0';
	if (!s->outage || now_mono_ns >= s->retry_at)
		sink_deliver(s, now_mono_ns, &rep);
	if (s->oversize) {
		sink_report(&rep, "dropped an event of %zu bytes: %s", s->oversize,
			    s->oversize_why);
		s->oversize = 0;
	}
	if (s->overflow && !s->overflow_told) {
		sink_report(&rep, "queue full (%zu bytes): dropping events", s->q.cap);
		s->overflow_told = true;
	}
	/* Half empty again: the next overflow is news. */
	if (s->overflow && s->q.bytes <= s->q.cap / 2)
		s->overflow = s->overflow_told = false;
}

void sink__reopen(struct sink *s)
{
	if (s->tr->reopen)
		s->tr->reopen(s);
	s->retry_at = 0;
}

int sink__flush(struct sink *s, int timeout_ms)
{
	int64_t deadline = (int64_t)mono_now_ns() + (int64_t)timeout_ms * MSEC;

	for (;;) {
		int64_t now = (int64_t)mono_now_ns(), wait;
		uint64_t before = s->written + s->dropped;
		size_t before_off = s->head_off;
		struct pollfd p;
		int ms;

		if (!s->outage || now >= s->retry_at)
			sink_deliver(s, now, NULL);
		if (!s->q.nrec)
			return s->tr->flush ? s->tr->flush(s, (int)((deadline - now) / MSEC)) : 0;
		if (now >= deadline)
			return s->outage ? s->last_err : -ETIMEDOUT;
		wait = deadline - now;
		if (s->outage && s->retry_at - now < wait)
			wait = s->retry_at - now;
		/* Round up: a wait of 0 ms would spin. Wake up at least every
		 * 100 ms to look again. */
		ms = (int)((wait + MSEC - 1) / MSEC);
		if (ms > 100)
			ms = 100;
		if (ms < 1)
			ms = 1;
		if (s->outage || s->fd < 0) {
			poll(NULL, 0, ms);
			continue;
		}
		p.fd = s->fd;
		p.events = POLLOUT;
		/* Writable yet nothing went (a datagram queue may say so):
		 * pause a little rather than spin. */
		if (poll(&p, 1, ms) > 0 && s->written + s->dropped == before &&
		    s->head_off == before_off)
			poll(NULL, 0, ms < 10 ? ms : 10);
	}
}

uint64_t sink__close(struct sink *s, int timeout_ms)
{
	uint64_t left;

	if (!s)
		return 0;
	if (timeout_ms > 0 && s->q.buf)
		sink__flush(s, timeout_ms);
	left = s->q.nrec;
	if (s->tr && s->tr->pending)
		left += s->tr->pending(s);
	if (s->tr) {
		s->tr->close(s);
		if (s->tr->destroy)
			s->tr->destroy(s);
	}
	queue__free(&s->q);
	free(s->app);
	free(s->hostname);
	free(s->name);
	free(s);
	return left;
}

void sink__stats(const struct sink *s, struct sink_stats *out)
{
	out->written = s->written;
	out->dropped = s->dropped;
	out->failed = s->failed;
	out->errors = s->errors;
	out->cut = s->cut;
	out->queued = s->q.nrec;
	out->queued_bytes = s->q.bytes - s->head_off;
	out->healthy = !s->outage;
}

const char *sink__name(const struct sink *s)
{
	return s->name;
}
