/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The control socket of a running sockscope (trace, ports --watch, daemon):
 * a UNIX stream socket, mode 0600, root peers only, served from the event
 * loop without ever waiting on a client (runtime/conn.h).
 *
 * Protocol (one request per connection): the client sends its command line
 * as NUL-terminated strings, ended by an empty one (an empty one alone is a
 * ping); the server answers with frames, a type byte, a 32-bit length in
 * host order and the payload: 'O' stdout bytes, 'E' stderr bytes, then 'X'
 * with the exit code (int32). Commands are parsed with cli_parse() and
 * answered by answers__run().
 */
#ifndef SS_CTL_SERVER_H
#define SS_CTL_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/timefmt.h"
#include "model/engine.h"
#include "output/store/store.h"
#include "runtime/ctl_client.h"

/* An engine's socket: CTL_DIR/engine-<pid>.sock; the daemon's:
 * CTL_DAEMON_SOCKET (both in runtime/ctl_client.h, the other end). */

struct ctl_server_opts {
	const char *path; /* NULL: CTL_DIR/engine-<pid>.sock */
	/* refuse to start if a server answers on path already */
	bool exclusive;
	struct engine *en; /* may be NULL */
	struct store *st;  /* may be NULL */
	struct timefmt *tf;
};

struct ctl_server;

/* Listens in epfd. 0 or -errno with a reason in err (-EADDRINUSE: another
 * server answers, with exclusive). */
int ctl_server__open(struct ctl_server **out, int epfd, const struct ctl_server_opts *o, char *err,
		     size_t errlen);
void ctl_server__close(struct ctl_server *c);

/*
 * Whether a request so far (buf, len) is complete: the empty argument that
 * ends it has arrived. Fills argv (argv[0] = "sockscope") and *argc.
 */
bool ctl_request_parse(char *buf, size_t len, char **argv, int max_args, int *argc);

#endif
