// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/parse.h"
#include "output/metrics.h"
#include "runtime/conn.h"

#define METRICS_BUF (256u << 10)
#define MAX_CLIENTS 64
#define MAX_REQUEST 4096 /* a request line and a few headers */
#define REQUEST_NS (2000ull * 1000000ull)
#define REPLY_NS (5000ull * 1000000ull)

struct metrics_server {
	struct conn_server *srv;
	void (*render)(struct sbuf *sb, void *arg);
	void *arg;
	char *buf;
};

int metrics_request_kind(const char *in, size_t len)
{
	/* the request ends with an empty line */
	if (!memmem(in, len, "\r\n\r\n", 4) && !memmem(in, len, "\n\n", 2))
		return METRICS_REQ_PARTIAL;
	if (len < 13 || (memcmp(in, "GET /metrics ", 13) && memcmp(in, "GET /metrics?", 13)))
		return METRICS_REQ_OTHER;
	return METRICS_REQ_METRICS;
}

static int on_request(void *ctx, struct conn *c, const char *in, size_t len)
{
	static const char nf[] = "HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\n"
				 "Content-Length: 20\r\n\r\ntry GET /metrics\r\n\r\n";
	struct metrics_server *m = ctx;
	char head[256];
	struct sbuf sb;

	switch (metrics_request_kind(in, len)) {
	case METRICS_REQ_PARTIAL:
		return 0;
	case METRICS_REQ_OTHER:
		conn_reply(c, nf, sizeof(nf) - 1);
		return 1;
	}
	sbuf_init(&sb, m->buf, METRICS_BUF);
	m->render(&sb, m->arg);
	snprintf(head, sizeof(head),
		 "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4; "
		 "charset=utf-8\r\n"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		 sb.len);
	conn_reply(c, head, strlen(head));
	conn_reply(c, sb.buf, sb.len);
	return 1;
}

static const struct conn_ops metrics_ops = {.request = on_request};

int metrics_server__open(struct metrics_server **out, int epfd, const char *addr,
			 void (*render)(struct sbuf *sb, void *arg), void *arg, char *err,
			 size_t errlen)
{
	struct conn_opts co = {
		.ops = &metrics_ops,
		.max_conns = MAX_CLIENTS,
		.max_request = MAX_REQUEST,
		.max_reply = METRICS_BUF + 256,
		.request_ns = REQUEST_NS,
		.reply_ns = REPLY_NS,
	};
	struct sockaddr_storage ss;
	struct metrics_server *m;
	struct addrport ap;
	const char *why = NULL;
	socklen_t len;
	char what[300];
	int rc;

	*out = NULL;
	if (parse_addrport(addr, 0, &ap, &why))
		return errf(err, errlen, -EINVAL, "metrics address '%s': %s", addr,
			    why ? why : "expected ADDR:PORT");
	len = addrport_sockaddr(&ap, &ss);
	m = calloc(1, sizeof(*m));
	if (!m || !(m->buf = malloc(METRICS_BUF))) {
		free(m);
		return errf(err, errlen, -ENOMEM, "out of memory");
	}
	m->render = render;
	m->arg = arg;
	snprintf(what, sizeof(what), "metrics on %s", addr);
	co.ctx = m;
	rc = conn_server__listen(&m->srv, epfd, (struct sockaddr *)&ss, len, &co, what, err,
				 errlen);
	if (rc) {
		metrics_server__close(m);
		return rc;
	}
	*out = m;
	return 0;
}

void metrics_server__close(struct metrics_server *m)
{
	if (!m)
		return;
	conn_server__close(m->srv);
	free(m->buf);
	free(m);
}

void metrics_family(struct sbuf *sb, const char *name, const char *type, const char *help)
{
	sbuf_printf(sb, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void metrics_sample(struct sbuf *sb, const char *name, const char *label, const char *value,
		    unsigned long long v)
{
	sbuf_puts(sb, name);
	if (label) {
		sbuf_putc(sb, '{');
		sbuf_puts(sb, label);
		sbuf_puts(sb, "=\"");
		for (const char *c = value; *c; c++) {
			/* the text format escapes backslash, quote and
			 * newline */
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
