// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cmd/cli.h"
#include "lib/err.h"
#include "lib/exitcodes.h"
#include "lib/parse.h"
#include "output/portrow.h"
#include "runtime/answers.h"
#include "runtime/conn.h"
#include "runtime/ctl_server.h"

#define MAX_REQUEST 8192
#define MAX_ARGS 64
#define MAX_CLIENTS 32
/* answers__run() writes a whole answer at once, and 'history --limit' can
 * be long: the reply is buffered, up to this much (root clients only). */
#define MAX_REPLY (512u << 20)
#define REQUEST_NS (2000ull * 1000000ull)
#define REPLY_NS (10000ull * 1000000ull)

struct ctl_server {
	struct ctl_server_opts o;
	struct conn_server *srv;
	char path[108];
};

bool ctl_request_parse(char *buf, size_t len, char **argv, int max_args, int *argc)
{
	if (!(len == 1 && !buf[0]) && !(len >= 2 && !buf[len - 1] && !buf[len - 2]))
		return false;
	*argc = 1;
	argv[0] = "sockscope";
	for (size_t i = 0; i < len && buf[i] && *argc < max_args; i += strlen(buf + i) + 1)
		argv[(*argc)++] = buf + i;
	return true;
}

static void frame(struct conn *c, char type, const void *p, size_t n)
{
	uint32_t len = (uint32_t)n;

	conn_reply(c, &type, 1);
	conn_reply(c, &len, sizeof(len));
	conn_reply(c, p, n);
}

static void frame_write(void *ctx, int stream, const char *p, size_t n)
{
	frame(ctx, stream == 2 ? 'E' : 'O', p, n);
}

/* root only: the answers name the processes of every user */
static int check_peer(void *ctx, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	(void)ctx;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) || cred.uid != 0)
		return -EPERM;
	return 0;
}

static int on_request(void *ctx, struct conn *c, const char *in, size_t len)
{
	struct ctl_server *s = ctx;
	struct writer w = {.write = frame_write, .ctx = c};
	char buf[MAX_REQUEST], err[512], *argv[MAX_ARGS];
	struct cli_opts o;
	int argc, rc;
	int32_t code;

	if (len > sizeof(buf))
		return -E2BIG;
	memcpy(buf, in, len);
	if (!ctl_request_parse(buf, len, argv, MAX_ARGS, &argc))
		return 0; /* more to come */
	if (argc == 1) {
		code = 0; /* ping */
	} else if ((rc = cli_parse(argc, argv, &o, err, sizeof(err)))) {
		writer_printf(&w, 2, "sockscope: %s\n", err);
		code = rc;
	} else if ((o.command == SS_CMD_PORTS && !o.watch) || o.command == SS_CMD_WHO ||
		   o.command == SS_CMD_HISTORY) {
		code = answers__run(s->o.en, s->o.st, s->o.tf, &o, &w);
	} else {
		writer_printf(&w, 2,
			      "sockscope: the daemon answers ports, who and "
			      "history\n");
		code = SS_EXIT_USAGE;
	}
	frame(c, 'X', &code, sizeof(code));
	return 1;
}

static const struct conn_ops ctl_ops = {
	.accept = check_peer,
	.request = on_request,
};

/* The socket file is created 0600 in a 0700 directory: root only. */
static int listen_unix(struct ctl_server *s, int epfd, const struct conn_opts *co, char *err,
		       size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char what[sizeof(s->path) + 32];
	mode_t old;
	int rc;

	if (mkdir(CTL_DIR, 0700) && errno != EEXIST)
		return errf(err, errlen, -errno, "mkdir %s: %s", CTL_DIR, strerror(errno));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", s->path);
	snprintf(what, sizeof(what), "control socket %s", s->path);
	unlink(s->path);
	old = umask(0177);
	rc = conn_server__listen(&s->srv, epfd, (struct sockaddr *)&sa, sizeof(sa), co, what, err,
				 errlen);
	umask(old);
	return rc;
}

int ctl_server__open(struct ctl_server **out, int epfd, const struct ctl_server_opts *o, char *err,
		     size_t errlen)
{
	struct conn_opts co = {
		.ops = &ctl_ops,
		.max_conns = MAX_CLIENTS,
		.max_request = MAX_REQUEST,
		.max_reply = MAX_REPLY,
		.request_ns = REQUEST_NS,
		.reply_ns = REPLY_NS,
	};
	struct ctl_server *s;
	int rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return errf(err, errlen, -ENOMEM, "out of memory");
	s->o = *o;
	if (o->path)
		snprintf(s->path, sizeof(s->path), "%s", o->path);
	else
		snprintf(s->path, sizeof(s->path), CTL_DIR "/engine-%d.sock", (int)getpid());
	if (!o->path)
		ctl_client__sweep_engines();
	/* a live daemon answers: refuse to steal its socket */
	if (o->exclusive && !ctl_client__forward(0, NULL, NULL)) {
		rc = errf(err, errlen, -EADDRINUSE,
			  "another sockscope daemon is running (%s answers)", s->path);
		free(s);
		return rc;
	}
	co.ctx = s;
	rc = listen_unix(s, epfd, &co, err, errlen);
	if (rc) {
		unlink(s->path);
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void ctl_server__close(struct ctl_server *s)
{
	if (!s)
		return;
	conn_server__close(s->srv);
	unlink(s->path);
	free(s);
}
