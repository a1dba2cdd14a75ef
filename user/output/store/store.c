// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * SQLite history store. Durability: WAL journal with synchronous=NORMAL. A
 * commit appends the transaction to the -wal file with write(): once
 * store__flush() returns 0 the rows are in the kernel's page cache and
 * survive the death of the process (kill -9, a crash); only a power loss or
 * kernel crash can take back the last commits, which FULL would prevent at
 * the cost of one fsync per flush. The database itself is always consistent.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/escape.h"
#include "lib/sbuf.h"
#include "output/store/store.h"
#include "lib/timefmt.h"

#define SCHEMA_VERSION "1"
#define BUSY_MS 250 /* another process holding the write lock */
#define QCHUNK_ROWS 64
#define RETAIN_CHUNK 5000 /* rows deleted per transaction */
#define RETAIN_STEP_MAX 100000 /* rows chosen per size-retention round */
#define JSON_MAX 8192 /* the longest row escapes to about 5 KiB */
#define DCLASS_UNKNOWN 64 /* life class of a socket opened before us */
/*
 * Secondary indexes lead with the time bucket, time >> 42 (2^42 ns, about
 * 73 minutes; a shift because SQLite and C agree on it for times >= 0):
 * rows arrive in time order, so every insert lands in the current bucket's
 * corner of each index, a few pages that stay in the cache. Keyed by port
 * or pid alone, each insert would touch a random page of an index as big as
 * the table: on 1M rows that was twice the CPU per row and a flush writing
 * most of each index again to the WAL. Queries walk the buckets instead.
 */
#define BUCKET_SHIFT 42
#define BUCKET_SQL "42"
#define NSEC 1000000000LL

enum { Q_SOCKET, Q_FAILURE, Q_OWNER, NR_QUEUES };

enum {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_INS_SOCKET,
	S_INS_HOLDER,
	S_INS_FAILURE,
	S_INS_OWNER,
	S_WHO_SHORT,
	S_WHO_LONG,
	S_SOCKET_BY_ID,
	NR_STMTS
};

/*
 * Rows are queued in fixed chunks that never move: store__flush() reads the
 * rows it counted without the queue lock while other threads append after
 * them, which a realloc'ed array would not allow.
 */
struct qchunk {
	struct qchunk *next;
	_Alignas(8) unsigned char rows[];
};

struct rowq {
	struct qchunk *head, *tail;
	size_t head_idx; /* first queued row in head */
	size_t tail_idx; /* rows used in tail */
	size_t count;
	size_t esize;
};

struct store {
	char *path;
	uint64_t retain_secs, retain_bytes;

	pthread_mutex_t dblock; /* the connection: flush, retain, queries */
	sqlite3 *db; /* NULL: (re)opened by the next call that needs it */
	sqlite3_stmt *stmt[NR_STMTS];
	dev_t dev; /* the file we opened, to notice it being replaced */
	ino_t ino;

	pthread_mutex_t qlock; /* everything below */
	struct rowq q[NR_QUEUES];
	size_t qrows_max, qbytes;
	struct store_stats stats; /* .queued is computed */
};

/*
 * The schema. Rows are never updated. Times are >= 0 (see clamp_time()).
 * Every table has an index on its time (newest first, retention) and the
 * bucketed indexes its queries need (see BUCKET_SHIFT).
 */
#define BUCKET(col) "(" col " >> " BUCKET_SQL ")"
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
	" holders BLOB NOT NULL);"
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
	" holders TEXT NOT NULL);"
	"CREATE INDEX failure_time ON failure (ts_ns);"
	"CREATE INDEX failure_lport ON failure (" BUCKET("ts_ns") ", lport);"
	"CREATE INDEX failure_rport ON failure (" BUCKET("ts_ns") ", rport);"
	"CREATE INDEX failure_pid ON failure (" BUCKET("ts_ns") ", pid);"
	"CREATE INDEX failure_comm ON failure (" BUCKET("ts_ns") ", comm);"
	"CREATE TABLE owner (id INTEGER PRIMARY KEY,"
	" ts_ns INTEGER NOT NULL, action TEXT NOT NULL,"
	" netns INTEGER NOT NULL, proto TEXT NOT NULL, laddr TEXT NOT NULL,"
	" lport INTEGER NOT NULL, cookie INTEGER NOT NULL,"
	" pid INTEGER NOT NULL, uid INTEGER NOT NULL, comm TEXT NOT NULL);"
	"CREATE INDEX owner_time ON owner (ts_ns);"
	"CREATE INDEX owner_lport ON owner (" BUCKET("ts_ns") ", lport);"
	"CREATE INDEX owner_pid ON owner (" BUCKET("ts_ns") ", pid);"
	"CREATE INDEX owner_comm ON owner (" BUCKET("ts_ns") ", comm);"
	"INSERT INTO meta VALUES ('schema_version', '" SCHEMA_VERSION "');";

/* Column lists the JSON writers read, by position. */
#define SOCKET_COLS                                                            \
	"id, closed_ns, opened_ns, cookie, netns, proto, family, laddr,"       \
	" lport, raddr, rport, state, bytes_sent, bytes_received, holders"
enum {
	SC_ID,
	SC_CLOSED,
	SC_OPENED,
	SC_COOKIE,
	SC_NETNS,
	SC_PROTO,
	SC_FAMILY,
	SC_LADDR,
	SC_LPORT,
	SC_RADDR,
	SC_RPORT,
	SC_STATE,
	SC_SENT,
	SC_RECEIVED,
	SC_HOLDERS,
};
#define FAILURE_COLS                                                           \
	"id, ts_ns, event, pid, uid, comm, netns, proto, laddr, lport,"        \
	" raddr, rport, errno, error, reason, holders"
enum {
	FC_ID,
	FC_TS,
	FC_EVENT,
	FC_PID,
	FC_UID,
	FC_COMM,
	FC_NETNS,
	FC_PROTO,
	FC_LADDR,
	FC_LPORT,
	FC_RADDR,
	FC_RPORT,
	FC_ERRNO,
	FC_ERROR,
	FC_REASON,
	FC_HOLDERS,
};
#define OWNER_COLS                                                             \
	"id, ts_ns, action, netns, proto, laddr, lport, cookie, pid, uid, comm"
enum {
	OC_ID,
	OC_TS,
	OC_ACTION,
	OC_NETNS,
	OC_PROTO,
	OC_LADDR,
	OC_LPORT,
	OC_COOKIE,
	OC_PID,
	OC_UID,
	OC_COMM,
};

static const char *const stmt_sql[NR_STMTS] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_INS_SOCKET] = "INSERT INTO socket (closed_ns, opened_ns, dclass,"
			 " cookie, netns, proto, family, laddr, lport, raddr,"
			 " rport, state, bytes_sent, bytes_received, holders)"
			 " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[S_INS_HOLDER] = "INSERT OR IGNORE INTO socket_holder"
			 " (closed_ns, socket_id, pid, uid, comm)"
			 " VALUES (?, ?, ?, ?, ?)",
	[S_INS_FAILURE] = "INSERT INTO failure (ts_ns, event, pid, uid, comm,"
			  " netns, proto, laddr, lport, raddr, rport, errno,"
			  " error, reason, holders)"
			  " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[S_INS_OWNER] = "INSERT INTO owner (ts_ns, action, netns, proto,"
			" laddr, lport, cookie, pid, uid, comm)"
			" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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

static const char *const table_name[NR_QUEUES] = { "socket", "failure",
						   "owner" };
static const char *const time_col[NR_QUEUES] = { "closed_ns", "ts_ns",
						 "ts_ns" };

__attribute__((format(printf, 3, 4))) static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* An SQLite result as -errno; the OS error when SQLite saw one. */
static int db_errno(sqlite3 *db, int rc)
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
	default:
		return -EIO;
	}
}

/* Reports the connection's last error; returns it as -errno. */
static int db_fail(struct store *st, int rc, const char *what, char *err,
		   size_t errlen)
{
	int sys = st->db ? sqlite3_system_errno(st->db) : 0;
	const char *msg = st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc);

	if (sys > 0 && ((rc & 0xff) == SQLITE_IOERR ||
			(rc & 0xff) == SQLITE_FULL ||
			(rc & 0xff) == SQLITE_CANTOPEN))
		set_err(err, errlen, "%s: %s: %s (%s)", st->path, what, msg,
			strerror(sys));
	else
		set_err(err, errlen, "%s: %s: %s", st->path, what, msg);
	return db_errno(st->db, rc);
}

/* Runs a prepared statement to completion, ready for the next use. */
static int stmt_run(sqlite3_stmt *s)
{
	int rc;

	do {
		rc = sqlite3_step(s);
	} while (rc == SQLITE_ROW);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int64_t single_int(sqlite3 *db, const char *sql, int *rcp)
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

static void lock(pthread_mutex_t *m)
{
	pthread_mutex_lock(m);
}

static void unlock(pthread_mutex_t *m)
{
	pthread_mutex_unlock(m);
}

/* ---- the queue ---- */

static int rowq_push(struct rowq *q, const void *row)
{
	if (!q->tail || q->tail_idx == QCHUNK_ROWS) {
		struct qchunk *c = malloc(sizeof(*c) + QCHUNK_ROWS * q->esize);

		if (!c)
			return -ENOMEM;
		c->next = NULL;
		if (q->tail)
			q->tail->next = c;
		else
			q->head = c;
		q->tail = c;
		q->tail_idx = 0;
	}
	memcpy(q->tail->rows + q->tail_idx * q->esize, row, q->esize);
	q->tail_idx++;
	q->count++;
	return 0;
}

/* Walks the first rows of a queue; see struct qchunk for why it is safe. */
struct rowq_iter {
	struct qchunk *chunk;
	size_t idx, esize;
};

static void rowq_iter_init(struct rowq_iter *it, const struct rowq *q)
{
	it->chunk = q->head;
	it->idx = q->head_idx;
	it->esize = q->esize;
}

/* Only called for a row known to exist: it->chunk->next is then set. */
static const void *rowq_iter_next(struct rowq_iter *it)
{
	if (it->idx == QCHUNK_ROWS) {
		it->chunk = it->chunk->next;
		it->idx = 0;
	}
	return it->chunk->rows + it->idx++ * it->esize;
}

static void rowq_free(struct rowq *q)
{
	while (q->head) {
		struct qchunk *next = q->head->next;

		free(q->head);
		q->head = next;
	}
	q->tail = NULL;
	q->head_idx = q->tail_idx = q->count = 0;
}

static void rowq_pop(struct rowq *q, size_t n)
{
	q->count -= n;
	if (!q->count) {
		rowq_free(q); /* an idle queue holds no memory */
		return;
	}
	n += q->head_idx;
	while (n >= QCHUNK_ROWS) {
		struct qchunk *next = q->head->next;

		free(q->head);
		q->head = next;
		n -= QCHUNK_ROWS;
	}
	q->head_idx = n;
}

static void queue_add(struct store *st, int kind, const void *row)
{
	struct rowq *q = &st->q[kind];
	size_t total;

	lock(&st->qlock);
	total = st->q[Q_SOCKET].count + st->q[Q_FAILURE].count +
		st->q[Q_OWNER].count;
	if (total >= st->qrows_max || st->qbytes + q->esize > STORE_QUEUE_BYTES ||
	    rowq_push(q, row))
		st->stats.dropped++;
	else
		st->qbytes += q->esize;
	unlock(&st->qlock);
}

void store__add_socket(struct store *st, const struct store_socket *r)
{
	queue_add(st, Q_SOCKET, r);
}

void store__add_failure(struct store *st, const struct store_failure *r)
{
	queue_add(st, Q_FAILURE, r);
}

void store__add_owner(struct store *st, const struct store_owner *r)
{
	queue_add(st, Q_OWNER, r);
}

/* ---- opening ---- */

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
			ret = -errno;
			set_err(err, errlen, "cannot create directory %s: %s",
				dir, strerror(errno));
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

static void db_close(struct store *st)
{
	for (int i = 0; i < NR_STMTS; i++) {
		sqlite3_finalize(st->stmt[i]);
		st->stmt[i] = NULL;
	}
	/* the last connection checkpoints the WAL into the database */
	sqlite3_close(st->db);
	st->db = NULL;
}

/* Creates the schema in an empty database, checks it in ours. */
static int db_schema(struct store *st, char *err, size_t errlen)
{
	sqlite3_stmt *s;
	int64_t tables;
	int rc, ret = 0;

	rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc)
		return db_fail(st, rc, "begin", err, errlen);
	tables = single_int(st->db,
			    "SELECT count(*) FROM sqlite_schema"
			    " WHERE type = 'table'",
			    &rc);
	if (rc) {
		ret = db_fail(st, rc, "reading the schema", err, errlen);
		goto out;
	}
	if (!tables) {
		rc = sqlite3_exec(st->db, schema_sql, NULL, NULL, NULL);
		if (rc)
			ret = db_fail(st, rc, "creating the schema", err,
				      errlen);
		goto out;
	}
	rc = sqlite3_prepare_v2(st->db,
				"SELECT value FROM meta"
				" WHERE key = 'schema_version'",
				-1, &s, NULL);
	if (rc) {
		set_err(err, errlen, "%s: not a sockscope database", st->path);
		ret = -EINVAL;
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		set_err(err, errlen, "%s: not a sockscope database", st->path);
		ret = -EINVAL;
	} else if (strcmp((const char *)sqlite3_column_text(s, 0) ?: "",
			  SCHEMA_VERSION)) {
		set_err(err, errlen,
			"%s: database schema version %.32s, this sockscope "
			"knows version " SCHEMA_VERSION,
			st->path,
			(const char *)sqlite3_column_text(s, 0) ?: "");
		ret = -EINVAL;
	}
	sqlite3_finalize(s);
out:
	rc = sqlite3_exec(st->db, ret ? "ROLLBACK" : "COMMIT", NULL, NULL,
			  NULL);
	if (rc && !ret)
		ret = db_fail(st, rc, "commit", err, errlen);
	return ret;
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
	rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s,
				NULL);
	if (rc)
		return db_fail(st, rc, "journal_mode", err, errlen);
	rc = sqlite3_step(s);
	wal = rc == SQLITE_ROW &&
	      !strcmp((const char *)sqlite3_column_text(s, 0) ?: "", "wal");
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return db_fail(st, rc, "journal_mode", err, errlen);
	if (!wal) {
		set_err(err, errlen, "%s: cannot use WAL mode", st->path);
		return -EIO;
	}
	return 0;
}

static int db_count_rows(struct store *st, char *err, size_t errlen)
{
	uint64_t n[NR_QUEUES];
	char sql[64];
	int rc;

	for (int k = 0; k < NR_QUEUES; k++) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s",
			 table_name[k]);
		n[k] = (uint64_t)single_int(st->db, sql, &rc);
		if (rc)
			return db_fail(st, rc, "counting rows", err, errlen);
	}
	lock(&st->qlock);
	st->stats.rows_socket = n[Q_SOCKET];
	st->stats.rows_failure = n[Q_FAILURE];
	st->stats.rows_owner = n[Q_OWNER];
	unlock(&st->qlock);
	return 0;
}

static int db_open(struct store *st, char *err, size_t errlen)
{
	struct stat sb;
	int fd, rc, ret;

	ret = make_parent_dirs(st->path, err, errlen);
	if (ret)
		return ret;
	/*
	 * Create the file ourselves: SQLite would make it 0644, and the
	 * -wal/-shm files it creates copy the database's mode. History says
	 * who ran what: root's only.
	 */
	fd = open(st->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || fstat(fd, &sb)) {
		ret = -errno;
		set_err(err, errlen, "%s: %s", st->path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return ret;
	}
	close(fd);
	st->dev = sb.st_dev;
	st->ino = sb.st_ino;

	rc = sqlite3_open_v2(st->path, &st->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				     SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc) {
		ret = db_fail(st, rc, "open", err, errlen);
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, BUSY_MS);
	ret = db_pragmas(st, err, errlen);
	if (ret)
		goto fail;
	ret = db_schema(st, err, errlen);
	if (ret)
		goto fail;
	for (int i = 0; i < NR_STMTS; i++) {
		rc = sqlite3_prepare_v3(st->db, stmt_sql[i], -1,
					SQLITE_PREPARE_PERSISTENT, &st->stmt[i],
					NULL);
		if (rc) {
			ret = db_fail(st, rc, "prepare", err, errlen);
			goto fail;
		}
	}
	ret = db_count_rows(st, err, errlen);
	if (ret)
		goto fail;
	return 0;
fail:
	db_close(st);
	return ret;
}

/*
 * The connection, opened again if the file under our path is no longer the
 * one we opened (deleted, replaced): writing on into an unlinked inode would
 * acknowledge rows nobody can ever read.
 */
static int db_ready(struct store *st, char *err, size_t errlen)
{
	struct stat sb;

	if (st->db && (stat(st->path, &sb) || sb.st_dev != st->dev ||
		       sb.st_ino != st->ino))
		db_close(st);
	if (st->db)
		return 0;
	return db_open(st, err, errlen);
}

int store__open(struct store **out, const struct store_opts *o, char *err,
		size_t errlen)
{
	struct store *st;
	int ret;

	*out = NULL;
	if (!o->path || !*o->path) {
		set_err(err, errlen, "no database path");
		return -EINVAL;
	}
	st = calloc(1, sizeof(*st));
	if (!st || !(st->path = strdup(o->path))) {
		free(st);
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	st->retain_secs = o->retain_secs;
	st->retain_bytes = o->retain_bytes;
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
	if (stats.queued)
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

void store__stats(const struct store *st, struct store_stats *out)
{
	/* the lock is not part of the store's value */
	struct store *mst = (struct store *)st;

	lock(&mst->qlock);
	*out = st->stats;
	out->queued = st->q[Q_SOCKET].count + st->q[Q_FAILURE].count +
		      st->q[Q_OWNER].count;
	unlock(&mst->qlock);
}

/* ---- writing ---- */

/* Fixed-size fields may fill their array without a NUL. */
static void bind_str(sqlite3_stmt *s, int i, const char *v, size_t size)
{
	sqlite3_bind_text(s, i, v, (int)strnlen(v, size), SQLITE_STATIC);
}

/*
 * A time before 1970 is a bug elsewhere: stored as 0, so buckets are never
 * negative (and 0 >> 42 means the same in C and SQL).
 */
static int64_t clamp_time(int64_t t)
{
	return t > 0 ? t : 0;
}

/*
 * Life class: the bit length of closed - opened; a socket of class k lived
 * less than 2^k ns. See store__who_at().
 */
static int life_class(int64_t opened, int64_t closed)
{
	if (opened <= 0)
		return DCLASS_UNKNOWN;
	if (closed <= opened)
		return 0;
	return 64 - __builtin_clzll((uint64_t)(closed - opened));
}

/* Holders blob: per holder pid and uid (little-endian u32), comm[16]. */
#define HOLDER_BLOB 24

static void put_le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static int insert_socket(struct store *st, const struct store_socket *r)
{
	unsigned char blob[8 * HOLDER_BLOB];
	sqlite3_stmt *s = st->stmt[S_INS_SOCKET];
	uint32_t n = r->nr_holders < 8 ? r->nr_holders : 8;
	int64_t id, closed = clamp_time(r->closed_ns);
	int64_t opened = clamp_time(r->opened_ns);
	int rc;

	memset(blob, 0, sizeof(blob));
	for (uint32_t i = 0; i < n; i++) {
		unsigned char *p = blob + i * HOLDER_BLOB;

		put_le32(p, r->holders[i].pid);
		put_le32(p + 4, r->holders[i].uid);
		memcpy(p + 8, r->holders[i].comm, 16);
	}
	sqlite3_bind_int64(s, 1, closed);
	sqlite3_bind_int64(s, 2, opened);
	sqlite3_bind_int(s, 3, life_class(opened, closed));
	sqlite3_bind_int64(s, 4, (int64_t)r->cookie);
	sqlite3_bind_int64(s, 5, r->netns);
	bind_str(s, 6, r->proto, sizeof(r->proto));
	bind_str(s, 7, r->family, sizeof(r->family));
	bind_str(s, 8, r->laddr, sizeof(r->laddr));
	sqlite3_bind_int(s, 9, r->lport);
	bind_str(s, 10, r->raddr, sizeof(r->raddr));
	sqlite3_bind_int(s, 11, r->rport);
	bind_str(s, 12, r->state, sizeof(r->state));
	sqlite3_bind_int64(s, 13, (int64_t)r->bytes_sent);
	sqlite3_bind_int64(s, 14, (int64_t)r->bytes_received);
	sqlite3_bind_blob(s, 15, blob, (int)(n * HOLDER_BLOB), SQLITE_STATIC);
	rc = stmt_run(s);
	if (rc)
		return rc;
	id = sqlite3_last_insert_rowid(st->db);
	s = st->stmt[S_INS_HOLDER];
	for (uint32_t i = 0; i < n; i++) {
		sqlite3_bind_int64(s, 1, closed);
		sqlite3_bind_int64(s, 2, id);
		sqlite3_bind_int64(s, 3, r->holders[i].pid);
		sqlite3_bind_int64(s, 4, r->holders[i].uid);
		bind_str(s, 5, r->holders[i].comm, 16);
		rc = stmt_run(s);
		if (rc)
			return rc;
	}
	return 0;
}

static int insert_failure(struct store *st, const struct store_failure *r)
{
	sqlite3_stmt *s = st->stmt[S_INS_FAILURE];

	sqlite3_bind_int64(s, 1, clamp_time(r->ts_ns));
	bind_str(s, 2, r->event, sizeof(r->event));
	sqlite3_bind_int64(s, 3, r->pid);
	sqlite3_bind_int64(s, 4, r->uid);
	bind_str(s, 5, r->comm, sizeof(r->comm));
	sqlite3_bind_int64(s, 6, r->netns);
	bind_str(s, 7, r->proto, sizeof(r->proto));
	bind_str(s, 8, r->laddr, sizeof(r->laddr));
	sqlite3_bind_int(s, 9, r->lport);
	bind_str(s, 10, r->raddr, sizeof(r->raddr));
	sqlite3_bind_int(s, 11, r->rport);
	sqlite3_bind_int(s, 12, r->err);
	bind_str(s, 13, r->error, sizeof(r->error));
	bind_str(s, 14, r->reason, sizeof(r->reason));
	bind_str(s, 15, r->holders_json, sizeof(r->holders_json));
	return stmt_run(s);
}

static int insert_owner(struct store *st, const struct store_owner *r)
{
	sqlite3_stmt *s = st->stmt[S_INS_OWNER];

	sqlite3_bind_int64(s, 1, clamp_time(r->ts_ns));
	bind_str(s, 2, r->action, sizeof(r->action));
	sqlite3_bind_int64(s, 3, r->netns);
	bind_str(s, 4, r->proto, sizeof(r->proto));
	bind_str(s, 5, r->laddr, sizeof(r->laddr));
	sqlite3_bind_int(s, 6, r->lport);
	sqlite3_bind_int64(s, 7, (int64_t)r->cookie);
	sqlite3_bind_int64(s, 8, r->pid);
	sqlite3_bind_int64(s, 9, r->uid);
	bind_str(s, 10, r->comm, sizeof(r->comm));
	return stmt_run(s);
}

/* The first n[k] queued rows of each kind, in one transaction. */
static int write_rows(struct store *st, struct rowq_iter it[NR_QUEUES],
		      const size_t n[NR_QUEUES], char *err, size_t errlen)
{
	const char *what = "begin";
	int rc, ret;

	rc = stmt_run(st->stmt[S_BEGIN]);
	if (rc)
		goto fail;
	what = "insert";
	for (size_t i = 0; i < n[Q_SOCKET] && !rc; i++)
		rc = insert_socket(st, rowq_iter_next(&it[Q_SOCKET]));
	for (size_t i = 0; i < n[Q_FAILURE] && !rc; i++)
		rc = insert_failure(st, rowq_iter_next(&it[Q_FAILURE]));
	for (size_t i = 0; i < n[Q_OWNER] && !rc; i++)
		rc = insert_owner(st, rowq_iter_next(&it[Q_OWNER]));
	if (rc)
		goto fail;
	what = "commit";
	rc = stmt_run(st->stmt[S_COMMIT]);
	if (rc)
		goto fail;
	return 0;
fail:
	ret = db_fail(st, rc, what, err, errlen);
	/* Some errors (SQLITE_FULL, IOERR) have rolled back already. */
	if (!sqlite3_get_autocommit(st->db))
		stmt_run(st->stmt[S_ROLLBACK]);
	return ret;
}

int store__flush(struct store *st, char *err, size_t errlen)
{
	struct rowq_iter it[NR_QUEUES];
	size_t n[NR_QUEUES], total = 0;
	int ret;

	lock(&st->dblock);
	ret = db_ready(st, err, errlen);
	if (!ret) {
		/* rows added from now on are for the next flush */
		lock(&st->qlock);
		for (int k = 0; k < NR_QUEUES; k++) {
			n[k] = st->q[k].count;
			total += n[k];
			rowq_iter_init(&it[k], &st->q[k]);
		}
		unlock(&st->qlock);
		if (total)
			ret = write_rows(st, it, n, err, errlen);
	}
	lock(&st->qlock);
	if (ret) {
		st->stats.flush_errors++;
	} else if (total) {
		for (int k = 0; k < NR_QUEUES; k++) {
			rowq_pop(&st->q[k], n[k]);
			st->qbytes -= n[k] * st->q[k].esize;
		}
		st->stats.committed += total;
		st->stats.rows_socket += n[Q_SOCKET];
		st->stats.rows_failure += n[Q_FAILURE];
		st->stats.rows_owner += n[Q_OWNER];
	}
	unlock(&st->qlock);
	unlock(&st->dblock);
	return ret;
}

/* ---- retention ---- */

static void count_deleted(struct store *st, const uint64_t del[NR_QUEUES])
{
	lock(&st->qlock);
	st->stats.rows_socket -= del[Q_SOCKET];
	st->stats.rows_failure -= del[Q_FAILURE];
	st->stats.rows_owner -= del[Q_OWNER];
	unlock(&st->qlock);
}

/*
 * One transaction deleting up to RETAIN_CHUNK rows of each kind whose time
 * is <= t, oldest first. *more: some may be left.
 */
static int delete_chunk(struct store *st, int64_t t, bool *more, char *err,
			size_t errlen)
{
	static const char *const sql[] = {
		/* the same rows twice: the subquery reads the same index */
		"DELETE FROM socket_holder WHERE closed_ns <= ?1 AND socket_id"
		" IN (SELECT id FROM socket WHERE closed_ns <= ?1"
		" ORDER BY closed_ns LIMIT ?2)",
		"DELETE FROM socket WHERE id IN (SELECT id FROM socket"
		" WHERE closed_ns <= ?1 ORDER BY closed_ns LIMIT ?2)",
		"DELETE FROM failure WHERE id IN (SELECT id FROM failure"
		" WHERE ts_ns <= ?1 ORDER BY ts_ns LIMIT ?2)",
		"DELETE FROM owner WHERE id IN (SELECT id FROM owner"
		" WHERE ts_ns <= ?1 ORDER BY ts_ns LIMIT ?2)",
	};
	uint64_t del[NR_QUEUES] = { 0 };
	const char *what = "begin";
	int rc, ret;

	*more = false;
	lock(&st->dblock);
	ret = db_ready(st, err, errlen);
	if (ret)
		goto out;
	rc = stmt_run(st->stmt[S_BEGIN]);
	if (rc)
		goto fail;
	what = "delete";
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		sqlite3_stmt *s;
		int changes;

		rc = sqlite3_prepare_v2(st->db, sql[i], -1, &s, NULL);
		if (rc)
			goto fail;
		sqlite3_bind_int64(s, 1, t);
		sqlite3_bind_int(s, 2, RETAIN_CHUNK);
		rc = stmt_run(s);
		sqlite3_finalize(s);
		if (rc)
			goto fail;
		changes = sqlite3_changes(st->db);
		if (i > 0) /* sql[0]: holders, not counted rows */
			del[i - 1] = (uint64_t)changes;
		if (i > 0 && changes == RETAIN_CHUNK)
			*more = true;
	}
	what = "commit";
	rc = stmt_run(st->stmt[S_COMMIT]);
	if (rc)
		goto fail;
	count_deleted(st, del);
	goto out;
fail:
	ret = db_fail(st, rc, what, err, errlen);
	if (!sqlite3_get_autocommit(st->db))
		stmt_run(st->stmt[S_ROLLBACK]);
out:
	unlock(&st->dblock);
	return ret;
}

/* Every row with a time <= t, in short transactions. */
static int delete_through(struct store *st, int64_t t, char *err,
			  size_t errlen)
{
	bool more = true;
	int ret = 0;

	while (more && !ret)
		ret = delete_chunk(st, t, &more, err, errlen);
	return ret;
}

/* The time of the k-th oldest row of any kind (k >= 1), by merging. */
static int kth_oldest(struct store *st, uint64_t k, int64_t *t, char *err,
		      size_t errlen)
{
	sqlite3_stmt *s[NR_QUEUES] = { NULL };
	bool live[NR_QUEUES];
	char sql[96];
	int rc = SQLITE_OK, ret = 0;

	*t = INT64_MIN;
	ret = db_ready(st, err, errlen);
	if (ret)
		return ret;
	for (int q = 0; q < NR_QUEUES; q++) {
		snprintf(sql, sizeof(sql), "SELECT %s FROM %s ORDER BY %s",
			 time_col[q], table_name[q], time_col[q]);
		rc = sqlite3_prepare_v2(st->db, sql, -1, &s[q], NULL);
		if (rc)
			goto out;
		rc = sqlite3_step(s[q]);
		live[q] = rc == SQLITE_ROW;
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			goto out;
	}
	rc = SQLITE_OK;
	for (; k; k--) {
		int best = -1;

		for (int q = 0; q < NR_QUEUES; q++)
			if (live[q] &&
			    (best < 0 || sqlite3_column_int64(s[q], 0) <
						 sqlite3_column_int64(s[best], 0)))
				best = q;
		if (best < 0)
			break; /* fewer than k rows: all of them */
		*t = sqlite3_column_int64(s[best], 0);
		rc = sqlite3_step(s[best]);
		live[best] = rc == SQLITE_ROW;
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			goto out;
		rc = SQLITE_OK;
	}
out:
	if (rc)
		ret = db_fail(st, rc, "retention", err, errlen);
	for (int q = 0; q < NR_QUEUES; q++)
		sqlite3_finalize(s[q]);
	return ret;
}

struct db_size {
	int64_t pages, free_pages, page_size;
};

static int db_measure(struct store *st, struct db_size *sz, char *err,
		      size_t errlen)
{
	int rc;

	sz->pages = single_int(st->db, "PRAGMA page_count", &rc);
	if (!rc)
		sz->free_pages = single_int(st->db, "PRAGMA freelist_count", &rc);
	if (!rc)
		sz->page_size = single_int(st->db, "PRAGMA page_size", &rc);
	if (rc)
		return db_fail(st, rc, "measuring", err, errlen);
	return 0;
}

/*
 * Size retention. Deleting rows frees pages inside the file, it does not
 * shrink it: the measure is the pages in use, (page_count - freelist) *
 * page_size. Above the limit, the oldest rows go until 90% of it is used
 * (so we do not come back after every flush); the free pages are reused
 * by later inserts. Only the free pages that put the file itself over the
 * limit (a limit lowered since the last run) are given back to the file
 * system, with an incremental vacuum: it moves a few pages from the end of
 * the file and truncates it. A full VACUUM would rewrite the whole database
 * (twice its size on disk while it runs, exactly when space is short) and
 * hold the write lock for as long, stalling every flush.
 */
static int retain_size(struct store *st, bool *deleted, char *err,
		       size_t errlen)
{
	uint64_t limit = st->retain_bytes, target = limit - limit / 10;
	struct db_size sz;
	int ret = 0;

	for (int round = 0; round < 32; round++) {
		struct store_stats now;
		uint64_t used, rows, k;
		int64_t t;

		lock(&st->dblock);
		ret = db_ready(st, err, errlen);
		if (!ret)
			ret = db_measure(st, &sz, err, errlen);
		unlock(&st->dblock);
		if (ret)
			return ret;
		used = (uint64_t)(sz.pages - sz.free_pages) *
		       (uint64_t)sz.page_size;
		store__stats(st, &now);
		rows = now.rows_socket + now.rows_failure + now.rows_owner;
		if (used <= limit || !rows)
			break;
		/* rows in proportion to the excess; rounds correct the guess */
		k = (uint64_t)((double)rows * (double)(used - target) /
			       (double)used) + 1;
		if (k > RETAIN_STEP_MAX)
			k = RETAIN_STEP_MAX;
		lock(&st->dblock);
		ret = kth_oldest(st, k, &t, err, errlen);
		unlock(&st->dblock);
		if (!ret)
			ret = delete_through(st, t, err, errlen);
		if (ret)
			return ret;
		*deleted = true;
	}
	/* the file itself: give back only the free pages above the limit */
	lock(&st->dblock);
	ret = db_ready(st, err, errlen);
	if (!ret)
		ret = db_measure(st, &sz, err, errlen);
	if (!ret && (uint64_t)(sz.pages * sz.page_size) > limit &&
	    sz.free_pages) {
		int64_t excess = (sz.pages * sz.page_size - (int64_t)limit +
				  sz.page_size - 1) / sz.page_size;
		char sql[64];
		int rc;

		snprintf(sql, sizeof(sql), "PRAGMA incremental_vacuum(%lld)",
			 (long long)excess);
		rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
		if (rc)
			ret = db_fail(st, rc, "incremental vacuum", err, errlen);
		*deleted = true;
	}
	unlock(&st->dblock);
	return ret;
}

int store__retain(struct store *st, int64_t now_real_ns, char *err,
		  size_t errlen)
{
	bool deleted = false;
	int ret = 0;

	if (st->retain_secs && st->retain_secs <= INT64_MAX / NSEC) {
		int64_t cutoff;

		if (!__builtin_sub_overflow(now_real_ns,
					    (int64_t)st->retain_secs * NSEC,
					    &cutoff)) {
			/* strictly older than the cutoff */
			ret = delete_through(st, cutoff - 1, err, errlen);
			deleted = true;
		}
	}
	if (!ret && st->retain_bytes)
		ret = retain_size(st, &deleted, err, errlen);
	if (!ret && deleted) {
		/*
		 * Bring the file and the WAL on disk down to the database's
		 * size now rather than at the next automatic checkpoint. A
		 * reader in the way only makes it partial: not an error.
		 */
		lock(&st->dblock);
		if (st->db)
			sqlite3_wal_checkpoint_v2(st->db, NULL,
						  SQLITE_CHECKPOINT_TRUNCATE,
						  NULL, NULL);
		unlock(&st->dblock);
	}
	return ret;
}

/* ---- queries ---- */

static const char *col_text(sqlite3_stmt *s, int i, size_t *len)
{
	const char *v = (const char *)sqlite3_column_text(s, i);

	*len = v ? (size_t)sqlite3_column_bytes(s, i) : 0;
	return v ?: "";
}

/*
 * ,"key":"value" with the value escaped, at most max bytes of it: the size
 * of the row's array, which a tampered file could exceed.
 */
static void put_str(struct sbuf *sb, const char *key, sqlite3_stmt *s, int i,
		    size_t max)
{
	size_t len;
	const char *v = col_text(s, i, &len);

	sbuf_puts(sb, key);
	json_str(sb, v, len < max ? len : max);
}

static bool col_empty(sqlite3_stmt *s, int i)
{
	size_t len;

	col_text(s, i, &len);
	return !len;
}

static void put_u64(struct sbuf *sb, const char *key, uint64_t v)
{
	sbuf_puts(sb, key);
	sbuf_u64(sb, v);
}

static void put_i64(struct sbuf *sb, const char *key, int64_t v)
{
	sbuf_puts(sb, key);
	sbuf_i64(sb, v);
}

static void put_time(struct sbuf *sb, const char *key, struct timefmt *tf,
		     int64_t ns)
{
	sbuf_puts(sb, key);
	sbuf_putc(sb, '"');
	timefmt_rfc3339(tf, sb, ns > 0 ? (uint64_t)ns : 0);
	sbuf_putc(sb, '"');
}

/* laddr and lport, unless never bound: unknown is left out, not invented */
static void put_local(struct sbuf *sb, sqlite3_stmt *s, int laddr, int lport)
{
	int64_t port = sqlite3_column_int64(s, lport);

	if (col_empty(s, laddr) && !port)
		return;
	put_str(sb, ",\"laddr\":", s, laddr, 48);
	put_i64(sb, ",\"lport\":", port);
}

/* Numbers are stored as SQLite's int64; unsigned ones round-trip bitwise. */
static uint64_t col_u64(sqlite3_stmt *s, int i)
{
	return (uint64_t)sqlite3_column_int64(s, i);
}

static void json_socket(struct sbuf *sb, sqlite3_stmt *s, struct timefmt *tf)
{
	const unsigned char *blob = sqlite3_column_blob(s, SC_HOLDERS);
	size_t nblob = (size_t)sqlite3_column_bytes(s, SC_HOLDERS);
	int64_t opened = sqlite3_column_int64(s, SC_OPENED);
	int64_t closed = sqlite3_column_int64(s, SC_CLOSED);
	int64_t rport = sqlite3_column_int64(s, SC_RPORT);

	sbuf_puts(sb, "{\"kind\":\"socket\"");
	put_u64(sb, ",\"cookie\":", col_u64(s, SC_COOKIE));
	put_i64(sb, ",\"netns\":", sqlite3_column_int64(s, SC_NETNS));
	put_str(sb, ",\"proto\":", s, SC_PROTO, 4);
	put_str(sb, ",\"family\":", s, SC_FAMILY, 6);
	put_local(sb, s, SC_LADDR, SC_LPORT);
	if (rport) {
		put_str(sb, ",\"raddr\":", s, SC_RADDR, 48);
		put_i64(sb, ",\"rport\":", rport);
	}
	if (!col_empty(s, SC_STATE))
		put_str(sb, ",\"state\":", s, SC_STATE, 16);
	if (opened > 0)
		put_time(sb, ",\"opened\":", tf, opened);
	put_time(sb, ",\"closed\":", tf, closed);
	if (opened > 0)
		put_i64(sb, ",\"duration_ns\":",
			closed > opened ? closed - opened : 0);
	put_u64(sb, ",\"bytes_sent\":", col_u64(s, SC_SENT));
	put_u64(sb, ",\"bytes_received\":", col_u64(s, SC_RECEIVED));
	sbuf_puts(sb, ",\"holders\":[");
	for (size_t i = 0; blob && i < 8 && (i + 1) * HOLDER_BLOB <= nblob;
	     i++) {
		const unsigned char *p = blob + i * HOLDER_BLOB;

		if (i)
			sbuf_putc(sb, ',');
		put_u64(sb, "{\"pid\":", get_le32(p));
		sbuf_puts(sb, ",\"comm\":");
		json_str(sb, (const char *)p + 8, 16);
		put_u64(sb, ",\"uid\":", get_le32(p + 4));
		sbuf_putc(sb, '}');
	}
	sbuf_puts(sb, "]}");
}

/*
 * holders_json comes from our own formatter; it is inserted as is. Only
 * make sure it cannot break the line framing if the file was tampered with.
 */
static bool holders_json_sane(const char *v, size_t len)
{
	if (len < 2 || v[0] != '[' || v[len - 1] != ']')
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20)
			return false;
	return true;
}

static void json_failure(struct sbuf *sb, sqlite3_stmt *s, struct timefmt *tf)
{
	int64_t pid = sqlite3_column_int64(s, FC_PID);
	int64_t rport = sqlite3_column_int64(s, FC_RPORT);
	const char *holders;
	size_t len;

	sbuf_puts(sb, "{\"kind\":\"failure\"");
	put_time(sb, ",\"ts\":", tf, sqlite3_column_int64(s, FC_TS));
	put_str(sb, ",\"event\":", s, FC_EVENT, 16);
	if (pid) {
		put_i64(sb, ",\"pid\":", pid);
		put_i64(sb, ",\"uid\":", sqlite3_column_int64(s, FC_UID));
		put_str(sb, ",\"comm\":", s, FC_COMM, 16);
	}
	put_i64(sb, ",\"netns\":", sqlite3_column_int64(s, FC_NETNS));
	put_str(sb, ",\"proto\":", s, FC_PROTO, 4);
	put_local(sb, s, FC_LADDR, FC_LPORT);
	if (rport) {
		put_str(sb, ",\"raddr\":", s, FC_RADDR, 48);
		put_i64(sb, ",\"rport\":", rport);
	}
	put_str(sb, ",\"error\":", s, FC_ERROR, 24);
	put_i64(sb, ",\"errno\":", sqlite3_column_int64(s, FC_ERRNO));
	if (!col_empty(s, FC_REASON))
		put_str(sb, ",\"reason\":", s, FC_REASON, 400);
	holders = col_text(s, FC_HOLDERS, &len);
	if (len <= 1024 && holders_json_sane(holders, len)) {
		sbuf_puts(sb, ",\"holders\":");
		sbuf_putn(sb, holders, len);
	}
	sbuf_putc(sb, '}');
}

static void json_owner(struct sbuf *sb, sqlite3_stmt *s, struct timefmt *tf)
{
	int64_t pid = sqlite3_column_int64(s, OC_PID);

	sbuf_puts(sb, "{\"kind\":\"owner\"");
	put_time(sb, ",\"ts\":", tf, sqlite3_column_int64(s, OC_TS));
	put_str(sb, ",\"action\":", s, OC_ACTION, 12);
	put_i64(sb, ",\"netns\":", sqlite3_column_int64(s, OC_NETNS));
	put_str(sb, ",\"proto\":", s, OC_PROTO, 4);
	put_local(sb, s, OC_LADDR, OC_LPORT);
	put_u64(sb, ",\"cookie\":", col_u64(s, OC_COOKIE));
	if (pid) {
		put_i64(sb, ",\"pid\":", pid);
		put_i64(sb, ",\"uid\":", sqlite3_column_int64(s, OC_UID));
		put_str(sb, ",\"comm\":", s, OC_COMM, 16);
	}
	sbuf_putc(sb, '}');
}

typedef void (*json_fn)(struct sbuf *sb, sqlite3_stmt *s, struct timefmt *tf);

static const json_fn json_of[NR_QUEUES] = { json_socket, json_failure,
					     json_owner };

static void emit(json_fn fmt, sqlite3_stmt *s, struct timefmt *tf,
		 void (*fn)(const char *json, void *arg), void *arg)
{
	char line[JSON_MAX];
	struct sbuf sb;

	sbuf_init(&sb, line, sizeof(line));
	fmt(&sb, s, tf);
	fn(line, arg);
}

static void bind_named_i64(sqlite3_stmt *s, const char *name, int64_t v)
{
	int i = sqlite3_bind_parameter_index(s, name);

	if (i)
		sqlite3_bind_int64(s, i, v);
}

/*
 * The SQL of one kind's part of a history query, newest first, with only
 * the conditions asked for. Unbucketed (no port, pid or comm): the time
 * index. Bucketed: the rows of time bucket :b, found by one "driver"
 * subquery on a bucketed index (the port's if there is one); the other
 * conditions only filter those rows, and the unary + keeps the planner from
 * trading the driver for a scan of the time index or of the whole bucket.
 */
static void history_sql(struct sbuf *sb, int kind,
			const struct history_query *q, bool bucketed)
{
	static const char *const cols[NR_QUEUES] = { SOCKET_COLS, FAILURE_COLS,
						     OWNER_COLS };
	const char *t = time_col[kind], *tbl = table_name[kind];
	bool by_port = q->port, by_holder = q->pid || q->comm;
	const char *plus = bucketed ? "+" : "";

	sbuf_printf(sb, "SELECT %s FROM %s WHERE 1", cols[kind], tbl);
	if (by_port) {
		sbuf_printf(sb,
			    " AND id IN (SELECT id FROM %s WHERE (%s >> "
			    BUCKET_SQL ") = :b AND lport = :port",
			    tbl, t);
		/* both sides, two index ranges; IN makes a set of them */
		if (kind != Q_OWNER)
			sbuf_printf(sb,
				    " UNION ALL SELECT id FROM %s WHERE (%s >> "
				    BUCKET_SQL ") = :b AND rport = :port",
				    tbl, t);
		sbuf_putc(sb, ')');
	}
	if (by_holder && kind == Q_SOCKET) {
		/* any holder; pid and comm, if both, of the same one */
		sbuf_puts(sb, " AND id IN (SELECT socket_id FROM socket_holder"
			      " WHERE " BUCKET("closed_ns") " = :b");
		if (q->pid)
			sbuf_puts(sb, " AND pid = :pid");
		if (q->comm)
			sbuf_puts(sb, " AND comm = :comm");
		sbuf_putc(sb, ')');
	} else if (by_holder && by_port) {
		if (q->pid)
			sbuf_puts(sb, " AND +pid = :pid");
		if (q->comm)
			sbuf_puts(sb, " AND +comm = :comm");
	} else if (by_holder) {
		sbuf_printf(sb,
			    " AND id IN (SELECT id FROM %s WHERE (%s >> "
			    BUCKET_SQL ") = :b",
			    tbl, t);
		if (q->pid)
			sbuf_puts(sb, " AND pid = :pid");
		if (q->comm)
			sbuf_puts(sb, " AND comm = :comm");
		sbuf_putc(sb, ')');
	}
	if (q->since_ns)
		sbuf_printf(sb, " AND %s%s >= :since", plus, t);
	if (q->until_ns)
		sbuf_printf(sb, " AND %s%s <= :until", plus, t);
	sbuf_printf(sb, " ORDER BY %s DESC, id DESC LIMIT :limit", t);
}

struct history_out {
	uint32_t limit; /* 0: none */
	int count;
	struct timefmt tf;
	void (*fn)(const char *json, void *arg);
	void *arg;
};

static bool history_full(const struct history_out *out)
{
	return out->limit && (uint32_t)out->count >= out->limit;
}

/* Runs the statements (NULL: kind not asked for), each newest first, and
 * emits their rows merged newest first. */
static int history_merge(sqlite3_stmt *s[NR_QUEUES], struct history_out *out)
{
	bool live[NR_QUEUES] = { false };
	int rc;

	for (int k = 0; k < NR_QUEUES; k++) {
		if (!s[k])
			continue;
		rc = sqlite3_step(s[k]);
		live[k] = rc == SQLITE_ROW;
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return rc;
	}
	while (!history_full(out)) {
		int best = -1;

		for (int k = 0; k < NR_QUEUES; k++) {
			if (!live[k])
				continue;
			if (best < 0 || sqlite3_column_int64(s[k], 1) >
						sqlite3_column_int64(s[best], 1))
				best = k;
		}
		if (best < 0)
			break;
		emit(json_of[best], s[best], &out->tf, out->fn, out->arg);
		out->count++;
		rc = sqlite3_step(s[best]);
		live[best] = rc == SQLITE_ROW;
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return rc;
	}
	return SQLITE_OK;
}

/* The time of the newest row of the asked kinds at or before lim; -1: none */
static int history_latest(sqlite3_stmt *prev[NR_QUEUES], int64_t lim,
			  int64_t *t)
{
	int rc;

	*t = -1;
	for (int k = 0; k < NR_QUEUES; k++) {
		if (!prev[k])
			continue;
		sqlite3_reset(prev[k]);
		sqlite3_bind_int64(prev[k], 1, lim);
		rc = sqlite3_step(prev[k]);
		if (rc != SQLITE_ROW)
			return rc;
		if (sqlite3_column_type(prev[k], 0) != SQLITE_NULL &&
		    sqlite3_column_int64(prev[k], 0) > *t)
			*t = sqlite3_column_int64(prev[k], 0);
	}
	return SQLITE_OK;
}

/*
 * With a port, pid or comm the bucketed indexes answer, one bucket at a
 * time from the newest: every bucket is a few short index ranges, and a
 * limit stops the walk early. Empty buckets are skipped (the time indexes
 * give the next one), so the cost follows the rows, not the time span.
 */
static int history_buckets(struct store *st, sqlite3_stmt *s[NR_QUEUES],
			   const struct history_query *q,
			   struct history_out *out)
{
	sqlite3_stmt *prev[NR_QUEUES] = { NULL };
	int64_t lim = q->until_ns ? q->until_ns : INT64_MAX, t;
	int64_t lo = clamp_time(q->since_ns) >> BUCKET_SHIFT;
	char sql[96];
	int rc = SQLITE_OK;

	for (int k = 0; k < NR_QUEUES && !rc; k++) {
		if (!s[k])
			continue;
		snprintf(sql, sizeof(sql), "SELECT max(%s) FROM %s WHERE %s <= ?",
			 time_col[k], table_name[k], time_col[k]);
		rc = sqlite3_prepare_v2(st->db, sql, -1, &prev[k], NULL);
	}
	while (!rc && lim >= 0 && !history_full(out)) {
		int64_t b;

		rc = history_latest(prev, lim, &t);
		if (rc || t < 0)
			break;
		b = t >> BUCKET_SHIFT;
		if (b < lo)
			break;
		for (int k = 0; k < NR_QUEUES; k++) {
			if (!s[k])
				continue;
			sqlite3_reset(s[k]);
			bind_named_i64(s[k], ":b", b);
		}
		rc = history_merge(s, out);
		lim = (b << BUCKET_SHIFT) - 1;
	}
	for (int k = 0; k < NR_QUEUES; k++)
		sqlite3_finalize(prev[k]);
	return rc;
}

int store__history(struct store *st, const struct history_query *q,
		   void (*fn)(const char *json, void *arg), void *arg)
{
	sqlite3_stmt *s[NR_QUEUES] = { NULL };
	uint32_t kinds = q->failed ? STORE_KIND_FAILURE :
				     (q->kinds ?: STORE_KIND_SOCKET |
							  STORE_KIND_FAILURE |
							  STORE_KIND_OWNER);
	bool bucketed = q->port || q->pid || q->comm;
	struct history_out out = {
		.limit = q->limit,
		.fn = fn,
		.arg = arg,
	};
	char sqlbuf[1024];
	int rc = SQLITE_OK, ret;

	timefmt_init_offset(&out.tf, 0);
	lock(&st->dblock);
	ret = db_ready(st, NULL, 0);
	if (ret)
		goto out;
	for (int k = 0; k < NR_QUEUES; k++) {
		struct sbuf sb;

		if (!(kinds & (1u << k)))
			continue;
		sbuf_init(&sb, sqlbuf, sizeof(sqlbuf));
		history_sql(&sb, k, q, bucketed);
		rc = sqlite3_prepare_v2(st->db, sqlbuf, -1, &s[k], NULL);
		if (rc)
			goto fail;
		bind_named_i64(s[k], ":port", q->port);
		bind_named_i64(s[k], ":pid", q->pid);
		bind_named_i64(s[k], ":since", q->since_ns);
		bind_named_i64(s[k], ":until", q->until_ns);
		bind_named_i64(s[k], ":limit", q->limit ? (int64_t)q->limit : -1);
		if (q->comm)
			sqlite3_bind_text(s[k],
					  sqlite3_bind_parameter_index(s[k],
								       ":comm"),
					  q->comm, -1, SQLITE_STATIC);
	}
	rc = bucketed ? history_buckets(st, s, q, &out) : history_merge(s, &out);
	if (rc)
		goto fail;
	ret = out.count;
	goto out;
fail:
	ret = db_errno(st->db, rc);
out:
	for (int k = 0; k < NR_QUEUES; k++)
		sqlite3_finalize(s[k]);
	unlock(&st->dblock);
	return ret;
}

struct who_hit {
	int64_t id, opened;
};

/* Most recently opened first; unknown openings (0) last. */
static int who_hit_cmp(const void *a, const void *b)
{
	const struct who_hit *x = a, *y = b;

	if (x->opened != y->opened)
		return x->opened < y->opened ? 1 : -1;
	return x->id < y->id ? 1 : x->id > y->id ? -1 : 0;
}

/*
 * Sockets open at AT: opened <= AT <= closed. An index on either time alone
 * still scans every socket closed after AT (or opened before it), which on
 * a busy port is most of the table. So by life: a socket that lived less
 * than a bucket and was open at AT closed in AT's bucket or the next one,
 * two index lookups. The longer-lived ones (listeners, long connections,
 * sockets older than sockscope) are few and have a partial index of their
 * own, read from AT on without touching the rows. The cost follows the
 * answer and the long-lived sockets since AT, not the size of the table.
 */
int store__who_at(struct store *st, uint16_t port, const char *proto,
		  uint32_t netns, int64_t at_ns,
		  void (*fn)(const char *json, void *arg), void *arg)
{
	static const int which[] = { S_WHO_SHORT, S_WHO_LONG };
	int64_t at = clamp_time(at_ns);
	struct who_hit *hits = NULL;
	size_t nr = 0, cap = 0;
	struct timefmt tf;
	sqlite3_stmt *s;
	int rc = SQLITE_OK, ret;

	timefmt_init_offset(&tf, 0);
	lock(&st->dblock);
	ret = db_ready(st, NULL, 0);
	if (ret)
		goto out;
	for (size_t w = 0; w < sizeof(which) / sizeof(which[0]); w++) {
		s = st->stmt[which[w]];
		sqlite3_bind_int64(s, 1, at >> BUCKET_SHIFT);
		sqlite3_bind_int(s, 2, port);
		sqlite3_bind_int64(s, 3, at);
		if (proto)
			sqlite3_bind_text(s, 4, proto, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(s, 4);
		sqlite3_bind_int64(s, 5, netns);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			if (nr == cap) {
				size_t ncap = cap ? 2 * cap : 64;
				struct who_hit *n =
					realloc(hits, ncap * sizeof(*hits));

				if (!n) {
					sqlite3_reset(s);
					ret = -ENOMEM;
					goto out;
				}
				hits = n;
				cap = ncap;
			}
			hits[nr].id = sqlite3_column_int64(s, 0);
			hits[nr].opened = sqlite3_column_int64(s, 1);
			nr++;
		}
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			goto fail;
	}
	if (nr)
		qsort(hits, nr, sizeof(*hits), who_hit_cmp);
	s = st->stmt[S_SOCKET_BY_ID];
	for (size_t i = 0; i < nr; i++) {
		sqlite3_bind_int64(s, 1, hits[i].id);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			emit(json_socket, s, &tf, fn, arg);
		sqlite3_reset(s);
		if (rc != SQLITE_ROW)
			goto fail;
	}
	ret = (int)nr;
	goto out;
fail:
	ret = db_errno(st->db, rc);
out:
	unlock(&st->dblock);
	free(hits);
	return ret;
}
