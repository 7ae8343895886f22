/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* What the module shares at run time: the socache (created once, in the
 * parent) and, per process, the HTTP fetcher and the issuers' keys. */

#ifndef OT_HTTPD_RUNTIME_H
#define OT_HTTPD_RUNTIME_H

#include <httpd.h>
#include "fetch/fetch.h"
#include "fetch/provider.h"
#include "httpd/socache.h"

typedef struct ot_runtime_t {
    ot_socache_t *cache;     /* post_config */
    ot_fetcher_t *fetcher;   /* child_init */
    ot_provider_t *provider; /* child_init */
} ot_runtime_t;

int ot_runtime_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp);
int ot_runtime_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp, server_rec *s);
void ot_runtime_child_init(apr_pool_t *pchild, server_rec *s);

/* The runtime of r's server; NULL when the module has nothing to share
 * (no issuer configured anywhere). */
ot_runtime_t *ot_runtime_of(request_rec *r);

#endif
