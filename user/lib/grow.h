/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Growable arrays: the one "double the capacity and realloc" step. */
#ifndef SS_LIB_GROW_H
#define SS_LIB_GROW_H

#include <stddef.h>

/*
 * arrp points to an array pointer (e.g. &l->inodes) of *cap elements of
 * elem bytes. Doubles *cap (to first when it is 0) and reallocs the array:
 * 0, or -ENOMEM with the array and *cap unchanged.
 */
int grow_array(void *arrp, size_t *cap, size_t elem, size_t first);

#endif
