/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>

#include "httpd/answer.h"
#include "httpd/authn.h"
#include "httpd/bearer.h"
#include "httpd/config.h"
#include "httpd/request.h"
#include "httpd/runtime.h"
#include "token/cache.h"
#include "token/introspect.h"
#include "token/claims.h"
#include "token/scope.h"
#include "util/json.h"

APLOG_USE_MODULE(oauth_token);

static int is_bearer_location(request_rec *r)
{
    const char *type = ap_auth_type(r);

    return type && !strcasecmp(type, "Bearer");
}

/* A claim as a header value: strings as they are, other JSON as compact
 * text. NULL when absent or when it holds control characters, which must
 * never reach a backend's request headers. */
static const char *claim_header_value(request_rec *r, json_t *claims,
                                      const char *path)
{
    json_t *value = ot_json_path(claims, path);
    const char *text, *c;

    if (!value || json_is_null(value)) {
        return NULL;
    }
    if (json_is_string(value)) {
        text = json_string_value(value);
    }
    else {
        text = ot_json_text(r->pool, value, JSON_ENCODE_ANY);
        if (!text) {
            return NULL;
        }
    }
    for (c = text; *c; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f) {
            ap_log_rerror(
                APLOG_MARK, APLOG_INFO, 0, r,
                APLOGNO(99040) "claim %s holds control characters; not passed "
                               "to the backend",
                path);
            return NULL;
        }
    }
    return text;
}

static void pass_claims(request_rec *r, const ot_dir_conf_t *dc,
                        const ot_access_token_t *token)
{
    int i;

    for (i = 0; dc->pass_claims && i < dc->pass_claims->nelts; i++) {
        const ot_pass_claim_t *pc =
            &APR_ARRAY_IDX(dc->pass_claims, i, ot_pass_claim_t);
        const char *value = claim_header_value(r, token->claims, pc->claim);

        if (value) {
            apr_table_setn(r->headers_in, pc->header, value);
        }
    }
}

static void publish_env(request_rec *r, const ot_access_token_t *token)
{
    apr_table_t *env = r->subprocess_env;

    apr_table_setn(env, "OAUTH_SUB", token->subject);
    apr_table_setn(env, "OAUTH_ISSUER", token->issuer->issuer);
    if (token->client_id) {
        apr_table_setn(env, "OAUTH_CLIENT_ID", token->client_id);
    }
    apr_table_setn(env, "OAUTH_SCOPE", ot_scope_join(r->pool, token->scopes));
    apr_table_setn(env, "OAUTH_TOKEN_EXP",
                   apr_psprintf(r->pool, "%" APR_INT64_T_FMT, token->exp));
}

/* Compact JWS has exactly two dots; anything else is an opaque token. */
static int looks_like_jws(const char *token)
{
    const char *dot = strchr(token, '.');

    return dot && (dot = strchr(dot + 1, '.')) && !strchr(dot + 1, '.');
}

static ot_status_t introspect(request_rec *r, const ot_runtime_t *runtime,
                              const ot_issuer_t *issuer, const char *compact,
                              const ot_access_policy_t *policy,
                              ot_access_token_t **token, const char **detail)
{
    if (!runtime || !runtime->fetcher) {
        *detail = "the provider client could not be set up in this process";
        return OT_ERR_UNAVAILABLE;
    }
    return ot_introspect(r->pool, runtime->fetcher, issuer->introspection,
                         issuer, compact, policy, apr_time_sec(r->request_time),
                         token, detail);
}

/* How this location validates a token, and where it remembers results.
 * Verified JWTs are remembered per process only: verifying one again in
 * another process costs less than a shared-cache lookup and write for
 * every new token. Introspection answers, each a call to the provider, are
 * shared through the store. */
typedef struct validation_t {
    const ot_runtime_t *runtime;
    const ot_issuer_t *introspecting; /* NULL: verify the JWT here */
    const ot_store_t *store;
    ot_token_memo_t *memo;
    apr_int64_t now;
    apr_int64_t ttl; /* 0: an introspection answer is not kept */
} validation_t;

static void validation_for(request_rec *r, const ot_dir_conf_t *dc,
                           const char *compact, validation_t *v)
{
    const ot_issuer_t *introspecting = ot_introspecting_issuer(
        ap_get_module_config(r->server->module_config, &oauth_token_module));

    v->runtime = ot_runtime_of(r);
    v->now = apr_time_sec(r->request_time);
    v->introspecting = introspecting
                               && (!looks_like_jws(compact)
                                   || ot_dir_introspect(dc)
                                          == OT_INTROSPECT_ALWAYS)
                           ? introspecting
                           : NULL;
    v->ttl = v->introspecting ? ot_dir_introspection_ttl(dc) : 0;
    v->store = v->runtime && v->introspecting ? &v->runtime->cache->store
                                              : NULL;
    v->memo = v->runtime ? v->runtime->memo : NULL;
}

/* A token seen before, re-checked against this location's policy;
 * OT_ERR_NOT_FOUND when it must be validated. A hit counts only when it
 * was obtained the way this location validates: a location that
 * introspects every token must not take a JWT verified locally (it would
 * skip the revocation check), nor the other way round. */
static ot_status_t from_cache(request_rec *r, const validation_t *v,
                              const ot_access_policy_t *policy,
                              const char *compact, ot_access_token_t **token,
                              const char **detail)
{
    int introspected = v->introspecting != NULL;
    ot_status_t rv;

    if (!v->store && !v->memo) {
        return OT_ERR_NOT_FOUND;
    }
    rv = ot_token_cache_get(v->store, v->memo, r->pool, compact, policy,
                            v->now, token, detail);
    if (rv == OT_OK
        && introspected != !strcmp((*token)->alg, "introspection")) {
        return OT_ERR_NOT_FOUND;
    }
    return rv;
}

/* Verifies (JWT) or introspects the token, and remembers the result: a
 * JWT until its exp, an introspection answer for at most
 * OAuthTokenIntrospectionCacheTTL. */
static ot_status_t validate(request_rec *r, const validation_t *v,
                            const ot_access_policy_t *policy,
                            const char *compact, ot_access_token_t **token,
                            const char **detail)
{
    ot_status_t rv;

    rv = v->introspecting
             ? introspect(r, v->runtime, v->introspecting, compact, policy,
                          token, detail)
             : ot_access_token_validate(r->pool, compact, policy, v->now,
                                        token, detail);
    if (rv == OT_OK && (v->store || v->memo)
        && !(v->introspecting && v->ttl == 0)) {
        ot_token_cache_put(v->store, v->memo, r->pool, compact, *token, v->now,
                           v->ttl);
    }
    return rv;
}

int ot_authn_bearer(request_rec *r)
{
    const ot_dir_conf_t *dc;
    ot_access_policy_t policy;
    ot_access_token_t *token = NULL;
    ot_keys_baton_t keys;
    validation_t how;
    const char *compact = NULL, *detail = NULL;
    ot_bearer_t found;
    ot_status_t status;

    if (!is_bearer_location(r)) {
        return DECLINED;
    }
    dc = ap_get_module_config(r->per_dir_config, &oauth_token_module);
    found = ot_bearer_find(r, ot_dir_token_in(dc), &compact);
    if (found == OT_BEARER_NONE) {
        return ot_answer_no_token(r);
    }
    if (found != OT_BEARER_FOUND) {
        return ot_answer_invalid_request(r, ot_bearer_problem(found));
    }

    ot_policy_for_request(r, &policy);
    if (!policy.issuers->nelts) {
        return ot_answer_misconfigured(r, "no OAuthTokenIssuer");
    }
    if (!policy.audiences || !policy.audiences->nelts) {
        return ot_answer_misconfigured(r, "no OAuthTokenAudience");
    }
    ot_runtime_use_provider_keys(r, &policy, &keys);

    validation_for(r, dc, compact, &how);
    status = from_cache(r, &how, &policy, compact, &token, &detail);
    if (status == OT_ERR_NOT_FOUND) {
        /* Only well-formed tokens are ever cached, so the syntax is
         * checked on a miss alone. */
        if (!ot_bearer_well_formed(compact)) {
            return ot_answer_invalid_request(
                r, ot_bearer_problem(OT_BEARER_MALFORMED));
        }
        status = validate(r, &how, &policy, compact, &token, &detail);
    }
    if (status == OT_ERR_UNAVAILABLE) {
        return ot_answer_unavailable(
            r, apr_pstrcat(r->pool, "the token issuer is unavailable: ",
                           detail ? detail : "no reason given", NULL));
    }
    if (status != OT_OK) {
        return ot_answer_invalid_token(r, status, detail);
    }
    r->user = apr_pstrdup(r->pool, token->subject);
    ot_request_state(r, 1)->token = token;
    /* Also here, not only in fixups, so that "Require expr" sees them. */
    publish_env(r, token);
    return OK;
}

static int state_token_is(request_rec *r, const ot_access_token_t *token)
{
    const ot_request_t *state = ot_request_state(r, 0);

    return state && state->token == token;
}

/* Runs for main requests, subrequests and internal redirects alike (unlike
 * header_parser), and after authentication, which a redirect or subrequest
 * with the same configuration skips: the token then comes from the request
 * that did authenticate. */
int ot_authn_fixups(request_rec *r)
{
    const ot_dir_conf_t *dc =
        ap_get_module_config(r->per_dir_config, &oauth_token_module);
    const ot_access_token_t *token = ot_request_token(r);
    int i;

    for (i = 0; dc->pass_claims && i < dc->pass_claims->nelts; i++) {
        apr_table_unset(
            r->headers_in,
            APR_ARRAY_IDX(dc->pass_claims, i, ot_pass_claim_t).header);
    }
    if (token) {
        /* Authentication of this very request published them already. */
        if (!state_token_is(r, token)) {
            publish_env(r, token);
        }
        pass_claims(r, dc, token);
    }
    /* A local ErrorDocument 403 is an internal redirect: the error
     * response of the refused request is never sent, so its challenge is
     * added here, to the headers the redirect shares with it. */
    if (r->prev && r->prev->status == HTTP_FORBIDDEN) {
        ot_authn_error_challenge(r->prev);
    }
    return DECLINED;
}

int ot_authn_note_failure(request_rec *r, const char *auth_type)
{
    const ot_request_t *state;

    if (!strcasecmp(auth_type, "OIDC")) {
        /* A browser is sent to log in, never challenged. */
        return OK;
    }
    if (strcasecmp(auth_type, "Bearer")) {
        return DECLINED;
    }
    /* A 401 after a valid token: authorization said no, and
     * AuthzSendForbiddenOnFailure was turned off again by the admin. */
    state = ot_request_state(r, 0);
    if (state && state->token) {
        ot_answer_add_insufficient_scope(r, state->needed_scope);
    }
    return OK;
}

void ot_authn_error_challenge(request_rec *r)
{
    const ot_request_t *state = ot_request_state(r, 0);

    if (r->status == HTTP_FORBIDDEN && is_bearer_location(r) && state
        && state->token && state->authz_denied) {
        ot_answer_add_insufficient_scope(r, state->needed_scope);
    }
}
