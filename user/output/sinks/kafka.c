// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The Kafka transport: a librdkafka producer. Each event is one message,
 * the NDJSON line without its newline, keyed by host, port or cookie, with
 * the headers "host" and "event". Records wait in the sink's queue (key
 * and event name in front of the line) and are handed to librdkafka at
 * each pump, as many as its own bounded queue takes (copied: the ring is
 * reused at once). librdkafka's threads connect, batch, send and retry;
 * the tracer's thread never waits on a broker.
 *
 * Delivery reports and errors are served by rd_kafka_poll(rk, 0) in
 * ready(), from the runtime's loop: an acknowledged event counts as
 * written, a refused or timed-out one as failed. An outage (all brokers
 * down, or a delivery failing) is reported once; records keep going to
 * librdkafka meanwhile (it retries them until message.timeout.ms), and the
 * outage ends with the next acknowledged delivery.
 */
#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/parse.h"
#include "output/sinks/sink_internal.h"
#include "kernel/decode.h"

#define TOPIC_MAX 249
#define PURGE_WAIT_MS 500

enum kafka_key { KEY_HOST, KEY_PORT, KEY_COOKIE };

struct kafka {
	rd_kafka_conf_t *conf; /* the settings, checked; copied at creation */
	rd_kafka_t *rk;
	rd_kafka_topic_t *rkt;
	char topic[TOPIC_MAX + 1];
	enum kafka_key key;
	uint64_t inflight; /* produced, no delivery report yet */
	bool down;
	int down_err;
	const char *down_op;
	char why[256]; /* librdkafka's words for the failure */
};

/* In front of the line in a queued record. */
struct kafka_rec {
	uint16_t keylen;
	uint16_t evlen;
};

/* Into k->why, control characters replaced: the reason may quote names a
 * broker advertised. */
static void set_down(struct kafka *k, const char *op, const char *why, int err)
{
	char *p;

	k->down = true;
	k->down_op = op;
	k->down_err = err;
	if (why != k->why)
		snprintf(k->why, sizeof(k->why), "%s", why ? why : "unknown error");
	for (p = k->why; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

/* ---- parsing ---- */

/* HOST:PORT, HOST a name, an IPv4 address or [IPv6]: names are resolved
 * by librdkafka's threads, not ours. */
static bool broker_ok(const char *b, size_t len)
{
	const char *colon = NULL;
	char port[8];
	uint64_t n;

	if (len && b[0] == '[') {
		const char *end = memchr(b, ']', len);

		if (!end || end == b + 1 || end + 1 >= b + len || end[1] != ':')
			return false;
		colon = end + 1;
	} else {
		for (size_t i = 0; i < len; i++) {
			char c = b[i];

			if (c == ':') {
				colon = b + i;
				break;
			}
			if (!(c == '.' || c == '-' || c == '_' || (c >= '0' && c <= '9') ||
			      (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
				return false;
		}
		if (!colon || colon == b)
			return false;
	}
	len -= (size_t)(colon + 1 - b);
	if (!len || len >= sizeof(port))
		return false;
	memcpy(port, colon + 1, len);
	port[len] = '\0';
	return !parse_u64(port, 1, 65535, &n);
}

static bool topic_ok(const char *t)
{
	size_t len = strlen(t);

	if (!len || len > TOPIC_MAX || !strcmp(t, ".") || !strcmp(t, ".."))
		return false;
	return strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
	       len;
}

static int conf_set(struct sink *s, const char *key, const char *val, char *err, size_t errlen)
{
	char why[256];

	if (rd_kafka_conf_set(s->u.kafka->conf, key, val, why, sizeof(why)) != RD_KAFKA_CONF_OK)
		return errf(err, errlen, -EINVAL, "kafka: %s", why);
	return 0;
}

static int kafka_parse(struct sink *s, const char *rest, char *err, size_t errlen)
{
	const char *slash = strchr(rest, '/');
	struct kafka *k;
	char *brokers;
	int r;

	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	s->u.kafka = k;
	if (!slash || slash == rest)
		return errf(err, errlen, -EINVAL,
			    "kafka: expected kafka://HOST:PORT[,HOST:PORT...]/TOPIC");
	for (const char *b = rest; b < slash;) {
		const char *end = memchr(b, ',', (size_t)(slash - b));
		size_t len = (size_t)((end ? end : slash) - b);

		if (!broker_ok(b, len))
			return errf(err, errlen, -EINVAL,
				    "kafka: broker '%.*s': expected HOST:PORT (a name, an "
				    "IPv4 address or [IPv6], a port from 1 to 65535)",
				    (int)len, b);
		b += len + (end ? 1 : 0);
		if (end && b == slash)
			return errf(err, errlen, -EINVAL, "kafka: empty broker after ','");
	}
	if (!topic_ok(slash + 1))
		return errf(err, errlen, -EINVAL,
			    "kafka: topic '%s': 1 to %d of [a-zA-Z0-9._-], not '.' or '..'",
			    slash + 1, TOPIC_MAX);
	strcpy(k->topic, slash + 1);
	k->conf = rd_kafka_conf_new();
	brokers = strndup(rest, (size_t)(slash - rest));
	if (!k->conf || !brokers) {
		free(brokers);
		return -ENOMEM;
	}
	r = conf_set(s, "bootstrap.servers", brokers, err, errlen);
	free(brokers);
	/* Our defaults; the options may change them. */
	if (!r)
		r = conf_set(s, "client.id", "sockscope", err, errlen);
	if (!r)
		r = conf_set(s, "acks", "all", err, errlen);
	return r;
}

/* sasl.password=... must not show in the metrics labels or the log: the
 * sink's name keeps "key=***". */
static int redact(struct sink *s, const char *key)
{
	size_t klen = strlen(key), at = 0;
	char *name = s->name, *p, *end, *out;

	for (p = strchr(name, '?'); p; p = strchr(p + 1, '&')) {
		if (!strncmp(p + 1, key, klen) && p[1 + klen] == '=') {
			at = (size_t)(p + 1 + klen + 1 - name);
			break;
		}
	}
	if (!at)
		return 0;
	end = name + at + strcspn(name + at, "&");
	out = malloc(at + 3 + strlen(end) + 1);
	if (!out)
		return -ENOMEM;
	memcpy(out, name, at);
	memcpy(out + at, "***", 3);
	strcpy(out + at + 3, end);
	free(s->name);
	s->name = out;
	return 0;
}

/* %XX -> the byte, in place: values with '&' or '=' (a password). */
static int percent_decode(char *v)
{
	char *o = v;

	for (char *p = v; *p; p++) {
		unsigned int x;

		if (*p != '%') {
			*o++ = *p;
			continue;
		}
		if (sscanf(p + 1, "%2x", &x) != 1 || !p[1] || !p[2] || !x)
			return -EINVAL;
		*o++ = (char)x;
		p += 2;
	}
	*o = '\0';
	return 0;
}

static bool passthrough(const char *key)
{
	return !strcmp(key, "security.protocol") || !strncmp(key, "sasl.", 5) ||
	       !strncmp(key, "ssl.", 4) || !strcmp(key, "client.id") ||
	       !strcmp(key, "message.timeout.ms");
}

static int kafka_option(struct sink *s, const char *key, const char *v, char *err, size_t errlen)
{
	struct kafka *k = s->u.kafka;
	char val[1024];

	if (!strcmp(key, "key")) {
		if (!strcmp(v, "host"))
			k->key = KEY_HOST;
		else if (!strcmp(v, "port"))
			k->key = KEY_PORT;
		else if (!strcmp(v, "cookie"))
			k->key = KEY_COOKIE;
		else
			return errf(err, errlen, -EINVAL, "key '%s': host, port or cookie", v);
		return 0;
	}
	if (!strcmp(key, "acks")) {
		if (strcmp(v, "all") && strcmp(v, "1") && strcmp(v, "0"))
			return errf(err, errlen, -EINVAL, "acks '%s': all, 1 or 0", v);
		return conf_set(s, "acks", v, err, errlen);
	}
	if (!strcmp(key, "compression")) {
		if (strcmp(v, "none") && strcmp(v, "lz4") && strcmp(v, "zstd"))
			return errf(err, errlen, -EINVAL, "compression '%s': none, lz4 or zstd", v);
		return conf_set(s, "compression.codec", v, err, errlen);
	}
	if (!passthrough(key))
		return -ENOENT;
	if (strlen(v) >= sizeof(val) || (strcpy(val, v), percent_decode(val)))
		return errf(err, errlen, -EINVAL,
			    "%s: a value of at most %zu bytes, %%XX for a byte that "
			    "needs it (not %%00)",
			    key, sizeof(val) - 1);
	if (sink_spec__secret_key(key, strlen(key))) {
		int r = redact(s, key);

		if (r)
			return r;
	}
	return conf_set(s, key, val, err, errlen);
}

/* ---- the producer ---- */

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct sink *s = opaque;
	struct kafka *k = s->u.kafka;

	(void)rk;
	if (k->inflight)
		k->inflight--;
	if (!m->err) {
		s->written++;
		k->down = false;
		return;
	}
	s->failed++;
	set_down(k, "delivery", rd_kafka_err2str(m->err),
		 m->err == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT ? -ETIMEDOUT : -EIO);
}

/* Errors that stop deliveries; the others (one connection closed, a
 * broker that answers slowly) librdkafka handles by itself. */
static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct sink *s = opaque;

	(void)rk;
	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || err == RD_KAFKA_RESP_ERR__RESOLVE ||
	    err == RD_KAFKA_RESP_ERR__AUTHENTICATION || err == RD_KAFKA_RESP_ERR__SSL ||
	    err == RD_KAFKA_RESP_ERR__FATAL)
		set_down(s->u.kafka, "broker", reason,
			 err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ? -ECONNREFUSED : -EIO);
}

/* librdkafka logs every reconnection attempt: the outage is reported once,
 * by us, instead. */
static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	(void)level;
	(void)fac;
	(void)buf;
}

static int kafka_create(struct sink *s, const char **op)
{
	struct kafka *k = s->u.kafka;
	rd_kafka_conf_t *c = rd_kafka_conf_dup(k->conf);
	char kb[24];

	*op = "producer";
	if (!c)
		return -ENOMEM;
	/* queue_bytes bounds librdkafka's queue as well as ours. */
	snprintf(kb, sizeof(kb), "%zu", s->q.cap / 1024 ? s->q.cap / 1024 : 1);
	if (rd_kafka_conf_set(c, "queue.buffering.max.kbytes", kb, k->why, sizeof(k->why)) !=
	    RD_KAFKA_CONF_OK)
		goto fail;
	rd_kafka_conf_set_opaque(c, s);
	rd_kafka_conf_set_dr_msg_cb(c, on_delivery);
	rd_kafka_conf_set_error_cb(c, on_error);
	rd_kafka_conf_set_log_cb(c, on_log);
	k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, k->why, sizeof(k->why));
	if (!k->rk)
		goto fail;
	/* c is the producer's now */
	k->rkt = rd_kafka_topic_new(k->rk, k->topic, NULL);
	if (!k->rkt) {
		set_down(k, "producer", rd_kafka_err2str(rd_kafka_last_error()), -EIO);
		rd_kafka_destroy(k->rk);
		k->rk = NULL;
		s->fail_why = k->why;
		return -EIO;
	}
	return 0;
fail:
	rd_kafka_conf_destroy(c);
	/* e.g. ssl.ca.location names no file: retried, as an outage */
	set_down(k, "producer", k->why, -EINVAL);
	s->fail_why = k->why;
	return -EINVAL;
}

static int kafka_ready(struct sink *s, int64_t now, const char **op)
{
	struct kafka *k = s->u.kafka;
	int r;

	(void)now;
	if (!k->rk && (r = kafka_create(s, op)))
		return r;
	rd_kafka_poll(k->rk, 0);
	/* A new outage is a failure, told once; one already told goes on
	 * until a delivery is acknowledged (drain() says which). */
	if (k->down && !s->outage) {
		*op = k->down_op;
		s->fail_why = k->why;
		return k->down_err;
	}
	return 0;
}

static int kafka_drain(struct sink *s, const char **op)
{
	struct kafka *k = s->u.kafka;
	struct rec *r;

	*op = "produce";
	while ((r = queue__head(&s->q))) {
		struct kafka_rec h;
		char *key, *ev, *line;
		rd_kafka_resp_err_t err;

		memcpy(&h, rec_data(r), sizeof(h));
		key = rec_data(r) + sizeof(h);
		ev = key + h.keylen;
		line = ev + h.evlen;
		err = rd_kafka_producev(
			k->rk, RD_KAFKA_V_RKT(k->rkt), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
			RD_KAFKA_V_KEY(key, h.keylen),
			RD_KAFKA_V_VALUE(line, r->len - sizeof(h) - h.keylen - h.evlen),
			RD_KAFKA_V_HEADER("host", s->hostname ? s->hostname : "-", -1),
			RD_KAFKA_V_HEADER("event", ev, h.evlen), RD_KAFKA_V_END);
		if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
			return k->down ? -EINPROGRESS : -EAGAIN;
		if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
			sink_drop_oversize(s, r->len, "larger than message.max.bytes");
			queue__pop(&s->q);
			continue;
		}
		if (err) {
			set_down(k, "produce", rd_kafka_err2str(err), -EIO);
			s->fail_why = k->why;
			return -EIO;
		}
		queue__pop(&s->q);
		k->inflight++;
	}
	return k->down ? -EINPROGRESS : 0;
}

static bool kafka_encode(struct sink *s, const struct sink_msg *m, size_t *want)
{
	const struct ss_event *e = m->e;
	const char *key = s->hostname ? s->hostname : "-";
	const char *ev = m->msgid ? m->msgid : "";
	struct kafka_rec h;
	char num[24];
	char *p;

	/* Notes (lost, resync) belong to the host whatever the key. */
	if (e && s->u.kafka->key == KEY_PORT) {
		snprintf(num, sizeof(num), "%u", (e->hdr.flags & SS_F_LOCAL) ? e->lport : 0);
		key = num;
	} else if (e && s->u.kafka->key == KEY_COOKIE) {
		snprintf(num, sizeof(num), "%llu",
			 (e->hdr.flags & SS_F_NO_COOKIE) ? 0ull : (unsigned long long)e->cookie);
		key = num;
	}
	h.keylen = (uint16_t)strnlen(key, 255);
	h.evlen = (uint16_t)strnlen(ev, 255);
	*want = sizeof(h) + h.keylen + h.evlen + m->len;
	p = queue__push(&s->q, *want);
	if (!p)
		return false;
	memcpy(p, &h, sizeof(h));
	memcpy(p + sizeof(h), key, h.keylen);
	memcpy(p + sizeof(h) + h.keylen, ev, h.evlen);
	memcpy(p + sizeof(h) + h.keylen + h.evlen, m->line, m->len);
	return true;
}

static int kafka_flush(struct sink *s, int timeout_ms)
{
	struct kafka *k = s->u.kafka;

	if (!k->rk)
		return 0;
	if (timeout_ms > 0 && k->inflight)
		rd_kafka_flush(k->rk, timeout_ms);
	rd_kafka_poll(k->rk, 0);
	return k->inflight ? -ETIMEDOUT : 0;
}

static uint64_t kafka_pending(const struct sink *s)
{
	return s->u.kafka ? s->u.kafka->inflight : 0;
}

static void kafka_close(struct sink *s)
{
	struct kafka *k = s->u.kafka;

	if (!k || !k->rk)
		return;
	/* What is still queued fails now, with a delivery report each
	 * (counted as failed), rather than when the producer is gone. */
	rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	rd_kafka_flush(k->rk, PURGE_WAIT_MS);
	rd_kafka_topic_destroy(k->rkt);
	rd_kafka_destroy(k->rk);
	k->rk = NULL;
	k->rkt = NULL;
	k->inflight = 0;
}

static void kafka_destroy(struct sink *s)
{
	struct kafka *k = s->u.kafka;

	if (!k)
		return;
	if (k->conf)
		rd_kafka_conf_destroy(k->conf);
	free(k);
	s->u.kafka = NULL;
}

const struct sink_transport sink_kafka = {
	.what = "a kafka sink",
	.options = "key, acks, compression, queue_bytes, security.protocol, sasl.*, ssl.*, "
		   "client.id, message.timeout.ms",
	.format = FMT_NDJSON,
	.outage_note = "librdkafka reconnects; events wait up to message.timeout.ms",
	.parse = kafka_parse,
	.option = kafka_option,
	.ready = kafka_ready,
	.drain = kafka_drain,
	.close = kafka_close,
	.encode = kafka_encode,
	.flush = kafka_flush,
	.pending = kafka_pending,
	.destroy = kafka_destroy,
};
