/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * keysort: a stable sort of (hi, lo) 128-bit keys, each with the index of
 * the record it stands for, by LSD radix: the bytes every key shares are
 * skipped, so a table of sockets (a few namespaces, cookies that differ in
 * their low bytes) takes a handful of linear passes. qsort(3) with a
 * comparator over 20000 96-byte records cost more than building the rows.
 */
#ifndef SS_KEYSORT_H
#define SS_KEYSORT_H

#include <stddef.h>
#include <stdint.h>

struct sortkey {
	uint64_t hi, lo; /* the order: hi first */
	size_t at;	 /* the record's index before sorting */
};

/* Sorts v by (hi, lo); equal keys keep their order. 0 or -ENOMEM. */
int keysort(struct sortkey *v, size_t n);

/*
 * Sorts the n records of elem bytes at base in place by key(record, its
 * index). When memory is short, qsort(3) with cmp does it (cmp: key's
 * order); without cmp, -ENOMEM with base untouched. 0 once sorted.
 */
int keysort_array(void *base, size_t n, size_t elem,
		  struct sortkey (*key)(const void *rec, size_t at),
		  int (*cmp)(const void *a, const void *b));

#endif
