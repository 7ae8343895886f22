/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "util/json.h"
#include "jose/jws.h"
#include "token/access.h"
#include "token/claims.h"
#include "token/scope.h"

#define DEFAULT_TYPE "at+jwt"
#define MEDIA_PREFIX "application/"

/* RFC 7515 4.1.9: a typ without "/" stands for "application/" + typ, and
 * media types compare case-insensitively; so both sides drop the prefix. */
static const char *media_subtype(const char *typ)
{
    apr_size_t n = sizeof(MEDIA_PREFIX) - 1;

    if (strncasecmp(typ, MEDIA_PREFIX, n) == 0 && !strchr(typ + n, '/')) {
        return typ + n;
    }
    return typ;
}

static int type_entry_accepts(const char *entry, const char *typ)
{
    entry = media_subtype(entry);
    if (typ == NULL) {
        /* Most providers still send no typ at all; only an administrator
         * who widened the list to plain JWT takes such tokens. */
        return strcasecmp(entry, "JWT") == 0;
    }
    return strcasecmp(entry, media_subtype(typ)) == 0;
}

int ot_access_typ_accepted(const apr_array_header_t *accept_types,
                           const char *typ)
{
    int i;

    if (accept_types == NULL || accept_types->nelts == 0) {
        return type_entry_accepts(DEFAULT_TYPE, typ);
    }
    for (i = 0; i < accept_types->nelts; i++) {
        const char *entry = APR_ARRAY_IDX(accept_types, i, const char *);

        if (entry != NULL && type_entry_accepts(entry, typ)) {
            return 1;
        }
    }
    return 0;
}

static int string_is(json_t *j, const char *s)
{
    return json_is_string(j) && strcasecmp(json_string_value(j), s) == 0;
}

static int aud_is_login_client(json_t *aud, const apr_array_header_t *clients)
{
    json_t *item;
    size_t k;
    int i;

    if (clients == NULL) {
        return 0;
    }
    for (i = 0; i < clients->nelts; i++) {
        const char *id = APR_ARRAY_IDX(clients, i, const char *);

        if (id == NULL) {
            continue;
        }
        if (json_is_string(aud) && strcmp(json_string_value(aud), id) == 0) {
            return 1;
        }
        json_array_foreach(aud, k, item) {
            if (json_is_string(item)
                && strcmp(json_string_value(item), id) == 0) {
                return 1;
            }
        }
    }
    return 0;
}

/* An ID token is signed by the same issuer with the same keys, so only its
 * content tells it apart; when typ is widened to JWT (as it must be for
 * most providers) these markers are the last line of defence. Returns the
 * marker found, or NULL. */
static const char *id_token_marker(json_t *claims,
                                   const apr_array_header_t *login_clients)
{
    static const char *const present[] = {"nonce", "at_hash", "c_hash"};
    apr_size_t i;

    for (i = 0; i < sizeof(present) / sizeof(present[0]); i++) {
        if (json_object_get(claims, present[i]) != NULL) {
            return present[i];
        }
    }
    /* Case-insensitive: matching more spellings only refuses more. */
    if (string_is(json_object_get(claims, "token_use"), "id")) {
        return "token_use";
    }
    if (string_is(json_object_get(claims, "typ"), "ID")) {
        return "typ";
    }
    if (aud_is_login_client(json_object_get(claims, "aud"), login_clients)) {
        return "aud is a login client";
    }
    return NULL;
}

static const char *parse_detail(ot_status_t rv)
{
    switch (rv) {
    case OT_ERR_TOO_LARGE:
        return "token header or payload over the size or depth limit";
    case OT_ERR_ALG:
        return "JWS alg unknown or \"none\"";
    case OT_ERR_HEADER:
        return "JOSE header refused";
    default:
        return "not a well-formed compact JWS with a JSON object payload";
    }
}

static const char *verify_detail(ot_status_t rv)
{
    switch (rv) {
    case OT_ERR_ALG:
        return "JWS alg not allowed by the configuration";
    case OT_ERR_NO_KEY:
        return "no key of the issuer matches the token's kid and alg";
    case OT_ERR_SIGNATURE:
        return "signature does not verify with the issuer's keys";
    default:
        return "signature verification failed";
    }
}

static const char *times_detail(ot_status_t rv)
{
    switch (rv) {
    case OT_ERR_EXPIRED:
        return "exp is in the past, beyond the clock skew";
    case OT_ERR_NOT_YET_VALID:
        return "nbf or iat is in the future, beyond the clock skew";
    default:
        return "exp missing, or exp/nbf/iat not a NumericDate in range";
    }
}

/* A non-empty string without NUL, else NULL: subject and client id end up
 * in r->user, logs and headers, where a NUL would cut them short. */
static const char *plain_string(json_t *j)
{
    if (!json_is_string(j) || json_string_length(j) == 0
        || strlen(json_string_value(j)) != json_string_length(j)) {
        return NULL;
    }
    return json_string_value(j);
}

const ot_issuer_t *ot_access_policy_issuer(const ot_access_policy_t *policy,
                                           const char *iss)
{
    int i;

    if (policy == NULL || policy->issuers == NULL || iss == NULL) {
        return NULL;
    }
    for (i = 0; i < policy->issuers->nelts; i++) {
        const ot_issuer_t *issuer =
            APR_ARRAY_IDX(policy->issuers, i, const ot_issuer_t *);

        if (issuer != NULL && issuer->issuer != NULL
            && strcmp(issuer->issuer, iss) == 0) {
            return issuer;
        }
    }
    return NULL;
}

/* Via the claim's own length, so an iss carrying a NUL can never pick an
 * issuer whose name is its prefix. */
static const ot_issuer_t *find_issuer(const ot_access_policy_t *policy,
                                      json_t *claims)
{
    const char *iss = plain_string(json_object_get(claims, "iss"));

    return iss != NULL ? ot_access_policy_issuer(policy, iss) : NULL;
}

#define FAIL(status, text)                                                     \
    do {                                                                       \
        if (detail != NULL) {                                                  \
            *detail = (text);                                                  \
        }                                                                      \
        return (status);                                                       \
    } while (0)


/* RFC 7662 makes exp optional in an introspection answer (the cache TTL
 * then bounds reuse); nbf and iat, when given, are checked all the same. */
static ot_status_t check_times(json_t *claims, apr_int64_t now,
                               apr_int64_t skew, int exp_optional)
{
    return exp_optional ? ot_claims_check_times_exp_optional(claims, now, skew)
                        : ot_claims_check_times(claims, now, skew);
}

/* RFC 7662 token_type is free-form; RFC 8693 type URIs and the plain names
 * that providers use for tokens other than access tokens are refused. */
static ot_status_t check_token_type(json_t *claims, const char **detail)
{
    static const char *const refresh[] = {
        "refresh_token", "urn:ietf:params:oauth:token-type:refresh_token"};
    static const char *const id[] = {
        "id_token", "urn:ietf:params:oauth:token-type:id_token"};
    json_t *type = json_object_get(claims, "token_type");
    apr_size_t i;

    for (i = 0; i < sizeof(refresh) / sizeof(refresh[0]); i++) {
        if (string_is(type, refresh[i])) {
            FAIL(OT_ERR_CLAIM, "introspection names a refresh token, not an "
                               "access token");
        }
    }
    for (i = 0; i < sizeof(id) / sizeof(id[0]); i++) {
        if (string_is(type, id[i])) {
            FAIL(OT_ERR_ID_TOKEN, "looks like an OpenID Connect ID token "
                                  "(introspection token_type)");
        }
    }
    return OT_OK;
}

ot_status_t ot_access_claims_check(apr_pool_t *p,
                                   const ot_access_policy_t *policy,
                                   json_t *claims, apr_int64_t now,
                                   unsigned int flags, ot_access_token_t *token,
                                   const char **detail)
{
    int introspected = (flags & OT_CLAIMS_INTROSPECTION) != 0;
    const char *marker, *subject_claim, *scope_claim, *subject, *client_id;
    ot_status_t rv;

    if (policy == NULL || !json_is_object(claims)) {
        FAIL(OT_ERR_INTERNAL, "no access-token policy or no claims");
    }
    if (introspected) {
        rv = check_token_type(claims, detail);
        if (rv != OT_OK) {
            return rv;
        }
    }
    marker = id_token_marker(claims, policy->login_clients);
    if (marker != NULL) {
        FAIL(OT_ERR_ID_TOKEN,
             apr_pstrcat(p, "looks like an OpenID Connect ID token (", marker,
                         ")", NULL));
    }

    rv = check_times(claims, now, policy->clock_skew, introspected);
    if (rv != OT_OK) {
        FAIL(rv, times_detail(rv));
    }
    if (policy->audiences == NULL || policy->audiences->nelts == 0) {
        FAIL(OT_ERR_AUDIENCE, "no audience configured");
    }
    if (ot_claims_check_audience(claims, policy->audiences) != OT_OK) {
        FAIL(OT_ERR_AUDIENCE, "aud does not contain a configured audience");
    }

    subject_claim = policy->subject_claim ? policy->subject_claim : "sub";
    subject = plain_string(ot_json_path(claims, subject_claim));
    if (subject == NULL) {
        FAIL(OT_ERR_CLAIM,
             apr_pstrcat(p, "subject claim \"", subject_claim,
                         "\" missing or not a non-empty string", NULL));
    }
    client_id = plain_string(json_object_get(claims, "client_id"));
    if (client_id == NULL) {
        client_id = plain_string(json_object_get(claims, "azp"));
    }

    scope_claim = policy->scope_claim ? policy->scope_claim : "scope";
    token->claims = claims;
    token->subject = subject;
    token->client_id = client_id;
    token->scopes = ot_scope_list(p, claims, scope_claim);
    token->exp = ot_claims_time(claims, "exp");
    return OT_OK;
}

static ot_status_t verify_detail_fail(ot_status_t rv, const char **detail)
{
    FAIL(rv, verify_detail(rv));
}

/* The issuer's key set from the policy's callback; a failure keeps the
 * callee's reason (it names the URL, never the token). */
static ot_status_t issuer_keys(apr_pool_t *p, const ot_access_policy_t *policy,
                               const ot_issuer_t *issuer, int refresh,
                               const ot_jwks_t **jwks, const char **detail)
{
    const char *why = NULL;
    ot_status_t rv;

    *jwks = NULL;
    rv = policy->issuer_keys(policy->issuer_keys_baton, p, issuer, refresh,
                             jwks, &why);
    if (rv == OT_OK && *jwks == NULL) {
        rv = OT_ERR_UNAVAILABLE;
    }
    if (rv != OT_OK) {
        FAIL(rv, why != NULL ? why : "the issuer's keys cannot be had");
    }
    return OT_OK;
}

/* Static keys are final. Keys from the provider may be older than the
 * token: a kid the set lacks asks once for a newer set (the callee
 * throttles), and a signature that fails with a known kid asks nothing. */
ot_status_t ot_access_verify_jws(apr_pool_t *p, const ot_jws_t *jws,
                                 const ot_issuer_t *issuer,
                                 const ot_access_policy_t *policy,
                                 const char **detail)
{
    const ot_jwks_t *jwks;
    ot_status_t rv;

    if (jws == NULL || issuer == NULL || policy == NULL) {
        FAIL(OT_ERR_INTERNAL, "no token, issuer or policy to verify with");
    }
    if (issuer->jwks != NULL) {
        rv = ot_jws_verify(jws, issuer->jwks, policy->algorithms);
        return rv == OT_OK ? OT_OK : verify_detail_fail(rv, detail);
    }
    if (policy->issuer_keys == NULL) {
        FAIL(OT_ERR_UNAVAILABLE, "no keys for issuer");
    }
    rv = issuer_keys(p, policy, issuer, 0, &jwks, detail);
    if (rv != OT_OK) {
        return rv;
    }
    rv = ot_jws_verify(jws, jwks, policy->algorithms);
    if (rv == OT_ERR_NO_KEY) {
        rv = issuer_keys(p, policy, issuer, 1, &jwks, detail);
        if (rv != OT_OK) {
            return rv;
        }
        rv = ot_jws_verify(jws, jwks, policy->algorithms);
    }
    return rv == OT_OK ? OT_OK : verify_detail_fail(rv, detail);
}

/* RFC 9068 also requires client_id, iat and jti, but widely deployed
 * providers omit one or another of them; requiring only exp, iss, aud and
 * sub keeps the module usable with them without weakening what matters:
 * who signed it, for whom, until when, and about whom. */
ot_status_t ot_access_token_validate(apr_pool_t *p, const char *compact,
                                     const ot_access_policy_t *policy,
                                     apr_int64_t now, ot_access_token_t **out,
                                     const char **detail)
{
    ot_jws_t *jws;
    const ot_issuer_t *issuer;
    ot_access_token_t *tok;
    ot_status_t rv;

    if (detail != NULL) {
        *detail = NULL;
    }
    if (out != NULL) {
        *out = NULL;
    }
    if (policy == NULL) {
        FAIL(OT_ERR_INTERNAL, "no access-token policy");
    }
    if (compact == NULL) {
        FAIL(OT_ERR_MALFORMED, "no token");
    }
    /* Bounded scan: an oversized token costs no more than the limit. */
    if (strnlen(compact, OT_MAX_TOKEN_LEN + 1) > OT_MAX_TOKEN_LEN) {
        FAIL(OT_ERR_TOO_LARGE, "token longer than the size limit");
    }

    rv = ot_jws_parse(p, compact, &jws);
    if (rv != OT_OK) {
        FAIL(rv, parse_detail(rv));
    }

    if (!ot_access_typ_accepted(policy->accept_types, jws->typ)) {
        FAIL(OT_ERR_TYP, jws->typ == NULL
                             ? "JWT typ header missing and not accepted"
                             : "JWT typ header not accepted");
    }

    issuer = find_issuer(policy, jws->payload);
    if (issuer == NULL) {
        FAIL(OT_ERR_ISSUER, "iss missing or not a trusted issuer");
    }
    rv = ot_access_verify_jws(p, jws, issuer, policy, detail);
    if (rv != OT_OK) {
        return rv;
    }

    /* Only after the signature: an unsigned probe must not learn which of
     * the claim rules exist. */
    tok = apr_pcalloc(p, sizeof(*tok));
    rv = ot_access_claims_check(p, policy, jws->payload, now, 0, tok, detail);
    if (rv != OT_OK) {
        return rv;
    }
    tok->issuer = issuer;
    tok->alg = jws->alg->name;
    tok->kid = jws->kid;
    tok->typ = jws->typ;
    if (out != NULL) {
        *out = tok;
    }
    return OT_OK;
}
