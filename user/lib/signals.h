/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef SS_SIGNALS_H
#define SS_SIGNALS_H

/*
 * SIGINT, SIGTERM and SIGHUP are blocked and delivered through the returned
 * signalfd (non-blocking), so the event loop sees them in its epoll set and
 * one arriving during start-up is read once the loop runs; SIGPIPE is
 * ignored: a closed pipe shows up as EPIPE from write(), handled quietly.
 * Returns the fd or -errno.
 */
int signals_open(void);

#endif
