// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kernel/snapshot.h"
#include "kernel/system.h"
#include "lib/timefmt.h"
#include "runtime/oneshot.h"

static int take(const struct cli_opts *o, struct snapshot *s, uint64_t *at)
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
	*at = mono_now_ns();
	rc = snapshot__take(l, s, o->netns, err, sizeof(err));
	snapshot_loader__close(l);
	if (rc) {
		fprintf(stderr, "sockscope: snapshot: %s\n", err);
		return rc;
	}
	if (s->netns_failed && o->verbose)
		fprintf(stderr,
			"sockscope: %u network namespaces vanished while being "
			"read\n",
			s->netns_failed);
	return 0;
}

int oneshot_engine(const struct cli_opts *o, struct engine **out)
{
	struct snapshot s;
	uint64_t at;
	int rc;

	*out = NULL;
	rc = take(o, &s, &at);
	if (rc)
		return rc;
	*out = engine__new(0); /* no history: it sees no socket close */
	rc = *out ? engine__seed(*out, &s, at) : -ENOMEM;
	snapshot__free(&s);
	if (rc) {
		fprintf(stderr, "sockscope: seeding the engine: %s\n", strerror(-rc));
		engine__free(*out);
		*out = NULL;
		return rc;
	}
	return 0;
}
