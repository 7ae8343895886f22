/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* A fetcher that never touches the network: it answers with what the test
 * programmed (a status and body, or a failure with its reason) and records
 * the request that went out, so a test can check it byte for byte. Shared
 * by the tests of the code that talks to a provider's endpoints
 * (introspection, the token endpoint). */

#ifndef OT_TEST_CANNED_FETCH_H
#define OT_TEST_CANNED_FETCH_H

#include <string.h>

#include <apr_pools.h>
#include <apr_strings.h>

#include "ot.h"
#include "fetch/fetch.h"

/* Set answer() (and rv, why for a failure), pass &fetcher, then read
 * back what was sent. */
typedef struct canned_t {
    /* programmed */
    ot_status_t rv;
    int status;
    const char *body;
    const char *why;
    /* recorded */
    int calls;
    const char *method, *url, *content_type, *sent, *authorization;
    apr_size_t sent_len, max_response;
} canned_t;

static inline ot_status_t canned_fetch(const ot_fetcher_t *fetcher,
                                       apr_pool_t *p,
                                       const ot_http_request_t *req,
                                       ot_http_response_t *resp,
                                       const char **why)
{
    canned_t *c = fetcher->ctx;

    c->calls++;
    c->method = req->method ? apr_pstrdup(p, req->method) : NULL;
    c->url = req->url ? apr_pstrdup(p, req->url) : NULL;
    c->content_type =
        req->content_type ? apr_pstrdup(p, req->content_type) : NULL;
    c->sent = req->body ? apr_pstrmemdup(p, req->body, req->body_len) : NULL;
    c->sent_len = req->body_len;
    c->authorization =
        req->authorization ? apr_pstrdup(p, req->authorization) : NULL;
    c->max_response = req->max_response;
    if (c->rv != OT_OK) {
        *why = c->why;
        return c->rv;
    }
    resp->status = c->status;
    resp->body = c->body ? apr_pstrdup(p, c->body) : NULL;
    resp->body_len = c->body ? strlen(c->body) : 0;
    resp->cache_control = NULL;
    return OT_OK;
}

static canned_t canned;
static ot_fetcher_t fetcher = {canned_fetch, &canned};

/* Forgets the last request; the next one gets status and body. */
static inline void answer(int status, const char *body)
{
    memset(&canned, 0, sizeof(canned));
    canned.status = status;
    canned.body = body;
}

#endif
