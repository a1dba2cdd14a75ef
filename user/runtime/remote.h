/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ports, who and history asked of a running daemon: the client sends its
 * command line over /run/sockscope/daemon.sock (0600, root peers only), the
 * daemon runs it against its live map and database and sends back the
 * output ('O' frames: stdout, 'E': stderr) and the exit code ('X').
 */
#ifndef SS_REMOTE_H
#define SS_REMOTE_H

#include <stddef.h>

#include "model/engine.h"
#include "output/store/store.h"
#include "lib/timefmt.h"

#define REMOTE_SOCKET "/run/sockscope/daemon.sock"

/* The server is the control socket (runtime/ctl_server.h). */

/*
 * Client: runs argv (argv[0] ignored) on the daemon. Returns 0 and sets *rc
 * to the daemon's exit code, or -errno when there is no daemon to ask.
 */
int remote_forward(int argc, char **argv, int *rc);

#endif
