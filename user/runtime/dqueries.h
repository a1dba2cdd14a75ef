/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Moved to runtime/answers.h (delete this header at the final rename). */
#ifndef SS_DQUERIES_H
#define SS_DQUERIES_H

#include "runtime/answers.h"

#endif
