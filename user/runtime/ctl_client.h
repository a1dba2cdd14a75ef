/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The client side of the control socket: a command line asked of a running
 * daemon (/run/sockscope/daemon.sock) or of a running trace or ports
 * --watch (/run/sockscope/engine-<pid>.sock). One protocol for all:
 *
 *   request  the arguments without argv[0], each NUL-terminated, then an
 *            empty one ("" alone: a ping)
 *   reply    frames: one type byte, a uint32 length (host order: the peer
 *            is on this host), the bytes; 'O' stdout, 'E' stderr, then
 *            'X' with the int32 exit code, which ends the reply.
 *
 * Every wait is bounded: a dead, silent or slow server costs at most the
 * timeout, never a hang.
 */
#ifndef SS_CTL_CLIENT_H
#define SS_CTL_CLIENT_H

#include "runtime/answers.h"

#define CTL_DIR "/run/sockscope"
#define CTL_DAEMON_SOCKET CTL_DIR "/daemon.sock"
#define CTL_DAEMON_TIMEOUT_MS 30000 /* a history over a large database */
#define CTL_ENGINE_TIMEOUT_MS 2000

/*
 * Runs argv (NULL-terminated, no argv[0]) on the server at path, writing
 * its output through w. 0 with the exit code in *rc (rc may be NULL), or
 * -errno: no server (-ENOENT, -ECONNREFUSED), -ETIMEDOUT, -EPROTO.
 */
int ctl_client__ask(const char *path, char *const *argv, const struct writer *w, int timeout_ms,
		    int *rc);

/*
 * The reply frames on fd (connected, non-blocking), until 'X' (its code in
 * *rc): the reader of ctl_client__ask(), on its own for tests and the fuzz
 * target. 0, or -EPROTO (a bad frame, closed before 'X'), -ETIMEDOUT, -errno.
 */
int ctl_client__read_reply(int fd, const struct writer *w, int timeout_ms, int *rc);

/*
 * main()'s forwarding: argv[1..argc-1] run by a daemon, its output on our
 * stdout/stderr. 0 with *rc set, or -errno when no daemon answers. With
 * argc 0: a ping.
 */
int ctl_client__forward(int argc, char **argv, int *rc);

/*
 * Asks every running trace / ports --watch the question argv, their
 * standard output (rows) through w; sockets whose owner is gone are
 * removed. Returns how many rows (lines) came back; *engines (may be NULL)
 * is set to how many answered.
 */
long ctl_client__ask_engines(char *const *argv, const struct writer *w, int *engines);

/* Whether any engine socket exists (cheap: a directory scan). */
bool ctl_client__engines_present(void);
/* Removes the engine sockets whose process is gone (a kill -9 leaves its
 * socket behind; a name cannot be reused while its process lives). */
void ctl_client__sweep_engines(void);

/* A writer to our own stdout / stderr. */
extern const struct writer ctl_stdio_writer;

#endif
