/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* The JWTs an OpenID provider signs for the relying party itself: the ID
 * token of a login (OpenID Connect Core 1.0 3.1.3.7) and the logout token
 * of Back-Channel Logout 1.0 (2.6). Both go through the same steps
 * (signature, iss, aud, times); each then has typ and claim rules of its
 * own, so that neither passes for the other, nor an access token for
 * either. */

#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "util/crypto.h"
#include "jose/jws.h"
#include "token/access.h"
#include "token/claims.h"
#include "oidc/callback.h"

#define LOGOUT_EVENT "http://schemas.openid.net/event/backchannel-logout"

/* The latest NumericDate claims.c accepts (9999-12-31T23:59:59Z); also
 * bounds max_age and skew so that the arithmetic below cannot overflow. */
#define FAR_FUTURE APR_INT64_C(253402300799)

#define FAIL(status, text)                                                     \
    do {                                                                       \
        if (detail != NULL) {                                                  \
            *detail = (text);                                                  \
        }                                                                      \
        return (status);                                                       \
    } while (0)

/* What tells the two kinds apart in the shared steps. */
typedef struct jwt_kind_t {
    const char *name;         /* "ID token": in every detail */
    const char *article;      /* "an ID token" */
    const char *const *types; /* accepted typ values, NULL-terminated */
    int exp_required;
} jwt_kind_t;

/* OIDC Core 2 does not type ID tokens; JWT is what providers that do
 * send. */
static const char *const id_types[] = {"JWT", NULL};
static const jwt_kind_t id_kind = {"ID token", "an", id_types, 1};

/* Back-Channel Logout 2.4 recommends logout+jwt. exp became required only
 * in the final text; providers built on the drafts still omit it, and
 * then iat + max_age bounds the token. */
static const char *const logout_types[] = {"JWT", "logout+jwt", NULL};
static const jwt_kind_t logout_kind = {"logout token", "a", logout_types, 0};

static apr_int64_t clamp(apr_int64_t v)
{
    return v < 0 ? 0 : v > FAR_FUTURE ? FAR_FUTURE : v;
}

static apr_array_header_t *string_list(apr_pool_t *p,
                                       const char *const *strings)
{
    apr_array_header_t *a = apr_array_make(p, 2, sizeof(const char *));

    for (; *strings != NULL; strings++) {
        APR_ARRAY_PUSH(a, const char *) = *strings;
    }
    return a;
}

/* A non-empty string without NUL, else NULL: subject and sid key sessions
 * and end up in logs, where a NUL would cut them short. */
static const char *plain_string(json_t *j)
{
    if (!json_is_string(j) || json_string_length(j) == 0
        || strlen(json_string_value(j)) != json_string_length(j)) {
        return NULL;
    }
    return json_string_value(j);
}

/* Via the JSON string's own length: one carrying a NUL never equals a
 * shorter s. */
static int string_equals(json_t *j, const char *s)
{
    return json_is_string(j) && json_string_length(j) == strlen(s)
           && memcmp(json_string_value(j), s, strlen(s)) == 0;
}

static const char *parse_detail(apr_pool_t *p, const jwt_kind_t *kind,
                                ot_status_t rv)
{
    switch (rv) {
    case OT_ERR_TOO_LARGE:
        return apr_pstrcat(p, kind->name,
                           " header or payload over the size or depth limit",
                           NULL);
    case OT_ERR_ALG:
        return apr_pstrcat(p, kind->name, ": JWS alg unknown or \"none\"",
                           NULL);
    case OT_ERR_HEADER:
        return apr_pstrcat(p, kind->name, ": JOSE header refused", NULL);
    default:
        return apr_pstrcat(p, kind->name,
                           " not a well-formed compact JWS with a JSON "
                           "object payload",
                           NULL);
    }
}

/* An access token from the same provider is signed with the same keys:
 * its typ is the one thing that names it, so it gets a reason of its
 * own. */
static ot_status_t check_typ(apr_pool_t *p, const jwt_kind_t *kind,
                             const char *typ, const char **detail)
{
    static const char *const access_types[] = {"at+jwt", NULL};

    if (ot_access_typ_accepted(string_list(p, kind->types), typ)) {
        return OT_OK;
    }
    if (ot_access_typ_accepted(string_list(p, access_types), typ)) {
        FAIL(OT_ERR_TYP, apr_pstrcat(p, "an access token is not ",
                                     kind->article, " ", kind->name, NULL));
    }
    FAIL(OT_ERR_TYP,
         apr_pstrcat(p, kind->name, ": JWT typ header not accepted", NULL));
}

static const char *times_detail(apr_pool_t *p, const jwt_kind_t *kind,
                                ot_status_t rv)
{
    switch (rv) {
    case OT_ERR_EXPIRED:
        return apr_pstrcat(p, kind->name,
                           ": exp is in the past, beyond the clock skew", NULL);
    case OT_ERR_NOT_YET_VALID:
        return apr_pstrcat(p, kind->name,
                           ": nbf or iat is in the future, beyond the clock "
                           "skew",
                           NULL);
    default:
        return apr_pstrcat(p, kind->name,
                           ": exp missing, or exp/nbf/iat not a NumericDate "
                           "in range",
                           NULL);
    }
}

/* exp, nbf and iat as for any JWT; exp may be absent from a logout
 * token. */
static ot_status_t check_exp_nbf_iat(json_t *claims, apr_int64_t now,
                                     apr_int64_t skew, int exp_required)
{
    return exp_required
               ? ot_claims_check_times(claims, now, skew)
               : ot_claims_check_times_exp_optional(claims, now, skew);
}

/* Times, then iat: required by both specifications, and bounded in age so
 * that a token leaked long ago is no longer worth anything even when its
 * exp is far away. iat rounds down, towards refusing. */
static ot_status_t check_times(apr_pool_t *p, const jwt_kind_t *kind,
                               json_t *claims, apr_int64_t now,
                               apr_int64_t skew, apr_int64_t max_age,
                               const char **detail)
{
    ot_status_t rv;

    rv = check_exp_nbf_iat(claims, now, skew, kind->exp_required);
    if (rv != OT_OK) {
        FAIL(rv, times_detail(p, kind, rv));
    }
    if (json_object_get(claims, "iat") == NULL) {
        FAIL(OT_ERR_CLAIM, apr_pstrcat(p, kind->name, ": iat missing", NULL));
    }
    if (ot_claims_time(claims, "iat") < now - skew - max_age) {
        FAIL(OT_ERR_EXPIRED,
             apr_pstrcat(p, kind->name, ": iat older than the accepted age",
                         NULL));
    }
    return OT_OK;
}

/* The steps both kinds share, in this order: size, JWS parse and header
 * policy, typ, iss, signature with the issuer's keys, aud, times. The
 * claims are looked at only after the signature, iss aside: it is checked
 * first so that a token of another issuer costs no key refresh. */
static ot_status_t verified_jwt(apr_pool_t *p, const jwt_kind_t *kind,
                                const char *compact, const ot_issuer_t *issuer,
                                const ot_access_policy_t *policy,
                                const char *client_id, apr_int64_t now,
                                apr_int64_t max_age, json_t **claims,
                                const char **detail)
{
    apr_array_header_t *audiences;
    apr_int64_t skew;
    ot_jws_t *jws;
    ot_status_t rv;

    if (issuer == NULL || issuer->issuer == NULL || policy == NULL
        || client_id == NULL) {
        FAIL(OT_ERR_INTERNAL,
             apr_pstrcat(p, kind->name, ": no issuer, policy or client", NULL));
    }
    if (compact == NULL || *compact == '\0') {
        FAIL(OT_ERR_MALFORMED, apr_pstrcat(p, "no ", kind->name, NULL));
    }
    if (strnlen(compact, OT_MAX_TOKEN_LEN + 1) > OT_MAX_TOKEN_LEN) {
        FAIL(OT_ERR_TOO_LARGE,
             apr_pstrcat(p, kind->name, " longer than the size limit", NULL));
    }
    rv = ot_jws_parse(p, compact, &jws);
    if (rv != OT_OK) {
        FAIL(rv, parse_detail(p, kind, rv));
    }
    rv = check_typ(p, kind, jws->typ, detail);
    if (rv != OT_OK) {
        return rv;
    }
    if (ot_claims_check_issuer(jws->payload, issuer->issuer) != OT_OK) {
        FAIL(OT_ERR_ISSUER,
             apr_pstrcat(p, kind->name, ": iss is not the provider's", NULL));
    }
    rv = ot_access_verify_jws(p, jws, issuer, policy, detail);
    if (rv != OT_OK) {
        return rv;
    }

    audiences = apr_array_make(p, 1, sizeof(const char *));
    APR_ARRAY_PUSH(audiences, const char *) = client_id;
    if (ot_claims_check_audience(jws->payload, audiences) != OT_OK) {
        FAIL(OT_ERR_AUDIENCE, apr_pstrcat(p, kind->name,
                                          ": aud does not contain the "
                                          "client id",
                                          NULL));
    }
    skew = clamp(policy->clock_skew);
    rv = check_times(p, kind, jws->payload, now, skew, clamp(max_age), detail);
    if (rv != OT_OK) {
        return rv;
    }
    *claims = jws->payload;
    return OT_OK;
}

/* OIDC Core 3.1.3.7 items 4 and 5: with several audiences the party the
 * token was issued to must be named, and when named it must be us. */
static ot_status_t check_azp(json_t *claims, const char *client_id,
                             const char **detail)
{
    json_t *aud = json_object_get(claims, "aud");
    json_t *azp = json_object_get(claims, "azp");

    if (azp == NULL && json_is_array(aud) && json_array_size(aud) > 1) {
        FAIL(OT_ERR_AUDIENCE, "ID token: several audiences and no azp");
    }
    if (azp != NULL && !string_equals(azp, client_id)) {
        FAIL(OT_ERR_AUDIENCE, "ID token: azp is another client");
    }
    return OT_OK;
}

/* The nonce binds the ID token to the login that asked for it: without
 * it, a token captured from another login could be replayed here. */
static ot_status_t check_nonce(json_t *claims, const char *expected,
                               const char **detail)
{
    json_t *nonce = json_object_get(claims, "nonce");

    if (!json_is_string(nonce)) {
        FAIL(OT_ERR_CLAIM, "ID token: nonce missing or not a string");
    }
    if (!ot_const_time_equal(json_string_value(nonce),
                             json_string_length(nonce), expected,
                             strlen(expected))) {
        FAIL(OT_ERR_CLAIM, "ID token: nonce is not the login's");
    }
    return OT_OK;
}

/* The Back-Channel Logout event, whose value must be an object
 * (Back-Channel Logout 2.4). */
static int has_logout_event(json_t *claims)
{
    json_t *events = json_object_get(claims, "events");

    return json_is_object(events)
           && json_is_object(json_object_get(events, LOGOUT_EVENT));
}

ot_status_t ot_id_token_validate(apr_pool_t *p, const char *compact,
                                 const ot_issuer_t *issuer,
                                 const ot_access_policy_t *policy,
                                 const char *client_id,
                                 const char *expected_nonce, apr_int64_t now,
                                 apr_int64_t max_age, json_t **claims,
                                 const char **detail)
{
    json_t *payload = NULL;
    ot_status_t rv;

    if (detail != NULL) {
        *detail = NULL;
    }
    if (claims != NULL) {
        *claims = NULL;
    }
    rv = verified_jwt(p, &id_kind, compact, issuer, policy, client_id, now,
                      max_age, &payload, detail);
    if (rv != OT_OK) {
        return rv;
    }
    rv = check_azp(payload, client_id, detail);
    if (rv != OT_OK) {
        return rv;
    }
    if (expected_nonce != NULL) {
        rv = check_nonce(payload, expected_nonce, detail);
        if (rv != OT_OK) {
            return rv;
        }
    }
    if (plain_string(json_object_get(payload, "sub")) == NULL) {
        FAIL(OT_ERR_CLAIM, "ID token: sub missing or not a non-empty string");
    }
    /* A logout token of the same provider with a nonce it should not have:
     * the event still gives it away. */
    if (has_logout_event(payload)) {
        FAIL(OT_ERR_CLAIM, "a logout token is not an ID token");
    }
    if (claims != NULL) {
        *claims = payload;
    }
    return OT_OK;
}

/* sid or sub, each a plain string when present, at least one of them
 * (Back-Channel Logout 2.4). */
static ot_status_t logout_subject(json_t *claims, const char **sid,
                                  const char **sub, const char **detail)
{
    json_t *jsid = json_object_get(claims, "sid");
    json_t *jsub = json_object_get(claims, "sub");

    *sid = plain_string(jsid);
    *sub = plain_string(jsub);
    if ((jsid != NULL && *sid == NULL) || (jsub != NULL && *sub == NULL)) {
        FAIL(OT_ERR_CLAIM, "logout token: sid or sub not a non-empty string");
    }
    if (*sid == NULL && *sub == NULL) {
        FAIL(OT_ERR_CLAIM, "logout token: neither sid nor sub");
    }
    return OT_OK;
}

/* The last second at which this token would still be accepted: its jti
 * must be remembered at least that long for the replay check. */
static apr_int64_t accepted_until(json_t *claims, apr_int64_t skew,
                                  apr_int64_t max_age)
{
    apr_int64_t until = ot_claims_time(claims, "iat") + max_age;

    if (json_object_get(claims, "exp") != NULL
        && ot_claims_time(claims, "exp") < until) {
        until = ot_claims_time(claims, "exp");
    }
    return until + skew;
}

ot_status_t ot_logout_token_validate(apr_pool_t *p, const char *compact,
                                     const ot_issuer_t *issuer,
                                     const ot_access_policy_t *policy,
                                     const char *client_id, apr_int64_t now,
                                     apr_int64_t max_age, const char **sid,
                                     const char **sub, const char **jti,
                                     apr_int64_t *exp, const char **detail)
{
    const char *the_sid, *the_sub, *the_jti;
    json_t *payload = NULL;
    ot_status_t rv;

    if (detail != NULL) {
        *detail = NULL;
    }
    rv = verified_jwt(p, &logout_kind, compact, issuer, policy, client_id, now,
                      max_age, &payload, detail);
    if (rv != OT_OK) {
        return rv;
    }
    /* Back-Channel Logout 2.4: the nonce is forbidden precisely so that a
     * logout token can never pass for an ID token, and the reverse. */
    if (json_object_get(payload, "nonce") != NULL) {
        FAIL(OT_ERR_CLAIM, "logout token: carries a nonce");
    }
    if (!has_logout_event(payload)) {
        FAIL(OT_ERR_CLAIM, "logout token: events without the back-channel "
                           "logout event object");
    }
    the_jti = plain_string(json_object_get(payload, "jti"));
    if (the_jti == NULL) {
        FAIL(OT_ERR_CLAIM, "logout token: jti missing or not a non-empty "
                           "string");
    }
    rv = logout_subject(payload, &the_sid, &the_sub, detail);
    if (rv != OT_OK) {
        return rv;
    }
    if (sid != NULL) {
        *sid = the_sid;
    }
    if (sub != NULL) {
        *sub = the_sub;
    }
    if (jti != NULL) {
        *jti = the_jti;
    }
    if (exp != NULL) {
        *exp =
            accepted_until(payload, clamp(policy->clock_skew), clamp(max_age));
    }
    return OT_OK;
}
