/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The daemon's configuration: /etc/sockscope/sockscope.conf, "key = value"
 * lines ('#' starts a comment), the same keys as the command-line options,
 * which override the file. Errors are reported with their line number.
 */
#ifndef SS_CONFIG_H
#define SS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONFIG_DEFAULT_PATH "/etc/sockscope/sockscope.conf"
#define CONFIG_DEFAULT_DB "/var/lib/sockscope/sockscope.db"
#define CONFIG_MAX_SINKS 8
/* A configuration is a few lines: anything bigger is not one. */
#define CONFIG_MAX_BYTES (1 << 20)
#define CONFIG_MAX_TEXT "1 MiB"

struct daemon_config {
	char db[256];
	uint64_t retain_secs;  /* 0: forever */
	uint64_t retain_bytes; /* 0: no limit */
	char sinks[CONFIG_MAX_SINKS][320];
	unsigned int nr_sinks;
	char metrics[64]; /* "127.0.0.1:9463", "" = off */
	uint32_t ring_size;
	uint32_t history; /* closed sockets kept in memory */
	bool states;	  /* TCP state changes to the sinks too */
};

void config_defaults(struct daemon_config *c);
/* parse_size() (lib/parse.h): "4096", "64K", "16M", "1GiB", "2TB". */
int config_parse_size(const char *s, uint64_t *out);
/*
 * Applies one "key = value" setting. Returns 0, or -EINVAL with a reason in
 * err (without the line number, which the caller knows).
 */
int config_set(struct daemon_config *c, const char *key, const char *value, char *err,
	       size_t errlen);
/*
 * Reads a regular file of at most CONFIG_MAX_BYTES into c. Every bad line is
 * reported to report(line, reason) (may be NULL); returns the number of bad
 * lines, or -errno with the reason in err if the file cannot be read
 * (-ENOENT for a missing file, -EISDIR, -EINVAL for a device or FIFO,
 * -EFBIG for a file over the cap, a read error's errno).
 */
int config_load(struct daemon_config *c, const char *path,
		void (*report)(const char *path, unsigned int line, const char *why, void *arg),
		void *arg, char *err, size_t errlen);
/* Writes the effective configuration, one key per line (for --check-config). */
void config_print(const struct daemon_config *c, FILE *f);

#endif
