/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* What the module shares at run time: the socache (created once, in the
 * parent) and, per process, the HTTP fetcher and the issuers' keys. */

#ifndef OT_HTTPD_RUNTIME_H
#define OT_HTTPD_RUNTIME_H

#include <httpd.h>
#include "fetch/fetch.h"
#include "fetch/provider.h"
#include "httpd/socache.h"
#include "token/cache.h"

typedef struct ot_runtime_t {
    ot_socache_t *cache;     /* post_config */
    ot_socache_t *sessions;  /* OAuthTokenSessionStore, or the cache */
    ot_fetcher_t *fetcher;   /* child_init */
    ot_provider_t *provider; /* child_init */
    ot_token_memo_t *memo;   /* child_init: validated tokens, this process */
} ot_runtime_t;

int ot_runtime_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp);
int ot_runtime_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp, server_rec *s);
void ot_runtime_child_init(apr_pool_t *pchild, server_rec *s);

/* The runtime of r's server; NULL when the module has nothing to share
 * (no issuer configured anywhere). */
ot_runtime_t *ot_runtime_of(request_rec *r);

typedef struct ot_keys_baton_t {
    request_rec *r;
    ot_provider_t *provider;
} ot_keys_baton_t;

/* Points policy's issuer_keys at this process's provider keys, logging
 * (for r) when a stale set has to serve; baton lives as long as policy. */
void ot_runtime_use_provider_keys(request_rec *r, ot_access_policy_t *policy,
                                  ot_keys_baton_t *baton);

#endif
