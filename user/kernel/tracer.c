// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/err.h"
#include "sockscope_abi.h"
#include "sockscope.skel.h"
#include "kernel/ringbuf.h"
#include "kernel/system.h"
#include "kernel/tracer.h"

#define MAX_LINKS 32

struct tracer {
	struct sockscope_bpf *skel;
	struct ringbuf *rb;
	struct bpf_link *links[MAX_LINKS];
	unsigned int nr_links;
	int cgroup_fd;
	tracer_record_fn on_record;
	void *ctx;
};

static int libbpf_verbosity;

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (libbpf_verbosity < 2 && level != LIBBPF_WARN)
		return 0;
	if (libbpf_verbosity < 2)
		return 0; /* our own messages say what failed; -vv shows libbpf's */
	return vfprintf(stderr, fmt, ap);
}

/* Wake the consumer when an eighth of the ring is pending (at most 1 MiB):
 * thousands of records per wakeup at high rates, a short delay when quiet. */
static uint32_t wakeup_threshold(uint32_t ring_size)
{
	uint32_t w = ring_size / 8;

	return w > (1u << 20) ? (1u << 20) : w;
}

static bool is_cgroup_prog(const struct bpf_program *prog)
{
	enum bpf_attach_type at = bpf_program__expected_attach_type(prog);

	return at == BPF_CGROUP_INET_SOCK_CREATE || at == BPF_CGROUP_INET_SOCK_RELEASE ||
	       at == BPF_CGROUP_INET4_POST_BIND || at == BPF_CGROUP_INET6_POST_BIND ||
	       at == BPF_CGROUP_UDP4_SENDMSG || at == BPF_CGROUP_UDP6_SENDMSG;
}

static int attach_all(struct tracer *t, char *err, size_t errlen)
{
	struct bpf_program *prog;

	bpf_object__for_each_program (prog, t->skel->obj) {
		struct bpf_link *link;

		if (prog == t->skel->progs.ss_seed)
			continue; /* run once by seed(), not attached */
		if (t->nr_links == MAX_LINKS)
			return errf(err, errlen, -E2BIG, "too many programs");
		if (is_cgroup_prog(prog))
			link = bpf_program__attach_cgroup(prog, t->cgroup_fd);
		else
			link = bpf_program__attach(prog);
		if (!link) {
			int e = errno;

			return errf(err, errlen, neg_errno(e), "attach %s (%s): %s",
				    bpf_program__section_name(prog), bpf_program__name(prog),
				    strerror(e));
		}
		t->links[t->nr_links++] = link;
	}
	return 0;
}

/* Give sockets that existed before start an owner. */
static int seed(struct tracer *t, char *err, size_t errlen)
{
	struct bpf_link *link;
	char buf[256];
	int fd, n;

	link = bpf_program__attach_iter(t->skel->progs.ss_seed, NULL);
	if (!link)
		return errf(err, errlen, neg_errno(errno), "attach iter/task_file: %s",
			    strerror(errno));
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		int e = errno;

		bpf_link__destroy(link);
		return errf(err, errlen, neg_errno(e), "create iter/task_file: %s", strerror(e));
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	if (n < 0) {
		int e = errno;

		close(fd);
		bpf_link__destroy(link);
		return errf(err, errlen, neg_errno(e), "read iter/task_file: %s", strerror(e));
	}
	close(fd);
	bpf_link__destroy(link);
	return 0;
}

static int load(struct tracer *t, const struct tracer_opts *opts, char *err, size_t errlen)
{
	int e;

	t->skel = sockscope_bpf__open();
	if (!t->skel)
		return errf(err, errlen, neg_errno(errno), "open BPF object: %s", strerror(errno));
	t->skel->rodata->filter = *opts->filter;
	t->skel->rodata->wakeup_bytes = wakeup_threshold(opts->ring_size);
	t->skel->rodata->track_holders = opts->track_holders;
	t->skel->rodata->track_identity = opts->track_identity;
	e = bpf_map__set_max_entries(t->skel->maps.events, opts->ring_size);
	if (e)
		return errf(err, errlen, -ERANGE, "ring size %u: %s", opts->ring_size,
			    strerror(-e));
	e = sockscope_bpf__load(t->skel);
	if (e) {
		e = -e;
		return errf(err, errlen, -e,
			    "load BPF programs: %s (run with -vv for the "
			    "verifier log)",
			    strerror(e));
	}
	return 0;
}

int tracer__start(struct tracer **out, const struct tracer_opts *opts, char *err, size_t errlen)
{
	char cgroup_path[4096];
	struct tracer *t;
	bool mounted;
	int rc;

	*out = NULL;
	libbpf_verbosity = opts->verbose;
	libbpf_set_print(libbpf_log);

	if ((rc = sys_check_btf(err, errlen)) ||
	    (rc = sys_find_cgroup2(cgroup_path, sizeof(cgroup_path), err, errlen)) ||
	    (rc = sys_ensure_tracefs(&mounted, err, errlen)))
		return rc;
	if (mounted && opts->verbose)
		fprintf(stderr, "sockscope: mounted tracefs at /sys/kernel/tracing\n");
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) != 1)
		return errf(err, errlen, -EOPNOTSUPP,
			    "BPF ring buffer not supported by this kernel "
			    "(needs 5.8+)");

	t = calloc(1, sizeof(*t));
	if (!t)
		return errf(err, errlen, -ENOMEM, "out of memory");
	t->on_record = opts->on_record;
	t->ctx = opts->ctx;
	t->cgroup_fd = open(cgroup_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->cgroup_fd < 0) {
		rc = errf(err, errlen, -EOPNOTSUPP, "open cgroup v2 root %s: %s", cgroup_path,
			  strerror(errno));
		goto fail;
	}
	if ((rc = load(t, opts, err, errlen)) || (rc = attach_all(t, err, errlen)) ||
	    (rc = seed(t, err, errlen)))
		goto fail;
	rc = ringbuf__open(&t->rb, bpf_map__fd(t->skel->maps.events),
			   bpf_map__max_entries(t->skel->maps.events), t->on_record, t->ctx);
	if (rc) {
		rc = errf(err, errlen, rc, "ring buffer: %s", strerror(-rc));
		goto fail;
	}
	*out = t;
	return 0;
fail:
	tracer__destroy(t);
	return rc;
}

int tracer__poll(struct tracer *t, int timeout_ms)
{
	/* Records are submitted without wakeups until a batch is pending,
	 * so a timeout does not mean the ring is empty: it always drains. */
	return ringbuf__poll(t->rb, timeout_ms);
}

void tracer__detach(struct tracer *t)
{
	for (unsigned int i = 0; i < t->nr_links; i++)
		bpf_link__destroy(t->links[i]);
	t->nr_links = 0;
}

int tracer__drain(struct tracer *t)
{
	return ringbuf__consume(t->rb);
}

uint64_t tracer__lost(const struct tracer *t)
{
	return __atomic_load_n(&t->skel->bss->lost_records, __ATOMIC_RELAXED);
}

int tracer__fd(const struct tracer *t)
{
	return ringbuf__fd(t->rb);
}

unsigned int tracer__nr_attached(const struct tracer *t)
{
	return t->nr_links;
}

int tracer__seed(struct tracer *t, char *err, size_t errlen)
{
	return seed(t, err, errlen);
}

uint64_t tracer__nr_seeded(const struct tracer *t)
{
	return t->skel->bss->seeded_sockets;
}

void tracer__destroy(struct tracer *t)
{
	if (!t)
		return;
	ringbuf__free(t->rb);
	for (unsigned int i = 0; i < t->nr_links; i++)
		bpf_link__destroy(t->links[i]);
	sockscope_bpf__destroy(t->skel);
	if (t->cgroup_fd >= 0)
		close(t->cgroup_fd);
	free(t);
}
