/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Who a process is beyond pid and comm: its parent, its pid in its own pid
 * namespace, its executable and command line. Kept in a bounded cache keyed
 * by pid and checked against the process's start time (CLOCK_BOOTTIME, the
 * clock of /proc/PID/stat's starttime), fed by the kernel's SS_EV_PROC
 * records (what a process that exits at once leaves behind) and, for
 * processes that were there before, by /proc/PID: read once, accepted only
 * if that process had started when it was asked about, so a recycled pid
 * never inherits another process's identity.
 */
#ifndef SS_PROC_IDENT_H
#define SS_PROC_IDENT_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sockscope_abi.h"

/* struct proc_ident.flags: which fields are known */
#define PI_PPID 0x01	      /* ppid and pcomm */
#define PI_NS 0x02	      /* nspid and pidns */
#define PI_EXE 0x04	      /* exe */
#define PI_CMDLINE 0x08	      /* cmdline */
#define PI_EXE_TRUNC 0x10     /* exe keeps only its last components */
#define PI_CMDLINE_TRUNC 0x20 /* cmdline was longer */

struct proc_ident {
	uint32_t pid;
	uint32_t ppid;
	uint32_t nspid;
	uint32_t pidns;
	uint64_t start_ns; /* CLOCK_BOOTTIME; /proc gives it in clock ticks */
	uint32_t flags;
	char pcomm[SS_COMM_LEN];
	char exe[SS_EXE_LEN];		  /* NUL-terminated */
	char cmdline[SS_CMDLINE_LEN + 1]; /* arguments joined by spaces */
	/* which fill of the cache this is (0: not the cache's): equal gens are
	 * equal identities, so a printer may keep its text (output/identity.c) */
	uint64_t gen;
};

struct proc_cache;

/*
 * A cache of at most cap identities (0: a default), reading proc_root
 * on a miss (NULL: never). NULL and errno on failure.
 */
struct proc_cache *proc_cache__new(size_t cap, const char *proc_root);
void proc_cache__free(struct proc_cache *c);

/* A kernel record (event_decode() checked its size): the process's identity
 * from now on, replacing what the cache held for that pid. */
const struct proc_ident *proc_cache__add(struct proc_cache *c, const struct ss_proc *r);
/* The process exited at CLOCK_BOOTTIME now_ns (SS_EV_EXIT): its identity
 * still names its last records, and no process that starts later. */
void proc_cache__exited(struct proc_cache *c, uint32_t pid, uint64_t now_ns);
/*
 * The identity of the process pid that existed at CLOCK_BOOTTIME when_ns:
 * the cache's, or /proc/PID's if that process had started by then. With
 * live, an exited process's entry is not it (a holder now). NULL if
 * unknown. Never blocks (a few small reads of /proc).
 */
const struct proc_ident *proc_cache__get(struct proc_cache *c, uint32_t pid, uint64_t when_ns,
					 bool live);

/* Reads /proc/PID under proc_root into *pi: 0, or -errno (gone, no access) */
int proc_ident__read(const char *proc_root, uint32_t pid, struct proc_ident *pi);
/* The cmdline text from the raw argument area: NULs become spaces, a
 * trailing NUL is dropped; out holds SS_CMDLINE_LEN + 1 bytes. */
void proc_ident__cmdline(char *out, const char *raw, size_t len);

/* CLOCK_BOOTTIME now, and a CLOCK_MONOTONIC time (a record's ts_ns) in it */
uint64_t proc_boot_now_ns(void);
uint64_t proc_mono_to_boot_ns(uint64_t mono_ns);

/*
 * The process-wide cache the runtime feeds and the row printers read (one
 * per process: trace, daemon and one-shot commands each have their own).
 * Created on first use; NULL only if that allocation failed. It reads
 * /proc only once proc_cache__default_root() named it (main() does; the
 * library alone, as the unit tests link it, knows only kernel records).
 */
struct proc_cache *proc_cache__default(void);
void proc_cache__default_root(const char *proc_root);
/* The identity of a live holder, from the default cache: NULL if unknown */
const struct proc_ident *proc_ident__live(uint32_t pid);

#endif
