// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A corrupt database is moved aside, not written into: writing on would
 * mix new rows with damaged pages and could spread the damage, and
 * deleting it would destroy what someone may want to recover. Finding the
 * corruption is db.c's (db_fail(), store__check()).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/err.h"
#include "output/store/store_internal.h"

const char *store__error(const struct store *st)
{
	return st->errmsg;
}

bool store__corrupt(const struct store *st)
{
	return st->corrupt;
}

/* PATH.corrupt-20261201T120000Z, or with -2, -3 ... if that is taken. */
static int aside_name(const char *path, char *moved, size_t movedlen)
{
	struct stat sb;
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (unsigned int n = 1; n < 1000; n++) {
		int len = n == 1 ? snprintf(moved, movedlen, "%s.corrupt-%s", path, stamp)
				 : snprintf(moved, movedlen, "%s.corrupt-%s-%u", path, stamp, n);

		/* room for "-wal" after it too */
		if (len < 0 || (size_t)len + 5 > movedlen)
			return -ENAMETOOLONG;
		if (lstat(moved, &sb) && errno == ENOENT)
			return 0;
	}
	return -EEXIST;
}

/* An SQLite file by its header: a file that never was one (a --db
 * pointing at the wrong file) is not ours to move. */
static bool sqlite_file(const char *path)
{
	static const char magic[16] = "SQLite format 3";
	char head[16];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	bool ok = fd >= 0 && read(fd, head, sizeof(head)) == sizeof(head) &&
		  !memcmp(head, magic, sizeof(magic));

	if (fd >= 0)
		close(fd);
	return ok;
}

int store__set_aside_path(const char *path, char *moved, size_t movedlen, char *err, size_t errlen)
{
	static const char *const sidecar[] = {"-wal", "-shm"};
	char from[PATH_MAX], to[PATH_MAX];
	int ret;

	if (!sqlite_file(path))
		return errf(err, errlen, -EINVAL, "%s: not an SQLite file, left as it is", path);
	ret = aside_name(path, moved, movedlen);
	if (ret)
		return errf(err, errlen, ret, "%s: no name to move it aside: %s", path,
			    strerror(-ret));
	if (rename(path, moved))
		return errf(err, errlen, -errno, "%s: moving it to %s: %s", path, moved,
			    strerror(errno));
	/* The journal goes with its database: left at PATH, SQLite would
	 * replay it into the fresh one. */
	for (size_t i = 0; i < sizeof(sidecar) / sizeof(sidecar[0]); i++) {
		snprintf(from, sizeof(from), "%s%s", path, sidecar[i]);
		snprintf(to, sizeof(to), "%s%s", moved, sidecar[i]);
		if (rename(from, to) && errno != ENOENT && unlink(from) && errno != ENOENT)
			return errf(err, errlen, -errno, "%s: cannot move or remove it: %s", from,
				    strerror(errno));
	}
	return 0;
}

int store__set_aside(struct store *st, char *moved, size_t movedlen, char *err, size_t errlen)
{
	int ret = db_writable(st, err, errlen);

	if (ret)
		return ret;
	store_lock(&st->dblock);
	st->corrupt = true; /* db_close() leaves the WAL as it is */
	db_close(st);
	ret = store__set_aside_path(st->path, moved, movedlen, err, errlen);
	if (!ret) {
		st->corrupt = false;
		ret = db_ready(st, err, errlen);
	}
	store_unlock(&st->dblock);
	return ret;
}
