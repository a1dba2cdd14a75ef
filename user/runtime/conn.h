/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Request/reply servers that never make the event loop wait: the listener
 * and every client are non-blocking and served from the loop's epoll set.
 * Each client has an input buffer (a request may come in several
 * segments), an output buffer written as the client reads (EPOLLOUT), and a
 * deadline; the number of clients is capped. Used by the control socket
 * (ctl_server.c) and the metrics endpoint (output/metrics.c).
 */
#ifndef SS_CONN_H
#define SS_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Something in an epoll set: epoll_event.data.ptr points at one of these. */
struct ep_source {
	void (*ready)(struct ep_source *s, uint32_t events);
};

struct conn;

struct conn_ops {
	/* A new client (fd): nonzero refuses it, closed at once. May
	 * be NULL. */
	int (*accept)(void *ctx, int fd);
	/*
	 * What arrived so far (in, len; len >= 1). Returns 0 when the request
	 * is not complete yet, > 0 when it was answered (the reply queued with
	 * conn_reply(); the connection closes once it is written), < 0 to drop
	 * the client.
	 */
	int (*request)(void *ctx, struct conn *c, const char *in, size_t len);
};

struct conn_opts {
	const struct conn_ops *ops;
	void *ctx;
	unsigned int max_conns; /* beyond: the oldest silent client is closed */
	size_t max_request;	/* bytes; a longer request is dropped */
	size_t max_reply;	/* bytes; conn_reply() refuses more */
	uint64_t request_ns;	/* from accept to a complete request */
	uint64_t reply_ns;	/* writing the reply: at most this long without
				   progress */
};

struct conn_server;

/*
 * Serves listen_fd (bound and listening; the server owns it from here, also
 * on failure) from epfd. 0 or -errno with a reason in err.
 */
int conn_server__open(struct conn_server **out, int epfd, int listen_fd, const struct conn_opts *o,
		      char *err, size_t errlen);
/*
 * A listening stream socket on sa (SO_REUSEADDR for an IP address), served
 * by conn_server__open(): the one setup of the metrics and control servers.
 * 0 or -errno with "<what>: <reason>" in err.
 */
int conn_server__listen(struct conn_server **out, int epfd, const struct sockaddr *sa,
			socklen_t len, const struct conn_opts *o, const char *what, char *err,
			size_t errlen);
void conn_server__close(struct conn_server *s);
/* Clients connected now. */
unsigned int conn_server__nr(const struct conn_server *s);

/* Queues reply bytes: 0, or -ENOBUFS past max_reply (the rest is dropped). */
int conn_reply(struct conn *c, const void *p, size_t n);
/* The client's socket (for SO_PEERCRED and the like). */
int conn_fd(const struct conn *c);

#endif
