/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * TEMPORARY ADAPTER (helper "query"): delete this file and store_compat.c,
 * and its #include in runtime/answers.c, when helper "store" lands
 * store__history()/store__who_at() calling
 * int fn(const struct store_row *, void *) (BRIEF.md, contracts). Until
 * then it gives answers.c that signature over today's JSON callbacks.
 */
#ifndef SS_STORE_COMPAT_H
#define SS_STORE_COMPAT_H

#include "output/store/store.h"

typedef int (*store_row_fn)(const struct store_row *r, void *arg);

int compat_store__history(struct store *st, const struct history_query *q,
			  store_row_fn fn, void *arg);
int compat_store__who_at(struct store *st, uint16_t port, const char *proto,
			 uint32_t netns, int64_t at_ns, store_row_fn fn,
			 void *arg);

/* One of the store's JSON rows back into a row; 0 or -EINVAL. */
int compat_store__parse(const char *json, struct store_row *r);

#define store__history compat_store__history
#define store__who_at compat_store__who_at

#endif
