// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The error convention's helpers: ss_exit_code() (the one -errno to exit
 * code mapping the commands use), neg_errno() and grow_array().
 */
#include "testutil.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "lib/err.h"
#include "lib/exitcodes.h"
#include "lib/grow.h"

static void exit_codes_by_errno(void **state)
{
	(void)state;
	assert_int_equal(ss_exit_code(0), SS_EXIT_OK);
	assert_int_equal(ss_exit_code(-EPERM), SS_EXIT_PERM);
	assert_int_equal(ss_exit_code(-EACCES), SS_EXIT_PERM);
	assert_int_equal(ss_exit_code(-EOPNOTSUPP), SS_EXIT_KERNEL);
	assert_int_equal(ss_exit_code(-ENOSYS), SS_EXIT_KERNEL);
	assert_int_equal(ss_exit_code(-ERANGE), SS_EXIT_USAGE);
	assert_int_equal(ss_exit_code(-EIO), SS_EXIT_OUTPUT);
	assert_int_equal(ss_exit_code(-ENOMEM), SS_EXIT_RUNTIME);
	assert_int_equal(ss_exit_code(-EINVAL), SS_EXIT_RUNTIME);
	assert_int_equal(ss_exit_code(-EBUSY), SS_EXIT_RUNTIME);
}

static void neg_errno_never_zero(void **state)
{
	(void)state;
	assert_int_equal(neg_errno(EPERM), -EPERM);
	assert_true(neg_errno(0) < 0);
}

/* A hostile value quoted in a message cannot break its line. */
static void errf_escapes_control_bytes(void **state)
{
	char err[64], tiny[8];

	(void)state;
	assert_int_equal(errf(err, sizeof(err), -EINVAL, "unknown sink '%s'", "a\nb\033[2J"),
			 -EINVAL);
	assert_string_equal(err, "unknown sink 'a\\x0ab\\x1b[2J'");
	errf(err, sizeof(err), -EINVAL, "plain %s", "caf\xc3\xa9");
	assert_string_equal(err, "plain caf\xc3\xa9");
	/* cut at a whole escape, never half of one */
	errf(tiny, sizeof(tiny), -EINVAL, "ab\n\n");
	assert_string_equal(tiny, "ab\\x0a");
}

static void grow_doubles(void **state)
{
	uint32_t *v = NULL;
	size_t cap = 0;

	(void)state;
	assert_int_equal(grow_array(&v, &cap, sizeof(*v), 16), 0);
	assert_int_equal(cap, 16);
	v[15] = 7;
	assert_int_equal(grow_array(&v, &cap, sizeof(*v), 16), 0);
	assert_int_equal(cap, 32);
	assert_int_equal(v[15], 7); /* kept */
	free(v);
}

static void grow_refuses_overflow(void **state)
{
	char *v = NULL;
	size_t cap = SIZE_MAX / 2 + 1;

	(void)state;
	assert_int_equal(grow_array(&v, &cap, 1, 16), -ENOMEM);
	assert_true(cap == SIZE_MAX / 2 + 1 && !v); /* unchanged */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exit_codes_by_errno),
		cmocka_unit_test(neg_errno_never_zero),
		cmocka_unit_test(errf_escapes_control_bytes),
		cmocka_unit_test(grow_doubles),
		cmocka_unit_test(grow_refuses_overflow),
	};

	return cmocka_run_group_tests_name("errors", tests, NULL, NULL);
}
