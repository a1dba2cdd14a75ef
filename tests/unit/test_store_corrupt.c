// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A corrupt database: found by whatever meets the damage (a query, the
 * writer's open, store__check()), said as "PATH: database is corrupt
 * (...)" with -EUCLEAN, and, for the writer, moved aside with its journal
 * for a fresh one. The damage is real: 4 KiB of garbage over one page of
 * the file, as a failing disk or a stray write leaves it.
 */
#include "test_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#define PAGE 4096

/* Fills the database with n sockets (and as many owner rows). */
static void fill(int n)
{
	struct store *st = open_store(0, 0, 0);

	for (int i = 0; i < n; i++) {
		struct store_socket s = sock((uint64_t)i, (uint16_t)(i % 500), 443,
					     T0 + i * SEC - SEC, T0 + i * SEC, (uint32_t)i, "c");
		struct store_owner o = owner(T0 + i * SEC, (uint16_t)(i % 500), (uint64_t)i,
					     (uint32_t)i, "c", "bind");

		store__add_socket(st, &s);
		store__add_owner(st, &o);
	}
	flush_ok(st);
	store__close(st);
}

/* The page of btree name nearest the middle of the file (dbstat). */
static int64_t middle_page_of(const char *name)
{
	int64_t best = -1, pages, mid;
	sqlite3_stmt *s;
	sqlite3 *db;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	pages = db_pragma(db, "page_count");
	mid = pages / 2;
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT pageno FROM dbstat WHERE name = ?"
					    " AND pagetype = 'leaf'",
					    -1, &s, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW) {
		int64_t p = sqlite3_column_int64(s, 0);

		if (best < 0 || llabs(p - mid) < llabs(best - mid))
			best = p;
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	assert_true(best > 1);
	return best;
}

static void garble_page(int64_t pageno)
{
	char junk[PAGE];
	int fd;

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(0xa5 ^ (i * 7));
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, junk, sizeof(junk), (pageno - 1) * PAGE), sizeof(junk));
	close(fd);
}

/* The whole file; caller frees. */
static char *file_bytes(const char *p, size_t *len)
{
	struct stat sb;
	char *buf;
	int fd = open(p, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &sb), 0);
	*len = (size_t)sb.st_size;
	buf = malloc(*len + 1);
	assert_non_null(buf);
	assert_int_equal(pread(fd, buf, *len, 0), (ssize_t)*len);
	close(fd);
	return buf;
}

static struct store *open_ro(void)
{
	struct store_opts o = {.path = path, .readonly = true};
	struct store *st = NULL;
	char err[256];

	assert_int_equal(store__open(&st, &o, err, sizeof(err)), 0);
	return st;
}

/* How many files in the database's directory start with PATH.corrupt-. */
static int aside_files(char *first, size_t len)
{
	char d[320], *base;
	struct dirent *e;
	int n = 0;
	DIR *dh;

	snprintf(d, sizeof(d), "%s", path);
	base = strrchr(d, '/');
	*base++ = '\0';
	dh = opendir(d);
	assert_non_null(dh);
	while ((e = readdir(dh))) {
		size_t bl = strlen(base);

		if (!strncmp(e->d_name, base, bl) && !strncmp(e->d_name + bl, ".corrupt-", 9) &&
		    !strstr(e->d_name, "-wal") && !strstr(e->d_name, "-shm")) {
			if (!n && first)
				snprintf(first, len, "%s/%s", d, e->d_name);
			n++;
		}
	}
	closedir(dh);
	return n;
}

/* A reader's history over a damaged page: an error, never rows as if
 * nothing happened; who --at the same. */
static void reader_says_corrupt(void **state)
{
	struct history_query q = {0};
	struct store *st;
	struct rows l;
	bool bad = false;

	(void)state;
	rows_init(&l);
	fill(3000);
	garble_page(middle_page_of("socket"));
	st = open_ro();
	assert_int_equal(history(st, &q, &l), -EUCLEAN);
	assert_non_null(strstr(store__error(st), path));
	assert_non_null(strstr(store__error(st), ": database is corrupt ("));
	store__close(st);
	/* socket i is open at T0 + i - 0.5 s: one of them is on that page */
	st = open_ro();
	for (int i = 0; i < 3000 && !bad; i++)
		bad = who_at(st, (uint16_t)(i % 500), NULL, 0, T0 + i * SEC - SEC / 2, &l) ==
		      -EUCLEAN;
	assert_true(bad);
	assert_non_null(strstr(store__error(st), "database is corrupt"));
	store__close(st);
	rows_clear(&l);
}

/* A header that is garbage: the reader's open says so. */
static void reader_open_of_garbled_header(void **state)
{
	struct store_opts o = {.path = path, .readonly = true};
	struct store *st;
	char err[256];

	(void)state;
	fill(10);
	garble_page(1);
	assert_int_equal(store__open(&st, &o, err, sizeof(err)), -EUCLEAN);
	assert_non_null(strstr(err, "database is corrupt ("));
}

/*
 * The writer's open reads little of the file; its check reads it all and
 * finds the damage. The file goes aside with its WAL, under a name that
 * says when; a fresh one opens in its place.
 */
static void writer_moves_a_corrupt_file_aside(void **state)
{
	char err[256], moved[400], wal[420], first[700];
	struct history_query q = {0};
	struct store *st;
	struct stat sb;
	struct rows l;

	(void)state;
	rows_init(&l);
	fill(3000);
	garble_page(middle_page_of("socket"));
	st = open_store(0, 0, 0);
	assert_int_equal(store__check(st, err, sizeof(err)), -EUCLEAN);
	assert_non_null(strstr(err, ": database is corrupt (quick_check: "));
	assert_null(strchr(err, '\n')); /* one line for the log */
	assert_true(store__corrupt(st));
	assert_int_equal(store__set_aside(st, moved, sizeof(moved), err, sizeof(err)), 0);
	assert_int_equal(aside_files(first, sizeof(first)), 1);
	assert_string_equal(first, moved);
	assert_non_null(strstr(moved, ".corrupt-20"));
	assert_int_equal(moved[strlen(moved) - 1], 'Z');
	snprintf(wal, sizeof(wal), "%s-wal", moved);
	assert_int_equal(access(wal, F_OK), 0); /* went with it */
	assert_int_equal(stat(moved, &sb), 0);
	assert_true(sb.st_size > 16 * PAGE); /* kept as it was */
	assert_int_equal(history(st, &q, &l), 0);
	assert_int_equal(store__check(st, err, sizeof(err)), 0);
	store__close(st);
	rows_clear(&l);
}

/* The schema page damaged behind an intact header: the writer's open
 * fails; the path is moved aside without a store, a second time in the
 * same second under a name of its own. */
static void writer_open_fails_path_moved_aside(void **state)
{
	struct store_opts o = {.path = path};
	char err[256], moved[400], junk[PAGE - 100];
	char *before, *after;
	size_t len, len2;
	struct store *st;
	int fd;

	(void)state;
	for (int round = 1; round <= 2; round++) {
		fill(100);
		memset(junk, 0x5a, sizeof(junk));
		fd = open(path, O_WRONLY);
		assert_int_equal(pwrite(fd, junk, sizeof(junk), 100), sizeof(junk));
		close(fd);
		before = file_bytes(path, &len);
		assert_int_equal(store__open(&st, &o, err, sizeof(err)), -EUCLEAN);
		assert_non_null(strstr(err, "database is corrupt"));
		assert_int_equal(
			store__set_aside_path(path, moved, sizeof(moved), err, sizeof(err)), 0);
		after = file_bytes(moved, &len2);
		assert_int_equal(len, len2);
		assert_memory_equal(before, after, len); /* kept as it was */
		free(before);
		free(after);
		assert_int_equal(access(path, F_OK), -1);
		assert_int_equal(aside_files(NULL, 0), round);
	}
}

/* Not an SQLite file at all: not ours to move. */
static void a_file_that_never_was_a_database_stays(void **state)
{
	char err[256], moved[400];
	int fd;

	(void)state;
	fill(1);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "precious text, not a database\n", 30), 30);
	close(fd);
	assert_int_equal(store__set_aside_path(path, moved, sizeof(moved), err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "not an SQLite file"));
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(aside_files(NULL, 0), 0);
}

/*
 * Damage met while running: a query on the writer's connection fails, the
 * store says it is corrupt; set aside, the rows still queued go to the
 * fresh file, and the quick check finds it sound.
 */
static void damage_found_while_running(void **state)
{
	struct history_query q = {0};
	char err[256], moved[400];
	struct store_socket s;
	struct store *st;
	struct rows l;

	(void)state;
	rows_init(&l);
	fill(3000);
	st = open_store(0, 0, 0);
	assert_false(store__corrupt(st));
	assert_int_equal(store__check(st, err, sizeof(err)), 0);
	store__close(st);
	st = open_store(0, 0, 0);
	garble_page(middle_page_of("socket"));
	assert_int_equal(history(st, &q, &l), -EUCLEAN);
	assert_true(store__corrupt(st));
	s = sock(9999, 8080, 443, T0, T0 + SEC, 1, "after");
	store__add_socket(st, &s);
	assert_int_equal(store__set_aside(st, moved, sizeof(moved), err, sizeof(err)), 0);
	assert_false(store__corrupt(st));
	flush_ok(st);
	assert_int_equal(history(st, &q, &l), 1);
	assert_int_equal(l.v[0].socket.cookie, 9999);
	assert_int_equal(store__check(st, err, sizeof(err)), 0);
	assert_int_equal(stats(st).rows_socket, 1);
	store__close(st);
	rows_clear(&l);
}

/* Readers never move anything. */
static void reader_cannot_set_aside(void **state)
{
	char err[256], moved[400];
	struct store *st;

	(void)state;
	fill(10);
	st = open_ro();
	assert_int_equal(store__set_aside(st, moved, sizeof(moved), err, sizeof(err)), -EROFS);
	store__close(st);
	assert_int_equal(access(path, F_OK), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		tu_test(reader_says_corrupt),
		tu_test(reader_open_of_garbled_header),
		tu_test(writer_moves_a_corrupt_file_aside),
		tu_test(writer_open_fails_path_moved_aside),
		tu_test(a_file_that_never_was_a_database_stays),
		tu_test(damage_found_while_running),
		tu_test(reader_cannot_set_aside),
	};

	setenv("TZ", "UTC0", 1);
	return cmocka_run_group_tests_name("store_corrupt", tests, NULL, NULL);
}
