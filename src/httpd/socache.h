/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* The core's store on an httpd socache (shmcb, memcache, redis, ...), with
 * the global mutex around every call when the provider needs it (shmcb),
 * as mod_ssl does for its session cache. */

#ifndef OT_HTTPD_SOCACHE_H
#define OT_HTTPD_SOCACHE_H

#include <httpd.h>
#include <ap_socache.h>
#include <apr_global_mutex.h>
#include "store/store.h"

#define OT_CACHE_MUTEX_TYPE "oauth-token-cache"

typedef struct ot_socache_t {
    const char *spec; /* as configured: PROVIDER[:ARGS] */
    const ap_socache_provider_t *provider;
    ap_socache_instance_t *instance;
    apr_global_mutex_t *mutex; /* NULL when the provider is safe */
    server_rec *server;
    ot_store_t store;
} ot_socache_t;

/* NULL when spec's provider is loaded, else a message naming directive
 * (OAuthTokenCache, OAuthTokenSessionStore) and the module to load. */
const char *ot_socache_check(apr_pool_t *p, const char *directive,
                             const char *spec);

/* Parses PROVIDER[:ARGS] and creates the instance (configuration time).
 * NULL or an error message naming OAuthTokenCache. */
const char *ot_socache_create(apr_pool_t *p, apr_pool_t *ptemp,
                              const char *directive, const char *spec,
                              ot_socache_t **out);

/* post_config: initialises the instance and, when needed, the mutex.
 * cname tells the module's caches apart ([a-z_], at most 16 characters). */
apr_status_t ot_socache_init(ot_socache_t *cache, const char *cname,
                             apr_pool_t *pconf, server_rec *s);

/* child_init: re-opens the mutex in the child. */
apr_status_t ot_socache_child_init(ot_socache_t *cache, apr_pool_t *pchild);

#endif
