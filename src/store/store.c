/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "store/store.h"
#include "util/crypto.h"

/* SHA-256(ns || NUL || key). The NUL keeps ("a", "bc") and ("ab", "c")
 * apart; hashing gives every provider (shmcb, redis, memcache) a short
 * fixed-size id without the characters some of them cannot take. */
static int store_hash(const char *ns, const char *key, apr_size_t key_len,
                      unsigned char *id)
{
    const EVP_MD *md = ot_sha256_md();
    EVP_MD_CTX *ctx = md ? EVP_MD_CTX_new() : NULL;
    unsigned int len = 0;
    int ok;

    ok = ctx != NULL && EVP_DigestInit_ex(ctx, md, NULL) == 1
         && EVP_DigestUpdate(ctx, ns, strlen(ns) + 1) == 1
         && EVP_DigestUpdate(ctx, key, key_len) == 1
         && EVP_DigestFinal_ex(ctx, id, &len) == 1 && len == OT_STORE_ID_LEN;
    EVP_MD_CTX_free(ctx);
    return ok;
}

void ot_store_id(const char *ns, const char *key, apr_size_t key_len,
                 unsigned char *id)
{
    if (store_hash(ns, key, key_len, id)) {
        return;
    }
    ERR_clear_error();
    /* Only an allocation failure gets here. A random id cannot collide
     * with another key's record, so the lookup misses (and a put stores
     * a record nobody finds) instead of one key reading another's data.
     * The wrappers below refuse outright rather than rely on this. */
    if (ot_random_bytes(id, OT_STORE_ID_LEN) != OT_OK) {
        memset(id, 0xff, OT_STORE_ID_LEN);
    }
}

ot_status_t ot_store_get(const ot_store_t *store, apr_pool_t *p, const char *ns,
                         const char *key, unsigned char **value,
                         apr_size_t *value_len)
{
    unsigned char id[OT_STORE_ID_LEN];

    if (!store_hash(ns, key, strlen(key), id)) {
        ERR_clear_error();
        return OT_ERR_INTERNAL;
    }
    return store->get(store, p, id, sizeof(id), value, value_len);
}

ot_status_t ot_store_put(const ot_store_t *store, apr_pool_t *p, const char *ns,
                         const char *key, const unsigned char *value,
                         apr_size_t value_len, apr_time_t expiry)
{
    unsigned char id[OT_STORE_ID_LEN];

    if (!store_hash(ns, key, strlen(key), id)) {
        ERR_clear_error();
        return OT_ERR_INTERNAL;
    }
    return store->put(store, p, id, sizeof(id), value, value_len, expiry);
}

ot_status_t ot_store_claim(const ot_store_t *store, apr_pool_t *p,
                           const char *ns, const char *key, apr_time_t expiry)
{
    unsigned char id[OT_STORE_ID_LEN];

    if (!store_hash(ns, key, strlen(key), id)) {
        ERR_clear_error();
        return OT_ERR_INTERNAL;
    }
    return store->claim(store, p, id, sizeof(id), expiry);
}
