/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <apr_strings.h>
#include <httpd.h>
#include <ap_provider.h>
#include <http_log.h>
#include <util_mutex.h>

#include "httpd/socache.h"

APLOG_USE_MODULE(oauth_token);

/* Validated tokens and sessions (a few KB with their tokens) fit the
 * first try; documents (key sets) may take the second. */
#define FIRST_TRY_LEN 16384
#define MAX_VALUE_LEN (256 * 1024)

static void lock(const ot_socache_t *cache)
{
    if (cache->mutex) {
        apr_global_mutex_lock(cache->mutex);
    }
}

static void unlock(const ot_socache_t *cache)
{
    if (cache->mutex) {
        apr_global_mutex_unlock(cache->mutex);
    }
}

static ot_status_t from_apr(apr_status_t rv)
{
    if (rv == APR_SUCCESS) {
        return OT_OK;
    }
    return APR_STATUS_IS_NOTFOUND(rv) ? OT_ERR_NOT_FOUND : OT_ERR_UNAVAILABLE;
}

/* The provider's lookup into buf of *len bytes; the caller holds the
 * lock. */
static apr_status_t lookup(const ot_socache_t *cache, apr_pool_t *p,
                           const unsigned char *id, apr_size_t id_len,
                           unsigned char *buf, unsigned int *len)
{
    return cache->provider->retrieve(cache->instance, cache->server, id,
                                     (unsigned int)id_len, buf, len, p);
}

/* One lookup into a buffer of size bytes, allocated before the lock is
 * taken so that the lock is held for the lookup alone. */
static apr_status_t retrieve(const ot_socache_t *cache, apr_pool_t *p,
                             const unsigned char *id, apr_size_t id_len,
                             apr_size_t size, unsigned char **value,
                             apr_size_t *value_len)
{
    unsigned char *buf = apr_palloc(p, size + 1);
    unsigned int len = (unsigned int)size;
    apr_status_t rv;

    lock(cache);
    rv = lookup(cache, p, id, id_len, buf, &len);
    unlock(cache);
    if (rv == APR_SUCCESS) {
        buf[len] = '\0';
        *value = buf;
        *value_len = len;
    }
    return rv;
}

static ot_status_t store_get(const ot_store_t *store, apr_pool_t *p,
                             const unsigned char *id, apr_size_t id_len,
                             unsigned char **value, apr_size_t *value_len)
{
    const ot_socache_t *cache = store->ctx;
    apr_status_t rv;

    rv = retrieve(cache, p, id, id_len, FIRST_TRY_LEN, value, value_len);
    /* shmcb says APR_ENOSPC when the value is larger, memcache and redis
     * APR_ENOMEM. */
    if (rv == APR_ENOSPC || rv == APR_ENOMEM) {
        rv = retrieve(cache, p, id, id_len, MAX_VALUE_LEN, value, value_len);
    }
    return from_apr(rv);
}

static ot_status_t store_put(const ot_store_t *store, apr_pool_t *p,
                             const unsigned char *id, apr_size_t id_len,
                             const unsigned char *value, apr_size_t value_len,
                             apr_time_t expiry)
{
    const ot_socache_t *cache = store->ctx;
    apr_status_t rv;

    if (value_len > MAX_VALUE_LEN) {
        return OT_ERR_TOO_LARGE;
    }
    lock(cache);
    rv = cache->provider->store(
        cache->instance, cache->server, id, (unsigned int)id_len, expiry,
        (unsigned char *)value, (unsigned int)value_len, p);
    unlock(cache);
    return from_apr(rv);
}

static ot_status_t store_remove(const ot_store_t *store, apr_pool_t *p,
                                const unsigned char *id, apr_size_t id_len)
{
    const ot_socache_t *cache = store->ctx;
    apr_status_t rv;

    lock(cache);
    rv = cache->provider->remove(cache->instance, cache->server, id,
                                 (unsigned int)id_len, p);
    unlock(cache);
    return from_apr(rv);
}

/* Atomic for shmcb (one mutex around both calls); for providers that
 * need no mutex (memcache, redis) two processes may both win a race,
 * which bounds a throttle at a few calls instead of one. */
static ot_status_t store_claim(const ot_store_t *store, apr_pool_t *p,
                               const unsigned char *id, apr_size_t id_len,
                               apr_time_t expiry)
{
    const ot_socache_t *cache = store->ctx;
    unsigned char marker = 1, seen[16];
    unsigned int seen_len = sizeof(seen);
    apr_status_t rv;

    lock(cache);
    /* Any record there, of whatever size, is someone else's claim. */
    rv = lookup(cache, p, id, id_len, seen, &seen_len);
    if (rv == APR_SUCCESS || rv == APR_ENOSPC || rv == APR_ENOMEM) {
        unlock(cache);
        return OT_ERR_BUSY;
    }
    rv = cache->provider->store(cache->instance, cache->server, id,
                                (unsigned int)id_len, expiry, &marker, 1, p);
    unlock(cache);
    return from_apr(rv);
}

static const ap_socache_provider_t *provider_of(apr_pool_t *p, const char *spec,
                                                const char **name,
                                                const char **args)
{
    const char *sep = ap_strchr_c(spec, ':');

    *name = sep ? apr_pstrmemdup(p, spec, sep - spec) : spec;
    *args = sep ? sep + 1 : NULL;
    return ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, *name,
                              AP_SOCACHE_PROVIDER_VERSION);
}

const char *ot_socache_check(apr_pool_t *p, const char *directive,
                             const char *spec)
{
    const char *name, *args;

    if (provider_of(p, spec, &name, &args)) {
        return NULL;
    }
    return apr_psprintf(p,
                        "%s %s: no socache provider '%s' is "
                        "loaded; add LoadModule socache_%s_module "
                        "modules/mod_socache_%s.so (Debian: a2enmod "
                        "socache_%s)%s",
                        directive, spec, name, name, name, name,
                        strcmp(name, "shmcb") ? ", or use shmcb" : "");
}

const char *ot_socache_create(apr_pool_t *p, apr_pool_t *ptemp,
                              const char *directive, const char *spec,
                              ot_socache_t **out)
{
    ot_socache_t *cache = apr_pcalloc(p, sizeof(*cache));
    const char *name, *args, *err = ot_socache_check(ptemp, directive, spec);

    if (err) {
        return err;
    }
    cache->spec = spec;
    cache->provider = provider_of(ptemp, spec, &name, &args);
    err = cache->provider->create(&cache->instance, args, ptemp, p);
    if (err) {
        return apr_psprintf(p, "%s %s: %s", directive, spec, err);
    }
    cache->store.get = store_get;
    cache->store.put = store_put;
    cache->store.remove = store_remove;
    cache->store.claim = store_claim;
    cache->store.max_value_len = MAX_VALUE_LEN;
    cache->store.ctx = cache;
    *out = cache;
    return NULL;
}

static apr_status_t destroy_instance(void *data)
{
    ot_socache_t *cache = data;

    cache->provider->destroy(cache->instance, cache->server);
    return APR_SUCCESS;
}

apr_status_t ot_socache_init(ot_socache_t *cache, const char *cname,
                             apr_pool_t *pconf, server_rec *s)
{
    struct ap_socache_hints hints = {OT_STORE_ID_LEN, 1024,
                                     apr_time_from_sec(60)};
    apr_status_t rv;

    cache->server = s;
    if (cache->provider->flags & AP_SOCACHE_FLAG_NOTMPSAFE) {
        rv = ap_global_mutex_create(&cache->mutex, NULL, OT_CACHE_MUTEX_TYPE,
                                    cname, s, pconf, 0);
        if (rv != APR_SUCCESS) {
            ap_log_error(
                APLOG_MARK, APLOG_CRIT, rv, s,
                APLOGNO(99050) "cannot create the mutex for OAuthTokenCache %s",
                cache->spec);
            return rv;
        }
    }
    rv =
        cache->provider->init(cache->instance, "oauth_token", &hints, s, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     APLOGNO(99051) "cannot initialise OAuthTokenCache %s",
                     cache->spec);
        return rv;
    }
    apr_pool_cleanup_register(pconf, cache, destroy_instance,
                              apr_pool_cleanup_null);
    return APR_SUCCESS;
}

apr_status_t ot_socache_child_init(ot_socache_t *cache, apr_pool_t *pchild)
{
    if (!cache->mutex) {
        return APR_SUCCESS;
    }
    return apr_global_mutex_child_init(
        &cache->mutex, apr_global_mutex_lockfile(cache->mutex), pchild);
}
