/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* The Require providers oauth-scope, oauth-claim and oauth-client. */

#ifndef OT_HTTPD_AUTHZ_H
#define OT_HTTPD_AUTHZ_H

#include <apr_pools.h>

void ot_authz_register(apr_pool_t *p);

#endif
