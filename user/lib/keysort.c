// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/keysort.h"

#define SMALL 32 /* below this, insertion sort: no histograms to clear */
#define NBYTES 16

static inline unsigned int key_byte(const struct sortkey *k, unsigned int b)
{
	return (unsigned int)((b < 8 ? k->lo >> (8 * b) : k->hi >> (8 * (b - 8))) & 0xff);
}

static inline int key_less(const struct sortkey *a, const struct sortkey *b)
{
	return a->hi != b->hi ? a->hi < b->hi : a->lo < b->lo;
}

static void insertion(struct sortkey *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct sortkey k = v[i];
		size_t j = i;

		for (; j && key_less(&k, &v[j - 1]); j--)
			v[j] = v[j - 1];
		v[j] = k;
	}
}

int keysort(struct sortkey *v, size_t n)
{
	struct sortkey *tmp, *src = v, *dst;
	size_t(*count)[256];

	if (n <= SMALL) {
		insertion(v, n);
		return 0;
	}
	count = calloc(NBYTES, sizeof(*count));
	tmp = malloc(n * sizeof(*tmp));
	if (!count || !tmp) {
		free(count);
		free(tmp);
		return -ENOMEM;
	}
	/* every byte's histogram in one pass: moving keys does not change them */
	for (size_t i = 0; i < n; i++)
		for (unsigned int b = 0; b < NBYTES; b++)
			count[b][key_byte(&v[i], b)]++;
	dst = tmp;
	for (unsigned int b = 0; b < NBYTES; b++) {
		size_t sum = 0;

		if (count[b][key_byte(&v[0], b)] == n)
			continue; /* every key has this byte */
		for (unsigned int c = 0; c < 256; c++) {
			size_t k = count[b][c];

			count[b][c] = sum;
			sum += k;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[b][key_byte(&src[i], b)]++] = src[i];
		dst = src;
		src = src == v ? tmp : v;
	}
	if (src != v)
		memcpy(v, src, n * sizeof(*v));
	free(tmp);
	free(count);
	return 0;
}

/*
 * Moves record k[i].at to slot i, cycle by cycle through one spare record:
 * no copy of the whole array (a fresh buffer of 2 MiB is 500 page faults).
 * A slot done is marked by k[i].at = i.
 */
static void permute(struct sortkey *k, size_t n, char *b, size_t elem, char *spare)
{
	for (size_t i = 0; i < n; i++) {
		size_t j = i;

		if (k[i].at == i)
			continue;
		memcpy(spare, b + i * elem, elem);
		while (k[j].at != i) {
			size_t from = k[j].at;

			memcpy(b + j * elem, b + from * elem, elem);
			k[j].at = j;
			j = from;
		}
		memcpy(b + j * elem, spare, elem);
		k[j].at = j;
	}
}

int keysort_array(void *base, size_t n, size_t elem,
		  struct sortkey (*key)(const void *rec, size_t at),
		  int (*cmp)(const void *a, const void *b))
{
	struct sortkey *k;
	char *b = base, *spare;
	int rc = -ENOMEM;

	if (n < 2)
		return 0;
	k = malloc(n * sizeof(*k));
	spare = malloc(elem);

	for (size_t i = 0; k && i < n; i++)
		k[i] = key(b + i * elem, i);
	if (k && spare && !keysort(k, n)) {
		permute(k, n, b, elem, spare);
		rc = 0;
	}
	free(k);
	free(spare);
	if (rc && cmp) {
		qsort(base, n, elem, cmp);
		rc = 0;
	}
	return rc;
}
