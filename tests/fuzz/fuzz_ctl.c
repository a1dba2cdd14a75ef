// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The control socket's protocol (runtime/ctl_server.c, ctl_client.c). The
 * first byte picks the side:
 *   even  the server: the request bytes through ctl_request_parse(), as
 *         the server sees them arrive (a prefix, then all), the argv
 *         through cli_parse() and, for ports / who / history, through
 *         answers__run() over an empty engine, as the daemon does;
 *   odd   the client: the bytes as a server's reply on a socket, through
 *         ctl_client__read_reply().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmd/cli.h"
#include "lib/timefmt.h"
#include "model/engine.h"
#include "runtime/answers.h"
#include "runtime/ctl_client.h"
#include "runtime/ctl_server.h"

#define MAX_REQUEST 8192 /* as ctl_server.c */
#define MAX_ARGS 64

static void discard(void *ctx, int stream, const char *p, size_t n)
{
	size_t *total = ctx;

	(void)stream;
	(void)p;
	*total += n;
}

static void server(const uint8_t *data, size_t size)
{
	static struct engine *en;
	static struct timefmt tf;
	char buf[MAX_REQUEST], *argv[MAX_ARGS], err[512];
	size_t out = 0;
	struct writer w = {.write = discard, .ctx = &out};
	struct cli_opts o;
	int argc = 0;

	if (!en) {
		en = engine__new(16);
		timefmt_init(&tf);
		if (!en)
			abort();
	}
	if (size > sizeof(buf))
		return; /* the server refuses it: -E2BIG */
	memcpy(buf, data, size);
	(void)ctl_request_parse(buf, size / 2, argv, MAX_ARGS, &argc);
	memcpy(buf, data, size);
	if (!ctl_request_parse(buf, size, argv, MAX_ARGS, &argc))
		return;
	if (argc < 1 || argc > MAX_ARGS)
		abort();
	for (int i = 1; i < argc; i++)
		if (argv[i] < buf || argv[i] >= buf + size)
			abort(); /* every argument inside the request */
	if (argc == 1 || cli_parse(argc, argv, &o, err, sizeof(err)))
		return;
	if ((o.command == SS_CMD_PORTS && !o.watch) || o.command == SS_CMD_WHO ||
	    o.command == SS_CMD_HISTORY)
		(void)answers__run(en, NULL, &tf, &o, &w);
}

static void client(const uint8_t *data, size_t size)
{
	size_t out = 0;
	struct writer w = {.write = discard, .ctx = &out};
	int sv[2], rc = -1;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv))
		abort();
	/* fits the socket buffer: the peer closes after writing it */
	if (size && write(sv[1], data, size) != (ssize_t)size)
		abort();
	close(sv[1]);
	(void)ctl_client__read_reply(sv[0], &w, 1000, &rc);
	if (out > size)
		abort();
	close(sv[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] & 1)
		client(data + 1, size - 1);
	else
		server(data + 1, size - 1);
	return 0;
}
