/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Shared state goes through a store: an httpd socache in the module, an
 * in-memory table in the unit tests. Keys are namespaced and hashed
 * (SHA-256 of namespace, NUL, key) so that any provider takes them; each
 * record expires by itself. */

#ifndef OT_STORE_H
#define OT_STORE_H

#include <apr_pools.h>
#include <apr_time.h>
#include "ot.h"

typedef struct ot_store_t ot_store_t;

struct ot_store_t {
    /* OT_ERR_NOT_FOUND when absent or expired. *value is allocated from p. */
    ot_status_t (*get)(const ot_store_t *store, apr_pool_t *p,
                       const unsigned char *id, apr_size_t id_len,
                       unsigned char **value, apr_size_t *value_len);
    ot_status_t (*put)(const ot_store_t *store, apr_pool_t *p,
                       const unsigned char *id, apr_size_t id_len,
                       const unsigned char *value, apr_size_t value_len,
                       apr_time_t expiry);
    ot_status_t (*remove)(const ot_store_t *store, apr_pool_t *p,
                          const unsigned char *id, apr_size_t id_len);
    /* Atomically: when id is absent, store value until expiry and answer
     * OT_OK; when present, OT_ERR_BUSY. Throttles work across processes. */
    ot_status_t (*claim)(const ot_store_t *store, apr_pool_t *p,
                         const unsigned char *id, apr_size_t id_len,
                         apr_time_t expiry);
    apr_size_t max_value_len; /* the largest record the store keeps */
    void *ctx;
};

#define OT_STORE_ID_LEN 32

/* The store id of key in namespace ns (OT_STORE_ID_LEN bytes). */
void ot_store_id(const char *ns, const char *key, apr_size_t key_len,
                 unsigned char *id);

/* Convenience wrappers that hash ns/key. */
ot_status_t ot_store_get(const ot_store_t *store, apr_pool_t *p,
                         const char *ns, const char *key,
                         unsigned char **value, apr_size_t *value_len);
ot_status_t ot_store_put(const ot_store_t *store, apr_pool_t *p,
                         const char *ns, const char *key,
                         const unsigned char *value, apr_size_t value_len,
                         apr_time_t expiry);
ot_status_t ot_store_claim(const ot_store_t *store, apr_pool_t *p,
                           const char *ns, const char *key,
                           apr_time_t expiry);

/* An in-memory store for tests and the command-line tool; not shared
 * between processes. now_fn (may be NULL: apr_time_now) lets tests move
 * time. */
ot_store_t *ot_store_memory_create(apr_pool_t *p,
                                   apr_time_t (*now_fn)(void *), void *baton);

#endif
