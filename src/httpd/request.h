/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* What the module knows about one request, kept in r->request_config so
 * the authz providers stay pure and the challenge is written once, by
 * whoever answers. */

#ifndef OT_HTTPD_REQUEST_H
#define OT_HTTPD_REQUEST_H

#include <httpd.h>
#include "token/access.h"

typedef struct ot_request_t {
    const ot_access_token_t *token; /* set when a Bearer token was accepted */
    const char *needed_scope;       /* the first oauth-scope line that failed */
    int authz_denied;               /* an oauth-* Require line said no */
} ot_request_t;

/* The request's state; created on first use when create is non-zero,
 * otherwise NULL until then. */
ot_request_t *ot_request_state(request_rec *r, int create);

/* The accepted token of r, or of the request it was redirected from or is
 * a subrequest of (httpd skips authentication for those when the
 * configuration is the same); NULL when there is none. */
const ot_access_token_t *ot_request_token(request_rec *r);

#endif
