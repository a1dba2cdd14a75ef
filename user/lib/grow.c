// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/grow.h"

int grow_array(void *arrp, size_t *cap, size_t elem, size_t first)
{
	size_t n = *cap ? *cap * 2 : first;
	void *v;

	/* arrp is a T **: copied, not dereferenced as void **, so any T works
	 * without breaking aliasing rules */
	memcpy(&v, arrp, sizeof(v));
	if (n < *cap || (elem && n > (size_t)-1 / elem))
		return -ENOMEM;
	v = realloc(v, n * elem);
	if (!v)
		return -ENOMEM;
	memcpy(arrp, &v, sizeof(v));
	*cap = n;
	return 0;
}
