/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Map access patterns, after libbpf-tools' maps.bpf.h. */
#ifndef SS_MAPS_BPF_H
#define SS_MAPS_BPF_H

#include <bpf/bpf_helpers.h>

/*
 * Insert init under key unless an entry exists, and return the map's entry:
 * the second half of libbpf-tools' bpf_map_lookup_or_try_init, for callers
 * that looked up first and do something else with a hit. The update's error
 * is not checked: when two CPUs race, the loser's EEXIST still finds the
 * winner's entry, and any other failure finds none.
 */
static __always_inline void *bpf_map_try_init(void *map, const void *key, const void *init)
{
	bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, key);
}

/*
 * Copy out and delete the entry under key (the sys_enter -> sys_exit
 * hand-over), *out typed like the map's value; false if there is none. The
 * copy is taken before the delete frees the entry. A macro, not a function
 * taking void *: a typed copy keeps the value's alignment (a memcpy from a
 * void * is done byte by byte) and lets clang drop unused fields. map and
 * key are evaluated twice.
 */
#define bpf_map_take(map, key, out)                                \
	({                                                         \
		typeof(out) __val = bpf_map_lookup_elem(map, key); \
		bool __found = __val != NULL;                      \
                                                                   \
		if (__found) {                                     \
			*(out) = *__val;                           \
			bpf_map_delete_elem(map, key);             \
		}                                                  \
		__found;                                           \
	})

#endif
