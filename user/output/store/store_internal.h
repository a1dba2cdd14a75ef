/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the store's files share: the connection and its statements (db.c),
 * the row queue (queue.c), the column encodings (codec.c); write.c,
 * retain.c and query.c use them. Not for use outside output/store/.
 */
#ifndef SS_STORE_INTERNAL_H
#define SS_STORE_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "output/store/store.h"

/* A new version comes with its upgrade from the one before (db.c db_upgrade()). */
#define SCHEMA_VERSION "2"
#define QCHUNK_ROWS 64
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
#define BUCKET(col) "(" col " >> " BUCKET_SQL ")"
#define NSEC 1000000000LL

/* Queues and tables, in the order of the STORE_KIND_* bits. */
enum { Q_SOCKET, Q_FAILURE, Q_OWNER, NR_QUEUES };

/* Statements prepared once per connection (db.c), reused by every call. */
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

/* Walks the first rows of a queue; see struct qchunk for why it is safe. */
struct rowq_iter {
	struct qchunk *chunk;
	size_t idx, esize;
};

struct store {
	char *path;
	uint64_t retain_secs, retain_bytes;
	bool readonly;

	pthread_mutex_t dblock; /* the connection: flush, retain, queries */
	sqlite3 *db;		/* NULL: (re)opened by the next call that needs it */
	sqlite3_stmt *stmt[NR_STMTS];
	dev_t dev; /* the file we opened, to notice it being replaced */
	ino_t ino;
	/* SQLITE_CORRUPT or NOTADB seen (db_fail(), store__check()) */
	bool corrupt;
	char errmsg[512]; /* the last query's failure, for store__error() */

	pthread_mutex_t qlock; /* everything below */
	struct rowq q[NR_QUEUES];
	size_t qrows_max, qbytes;
	struct store_stats stats; /* .queued is computed */
};

/* Column lists the row readers take, by position (query.c). */
/* The process identity of socket (the releasing process), failure and
 * owner rows (NULL: not known), in this order; bind_proc() (write.c) and
 * read_proc() (query.c) handle them. */
#define PROC_COLS "nspid, pidns, ppid, pcomm, exe, cmdline"
#define PROC_COLS_SQL                                                        \
	" nspid INTEGER, pidns INTEGER, ppid INTEGER, pcomm TEXT, exe TEXT," \
	" cmdline TEXT"
#define NR_PROC_COLS 6
#define SOCKET_COLS                                                         \
	"id, closed_ns, opened_ns, cookie, netns, proto, family, laddr,"    \
	" lport, raddr, rport, state, bytes_sent, bytes_received, holders," \
	" v6only, cgroup, closer_pid, " PROC_COLS
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
	SC_V6ONLY,
	SC_CGROUP,
	SC_CLOSER, /* the pid the identity columns (SC_PROC on) are of */
	SC_PROC,
};
#define FAILURE_COLS                                                    \
	"id, ts_ns, event, pid, uid, comm, netns, proto, laddr, lport," \
	" raddr, rport, errno, error, reason, holders, cgroup, " PROC_COLS
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
	FC_CGROUP,
	FC_PROC, /* NR_PROC_COLS */
};
#define OWNER_COLS                                                          \
	"id, ts_ns, action, netns, proto, laddr, lport, cookie, pid, uid, " \
	"comm, cgroup, " PROC_COLS
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
	OC_CGROUP,
	OC_PROC, /* NR_PROC_COLS */
};

extern const char *const store_table[NR_QUEUES];
extern const char *const store_time_col[NR_QUEUES];

/* ---- db.c: the connection ---- */

/* ss_unit(cgroup) and ss_container(cgroup) for the queries
 * (identity_sql.c): an SQLite result code. */
int store_identity_functions(sqlite3 *db);

/* An SQLite result as -errno; the OS error when SQLite saw one. */
int db_errno(sqlite3 *db, int rc);
/* Reports the connection's last error; returns it as -errno (-EUCLEAN:
 * the file is corrupt, and st->corrupt is set). */
int db_fail(struct store *st, int rc, const char *what, char *err, size_t errlen);
/* Closes the connection (its statements too); the next db_ready() opens. */
void db_close(struct store *st);
/* Runs a prepared statement to completion, ready for the next use. */
int stmt_run(sqlite3_stmt *s);
int64_t single_int(sqlite3 *db, const char *sql, int *rcp);
/* An older schema brought to this one, in the caller's transaction (upgrade.c):
 * 0 (nothing to do too), or -errno with the reason. */
int db_upgrade(struct store *st, char *err, size_t errlen);
/*
 * The connection, opened again if the file under our path is no longer the
 * one we opened. Call with dblock held.
 */
int db_ready(struct store *st, char *err, size_t errlen);
/* -EROFS with a message if the store was opened read-only. */
int db_writable(const struct store *st, char *err, size_t errlen);

static inline void store_lock(pthread_mutex_t *m)
{
	pthread_mutex_lock(m);
}

static inline void store_unlock(pthread_mutex_t *m)
{
	pthread_mutex_unlock(m);
}

/*
 * A time before 1970 is a bug elsewhere: stored as 0, so buckets are never
 * negative (and 0 >> 42 means the same in C and SQL).
 */
static inline int64_t clamp_time(int64_t t)
{
	return t > 0 ? t : 0;
}

/* ---- queue.c ---- */

void rowq_iter_init(struct rowq_iter *it, const struct rowq *q);
/* Only called for a row known to exist. */
const void *rowq_iter_next(struct rowq_iter *it);
void rowq_pop(struct rowq *q, size_t n);
void rowq_free(struct rowq *q);

/* ---- codec.c: the holders columns ---- */

/* A socket's holders: at most 8 * HOLDER_BLOB bytes. */
#define HOLDER_BLOB 24
size_t holders_encode(unsigned char *blob, const struct store_holder *h, uint32_t n);
uint32_t holders_decode(struct store_holder *h, const void *blob, size_t len);

/* A failure's holders; the longest encoding of 8 (see codec.c). */
#define FHOLDERS_MAX (2 + 8 * (1 + 4 + 4 + 17 + 8 + 17 + 49 + 2 + 49 + 2))
size_t fholders_encode(unsigned char *blob, const struct store_failure *r);
/* Anything but our encoding (e.g. the JSON text of older versions): none. */
uint32_t fholders_decode(struct store_failure *r, const void *blob, size_t len);

#endif
