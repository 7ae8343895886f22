/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include "fetch/provider.h"
#include "util/crypto.h"

#define NS_REFRESH "jwks-refresh"

/* A parsed key set, in a pool of its own so that it can be dropped once it
 * is replaced and no request holds it any more. */
typedef struct keyset_t {
    apr_pool_t *pool;
    const ot_jwks_t *jwks;
    unsigned char digest[OT_SHA256_LEN];
    unsigned int holders;
    int retired;
} keyset_t;

typedef struct issuer_state_t {
    keyset_t *current;
    apr_time_t recheck_at;    /* until then current is used as it is */
    apr_time_t stale_until;   /* after it an unconfirmed set is not used */
    apr_time_t failed_until;  /* no keys and the provider failed: until
                                  then, answer at once instead of asking */
    char failure[256];        /* why, for those answers */
    const char *metadata_url; /* the well-known URL that answered */
} issuer_state_t;

/* After a failure, how long requests are answered without asking the
 * provider again: a provider that hangs must not hang every worker. */
#define FAILURE_BACKOFF apr_time_from_sec(5)

struct ot_provider_t {
    apr_pool_t *pool; /* used under the mutex only */
    const ot_store_t *store;
    const ot_fetcher_t *fetcher;
    ot_provider_options_t options;
    apr_thread_mutex_t *mutex; /* guards issuers, key sets, stats */
    apr_hash_t *issuers;       /* issuer URL -> issuer_state_t */
    ot_provider_stats_t stats;
};

typedef struct hold_t {
    ot_provider_t *provider;
    keyset_t *keyset;
} hold_t;

static void retire_keyset(keyset_t *keyset);

/* The key sets live in unmanaged pools: the provider's end ends them (or
 * the last request that still holds one). */
static apr_status_t destroy_keysets(void *data)
{
    ot_provider_t *provider = data;
    apr_hash_index_t *hi;

    for (hi = apr_hash_first(NULL, provider->issuers); hi;
         hi = apr_hash_next(hi)) {
        issuer_state_t *state = apr_hash_this_val(hi);

        if (state->current) {
            retire_keyset(state->current);
            state->current = NULL;
        }
    }
    return APR_SUCCESS;
}

ot_status_t ot_provider_create(apr_pool_t *p, const ot_store_t *store,
                               const ot_fetcher_t *fetcher,
                               const ot_provider_options_t *options,
                               ot_provider_t **out)
{
    ot_provider_t *provider = apr_pcalloc(p, sizeof(*provider));

    /* A pool of its own, only ever used under the mutex. */
    if (apr_pool_create(&provider->pool, p) != APR_SUCCESS) {
        return OT_ERR_INTERNAL;
    }
    provider->store = store;
    provider->fetcher = fetcher;
    provider->options = *options;
    provider->issuers = apr_hash_make(provider->pool);
    apr_pool_cleanup_register(provider->pool, provider, destroy_keysets,
                              apr_pool_cleanup_null);
    if (apr_thread_mutex_create(&provider->mutex, APR_THREAD_MUTEX_DEFAULT, p)
        != APR_SUCCESS) {
        return OT_ERR_INTERNAL;
    }
    *out = provider;
    return OT_OK;
}

static apr_time_t now_of(const ot_provider_t *provider)
{
    return provider->options.now ? provider->options.now() : apr_time_now();
}

/* Under the mutex. The issuer URLs come from the configuration, so the
 * table is bounded by it. */
static issuer_state_t *state_of(ot_provider_t *provider,
                                const ot_issuer_t *issuer)
{
    issuer_state_t *state =
        apr_hash_get(provider->issuers, issuer->issuer, APR_HASH_KEY_STRING);

    if (!state) {
        state = apr_pcalloc(provider->pool, sizeof(*state));
        apr_hash_set(provider->issuers, issuer->issuer, APR_HASH_KEY_STRING,
                     state);
    }
    return state;
}

static apr_status_t release_keyset(void *data)
{
    hold_t *hold = data;

    apr_thread_mutex_lock(hold->provider->mutex);
    if (--hold->keyset->holders == 0 && hold->keyset->retired) {
        apr_pool_destroy(hold->keyset->pool);
    }
    apr_thread_mutex_unlock(hold->provider->mutex);
    return APR_SUCCESS;
}

/* Under the mutex: keyset stays alive at least as long as p. */
static const ot_jwks_t *hold_keyset(ot_provider_t *provider, apr_pool_t *p,
                                    keyset_t *keyset)
{
    hold_t *hold = apr_palloc(p, sizeof(*hold));

    hold->provider = provider;
    hold->keyset = keyset;
    keyset->holders++;
    apr_pool_cleanup_register(p, hold, release_keyset, apr_pool_cleanup_null);
    return keyset->jwks;
}

/* Under the mutex. */
static void retire_keyset(keyset_t *keyset)
{
    if (keyset->holders == 0) {
        apr_pool_destroy(keyset->pool);
    }
    else {
        keyset->retired = 1;
    }
}

static ot_status_t try_metadata_url(ot_provider_t *provider, apr_pool_t *p,
                                    const ot_issuer_t *issuer, const char *url,
                                    apr_time_t now, const ot_metadata_t **out,
                                    const char **why)
{
    ot_metadata_t *metadata;
    ot_doc_t doc;
    ot_status_t rv = ot_doc_get(p, provider->store, provider->fetcher, url,
                                &provider->options.metadata, now, 0, &doc, why);

    if (rv != OT_OK) {
        return rv;
    }
    rv =
        ot_metadata_parse(p, doc.body, doc.len, issuer->issuer, &metadata, why);
    if (rv == OT_OK) {
        *out = metadata;
    }
    else {
        *why = apr_psprintf(p, "%s: %s", url, *why ? *why : "unusable");
    }
    return rv;
}

ot_status_t ot_provider_metadata(ot_provider_t *provider, apr_pool_t *p,
                                 const ot_issuer_t *issuer,
                                 const ot_metadata_t **out, const char **why)
{
    apr_time_t now = now_of(provider);
    apr_array_header_t *urls;
    const char *known, *reasons = NULL;
    ot_status_t rv = OT_ERR_UNAVAILABLE;
    int i;

    if (issuer->metadata_url) {
        return try_metadata_url(provider, p, issuer, issuer->metadata_url, now,
                                out, why);
    }
    apr_thread_mutex_lock(provider->mutex);
    known = state_of(provider, issuer)->metadata_url;
    apr_thread_mutex_unlock(provider->mutex);
    if (known) {
        rv = try_metadata_url(provider, p, issuer, known, now, out, why);
        if (rv != OT_ERR_NOT_FOUND) {
            return rv == OT_OK ? OT_OK : OT_ERR_UNAVAILABLE;
        }
    }

    urls = ot_metadata_urls(p, issuer->issuer);
    for (i = 0; urls && i < urls->nelts; i++) {
        const char *url = APR_ARRAY_IDX(urls, i, const char *);
        const char *reason = NULL;

        rv = try_metadata_url(provider, p, issuer, url, now, out, &reason);
        if (rv == OT_OK) {
            apr_thread_mutex_lock(provider->mutex);
            state_of(provider, issuer)->metadata_url =
                apr_pstrdup(provider->pool, url);
            apr_thread_mutex_unlock(provider->mutex);
            return OT_OK;
        }
        /* A document that names another issuer is an answer, not an
         * absence: do not go looking for one that suits. A provider that
         * does not answer in time would not answer the next URL either:
         * one timeout per request is enough. */
        if (rv == OT_ERR_ISSUER) {
            *why = reason;
            return rv;
        }
        if (rv != OT_ERR_NOT_FOUND) {
            *why = reason;
            return OT_ERR_UNAVAILABLE;
        }
        reasons =
            reasons ? apr_pstrcat(p, reasons, "; ", reason, NULL) : reason;
    }
    *why = reasons ? reasons : "the issuer is not a URL discovery can use";
    return OT_ERR_UNAVAILABLE;
}

static ot_status_t jwks_url_of(ot_provider_t *provider, apr_pool_t *p,
                               const ot_issuer_t *issuer, const char **url,
                               const char **why)
{
    const ot_metadata_t *metadata;
    ot_status_t rv;

    if (issuer->jwks_url) {
        *url = issuer->jwks_url;
        return OT_OK;
    }
    rv = ot_provider_metadata(provider, p, issuer, &metadata, why);
    if (rv == OT_OK) {
        *url = metadata->jwks_uri;
    }
    return rv;
}

/* The current set when the provider cannot confirm it, within the stale
 * bound; OT_ERR_UNAVAILABLE otherwise. */
static ot_status_t fall_back(ot_provider_t *provider, apr_pool_t *p,
                             const ot_issuer_t *issuer, apr_time_t now,
                             const ot_jwks_t **jwks, const char **why)
{
    issuer_state_t *state;
    ot_status_t rv = OT_ERR_UNAVAILABLE;
    const char *reason = *why ? *why : "the provider failed";

    apr_thread_mutex_lock(provider->mutex);
    state = state_of(provider, issuer);
    if (state->current && now < state->stale_until) {
        state->recheck_at = now + provider->options.refresh_interval;
        *jwks = hold_keyset(provider, p, state->current);
        *why = apr_pstrcat(p, "serving the last good key set: ", reason, NULL);
        rv = OT_OK;
    }
    else {
        state->failed_until = now + FAILURE_BACKOFF;
        apr_cpystrn(state->failure, reason, sizeof(state->failure));
        *why = reason;
    }
    apr_thread_mutex_unlock(provider->mutex);
    return rv;
}

/* Takes doc as the issuer's key set: unchanged, it only extends the
 * current set's life; changed, it is parsed into a new set. */
static ot_status_t adopt(ot_provider_t *provider, apr_pool_t *p,
                         const ot_issuer_t *issuer, const ot_doc_t *doc,
                         const char *url, int forced, apr_time_t now,
                         const ot_jwks_t **jwks, const char **why)
{
    unsigned char digest[OT_SHA256_LEN];
    issuer_state_t *state;
    keyset_t *keyset;
    apr_pool_t *pool;
    ot_jwks_t *parsed;
    const char *reason = NULL;
    apr_time_t stale_until =
        doc->fresh_until + provider->options.jwks.max_stale;
    /* A stale copy means the provider just failed: ask again later, not on
     * every request. A fresh one is still compared with the shared copy
     * every refresh interval, so that a set another process refreshed (a
     * rotation, a removed key) reaches this one within that interval. */
    apr_time_t recheck_at = now + provider->options.refresh_interval;

    if (!doc->stale && doc->fresh_until < recheck_at) {
        recheck_at = doc->fresh_until;
    }
    if (ot_sha256(doc->body, doc->len, digest) != OT_OK) {
        return OT_ERR_INTERNAL;
    }
    apr_thread_mutex_lock(provider->mutex);
    state = state_of(provider, issuer);
    if (state->current
        && !memcmp(state->current->digest, digest, sizeof(digest))) {
        state->recheck_at = recheck_at;
        state->stale_until = stale_until;
        *jwks = hold_keyset(provider, p, state->current);
        apr_thread_mutex_unlock(provider->mutex);
        return OT_OK;
    }
    apr_thread_mutex_unlock(provider->mutex);

    /* Parsed outside the mutex; an unmanaged pool needs no shared parent. */
    if (apr_pool_create_unmanaged_ex(&pool, NULL, NULL) != APR_SUCCESS) {
        return OT_ERR_INTERNAL;
    }
    if (ot_jwks_parse(pool, doc->body, doc->len, &parsed, &reason) != OT_OK) {
        *why = apr_psprintf(p, "key set from %s unusable: %s", url,
                            reason ? reason : "invalid");
        apr_pool_destroy(pool);
        return OT_ERR_UNAVAILABLE;
    }
    keyset = apr_pcalloc(pool, sizeof(*keyset));
    keyset->pool = pool;
    keyset->jwks = parsed;
    memcpy(keyset->digest, digest, sizeof(digest));

    apr_thread_mutex_lock(provider->mutex);
    state = state_of(provider, issuer);
    if (state->current) {
        retire_keyset(state->current);
    }
    state->current = keyset;
    state->recheck_at = recheck_at;
    state->stale_until = stale_until;
    provider->stats.key_parses++;
    provider->stats.refreshes += forced;
    *jwks = hold_keyset(provider, p, keyset);
    apr_thread_mutex_unlock(provider->mutex);
    return OT_OK;
}

/* May this process force a fetch of the issuer's keys now? One process in
 * all, once per interval: the claim lives in the shared store. */
static int may_refresh(ot_provider_t *provider, apr_pool_t *p,
                       const ot_issuer_t *issuer, apr_time_t now)
{
    int granted = ot_store_claim(provider->store, p, NS_REFRESH, issuer->issuer,
                                 now + provider->options.refresh_interval)
                  == OT_OK;

    if (!granted) {
        apr_thread_mutex_lock(provider->mutex);
        provider->stats.throttled++;
        apr_thread_mutex_unlock(provider->mutex);
    }
    return granted;
}

ot_status_t ot_provider_issuer_keys(void *baton, apr_pool_t *p,
                                    const ot_issuer_t *issuer, int refresh,
                                    const ot_jwks_t **jwks, const char **why)
{
    ot_provider_t *provider = baton;
    apr_time_t now = now_of(provider);
    issuer_state_t *state;
    const char *url = NULL;
    int forced;
    ot_doc_t doc;
    ot_status_t rv;

    *why = NULL;
    apr_thread_mutex_lock(provider->mutex);
    state = state_of(provider, issuer);
    if (!refresh && state->current && now < state->recheck_at) {
        *jwks = hold_keyset(provider, p, state->current);
        apr_thread_mutex_unlock(provider->mutex);
        return OT_OK;
    }
    if ((!state->current || now >= state->stale_until)
        && now < state->failed_until) {
        *why = apr_pstrdup(p, state->failure);
        apr_thread_mutex_unlock(provider->mutex);
        return OT_ERR_UNAVAILABLE;
    }
    apr_thread_mutex_unlock(provider->mutex);

    /* Without the right to refresh, the store may still hold a newer set
     * that another process fetched. */
    forced = refresh && may_refresh(provider, p, issuer, now);
    rv = jwks_url_of(provider, p, issuer, &url, why);
    if (rv == OT_OK) {
        rv = ot_doc_get(p, provider->store, provider->fetcher, url,
                        &provider->options.jwks, now, forced, &doc, why);
    }
    if (rv == OT_OK) {
        rv = adopt(provider, p, issuer, &doc, url, forced, now, jwks, why);
        if (rv == OT_OK && doc.stale) {
            *why = apr_pstrcat(p, "serving a stale key set: ", *why, NULL);
        }
        else if (rv == OT_OK) {
            *why = NULL;
        }
    }
    if (rv != OT_OK && rv != OT_ERR_INTERNAL) {
        rv = fall_back(provider, p, issuer, now, jwks, why);
    }
    return rv;
}

void ot_provider_stats(ot_provider_t *provider, ot_provider_stats_t *stats)
{
    apr_thread_mutex_lock(provider->mutex);
    *stats = provider->stats;
    apr_thread_mutex_unlock(provider->mutex);
}
