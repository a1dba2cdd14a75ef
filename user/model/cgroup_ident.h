/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Who a cgroup-v2 path belongs to: the systemd unit or scope, and the
 * container (id, runtime, Kubernetes pod) for the layouts the runtimes
 * create. Pure: a path in, fields out. Paths are hostile (whoever may mkdir
 * in the cgroup tree chooses them): everything is bounded here and escaped
 * by whoever prints it.
 *
 * The resolver hook maps a cgroup id to its identity for the modules that
 * print (format, portrow, explain, rows): kernel/cgroups.c installs it in
 * the command's process; without one (unit tests) nothing is resolved and
 * every identity field is omitted.
 */
#ifndef SS_CGROUP_IDENT_H
#define SS_CGROUP_IDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CG_PATH_MAX 512	     /* longer paths are not resolved (omitted) */
#define CG_UNIT_MAX 256	     /* a systemd unit name is at most 255 bytes */
#define CG_CONTAINER_MAX 128 /* docker/cri ids are 64 hex */
#define CG_POD_UID_MAX 40    /* a UUID is 36 */
#define CG_JSON_MAX 1024     /* the rendered fields; more: rendered when printed */

struct cg_ident {
	char path[CG_PATH_MAX]; /* relative to the cgroup2 root, "/" for it */
	char unit[CG_UNIT_MAX]; /* "" when none */
	char container_id[CG_CONTAINER_MAX];
	const char *runtime; /* "docker", "containerd", "cri-o", "podman"; NULL */
	char pod_uid[CG_POD_UID_MAX];
	/* the JSON fields, escaped once here so that printing them per
	 * event is one copy (output/identity.c); json_len 0: did not fit */
	char json[CG_JSON_MAX];
	size_t json_len;
};

/*
 * Fills id from path (relative to the cgroup2 root, starting with '/').
 * Returns 0, or -EINVAL for a path that is not one (empty, not absolute, too
 * long): id is then empty.
 */
int cg_ident_parse(const char *path, struct cg_ident *id);

/* The JSON fields of id (,"cgroup":...,"unit":...; each when known),
 * escaped; output/identity.h prints the rendered copy. */
struct sbuf;
void cg_ident_json(struct sbuf *sb, const struct cg_ident *id);

/* Whether id belongs to container prefix (at least 12 hex, lower case). */
bool cg_ident_container_matches(const struct cg_ident *id, const char *prefix);
/* A --container value: 12 to 64 hex digits. */
bool cg_ident_container_arg_ok(const char *s);

/* The identity of cgroup id as the installed resolver knows it: NULL when
 * id is 0, unknown, or no resolver is installed. */
const struct cg_ident *cg_ident_lookup(uint64_t id);
void cg_ident_set_resolver(const struct cg_ident *(*fn)(void *ctx, uint64_t id), void *ctx);
/* Drops what cg_ident_lookup() remembers: the resolver freed identities. */
void cg_ident_forget(void);

#endif
