// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Writes the bash completion script (cmd/completion.h) to stdout: make completion. */
#include <errno.h>
#include <stdio.h>

#include "cmd/completion.h"

int main(void)
{
	int rc = completion__bash(stdout);

	if (!rc && fflush(stdout))
		rc = -1;
	if (rc) {
		fprintf(stderr, "completion-gen: %s\n",
			rc == -EINVAL ? "a name in the tables is not a plain word" : "write error");
		return 1;
	}
	return 0;
}
