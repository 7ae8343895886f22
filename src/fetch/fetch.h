/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* The one door to the provider: every HTTP call of the module goes through
 * an ot_fetcher_t, so flows unit-test with canned answers and the libcurl
 * implementation alone knows about timeouts, TLS and size limits. */

#ifndef OT_FETCH_H
#define OT_FETCH_H

#include <apr_pools.h>
#include "ot.h"

typedef struct ot_http_request_t {
    const char *method;        /* "GET" or "POST" */
    const char *url;
    const char *content_type;  /* POST: the body's type */
    const char *body;          /* POST */
    apr_size_t body_len;
    const char *authorization; /* whole Authorization value, or NULL */
    apr_size_t max_response;   /* bytes; a longer body is a failure */
} ot_http_request_t;

typedef struct ot_http_response_t {
    int status;                /* HTTP status */
    const char *body;          /* NUL-terminated */
    apr_size_t body_len;
    const char *cache_control; /* Cache-Control value, or NULL */
} ot_http_response_t;

typedef struct ot_fetcher_t ot_fetcher_t;

/* OT_OK when the server answered (any status); OT_ERR_UNAVAILABLE when it
 * could not be asked or its answer could not be taken (connect, TLS,
 * timeout, a body over max_response, a URL the policy forbids); *why then
 * names the URL and the cause. */
typedef ot_status_t (*ot_fetch_fn)(const ot_fetcher_t *fetcher,
                                   apr_pool_t *p,
                                   const ot_http_request_t *request,
                                   ot_http_response_t *response,
                                   const char **why);

struct ot_fetcher_t {
    ot_fetch_fn fetch;
    void *ctx;
};

/* 1 when url may be fetched: https, or http to a loopback host
 * (127.0.0.0/8, [::1], localhost). */
int ot_fetch_url_allowed(apr_pool_t *p, const char *url);

/* The max-age of a Cache-Control value in seconds (no-store, no-cache: 0),
 * or -1 when it says nothing about it. */
apr_int64_t ot_fetch_max_age(const char *cache_control);

#endif
