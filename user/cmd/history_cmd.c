// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* history (and who --at) when no daemon runs: straight from its database. */
#include <stdio.h>
#include <unistd.h>

#include "cmd/daemon.h"
#include "runtime/dqueries.h"
#include "lib/exitcodes.h"
#include "output/store/store.h"

static void stdio_write(void *ctx, int stream, const char *p, size_t n)
{
	(void)ctx;
	fwrite(p, 1, n, stream == 2 ? stderr : stdout);
}

int history_local_run(const struct cli_opts *o)
{
	struct writer w = { .write = stdio_write };
	struct daemon_config c;
	struct store_opts so = { 0 };
	struct store *st = NULL;
	struct timefmt tf;
	char err[512];
	int rc;

	rc = daemon_config_resolve(o, &c);
	if (rc)
		return rc;
	if (access(c.db, R_OK)) {
		fprintf(stderr, "sockscope: no daemon is running and there is no database at %s "
				"(start 'sockscope daemon', or give --db)\n", c.db);
		return SS_EXIT_RUNTIME;
	}
	so.path = c.db;
	so.readonly = true; /* a reader never writes, nor creates */
	if (store__open(&st, &so, err, sizeof(err))) {
		fprintf(stderr, "sockscope: database %s: %s\n", c.db, err);
		return SS_EXIT_RUNTIME;
	}
	timefmt_init(&tf);
	if (o->command == SS_CMD_WHO)
		rc = dq_who(NULL, st, o, &tf, &w);
	else
		rc = dq_history(st, o, &w);
	store__close(st);
	fflush(stdout);
	return rc;
}
