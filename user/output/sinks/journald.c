// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The journald transport: each event one datagram of journald's native
 * protocol (systemd.journal-fields(7), "Native Journal Protocol") on
 * /run/systemd/journal/socket, so that `journalctl SOCKSCOPE_EVENT=bind
 * SOCKSCOPE_LPORT=8080` finds it. A datagram is a list of fields, each
 * "NAME=value\n", or "NAME\n" + the value's length (64-bit little endian)
 * + the value + "\n" when the value holds a newline (an explained failure's
 * MESSAGE has several lines). One too big for a datagram goes, as the
 * journal's own client sends it, in a sealed memfd passed with SCM_RIGHTS.
 *
 * The socket is non-blocking and connected, as the syslog sink's: a full
 * journal socket leaves the events in the queue (a full queue drops,
 * counted), a journald that is absent or restarted is an outage, reported
 * once, reconnected with backoff.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/escape.h"
#include "lib/io.h"
#include "lib/names.h"
#include "output/format.h"
#include "output/sinks/sink_internal.h"

#define TEXT_MAX 16384
#define NR_FIELDS 16

struct journald {
	struct sockaddr_un addr;
	struct formatter fmt; /* MESSAGE: the line `trace` prints */
	char text[TEXT_MAX];
};

struct field {
	const char *name;
	const char *val;
	size_t len;
};

static int journald_parse(struct sink *s, const char *rest, char *err, size_t errlen)
{
	const char *path = sink_spec_path(rest);
	struct journald *j = calloc(1, sizeof(*j));

	if (!j)
		return -ENOMEM;
	s->u.journald = j;
	if (!path || path[0] != '/' || strlen(path) >= sizeof(j->addr.sun_path))
		return errf(err, errlen, -EINVAL,
			    "journald: expected journald or journald:///PATH (an absolute "
			    "socket path of at most %zu bytes)",
			    sizeof(j->addr.sun_path) - 1);
	j->addr.sun_family = AF_UNIX;
	strcpy(j->addr.sun_path, path);
	formatter_init(&j->fmt, false);
	return 0;
}

static int journald_ready(struct sink *s, int64_t now, const char **op)
{
	struct journald *j = s->u.journald;
	int fd;

	(void)now;
	*op = "connect";
	if (s->fd >= 0)
		return 0;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	s->fd = fd;
	s->own_fd = true;
	/* ENOENT: no journald (or not yet); ECONNREFUSED: its socket file
	 * is left but nobody reads it. */
	if (connect(fd, (struct sockaddr *)&j->addr, sizeof(j->addr)))
		return -errno;
	return 0;
}

/* ---- the datagram ---- */

static bool binary(const struct field *f)
{
	return memchr(f->val, '\n', f->len) != NULL;
}

static size_t field_size(const struct field *f)
{
	return strlen(f->name) + 1 + (binary(f) ? 8 : 0) + f->len + 1;
}

static char *field_put(char *p, const struct field *f)
{
	size_t n = strlen(f->name);

	memcpy(p, f->name, n);
	p += n;
	if (binary(f)) {
		uint64_t len = f->len;

		*p++ = '\n';
		for (int i = 0; i < 8; i++, len >>= 8)
			*p++ = (char)(len & 0xff);
	} else {
		*p++ = '=';
	}
	memcpy(p, f->val, f->len);
	p += f->len;
	*p++ = '\n';
	return p;
}

/* Numbers and names of an event, each in a slot of its own. */
struct scratch {
	char num[7][24];
	char laddr[SS_ADDRSTRLEN], raddr[SS_ADDRSTRLEN];
	char comm[4 * SS_COMM_LEN + 1];
	int n;
};

static void add(struct field *fs, int *nf, const char *name, const char *val, size_t len)
{
	fs[*nf] = (struct field){name, val, len};
	(*nf)++;
}

static void add_str(struct field *fs, int *nf, const char *name, const char *val)
{
	add(fs, nf, name, val, strlen(val));
}

static void add_u64(struct field *fs, int *nf, struct scratch *sc, const char *name, uint64_t v)
{
	char *b = sc->num[sc->n++];

	snprintf(b, sizeof(sc->num[0]), "%llu", (unsigned long long)v);
	add_str(fs, nf, name, b);
}

/* The SOCKSCOPE_* fields of an event (docs/CONTRACT.md lists them). */
static void event_fields(struct field *fs, int *nf, struct scratch *sc, const struct ss_event *e)
{
	const char *s;

	if ((s = proto_name(e->proto)))
		add_str(fs, nf, "SOCKSCOPE_PROTO", s);
	if (e->hdr.flags & SS_F_LOCAL) {
		add_str(fs, nf, "SOCKSCOPE_LADDR", addr_str(sc->laddr, e->laddr_family, e->laddr));
		add_u64(fs, nf, sc, "SOCKSCOPE_LPORT", e->lport);
	}
	if (e->hdr.flags & SS_F_REMOTE) {
		add_str(fs, nf, "SOCKSCOPE_RADDR", addr_str(sc->raddr, e->raddr_family, e->raddr));
		add_u64(fs, nf, sc, "SOCKSCOPE_RPORT", e->rport);
	}
	if (!(e->hdr.flags & SS_F_NO_OWNER)) {
		struct sbuf sb;

		add_u64(fs, nf, sc, "SOCKSCOPE_PID", e->pid);
		add_u64(fs, nf, sc, "SOCKSCOPE_UID", e->uid);
		/* Escaped as in every output: a name is the process's to
		 * choose. */
		sbuf_init(&sb, sc->comm, sizeof(sc->comm));
		text_str(&sb, e->comm, sizeof(e->comm));
		add(fs, nf, "SOCKSCOPE_COMM", sb.buf, sb.len);
	}
	if (e->err) {
		s = errno_name(e->err);
		if (s)
			add_str(fs, nf, "SOCKSCOPE_ERROR", s);
		else
			add_u64(fs, nf, sc, "SOCKSCOPE_ERROR", (uint64_t)e->err);
	}
	if (!(e->hdr.flags & SS_F_NO_COOKIE) && e->cookie)
		add_u64(fs, nf, sc, "SOCKSCOPE_COOKIE", e->cookie);
	if (e->netns)
		add_u64(fs, nf, sc, "SOCKSCOPE_NETNS", e->netns);
}

static bool journald_encode(struct sink *s, const struct sink_msg *m, size_t *want)
{
	struct journald *j = s->u.journald;
	struct field fs[NR_FIELDS];
	struct scratch sc = {.n = 0};
	char prio[4] = {(char)('0' + (m->severity & 7)), 0};
	int nf = 0;
	char *p;

	if (m->e) {
		struct sbuf sb;

		/* The time the JSON line says, whatever our clock offset: the
		 * daemon sampled its own. (The cached second stays right: it
		 * depends on the wall-clock time alone.) */
		j->fmt.tf.mono_to_real_ns = m->ts_real_ns - (int64_t)m->e->ts_ns;
		sbuf_init(&sb, j->text, sizeof(j->text));
		format_event(&j->fmt, &sb, m->e, m->x);
		while (sb.len && sb.buf[sb.len - 1] == '\n')
			sb.len--;
		add(fs, &nf, "MESSAGE", sb.buf, sb.len);
	} else {
		/* A note has no event to print: its JSON line. */
		add(fs, &nf, "MESSAGE", m->line, m->len);
	}
	add_str(fs, &nf, "PRIORITY", prio);
	add_str(fs, &nf, "SYSLOG_IDENTIFIER", s->app ? s->app : "sockscope");
	add_str(fs, &nf, "SOCKSCOPE_EVENT", m->msgid ? m->msgid : "");
	if (m->e)
		event_fields(fs, &nf, &sc, m->e);
	*want = 0;
	for (int i = 0; i < nf; i++)
		*want += field_size(&fs[i]);
	p = queue__push(&s->q, *want);
	if (!p)
		return false;
	for (int i = 0; i < nf; i++)
		p = field_put(p, &fs[i]);
	return true;
}

/* Too big for one datagram: the datagram's bytes in a sealed memfd, the
 * fd alone in an empty datagram (what sd_journal_sendv() does). */
static int send_memfd(struct sink *s, const char *buf, size_t len)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} c;
	struct msghdr mh = {.msg_control = c.b, .msg_controllen = sizeof(c.b)};
	struct cmsghdr *cm;
	int fd, r = 0;

	fd = memfd_create("sockscope-journal", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = io_write_all(fd, buf, len, NULL);
	if (!r && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL))
		r = -errno;
	if (!r) {
		memset(c.b, 0, sizeof(c.b));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
		if (sendmsg(s->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			r = -errno;
	}
	close(fd);
	return r;
}

static int journald_drain(struct sink *s, const char **op)
{
	struct rec *r;

	while ((r = queue__head(&s->q))) {
		ssize_t n = send(s->fd, rec_data(r), r->len, MSG_DONTWAIT | MSG_NOSIGNAL);
		int err = n < 0 ? -errno : 0;

		if (err == -EMSGSIZE) {
			*op = "memfd";
			err = send_memfd(s, rec_data(r), r->len);
		} else {
			*op = "send";
		}
		if (err == -EINTR)
			continue;
		/* ENOBUFS: the socket's queue, not journald gone. */
		if (err == -EAGAIN || err == -EWOULDBLOCK || err == -ENOBUFS)
			return -EAGAIN;
		if (err)
			return err;
		queue__pop(&s->q);
		s->written++;
	}
	return 0;
}

static void journald_destroy(struct sink *s)
{
	free(s->u.journald);
	s->u.journald = NULL;
}

const struct sink_transport sink_journald = {
	.what = "a journald sink",
	.options = "queue_bytes",
	.format = FMT_NDJSON,
	/* A restarted journald: connect again. */
	.close_on_error = true,
	.parse = journald_parse,
	.ready = journald_ready,
	.drain = journald_drain,
	/* SIGHUP: journald may have been restarted. */
	.reopen = sink_close_fd,
	.close = sink_close_fd,
	.encode = journald_encode,
	.destroy = journald_destroy,
};
