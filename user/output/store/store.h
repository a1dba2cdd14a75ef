/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The daemon's memory: closed sockets, failures and port ownership changes
 * in an SQLite database, and the queries 'history' and 'who --at' ask it.
 *
 * The tracer never waits on the disk: store__add_*() only copy the row into
 * a bounded in-memory queue, and store__flush() writes the queue in one
 * transaction. Threads: store__add_*() and store__stats() may run in any
 * thread, also while another one is inside store__flush(); flush, retain and
 * the queries serialize among themselves on the database.
 */
#ifndef SS_STORE_H
#define SS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/proc_ident.h"

/* Queue bounds: whichever is reached first drops (and counts) new rows. */
#define STORE_QUEUE_ROWS 100000
#define STORE_QUEUE_BYTES (64u << 20)

struct store;

struct store_opts {
	const char *path;      /* SQLite file; its directory is created 0700 */
	uint64_t retain_secs;  /* delete rows older than this (0: forever) */
	uint64_t retain_bytes; /* keep the file under this (0: no limit) */
	uint32_t queue_rows;   /* queue bound, 0: STORE_QUEUE_ROWS */
	/*
	 * For readers ('history', 'who --at'): the file is opened read-only
	 * and must exist; it is never created, nor its schema, pragmas or
	 * header changed. -ENOENT: no file (or an empty one, no schema yet);
	 * -EACCES: not readable. Flush and retain then fail with -EROFS.
	 */
	bool readonly;
};

int store__open(struct store **out, const struct store_opts *o, char *err, size_t errlen);
/* Flushes what is queued (best effort: call store__flush() first to know). */
void store__close(struct store *st);

/*
 * Three kinds of rows. Times are CLOCK_REALTIME ns (before 1970: stored as
 * 0). Strings are NUL-terminated (or fill their array), any bytes: process
 * names are hostile, they are stored as given and escaped on output.
 */
/* A row's cgroup-v2 path ("": not known); its unit, container and pod are
 * derived from it (model/cgroup_ident.h), when printed and in queries. */
#define STORE_CGROUP_LEN 512

struct store_holder {
	uint32_t pid;
	uint32_t uid;
	char comm[16];
};

/* A socket that was closed: its whole life. */
struct store_socket {
	uint64_t cookie;
	uint32_t netns;
	char proto[4];	/* "tcp", "udp" */
	char family[6]; /* "inet", "inet6" */
	char laddr[48]; /* "" if never bound */
	uint16_t lport;
	char raddr[48];
	uint16_t rport;	   /* 0: no remote */
	uint8_t v6only;	   /* inet6: IPV6_V6ONLY (0 on "::": it held the IPv4 port too) */
	char state[16];	   /* last state ("LISTEN", "ESTABLISHED", "UNCONN", ...)
			 */
	int64_t opened_ns; /* 0: unknown (existed before sockscope) */
	int64_t closed_ns;
	uint64_t bytes_sent, bytes_received;
	struct store_holder holders[8]; /* everyone who held it */
	uint32_t nr_holders;
	char cgroup[STORE_CGROUP_LEN]; /* the first holder's with one */
	/* the process that released it (proc.pid), as far as known (flags) */
	struct proc_ident proc;
};

/* A socket in the way of a failure, as its explanation gave it. */
struct store_failure_holder {
	uint32_t has_process, pid, uid; /* has_process 0: TIME_WAIT, orphan */
	char comm[16];
	uint64_t cookie;
	char state[16];
	char laddr[48];
	uint16_t lport;
	char raddr[48];
	uint16_t rport; /* 0: no remote */
	uint8_t reuseaddr, reuseport;
};

/* A failed bind/listen/connect, with its explanation. */
struct store_failure {
	int64_t ts_ns;
	char event[16];
	uint32_t pid, uid; /* pid 0: no known process */
	char comm[16];
	uint32_t netns;
	char proto[4];
	char laddr[48];
	uint16_t lport;
	char raddr[48];
	uint16_t rport;
	int err;
	char error[24];				/* 98, "EADDRINUSE" */
	char reason[400];			/* may be "" */
	struct store_failure_holder holders[8]; /* the explanation's */
	uint32_t nr_holders;
	char cgroup[STORE_CGROUP_LEN]; /* the failing process's */
	struct proc_ident proc;	       /* the failing process, as far as known (flags) */
};

/* A port changed hands: someone started or stopped holding it. */
struct store_owner {
	int64_t ts_ns;
	uint32_t netns;
	char proto[4];
	char laddr[48];
	uint16_t lport;
	uint64_t cookie;
	uint32_t pid, uid; /* pid 0: no known process */
	char comm[16];
	char action[12]; /* "bind", "listen", "release" */
	char cgroup[STORE_CGROUP_LEN];
	struct proc_ident proc; /* the process, as far as known (flags) */
};

/*
 * Queue a row: a copy into memory, never the disk. When the queue is full
 * (see STORE_QUEUE_*) the row is dropped and counted.
 */
void store__add_socket(struct store *st, const struct store_socket *r);
void store__add_failure(struct store *st, const struct store_failure *r);
void store__add_owner(struct store *st, const struct store_owner *r);

/*
 * Write everything queued in one transaction. 0: every row is in the
 * database file and survives the death of the process (kill -9; power loss:
 * see store.c); -errno with a reason in err: nothing was written and the
 * rows stay queued for the next call. If the database file was removed or
 * replaced, it is opened again (created anew if missing).
 */
int store__flush(struct store *st, char *err, size_t errlen);

/*
 * Retention: rows older than retain_secs, then the oldest rows of any kind
 * until the database is under retain_bytes. Deletes in small transactions so
 * a flush never waits long; call it every few seconds at most.
 */
int store__retain(struct store *st, int64_t now_real_ns, char *err, size_t errlen);

struct store_stats {
	uint64_t queued;				/* rows waiting for a flush */
	uint64_t committed;				/* rows written since open */
	uint64_t dropped;				/* rows lost: queue full */
	uint64_t flush_errors;				/* failed store__flush() calls */
	uint64_t rows_socket, rows_failure, rows_owner; /* in the database */
};
void store__stats(const struct store *st, struct store_stats *out);

/* One stored row of any kind, as the queries return it. */
struct store_row {
	uint32_t kind; /* STORE_KIND_SOCKET, _FAILURE or _OWNER */
	union {
		struct store_socket socket;
		struct store_failure failure;
		struct store_owner owner;
	};
};

/* Kinds of rows, for history_query.kinds and store_row.kind. */
#define STORE_KIND_SOCKET 0x1
#define STORE_KIND_FAILURE 0x2
#define STORE_KIND_OWNER 0x4

/*
 * Queries. Each calls fn(row, arg) once per row and returns the number of
 * rows given to fn, or -errno. fn returning non-zero stops the query (the
 * row it was given counts). fn runs with the database held: it may queue
 * rows, not flush or query. Strings in a row are NUL-terminated or fill
 * their array.
 */
struct history_query {
	uint16_t port;		    /* 0: any; local or remote */
	uint32_t pid;		    /* 0: any; any holder of a socket */
	const char *comm;	    /* NULL: any; exact, any holder of a socket */
	int64_t since_ns, until_ns; /* 0: unbounded; inclusive, on the row's
				     * time (a socket's is its close) */
	bool failed;		    /* only failures (same as kinds = STORE_KIND_FAILURE) */
	uint32_t limit;		    /* 0: no limit */
	uint32_t kinds;		    /* STORE_KIND_* mask; 0: all three */
	/* the row's identity (a socket's: its first holder's) */
	const char *unit;      /* NULL: any; exact */
	const char *container; /* NULL: any; an id prefix */
	/*
	 * More conditions, tested on each row as it is read, before the
	 * limit counts it (NULL: none). No index serves them: the rows the
	 * conditions above select are all read until the limit is reached.
	 */
	bool (*match)(const struct store_row *r, void *arg);
	void *match_arg;
};

/* Rows of all kinds, newest first (a socket's time is its close). */
int store__history(struct store *st, const struct history_query *q,
		   int (*fn)(const struct store_row *r, void *arg), void *arg);

/*
 * Who held local PORT (proto NULL: any, netns 0: any) at AT: the closed
 * sockets whose life covers it (opened_ns <= at <= closed_ns; an unknown
 * opening counts as before), most recently opened first.
 */
int store__who_at(struct store *st, uint16_t port, const char *proto, uint32_t netns, int64_t at_ns,
		  int (*fn)(const struct store_row *r, void *arg), void *arg);

/*
 * Is the file intact? PRAGMA quick_check: 0, or -EUCLEAN with SQLite's
 * first complaint in err when the file is corrupt (other -errno: could not
 * ask). Reads the whole file: for startup or on demand, not every flush.
 */
int store__check(struct store *st, char *err, size_t errlen);

/*
 * Corruption. Any call that meets SQLITE_CORRUPT or SQLITE_NOTADB (a
 * query, a flush, retention, store__check(), store__open()) fails with
 * -EUCLEAN and "PATH: database is corrupt (what: SQLite's words)".
 */

/* The message of the last failed store__history()/store__who_at() ("" if
 * it gave none). */
const char *store__error(const struct store *st);
/* The file was found corrupt and not moved aside yet. */
bool store__corrupt(const struct store *st);
/*
 * A writer's way out: the damaged file (with its -wal and -shm) is renamed
 * PATH.corrupt-YYYYMMDDTHHMMSSZ, kept as it is for whoever wants to look
 * (SQLite does not checkpoint into it), and a fresh database is opened at
 * PATH; queued rows go to it at the next flush. 0 with the new name in
 * moved, or -errno with a reason in err.
 */
int store__set_aside(struct store *st, char *moved, size_t movedlen, char *err, size_t errlen);
/* The same for a file store__open() refused with -EUCLEAN (no store);
 * -EINVAL for a file without SQLite's header, which is left alone. */
int store__set_aside_path(const char *path, char *moved, size_t movedlen, char *err, size_t errlen);

#endif
