// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * timeparse() (lib/timeparse.c): --since, --until and --at as a user types
 * them, from the command line or over the control socket.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/timeparse.h"

/* 2026-12-01T12:00:00Z: ages are counted back from a fixed now */
#define NOW_NS 1796126400000000000ll

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	int64_t out = 0;
	int rc;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	rc = timeparse(s, NOW_NS, &out);
	if (rc && rc != -EINVAL && rc != -ERANGE)
		abort(); /* the documented errors only */
	/* "now" and ages never point after now */
	if (!rc && !strcmp(s, "now") && out != NOW_NS)
		abort();
	free(s);
	return 0;
}
