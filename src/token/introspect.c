/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <string.h>

#include <apr_encode.h>
#include <apr_strings.h>

#include "util/json.h"
#include "token/claims.h"
#include "token/introspect.h"
#include "util/urlenc.h"

#define FORM_TYPE "application/x-www-form-urlencoded"

#define FAIL(status, text)                                                     \
    do {                                                                       \
        if (detail != NULL) {                                                  \
            *detail = (text);                                                  \
        }                                                                      \
        return (status);                                                       \
    } while (0)

/* client_secret_basic (RFC 6749 2.3.1): Basic over the form-encoded id
 * and secret. NULL when encoding fails. */
static const char *basic_credentials(apr_pool_t *p,
                                     const ot_introspection_t *endpoint)
{
    const char *pair =
        apr_pstrcat(p, ot_url_encode(p, endpoint->client_id), ":",
                    ot_url_encode(p, endpoint->client_secret), NULL);
    const char *b64 =
        apr_pencode_base64(p, pair, APR_ENCODE_STRING, APR_ENCODE_NONE, NULL);

    return b64 != NULL ? apr_pstrcat(p, "Basic ", b64, NULL) : NULL;
}

/* The request of RFC 7662 section 2.1. */
static ot_status_t build_request(apr_pool_t *p,
                                 const ot_introspection_t *endpoint,
                                 const char *token, ot_http_request_t *req)
{
    const char *body = apr_pstrcat(p, "token=", ot_url_encode(p, token),
                                   "&token_type_hint=access_token", NULL);

    memset(req, 0, sizeof(*req));
    if (endpoint->auth == OT_CLIENT_AUTH_POST) {
        body = apr_pstrcat(
            p, body, "&client_id=", ot_url_encode(p, endpoint->client_id),
            "&client_secret=", ot_url_encode(p, endpoint->client_secret), NULL);
    }
    else {
        req->authorization = basic_credentials(p, endpoint);
        if (req->authorization == NULL) {
            return OT_ERR_INTERNAL;
        }
    }
    req->method = "POST";
    req->url = endpoint->url;
    req->content_type = FORM_TYPE;
    req->body = body;
    req->body_len = strlen(body);
    req->max_response = OT_MAX_INTROSPECTION_LEN;
    return OT_OK;
}

/* Asks the endpoint and takes its answer apart: everything that goes wrong
 * here is the provider's fault, never the client's. */
static ot_status_t ask(apr_pool_t *p, const ot_fetcher_t *fetcher,
                       const ot_introspection_t *endpoint, const char *token,
                       json_t **answer, const char **detail)
{
    ot_http_request_t req;
    ot_http_response_t resp;
    const char *why = NULL;
    json_t *active;
    ot_status_t rv;

    rv = build_request(p, endpoint, token, &req);
    if (rv != OT_OK) {
        FAIL(rv, "cannot build the introspection request");
    }
    memset(&resp, 0, sizeof(resp));
    rv = fetcher->fetch(fetcher, p, &req, &resp, &why);
    if (rv != OT_OK) {
        FAIL(OT_ERR_UNAVAILABLE,
             why != NULL ? why : "introspection endpoint not reachable");
    }
    if (resp.status != 200) {
        FAIL(OT_ERR_UNAVAILABLE,
             apr_psprintf(p, "introspection endpoint %s answered HTTP %d",
                          endpoint->url, resp.status));
    }
    if (ot_json_parse_object(p, resp.body, resp.body_len,
                             OT_MAX_INTROSPECTION_LEN, answer)
        != OT_OK) {
        FAIL(OT_ERR_UNAVAILABLE,
             apr_pstrcat(p, "introspection endpoint ", endpoint->url,
                         " answered no JSON object", NULL));
    }
    active = json_object_get(*answer, "active");
    if (!json_is_boolean(active)) {
        FAIL(OT_ERR_UNAVAILABLE,
             apr_pstrcat(p, "introspection endpoint ", endpoint->url,
                         " answered without a boolean \"active\"", NULL));
    }
    return OT_OK;
}

ot_status_t ot_introspect(apr_pool_t *p, const ot_fetcher_t *fetcher,
                          const ot_introspection_t *endpoint,
                          const ot_issuer_t *issuer, const char *token,
                          const ot_access_policy_t *policy, apr_int64_t now,
                          ot_access_token_t **out, const char **detail)
{
    ot_access_token_t *tok;
    json_t *answer = NULL;
    ot_status_t rv;

    if (detail != NULL) {
        *detail = NULL;
    }
    if (out != NULL) {
        *out = NULL;
    }
    if (endpoint == NULL && issuer != NULL) {
        endpoint = issuer->introspection;
    }
    if (fetcher == NULL || endpoint == NULL || endpoint->url == NULL
        || endpoint->client_id == NULL || endpoint->client_secret == NULL
        || issuer == NULL || policy == NULL) {
        FAIL(OT_ERR_INTERNAL, "introspection not configured");
    }
    if (token == NULL || *token == '\0') {
        FAIL(OT_ERR_MALFORMED, "no token");
    }
    /* The same bound as for JWTs: the provider is not asked about blobs. */
    if (strnlen(token, OT_MAX_TOKEN_LEN + 1) > OT_MAX_TOKEN_LEN) {
        FAIL(OT_ERR_TOO_LARGE, "token longer than the size limit");
    }

    rv = ask(p, fetcher, endpoint, token, &answer, detail);
    if (rv != OT_OK) {
        return rv;
    }
    if (!json_is_true(json_object_get(answer, "active"))) {
        FAIL(OT_ERR_INACTIVE, "introspection says the token is not active");
    }
    /* Optional in RFC 7662, but when given it must be the issuer asked:
     * an endpoint speaking for another issuer is a mix-up. */
    if (json_object_get(answer, "iss") != NULL
        && ot_claims_check_issuer(answer, issuer->issuer) != OT_OK) {
        FAIL(OT_ERR_ISSUER, "introspection names another issuer");
    }

    tok = apr_pcalloc(p, sizeof(*tok));
    rv = ot_access_claims_check(p, policy, answer, now, OT_CLAIMS_INTROSPECTION,
                                tok, detail);
    if (rv != OT_OK) {
        return rv;
    }
    tok->issuer = issuer;
    tok->alg = "introspection";
    if (out != NULL) {
        *out = tok;
    }
    return OT_OK;
}
