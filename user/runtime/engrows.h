/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The engine's visible sockets that match a command's filters, in table order. */
#ifndef SS_ENGROWS_H
#define SS_ENGROWS_H

#include <stddef.h>

#include "cmd/cli.h"
#include "model/engine.h"

struct engrows {
	const struct eng_sock **v;
	size_t nr;
	size_t cap;
};

/* ports' selection (listening unless --all, then the filters); 0 or -ENOMEM */
int engrows_ports(struct engrows *r, struct engine *en, const struct cli_opts *o);
/* who's selection: bound to o->who_port and covering o->who_addr */
int engrows_who(struct engrows *r, struct engine *en, const struct cli_opts *o);
void engrows_free(struct engrows *r);

#endif
