/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef SS_SIGNALS_H
#define SS_SIGNALS_H

/*
 * SIGINT, SIGTERM and SIGHUP go to handler, without SA_RESTART so that a
 * signal interrupts epoll_wait and the loop stops promptly; SIGPIPE is
 * ignored: a closed pipe shows up as EPIPE from write(), handled quietly.
 */
void signals_install(void (*handler)(int sig));

#endif
