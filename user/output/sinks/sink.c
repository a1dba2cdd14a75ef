// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "output/sinks/sink.h"
#include "output/sinks/syslog5424.h"

#define MSEC 1000000LL
#define SEC 1000000000LL
#define BACKOFF_MIN (500 * MSEC)
#define BACKOFF_MAX (30 * SEC)
/* A collector that drops SYNs would leave us "connecting" for minutes. */
#define CONNECT_TIMEOUT (10 * SEC)
/* Data unacknowledged this long ends the connection (then we reconnect)
 * instead of filling the socket buffer of a dead peer forever. */
#define TCP_UNACKED_MS 30000
#define BATCH 64
#define QUEUE_DEFAULT (4ull << 20)
#define QUEUE_MIN 1024ull
#define QUEUE_MAX (1ull << 30)
#define FILE_MAX_DEFAULT (10ull << 20)
#define KEEP_DEFAULT 5u
#define KEEP_MAX 1000u
#define SYSLOG_PORT "514"
#define DEV_LOG "/dev/log"
/* Room for ".N" after a path. */
#define SUFFIX_MAX 12
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum sink_kind { SINK_STDOUT, SINK_FILE, SINK_UNIX, SINK_UDP, SINK_TCP };
enum sink_format { FMT_NDJSON, FMT_RFC5424, FMT_LOCAL };
/* How stdout is written without blocking (see stdout__open). */
enum out_mode { OUT_WRITE, OUT_SEND, OUT_POLL };

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

struct sink {
	char *name;
	enum sink_kind kind;
	enum sink_format format;
	int facility;
	char *hostname;
	char *app;
	char *path; /* file, unix */
	struct sockaddr_storage addr; /* unix, udp, tcp */
	socklen_t addrlen;
	uint64_t max_bytes;
	unsigned int keep;

	int fd;
	bool own_fd; /* false: fd is our stdout, not ours to close */
	enum out_mode out_mode;
	bool connecting;
	int64_t connect_start;
	bool rotatable; /* a regular file: its size means something */
	uint64_t file_size;

	struct queue q;
	size_t head_off; /* bytes of the head record already written */

	bool outage;
	int64_t outage_start;
	int64_t retry_at;
	int64_t backoff;
	int last_err;
	uint64_t dropped_at_outage;
	bool overflow; /* dropped since the queue was last half empty */
	bool overflow_told;
	size_t oversize; /* an event too big to send was dropped: its size */
	const char *oversize_why;

	uint64_t written, dropped, errors;
};

struct report {
	char *buf;
	size_t cap;
};

/* ---- queue ---- */

static size_t rec_size(size_t len)
{
	return (sizeof(struct rec) + len + 7) & ~(size_t)7;
}

static struct rec *rec_at(const struct queue *q, size_t pos)
{
	return (struct rec *)(void *)(q->buf + pos);
}

static char *rec_data(struct rec *r)
{
	return (char *)(r + 1);
}

/* Room for one record of len bytes, or NULL when the queue is full. */
static char *queue__push(struct queue *q, size_t len)
{
	size_t need = rec_size(len);
	size_t at;
	struct rec *r;

	if (len > UINT32_MAX || need > q->cap)
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

static struct rec *queue__head(const struct queue *q)
{
	return q->nrec ? rec_at(q, q->head) : NULL;
}

static void queue__pop(struct queue *q)
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

/* Walks records from the head: *pos and *wrapped are the cursor. */
static struct rec *queue__next(const struct queue *q, size_t *pos,
			       bool *wrapped)
{
	struct rec *r;

	if (*wrapped && *pos == q->wrap_end) {
		*pos = 0;
		*wrapped = false;
	}
	r = rec_at(q, *pos);
	*pos += rec_size(r->len);
	return r;
}

/* ---- reporting ---- */

static void report(struct report *rep, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Appends to the one status line ("; " between two messages). */
static void report(struct report *rep, const char *fmt, ...)
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

static const char *errstr(int err, char *buf, size_t len)
{
	/* GNU strerror_r: thread-safe, returns the text to use. */
	return strerror_r(err < 0 ? -err : err, buf, len);
}

static int64_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * SEC + ts.tv_nsec;
}

/* ---- parsing ---- */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int parse_size(const char *v, uint64_t *out)
{
	unsigned long long n;
	unsigned int shift = 0;
	char *end;

	if (!isdigit((unsigned char)*v))
		return -EINVAL;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	}
	if (*end || n > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)n << shift;
	return 0;
}

static const struct {
	const char *name;
	int code;
} facilities[] = {
	{ "kern", 0 },	   { "user", 1 },	{ "mail", 2 },	   { "daemon", 3 },
	{ "auth", 4 },	   { "syslog", 5 },	{ "lpr", 6 },	   { "news", 7 },
	{ "uucp", 8 },	   { "cron", 9 },	{ "authpriv", 10 }, { "ftp", 11 },
	{ "local0", 16 }, { "local1", 17 }, { "local2", 18 }, { "local3", 19 },
	{ "local4", 20 }, { "local5", 21 }, { "local6", 22 }, { "local7", 23 },
};

/* Plain decimal, no suffix. */
static int parse_count(const char *v, uint64_t max, uint64_t *out)
{
	for (const char *p = v; *p; p++)
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
	if (!*v || strlen(v) > 10 || parse_size(v, out) || *out > max)
		return -EINVAL;
	return 0;
}

static int parse_facility(const char *v, int *out)
{
	uint64_t n;

	for (size_t i = 0; i < ARRAY_SIZE(facilities); i++) {
		if (!strcmp(v, facilities[i].name)) {
			*out = facilities[i].code;
			return 0;
		}
	}
	if (parse_count(v, 23, &n))
		return -EINVAL;
	*out = (int)n;
	return 0;
}

/* "k=v&k=v", in a copy we may cut. */
static int parse_options(struct sink *s, char *opts, char *err, size_t errlen)
{
	bool is_syslog = s->kind == SINK_UNIX || s->kind == SINK_UDP ||
			 s->kind == SINK_TCP;
	char *save = NULL;

	for (char *kv = strtok_r(opts, "&", &save); kv;
	     kv = strtok_r(NULL, "&", &save)) {
		char *v = strchr(kv, '=');
		uint64_t n;

		if (!v || v == kv || !v[1]) {
			set_err(err, errlen, "option '%s': expected key=value",
				kv);
			return -EINVAL;
		}
		*v++ = '\0';
		if (!strcmp(kv, "queue_bytes")) {
			if (parse_size(v, &n) || n < QUEUE_MIN ||
			    n > QUEUE_MAX) {
				set_err(err, errlen,
					"queue_bytes '%s': a size from 1K to 1G",
					v);
				return -EINVAL;
			}
			s->q.cap = (size_t)n & ~(size_t)7;
		} else if (!strcmp(kv, "max_bytes") && s->kind == SINK_FILE) {
			if (parse_size(v, &s->max_bytes)) {
				set_err(err, errlen,
					"max_bytes '%s': a size such as 10485760 or 10M",
					v);
				return -EINVAL;
			}
		} else if (!strcmp(kv, "keep") && s->kind == SINK_FILE) {
			if (parse_count(v, KEEP_MAX, &n)) {
				set_err(err, errlen, "keep '%s': a count from 0 to %u",
					v, KEEP_MAX);
				return -EINVAL;
			}
			s->keep = (unsigned int)n;
		} else if (!strcmp(kv, "facility") && is_syslog) {
			if (parse_facility(v, &s->facility)) {
				set_err(err, errlen,
					"facility '%s': daemon, user, local0..local7, ... or 0..23",
					v);
				return -EINVAL;
			}
		} else if (!strcmp(kv, "format") && is_syslog) {
			if (!strcmp(v, "rfc5424")) {
				s->format = FMT_RFC5424;
			} else if (!strcmp(v, "local")) {
				s->format = FMT_LOCAL;
			} else {
				set_err(err, errlen,
					"format '%s': rfc5424 or local", v);
				return -EINVAL;
			}
		} else {
			set_err(err, errlen, "unknown option '%s' for %s (%s)", kv,
				s->kind == SINK_FILE ? "a file sink" :
				is_syslog	     ? "a syslog sink" :
						       "stdout",
				s->kind == SINK_FILE ?
					"max_bytes, keep, queue_bytes" :
				is_syslog ? "facility, format, queue_bytes" :
					    "queue_bytes");
			return -EINVAL;
		}
	}
	return 0;
}

/* "file:/p" or "file:///p" (the URL form). */
static const char *path_of(const char *rest)
{
	if (!strncmp(rest, "//", 2))
		return rest[2] == '/' ? rest + 2 : NULL;
	return rest;
}

static int parse_unix(struct sink *s, const char *path, char *err,
		      size_t errlen)
{
	struct sockaddr_un *sa = (struct sockaddr_un *)&s->addr;

	if (!path || !*path || strlen(path) >= sizeof(sa->sun_path)) {
		set_err(err, errlen, "syslog+unix: a socket path of 1 to %zu bytes",
			sizeof(sa->sun_path) - 1);
		return -EINVAL;
	}
	sa->sun_family = AF_UNIX;
	strcpy(sa->sun_path, path);
	s->addrlen = sizeof(*sa);
	s->path = strdup(path);
	return s->path ? 0 : -ENOMEM;
}

/* "HOST[:PORT]", HOST numeric, IPv6 in brackets. */
static int parse_hostport(struct sink *s, const char *hp, char *err,
			  size_t errlen)
{
	const char *kind = s->kind == SINK_TCP ? "syslog+tcp" : "syslog+udp";
	struct addrinfo hints, *ai = NULL;
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	const char *port = SYSLOG_PORT;
	const char *end;
	size_t hlen;
	int r;

	if (*hp == '[') {
		end = strchr(hp, ']');
		if (!end) {
			set_err(err, errlen, "%s: '%s': missing ']'", kind, hp);
			return -EINVAL;
		}
		hp++;
		hlen = (size_t)(end - hp);
		end++;
	} else {
		end = strchr(hp, ':');
		if (end && strchr(end + 1, ':')) {
			set_err(err, errlen,
				"%s: '%s': an IPv6 address goes in brackets, e.g. [::1]:514",
				kind, hp);
			return -EINVAL;
		}
		hlen = end ? (size_t)(end - hp) : strlen(hp);
		if (!end)
			end = hp + hlen;
	}
	if (*end == ':') {
		uint64_t n;

		port = end + 1;
		if (parse_count(port, 65535, &n) || !n) {
			set_err(err, errlen, "%s: port '%s': 1 to 65535", kind,
				end + 1);
			return -EINVAL;
		}
	} else if (*end) {
		set_err(err, errlen, "%s: unexpected '%s' after the address",
			kind, end);
		return -EINVAL;
	}
	if (!hlen || hlen >= sizeof(host)) {
		set_err(err, errlen, "%s: missing or too long address", kind);
		return -EINVAL;
	}
	memcpy(host, hp, hlen);
	host[hlen] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = s->kind == SINK_TCP ? SOCK_STREAM : SOCK_DGRAM;
	r = getaddrinfo(host, port, &hints, &ai);
	if (r || !ai || ai->ai_addrlen > sizeof(s->addr)) {
		set_err(err, errlen,
			"%s: '%s' is not a numeric IP address (names are not resolved: a DNS outage must not stall the tracer)",
			kind, host);
		if (ai)
			freeaddrinfo(ai);
		return -EINVAL;
	}
	memcpy(&s->addr, ai->ai_addr, ai->ai_addrlen);
	s->addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static int parse_spec(struct sink *s, const char *spec, char *err,
		      size_t errlen)
{
	char *copy = strdup(spec);
	char *opts, *rest;
	const char *path;
	int r = -EINVAL;

	if (!copy)
		return -ENOMEM;
	opts = strchr(copy, '?');
	if (opts)
		*opts++ = '\0';
	if (!strcmp(copy, "stdout")) {
		s->kind = SINK_STDOUT;
	} else if (!strncmp(copy, "file:", 5)) {
		s->kind = SINK_FILE;
		path = path_of(copy + 5);
		if (!path || !*path ||
		    strlen(path) + SUFFIX_MAX >= PATH_MAX) {
			set_err(err, errlen,
				"file: expected file:PATH or file:///PATH");
			goto out;
		}
		s->path = strdup(path);
		if (!s->path) {
			r = -ENOMEM;
			goto out;
		}
	} else if (!strcmp(copy, "syslog")) {
		s->kind = SINK_UNIX;
		r = parse_unix(s, DEV_LOG, err, errlen);
		if (r)
			goto out;
	} else if (!strncmp(copy, "syslog+unix:", 12)) {
		s->kind = SINK_UNIX;
		r = parse_unix(s, path_of(copy + 12), err, errlen);
		if (r)
			goto out;
	} else if (!strncmp(copy, "syslog+udp://", 13) ||
		   !strncmp(copy, "syslog+tcp://", 13)) {
		s->kind = copy[7] == 't' ? SINK_TCP : SINK_UDP;
		rest = copy + 13;
		r = parse_hostport(s, rest, err, errlen);
		if (r)
			goto out;
	} else {
		set_err(err, errlen,
			"unknown sink '%s' (stdout, file:PATH, syslog, syslog+unix:PATH, syslog+udp://HOST:PORT, syslog+tcp://HOST:PORT)",
			copy);
		goto out;
	}
	switch (s->kind) {
	case SINK_STDOUT:
	case SINK_FILE:
		s->format = FMT_NDJSON;
		break;
	case SINK_UNIX:
		s->format = FMT_LOCAL;
		break;
	case SINK_UDP:
	case SINK_TCP:
		s->format = FMT_RFC5424;
		break;
	}
	r = opts ? parse_options(s, opts, err, errlen) : 0;
out:
	free(copy);
	return r;
}

/* ---- transports ---- */

static void transport__close(struct sink *s)
{
	if (s->fd >= 0 && s->own_fd)
		close(s->fd);
	s->fd = -1;
	s->connecting = false;
}

static int stdout__open(struct sink *s)
{
	struct stat st;
	int fd;

	if (fstat(STDOUT_FILENO, &st))
		return -errno;
	s->fd = STDOUT_FILENO;
	s->own_fd = false;
	if (S_ISSOCK(st.st_mode)) {
		/* e.g. journald's stream under systemd: MSG_DONTWAIT is
		 * per call and leaves the shared file alone. */
		s->out_mode = OUT_SEND;
	} else if (S_ISREG(st.st_mode)) {
		s->out_mode = OUT_WRITE;
	} else {
		/*
		 * Setting O_NONBLOCK on fd 1 would change the file
		 * description we share with the shell or the terminal;
		 * opening it again gives a description of our own. Failing
		 * that, poll before each write of at most PIPE_BUF.
		 */
		fd = open("/proc/self/fd/1",
			  O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		if (fd >= 0) {
			s->fd = fd;
			s->own_fd = true;
			s->out_mode = OUT_WRITE;
		} else {
			s->out_mode = OUT_POLL;
		}
	}
	return 0;
}

/* mkdir -p of the file's directory (0755): a log directory that does not
 * exist yet is created, as logging daemons do. */
static void file__make_dir(const char *path)
{
	char dir[PATH_MAX];
	char *p;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return;
	p = strrchr(dir, '/');
	if (!p || p == dir)
		return;
	*p = '\0';
	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(dir, 0755);
		*p = '/';
	}
	mkdir(dir, 0755);
}

static int file__open(struct sink *s)
{
	struct stat st;
	int fd;

	file__make_dir(s->path);
	/* O_NONBLOCK: a FIFO at PATH must not block us in open() or write(). */
	fd = open(s->path,
		  O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY |
			  O_NONBLOCK,
		  0640);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		int err = -errno;

		close(fd);
		return err;
	}
	s->fd = fd;
	s->own_fd = true;
	s->rotatable = S_ISREG(st.st_mode);
	s->file_size = (uint64_t)st.st_size;
	return 0;
}

/* Deleted while we hold it (to free space on a full disk): our fd alone
 * would keep its blocks allocated. */
static bool file__unlinked(const struct sink *s)
{
	struct stat st;

	return s->fd >= 0 && !fstat(s->fd, &st) && st.st_nlink == 0;
}

/* PATH -> PATH.1 -> ... -> PATH.keep; what was PATH.keep is replaced. */
static int file__rotate(struct sink *s, const char **op)
{
	char from[PATH_MAX], to[PATH_MAX];
	int r;

	if (!s->keep) {
		if (unlink(s->path) && errno != ENOENT)
			goto fail;
	} else {
		for (unsigned int i = s->keep - 1; i >= 1; i--) {
			snprintf(from, sizeof(from), "%s.%u", s->path, i);
			snprintf(to, sizeof(to), "%s.%u", s->path, i + 1);
			/* A missing PATH.i is a gap (fewer files so far). */
			if (rename(from, to) && errno != ENOENT)
				goto fail;
		}
		snprintf(to, sizeof(to), "%s.1", s->path);
		if (rename(s->path, to) && errno != ENOENT)
			goto fail;
	}
	transport__close(s);
	r = file__open(s);
	if (r)
		*op = "open";
	return r;
fail:
	/* The file stays as it is and events wait in the queue: writing on
	 * would grow a file the operator bounded. Retried after the backoff. */
	*op = "rotate";
	return -errno;
}

static int net__connect_check(struct sink *s, int64_t now)
{
	struct pollfd p = { .fd = s->fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int soerr = 0;

	if (poll(&p, 1, 0) == 0)
		return now - s->connect_start >= CONNECT_TIMEOUT ? -ETIMEDOUT :
								   -EINPROGRESS;
	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &len))
		return -errno;
	if (soerr)
		return -soerr;
	s->connecting = false;
	return 0;
}

static int net__open(struct sink *s, int64_t now)
{
	int type = s->kind == SINK_TCP ? SOCK_STREAM : SOCK_DGRAM;
	int fd;

	fd = socket(s->addr.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	s->fd = fd;
	s->own_fd = true;
	if (s->kind == SINK_TCP) {
		unsigned int ms = TCP_UNACKED_MS;

		/* Best effort: without it a dead peer is noticed later. */
		(void)setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms,
				 sizeof(ms));
	}
	/* Connected even for datagrams: the kernel then reports the
	 * collector's ICMP errors (and a gone /dev/log owner) to us. */
	if (connect(fd, (struct sockaddr *)&s->addr, s->addrlen)) {
		if (errno != EINPROGRESS)
			return -errno;
		s->connecting = true;
		s->connect_start = now;
		/* On loopback the answer is already there. */
		return net__connect_check(s, now);
	}
	return 0;
}

static int transport__open(struct sink *s, int64_t now, const char **op)
{
	switch (s->kind) {
	case SINK_STDOUT:
		*op = "stdout";
		return stdout__open(s);
	case SINK_FILE:
		*op = "open";
		return file__open(s);
	case SINK_UNIX:
	case SINK_UDP:
	case SINK_TCP:
		*op = "connect";
		return net__open(s, now);
	}
	return -EINVAL;
}

/* The collector never talks to us: readable means it closed (or reset)
 * the connection. Checked before sending, so no event goes into a socket
 * whose peer is already gone. */
static int tcp__check_peer(struct sink *s)
{
	char c;
	ssize_t n = recv(s->fd, &c, 1, MSG_DONTWAIT | MSG_PEEK);

	if (n == 0)
		return -EPIPE;
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		return -errno;
	return 0;
}

/* ---- delivery ---- */

static void consume(struct sink *s, size_t n)
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

/* Up to BATCH records from the head, at most limit bytes (the first one
 * always, however long). */
static int gather(struct sink *s, struct iovec *iov, uint64_t limit)
{
	size_t pos = s->q.head;
	bool wrapped = s->q.wrapped;
	uint64_t sum = 0;
	int n = 0;

	for (size_t i = 0; i < s->q.nrec && n < BATCH; i++) {
		struct rec *r = queue__next(&s->q, &pos, &wrapped);
		size_t off = i ? 0 : s->head_off;

		if (n && sum + r->len > limit)
			break;
		iov[n].iov_base = rec_data(r) + off;
		iov[n].iov_len = r->len - off;
		sum += iov[n].iov_len;
		n++;
	}
	return n;
}

static ssize_t stream__write(struct sink *s, struct iovec *iov, int n)
{
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)n };
	struct pollfd p = { .fd = s->fd, .events = POLLOUT };
	size_t sum = 0;

	if (s->kind == SINK_TCP ||
	    (s->kind == SINK_STDOUT && s->out_mode == OUT_SEND))
		return sendmsg(s->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (s->kind == SINK_STDOUT && s->out_mode == OUT_POLL) {
		/* Writable means room for PIPE_BUF bytes in a pipe. */
		if (poll(&p, 1, 0) == 0) {
			errno = EAGAIN;
			return -1;
		}
		for (int i = 0; i < n; i++) {
			if (sum + iov[i].iov_len > PIPE_BUF) {
				if (!i)
					iov[i].iov_len = PIPE_BUF;
				n = i ? i : 1;
				break;
			}
			sum += iov[i].iov_len;
		}
	}
	return writev(s->fd, iov, n);
}

static bool file__needs_rotation(const struct sink *s)
{
	struct rec *r = queue__head(&s->q);

	return s->kind == SINK_FILE && s->rotatable && s->max_bytes &&
	       !s->head_off && s->file_size &&
	       s->file_size + r->len > s->max_bytes;
}

/* stdout, file, TCP: 0 when empty, -EAGAIN when the fd is full, or -errno
 * with *op naming what failed. */
static int drain_stream(struct sink *s, const char **op)
{
	struct iovec iov[BATCH];

	while (s->q.nrec) {
		uint64_t limit = UINT64_MAX;
		ssize_t w;
		int n, r;

		if (file__needs_rotation(s)) {
			r = file__rotate(s, op);
			if (r)
				return r;
		}
		if (s->kind == SINK_FILE && s->rotatable && s->max_bytes)
			limit = s->max_bytes > s->file_size ?
					s->max_bytes - s->file_size :
					0;
		n = gather(s, iov, limit);
		w = stream__write(s, iov, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return -EAGAIN;
			*op = s->kind == SINK_TCP ? "send" : "write";
			return -errno;
		}
		if (!w)
			return -EAGAIN;
		consume(s, (size_t)w);
		s->file_size += (uint64_t)w;
	}
	return 0;
}

static void drop_oversize(struct sink *s, size_t len, const char *why)
{
	s->oversize = len;
	s->oversize_why = why;
	s->dropped++;
}

/* AF_UNIX, UDP: one record, one datagram. */
static int drain_dgram(struct sink *s, const char **op)
{
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];

	while (s->q.nrec) {
		int n = gather(s, iov, UINT64_MAX);
		int sent;

		memset(mm, 0, sizeof(mm[0]) * (size_t)n);
		for (int i = 0; i < n; i++) {
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		sent = sendmmsg(s->fd, mm, (unsigned int)n,
				MSG_DONTWAIT | MSG_NOSIGNAL);
		if (sent < 0) {
			if (errno == EINTR)
				continue;
			/* ENOBUFS: the local device queue, not the peer. */
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == ENOBUFS)
				return -EAGAIN;
			if (errno == EMSGSIZE) {
				/* Retrying would never work: drop it, go on. */
				drop_oversize(s, iov[0].iov_len,
					      "too big for one datagram");
				s->errors++;
				queue__pop(&s->q);
				continue;
			}
			*op = "send";
			return -errno;
		}
		for (int i = 0; i < sent; i++) {
			queue__pop(&s->q);
			s->written++;
		}
	}
	return 0;
}

static void fail(struct sink *s, int64_t now, struct report *rep,
		 const char *op, int err)
{
	char eb[128];

	s->errors++;
	s->last_err = err;
	switch (s->kind) {
	case SINK_TCP:
		/* A frame cut by a lost connection is discarded by the
		 * collector: send it whole on the next one. */
		s->head_off = 0;
		transport__close(s);
		break;
	case SINK_UNIX:
	case SINK_UDP:
		transport__close(s);
		break;
	case SINK_FILE:
	case SINK_STDOUT:
		/* A failed write (ENOSPC) leaves a good fd: the rest of a
		 * partly written line goes to the same file when it works. */
		break;
	}
	s->backoff = s->backoff ? s->backoff * 2 : BACKOFF_MIN;
	if (s->backoff > BACKOFF_MAX)
		s->backoff = BACKOFF_MAX;
	s->retry_at = now + s->backoff;
	if (s->outage)
		return;
	s->outage = true;
	s->outage_start = now;
	s->dropped_at_outage = s->dropped;
	report(rep, "%s: %s; retrying in %.1f s, doubling to %lld s", op,
	       err == -EPIPE && !strcmp(op, "connection") ?
		       "closed by the collector" :
		       errstr(err, eb, sizeof(eb)),
	       (double)s->backoff / SEC, BACKOFF_MAX / SEC);
}

static void recover(struct sink *s, int64_t now, struct report *rep)
{
	s->outage = false;
	s->backoff = 0;
	s->retry_at = 0;
	report(rep, "delivering again after %.1f s; %llu events dropped meanwhile",
	       (double)(now - s->outage_start) / SEC,
	       (unsigned long long)(s->dropped - s->dropped_at_outage));
}

static void deliver(struct sink *s, int64_t now, struct report *rep)
{
	const char *op = "write";
	int err;

	if (s->kind == SINK_FILE && s->outage && file__unlinked(s)) {
		/* A new file starts with a whole line, not the rest of one. */
		s->head_off = 0;
		transport__close(s);
	}
	if (s->fd < 0) {
		err = transport__open(s, now, &op);
		if (err && err != -EINPROGRESS)
			goto fail;
	}
	if (s->connecting) {
		op = "connect";
		err = net__connect_check(s, now);
		if (err == -EINPROGRESS)
			return;
		if (err)
			goto fail;
	}
	if (s->kind == SINK_TCP) {
		op = "connection";
		err = tcp__check_peer(s);
		if (err)
			goto fail;
	}
	if (s->kind == SINK_UNIX || s->kind == SINK_UDP)
		err = drain_dgram(s, &op);
	else
		err = drain_stream(s, &op);
	if (err && err != -EAGAIN)
		goto fail;
	if (s->outage)
		recover(s, now, rep);
	return;
fail:
	fail(s, now, rep, op, err);
}

/* ---- API ---- */

int sink__open(struct sink **out, const char *spec, const char *hostname,
	       const char *app, char *err, size_t errlen)
{
	struct sink *s;
	int r;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (!spec) {
		set_err(err, errlen, "no sink given");
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fd = -1;
	s->facility = SYSLOG_FAC_DAEMON;
	s->max_bytes = FILE_MAX_DEFAULT;
	s->keep = KEEP_DEFAULT;
	s->q.cap = QUEUE_DEFAULT;
	s->name = strdup(spec);
	s->hostname = hostname ? strdup(hostname) : NULL;
	s->app = app ? strdup(app) : NULL;
	if (!s->name || (hostname && !s->hostname) || (app && !s->app)) {
		r = -ENOMEM;
		goto fail;
	}
	r = parse_spec(s, spec, err, errlen);
	if (r)
		goto fail;
	/* Pages are only touched as the queue fills. */
	s->q.buf = malloc(s->q.cap);
	if (!s->q.buf) {
		r = -ENOMEM;
		goto fail;
	}
	*out = s;
	return 0;
fail:
	if (r == -ENOMEM)
		set_err(err, errlen, "out of memory");
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

void sink__write(struct sink *s, const char *line, size_t len,
		 const char *msgid, int severity, int64_t ts_real_ns,
		 uint32_t pid)
{
	char hdr[SYSLOG5424_HEADER_MAX], pre[24];
	size_t hlen, plen = 0, msglen, want;
	char *p;

	if (s->format == FMT_NDJSON) {
		bool nl = len && line[len - 1] == '\n';

		if (!len)
			return;
		want = len + !nl;
		p = queue__push(&s->q, want);
		if (!p)
			goto drop;
		memcpy(p, line, len);
		if (!nl)
			p[len] = '\n';
		return;
	}
	if (len && line[len - 1] == '\n')
		len--;
	if (s->format == FMT_RFC5424)
		hlen = syslog5424_header(hdr, sizeof(hdr), s->facility,
					 severity, ts_real_ns, s->hostname,
					 s->app, pid, msgid);
	else
		hlen = syslog_local_header(hdr, sizeof(hdr), s->facility,
					   severity, ts_real_ns, s->app, pid);
	msglen = hlen + (len ? 1 + len : 0);
	if (s->kind == SINK_TCP)
		plen = syslog5424_frame_prefix(pre, sizeof(pre), msglen);
	want = plen + msglen;
	p = queue__push(&s->q, want);
	if (!p)
		goto drop;
	memcpy(p, pre, plen);
	memcpy(p + plen, hdr, hlen);
	if (len) {
		p[plen + hlen] = ' ';
		memcpy(p + plen + hlen + 1, line, len);
	}
	return;
drop:
	if (rec_size(want) > s->q.cap) {
		drop_oversize(s, want, "larger than the queue");
		return;
	}
	s->dropped++;
	s->overflow = true;
}

void sink__pump(struct sink *s, int64_t now_mono_ns, char *status,
		size_t statuslen)
{
	struct report rep = { status, statuslen };

	if (status && statuslen)
		status[0] = '\0';
	if (!s->outage || now_mono_ns >= s->retry_at)
		deliver(s, now_mono_ns, &rep);
	if (s->oversize) {
		report(&rep, "dropped an event of %zu bytes: %s", s->oversize,
		       s->oversize_why);
		s->oversize = 0;
	}
	if (s->overflow && !s->overflow_told) {
		report(&rep, "queue full (%zu bytes): dropping events",
		       s->q.cap);
		s->overflow_told = true;
	}
	/* Half empty again: the next overflow is news. */
	if (s->overflow && s->q.bytes <= s->q.cap / 2)
		s->overflow = s->overflow_told = false;
}

void sink__reopen(struct sink *s)
{
	switch (s->kind) {
	case SINK_FILE:
		if (s->fd >= 0 && s->head_off) {
			/* Finish the line in the old file if that works at
			 * once; if not, the new file gets it whole. */
			struct rec *r = queue__head(&s->q);
			size_t rest = r->len - s->head_off;

			if (write(s->fd, rec_data(r) + s->head_off, rest) ==
			    (ssize_t)rest)
				consume(s, rest);
			s->head_off = 0;
		}
		transport__close(s);
		break;
	case SINK_UNIX:
		transport__close(s);
		break;
	case SINK_STDOUT:
	case SINK_UDP:
	case SINK_TCP:
		break;
	}
	s->retry_at = 0;
}

int sink__flush(struct sink *s, int timeout_ms)
{
	int64_t deadline = mono_now() + (int64_t)timeout_ms * MSEC;

	for (;;) {
		int64_t now = mono_now(), wait;
		uint64_t before = s->written + s->dropped;
		size_t before_off = s->head_off;
		struct pollfd p;
		int ms;

		if (!s->outage || now >= s->retry_at)
			deliver(s, now, NULL);
		if (!s->q.nrec)
			return 0;
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

void sink__close(struct sink *s, int timeout_ms)
{
	if (!s)
		return;
	if (timeout_ms > 0 && s->q.buf)
		sink__flush(s, timeout_ms);
	transport__close(s);
	free(s->q.buf);
	free(s->path);
	free(s->app);
	free(s->hostname);
	free(s->name);
	free(s);
}

void sink__stats(const struct sink *s, struct sink_stats *out)
{
	out->written = s->written;
	out->dropped = s->dropped;
	out->errors = s->errors;
	out->queued_bytes = s->q.bytes - s->head_off;
	out->healthy = !s->outage;
}

const char *sink__name(const struct sink *s)
{
	return s->name;
}
