// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The daemon's effective configuration: the file (cmd/config.c parses it),
 * then the command line's options over it. The daemon and the commands that
 * read its database (who, history) resolve it the same way.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd/daemon.h"
#include "lib/exitcodes.h"

/* A screenful: a file of garbage must not print a million lines. */
#define REPORT_MAX 20

static void report_line(const char *path, unsigned int line, const char *why, void *arg)
{
	unsigned int *reported = arg;

	if ((*reported)++ < REPORT_MAX)
		fprintf(stderr, "%s:%u: %s\n", path, line, why);
}

/* File, then command line. Returns 0 or an SS_EXIT_* code (messages
 * printed). */
int daemon_config_resolve(const struct cli_opts *o, struct daemon_config *c)
{
	const char *path = o->config ? o->config : CONFIG_DEFAULT_PATH;
	unsigned int reported = 0;
	char err[512];
	int bad;

	config_defaults(c);
	bad = config_load(c, path, report_line, &reported, err, sizeof(err));
	if (bad == -ENOENT && !o->config)
		bad = 0; /* the default file is optional */
	if (reported > REPORT_MAX)
		fprintf(stderr, "%s: ... and %u more\n", path, reported - REPORT_MAX);
	if (bad < 0) {
		fprintf(stderr, "sockscope: config %s: %s\n", path, err);
		return SS_EXIT_USAGE;
	}
	if (bad > 0) {
		fprintf(stderr, "sockscope: %d error%s in %s\n", bad, bad > 1 ? "s" : "", path);
		return SS_EXIT_USAGE;
	}
#define SET(key, val)                                                       \
	do {                                                                \
		if ((val) && config_set(c, key, val, err, sizeof(err))) {   \
			fprintf(stderr, "sockscope: --%s: %s\n", key, err); \
			return SS_EXIT_USAGE;                               \
		}                                                           \
	} while (0)
	SET("db", o->db);
	SET("retain", o->retain);
	SET("retain_size", o->retain_size);
	SET("metrics", o->metrics);
#undef SET
	if (o->nr_sinks)
		c->nr_sinks = 0; /* the command line's sinks replace the file's */
	for (unsigned int i = 0; i < o->nr_sinks; i++) {
		if (config_set(c, "sink", o->sinks[i], err, sizeof(err))) {
			fprintf(stderr, "sockscope: --sink: %s\n", err);
			return SS_EXIT_USAGE;
		}
	}
	if (o->ring_size != SS_DEFAULT_RING_SIZE)
		c->ring_size = o->ring_size;
	if (o->states)
		c->states = true;
	return 0;
}
