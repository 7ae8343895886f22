/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* An issuer's metadata and keys, from the provider: discovered on first use
 * (httpd starts while the provider is down), shared between processes
 * through the store, parsed once per process and again only when the key
 * set changes. A token naming an unknown kid triggers at most one refresh
 * per issuer per interval, however many requests carry it; a failed
 * refresh keeps the last good set for a bounded time. */

#ifndef OT_PROVIDER_H
#define OT_PROVIDER_H

#include <apr_pools.h>
#include <apr_time.h>
#include "ot.h"
#include "fetch/doc.h"
#include "fetch/fetch.h"
#include "oidc/metadata.h"
#include "store/store.h"
#include "token/access.h"

typedef struct ot_provider_options_t {
    ot_doc_policy_t metadata;             /* discovery documents */
    ot_doc_policy_t jwks;                 /* key sets */
    apr_interval_time_t refresh_interval; /* unknown-kid refresh throttle */
    apr_time_t (*now)(void);              /* NULL: apr_time_now */
} ot_provider_options_t;

/* Per process; safe to use from many threads at once. */
typedef struct ot_provider_t ot_provider_t;

ot_status_t ot_provider_create(apr_pool_t *p, const ot_store_t *store,
                               const ot_fetcher_t *fetcher,
                               const ot_provider_options_t *options,
                               ot_provider_t **out);

/* The issuer's metadata: from issuer->metadata_url, else the well-known
 * URLs in turn. OT_ERR_ISSUER when a document names another issuer (the
 * mix-up defence), OT_ERR_UNAVAILABLE when none can be had. */
ot_status_t ot_provider_metadata(ot_provider_t *provider, apr_pool_t *p,
                                 const ot_issuer_t *issuer,
                                 const ot_metadata_t **out, const char **why);

/* An ot_issuer_keys_fn (baton: the ot_provider_t). The set stays valid as
 * long as p. On OT_OK, *why is set when the set is served stale because
 * the provider failed (the caller may log it). */
ot_status_t ot_provider_issuer_keys(void *provider, apr_pool_t *p,
                                    const ot_issuer_t *issuer, int refresh,
                                    const ot_jwks_t **jwks, const char **why);

/* Statistics of this process, for tests and the status page. */
typedef struct ot_provider_stats_t {
    unsigned long key_parses; /* key sets parsed */
    unsigned long refreshes;  /* unknown-kid refreshes done */
    unsigned long throttled;  /* unknown-kid refreshes refused */
} ot_provider_stats_t;

void ot_provider_stats(ot_provider_t *provider, ot_provider_stats_t *stats);

#endif
