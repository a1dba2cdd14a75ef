// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cgroup path -> unit, container, pod (see cgroup_ident.h). The layouts, as
 * the runtimes create them:
 *
 *   docker, systemd driver    /system.slice/docker-<64 hex>.scope
 *   docker, cgroupfs driver   /docker/<64 hex>
 *   containerd (CRI)          .../cri-containerd-<id>.scope
 *   cri-o                     .../crio-<id>.scope (crio-conmon-<id>: the monitor)
 *   podman                    .../libpod-<id>.scope, /libpod_parent/libpod-<id>
 *                             (libpod-conmon-<id>: the monitor)
 *   kubepods, systemd         /kubepods.slice/kubepods-burstable.slice/
 *                             kubepods-burstable-pod<uid, '_' for '-'>.slice/<runtime scope>
 *   kubepods, cgroupfs        /kubepods/burstable/pod<uid>/<64 hex> (runtime unknown)
 *
 * The monitors' ids are not hex, so they never match a container.
 */
#include <errno.h>
#include <stddef.h>
#include <stdbool.h>
#include <string.h>

#include "lib/escape.h"
#include "model/cgroup_ident.h"

#define ID_MIN 12
#define ID_MAX 64
#define UUID_LEN 36

struct prefix_rt {
	const char *prefix;
	const char *runtime;
};

/* "<prefix><hex>.scope" (or without .scope where the runtime does that). */
static const struct prefix_rt scopes[] = {
	{"docker-", "docker"},
	{"cri-containerd-", "containerd"},
	{"crio-", "cri-o"},
	{"libpod-", "podman"},
};

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n > k && !memcmp(s + n - k, suffix, k);
}

static bool eq(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && !memcmp(s, word, n);
}

static void put(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static bool set_container(struct cg_ident *id, const char *hex, size_t n, const char *runtime)
{
	if (n < ID_MIN || n > ID_MAX || !is_hex(hex, n))
		return false;
	put(id->container_id, sizeof(id->container_id), hex, n);
	id->runtime = runtime;
	return true;
}

/* A runtime's scope (or cgroupfs leaf) named <prefix><hex>[.scope]. */
static bool runtime_component(struct cg_ident *id, const char *c, size_t n)
{
	if (ends_with(c, n, ".scope"))
		n -= strlen(".scope");
	for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		size_t k = strlen(scopes[i].prefix);

		if (n > k && !memcmp(c, scopes[i].prefix, k))
			return set_container(id, c + k, n - k, scopes[i].runtime);
	}
	return false;
}

/* A pod uid, with systemd's '_' for '-' turned back. */
static bool set_pod(struct cg_ident *id, const char *s, size_t n)
{
	char uid[UUID_LEN + 1];

	if (n != UUID_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i] == '_' ? '-' : s[i];

		if (c != '-' && !is_hex(&c, 1))
			return false;
		uid[i] = c;
	}
	uid[n] = '\0';
	memcpy(id->pod_uid, uid, sizeof(uid));
	return true;
}

/* kubepods-[<qos>-]pod<uid>.slice */
static bool pod_slice(struct cg_ident *id, const char *c, size_t n)
{
	const char *p;
	size_t k;

	if (n < 9 || memcmp(c, "kubepods-", 9) || !ends_with(c, n, ".slice"))
		return false;
	n -= strlen(".slice");
	/* the last "pod" of the name: the qos class may not contain one */
	for (p = NULL, k = 9; k + 3 <= n; k++)
		if (!memcmp(c + k, "pod", 3) && (c[k - 1] == '-'))
			p = c + k + 3;
	return p && set_pod(id, p, (size_t)(c + n - p));
}

static bool unit_component(const char *c, size_t n)
{
	return ends_with(c, n, ".service") || ends_with(c, n, ".scope");
}

static void jfield(struct sbuf *sb, const char *key, const char *val, size_t max)
{
	if (!val || !val[0])
		return;
	sbuf_puts(sb, ",\"");
	sbuf_puts(sb, key);
	sbuf_puts(sb, "\":");
	json_str(sb, val, max);
}

void cg_ident_json(struct sbuf *sb, const struct cg_ident *id)
{
	jfield(sb, "cgroup", id->path, sizeof(id->path));
	jfield(sb, "unit", id->unit, sizeof(id->unit));
	jfield(sb, "container_id", id->container_id, sizeof(id->container_id));
	jfield(sb, "container_runtime", id->runtime, 16);
	jfield(sb, "pod_uid", id->pod_uid, sizeof(id->pod_uid));
}

static void render(struct cg_ident *id)
{
	struct sbuf sb;

	sbuf_init(&sb, id->json, sizeof(id->json));
	cg_ident_json(&sb, id);
	id->json_len = sb.overflow ? 0 : sb.len;
}

int cg_ident_parse(const char *path, struct cg_ident *id)
{
	size_t len = path ? strnlen(path, CG_PATH_MAX) : 0;
	bool kubepods_fs = false, docker_fs = false;
	const char *c = path;

	memset(id, 0, offsetof(struct cg_ident, json));
	id->json[0] = '\0';
	id->json_len = 0;
	if (!len || len >= CG_PATH_MAX || path[0] != '/')
		return -EINVAL;
	memcpy(id->path, path, len + 1);
	while (*c) {
		size_t n;

		while (*c == '/')
			c++;
		n = strcspn(c, "/");
		if (!n)
			break;
		if (unit_component(c, n))
			put(id->unit, sizeof(id->unit), c, n);
		if (runtime_component(id, c, n)) {
			/* found: the kubepods cgroupfs leaf is no longer owed */
		} else if (docker_fs && n == ID_MAX) {
			set_container(id, c, n, "docker");
		} else if (kubepods_fs && n == ID_MAX && is_hex(c, n)) {
			/* the cgroupfs driver names no runtime: none invented */
			set_container(id, c, n, NULL);
		} else if (kubepods_fs && n > 3 && !memcmp(c, "pod", 3)) {
			set_pod(id, c + 3, n - 3);
		} else {
			pod_slice(id, c, n);
		}
		/* cgroupfs drivers: a plain directory names the parent */
		docker_fs = eq(c, n, "docker");
		if (eq(c, n, "kubepods"))
			kubepods_fs = true;
		c += n;
	}
	render(id);
	return 0;
}

bool cg_ident_container_arg_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= ID_MIN && n <= ID_MAX && is_hex(s, n);
}

bool cg_ident_container_matches(const struct cg_ident *id, const char *prefix)
{
	size_t n = strlen(prefix);

	return id && id->container_id[0] && !strncmp(id->container_id, prefix, n);
}

/* ---- the resolver hook --------------------------------------------------- */

static const struct cg_ident *(*resolver)(void *ctx, uint64_t id);
static void *resolver_ctx;

/*
 * The last identities looked up, by id % MEMO: a busy process's events skip
 * the resolver (two calls and a hash probe, ~30 of an event's ~1,650
 * instructions). Whoever frees identities calls cg_ident_forget().
 */
#define MEMO 8

static struct {
	uint64_t id;
	const struct cg_ident *ident;
} memo[MEMO];

void cg_ident_forget(void)
{
	memset(memo, 0, sizeof(memo));
}

void cg_ident_set_resolver(const struct cg_ident *(*fn)(void *ctx, uint64_t id), void *ctx)
{
	resolver = fn;
	resolver_ctx = ctx;
	cg_ident_forget();
}

const struct cg_ident *cg_ident_lookup(uint64_t id)
{
	const struct cg_ident *ident;

	/* id 0 matches only an empty slot (ident NULL): never stored */
	if (memo[id % MEMO].id == id)
		return memo[id % MEMO].ident;
	if (!id || !resolver)
		return NULL;
	ident = resolver(resolver_ctx, id);
	if (ident) {
		memo[id % MEMO].id = id;
		memo[id % MEMO].ident = ident;
	}
	return ident;
}
