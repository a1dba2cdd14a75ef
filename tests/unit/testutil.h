/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* cmocka needs these before its header. */
#ifndef SS_TESTUTIL_H
#define SS_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#endif
