/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* One event -> one line of text or one NDJSON object, newline included. */
#ifndef SS_FORMAT_H
#define SS_FORMAT_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/sbuf.h"
#include "lib/timefmt.h"
#include "kernel/decode.h"
#include "model/cgroup_ident.h"
#include "model/explain.h"
#include "model/proc_ident.h"

/* The owner's fields of the last JSON line ("pid" to "netns"), as text: the
 * next event of the same process and thread copies them. */
struct fmt_owner_memo {
	char key[24 + SS_COMM_LEN]; /* cgroup_id, pid, tid, uid, netns; comm */
	size_t len;		    /* 0: nothing kept */
	char text[256];
};

struct formatter {
	struct timefmt tf;
	bool json;
	struct fmt_owner_memo owner;
};

void formatter_init(struct formatter *f, bool json);
/* Column titles for text output (nothing in JSON mode). */
void format_header(struct formatter *f, struct sbuf *sb);
/* What the engine adds to a kernel record. */
struct event_extra {
	const struct explanation *expl; /* a failure's explanation, or NULL */
	const struct holder *holders;	/* close: everyone who held the socket */
	size_t nr_holders;
	const struct cg_ident *ident; /* the owner's cgroup identity, or NULL */
	/* the process's exe, cmdline, parent, pid namespace, or NULL */
	const struct proc_ident *proc;
};

/* extra may be NULL. */
void format_event(struct formatter *f, struct sbuf *sb, const struct ss_event *e,
		  const struct event_extra *extra);
/* In-band note that the live model was rebuilt from the kernel. */
void format_resync(struct formatter *f, struct sbuf *sb, uint64_t sockets, uint64_t now_real_ns);
/* 'lost' records dropped by the kernel between since_real_ns and now. */
void format_lost(struct formatter *f, struct sbuf *sb, uint64_t lost, uint64_t since_real_ns,
		 uint64_t now_real_ns);

#endif
