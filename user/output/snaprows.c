// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/exitcodes.h"
#include "output/snaprows.h"
#include "kernel/system.h"

long snaprows_print(const struct snapshot *s, row_pred pred,
		    const struct cli_opts *o, struct output *out)
{
	struct holder *hs = NULL;
	size_t hs_cap = 0;
	struct timefmt tf;
	char line[8192];
	long printed = 0;
	int err = 0;

	timefmt_init(&tf);
	for (size_t i = 0; i < s->nr_socks && !err; i++) {
		const struct ss_sockinfo *sock = &s->socks[i];
		const struct ss_sockinfo *procs;
		struct port_row row = { .sock = sock };
		struct sbuf sb;
		size_t n;

		procs = snapshot__holders(s, sock->cookie, &n);
		if (n > hs_cap) {
			struct holder *p = realloc(hs, n * sizeof(*hs));

			if (!p) {
				err = -ENOMEM;
				break;
			}
			hs = p;
			hs_cap = n;
		}
		for (size_t k = 0; k < n; k++) {
			hs[k].pid = procs[k].pid;
			hs[k].uid = procs[k].uid;
			hs[k].fd = (int32_t)procs[k].fd;
			memcpy(hs[k].comm, procs[k].comm, SS_COMM_LEN);
		}
		if (!pred(sock, hs, n, o))
			continue;
		sbuf_init(&sb, line, sizeof(line));
		if (!printed && !o->json)
			portrow_header(&sb);
		row.holders = hs;
		row.nr_holders = n;
		if (o->json)
			portrow_json(&sb, &row, &tf);
		else
			portrow_text(&sb, &row);
		err = output_append(out, sb.buf, sb.len);
		printed++;
	}
	free(hs);
	return err ? err : printed;
}

int snaprows_take(const struct cli_opts *o, struct snapshot *s)
{
	struct snapshot_loader *l = NULL;
	char err[512];
	int rc;

	if ((rc = sys_check_privileges(err, sizeof(err))) ||
	    (rc = sys_check_btf(err, sizeof(err)))) {
		fprintf(stderr, "sockscope: %s\n", err);
		return rc;
	}
	rc = snapshot_loader__open(&l, o->verbose, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "sockscope: %s\n", err);
		return rc;
	}
	rc = snapshot__take(l, s, o->netns, err, sizeof(err));
	snapshot_loader__close(l);
	if (rc) {
		fprintf(stderr, "sockscope: snapshot: %s\n", err);
		return SS_EXIT_RUNTIME;
	}
	if (s->netns_failed && o->verbose)
		fprintf(stderr, "sockscope: %u network namespaces vanished while being read\n",
			s->netns_failed);
	return 0;
}
