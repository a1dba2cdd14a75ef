// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The engine's bounded history (see engine_history.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/engine_history.h"

int sock_history__init(struct sock_history *h, size_t max)
{
	memset(h, 0, sizeof(*h));
	h->max = max;
	if (!max)
		return 0;
	h->ring = calloc(max, sizeof(*h->ring));
	return h->ring ? 0 : -ENOMEM;
}

void sock_history__free(struct sock_history *h)
{
	free(h->ring);
	memset(h, 0, sizeof(*h));
}
