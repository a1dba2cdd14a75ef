// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/daemon.h"
#include "cmd/query_local.h"
#include "lib/exitcodes.h"
#include "runtime/answers.h"
#include "runtime/ctl_client.h"
#include "runtime/oneshot.h"

/* a pipe's capacity */
#define STDOUT_BUF (64 * 1024)

static long ask_engines(char *const *q_argv, const struct writer *w, void *arg)
{
	(void)arg;
	return ctl_client__ask_engines(q_argv, w, NULL);
}

/*
 * The database, if there is one: NULL otherwise (or SS_EXIT_* in *rc). The
 * read-only open tells the cases apart (no access() first: it would call an
 * unreadable file "no database"): -ENOENT none, -EACCES not ours to read.
 */
static struct store *open_db(const struct cli_opts *o, bool needed, int *rc)
{
	struct daemon_config c;
	struct store_opts so = {0};
	struct store *st = NULL;
	char err[512];
	int ret;

	*rc = daemon_config_resolve(o, &c);
	if (*rc)
		return NULL;
	so.path = c.db;
	so.readonly = true; /* a reader never writes, nor creates */
	ret = store__open(&st, &so, err, sizeof(err));
	if (!ret)
		return st;
	if ((ret == -ENOENT || ret == -EACCES) && !needed)
		return NULL; /* the engines answer without it */
	if (ret == -ENOENT) {
		fprintf(stderr,
			"sockscope: no daemon is running and there is "
			"no database at %s "
			"(start 'sockscope daemon', or give --db)\n",
			c.db);
		*rc = SS_EXIT_RUNTIME;
	} else if (ret == -EACCES) {
		fprintf(stderr, "sockscope: database %s: permission denied\n", c.db);
		*rc = SS_EXIT_PERM;
	} else if (ret == -EUCLEAN) {
		fprintf(stderr, "sockscope: %s\n", err); /* "PATH: database is corrupt (...)" */
		*rc = ss_exit_code(ret);
	} else {
		fprintf(stderr, "sockscope: database %s: %s\n", c.db, err);
		*rc = SS_EXIT_RUNTIME;
	}
	return NULL;
}

int query_local_run(const struct cli_opts *o)
{
	struct answers_more more = {.fn = ask_engines};
	bool past = o->command != SS_CMD_PORTS;
	/* history and who --at read the past only; history may come from
	 * engines */
	bool live = o->command == SS_CMD_PORTS || (o->command == SS_CMD_WHO && !o->at);
	bool db_needed = o->at || (o->command == SS_CMD_HISTORY && !ctl_client__engines_present());
	struct answers_times times;
	struct engine *en = NULL;
	struct store *st = NULL;
	struct timefmt tf;
	int rc = 0;

	signal(SIGPIPE, SIG_IGN);
	/* 20000 rows through a pipe in 4 KiB writes cost more than forming
	 * them; a terminal keeps its line buffering (stderr stays in order) */
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOFBF, STDOUT_BUF);
	/* a bad time is a usage error, database or not */
	if ((rc = answers__times(o, &times, &ctl_stdio_writer)))
		return rc;
	if (past && (st = open_db(o, db_needed, &rc), rc))
		return rc;
	if (live && (rc = oneshot_engine(o, &en))) {
		store__close(st);
		return ss_exit_code(rc);
	}
	timefmt_init(&tf);
	rc = answers__run_more(en, st, &tf, o, &ctl_stdio_writer, past ? &more : NULL);
	engine__free(en);
	store__close(st);
	if ((fflush(stdout) || ferror(stdout)) && errno != EPIPE) {
		fprintf(stderr, "sockscope: writing output: %s\n", strerror(errno));
		return SS_EXIT_OUTPUT;
	}
	return rc;
}
