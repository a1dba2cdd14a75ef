// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/timefmt.h"
#include "runtime/conn.h"

/* Clients accepted per wakeup: the ring buffer is drained in between. */
#define ACCEPT_BATCH 64
/* How often deadlines are checked while clients are connected. */
#define SWEEP_NS (100ull * 1000000ull)

struct conn {
	struct ep_source ep;
	struct conn_server *srv;
	int fd;		      /* -1: free slot */
	bool answered;	      /* the request was answered: writing, then closing */
	uint64_t accepted_ns; /* eviction order: oldest silent client first */
	uint64_t deadline_ns;
	char *in;
	size_t in_len;
	char *out;
	size_t out_len, out_off, out_cap;
	bool out_full;
};

struct conn_server {
	struct ep_source listen_ep;
	struct ep_source timer_ep;
	struct conn_opts o;
	int epfd;
	int listen_fd;
	int timer_fd;
	bool timer_armed;
	unsigned int nr;
	struct conn *slots; /* o.max_conns of them; never moved, so epoll may
			       point here */
};

int conn_fd(const struct conn *c)
{
	return c->fd;
}

unsigned int conn_server__nr(const struct conn_server *s)
{
	return s ? s->nr : 0;
}

int conn_reply(struct conn *c, const void *p, size_t n)
{
	if (c->out_full || c->out_len + n > c->srv->o.max_reply) {
		c->out_full = true;
		return -ENOBUFS;
	}
	if (c->out_len + n > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *q;

		while (cap < c->out_len + n)
			cap *= 2;
		if (cap > c->srv->o.max_reply)
			cap = c->srv->o.max_reply;
		q = realloc(c->out, cap);
		if (!q) {
			c->out_full = true;
			return -ENOBUFS;
		}
		c->out = q;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, p, n);
	c->out_len += n;
	return 0;
}

static void arm_timer(struct conn_server *s, bool on)
{
	struct itimerspec its = {0};

	if (on == s->timer_armed)
		return;
	if (on) {
		its.it_value.tv_nsec = SWEEP_NS;
		its.it_interval.tv_nsec = SWEEP_NS;
	}
	timerfd_settime(s->timer_fd, 0, &its, NULL);
	s->timer_armed = on;
}

static void conn_close(struct conn *c)
{
	struct conn_server *s = c->srv;
	char sink[512];

	if (c->fd < 0)
		return;
	/* Unread input would turn the close into a reset, which can destroy
	 * reply bytes the client has not read yet. */
	while (recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
		;
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = c->out_cap = 0;
	c->out_full = false;
	c->in_len = 0;
	c->answered = false;
	s->nr--;
	if (!s->nr)
		arm_timer(s, false);
}

static void conn_write(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = &c->ep};

			epoll_ctl(c->srv->epfd, EPOLL_CTL_MOD, c->fd, &ev);
			return;
		}
		if (w <= 0) {
			conn_close(c); /* the client went away */
			return;
		}
		c->out_off += (size_t)w;
		c->deadline_ns = mono_now_ns() + c->srv->o.reply_ns;
	}
	conn_close(c);
}

static void conn_read(struct conn *c)
{
	struct conn_server *s = c->srv;
	int rc = 0;

	for (;;) {
		ssize_t n;

		if (c->in_len == s->o.max_request) {
			conn_close(c); /* too long to be a request of ours */
			return;
		}
		n = recv(c->fd, c->in + c->in_len, s->o.max_request - c->in_len, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return; /* more later: not complete yet */
		if (n <= 0) {
			conn_close(c); /* gone before its request was complete */
			return;
		}
		c->in_len += (size_t)n;
		rc = s->o.ops->request(s->o.ctx, c, c->in, c->in_len);
		if (rc < 0) {
			conn_close(c);
			return;
		}
		if (rc > 0)
			break;
	}
	c->answered = true;
	c->deadline_ns = mono_now_ns() + s->o.reply_ns;
	conn_write(c);
}

static void conn_ready(struct ep_source *ep, uint32_t events)
{
	struct conn *c = (struct conn *)ep;

	/* A stale event for a slot closed earlier in the same batch (or
	 * reused since) finds nothing to do: reads and writes say EAGAIN. */
	if (c->fd < 0)
		return;
	if (c->answered) {
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			conn_write(c);
	} else if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
		conn_read(c);
	}
}

/* A free slot; when all are taken, the oldest client still silent is
 * closed to make room, so that silent clients cannot lock others out. */
static struct conn *take_slot(struct conn_server *s)
{
	struct conn *oldest = NULL;

	for (unsigned int i = 0; i < s->o.max_conns; i++) {
		struct conn *c = &s->slots[i];

		if (c->fd < 0)
			return c;
		if (!c->answered && (!oldest || c->accepted_ns < oldest->accepted_ns))
			oldest = c;
	}
	if (!oldest)
		return NULL;
	conn_close(oldest);
	return oldest;
}

static void accept_ready(struct ep_source *ep, uint32_t events)
{
	struct conn_server *s =
		(struct conn_server *)((char *)ep - offsetof(struct conn_server, listen_ep));

	(void)events;
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		struct epoll_event ev = {.events = EPOLLIN};
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;

		if (fd < 0)
			return; /* EAGAIN: all taken; anything else: try next
				   wakeup */
		if ((s->o.ops->accept && s->o.ops->accept(s->o.ctx, fd)) || !(c = take_slot(s))) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->accepted_ns = mono_now_ns();
		c->deadline_ns = c->accepted_ns + s->o.request_ns;
		ev.data.ptr = &c->ep;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			c->fd = -1;
			continue;
		}
		s->nr++;
		arm_timer(s, true);
		conn_read(c); /* the request is often there already */
	}
}

static void timer_ready(struct ep_source *ep, uint32_t events)
{
	struct conn_server *s =
		(struct conn_server *)((char *)ep - offsetof(struct conn_server, timer_ep));
	uint64_t ticks, now = mono_now_ns();

	(void)events;
	if (read(s->timer_fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return;
	for (unsigned int i = 0; i < s->o.max_conns; i++)
		if (s->slots[i].fd >= 0 && now >= s->slots[i].deadline_ns)
			conn_close(&s->slots[i]);
}

int conn_server__listen(struct conn_server **out, int epfd, const struct sockaddr *sa,
			socklen_t len, const struct conn_opts *o, const char *what, char *err,
			size_t errlen)
{
	int one = 1, fd, e;

	*out = NULL;
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    (sa->sa_family != AF_UNIX &&
	     setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one))) ||
	    bind(fd, sa, len) || listen(fd, SOMAXCONN)) {
		e = neg_errno(errno);
		if (fd >= 0)
			close(fd);
		return errf(err, errlen, e, "%s: %s", what, strerror(-e));
	}
	return conn_server__open(out, epfd, fd, o, err, errlen);
}

int conn_server__open(struct conn_server **out, int epfd, int listen_fd, const struct conn_opts *o,
		      char *err, size_t errlen)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct conn_server *s;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s || !o->max_conns || !(s->slots = calloc(o->max_conns, sizeof(*s->slots)))) {
		free(s);
		close(listen_fd);
		return errf(err, errlen, -ENOMEM, "out of memory");
	}
	s->o = *o;
	s->epfd = epfd;
	s->listen_fd = listen_fd;
	s->listen_ep.ready = accept_ready;
	s->timer_ep.ready = timer_ready;
	for (unsigned int i = 0; i < o->max_conns; i++) {
		s->slots[i].fd = -1;
		s->slots[i].srv = s;
		s->slots[i].ep.ready = conn_ready;
		s->slots[i].in = malloc(o->max_request);
		if (!s->slots[i].in) {
			conn_server__close(s);
			return errf(err, errlen, -ENOMEM, "out of memory");
		}
	}
	s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->timer_fd < 0) {
		int e = -errno;

		conn_server__close(s);
		return errf(err, errlen, e, "timerfd: %s", strerror(-e));
	}
	ev.data.ptr = &s->listen_ep;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &ev)) {
		int e = -errno;

		conn_server__close(s);
		return errf(err, errlen, e, "epoll: %s", strerror(-e));
	}
	ev.data.ptr = &s->timer_ep;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, s->timer_fd, &ev)) {
		int e = -errno;

		conn_server__close(s);
		return errf(err, errlen, e, "epoll: %s", strerror(-e));
	}
	*out = s;
	return 0;
}

void conn_server__close(struct conn_server *s)
{
	if (!s)
		return;
	for (unsigned int i = 0; s->slots && i < s->o.max_conns; i++) {
		conn_close(&s->slots[i]);
		free(s->slots[i].in);
	}
	if (s->timer_fd > 0) {
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->timer_fd, NULL);
		close(s->timer_fd);
	}
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->listen_fd, NULL);
	close(s->listen_fd);
	free(s->slots);
	free(s);
}
