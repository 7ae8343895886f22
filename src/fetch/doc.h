/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Cache-aside for the provider's documents (metadata, JWKS): served from
 * the store while fresh, fetched and stored when not, and a stale copy kept
 * serving for a bounded time when the provider fails. */

#ifndef OT_DOC_H
#define OT_DOC_H

#include <apr_pools.h>
#include <apr_time.h>
#include "ot.h"
#include "fetch/fetch.h"
#include "store/store.h"

typedef struct ot_doc_policy_t {
    apr_interval_time_t default_ttl; /* when Cache-Control says nothing */
    apr_interval_time_t min_ttl;     /* Cache-Control is clamped into */
    apr_interval_time_t max_ttl;     /* [min_ttl, max_ttl] */
    apr_interval_time_t max_stale;   /* a stale copy serves this long past
                                        its lifetime when fetching fails */
    apr_size_t max_len;              /* body size limit */
} ot_doc_policy_t;

typedef struct ot_doc_t {
    const char *body;       /* NUL-terminated */
    apr_size_t len;
    apr_time_t fetched;     /* when the provider sent it */
    apr_time_t fresh_until;
    int from_store;         /* 1: no fetch happened */
    int stale;              /* 1: past fresh_until, the fetch failed */
} ot_doc_t;

/* The document at url. A fresh stored copy is returned without fetching
 * unless refresh is set (the caller throttles refreshes). A fetch that
 * fails (no answer, status other than 200, over max_len) falls back to a
 * stored copy within max_stale (doc->stale = 1, *why says why); with none,
 * OT_ERR_NOT_FOUND when the server answered 404 or 410, else
 * OT_ERR_UNAVAILABLE, and *why names the URL and the cause. A successful
 * fetch is stored until fresh_until + max_stale. */
ot_status_t ot_doc_get(apr_pool_t *p, const ot_store_t *store,
                       const ot_fetcher_t *fetcher, const char *url,
                       const ot_doc_policy_t *policy, apr_time_t now,
                       int refresh, ot_doc_t *doc, const char **why);

#endif
