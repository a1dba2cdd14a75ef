/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Inside a sink (sink.h is the API). A sink is four parts, one file each:
 *
 *   spec.c      the spec string -> a transport and its options
 *   queue.c     the bounded ring of records waiting to go
 *   deliver.c   one delivery attempt: outage, backoff, status lines
 *   file.c, net.c   the transports: stdout and files; AF_UNIX, UDP, TCP
 *   kafka.c, journald.c   a librdkafka producer; journald's native socket
 *
 * and sink.c, the API that formats events into the queue and pumps it.
 *
 * Adding a transport is one new file defining a struct sink_transport, its
 * state in the union of struct sink, and one line in spec.c's scheme
 * table. A transport with no fd (the librdkafka producer) leaves fd at -1:
 * sink__flush() then retries on a timer. One with a record format of its
 * own (journald's fields) gives an encode() function.
 */
#ifndef SS_SINK_INTERNAL_H
#define SS_SINK_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "output/sinks/sink.h"

#define MSEC 1000000LL
#define SEC 1000000000LL
/* Records handed to the kernel in one call. */
#define SINK_BATCH 64

/* What the queue holds: an NDJSON line, or a syslog message (syslog5424.h). */
enum sink_format { FMT_NDJSON, FMT_RFC5424, FMT_LOCAL };

/* ---- queue.c ---- */

/*
 * A ring of records, each an 8-byte header (the length) then the bytes to
 * send, padded to 8. A record never wraps, so it is one iovec and, for a
 * datagram sink, one message: when one does not fit before the end, the
 * ring wraps early and the bytes from wrap_end to the end are unused.
 * Data lives in [head, tail), or [head, wrap_end) then [0, tail) when
 * wrapped.
 */
struct queue {
	char *buf;
	size_t cap;
	size_t head, tail, wrap_end;
	bool wrapped;
	size_t nrec;
	size_t bytes; /* payload bytes of the records held */
};

struct rec {
	uint32_t len;
	uint32_t _pad;
};

static inline char *rec_data(struct rec *r)
{
	return (char *)(r + 1);
}

/* Allocates cap bytes (rounded down to 8): 0 or -ENOMEM. */
int queue__init(struct queue *q, size_t cap);
void queue__free(struct queue *q);
/* Room for one record of len bytes, or NULL when the queue is full. */
char *queue__push(struct queue *q, size_t len);
/* Whether a record of len bytes could ever fit, even in an empty queue. */
bool queue__fits(const struct queue *q, size_t len);
/* The oldest record, NULL when empty. */
struct rec *queue__head(const struct queue *q);
void queue__pop(struct queue *q);
/* Up to max iovecs, one per record from the head (the first one starting
 * skip bytes in): the number filled. */
int queue__gather(const struct queue *q, size_t skip, struct iovec *iov, int max);

/* ---- transports ---- */

struct sink;

/* One event as sink__write_event() got it. */
struct sink_msg {
	const char *line; /* NDJSON, newline stripped */
	size_t len;
	const char *msgid;
	int severity;
	int64_t ts_real_ns;
	uint32_t pid;
	const struct ss_event *e;    /* NULL: a note (lost, resync) */
	const struct event_extra *x; /* may be NULL */
};

/*
 * A transport moves queued records to one kind of destination. Calls return
 * 0 or -errno; on a failure *op names the step for the status line
 * ("connect", "write"), as in "connect: Connection refused".
 */
struct sink_transport {
	/* For messages: "unknown option 'x' for a file sink (max_bytes,
	 * keep, queue_bytes)". */
	const char *what;
	const char *options;
	/* The default format. */
	enum sink_format format;
	/* Takes facility= and format=. */
	bool syslog;
	/* A byte stream of syslog messages: RFC 6587 octet counting before
	 * each. */
	bool framed;
	/* A failure ends the connection: reconnect, and resend a record cut
	 * in the middle. */
	bool close_on_error;
	/* Said after an outage's cause instead of "retrying in 0.5 s, doubling
	 * to 30 s", for a transport that retries by itself. */
	const char *outage_note;
	/* The spec after its scheme ("/var/log/x.json", "[::1]:514"); NULL:
	 * nothing to parse. */
	int (*parse)(struct sink *s, const char *rest, char *err, size_t errlen);
	/* An option of this transport: 0, -EINVAL with err, -ENOENT unknown.
	 * NULL: none. */
	int (*option)(struct sink *s, const char *key, const char *val, char *err, size_t errlen);
	/* Opens or connects, or checks the connection, before each delivery:
	 * 0 ready, -EINPROGRESS not yet (no failure), or -errno. */
	int (*ready)(struct sink *s, int64_t now, const char **op);
	/* Delivers records until the queue is empty (0), the destination is
	 * full (-EAGAIN) or a failure (-errno). -EINPROGRESS: handed over,
	 * but whether the destination works again is not known yet (no
	 * acknowledgement since the outage began): neither a new failure
	 * nor the end of the outage. */
	int (*drain)(struct sink *s, const char **op);
	/* For sink_drain_stream(): one writev-like call, bytes written or
	 * -errno (-EAGAIN: full). May write fewer iovecs than given. */
	ssize_t (*write)(struct sink *s, struct iovec *iov, int n, const char **op);
	/* SIGHUP (NULL: nothing to do). */
	void (*reopen)(struct sink *s);
	/* Closes what ready() opened; the next ready() opens it again. */
	void (*close)(struct sink *s);
	/* A record format of the transport's own (journald's fields, Kafka's
	 * key and headers): queues m with queue__push(); false when the
	 * queue is full, *want the size it needed. NULL: s->format. */
	bool (*encode)(struct sink *s, const struct sink_msg *m, size_t *want);
	/* Transports that queue on their own (librdkafka): sink__flush()
	 * waits for them once the sink's queue is empty, for at most
	 * timeout_ms; 0 or -ETIMEDOUT. pending(): events handed over and not
	 * acknowledged yet. NULL: nothing beyond the queue. */
	int (*flush)(struct sink *s, int timeout_ms);
	uint64_t (*pending)(const struct sink *s);
	/* Frees what parse() and option() allocated, after close(). */
	void (*destroy)(struct sink *s);
};

extern const struct sink_transport sink_stdout, sink_file;	  /* file.c */
extern const struct sink_transport sink_unix, sink_udp, sink_tcp; /* net.c */
extern const struct sink_transport sink_kafka;			  /* kafka.c */
extern const struct sink_transport sink_journald;		  /* journald.c */

struct kafka;
struct journald;

/* How stdout is written without blocking (see file.c). */
enum out_mode { OUT_WRITE, OUT_SEND, OUT_POLL };

/* Room for ".N" after a file path. */
#define SINK_SUFFIX_MAX 12

struct sink {
	char *name;
	const struct sink_transport *tr;
	enum sink_format format;
	int facility;
	char *hostname;
	char *app;

	int fd;	     /* -1: closed */
	bool own_fd; /* false: fd is our stdout, not ours to close */
	/* The transport's own state. */
	union {
		struct {
			enum out_mode mode;
		} out;
		struct {
			char path[PATH_MAX - SINK_SUFFIX_MAX]; /* + ".N" */
			uint64_t max_bytes;
			unsigned int keep;
			/* A regular file: its size means something. */
			bool rotatable;
			uint64_t size;
		} file;
		struct {
			struct sockaddr_storage addr;
			socklen_t addrlen;
			bool connecting;
			int64_t connect_start;
		} net;
		struct kafka *kafka;	   /* kafka.c */
		struct journald *journald; /* journald.c */
	} u;

	struct queue q;
	size_t head_off; /* bytes of the head record already written */

	bool outage;
	int64_t outage_start;
	int64_t retry_at;
	int64_t backoff;
	int last_err;
	uint64_t dropped_at_outage, failed_at_outage;
	/* A transport's own words for a failure (librdkafka's reason), in
	 * place of strerror() in the outage line; NULL: strerror(). */
	const char *fail_why;
	bool overflow; /* dropped since the queue was last half empty */
	bool overflow_told;
	size_t oversize; /* an event too big to send was dropped: its size */
	const char *oversize_why;

	uint64_t written, dropped, failed, errors;
	uint64_t cut; /* lines torn by a failed write, cut off again (file.c) */
};

/* ---- spec.c ---- */

/* Fills s->tr, the format and the options from spec; 0, -EINVAL with a
 * reason in err, or -ENOMEM. */
int sink_parse_spec(struct sink *s, const char *spec, char *err, size_t errlen);
/* "/p" or "///p" (the URL form of file:, syslog+unix:) -> "/p"; NULL for
 * "//relative". */
const char *sink_spec_path(const char *rest);

/* ---- deliver.c ---- */

/* The status line of one pump: messages joined by "; ". */
struct report {
	char *buf;
	size_t cap;
};

void sink_report(struct report *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One delivery attempt: starts or ends an outage, reported in rep. */
void sink_deliver(struct sink *s, int64_t now, struct report *rep);
/* n bytes from the head went out: pops the records they complete. */
void sink_consume(struct sink *s, size_t n);
/* An event that can never be sent: counted, told at the next pump. */
void sink_drop_oversize(struct sink *s, size_t len, const char *why);
/* drain() of byte streams, through tr->write(); partial writes resume
 * where they stopped. */
int sink_drain_stream(struct sink *s, const char **op);
/* close() of fd transports. */
void sink_close_fd(struct sink *s);

#endif
