/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* The relying party's talk with the token endpoint (RFC 6749 4.1.3 and 6,
 * with the PKCE verifier of RFC 7636 4.5), and the URL that hands a logout
 * on to the provider (RP-Initiated Logout 1.0). */

#include <string.h>
#include <strings.h>

#include <apr_encode.h>
#include <apr_strings.h>

#include "util/json.h"
#include "oidc/callback.h"
#include "util/urlenc.h"

#define FORM_TYPE "application/x-www-form-urlencoded"

/* A token response holds a few tokens; anything bigger is not one. */
#define MAX_TOKEN_RESPONSE (64 * 1024)

/* How old an ID token may be when it arrives: it is minted when the code
 * is redeemed, so minutes are generous, and a token replayed from long ago
 * is refused even when its exp is far away. */
#define ID_TOKEN_MAX_AGE 600

/* The longest provider error code repeated in *detail. */
#define MAX_ERROR_CODE 64

/* An expires_in beyond this (about 31 years) is nonsense, and bounding it
 * keeps now + expires_in from overflowing. */
#define MAX_EXPIRES_IN APR_INT64_C(1000000000)

#define FAIL(status, text)                                                     \
    do {                                                                       \
        if (detail != NULL) {                                                  \
            *detail = (text);                                                  \
        }                                                                      \
        return (status);                                                       \
    } while (0)

/* What a token endpoint answered, before it is believed. */
typedef struct token_response_t {
    const char *access_token;
    const char *refresh_token;
    const char *id_token;
    const char *scope;
    apr_int64_t expires_in; /* -1 when absent */
} token_response_t;

/* Appends &name=value (value percent-encoded) to a form or a query. */
static const char *add_param(apr_pool_t *p, const char *to, const char *name,
                             const char *value)
{
    return apr_pstrcat(p, to, *to != '\0' ? "&" : "", name, "=",
                       ot_url_encode(p, value), NULL);
}

/* RFC 6749 2.3.1 and 3.2.1: a confidential client authenticates by Basic
 * over its form-encoded id and secret, or with both in the body; a public
 * client (no secret, PKCE only) just names itself in the body. */
static ot_status_t add_client_auth(apr_pool_t *p, const ot_client_t *client,
                                   const char **body, ot_http_request_t *req)
{
    const char *pair, *b64;

    if (client->client_secret == NULL) {
        *body = add_param(p, *body, "client_id", client->client_id);
        return OT_OK;
    }
    if (client->auth == OT_CLIENT_AUTH_POST) {
        *body = add_param(p, *body, "client_id", client->client_id);
        *body = add_param(p, *body, "client_secret", client->client_secret);
        return OT_OK;
    }
    pair = apr_pstrcat(p, ot_url_encode(p, client->client_id), ":",
                       ot_url_encode(p, client->client_secret), NULL);
    b64 = apr_pencode_base64(p, pair, APR_ENCODE_STRING, APR_ENCODE_NONE, NULL);
    if (b64 == NULL) {
        return OT_ERR_INTERNAL;
    }
    req->authorization = apr_pstrcat(p, "Basic ", b64, NULL);
    return OT_OK;
}

/* The POST to the token endpoint with form (the grant's own parameters)
 * and the client's authentication. */
static ot_status_t build_request(apr_pool_t *p, const char *endpoint,
                                 const ot_client_t *client, const char *form,
                                 ot_http_request_t *req)
{
    ot_status_t rv;

    memset(req, 0, sizeof(*req));
    rv = add_client_auth(p, client, &form, req);
    if (rv != OT_OK) {
        return rv;
    }
    req->method = "POST";
    req->url = endpoint;
    req->content_type = FORM_TYPE;
    req->body = form;
    req->body_len = strlen(form);
    req->max_response = MAX_TOKEN_RESPONSE;
    return OT_OK;
}

/* The error code of an RFC 6749 5.2 answer, fit for a log line: only the
 * characters the RFC allows in it (printable ASCII but '"' and '\\'),
 * bounded in length; NULL when there is none to repeat. */
static const char *error_code(apr_pool_t *p, const ot_http_response_t *resp)
{
    json_t *answer = NULL;
    const char *code;
    apr_size_t len, i;

    if (resp->body == NULL
        || ot_json_parse_object(p, resp->body, resp->body_len,
                                MAX_TOKEN_RESPONSE, &answer)
               != OT_OK) {
        return NULL;
    }
    code = ot_json_string(answer, "error");
    if (code == NULL || *code == '\0') {
        return NULL;
    }
    len = strnlen(code, MAX_ERROR_CODE + 1);
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)code[i];

        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
            return NULL;
        }
    }
    if (len > MAX_ERROR_CODE) {
        return apr_pstrcat(p, apr_pstrmemdup(p, code, MAX_ERROR_CODE), "...",
                           NULL);
    }
    return apr_pstrdup(p, code);
}

/* A string member without NUL, or NULL when absent, null or empty: a
 * token, a sid or a scope are used as C strings, where a NUL would cut
 * them short. 0 when present as anything else. */
static int optional_string(json_t *object, const char *key, const char **out)
{
    json_t *j = json_object_get(object, key);

    *out = NULL;
    if (j == NULL || json_is_null(j)) {
        return 1;
    }
    if (!json_is_string(j)
        || strlen(json_string_value(j)) != json_string_length(j)) {
        return 0;
    }
    if (json_string_length(j) > 0) {
        *out = json_string_value(j);
    }
    return 1;
}

/* RFC 6749 5.1: expires_in is a number of seconds (a fraction rounds
 * down). Some providers quote it; a string of digits is taken as the
 * number it spells, since without it the access token would look as if it
 * never expired. 0 for anything else or out of range. */
static int optional_expires_in(json_t *answer, apr_int64_t *out)
{
    json_t *j = json_object_get(answer, "expires_in");
    const char *digits;
    double v = 0.0;

    *out = -1;
    if (j == NULL || json_is_null(j)) {
        return 1;
    }
    if (json_is_number(j)) {
        v = json_number_value(j);
    }
    else if (json_is_string(j) && json_string_length(j) > 0
             && json_string_length(j) <= 10) {
        for (digits = json_string_value(j); *digits != '\0'; digits++) {
            if (*digits < '0' || *digits > '9') {
                return 0;
            }
            v = v * 10 + (*digits - '0');
        }
    }
    else {
        return 0;
    }
    if (!(v >= 0.0 && v <= (double)MAX_EXPIRES_IN)) {
        return 0;
    }
    *out = (apr_int64_t)v;
    return 1;
}

/* Takes a successful RFC 6749 5.1 answer apart. A Bearer token_type is
 * required with an access token: any other kind (DPoP, MAC) would be
 * passed on to backends that cannot use it. */
static ot_status_t parse_tokens(json_t *answer, token_response_t *out,
                                const char **detail)
{
    const char *token_type;

    if (!optional_string(answer, "access_token", &out->access_token)
        || !optional_string(answer, "refresh_token", &out->refresh_token)
        || !optional_string(answer, "id_token", &out->id_token)
        || !optional_string(answer, "scope", &out->scope)
        || !optional_string(answer, "token_type", &token_type)) {
        FAIL(OT_ERR_CLAIM, "token response member not a string");
    }
    if (!optional_expires_in(answer, &out->expires_in)) {
        FAIL(OT_ERR_CLAIM, "token response expires_in not a number of "
                           "seconds in range");
    }
    if (out->access_token != NULL
        && (token_type == NULL || strcasecmp(token_type, "Bearer") != 0)) {
        FAIL(OT_ERR_CLAIM, "token response token_type is not Bearer");
    }
    return OT_OK;
}

/* One grant at the token endpoint, up to a parsed answer: what fails on
 * the way there is the provider's (OT_ERR_UNAVAILABLE); a 4xx is its
 * refusal of what we sent (OT_ERR_CLAIM, with its error code). */
static ot_status_t token_request(apr_pool_t *p, const ot_fetcher_t *fetcher,
                                 const char *endpoint,
                                 const ot_client_t *client, const char *form,
                                 const char *what, token_response_t *out,
                                 const char **detail)
{
    ot_http_request_t req;
    ot_http_response_t resp;
    const char *why = NULL, *code;
    json_t *answer = NULL;
    ot_status_t rv;

    rv = build_request(p, endpoint, client, form, &req);
    if (rv != OT_OK) {
        FAIL(rv, "cannot build the token request");
    }
    memset(&resp, 0, sizeof(resp));
    rv = fetcher->fetch(fetcher, p, &req, &resp, &why);
    if (rv != OT_OK) {
        FAIL(OT_ERR_UNAVAILABLE,
             why != NULL ? why : "token endpoint not reachable");
    }
    if (resp.status >= 400 && resp.status < 500) {
        code = error_code(p, &resp);
        FAIL(OT_ERR_CLAIM,
             apr_psprintf(p, "token endpoint refused the %s: %s", what,
                          code != NULL
                              ? code
                              : apr_psprintf(p, "HTTP %d", resp.status)));
    }
    if (resp.status != 200) {
        FAIL(OT_ERR_UNAVAILABLE,
             apr_psprintf(p, "token endpoint %s answered HTTP %d", endpoint,
                          resp.status));
    }
    if (resp.body == NULL
        || ot_json_parse_object(p, resp.body, resp.body_len, MAX_TOKEN_RESPONSE,
                                &answer)
               != OT_OK) {
        FAIL(OT_ERR_UNAVAILABLE, apr_pstrcat(p, "token endpoint ", endpoint,
                                             " answered no JSON object", NULL));
    }
    memset(out, 0, sizeof(*out));
    return parse_tokens(answer, out, detail);
}

static apr_int64_t expiry(apr_int64_t now, const token_response_t *tokens)
{
    return tokens->access_token != NULL && tokens->expires_in >= 0
               ? now + tokens->expires_in
               : 0;
}

static int client_usable(const ot_client_t *client)
{
    return client != NULL && client->client_id != NULL
           && *client->client_id != '\0' && client->redirect_uri != NULL;
}

ot_status_t ot_callback_exchange(
    apr_pool_t *p, const ot_fetcher_t *fetcher, const ot_metadata_t *metadata,
    const ot_issuer_t *issuer, const ot_access_policy_t *policy,
    const ot_client_t *client, const ot_login_t *login, const char *code,
    apr_int64_t now, ot_login_result_t *out, const char **detail)
{
    token_response_t tokens;
    json_t *claims = NULL;
    const char *form;
    ot_status_t rv;

    if (detail != NULL) {
        *detail = NULL;
    }
    if (fetcher == NULL || metadata == NULL || metadata->token_endpoint == NULL
        || issuer == NULL || issuer->issuer == NULL || policy == NULL
        || !client_usable(client) || login == NULL || login->nonce == NULL
        || login->code_verifier == NULL || out == NULL) {
        FAIL(OT_ERR_INTERNAL, "login callback not configured");
    }
    /* The metadata of another issuer would send the code, with our
     * credentials, to the wrong provider: the mix-up attack. */
    if (metadata->issuer == NULL
        || strcmp(metadata->issuer, issuer->issuer) != 0) {
        FAIL(OT_ERR_ISSUER, "the token endpoint's metadata names another "
                            "issuer");
    }
    if (code == NULL || *code == '\0') {
        FAIL(OT_ERR_MALFORMED, "no authorization code");
    }
    /* The code comes from the browser: the provider is not sent blobs. */
    if (strnlen(code, OT_MAX_TOKEN_LEN + 1) > OT_MAX_TOKEN_LEN) {
        FAIL(OT_ERR_TOO_LARGE, "authorization code longer than the size "
                               "limit");
    }

    form = add_param(p, "", "grant_type", "authorization_code");
    form = add_param(p, form, "code", code);
    form = add_param(p, form, "redirect_uri", client->redirect_uri);
    form = add_param(p, form, "code_verifier", login->code_verifier);
    rv = token_request(p, fetcher, metadata->token_endpoint, client, form,
                       "code", &tokens, detail);
    if (rv != OT_OK) {
        return rv;
    }
    if (tokens.id_token == NULL) {
        FAIL(OT_ERR_CLAIM, "token response without an id_token");
    }
    rv = ot_id_token_validate(p, tokens.id_token, issuer, policy,
                              client->client_id, login->nonce, now,
                              ID_TOKEN_MAX_AGE, &claims, detail);
    if (rv != OT_OK) {
        return rv;
    }

    memset(out, 0, sizeof(*out));
    out->id_claims = claims;
    out->id_token = tokens.id_token;
    out->subject = ot_json_string(claims, "sub");
    /* A sid of any other shape is as good as none: sessions are then
     * ended by sub alone. */
    if (!optional_string(claims, "sid", &out->sid)) {
        out->sid = NULL;
    }
    out->access_token = tokens.access_token;
    out->refresh_token = tokens.refresh_token;
    out->access_expires = expiry(now, &tokens);
    out->scope = tokens.scope;
    return OT_OK;
}

ot_status_t ot_callback_refresh(apr_pool_t *p, const ot_fetcher_t *fetcher,
                                const ot_metadata_t *metadata,
                                const ot_client_t *client,
                                const char *refresh_token, apr_int64_t now,
                                ot_login_result_t *out, const char **detail)
{
    token_response_t tokens;
    const char *form;
    ot_status_t rv;

    if (detail != NULL) {
        *detail = NULL;
    }
    if (fetcher == NULL || metadata == NULL || metadata->token_endpoint == NULL
        || client == NULL || client->client_id == NULL
        || *client->client_id == '\0' || out == NULL) {
        FAIL(OT_ERR_INTERNAL, "token refresh not configured");
    }
    if (refresh_token == NULL || *refresh_token == '\0') {
        FAIL(OT_ERR_MALFORMED, "no refresh token");
    }

    form = add_param(p, "", "grant_type", "refresh_token");
    form = add_param(p, form, "refresh_token", refresh_token);
    rv = token_request(p, fetcher, metadata->token_endpoint, client, form,
                       "refresh token", &tokens, detail);
    if (rv != OT_OK) {
        return rv;
    }
    /* A refresh exists to get an access token: without one the session
     * has nothing new to pass on. */
    if (tokens.access_token == NULL) {
        FAIL(OT_ERR_CLAIM, "token response without an access_token");
    }
    out->access_token = tokens.access_token;
    /* RFC 6749 6: a new refresh token replaces the old, which the provider
     * may then revoke; without one the old stays good. */
    out->refresh_token = tokens.refresh_token != NULL
                             ? tokens.refresh_token
                             : apr_pstrdup(p, refresh_token);
    out->access_expires = expiry(now, &tokens);
    if (tokens.scope != NULL) {
        out->scope = tokens.scope;
    }
    return OT_OK;
}

/* The query starts after "?" or continues after "&"; an endpoint ending in
 * either needs no separator of its own. */
static const char *query_separator(const char *base)
{
    apr_size_t len = strlen(base);

    if (len > 0 && (base[len - 1] == '?' || base[len - 1] == '&')) {
        return "";
    }
    return strchr(base, '?') != NULL ? "&" : "?";
}

const char *ot_logout_url(apr_pool_t *p, const char *end_session_endpoint,
                          const char *id_token_hint, const char *client_id,
                          const char *post_logout_redirect_uri)
{
    const char *query = "", *fragment, *base;

    if (end_session_endpoint == NULL || *end_session_endpoint == '\0') {
        return NULL;
    }
    if (id_token_hint != NULL) {
        query = add_param(p, query, "id_token_hint", id_token_hint);
    }
    if (client_id != NULL) {
        query = add_param(p, query, "client_id", client_id);
    }
    if (post_logout_redirect_uri != NULL) {
        query = add_param(p, query, "post_logout_redirect_uri",
                          post_logout_redirect_uri);
    }
    if (*query == '\0') {
        return end_session_endpoint;
    }
    /* Parameters belong before a fragment, should the endpoint have one. */
    fragment = strchr(end_session_endpoint, '#');
    base = fragment != NULL
               ? apr_pstrmemdup(p, end_session_endpoint,
                                (apr_size_t)(fragment - end_session_endpoint))
               : end_session_endpoint;
    return apr_pstrcat(p, base, query_separator(base), query,
                       fragment != NULL ? fragment : "", NULL);
}
