/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The bash completion script, written from the command table, the option
 * tables and the sink schemes, so it cannot drift from what the parser
 * takes. The build writes it (packaging/completion-gen.c) to
 * .output/completion/sockscope; the package installs it in
 * /usr/share/bash-completion/completions/.
 */
#ifndef SS_CMD_COMPLETION_H
#define SS_CMD_COMPLETION_H

#include <stdio.h>

/*
 * Writes the script to f. Returns 0, or -EINVAL if a name in the tables is
 * not a plain word (it would have to be quoted for the shell) or -EIO.
 */
int completion__bash(FILE *f);

#endif
