// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <fcntl.h>
#include <pthread.h>
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/err.h"
#include "lib/grow.h"
#include "kernel/netns.h"
#include "kernel/snapshot.h"
#include "snapshot.skel.h"

struct snapshot_loader {
	struct snapshot_bpf *skel;
	struct bpf_link *files;
	struct bpf_link *tcp;
	struct bpf_link *udp;
};

struct recs {
	struct ss_sockinfo *v;
	size_t nr;
	size_t cap;
};

static int silent_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static int verbose_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

int snapshot_loader__open(struct snapshot_loader **out, int verbose, char *err, size_t errlen)
{
	struct snapshot_loader *l;
	int rc;

	*out = NULL;
	libbpf_set_print(verbose >= 2 ? verbose_print : silent_print);
	l = calloc(1, sizeof(*l));
	if (!l)
		return errf(err, errlen, -ENOMEM, "out of memory");
	l->skel = snapshot_bpf__open_and_load();
	if (!l->skel) {
		int e = errno;

		rc = errf(err, errlen, neg_errno(e),
			  "load snapshot iterators: %s (run with -vv for "
			  "libbpf's log)",
			  strerror(e));
		goto fail;
	}
	l->files = bpf_program__attach_iter(l->skel->progs.ss_snap_files, NULL);
	l->tcp = bpf_program__attach_iter(l->skel->progs.ss_snap_tcp, NULL);
	l->udp = bpf_program__attach_iter(l->skel->progs.ss_snap_udp, NULL);
	if (!l->files || !l->tcp || !l->udp) {
		rc = errf(err, errlen, -EOPNOTSUPP, "attach iter/task_file, iter/tcp, iter/udp: %s",
			  strerror(errno));
		goto fail;
	}
	*out = l;
	return 0;
fail:
	snapshot_loader__close(l);
	return rc;
}

void snapshot_loader__close(struct snapshot_loader *l)
{
	if (!l)
		return;
	bpf_link__destroy(l->files);
	bpf_link__destroy(l->tcp);
	bpf_link__destroy(l->udp);
	snapshot_bpf__destroy(l->skel);
	free(l);
}

/* Runs one iterator to the end, appending its whole records to r. */
static int read_iter(struct bpf_link *link, struct recs *r)
{
	size_t used = r->nr * sizeof(*r->v);
	int fd, rc = 0;

	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0)
		return -errno;
	for (;;) {
		size_t room;
		ssize_t n;

		if ((r->cap * sizeof(*r->v)) - used < 64 * 1024 &&
		    (rc = grow_array(&r->v, &r->cap, sizeof(*r->v), 4096)))
			break;
		room = r->cap * sizeof(*r->v) - used;
		n = read(fd, (char *)r->v + used, room);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	if (!rc && used % sizeof(*r->v))
		rc = -EIO; /* a torn record: the iterator output is inconsistent */
	if (!rc)
		r->nr = used / sizeof(*r->v);
	return rc;
}

/* One iterator read on a thread of its own, in the namespace of netns_fd. */
struct table_job {
	struct bpf_link *link;
	int netns_fd; /* -1: this one */
	struct recs out;
	int rc;
};

static void *table_job_run(void *arg)
{
	struct table_job *j = arg;

	/* a thread's own namespace: it ends with the thread */
	if (j->netns_fd >= 0 && setns(j->netns_fd, CLONE_NEWNET))
		j->rc = -errno;
	else
		j->rc = read_iter(j->link, &j->out);
	return NULL;
}

/* Appends the records of r to socks. */
static int recs_append(struct recs *socks, const struct recs *r)
{
	while (socks->cap - socks->nr < r->nr)
		if (grow_array(&socks->v, &socks->cap, sizeof(*socks->v), r->nr))
			return -ENOMEM;
	if (r->nr)
		memcpy(socks->v + socks->nr, r->v, r->nr * sizeof(*r->v));
	socks->nr += r->nr;
	return 0;
}

/*
 * Reads the TCP and UDP tables of one namespace (entering it if needed):
 * UDP on a second thread while this one reads TCP, for the kernel's walk
 * of each table is most of a snapshot's time (sequentially, when no
 * thread can be started).
 */
static int read_netns_tables(struct snapshot_loader *l, uint32_t ino, uint32_t self_ino,
			     int self_fd, struct recs *socks)
{
	struct table_job udp = {.link = l->udp, .netns_fd = -1};
	bool threaded;
	pthread_t t;
	int fd = -1, rc;

	if (ino != self_ino) {
		fd = netns_open(ino);
		if (fd < 0)
			return fd;
		if (setns(fd, CLONE_NEWNET)) {
			rc = -errno;
			close(fd);
			return rc;
		}
	}
	udp.netns_fd = fd;
	/*
	 * Its array is allocated here: grown in the thread, it would live in
	 * the thread's malloc arena, which keeps the pages after the free
	 * (4.5 MiB more at the start-up peak with 100,000 sockets).
	 */
	threaded = !grow_array(&udp.out.v, &udp.out.cap, sizeof(*udp.out.v), 4096) &&
		   !pthread_create(&t, NULL, table_job_run, &udp);
	rc = read_iter(l->tcp, socks);
	if (threaded) {
		pthread_join(t, NULL);
		if (!rc)
			rc = udp.rc ? udp.rc : recs_append(socks, &udp.out);
		free(udp.out.v);
	} else {
		free(udp.out.v);
		if (!rc)
			rc = read_iter(l->udp, socks);
	}
	if (fd >= 0) {
		/* Always come back, or every later socket op happens elsewhere. */
		if (setns(self_fd, CLONE_NEWNET)) {
			fprintf(stderr, "sockscope: cannot return to own network namespace: %s\n",
				strerror(errno));
			abort();
		}
		close(fd);
	}
	return rc;
}

/* Reads the tables of nl's namespaces from index *done on; counts them. */
static int read_tables(struct snapshot_loader *l, struct snapshot *s, const struct netns_list *nl,
		       size_t *done, uint32_t self_ino, int self_fd, struct recs *socks)
{
	for (; *done < nl->nr; (*done)++) {
		int e = read_netns_tables(l, nl->inodes[*done], self_ino, self_fd, socks);

		if (e == -ENOMEM)
			return e;
		/* A namespace can vanish while we look: count it, go on. */
		if (e)
			s->netns_failed++;
		else
			s->nr_netns++;
	}
	return 0;
}

/*
 * The socket tables are read before the holders: iter/tcp and iter/udp hold
 * trusted socket pointers and generate the cookies of sockets nobody asked
 * one for yet, while iter/task_file can only read the cookie (since 6.18 a
 * socket reached through its file is an untrusted pointer). Namespaces that
 * only the holders reveal (a socket kept after setns) are read afterwards.
 */
int snapshot__take(struct snapshot_loader *l, struct snapshot *s, uint32_t only_netns, char *err,
		   size_t errlen)
{
	struct recs holders = {0}, socks = {0};
	struct netns_list nl = {0};
	uint32_t self_ino = netns_self();
	int self_fd = -1, rc;
	size_t done = 0;

	memset(s, 0, sizeof(*s));
	if (only_netns) {
		rc = netns_list__add(&nl, only_netns);
	} else {
		rc = netns_list__add(&nl, self_ino);
		if (!rc)
			rc = netns_list__scan(&nl);
	}
	if (rc) {
		errf(err, errlen, rc, "list network namespaces: %s", strerror(-rc));
		goto out;
	}
	self_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self_fd < 0) {
		rc = -errno;
		errf(err, errlen, rc, "open own network namespace: %s", strerror(-rc));
		goto out;
	}
	rc = read_tables(l, s, &nl, &done, self_ino, self_fd, &socks);
	if (rc) {
		errf(err, errlen, rc, "out of memory");
		goto out;
	}
	rc = read_iter(l->files, &holders);
	if (rc) {
		errf(err, errlen, rc, "read iter/task_file: %s", strerror(-rc));
		goto out;
	}
	for (size_t i = 0; i < holders.nr && !rc && !only_netns; i++)
		rc = netns_list__add(&nl, holders.v[i].netns);
	if (!rc)
		rc = read_tables(l, s, &nl, &done, self_ino, self_fd, &socks);
	if (rc) {
		errf(err, errlen, rc, "out of memory");
		goto out;
	}
	s->socks = socks.v;
	s->nr_socks = socks.nr;
	s->holders = holders.v;
	s->nr_holders = holders.nr;
	snapshot__sort(s);
	socks.v = holders.v = NULL;
	/* without memory for them the holders only lack their cgroups */
	(void)snapshot__read_cgroups(s);
out:
	if (self_fd >= 0)
		close(self_fd);
	netns_list__free(&nl);
	free(socks.v);
	free(holders.v);
	return rc;
}
