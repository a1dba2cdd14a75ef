// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* keysort: the order of a comparator's qsort, stable, for keys that share
 * bytes (skipped passes) and keys that do not; keysort_array moves records. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "lib/keysort.h"

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
	return *x;
}

static int cmp_key(const void *a, const void *b)
{
	const struct sortkey *x = a, *y = b;

	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	/* stable: the input order decides */
	return x->at < y->at ? -1 : x->at > y->at;
}

/* n keys whose hi takes few values and lo many, with repeats */
static void check(size_t n, uint64_t hi_mask, uint64_t lo_mask)
{
	struct sortkey *v = calloc(n ? n : 1, sizeof(*v)), *want = calloc(n ? n : 1, sizeof(*v));
	uint64_t x = 0x9e3779b97f4a7c15ull + n;

	for (size_t i = 0; i < n; i++)
		v[i] = (struct sortkey){rnd(&x) & hi_mask, rnd(&x) & lo_mask, i};
	memcpy(want, v, n * sizeof(*v));
	qsort(want, n, sizeof(*want), cmp_key);
	assert_int_equal(keysort(v, n), 0);
	for (size_t i = 0; i < n; i++) {
		assert_true(v[i].hi == want[i].hi && v[i].lo == want[i].lo);
		assert_int_equal(v[i].at, want[i].at);
	}
	free(v);
	free(want);
}

static void same_order_as_qsort(void **state)
{
	(void)state;
	check(0, ~0ull, ~0ull);
	check(1, ~0ull, ~0ull);
	check(31, 3, 7); /* insertion sort */
	check(33, 3, 7);
	check(20000, 0xff00000000ull | 0xffff, 0xfffffff); /* netns|port, cookie */
	check(5000, ~0ull, ~0ull);			   /* every byte differs */
	check(5000, 0, 0);				   /* all equal: input order */
	check(4096, 1ull << 63, 1);
}

struct rec {
	uint32_t a;
	char pad[60];
	uint32_t b;
};

static struct sortkey rec_key(const void *r, size_t at)
{
	const struct rec *x = r;

	return (struct sortkey){.hi = x->a, .lo = x->b, .at = at};
}

static void array_moves_records(void **state)
{
	size_t n = 1000;
	struct rec *v = calloc(n, sizeof(*v));
	uint64_t x = 12345;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		v[i].a = (uint32_t)(rnd(&x) % 10);
		v[i].b = (uint32_t)i;
		snprintf(v[i].pad, sizeof(v[i].pad), "rec %zu", i);
	}
	assert_int_equal(keysort_array(v, n, sizeof(*v), rec_key, NULL), 0);
	for (size_t i = 0; i < n; i++) {
		char want[60];

		snprintf(want, sizeof(want), "rec %u", v[i].b);
		assert_string_equal(v[i].pad, want);
		if (i)
			assert_true(v[i - 1].a < v[i].a ||
				    (v[i - 1].a == v[i].a && v[i - 1].b < v[i].b));
	}
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_order_as_qsort),
		cmocka_unit_test(array_moves_records),
	};

	return cmocka_run_group_tests_name("keysort", tests, NULL, NULL);
}
