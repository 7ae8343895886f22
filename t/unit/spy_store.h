/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* A store that can be watched and broken: the memory store on a fake clock
 * (fake_now, moved by set_now), behind a layer that keeps a copy of every
 * value written (so a test can look for secrets or ids in clear) and can
 * fail every call as an unreachable Redis would (spy_state.down). Shared by
 * the login and session tests, which keep their records in it. */

#ifndef OT_TEST_SPY_STORE_H
#define OT_TEST_SPY_STORE_H

#include <string.h>

#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <apr_time.h>

#include "ot.h"
#include "store/store.h"

static apr_time_t fake_now;

typedef struct spy_t {
    ot_store_t *inner;
    apr_array_header_t *written; /* const char * */
    int puts;
    int down;
    apr_pool_t *pool; /* where the copies in written live */
} spy_t;

static spy_t spy_state;
static ot_store_t spy; /* what the code under test is given */

static inline apr_time_t store_now(void *baton)
{
    (void)baton;
    return fake_now;
}

static inline ot_status_t spy_get(const ot_store_t *store, apr_pool_t *p,
                                  const unsigned char *id, apr_size_t id_len,
                                  unsigned char **value, apr_size_t *value_len)
{
    spy_t *s = store->ctx;

    if (s->down) {
        return OT_ERR_UNAVAILABLE;
    }
    return s->inner->get(s->inner, p, id, id_len, value, value_len);
}

static inline ot_status_t spy_put(const ot_store_t *store, apr_pool_t *p,
                                  const unsigned char *id, apr_size_t id_len,
                                  const unsigned char *value,
                                  apr_size_t value_len, apr_time_t expiry)
{
    spy_t *s = store->ctx;

    if (s->down) {
        return OT_ERR_UNAVAILABLE;
    }
    s->puts++;
    APR_ARRAY_PUSH(s->written, const char *) =
        apr_pstrmemdup(s->pool, (const char *)value, value_len);
    return s->inner->put(s->inner, p, id, id_len, value, value_len, expiry);
}

static inline ot_status_t spy_remove(const ot_store_t *store, apr_pool_t *p,
                                     const unsigned char *id, apr_size_t id_len)
{
    spy_t *s = store->ctx;

    if (s->down) {
        return OT_ERR_UNAVAILABLE;
    }
    return s->inner->remove(s->inner, p, id, id_len);
}

static inline ot_status_t spy_claim(const ot_store_t *store, apr_pool_t *p,
                                    const unsigned char *id, apr_size_t id_len,
                                    apr_time_t expiry)
{
    spy_t *s = store->ctx;

    if (s->down) {
        return OT_ERR_UNAVAILABLE;
    }
    return s->inner->claim(s->inner, p, id, id_len, expiry);
}

/* A fresh, empty store in p, with the clock at now_sec. */
static inline const ot_store_t *spy_store_reset(apr_pool_t *p,
                                                apr_int64_t now_sec)
{
    fake_now = apr_time_from_sec(now_sec);
    spy_state.inner = ot_store_memory_create(p, store_now, NULL);
    spy_state.written = apr_array_make(p, 8, sizeof(const char *));
    spy_state.puts = 0;
    spy_state.down = 0;
    spy_state.pool = p;
    spy.get = spy_get;
    spy.put = spy_put;
    spy.remove = spy_remove;
    spy.claim = spy_claim;
    spy.max_value_len = spy_state.inner->max_value_len;
    spy.ctx = &spy_state;
    return &spy;
}

/* Moves the store's clock. */
static inline void set_now(apr_int64_t sec)
{
    fake_now = apr_time_from_sec(sec);
}

/* Whether any value written so far contains needle. */
static inline int written_contains(const char *needle)
{
    int i;

    for (i = 0; i < spy_state.written->nelts; i++) {
        if (strstr(APR_ARRAY_IDX(spy_state.written, i, const char *), needle)) {
            return 1;
        }
    }
    return 0;
}

#endif
