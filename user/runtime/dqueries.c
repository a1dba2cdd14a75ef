// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Moved to runtime/answers.c (delete this file at the final rename). */
#include "runtime/dqueries.h"
