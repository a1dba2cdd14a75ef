// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "output/metrics.h"

#define METRICS_BUF (256u << 10)

struct metrics_server {
	int fd;
	char *buf;
};

struct metrics_server *metrics_server__open(const char *addr, char *err, size_t errlen)
{
	struct sockaddr_storage ss = { 0 };
	struct metrics_server *m;
	socklen_t len;
	char host[64];
	const char *colon = strrchr(addr, ':');
	int one = 1, port;

	if (!colon || (size_t)(colon - addr) >= sizeof(host)) {
		snprintf(err, errlen, "metrics address '%s': expected ADDR:PORT", addr);
		return NULL;
	}
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = '\0';
	port = atoi(colon + 1);
	if (host[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		host[strlen(host) - 1] = '\0';
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, host + 1, &s6->sin6_addr);
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, host, &s4->sin_addr);
		len = sizeof(*s4);
	}
	m = calloc(1, sizeof(*m));
	if (!m || !(m->buf = malloc(METRICS_BUF))) {
		free(m);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->fd < 0 || setsockopt(m->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(m->fd, (struct sockaddr *)&ss, len) || listen(m->fd, 16)) {
		snprintf(err, errlen, "metrics on %s: %s", addr, strerror(errno));
		if (m->fd >= 0)
			close(m->fd);
		free(m->buf);
		free(m);
		return NULL;
	}
	return m;
}

void metrics_server__close(struct metrics_server *m)
{
	if (!m)
		return;
	close(m->fd);
	free(m->buf);
	free(m);
}

static void send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

static void answer(struct metrics_server *m, int fd,
		   void (*render)(struct sbuf *sb, void *arg), void *arg)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char req[1024], head[256];
	struct sbuf sb;
	ssize_t n;

	if (poll(&p, 1, 50) <= 0)
		return;
	n = recv(fd, req, sizeof(req) - 1, 0);
	if (n <= 0)
		return;
	req[n] = '\0';
	if (strncmp(req, "GET /metrics ", 13) && strncmp(req, "GET /metrics?", 13)) {
		static const char nf[] = "HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\n"
					 "Content-Length: 20\r\n\r\ntry GET /metrics\r\n\r\n";

		send_all(fd, nf, sizeof(nf) - 1);
		return;
	}
	sbuf_init(&sb, m->buf, METRICS_BUF);
	render(&sb, arg);
	snprintf(head, sizeof(head),
		 "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\n", sb.len);
	send_all(fd, head, strlen(head));
	send_all(fd, sb.buf, sb.len);
}

void metrics_server__serve(struct metrics_server *m,
			   void (*render)(struct sbuf *sb, void *arg), void *arg)
{
	int fd;

	if (!m)
		return;
	while ((fd = accept4(m->fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		answer(m, fd, render, arg);
		close(fd);
	}
}

void metrics_family(struct sbuf *sb, const char *name, const char *type, const char *help)
{
	sbuf_printf(sb, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void metrics_sample(struct sbuf *sb, const char *name, const char *label,
		    const char *value, unsigned long long v)
{
	sbuf_puts(sb, name);
	if (label) {
		sbuf_putc(sb, '{');
		sbuf_puts(sb, label);
		sbuf_puts(sb, "=\"");
		for (const char *c = value; *c; c++) {
			/* the text format escapes backslash, quote and newline */
			if (*c == '\\' || *c == '"')
				sbuf_putc(sb, '\\');
			if (*c == '\n') {
				sbuf_puts(sb, "\\n");
				continue;
			}
			sbuf_putc(sb, *c);
		}
		sbuf_puts(sb, "\"}");
	}
	sbuf_printf(sb, " %llu\n", v);
}
