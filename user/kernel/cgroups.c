// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The cgroup id cache (see cgroups.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "kernel/cgroups.h"
#include "kernel/system.h"
#include "lib/err.h"
#include "lib/timefmt.h"

#ifndef FILEID_KERNFS
#define FILEID_KERNFS 0xfe /* include/linux/exportfs.h */
#endif

#define CACHE_MIN 256
#define CACHE_MAX 8192	       /* ids; at the bound the cache starts over */
#define RETRIES 4	       /* then an unknown id stays unknown */
#define RETRY_NS 250000000ull  /* doubling after each failure */
#define BUDGET 256	       /* resolutions per window: ~2 us each, at most ~0.5% of the loop */
#define WINDOW_NS 100000000ull /* 100 ms */
#define WALK_EVERY_NS 1000000000ull /* fallback walks at most once a second */
#define WALK_MAX_DIRS 20000
#define WALK_MAX_DEPTH 32

struct cg_entry {
	uint64_t id;		/* 0: free slot */
	struct cg_ident *ident; /* NULL: not known (yet) */
	uint64_t retry_ns;
	uint32_t tries;
};

struct cgroups {
	int root_fd;
	dev_t dev;
	char mount[PATH_MAX];
	size_t mount_len;
	struct cg_entry *tab;
	size_t cap, nr;
	int handles;  /* 1 work, 0 untried, -1 refused: walk instead */
	bool cgroup2; /* the mount is cgroup2 (else: a test's directory tree) */
	uint64_t window_ns, last_walk_ns;
	unsigned int spent;
	struct cgroups_stats st;
};

static size_t slot_of(uint64_t id, size_t cap)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdull;
	id ^= id >> 33;
	return (size_t)id & (cap - 1);
}

/* The entry of id, or the free slot where it goes. */
static struct cg_entry *probe(const struct cgroups *c, uint64_t id)
{
	size_t i = slot_of(id, c->cap);

	while (c->tab[i].id && c->tab[i].id != id)
		i = (i + 1) & (c->cap - 1);
	return &c->tab[i];
}

static void clear_tab(struct cg_entry *t, size_t cap)
{
	cg_ident_forget(); /* its memo points into what is freed */
	for (size_t i = 0; i < cap; i++)
		free(t[i].ident);
	memset(t, 0, cap * sizeof(*t));
}

/* Room for one more entry: grow to CACHE_MAX, then start over (entries
 * are cheap to resolve again; a bounded cache is what matters). */
static int make_room(struct cgroups *c)
{
	struct cg_entry *old = c->tab, *n;
	size_t oldcap = c->cap;

	if ((c->nr + 1) * 4 <= c->cap * 3)
		return 0;
	if (c->cap >= CACHE_MAX * 2) {
		clear_tab(c->tab, c->cap);
		c->nr = 0;
		return 0;
	}
	n = calloc(oldcap * 2, sizeof(*n));
	if (!n)
		return -ENOMEM;
	c->tab = n;
	c->cap = oldcap * 2;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].id)
			*probe(c, old[i].id) = old[i];
	free(old);
	return 0;
}

static struct cg_entry *entry_get(struct cgroups *c, uint64_t id)
{
	struct cg_entry *e = probe(c, id);

	if (e->id)
		return e;
	if (make_room(c))
		return NULL;
	e = probe(c, id);
	e->id = id;
	c->nr++;
	return e;
}

int cgroups__insert(struct cgroups *c, uint64_t id, const char *path)
{
	struct cg_ident *ident;
	struct cg_entry *e;

	if (!id)
		return -EINVAL;
	ident = malloc(sizeof(*ident));
	if (!ident)
		return -ENOMEM;
	if (cg_ident_parse(path, ident)) {
		free(ident);
		return -EINVAL;
	}
	e = entry_get(c, id);
	if (!e) {
		free(ident);
		return -ENOMEM;
	}
	if (e->ident)
		cg_ident_forget();
	free(e->ident);
	e->ident = ident;
	e->tries = 0;
	c->st.resolved++;
	return 0;
}

/* Is rel (relative to the root, "/..." form) the directory with inode id? */
static bool path_is(const struct cgroups *c, const char *rel, uint64_t id)
{
	struct stat sb;

	if (fstatat(c->root_fd, rel[1] ? rel + 1 : ".", &sb, AT_SYMLINK_NOFOLLOW))
		return false;
	return S_ISDIR(sb.st_mode) && sb.st_dev == c->dev && (uint64_t)sb.st_ino == id;
}

/* The id as a kernfs file handle: the directory, then its path. */
static int resolve_handle(struct cgroups *c, uint64_t id)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = {.fh = {.handle_bytes = sizeof(uint64_t), .handle_type = FILEID_KERNFS}};
	char link[64], path[PATH_MAX];
	ssize_t n;
	int fd, rc = -ENOENT;

	memcpy(h.fh.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(c->root_fd, &h.fh, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return neg_errno(errno);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	close(fd);
	if (n <= 0)
		return -ENOENT;
	path[n] = '\0';
	if ((size_t)n == c->mount_len && !memcmp(path, c->mount, c->mount_len))
		rc = cgroups__insert(c, id, "/");
	else if ((size_t)n > c->mount_len && !memcmp(path, c->mount, c->mount_len) &&
		 path[c->mount_len] == '/' && path_is(c, path + c->mount_len, id))
		rc = cgroups__insert(c, id, path + c->mount_len);
	return rc;
}

/* ---- the fallback: a bounded walk of the tree ----------------------------- */

struct walk {
	struct cgroups *c;
	char path[CG_PATH_MAX];
	unsigned int dirs;
};

static void walk_dir(struct walk *w, int dfd, size_t len, unsigned int depth)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;

	if (!d) {
		close(dfd);
		return;
	}
	while ((de = readdir(d)) && w->dirs < WALK_MAX_DIRS) {
		size_t n = strlen(de->d_name);
		struct stat sb;
		int sub;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (len + 1 + n >= sizeof(w->path))
			continue;
		sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			continue;
		if (fstat(sub, &sb)) {
			close(sub);
			continue;
		}
		w->dirs++;
		w->path[len] = '/';
		memcpy(w->path + len + 1, de->d_name, n + 1);
		cgroups__insert(w->c, (uint64_t)sb.st_ino, w->path);
		if (depth < WALK_MAX_DEPTH)
			walk_dir(w, sub, len + 1 + n, depth + 1);
		else
			close(sub);
		w->path[len] = '\0';
	}
	closedir(d);
}

static int resolve_walk(struct cgroups *c, uint64_t id, uint64_t now)
{
	struct walk w = {.c = c};
	struct stat sb;
	int fd;

	if (c->last_walk_ns && now - c->last_walk_ns < WALK_EVERY_NS)
		return -EAGAIN;
	c->last_walk_ns = now;
	c->st.walks++;
	fd = openat(c->root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return neg_errno(errno);
	if (!fstat(fd, &sb))
		cgroups__insert(c, (uint64_t)sb.st_ino, "/");
	walk_dir(&w, fd, 0, 0);
	return probe(c, id)->ident ? 0 : -ENOENT;
}

/* ---- lookups ------------------------------------------------------------- */

/* Within this window's budget? Spends one resolution. */
static bool budget(struct cgroups *c, uint64_t now)
{
	if (now - c->window_ns >= WINDOW_NS) {
		c->window_ns = now;
		c->spent = 0;
	}
	if (c->spent >= BUDGET) {
		c->st.throttled++;
		return false;
	}
	c->spent++;
	return true;
}

static int resolve(struct cgroups *c, uint64_t id, uint64_t now)
{
	int rc;

	if (c->handles < 0)
		return resolve_walk(c, id, now);
	rc = resolve_handle(c, id);
	if (!rc) {
		c->handles = 1;
	} else if (!c->handles && (!c->cgroup2 || rc == -EOPNOTSUPP || rc == -EPERM ||
				   rc == -EINVAL || rc == -ENOSYS)) {
		/* never worked yet and refused (no privilege, not kernfs): a walk
		 * tells whether the walk works instead. On cgroup2 any other
		 * error means the cgroup is gone: no walk finds it either. */
		rc = resolve_walk(c, id, now);
		if (!rc)
			c->handles = -1;
	}
	return rc;
}

const struct cg_ident *cgroups__ident(struct cgroups *c, uint64_t id)
{
	struct cg_entry *e;
	uint64_t now;

	if (!c || !id)
		return NULL;
	e = probe(c, id);
	if (e->id && e->ident) {
		c->st.hits++;
		return e->ident;
	}
	c->st.misses++;
	now = mono_now_ns();
	if (e->id && (e->tries >= RETRIES || now < e->retry_ns))
		return NULL;
	if (!budget(c, now))
		return NULL;
	if (!resolve(c, id, now))
		return probe(c, id)->ident;
	c->st.failed++;
	e = entry_get(c, id);
	if (e && !e->ident) {
		e->retry_ns = now + (RETRY_NS << e->tries);
		e->tries++;
	}
	return NULL;
}

uint64_t cgroups__pid_id(struct cgroups *c, uint32_t pid)
{
	char name[40], buf[CG_PATH_MAX + 64], *p, *nl;
	struct stat sb;
	ssize_t n;
	int fd;

	if (!c || !pid)
		return 0;
	snprintf(name, sizeof(name), "/proc/%u/cgroup", pid);
	fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* the unified hierarchy's line; v1 lines (hybrid hosts) come first */
	if (!strncmp(buf, "0::", 3))
		p = buf + 3;
	else if ((p = strstr(buf, "\n0::")))
		p += 4;
	else
		return 0;
	nl = strchr(p, '\n');
	if (!nl)
		return 0; /* cut: longer than any path we keep */
	*nl = '\0';
	if (p[0] != '/' || fstatat(c->root_fd, p[1] ? p + 1 : ".", &sb, AT_SYMLINK_NOFOLLOW) ||
	    sb.st_dev != c->dev)
		return 0;
	if (!probe(c, (uint64_t)sb.st_ino)->ident)
		cgroups__insert(c, (uint64_t)sb.st_ino, p);
	return (uint64_t)sb.st_ino;
}

void cgroups__stats(const struct cgroups *c, struct cgroups_stats *st)
{
	*st = c->st;
	st->entries = c->nr;
}

int cgroups__open(struct cgroups **out, const char *mount, char *err, size_t errlen)
{
	char found[PATH_MAX];
	struct cgroups *c;
	struct statfs fs;
	struct stat sb;
	int rc;

	*out = NULL;
	if (!mount) {
		rc = sys_find_cgroup2(found, sizeof(found), err, errlen);
		if (rc)
			return rc;
		mount = found;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->tab = calloc(CACHE_MIN, sizeof(*c->tab)))) {
		free(c);
		return errf(err, errlen, -ENOMEM, "cgroup cache: out of memory");
	}
	c->cap = CACHE_MIN;
	snprintf(c->mount, sizeof(c->mount), "%s", mount);
	c->mount_len = strlen(c->mount);
	while (c->mount_len > 1 && c->mount[c->mount_len - 1] == '/')
		c->mount[--c->mount_len] = '\0';
	c->root_fd = open(c->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->root_fd < 0 || fstat(c->root_fd, &sb)) {
		rc = neg_errno(errno);
		if (c->root_fd >= 0)
			close(c->root_fd);
		free(c->tab);
		free(c);
		return errf(err, errlen, rc, "open %s: %s", mount, strerror(-rc));
	}
	c->dev = sb.st_dev;
	c->cgroup2 = !fstatfs(c->root_fd, &fs) && fs.f_type == CGROUP2_SUPER_MAGIC;
	*out = c;
	return 0;
}

void cgroups__close(struct cgroups *c)
{
	if (!c)
		return;
	clear_tab(c->tab, c->cap);
	free(c->tab);
	close(c->root_fd);
	free(c);
}

/* ---- the process's instance ---------------------------------------------- */

static struct cgroups *shared;
static bool shared_tried, installed;

struct cgroups *cgroups__shared(void)
{
	if (installed && !shared_tried) {
		shared_tried = true;
		/* no cgroup2 mount: every identity is omitted, nothing fails */
		cgroups__open(&shared, NULL, NULL, 0);
	}
	return shared;
}

static const struct cg_ident *shared_lookup(void *ctx, uint64_t id)
{
	(void)ctx;
	return cgroups__ident(cgroups__shared(), id);
}

void cgroups__install(void)
{
	installed = true;
	cg_ident_set_resolver(shared_lookup, NULL);
}
