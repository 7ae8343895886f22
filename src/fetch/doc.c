/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <string.h>

#include <apr_strings.h>

#include "fetch/doc.h"

/* A stored document: a fixed header, then the body as fetched.
 *   byte 0       DOC_VERSION (a record of another layout reads as absent)
 *   bytes 1..8   fetched, microseconds, big-endian
 *   bytes 9..16  fresh_until, microseconds, big-endian
 *   bytes 17..   body */
#define DOC_VERSION 1
#define DOC_HEADER_LEN 17
#define DOC_NS "doc"

static void doc_put_time(unsigned char *out, apr_time_t t)
{
    apr_uint64_t u = (apr_uint64_t)t;
    int i;

    for (i = 7; i >= 0; i--) {
        out[i] = (unsigned char)(u & 0xff);
        u >>= 8;
    }
}

static apr_time_t doc_get_time(const unsigned char *in)
{
    apr_uint64_t u = 0;
    int i;

    for (i = 0; i < 8; i++) {
        u = (u << 8) | in[i];
    }
    return (apr_time_t)u;
}

/* The stored copy of url, when there is a readable one. */
static int doc_load(apr_pool_t *p, const ot_store_t *store, const char *url,
                    ot_doc_t *doc)
{
    unsigned char *rec;
    apr_size_t len;

    if (ot_store_get(store, p, DOC_NS, url, &rec, &len) != OT_OK
        || len < DOC_HEADER_LEN || rec[0] != DOC_VERSION) {
        return 0;
    }
    memset(doc, 0, sizeof(*doc));
    doc->fetched = doc_get_time(rec + 1);
    doc->fresh_until = doc_get_time(rec + 9);
    doc->len = len - DOC_HEADER_LEN;
    /* Stores need not NUL-terminate what they return. */
    doc->body = apr_pstrmemdup(p, (const char *)rec + DOC_HEADER_LEN, doc->len);
    doc->from_store = 1;
    return 1;
}

/* A store that cannot keep the record (too large, down) costs a fetch
 * next time, nothing more: the document in hand is still good. */
static void doc_save(apr_pool_t *p, const ot_store_t *store, const char *url,
                     const ot_doc_t *doc, apr_time_t expiry)
{
    apr_size_t len = DOC_HEADER_LEN + doc->len;
    unsigned char *rec;

    if (store->max_value_len < DOC_HEADER_LEN
        || doc->len > store->max_value_len - DOC_HEADER_LEN) {
        return;
    }
    rec = apr_palloc(p, len);
    rec[0] = DOC_VERSION;
    doc_put_time(rec + 1, doc->fetched);
    doc_put_time(rec + 9, doc->fresh_until);
    memcpy(rec + DOC_HEADER_LEN, doc->body, doc->len);
    (void)ot_store_put(store, p, DOC_NS, url, rec, len, expiry);
}

/* How long a fetched document stays fresh: what Cache-Control says, or
 * the default, kept within the policy's bounds so that neither "no-store"
 * makes every request a fetch nor a year-long max-age pins a key set. */
static apr_interval_time_t doc_lifetime(const ot_doc_policy_t *policy,
                                        const char *cache_control)
{
    apr_int64_t max_age = ot_fetch_max_age(cache_control);
    apr_interval_time_t lifetime;

    lifetime = max_age >= 0 ? apr_time_from_sec(max_age) : policy->default_ttl;
    if (lifetime > policy->max_ttl) {
        lifetime = policy->max_ttl;
    }
    if (lifetime < policy->min_ttl) {
        lifetime = policy->min_ttl;
    }
    return lifetime > 0 ? lifetime : 0;
}

/* Fetches url into doc; on failure *why names the URL and the cause. */
static ot_status_t doc_fetch(apr_pool_t *p, const ot_fetcher_t *fetcher,
                             const char *url, const ot_doc_policy_t *policy,
                             apr_time_t now, ot_doc_t *doc, const char **why)
{
    ot_http_request_t req;
    ot_http_response_t resp;
    const char *cause = NULL;
    ot_status_t st;

    memset(&req, 0, sizeof(req));
    memset(&resp, 0, sizeof(resp));
    req.method = "GET";
    req.url = url;
    req.max_response = policy->max_len;
    st = fetcher->fetch(fetcher, p, &req, &resp, &cause);
    if (st != OT_OK) {
        *why = cause ? cause : apr_psprintf(p, "%s: fetch failed", url);
        return OT_ERR_UNAVAILABLE;
    }
    if (resp.status != 200) {
        *why = apr_psprintf(p, "%s: HTTP status %d", url, resp.status);
        /* The server is there and says there is no such document. */
        return resp.status == 404 || resp.status == 410 ? OT_ERR_NOT_FOUND
                                                        : OT_ERR_UNAVAILABLE;
    }
    /* Any fetcher, not only the libcurl one, is held to the limit. */
    if (resp.body_len > policy->max_len) {
        *why = apr_psprintf(
            p, "response from %s larger than %" APR_SIZE_T_FMT " bytes", url,
            policy->max_len);
        return OT_ERR_UNAVAILABLE;
    }
    memset(doc, 0, sizeof(*doc));
    doc->body = resp.body ? resp.body : "";
    doc->len = resp.body ? resp.body_len : 0;
    doc->fetched = now;
    doc->fresh_until = now + doc_lifetime(policy, resp.cache_control);
    return OT_OK;
}

ot_status_t ot_doc_get(apr_pool_t *p, const ot_store_t *store,
                       const ot_fetcher_t *fetcher, const char *url,
                       const ot_doc_policy_t *policy, apr_time_t now,
                       int refresh, ot_doc_t *doc, const char **why)
{
    ot_doc_t stored;
    int have_stored;
    ot_status_t rv;

    *why = NULL;
    memset(doc, 0, sizeof(*doc));
    have_stored = doc_load(p, store, url, &stored);
    if (have_stored && now < stored.fresh_until && !refresh) {
        *doc = stored;
        return OT_OK;
    }
    rv = doc_fetch(p, fetcher, url, policy, now, doc, why);
    if (rv == OT_OK) {
        doc_save(p, store, url, doc, doc->fresh_until + policy->max_stale);
        return OT_OK;
    }
    /* The store may keep records longer than asked (its own clock, its
     * own rounding): the stale bound is enforced here as well. */
    if (have_stored && now < stored.fresh_until + policy->max_stale) {
        *doc = stored;
        doc->stale = now >= stored.fresh_until;
        return OT_OK;
    }
    return rv;
}
