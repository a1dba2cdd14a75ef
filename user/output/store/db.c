// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The connection: open (read-write for the daemon, read-only for readers),
 * pragmas, schema, the prepared statements, reopening when the file under
 * our path was replaced, and the integrity check.
 *
 * Durability: WAL journal with synchronous=NORMAL. A commit appends the
 * transaction to the -wal file with write(): once store__flush() returns 0
 * the rows are in the kernel's page cache and survive the death of the
 * process (kill -9, a crash); only a power loss or kernel crash can take
 * back the last commits, which FULL would prevent at the cost of one fsync
 * per flush. The database itself is always consistent.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "output/store/store_internal.h"

#define BUSY_MS 250 /* another process holding the write lock */

const char *const store_table[NR_QUEUES] = {"socket", "failure", "owner"};
const char *const store_time_col[NR_QUEUES] = {"closed_ns", "ts_ns", "ts_ns"};

/*
 * The schema. Rows are never updated. Times are >= 0 (see clamp_time()).
 * Every table has an index on its time (newest first, retention) and the
 * bucketed indexes its queries need (see BUCKET_SHIFT). failure.holders
 * holds fholders_encode()'s blob (codec.c); versions before it wrote JSON
 * text there, which reads as no holders.
 */
/* clang-format off */
static const char schema_sql[] =
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
	" WITHOUT ROWID;"
	/* dclass: bit length of the life in ns, DCLASS_UNKNOWN if opened
	 * before us; see store__who_at() */
	"CREATE TABLE socket (id INTEGER PRIMARY KEY,"
	" closed_ns INTEGER NOT NULL, opened_ns INTEGER NOT NULL,"
	" dclass INTEGER NOT NULL, cookie INTEGER NOT NULL,"
	" netns INTEGER NOT NULL, proto TEXT NOT NULL, family TEXT NOT NULL,"
	" laddr TEXT NOT NULL, lport INTEGER NOT NULL,"
	" raddr TEXT NOT NULL, rport INTEGER NOT NULL, state TEXT NOT NULL,"
	" bytes_sent INTEGER NOT NULL, bytes_received INTEGER NOT NULL,"
	" holders BLOB NOT NULL, v6only INTEGER NOT NULL DEFAULT 0,"
	" cgroup TEXT NOT NULL DEFAULT '', closer_pid INTEGER," PROC_COLS_SQL ");"
	"CREATE INDEX socket_time ON socket (closed_ns);"
	"CREATE INDEX socket_lport ON socket (" BUCKET("closed_ns") ", lport);"
	"CREATE INDEX socket_rport ON socket (" BUCKET("closed_ns") ", rport);"
	/* sockets that lived longer than a bucket, for store__who_at():
	 * in time order, so inserts append; lport and opened_ns to filter
	 * without reading the rows */
	"CREATE INDEX socket_long ON socket (closed_ns, lport, opened_ns)"
	" WHERE dclass > " BUCKET_SQL ";"
	/* the holders again, one row each, to find sockets by pid or comm */
	"CREATE TABLE socket_holder (closed_ns INTEGER NOT NULL,"
	" socket_id INTEGER NOT NULL, pid INTEGER NOT NULL,"
	" uid INTEGER NOT NULL, comm TEXT NOT NULL,"
	" PRIMARY KEY (closed_ns, socket_id, pid)) WITHOUT ROWID;"
	"CREATE INDEX socket_holder_pid ON socket_holder"
	" (" BUCKET("closed_ns") ", pid);"
	"CREATE INDEX socket_holder_comm ON socket_holder"
	" (" BUCKET("closed_ns") ", comm);"
	"CREATE TABLE failure (id INTEGER PRIMARY KEY,"
	" ts_ns INTEGER NOT NULL, event TEXT NOT NULL, pid INTEGER NOT NULL,"
	" uid INTEGER NOT NULL, comm TEXT NOT NULL, netns INTEGER NOT NULL,"
	" proto TEXT NOT NULL, laddr TEXT NOT NULL, lport INTEGER NOT NULL,"
	" raddr TEXT NOT NULL, rport INTEGER NOT NULL,"
	" errno INTEGER NOT NULL, error TEXT NOT NULL, reason TEXT NOT NULL,"
	" holders TEXT NOT NULL, cgroup TEXT NOT NULL DEFAULT ''," PROC_COLS_SQL ");"
	"CREATE INDEX failure_time ON failure (ts_ns);"
	"CREATE INDEX failure_lport ON failure (" BUCKET("ts_ns") ", lport);"
	"CREATE INDEX failure_rport ON failure (" BUCKET("ts_ns") ", rport);"
	"CREATE INDEX failure_pid ON failure (" BUCKET("ts_ns") ", pid);"
	"CREATE INDEX failure_comm ON failure (" BUCKET("ts_ns") ", comm);"
	"CREATE TABLE owner (id INTEGER PRIMARY KEY,"
	" ts_ns INTEGER NOT NULL, action TEXT NOT NULL,"
	" netns INTEGER NOT NULL, proto TEXT NOT NULL, laddr TEXT NOT NULL,"
	" lport INTEGER NOT NULL, cookie INTEGER NOT NULL,"
	" pid INTEGER NOT NULL, uid INTEGER NOT NULL, comm TEXT NOT NULL,"
	" cgroup TEXT NOT NULL DEFAULT ''," PROC_COLS_SQL ");"
	"CREATE INDEX owner_time ON owner (ts_ns);"
	"CREATE INDEX owner_lport ON owner (" BUCKET("ts_ns") ", lport);"
	"CREATE INDEX owner_pid ON owner (" BUCKET("ts_ns") ", pid);"
	"CREATE INDEX owner_comm ON owner (" BUCKET("ts_ns") ", comm);"
	"INSERT INTO meta VALUES ('schema_version', '" SCHEMA_VERSION "');";
/* clang-format on */

/* clang-format off */
static const char *const stmt_sql[NR_STMTS] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_INS_SOCKET] = "INSERT INTO socket (closed_ns, opened_ns, dclass,"
			 " cookie, netns, proto, family, laddr, lport, raddr,"
			 " rport, state, bytes_sent, bytes_received, holders,"
			 " v6only, cgroup, closer_pid, " PROC_COLS ")"
			 " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
			 " ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[S_INS_HOLDER] = "INSERT OR IGNORE INTO socket_holder"
			 " (closed_ns, socket_id, pid, uid, comm)"
			 " VALUES (?, ?, ?, ?, ?)",
	[S_INS_FAILURE] = "INSERT INTO failure (ts_ns, event, pid, uid, comm,"
			  " netns, proto, laddr, lport, raddr, rport, errno,"
			  " error, reason, holders, cgroup, " PROC_COLS ")"
			  " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
			  " ?, ?, ?, ?, ?, ?, ?)",
	[S_INS_OWNER] = "INSERT INTO owner (ts_ns, action, netns, proto,"
			" laddr, lport, cookie, pid, uid, comm, cgroup, " PROC_COLS ")"
			" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	/* lived less than a bucket: closed in the bucket of AT or the next */
	[S_WHO_SHORT] = "SELECT id, opened_ns FROM socket"
			" WHERE " BUCKET("closed_ns") " IN (?1, ?1 + 1)"
			" AND lport = ?2 AND dclass <= " BUCKET_SQL
			" AND closed_ns >= ?3 AND opened_ns <= ?3"
			" AND (?4 IS NULL OR proto = ?4)"
			" AND (?5 = 0 OR netns = ?5)",
	/* longer, or opened before us (opened_ns 0) */
	[S_WHO_LONG] = "SELECT id, opened_ns FROM socket"
		       " WHERE lport = ?2 AND dclass > " BUCKET_SQL
		       " AND closed_ns >= ?3 AND opened_ns <= ?3"
		       " AND (?4 IS NULL OR proto = ?4)"
		       " AND (?5 = 0 OR netns = ?5)",
	[S_SOCKET_BY_ID] = "SELECT " SOCKET_COLS " FROM socket WHERE id = ?",
};
/* clang-format on */

int db_errno(sqlite3 *db, int rc)
{
	int sys = db ? sqlite3_system_errno(db) : 0;

	switch (rc & 0xff) {
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_CANTOPEN:
		if (sys > 0)
			return -sys;
		return (rc & 0xff) == SQLITE_FULL ? -ENOSPC : -EIO;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EUCLEAN;
	default:
		return -EIO;
	}
}

int db_fail(struct store *st, int rc, const char *what, char *err, size_t errlen)
{
	int sys = st->db ? sqlite3_system_errno(st->db) : 0;
	const char *msg = st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc);
	int ret = db_errno(st->db, rc);

	if (ret == -EUCLEAN) {
		/* the daemon moves the file aside rather than write into it */
		st->corrupt = true;
		return errf(err, errlen, ret, "%s: database is corrupt (%s: %s)", st->path, what,
			    msg);
	}
	if (sys > 0 && ((rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_FULL ||
			(rc & 0xff) == SQLITE_CANTOPEN))
		return errf(err, errlen, ret, "%s: %s: %s (%s)", st->path, what, msg,
			    strerror(sys));
	return errf(err, errlen, ret, "%s: %s: %s", st->path, what, msg);
}

int db_writable(const struct store *st, char *err, size_t errlen)
{
	if (!st->readonly)
		return 0;
	return errf(err, errlen, -EROFS, "%s: opened read-only", st->path);
}

int stmt_run(sqlite3_stmt *s)
{
	int rc;

	do {
		rc = sqlite3_step(s);
	} while (rc == SQLITE_ROW);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int64_t single_int(sqlite3 *db, const char *sql, int *rcp)
{
	sqlite3_stmt *s;
	int64_t v = 0;
	int rc;

	rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			v = sqlite3_column_int64(s, 0);
			rc = SQLITE_OK;
		}
		sqlite3_finalize(s);
	}
	*rcp = rc;
	return v;
}

/* mkdir -p of the database's directory; directories we create are 0700. */
static int make_parent_dirs(const char *path, char *err, size_t errlen)
{
	char *dir = strdup(path), *p;
	int ret = 0;

	if (!dir)
		return -ENOMEM;
	p = strrchr(dir, '/');
	if (!p || p == dir)
		goto out;
	*p = '\0';
	for (p = dir + 1;; p++) {
		bool last = *p == '\0';

		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST) {
			ret = errf(err, errlen, -errno, "cannot create directory %s: %s", dir,
				   strerror(errno));
			goto out;
		}
		if (last)
			break;
		*p = '/';
	}
out:
	free(dir);
	return ret;
}

void db_close(struct store *st)
{
	/* A corrupt file is moved aside as it is: what the WAL holds stays
	 * in the WAL, which goes with it. */
	if (st->db && st->corrupt)
		sqlite3_db_config(st->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	for (int i = 0; i < NR_STMTS; i++) {
		sqlite3_finalize(st->stmt[i]);
		st->stmt[i] = NULL;
	}
	/* the last connection checkpoints the WAL into the database */
	sqlite3_close(st->db);
	st->db = NULL;
}

/* Is this our schema, of our version? Only reads. */
static int db_check_version(struct store *st, char *err, size_t errlen)
{
	const char *v;
	sqlite3_stmt *s;
	int rc, ret = 0;

	rc = sqlite3_prepare_v2(st->db,
				"SELECT value FROM meta"
				" WHERE key = 'schema_version'",
				-1, &s, NULL);
	if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB)
		return db_fail(st, rc, "reading the schema", err, errlen);
	if (rc)
		return errf(err, errlen, -EINVAL, "%s: not a sockscope database", st->path);
	rc = sqlite3_step(s);
	v = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0) : NULL;
	if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB)
		ret = db_fail(st, rc, "reading the schema", err, errlen);
	else if (rc != SQLITE_ROW)
		ret = errf(err, errlen, -EINVAL, "%s: not a sockscope database", st->path);
	else if (strcmp(v ?: "", SCHEMA_VERSION))
		ret = errf(err, errlen, -EINVAL,
			   "%s: database schema version %.32s, this sockscope "
			   "knows version " SCHEMA_VERSION
			   " (a daemon of this version upgrades version 1 when it starts)",
			   st->path, v ?: "");
	sqlite3_finalize(s);
	return ret;
}

static int64_t db_tables(struct store *st, int *rc)
{
	return single_int(st->db,
			  "SELECT count(*) FROM sqlite_schema"
			  " WHERE type = 'table'",
			  rc);
}

/* Creates the schema in an empty database, upgrades an older one, checks it
 * in ours. */
static int db_schema(struct store *st, char *err, size_t errlen)
{
	int64_t tables;
	int rc, ret = 0;

	rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc)
		return db_fail(st, rc, "begin", err, errlen);
	tables = db_tables(st, &rc);
	if (rc) {
		ret = db_fail(st, rc, "reading the schema", err, errlen);
	} else if (!tables) {
		rc = sqlite3_exec(st->db, schema_sql, NULL, NULL, NULL);
		if (rc)
			ret = db_fail(st, rc, "creating the schema", err, errlen);
	} else {
		ret = db_upgrade(st, err, errlen);
		if (!ret)
			ret = db_check_version(st, err, errlen);
	}
	rc = sqlite3_exec(st->db, ret ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
	if (rc && !ret)
		ret = db_fail(st, rc, "commit", err, errlen);
	return ret;
}

/*
 * A reader's check: our schema, or an empty file (a daemon that has just
 * created it), which queries then find empty. "Not a database" shows up
 * here, at the first read.
 */
static int db_schema_readonly(struct store *st, char *err, size_t errlen)
{
	int64_t tables;
	int rc;

	tables = db_tables(st, &rc);
	if (rc)
		return db_fail(st, rc, "reading the schema", err, errlen);
	if (!tables)
		return errf(err, errlen, -ENOENT, "%s: empty database (no schema yet)", st->path);
	return db_check_version(st, err, errlen);
}

static int db_pragmas(struct store *st, char *err, size_t errlen)
{
	/*
	 * auto_vacuum only takes effect in a new, empty database: set it
	 * before the schema exists. See store__retain() for why incremental.
	 */
	static const char *const pragmas[] = {
		"PRAGMA auto_vacuum = INCREMENTAL",
		"PRAGMA synchronous = NORMAL", /* see the top of the file */
		"PRAGMA foreign_keys = OFF",
		"PRAGMA temp_store = MEMORY",
		/* keep indexes hot while inserting: 32 MiB */
		"PRAGMA cache_size = -32768",
		/* a WAL grown by a big flush shrinks back at checkpoints */
		"PRAGMA journal_size_limit = 16777216",
	};
	sqlite3_stmt *s;
	bool wal;
	int rc;

	for (size_t i = 0; i < sizeof(pragmas) / sizeof(pragmas[0]); i++) {
		rc = sqlite3_exec(st->db, pragmas[i], NULL, NULL, NULL);
		if (rc)
			return db_fail(st, rc, pragmas[i], err, errlen);
	}
	/* The first read of the file: "not a database" shows up here. */
	rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL);
	if (rc)
		return db_fail(st, rc, "journal_mode", err, errlen);
	rc = sqlite3_step(s);
	wal = rc == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(s, 0) ?: "", "wal");
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return db_fail(st, rc, "journal_mode", err, errlen);
	if (!wal)
		return errf(err, errlen, -EIO, "%s: cannot use WAL mode", st->path);
	return 0;
}

static int db_count_rows(struct store *st, char *err, size_t errlen)
{
	uint64_t n[NR_QUEUES];
	char sql[64];
	int rc;

	for (int k = 0; k < NR_QUEUES; k++) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", store_table[k]);
		n[k] = (uint64_t)single_int(st->db, sql, &rc);
		if (rc)
			return db_fail(st, rc, "counting rows", err, errlen);
	}
	store_lock(&st->qlock);
	st->stats.rows_socket = n[Q_SOCKET];
	st->stats.rows_failure = n[Q_FAILURE];
	st->stats.rows_owner = n[Q_OWNER];
	store_unlock(&st->qlock);
	return 0;
}

/*
 * The file, and who it is (to notice it being replaced). A writer creates
 * it itself: SQLite would make it 0644, and the -wal/-shm files it creates
 * copy the database's mode. History says who ran what: root's only. A
 * reader only opens what is there: -ENOENT and -EACCES tell "no database"
 * from "not yours to read".
 */
static int db_file(struct store *st, char *err, size_t errlen)
{
	struct stat sb;
	int fd, ret;

	if (!st->readonly) {
		ret = make_parent_dirs(st->path, err, errlen);
		if (ret)
			return ret;
		/* Not through a link someone planted (as trace -o). */
		fd = open(st->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	} else {
		fd = open(st->path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0 || fstat(fd, &sb)) {
		ret = errf(err, errlen, -errno, "%s: %s", st->path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return ret;
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return errf(err, errlen, -EINVAL, "%s: not a regular file", st->path);
	}
	close(fd);
	st->dev = sb.st_dev;
	st->ino = sb.st_ino;
	return 0;
}

static int db_open(struct store *st, char *err, size_t errlen)
{
	int flags = SQLITE_OPEN_NOMUTEX;
	int rc, ret;

	ret = db_file(st, err, errlen);
	if (ret)
		return ret;
	flags |= st->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(st->path, &st->db, flags, NULL);
	if (rc) {
		ret = db_fail(st, rc, "open", err, errlen);
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, BUSY_MS);
	rc = store_identity_functions(st->db);
	if (rc) {
		ret = db_fail(st, rc, "functions", err, errlen);
		goto fail;
	}
	if (st->readonly) {
		/* pragmas would write the header; counts are for the daemon */
		ret = db_schema_readonly(st, err, errlen);
		if (ret)
			goto fail;
	} else {
		ret = db_pragmas(st, err, errlen);
		if (!ret)
			ret = db_schema(st, err, errlen);
		if (ret)
			goto fail;
	}
	for (int i = 0; i < NR_STMTS; i++) {
		rc = sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					&st->stmt[i], NULL);
		if (rc) {
			ret = db_fail(st, rc, "prepare", err, errlen);
			goto fail;
		}
	}
	if (!st->readonly) {
		ret = db_count_rows(st, err, errlen);
		if (ret)
			goto fail;
	}
	return 0;
fail:
	db_close(st);
	return ret;
}

/*
 * Writing on into an unlinked inode would acknowledge rows nobody can ever
 * read; reading one would answer from a file nobody writes any more.
 */
int db_ready(struct store *st, char *err, size_t errlen)
{
	struct stat sb;

	if (st->db && (stat(st->path, &sb) || sb.st_dev != st->dev || sb.st_ino != st->ino))
		db_close(st);
	if (st->db)
		return 0;
	return db_open(st, err, errlen);
}

int store__open(struct store **out, const struct store_opts *o, char *err, size_t errlen)
{
	struct store *st;
	int ret;

	*out = NULL;
	if (!o->path || !*o->path)
		return errf(err, errlen, -EINVAL, "no database path");
	st = calloc(1, sizeof(*st));
	if (!st || !(st->path = strdup(o->path))) {
		free(st);
		return errf(err, errlen, -ENOMEM, "out of memory");
	}
	st->retain_secs = o->retain_secs;
	st->retain_bytes = o->retain_bytes;
	st->readonly = o->readonly;
	st->qrows_max = o->queue_rows ? o->queue_rows : STORE_QUEUE_ROWS;
	st->q[Q_SOCKET].esize = sizeof(struct store_socket);
	st->q[Q_FAILURE].esize = sizeof(struct store_failure);
	st->q[Q_OWNER].esize = sizeof(struct store_owner);
	pthread_mutex_init(&st->dblock, NULL);
	pthread_mutex_init(&st->qlock, NULL);
	ret = db_open(st, err, errlen);
	if (ret) {
		store__close(st);
		return ret;
	}
	*out = st;
	return 0;
}

void store__close(struct store *st)
{
	struct store_stats stats;

	if (!st)
		return;
	store__stats(st, &stats);
	if (stats.queued && !st->readonly)
		store__flush(st, NULL, 0);
	if (st->db)
		db_close(st);
	for (int k = 0; k < NR_QUEUES; k++)
		rowq_free(&st->q[k]);
	pthread_mutex_destroy(&st->dblock);
	pthread_mutex_destroy(&st->qlock);
	free(st->path);
	free(st);
}

/*
 * quick_check reads every page and checks the b-trees, not that indexes
 * match their tables (integrity_check would, at several times the cost).
 * A page too broken to parse fails the statement itself: corrupt too.
 */
int store__check(struct store *st, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	const char *msg;
	int rc, ret;

	store_lock(&st->dblock);
	ret = db_ready(st, err, errlen);
	if (ret)
		goto out;
	rc = sqlite3_prepare_v2(st->db, "PRAGMA quick_check(1)", -1, &s, NULL);
	if (!rc)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		msg = (const char *)sqlite3_column_text(s, 0) ?: "";
		if (strcmp(msg, "ok")) {
			st->corrupt = true;
			ret = errf(err, errlen, -EUCLEAN,
				   "%s: database is corrupt (quick_check: %.200s)", st->path, msg);
			/* SQLite's report has lines; ours is one */
			for (char *c = err; c && *c; c++)
				if (*c == '\n')
					*c = ' ';
		}
	} else {
		ret = db_fail(st, rc, "quick_check", err, errlen);
	}
	sqlite3_finalize(s);
out:
	store_unlock(&st->dblock);
	return ret;
}
