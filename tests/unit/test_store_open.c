// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Opening the store: files that are not ours, readers that never write
 * (nor create), and the integrity check.
 */
#include "test_store.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

static void not_our_database(void **state)
{
	struct store_opts o = {.path = path};
	char err[256] = "", wal[340];
	struct store *st;
	int fd;

	(void)state;
	/* garbage */
	st = open_store(0, 0, 0);
	store__close(st);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not a database, just text.....", 30), 30);
	close(fd);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	unlink(wal);
	st = (struct store *)&o; /* must be cleared */
	assert_true(store__open(&st, &o, err, sizeof(err)) < 0);
	assert_null(st);
	assert_non_null(strstr(err, "history.db"));
	/* someone else's database */
	unlink(path);
	db_exec("CREATE TABLE t (x)");
	assert_int_equal(store__open(&st, &o, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a sockscope database"));
	/* a newer schema */
	unlink(path);
	st = open_store(0, 0, 0);
	store__close(st);
	db_exec("UPDATE meta SET value = '99' WHERE key = 'schema_version'");
	assert_int_equal(store__open(&st, &o, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "schema version 99"));
	/* no path */
	o.path = "";
	assert_int_equal(store__open(&st, &o, err, sizeof(err)), -EINVAL);
}

static void fill(int n)
{
	struct store *st = open_store(0, 0, 0);

	for (int i = 0; i < n; i++) {
		struct store_socket s = sock((uint64_t)i, (uint16_t)(i % 500), 443,
					     T0 + i * SEC - SEC, T0 + i * SEC, (uint32_t)i, "c");

		store__add_socket(st, &s);
	}
	flush_ok(st);
	store__close(st);
}

static int open_ro(struct store **st, char *err, size_t errlen)
{
	struct store_opts o = {.path = path, .readonly = true};

	return store__open(st, &o, err, errlen);
}

/* The whole file, to see that a reader left it as it was. */
static char *slurp(const char *p, size_t *len)
{
	struct stat sb;
	char *buf;
	int fd = open(p, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &sb), 0);
	buf = malloc((size_t)sb.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)sb.st_size), sb.st_size);
	close(fd);
	*len = (size_t)sb.st_size;
	return buf;
}

/* A reader finds what is there, never creates nor changes anything. */
static void readonly_reader(void **state)
{
	struct history_query q = {0};
	struct store *st, *ro;
	char err[256] = "", *before, *after;
	size_t nbefore, nafter;
	struct store_socket s;
	struct stat sb;
	struct rows l;
	pid_t pid;
	int status, fd;

	(void)state;
	rows_init(&l);
	/* no file: said so, and nothing created, not even the directory */
	assert_int_equal(open_ro(&ro, err, sizeof(err)), -ENOENT);
	assert_null(ro);
	assert_non_null(strstr(err, "history.db"));
	*strrchr(path, '/') = '\0';
	assert_int_equal(stat(path, &sb), -1);
	*strchr(path + strlen(path), '\0') = '/';

	/* a daemon writing while a reader reads: committed rows are seen */
	st = open_store(0, 0, 0);
	s = sock(1, 80, 0, T0, T0 + SEC, 1, "a");
	store__add_socket(st, &s);
	flush_ok(st);
	assert_int_equal(open_ro(&ro, err, sizeof(err)), 0);
	assert_int_equal(history(ro, &q, &l), 1);
	s = sock(2, 80, 0, T0, T0 + 2 * SEC, 1, "a");
	store__add_socket(st, &s);
	flush_ok(st);
	assert_int_equal(history(ro, &q, &l), 2);
	assert_int_equal(who_at(ro, 80, NULL, 0, T0 + SEC, &l), 2);
	/* and it cannot write */
	store__add_socket(ro, &s);
	assert_int_equal(store__flush(ro, err, sizeof(err)), -EROFS);
	assert_non_null(strstr(err, "read-only"));
	assert_int_equal(store__retain(ro, T0, err, sizeof(err)), -EROFS);
	store__close(ro);
	store__close(st);

	/* the file is byte for byte what the writer left */
	before = slurp(path, &nbefore);
	assert_int_equal(open_ro(&ro, err, sizeof(err)), 0);
	assert_int_equal(history(ro, &q, &l), 2);
	assert_int_equal(store__check(ro, err, sizeof(err)), 0);
	store__close(ro);
	after = slurp(path, &nafter);
	assert_int_equal(nbefore, nafter);
	assert_memory_equal(before, after, nbefore);
	free(before);
	free(after);

	/* not readable by whoever asks: told apart from "no database" */
	if (!geteuid()) {
		pid = fork();
		assert_true(pid >= 0);
		if (!pid) {
			if (setgid(65534) || setuid(65534))
				_exit(2);
			_exit(open_ro(&ro, NULL, 0) == -EACCES ? 0 : 1);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}

	/* an empty file (a daemon creating it right now): no database yet */
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(open_ro(&ro, err, sizeof(err)), -ENOENT);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 0);
	rows_clear(&l);
}

/* Garbage written into the middle of the file is found. */
static void check_finds_corruption(void **state)
{
	char err[256] = "", junk[4096];
	struct store *st;
	struct stat sb;
	int fd;

	(void)state;
	fill(20000);
	st = open_store(0, 0, 0);
	assert_int_equal(store__check(st, err, sizeof(err)), 0);
	store__close(st);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(sb.st_size > 16 * 4096);
	memset(junk, 0xa5, sizeof(junk));
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, junk, sizeof(junk), sb.st_size / 2 / 4096 * 4096),
			 sizeof(junk));
	close(fd);
	/* a reader's open reads only the schema; the check reads it all */
	assert_int_equal(open_ro(&st, err, sizeof(err)), 0);
	assert_int_equal(store__check(st, err, sizeof(err)), -EUCLEAN);
	assert_non_null(strstr(err, "corrupt"));
	assert_non_null(strstr(err, "history.db"));
	store__close(st);
}

/* The tables a daemon of schema version 1 wrote (no v6only, cgroup or process
 * identity columns), with one row each. */
static const char v1_sql[] =
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
	"INSERT INTO meta VALUES ('schema_version', '1');"
	"CREATE TABLE socket (id INTEGER PRIMARY KEY, closed_ns INTEGER NOT NULL,"
	" opened_ns INTEGER NOT NULL, dclass INTEGER NOT NULL, cookie INTEGER NOT NULL,"
	" netns INTEGER NOT NULL, proto TEXT NOT NULL, family TEXT NOT NULL,"
	" laddr TEXT NOT NULL, lport INTEGER NOT NULL, raddr TEXT NOT NULL,"
	" rport INTEGER NOT NULL, state TEXT NOT NULL, bytes_sent INTEGER NOT NULL,"
	" bytes_received INTEGER NOT NULL, holders BLOB NOT NULL);"
	"CREATE TABLE socket_holder (closed_ns INTEGER NOT NULL, socket_id INTEGER NOT NULL,"
	" pid INTEGER NOT NULL, uid INTEGER NOT NULL, comm TEXT NOT NULL,"
	" PRIMARY KEY (closed_ns, socket_id, pid)) WITHOUT ROWID;"
	"CREATE TABLE failure (id INTEGER PRIMARY KEY, ts_ns INTEGER NOT NULL,"
	" event TEXT NOT NULL, pid INTEGER NOT NULL, uid INTEGER NOT NULL,"
	" comm TEXT NOT NULL, netns INTEGER NOT NULL, proto TEXT NOT NULL,"
	" laddr TEXT NOT NULL, lport INTEGER NOT NULL, raddr TEXT NOT NULL,"
	" rport INTEGER NOT NULL, errno INTEGER NOT NULL, error TEXT NOT NULL,"
	" reason TEXT NOT NULL, holders TEXT NOT NULL);"
	"CREATE TABLE owner (id INTEGER PRIMARY KEY, ts_ns INTEGER NOT NULL,"
	" action TEXT NOT NULL, netns INTEGER NOT NULL, proto TEXT NOT NULL,"
	" laddr TEXT NOT NULL, lport INTEGER NOT NULL, cookie INTEGER NOT NULL,"
	" pid INTEGER NOT NULL, uid INTEGER NOT NULL, comm TEXT NOT NULL);"
	"INSERT INTO socket VALUES (1, 3000000000, 1000000000, 31, 7, 1, 'tcp', 'inet6',"
	" '::', 8080, '', 0, 'LISTEN', 0, 0, x'');"
	"INSERT INTO failure VALUES (1, 2000000000, 'bind', 42, 0, 'nginx', 1, 'tcp',"
	" '0.0.0.0', 8080, '', 0, 98, 'EADDRINUSE', 'port 8080 is held', '');"
	"INSERT INTO owner VALUES (1, 1000000000, 'bind', 1, 'tcp', '::', 8080, 7, 42, 0,"
	" 'nginx');";

/* A daemon of this version opens a version 1 database: upgraded in place,
 * the old rows read with nothing invented; readers say what to do. */
static void upgrades_version_1(void **state)
{
	struct store_opts ro = {.path = path, .readonly = true};
	struct history_query q = {0};
	char err[256] = "";
	struct store *st;
	struct rows l;

	(void)state;
	/* a fresh directory: the store creates it, a v1 file is put there */
	st = open_store(0, 0, 0);
	store__close(st);
	unlink(path);
	db_exec(v1_sql);
	assert_int_equal(store__open(&st, &ro, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "schema version 1"));
	assert_non_null(strstr(err, "upgrades version 1"));
	st = open_store(0, 0, 0);
	rows_init(&l);
	assert_true(store__history(st, &q, collect, &l) >= 0);
	assert_int_equal(l.n, 3);
	for (size_t i = 0; i < l.n; i++) {
		const struct store_row *r = &l.v[i];

		if (r->kind == STORE_KIND_SOCKET) {
			assert_int_equal(r->socket.lport, 8080);
			assert_false(r->socket.v6only);
			assert_string_equal(r->socket.cgroup, "");
			assert_int_equal(r->socket.proc.flags, 0);
		} else if (r->kind == STORE_KIND_FAILURE) {
			assert_string_equal(r->failure.comm, "nginx");
			assert_string_equal(r->failure.cgroup, "");
			assert_int_equal(r->failure.proc.flags, 0);
		} else {
			assert_int_equal(r->owner.pid, 42);
			assert_int_equal(r->owner.proc.flags, 0);
		}
	}
	rows_clear(&l);
	store__close(st);
	/* now version 2: a reader opens it */
	assert_int_equal(store__open(&st, &ro, err, sizeof(err)), 0);
	store__close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		tu_test(not_our_database),
		tu_test(readonly_reader),
		tu_test(check_finds_corruption),
		tu_test(upgrades_version_1),
	};

	setenv("TZ", "UTC0", 1);
	return cmocka_run_group_tests_name("store_open", tests, NULL, NULL);
}
