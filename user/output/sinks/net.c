// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The socket transports of syslog: AF_UNIX and UDP datagrams (one record,
 * one message) and TCP (a byte stream of octet-counted frames). Sockets
 * are non-blocking and connected, even for datagrams: the kernel then
 * reports the collector's ICMP errors (and a gone /dev/log owner) to us.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/parse.h"
#include "output/sinks/sink_internal.h"

/* A collector that drops SYNs would leave us "connecting" for minutes. */
#define CONNECT_TIMEOUT (10 * SEC)
/* Data unacknowledged this long ends the connection (then we reconnect)
 * instead of filling the socket buffer of a dead peer forever. */
#define TCP_UNACKED_MS 30000

static bool is_tcp(const struct sink *s)
{
	return s->tr == &sink_tcp;
}

/* ---- addresses ---- */

static int unix_parse(struct sink *s, const char *rest, char *err, size_t errlen)
{
	struct sockaddr_un *sa = (struct sockaddr_un *)&s->u.net.addr;
	const char *path = sink_spec_path(rest);

	if (!path || !*path || strlen(path) >= sizeof(sa->sun_path))
		return errf(err, errlen, -EINVAL, "syslog+unix: a socket path of 1 to %zu bytes",
			    sizeof(sa->sun_path) - 1);
	sa->sun_family = AF_UNIX;
	strcpy(sa->sun_path, path);
	s->u.net.addrlen = sizeof(*sa);
	return 0;
}

/* "HOST:PORT": a numeric address, IPv6 in brackets. The port is required,
 * as documented: collectors listen on 514, 601, 6514 or anything else. */
static int inet_parse(struct sink *s, const char *rest, char *err, size_t errlen)
{
	const char *kind = is_tcp(s) ? "syslog+tcp" : "syslog+udp";
	const char *why = NULL;
	struct addrport ap;

	if (!*rest)
		return errf(err, errlen, -EINVAL, "%s: missing address", kind);
	if (parse_addrport(rest, 0, &ap, &why)) {
		if (why && !strncmp(why, "bad IPv", 7))
			return errf(
				err, errlen, -EINVAL,
				"%s: '%.*s' is not a numeric IP address "
				"(names are not resolved: a DNS outage "
				"must not stall the tracer)",
				kind,
				(int)(*rest == '[' ? strcspn(rest, "]") + 1 : strcspn(rest, ":")),
				rest);
		return errf(err, errlen, -EINVAL, "%s: '%s': %s", kind, rest,
			    why ? why : "expected HOST:PORT");
	}
	s->u.net.addrlen = addrport_sockaddr(&ap, &s->u.net.addr);
	return 0;
}

/* ---- connecting ---- */

static void net_close(struct sink *s)
{
	sink_close_fd(s);
	s->u.net.connecting = false;
}

static int connect_check(struct sink *s, int64_t now)
{
	struct pollfd p = {.fd = s->fd, .events = POLLOUT};
	socklen_t len = sizeof(int);
	int soerr = 0;

	if (poll(&p, 1, 0) == 0)
		return now - s->u.net.connect_start >= CONNECT_TIMEOUT ? -ETIMEDOUT : -EINPROGRESS;
	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &len))
		return -errno;
	if (soerr)
		return -soerr;
	s->u.net.connecting = false;
	return 0;
}

static int net_open(struct sink *s, int64_t now)
{
	int type = is_tcp(s) ? SOCK_STREAM : SOCK_DGRAM;
	int fd;

	fd = socket(s->u.net.addr.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	s->fd = fd;
	s->own_fd = true;
	if (is_tcp(s)) {
		unsigned int ms = TCP_UNACKED_MS;

		/* Best effort: without it a dead peer is noticed later. */
		(void)setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof(ms));
	}
	if (connect(fd, (struct sockaddr *)&s->u.net.addr, s->u.net.addrlen)) {
		if (errno != EINPROGRESS)
			return -errno;
		s->u.net.connecting = true;
		s->u.net.connect_start = now;
		/* On loopback the answer is already there. */
		return connect_check(s, now);
	}
	return 0;
}

/* The collector never talks to us: readable means it closed (or reset)
 * the connection. Checked before sending, so no event goes into a socket
 * whose peer is already gone. */
static int tcp_check_peer(struct sink *s)
{
	char c;
	ssize_t n = recv(s->fd, &c, 1, MSG_DONTWAIT | MSG_PEEK);

	if (n == 0)
		return -EPIPE;
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		return -errno;
	return 0;
}

static int net_ready(struct sink *s, int64_t now, const char **op)
{
	int err;

	*op = "connect";
	if (s->fd < 0) {
		err = net_open(s, now);
		if (err && err != -EINPROGRESS)
			return err;
	}
	if (s->u.net.connecting) {
		err = connect_check(s, now);
		if (err)
			return err;
	}
	if (is_tcp(s)) {
		*op = "connection";
		return tcp_check_peer(s);
	}
	return 0;
}

/* ---- sending ---- */

static ssize_t tcp_write(struct sink *s, struct iovec *iov, int n, const char **op)
{
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)n};
	ssize_t w = sendmsg(s->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);

	*op = "send";
	return w < 0 ? -errno : w;
}

/* One record, one datagram. */
static int dgram_drain(struct sink *s, const char **op)
{
	struct mmsghdr mm[SINK_BATCH];
	struct iovec iov[SINK_BATCH];

	while (s->q.nrec) {
		int n = queue__gather(&s->q, 0, iov, SINK_BATCH);
		int sent;

		memset(mm, 0, sizeof(mm[0]) * (size_t)n);
		for (int i = 0; i < n; i++) {
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		sent = sendmmsg(s->fd, mm, (unsigned int)n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (sent < 0) {
			if (errno == EINTR)
				continue;
			/* ENOBUFS: the local device queue, not the peer. */
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
				return -EAGAIN;
			if (errno == EMSGSIZE) {
				/* Retrying would never work: drop it, go on. */
				sink_drop_oversize(s, iov[0].iov_len, "too big for one datagram");
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

#define SYSLOG_TRANSPORT                                                                     \
	.what = "a syslog sink", .options = "facility, format, queue_bytes", .syslog = true, \
	.close_on_error = true, .ready = net_ready, .close = net_close

/* Local syslog daemons parse the local format, not RFC 5424 (sink.h). */
const struct sink_transport sink_unix = {
	SYSLOG_TRANSPORT,
	.format = FMT_LOCAL,
	.parse = unix_parse,
	.drain = dgram_drain,
	/* The syslog daemon may have been restarted. */
	.reopen = net_close,
};

const struct sink_transport sink_udp = {
	SYSLOG_TRANSPORT,
	.format = FMT_RFC5424,
	.parse = inet_parse,
	.drain = dgram_drain,
};

const struct sink_transport sink_tcp = {
	SYSLOG_TRANSPORT,
	.format = FMT_RFC5424,
	/* Frames, so that a collector finds where each message ends. */
	.framed = true,
	.parse = inet_parse,
	.drain = sink_drain_stream,
	.write = tcp_write,
};
