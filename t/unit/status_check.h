/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* The report of one check on an ot_status_t: a TAP line, and on failure
 * what came back, what was wanted and the refusal's detail. Shared so the
 * token, ID token, cache, introspection and callback tests say it the same
 * way; each decides pass itself (what else a result must satisfy differs). */

#ifndef OT_TEST_STATUS_CHECK_H
#define OT_TEST_STATUS_CHECK_H

#include "tap.h"
#include "ot.h"

static inline int ok_status(int pass, ot_status_t got, ot_status_t want,
                            const char *detail, const char *name)
{
    ok(pass, "%s", name);
    if (!pass) {
        diag("  got %d (%s), expected %d (%s); detail: %s", (int)got,
             ot_status_text(got), (int)want, ot_status_text(want),
             detail ? detail : "(none)");
    }
    return pass;
}

#endif
