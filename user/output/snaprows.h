/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Emptied: snapshot rows are printed through a private engine now
 * (runtime/oneshot.h, runtime/answers.h). Delete at the final rename.
 */
#ifndef SS_SNAPROWS_H
#define SS_SNAPROWS_H

#include "cmd/cli.h"
#include "output/output.h"
#include "output/portrow.h"
#include "runtime/rowfilter.h"
#include "kernel/snapshot.h"

#endif
