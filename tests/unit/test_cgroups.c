// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The cgroup id cache: a directory tree standing in for the cgroup2 mount
 * (no kernfs handles there: the walk resolves), unknown ids remembered and
 * not retried at once, and, when the host has cgroup2 and we are root, a
 * real cgroup resolved by its file handle, without a walk.
 */
#include "testutil.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel/cgroups.h"
#include "kernel/snapshot.h"
#include "kernel/system.h"

static char dir[256];

static int setup(void **state)
{
	(void)state;
	return tu_mkdtemp(dir, sizeof(dir), "cgroups");
}

static int teardown(void **state)
{
	(void)state;
	tu_rm_rf(dir);
	return 0;
}

static uint64_t ino_of(const char *p)
{
	struct stat sb;

	assert_int_equal(stat(p, &sb), 0);
	return (uint64_t)sb.st_ino;
}

static void walk_resolves_tree(void **state)
{
	char p[512];
	struct cgroups *c;
	struct cgroups_stats st;
	const struct cg_ident *id;
	uint64_t svc;

	(void)state;
	snprintf(p, sizeof(p), "%s/system.slice", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/system.slice/nginx.service", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	svc = ino_of(p);
	assert_int_equal(cgroups__open(&c, dir, NULL, 0), 0);
	id = cgroups__ident(c, svc);
	assert_non_null(id);
	assert_string_equal(id->path, "/system.slice/nginx.service");
	assert_string_equal(id->unit, "nginx.service");
	id = cgroups__ident(c, ino_of(dir));
	assert_non_null(id);
	assert_string_equal(id->path, "/");
	/* once known, a hit */
	cgroups__stats(c, &st);
	assert_non_null(cgroups__ident(c, svc));
	{
		struct cgroups_stats st2;

		cgroups__stats(c, &st2);
		assert_int_equal(st2.hits, st.hits + 1);
		assert_int_equal(st2.misses, st.misses);
	}
	cgroups__close(c);
}

static void unknown_ids_not_retried_at_once(void **state)
{
	struct cgroups *c;
	struct cgroups_stats st;

	(void)state;
	assert_int_equal(cgroups__open(&c, dir, NULL, 0), 0);
	assert_null(cgroups__ident(c, 0));
	assert_null(cgroups__ident(c, 0xdeadbeefcafe));
	for (int i = 0; i < 1000; i++)
		assert_null(cgroups__ident(c, 0xdeadbeefcafe));
	cgroups__stats(c, &st);
	assert_int_equal(st.failed, 1);
	assert_true(st.walks <= 1);
	/* a flood of distinct unknown ids is throttled, not resolved one by one */
	for (uint64_t i = 1; i <= 5000; i++)
		assert_null(cgroups__ident(c, 0x100000000ull + i));
	cgroups__stats(c, &st);
	assert_true(st.failed <= 257 * 2);
	assert_true(st.throttled > 0);
	assert_true(st.entries <= 8192 * 2);
	cgroups__close(c);
}

static void insert_and_bad_paths(void **state)
{
	struct cgroups *c;
	const struct cg_ident *id;

	(void)state;
	assert_int_equal(cgroups__open(&c, dir, NULL, 0), 0);
	assert_int_equal(cgroups__insert(c, 99,
					 "/docker/0123456789abcdef0123456789abcdef"
					 "0123456789abcdef0123456789abcdef"),
			 0);
	id = cgroups__ident(c, 99);
	assert_non_null(id);
	assert_string_equal(id->runtime, "docker");
	assert_int_equal(cgroups__insert(c, 100, "relative"), -EINVAL);
	assert_int_equal(cgroups__insert(c, 0, "/"), -EINVAL);
	/* many entries: the cache stays bounded and keeps working */
	for (uint64_t i = 1000; i < 30000; i++)
		assert_int_equal(cgroups__insert(c, i, "/x.service"), 0);
	assert_non_null(cgroups__ident(c, 29999));
	cgroups__close(c);
	assert_int_not_equal(cgroups__open(&c, "/nonexistent/sockscope", NULL, 0), 0);
}

/* The real thing: a cgroup made here, found through its file handle. */
static void real_cgroup_by_handle(void **state)
{
	char mnt[512], p[600], rel[64];
	struct cgroups *c;
	struct cgroups_stats st;
	const struct cg_ident *id;
	uint64_t ino;

	(void)state;
	if (geteuid() || sys_find_cgroup2(mnt, sizeof(mnt), NULL, 0)) {
		skip();
		return;
	}
	snprintf(rel, sizeof(rel), "/sockscope-unit-%d.service", getpid());
	snprintf(p, sizeof(p), "%s%s", mnt, rel);
	if (mkdir(p, 0755)) {
		skip();
		return;
	}
	ino = ino_of(p);
	assert_int_equal(cgroups__open(&c, NULL, NULL, 0), 0);
	id = cgroups__ident(c, ino);
	cgroups__stats(c, &st);
	rmdir(p);
	assert_non_null(id);
	assert_string_equal(id->path, rel);
	assert_string_equal(id->unit, rel + 1);
	assert_int_equal(st.walks, 0);
	/* our own process, from /proc/self/cgroup */
	assert_int_not_equal(cgroups__pid_id(c, (uint32_t)getpid()), 0);
	assert_int_equal(cgroups__pid_id(c, 0), 0);
	cgroups__close(c);
	/* a cgroup removed before it is looked up: unknown, and no walk */
	assert_int_equal(mkdir(p, 0755), 0);
	ino = ino_of(p);
	assert_int_equal(rmdir(p), 0);
	assert_int_equal(cgroups__open(&c, NULL, NULL, 0), 0);
	assert_null(cgroups__ident(c, ino));
	cgroups__stats(c, &st);
	assert_int_equal(st.walks, 0);
	assert_int_equal(st.failed, 1);
	cgroups__close(c);
}

/* A snapshot's holder -> cgroup table: by pid, duplicates and zeros dropped. */
static void snapshot_pid_cgroups(void **state)
{
	struct snap_pidcg v[] = {{30, 7}, {10, 5}, {30, 7}, {20, 0}, {40, 9}};
	struct snapshot s;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(snapshot__pid_cgroup(&s, 10), 0);
	assert_int_equal(snapshot__set_cgroups(&s, v, 5), 0);
	assert_int_equal(s.nr_pid_cgroups, 3);
	assert_int_equal(snapshot__pid_cgroup(&s, 10), 5);
	assert_int_equal(snapshot__pid_cgroup(&s, 30), 7);
	assert_int_equal(snapshot__pid_cgroup(&s, 40), 9);
	assert_int_equal(snapshot__pid_cgroup(&s, 20), 0);
	assert_int_equal(snapshot__pid_cgroup(&s, 99), 0);
	/* without an installed cache, nothing is read (unit tests never read /proc) */
	assert_int_equal(snapshot__read_cgroups(&s), 0);
	assert_int_equal(s.nr_pid_cgroups, 3);
	snapshot__free(&s);
	assert_null(s.pid_cgroups);
}

static const struct cg_ident *lookup_in(void *ctx, uint64_t id)
{
	return cgroups__ident(ctx, id);
}

/* cg_ident_lookup() remembers identities: a replaced or cleared entry is
 * never returned from that memory (ASan and valgrind see a stale pointer) */
static void lookups_follow_the_cache(void **state)
{
	struct cgroups *c;

	(void)state;
	assert_int_equal(cgroups__open(&c, dir, NULL, 0), 0);
	cg_ident_set_resolver(lookup_in, c);
	assert_int_equal(cgroups__insert(c, 8, "/a.service"), 0);
	assert_int_equal(cgroups__insert(c, 16, "/b.service"), 0); /* same slot */
	assert_string_equal(cg_ident_lookup(8)->unit, "a.service");
	assert_string_equal(cg_ident_lookup(8)->unit, "a.service");
	assert_string_equal(cg_ident_lookup(16)->unit, "b.service");
	assert_null(cg_ident_lookup(0));
	assert_int_equal(cgroups__insert(c, 8, "/c.service"), 0);
	assert_string_equal(cg_ident_lookup(8)->unit, "c.service");
	/* past the bound the cache starts over: every identity is freed */
	for (uint64_t i = 1000; i < 30000; i++)
		assert_int_equal(cgroups__insert(c, i, "/x.service"), 0);
	if (cgroups__ident(c, 16))
		assert_string_equal(cg_ident_lookup(16)->unit, "b.service");
	else
		assert_null(cg_ident_lookup(16));
	cg_ident_set_resolver(NULL, NULL);
	assert_null(cg_ident_lookup(29999));
	cgroups__close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		tu_test(walk_resolves_tree),   tu_test(unknown_ids_not_retried_at_once),
		tu_test(insert_and_bad_paths), tu_test(real_cgroup_by_handle),
		tu_test(snapshot_pid_cgroups), tu_test(lookups_follow_the_cache),
	};

	return cmocka_run_group_tests_name("cgroups", tests, NULL, NULL);
}
