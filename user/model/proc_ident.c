// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "model/proc_ident.h"

#define DEFAULT_CAP 8192
#define WAYS 4
/* A failed /proc read is not retried for this long (a dead pid asked
 * about on every event or every redraw costs one failed open a second). */
#define MISS_TTL_NS 1000000000ull

struct slot {
	struct proc_ident pi;
	uint64_t exit_ns; /* 0: not seen exiting */
	uint64_t miss_ns; /* a negative entry: /proc had no such process then */
	uint64_t used;	  /* LRU clock */
	bool valid;
};

struct proc_cache {
	struct slot *slots;
	size_t nr_buckets; /* a power of two; WAYS slots each */
	uint64_t clock;
	char root[PATH_MAX];
};

struct proc_cache *proc_cache__new(size_t cap, const char *proc_root)
{
	struct proc_cache *c = calloc(1, sizeof(*c));
	size_t n = 1;

	if (!c)
		return NULL;
	if (!cap)
		cap = DEFAULT_CAP;
	while (n * WAYS < cap)
		n <<= 1;
	c->nr_buckets = n;
	c->slots = calloc(n * WAYS, sizeof(*c->slots));
	if (!c->slots) {
		free(c);
		return NULL;
	}
	if (proc_root)
		snprintf(c->root, sizeof(c->root), "%s", proc_root);
	return c;
}

void proc_cache__free(struct proc_cache *c)
{
	if (!c)
		return;
	free(c->slots);
	free(c);
}

static struct slot *bucket(struct proc_cache *c, uint32_t pid)
{
	uint32_t h = pid * 2654435761u;

	return &c->slots[(h >> 8 & (c->nr_buckets - 1)) * WAYS];
}

static struct slot *find(struct proc_cache *c, uint32_t pid)
{
	struct slot *b = bucket(c, pid);

	for (int i = 0; i < WAYS; i++)
		if (b[i].valid && b[i].pi.pid == pid)
			return &b[i];
	return NULL;
}

/* The pid's slot, or the least recently used of its bucket, emptied. */
static struct slot *claim(struct proc_cache *c, uint32_t pid)
{
	struct slot *b = bucket(c, pid), *s = find(c, pid);

	if (!s) {
		s = &b[0];
		for (int i = 0; i < WAYS && s->valid; i++)
			if (!b[i].valid || b[i].used < s->used)
				s = &b[i];
	}
	memset(s, 0, sizeof(*s));
	s->valid = true;
	s->pi.pid = pid;
	s->used = ++c->clock;
	return s;
}

/* A slot for a negative entry: an empty one or another miss, else NULL. */
static struct slot *free_slot(struct proc_cache *c, uint32_t pid)
{
	struct slot *b = bucket(c, pid);

	for (int i = 0; i < WAYS; i++) {
		if (!b[i].valid || b[i].miss_ns) {
			memset(&b[i], 0, sizeof(b[i]));
			b[i].valid = true;
			b[i].pi.pid = pid;
			b[i].miss_ns = 1;
			return &b[i];
		}
	}
	return NULL;
}

void proc_ident__cmdline(char *out, const char *raw, size_t len)
{
	if (len > SS_CMDLINE_LEN)
		len = SS_CMDLINE_LEN;
	while (len && !raw[len - 1])
		len--; /* the last argument's NUL (and setproctitle padding) */
	for (size_t i = 0; i < len; i++)
		out[i] = raw[i] ? raw[i] : ' ';
	out[len] = 0;
}

/* Numbers every identity the cache stores (struct proc_ident.gen). */
static uint64_t next_gen(void)
{
	static uint64_t gen;

	return ++gen;
}

const struct proc_ident *proc_cache__add(struct proc_cache *c, const struct ss_proc *r)
{
	struct slot *s = claim(c, r->pid);
	struct proc_ident *pi = &s->pi;

	pi->start_ns = r->start_ns;
	pi->ppid = r->ppid;
	memcpy(pi->pcomm, r->pcomm, SS_COMM_LEN - 1);
	if (pi->ppid)
		pi->flags |= PI_PPID;
	pi->nspid = r->nspid;
	pi->pidns = r->pidns;
	if (pi->nspid && pi->pidns)
		pi->flags |= PI_NS;
	if (!(r->hdr.flags & SS_PF_NO_EXE) && r->exe_off < SS_EXE_LEN - 1) {
		size_t n = strnlen(r->exe + r->exe_off, SS_EXE_LEN - 1 - r->exe_off);

		memcpy(pi->exe, r->exe + r->exe_off, n);
		pi->exe[n] = 0;
		if (n)
			pi->flags |= PI_EXE;
		if (r->hdr.flags & SS_PF_EXE_TRUNC)
			pi->flags |= PI_EXE_TRUNC;
	}
	proc_ident__cmdline(pi->cmdline, r->cmdline, r->cmdline_len);
	if (pi->cmdline[0])
		pi->flags |= PI_CMDLINE;
	if (r->hdr.flags & SS_PF_CMDLINE_TRUNC)
		pi->flags |= PI_CMDLINE_TRUNC;
	pi->gen = next_gen();
	return pi;
}

void proc_cache__exited(struct proc_cache *c, uint32_t pid, uint64_t now_ns)
{
	struct slot *s = find(c, pid);

	if (s && !s->miss_ns && !s->exit_ns)
		s->exit_ns = now_ns ? now_ns : 1;
}

/* ---- /proc/PID ----------------------------------------------------------- */

/* Up to len - 1 bytes of root/pid/name, NUL-terminated: the count or -errno. */
static ssize_t read_small(const char *root, uint32_t pid, const char *name, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n, got = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%u/%s", root, pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	while ((size_t)got < len - 1 && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += n;
	close(fd);
	buf[got] = 0;
	return got;
}

/* stat: ppid (field 4) and starttime (22) after the comm in parentheses,
 * which may itself hold ')' and spaces. */
static int parse_stat(const char *buf, uint32_t *ppid, uint64_t *start_ticks)
{
	const char *p = strrchr(buf, ')');
	char *end;

	if (!p)
		return -EINVAL;
	p++;
	for (int field = 3; field <= 22; field++) {
		while (*p == ' ')
			p++;
		if (!*p)
			return -EINVAL;
		if (field == 4)
			*ppid = strtoul(p, &end, 10);
		else if (field == 22)
			*start_ticks = strtoull(p, &end, 10);
		p = strchr(p, ' ');
		if (!p && field < 22)
			return -EINVAL;
	}
	return 0;
}

/* status: the last number of "NSpid:", the pid in the innermost namespace */
static uint32_t parse_nspid(const char *buf)
{
	const char *p = strstr(buf, "\nNSpid:");
	uint32_t last = 0;
	char *end;

	if (!p)
		return 0;
	p += 7;
	for (;;) {
		unsigned long v = strtoul(p, &end, 10);

		if (end == p)
			break;
		last = v;
		p = end;
	}
	return last;
}

int proc_ident__read(const char *root, uint32_t pid, struct proc_ident *pi)
{
	char buf[4096], path[PATH_MAX];
	uint64_t ticks = 0;
	struct stat st;
	ssize_t n;
	long hz = sysconf(_SC_CLK_TCK);
	int rc;

	memset(pi, 0, sizeof(*pi));
	pi->pid = pid;
	n = read_small(root, pid, "stat", buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	rc = parse_stat(buf, &pi->ppid, &ticks);
	if (rc)
		return rc;
	pi->start_ns = ticks * (1000000000ull / (uint64_t)(hz > 0 ? hz : 100));
	if (pi->ppid) {
		pi->flags |= PI_PPID;
		if (read_small(root, pi->ppid, "comm", buf, SS_COMM_LEN + 1) > 0) {
			size_t k = strcspn(buf, "\n");

			memcpy(pi->pcomm, buf, k < SS_COMM_LEN - 1 ? k : SS_COMM_LEN - 1);
		}
	}
	if (read_small(root, pid, "status", buf, sizeof(buf)) > 0)
		pi->nspid = parse_nspid(buf);
	snprintf(path, sizeof(path), "%s/%u/ns/pid", root, pid);
	if (pi->nspid && !stat(path, &st)) {
		pi->pidns = (uint32_t)st.st_ino;
		pi->flags |= PI_NS;
	}
	snprintf(path, sizeof(path), "%s/%u/exe", root, pid);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n > 0) {
		size_t skip = (size_t)n > SS_EXE_LEN - 1 ? (size_t)n - (SS_EXE_LEN - 1) : 0;

		memcpy(pi->exe, buf + skip, (size_t)n - skip);
		pi->exe[n - skip] = 0;
		pi->flags |= PI_EXE | (skip ? PI_EXE_TRUNC : 0);
	}
	n = read_small(root, pid, "cmdline", buf, SS_CMDLINE_LEN + 2);
	if (n > 0) {
		proc_ident__cmdline(pi->cmdline, buf, (size_t)n);
		if (pi->cmdline[0])
			pi->flags |= PI_CMDLINE;
		if (n > SS_CMDLINE_LEN)
			pi->flags |= PI_CMDLINE_TRUNC;
	}
	return 0;
}

/* ---- lookups ------------------------------------------------------------- */

const struct proc_ident *proc_cache__get(struct proc_cache *c, uint32_t pid, uint64_t when_ns,
					 bool live)
{
	struct slot *s = find(c, pid);
	struct proc_ident pi;

	if (!pid)
		return NULL;
	if (s && !s->miss_ns && s->pi.start_ns <= when_ns && !(live && s->exit_ns)) {
		s->used = ++c->clock;
		return &s->pi;
	}
	if (s && s->miss_ns && when_ns <= s->miss_ns + MISS_TTL_NS)
		return NULL;
	if (!c->root[0])
		return NULL;
	if (proc_ident__read(c->root, pid, &pi)) {
		/* a miss is remembered in a free slot, never over an identity
		 * (what the kernel told about an exited process stays) */
		if (!s)
			s = free_slot(c, pid);
		if (s && s->miss_ns)
			s->miss_ns = when_ns ? when_ns : 1;
		return NULL;
	}
	/* a process that started after the one asked about is not it */
	if (s && !s->miss_ns && pi.start_ns <= s->pi.start_ns)
		return NULL; /* and the cached one (newer) stays */
	s = claim(c, pid);
	s->pi = pi;
	s->pi.gen = next_gen();
	return pi.start_ns <= when_ns ? &s->pi : NULL;
}

uint64_t proc_boot_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t proc_mono_to_boot_ns(uint64_t mono_ns)
{
	static uint64_t offset;
	static bool have;

	if (!have) {
		struct timespec m;

		clock_gettime(CLOCK_MONOTONIC, &m);
		offset = proc_boot_now_ns() -
			 ((uint64_t)m.tv_sec * 1000000000ull + (uint64_t)m.tv_nsec);
		have = true;
	}
	return mono_ns + offset;
}

static struct proc_cache *default_cache;

struct proc_cache *proc_cache__default(void)
{
	if (!default_cache)
		default_cache = proc_cache__new(0, NULL);
	return default_cache;
}

void proc_cache__default_root(const char *proc_root)
{
	struct proc_cache *c = proc_cache__default();

	if (c)
		snprintf(c->root, sizeof(c->root), "%s", proc_root ? proc_root : "");
}

const struct proc_ident *proc_ident__live(uint32_t pid)
{
	struct proc_cache *c = proc_cache__default();

	return c ? proc_cache__get(c, pid, proc_boot_now_ns(), true) : NULL;
}
