/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Log sinks: where the daemon's NDJSON event lines go (stdout, a rotated
 * file, syslog on /dev/log, UDP or TCP, Kafka, journald's native socket). The tracer must never wait on a
 * disk or a collector, so a sink is a bounded queue plus a pump:
 *
 *   sink__write()  copies the event into the sink's queue (a fixed ring of
 *                  queue_bytes, 4 MiB by default; no allocation). A full
 *                  queue drops the event and counts it.
 *   sink__pump()   delivers what it can without blocking (non-blocking fds,
 *                  partial writes resumed where they stopped). A failure
 *                  starts an outage: reported once, retried with backoff
 *                  (0.5 s doubling to 30 s), reconnecting or reopening as
 *                  needed; the queue keeps filling meanwhile.
 *
 * Not thread-safe: one thread writes, pumps and closes. Writes to a pipe on
 * stdout may raise SIGPIPE when the reader has gone: the caller ignores
 * SIGPIPE (sockets are written with MSG_NOSIGNAL).
 *
 * Spec strings (also the config file's values), options after '?', joined
 * by '&'. Sizes are those of lib/parse.h: an optional K, M, G or T suffix
 * (powers of 1024), optionally followed by B or iB: 64K, 10MiB.
 *   stdout
 *   file:PATH             NDJSON; PATH is absolute, may be written file:///abs/path
 *       max_bytes=N       rotate before a line would take the file past N
 *                         (default 10M; 0: never, e.g. under logrotate)
 *       keep=N            rotated files kept: PATH.1 (newest) .. PATH.N,
 *                         older ones removed (default 5; 0: none kept)
 *       The file only ever holds whole lines: a write that fails inside
 *       a line (ENOSPC) cuts the torn part off again, and the line waits
 *       in the queue with the others to go whole when there is room; if
 *       the file is deleted during the outage (to free space), the retry
 *       opens PATH anew.
 *   syslog                /dev/log, AF_UNIX datagrams
 *   syslog+unix:PATH      another AF_UNIX datagram socket (same options)
 *   syslog+udp://HOST:PORT  RFC 5424, one message per datagram
 *   syslog+tcp://HOST:PORT  RFC 5424, RFC 6587 octet counting "LEN SP MSG"
 *       HOST is a numeric address, IPv6 in brackets: [::1] (a link-local
 *       one with its interface: [fe80::1%eth0]). Names are not resolved: a
 *       DNS outage must not stall the tracer. PORT is required (514 is
 *       only the usual one).
 *   Options of every syslog sink:
 *       facility=NAME|N   daemon (default), local0..local7, user, ... or 0..23
 *       format=rfc5424|local   the message format (syslog5424.h). Default:
 *                         rfc5424 on UDP/TCP; local on AF_UNIX sockets,
 *                         because neither journald nor rsyslog's default
 *                         /dev/log input parses RFC 5424 (format=rfc5424
 *                         suits rsyslog with useSpecialParser="off").
 *   kafka://HOST:PORT[,HOST:PORT...]/TOPIC   a librdkafka producer (kafka.c);
 *                         each event one message: the NDJSON line without
 *                         its newline, headers "host" and "event"
 *       key=host|port|cookie   the message key (default host)
 *       acks=all|1|0      (default all)
 *       compression=none|lz4|zstd   (default none)
 *       security.protocol=, sasl.*=, ssl.*=, client.id=, message.timeout.ms=
 *                         passed to librdkafka as they are (values may be
 *                         %-encoded: %26 for '&'), checked when parsed
 *       queue_bytes also bounds librdkafka's own queue
 *       (queue.buffering.max.kbytes)
 *   journald              the journal's native protocol on
 *                         /run/systemd/journal/socket (journald.c)
 *   journald:PATH         another socket, written journald:///PATH too
 *   Options of every sink:
 *       queue_bytes=N     queue bound (default 4M; 1K to 1G)
 *
 * Severity and MSGID of syslog messages come from sink__write(); APP-NAME
 * and HOSTNAME from sink__open(); PROCID is the event's pid.
 */
#ifndef SS_SINK_H
#define SS_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sink;
struct ss_event;
struct event_extra;

/*
 * Parses spec and prepares the sink. Nothing is opened or connected here:
 * the first sink__pump() does it, and reports a failure in its status.
 * Returns 0,
 * -EINVAL (err holds a one-line reason) or -ENOMEM; *out is NULL on error.
 * hostname and app are copied (NULL: "-").
 */
int sink__open(struct sink **out, const char *spec, const char *hostname, const char *app,
	       char *err, size_t errlen);

/* Only parses spec, for --check-config: 0 or -EINVAL with the reason. */
int sink__check(const char *spec, char *err, size_t errlen);

/*
 * The i-th scheme a spec may start with ("file:", "stdout": a whole spec
 * when it has no ':'), with its usage ("file:PATH") in *usage; NULL past
 * the last. For the shell completion (cmd/completion.c).
 */
const char *sink_spec__scheme(unsigned int i, const char **usage);
/* Whether a spec's ?key=value is a secret (a password): shown as key=***. */
bool sink_spec__secret_key(const char *key, size_t len);
/* spec into out (NUL-terminated, cut at outlen) with every secret value
 * shown as ***: for what is printed or logged. */
void sink_spec__redacted(const char *spec, char *out, size_t outlen);

/*
 * Queues one event line (with or without its "\n": a file gets exactly
 * one, a syslog message none). severity: 0..7 (6 info, 4 warning);
 * msgid: the event name; ts_real_ns: CLOCK_REALTIME of the event; pid: its
 * process (0: none). Never blocks, never allocates: a line the queue cannot
 * hold is dropped and counted.
 */
void sink__write(struct sink *s, const char *line, size_t len, const char *msgid, int severity,
		 int64_t ts_real_ns, uint32_t pid);

/*
 * sink__write() with the event behind the line, for the sinks that send
 * fields of their own (journald's, Kafka's key): e is NULL for the notes
 * sockscope adds (lost, resync), x may be NULL.
 */
void sink__write_event(struct sink *s, const char *line, size_t len, const char *msgid,
		       int severity, int64_t ts_real_ns, uint32_t pid, const struct ss_event *e,
		       const struct event_extra *x);

/*
 * Delivers what it can without blocking. now_mono_ns: CLOCK_MONOTONIC,
 * which times the backoff. status (may be NULL) gets "" or one line for
 * the daemon's log: the start of an outage ("connect: Connection refused;
 * retrying in 0.5 s, doubling to 30 s"), its end ("delivering again after
 * 12.0 s; 40 events dropped meanwhile"), or the queue overflowing (once
 * until it drains to half).
 */
void sink__pump(struct sink *s, int64_t now_mono_ns, char *status, size_t statuslen);

/*
 * SIGHUP: a file sink closes its file and opens PATH again at the next
 * pump (logrotate moved it); an AF_UNIX syslog sink reconnects (the
 * syslog daemon may have been restarted). Also retries a failing sink at
 * once instead of waiting out its backoff. Others: no-op.
 */
void sink__reopen(struct sink *s);

/*
 * Delivers for at most timeout_ms (waiting on the fd, and on the backoff
 * of a failing sink, within that time). Returns 0 when the queue is empty,
 * else -errno of the last failure or -ETIMEDOUT.
 */
int sink__flush(struct sink *s, int timeout_ms);

/*
 * SIGTERM: sink__flush(s, timeout_ms), then closes and frees. NULL-safe.
 * Returns the events that were not delivered: still queued, or (Kafka)
 * handed to librdkafka and never acknowledged.
 */
uint64_t sink__close(struct sink *s, int timeout_ms);

struct sink_stats {
	uint64_t written;      /* events delivered (to the kernel; Kafka: acknowledged
			   * by the broker) */
	uint64_t dropped;      /* events never delivered: queue full (e.g. during
			   * an outage), or too big to send */
	uint64_t failed;       /* events handed over but refused or never
			   * acknowledged (Kafka delivery reports) */
	uint64_t errors;       /* failed open/connect/write attempts */
	uint64_t cut;	       /* lines a failed write tore, cut off again */
	uint64_t queued;       /* events waiting in the queue */
	uint64_t queued_bytes; /* waiting in the queue */
	bool healthy;	       /* not in an outage */
};

void sink__stats(const struct sink *s, struct sink_stats *out);

/* The spec, for metrics labels. */
const char *sink__name(const struct sink *s);

#endif
