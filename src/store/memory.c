/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <string.h>

#include <apr_allocator.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include "store/store.h"

/* Above every document the core keeps (a key set is at most
 * OT_MAX_JWKS_LEN plus a small record header). */
#define MEMORY_MAX_VALUE_LEN (2 * 1024 * 1024)

typedef struct memory_entry_t {
    apr_pool_t *pool; /* this entry alone: replacing it frees it */
    const unsigned char *id;
    apr_size_t id_len;
    unsigned char *value;
    apr_size_t value_len;
    apr_time_t expiry;
} memory_entry_t;

/* Everything below is touched only with mutex held, including the pool:
 * it has an allocator of its own so that no other user of the parent's
 * allocator can race with us. */
typedef struct memory_store_t {
    apr_thread_mutex_t *mutex;
    apr_pool_t *pool;
    apr_hash_t *entries;
    apr_time_t (*now_fn)(void *);
    void *baton;
} memory_store_t;

static apr_time_t memory_now(const memory_store_t *ms)
{
    return ms->now_fn ? ms->now_fn(ms->baton) : apr_time_now();
}

static void memory_drop(memory_store_t *ms, memory_entry_t *e)
{
    /* The hash keeps a pointer to e->id: unlink before freeing. */
    apr_hash_set(ms->entries, e->id, (apr_ssize_t)e->id_len, NULL);
    apr_pool_destroy(e->pool);
}

/* The live entry for id; an expired one is dropped on the way. */
static memory_entry_t *memory_find(memory_store_t *ms, const unsigned char *id,
                                   apr_size_t id_len, apr_time_t now)
{
    memory_entry_t *e = apr_hash_get(ms->entries, id, (apr_ssize_t)id_len);

    if (e != NULL && e->expiry <= now) {
        memory_drop(ms, e);
        e = NULL;
    }
    return e;
}

/* Entries nobody asks for again would otherwise stay forever. */
static void memory_sweep(memory_store_t *ms, apr_time_t now)
{
    apr_hash_index_t *hi;
    memory_entry_t *e;

    for (hi = apr_hash_first(NULL, ms->entries); hi; hi = apr_hash_next(hi)) {
        e = apr_hash_this_val(hi);
        if (e->expiry <= now) {
            memory_drop(ms, e);
        }
    }
}

static ot_status_t memory_insert(memory_store_t *ms, const unsigned char *id,
                                 apr_size_t id_len, const unsigned char *value,
                                 apr_size_t value_len, apr_time_t expiry)
{
    memory_entry_t *e;
    apr_pool_t *ep;

    if (apr_pool_create(&ep, ms->pool) != APR_SUCCESS) {
        return OT_ERR_INTERNAL;
    }
    e = apr_pcalloc(ep, sizeof(*e));
    e->pool = ep;
    e->id = apr_pmemdup(ep, id, id_len);
    e->id_len = id_len;
    e->value = apr_palloc(ep, value_len + 1);
    if (value_len > 0) {
        memcpy(e->value, value, value_len);
    }
    e->value[value_len] = '\0';
    e->value_len = value_len;
    e->expiry = expiry;
    apr_hash_set(ms->entries, e->id, (apr_ssize_t)id_len, e);
    return OT_OK;
}

static ot_status_t memory_get(const ot_store_t *store, apr_pool_t *p,
                              const unsigned char *id, apr_size_t id_len,
                              unsigned char **value, apr_size_t *value_len)
{
    memory_store_t *ms = store->ctx;
    memory_entry_t *e;
    ot_status_t st = OT_ERR_NOT_FOUND;

    if (apr_thread_mutex_lock(ms->mutex) != APR_SUCCESS) {
        return OT_ERR_INTERNAL;
    }
    e = memory_find(ms, id, id_len, memory_now(ms));
    if (e != NULL) {
        /* The copy lives in the caller's pool, so the entry may be
         * replaced while the caller still reads it. */
        *value = apr_pmemdup(p, e->value, e->value_len + 1);
        *value_len = e->value_len;
        st = OT_OK;
    }
    apr_thread_mutex_unlock(ms->mutex);
    return st;
}

static ot_status_t memory_put(const ot_store_t *store, apr_pool_t *p,
                              const unsigned char *id, apr_size_t id_len,
                              const unsigned char *value, apr_size_t value_len,
                              apr_time_t expiry)
{
    memory_store_t *ms = store->ctx;
    memory_entry_t *e;
    apr_time_t now;
    ot_status_t st = OT_OK;
    (void)p;

    if (value_len > store->max_value_len) {
        return OT_ERR_TOO_LARGE;
    }
    if (apr_thread_mutex_lock(ms->mutex) != APR_SUCCESS) {
        return OT_ERR_INTERNAL;
    }
    now = memory_now(ms);
    memory_sweep(ms, now);
    e = memory_find(ms, id, id_len, now);
    if (e != NULL) {
        memory_drop(ms, e);
    }
    /* A record already expired is as good as removed. */
    if (expiry > now) {
        st = memory_insert(ms, id, id_len, value, value_len, expiry);
    }
    apr_thread_mutex_unlock(ms->mutex);
    return st;
}

static ot_status_t memory_remove(const ot_store_t *store, apr_pool_t *p,
                                 const unsigned char *id, apr_size_t id_len)
{
    memory_store_t *ms = store->ctx;
    memory_entry_t *e;
    (void)p;

    if (apr_thread_mutex_lock(ms->mutex) != APR_SUCCESS) {
        return OT_ERR_INTERNAL;
    }
    e = apr_hash_get(ms->entries, id, (apr_ssize_t)id_len);
    if (e != NULL) {
        memory_drop(ms, e);
    }
    apr_thread_mutex_unlock(ms->mutex);
    return OT_OK;
}

static ot_status_t memory_claim(const ot_store_t *store, apr_pool_t *p,
                                const unsigned char *id, apr_size_t id_len,
                                apr_time_t expiry)
{
    memory_store_t *ms = store->ctx;
    apr_time_t now;
    ot_status_t st = OT_OK;
    (void)p;

    if (apr_thread_mutex_lock(ms->mutex) != APR_SUCCESS) {
        return OT_ERR_INTERNAL;
    }
    now = memory_now(ms);
    memory_sweep(ms, now);
    /* Test and insert under one lock hold: that is the atomicity. */
    if (memory_find(ms, id, id_len, now) != NULL) {
        st = OT_ERR_BUSY;
    }
    else if (expiry > now) {
        st =
            memory_insert(ms, id, id_len, (const unsigned char *)"", 0, expiry);
    }
    apr_thread_mutex_unlock(ms->mutex);
    return st;
}

ot_store_t *ot_store_memory_create(apr_pool_t *p, apr_time_t (*now_fn)(void *),
                                   void *baton)
{
    apr_allocator_t *allocator;
    memory_store_t *ms;
    ot_store_t *store;

    ms = apr_pcalloc(p, sizeof(*ms));
    if (apr_allocator_create(&allocator) != APR_SUCCESS) {
        return NULL;
    }
    if (apr_pool_create_ex(&ms->pool, p, NULL, allocator) != APR_SUCCESS) {
        apr_allocator_destroy(allocator);
        return NULL;
    }
    apr_allocator_owner_set(allocator, ms->pool);
    if (apr_thread_mutex_create(&ms->mutex, APR_THREAD_MUTEX_DEFAULT, p)
        != APR_SUCCESS) {
        return NULL;
    }
    ms->entries = apr_hash_make(ms->pool);
    ms->now_fn = now_fn;
    ms->baton = baton;

    store = apr_pcalloc(p, sizeof(*store));
    store->get = memory_get;
    store->put = memory_put;
    store->remove = memory_remove;
    store->claim = memory_claim;
    store->max_value_len = MEMORY_MAX_VALUE_LEN;
    store->ctx = ms;
    return store;
}
