/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Names for the numbers in records: events, errnos, TCP states, types. */
#ifndef SS_NAMES_H
#define SS_NAMES_H

#include <stdint.h>

/* "bind", ... or NULL for an unknown type. */
const char *event_name(unsigned int type);
/* SS_EV_* for a name, or 0. */
unsigned int event_from_name(const char *name, unsigned int len);
/* "EADDRINUSE"; "E<n>" style fallback written into a static buffer is not
 * thread-safe, so unknown values return NULL and callers print the number. */
const char *errno_name(int err);
/* "ESTABLISHED", ... or NULL. */
const char *tcp_state_name(unsigned int state);
/* "stream", "dgram", ... or NULL. */
const char *sock_type_name(unsigned int type);
/* "tcp"/"udp" or NULL. */
const char *proto_name(unsigned int proto);
/* "inet"/"inet6" or NULL. */
const char *family_name(unsigned int family);

#endif
