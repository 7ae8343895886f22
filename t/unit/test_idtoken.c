/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* The ID token (OpenID Connect Core 3.1.3.7) and the logout token
 * (Back-Channel Logout 1.0 2.6): keys are generated and tokens minted here,
 * at test time, so nothing checked in can expire or leak. */

#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "tap.h"
#include "status_check.h"
#include "values.h"
#include "mint.h"
#include "ot.h"
#include "util/json.h"
#include "jose/alg.h"
#include "jose/jwks.h"
#include "token/access.h"
#include "oidc/callback.h"

#define NOW APR_INT64_C(1700000000)
#define ISS "https://idp.example.com/"
#define CLIENT "webapp"
#define NONCE "n-0S6_WzA2Mj"
#define MAX_AGE 600
#define SKEW 60
#define LOGOUT_EVENT "http://schemas.openid.net/event/backchannel-logout"
/* Planted in every minted token: no refusal detail may repeat it. */
#define CANARY "CANARY-from-token"

static apr_pool_t *pool;

static test_key_t rsa_a, ec_a, rsa_other;
static ot_jwks_t *jwks_a, *jwks_other;

/* ---- minting ------------------------------------------------------------ */

static const char *mint(json_t *claims)
{
    return mint_with(&rsa_a, "RS256", NULL, claims);
}

static json_t *id_claims(void)
{
    return ot_json_pool_own(
        pool, json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s}", "iss", ISS,
                        "aud", CLIENT, "sub", "alice", "exp",
                        (json_int_t)(NOW + 300), "iat", (json_int_t)(NOW - 5),
                        "nonce", NONCE, "sid", "sid-1", "note", CANARY));
}

static json_t *logout_claims(void)
{
    return ot_json_pool_own(
        pool,
        json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:{s:{}}, s:s}", "iss",
                  ISS, "aud", CLIENT, "sub", "alice", "sid", "sid-1", "iat",
                  (json_int_t)(NOW - 5), "exp", (json_int_t)(NOW + 120), "jti",
                  "jti-1", "events", LOGOUT_EVENT, "note", CANARY));
}

/* ---- policy and checks -------------------------------------------------- */

static ot_issuer_t issuer_a;

static ot_access_policy_t *policy(void)
{
    ot_access_policy_t *pol = apr_pcalloc(pool, sizeof(*pol));
    apr_array_header_t *issuers =
        apr_array_make(pool, 1, sizeof(ot_issuer_t *));

    issuer_a.issuer = ISS;
    issuer_a.jwks = jwks_a;
    APR_ARRAY_PUSH(issuers, ot_issuer_t *) = &issuer_a;
    pol->issuers = issuers;
    pol->algorithms = ot_alg_default_set();
    pol->clock_skew = SKEW;
    return pol;
}

static json_t *last_claims;
static const char *last_detail;

/* A refusal comes with a detail that repeats nothing from the token. */
static int judge(ot_status_t rv, ot_status_t want, int have_output,
                 const char *name)
{
    int pass = rv == want
               && (rv == OT_OK ? have_output
                               : last_detail != NULL
                                     && strstr(last_detail, "CANARY") == NULL);

    return ok_status(pass, rv, want, last_detail, name);
}

static int expect_id_pol(const ot_access_policy_t *pol, const char *token,
                         const char *nonce, ot_status_t want, const char *name)
{
    ot_status_t rv;

    last_claims = NULL;
    last_detail = NULL;
    rv = ot_id_token_validate(pool, token, &issuer_a, pol, CLIENT, nonce, NOW,
                              MAX_AGE, &last_claims, &last_detail);
    if (rv != OT_OK && last_claims != NULL) {
        ok(0, "%s: claims set on a refusal", name);
    }
    return judge(rv, want, last_claims != NULL, name);
}

static int expect_id(const char *token, ot_status_t want, const char *name)
{
    return expect_id_pol(policy(), token, NONCE, want, name);
}

static const char *lo_sid, *lo_sub, *lo_jti;
static apr_int64_t lo_exp;

static int expect_logout_pol(const ot_access_policy_t *pol, const char *token,
                             ot_status_t want, const char *name)
{
    ot_status_t rv;

    lo_sid = lo_sub = lo_jti = NULL;
    lo_exp = 0;
    last_detail = NULL;
    rv = ot_logout_token_validate(pool, token, &issuer_a, pol, CLIENT, NOW,
                                  MAX_AGE, &lo_sid, &lo_sub, &lo_jti, &lo_exp,
                                  &last_detail);
    return judge(rv, want, lo_jti != NULL && (lo_sid != NULL || lo_sub != NULL),
                 name);
}

static int expect_logout(const char *token, ot_status_t want, const char *name)
{
    return expect_logout_pol(policy(), token, want, name);
}

static int detail_has(const char *what)
{
    return last_detail != NULL && strstr(last_detail, what) != NULL;
}

/* A token whose payload was changed after signing. */
static const char *tampered(const char *token, json_t *claims)
{
    const char *dot1 = strchr(token, '.');
    const char *dot2 = strrchr(token, '.');

    return apr_pstrcat(pool,
                       apr_pstrmemdup(pool, token, (apr_size_t)(dot1 - token)),
                       ".", json_b64(claims), dot2, NULL);
}

/* ---- ID tokens ------------------------------------------------------------ */

static void test_id_valid(void)
{
    if (expect_id(mint(id_claims()), OT_OK, "ID token: valid RS256, no typ")) {
        is_str(ot_json_string(last_claims, "sub"), "alice", "  claims out");
        is_str(ot_json_string(last_claims, "sid"), "sid-1", "  sid in claims");
    }
    expect_id(mint_with(&ec_a, "ES256", "JWT", id_claims()), OT_OK,
              "ID token: valid ES256, typ JWT");
    expect_id(mint_with(&rsa_a, "RS256", "application/jwt", id_claims()), OT_OK,
              "ID token: typ application/jwt");
    expect_id_pol(policy(), mint(with(id_claims(), "nonce", NULL)), NULL, OT_OK,
                  "ID token: no nonce expected, none sent");
    expect_id_pol(policy(), mint(id_claims()), NULL, OT_OK,
                  "ID token: no nonce expected, one sent");
    expect_id(mint(with(id_claims(), "aud", json_pack("[s]", CLIENT))), OT_OK,
              "ID token: aud an array of one, no azp");
    expect_id(mint(with(id_claims(), "nbf", json_integer(NOW - 5))), OT_OK,
              "ID token: nbf in the past");
}

static void test_id_issuer_audience(void)
{
    json_t *two = json_pack("[s, s]", CLIENT, "other-client");

    expect_id(mint(with(id_claims(), "iss", json_string("https://evil/"))),
              OT_ERR_ISSUER, "ID token: wrong iss");
    expect_id(mint(with(id_claims(), "iss", json_string(ISS "x"))),
              OT_ERR_ISSUER, "ID token: iss with a suffix");
    expect_id(mint(with(id_claims(), "iss", NULL)), OT_ERR_ISSUER,
              "ID token: iss missing");

    expect_id(mint(with(id_claims(), "aud", json_string("other-client"))),
              OT_ERR_AUDIENCE, "ID token: aud another client");
    expect_id(mint(with(id_claims(), "aud", NULL)), OT_ERR_AUDIENCE,
              "ID token: aud missing");
    expect_id(mint(with(id_claims(), "aud", json_pack("[s]", "x"))),
              OT_ERR_AUDIENCE, "ID token: aud array without the client");

    expect_id(mint(with(id_claims(), "aud", json_deep_copy(two))),
              OT_ERR_AUDIENCE,
              "ID token: aud with the client and another, no azp");
    ok(detail_has("azp"), "  detail names azp");
    expect_id(mint(with(with(id_claims(), "aud", json_deep_copy(two)), "azp",
                        json_string(CLIENT))),
              OT_OK, "ID token: several audiences, azp the client");
    expect_id(mint(with(with(id_claims(), "aud", json_deep_copy(two)), "azp",
                        json_string("other-client"))),
              OT_ERR_AUDIENCE, "ID token: several audiences, azp another");
    expect_id(mint(with(id_claims(), "azp", json_string(CLIENT))), OT_OK,
              "ID token: one audience, azp the client");
    expect_id(mint(with(id_claims(), "azp", json_string("other-client"))),
              OT_ERR_AUDIENCE, "ID token: one audience, azp another");
    expect_id(mint(with(id_claims(), "azp", json_integer(1))), OT_ERR_AUDIENCE,
              "ID token: azp not a string");
    json_decref(two);
}

static void test_id_times(void)
{
    expect_id(mint(with(id_claims(), "exp", json_integer(NOW - SKEW - 1))),
              OT_ERR_EXPIRED, "ID token: expired");
    expect_id(mint(with(id_claims(), "exp", json_integer(NOW - 10))), OT_OK,
              "ID token: expired within the skew");
    expect_id(mint(with(id_claims(), "exp", NULL)), OT_ERR_CLAIM,
              "ID token: exp missing");
    expect_id(mint(with(id_claims(), "iat", json_integer(NOW + SKEW + 1))),
              OT_ERR_NOT_YET_VALID, "ID token: iat in the future");
    expect_id(mint(with(id_claims(), "iat", json_integer(NOW + SKEW))), OT_OK,
              "ID token: iat in the future within the skew");
    expect_id(mint(with(id_claims(), "iat", NULL)), OT_ERR_CLAIM,
              "ID token: iat missing");
    expect_id(mint(with(id_claims(), "iat", json_string("yesterday"))),
              OT_ERR_CLAIM, "ID token: iat a string");
    expect_id(
        mint(with(id_claims(), "iat", json_integer(NOW - MAX_AGE - SKEW - 1))),
        OT_ERR_EXPIRED, "ID token: iat older than max_age");
    ok(detail_has("iat older"), "  detail says why");
    expect_id(
        mint(with(id_claims(), "iat", json_integer(NOW - MAX_AGE - SKEW))),
        OT_OK, "ID token: iat just within max_age and skew");
    expect_id(mint(with(id_claims(), "nbf", json_integer(NOW + SKEW + 1))),
              OT_ERR_NOT_YET_VALID, "ID token: nbf in the future");
}

static void test_id_nonce_and_subject(void)
{
    expect_id(mint(with(id_claims(), "nonce", NULL)), OT_ERR_CLAIM,
              "ID token: nonce missing");
    ok(detail_has("nonce"), "  detail names the nonce");
    expect_id(mint(with(id_claims(), "nonce", json_string("another"))),
              OT_ERR_CLAIM, "ID token: nonce wrong");
    expect_id(mint(with(id_claims(), "nonce", json_string(NONCE "x"))),
              OT_ERR_CLAIM, "ID token: nonce with a suffix");
    expect_id(mint(with(id_claims(), "nonce", json_string("n-0S6_WzA2M"))),
              OT_ERR_CLAIM, "ID token: nonce a prefix");
    expect_id(mint(with(id_claims(), "nonce", json_integer(7))), OT_ERR_CLAIM,
              "ID token: nonce a number");
    expect_id(mint(with(id_claims(), "nonce", json_string(NONCE))), OT_OK,
              "ID token: nonce right");

    expect_id(mint(with(id_claims(), "sub", NULL)), OT_ERR_CLAIM,
              "ID token: sub missing");
    expect_id(mint(with(id_claims(), "sub", json_string(""))), OT_ERR_CLAIM,
              "ID token: sub empty");
    expect_id(mint(with(id_claims(), "sub", json_integer(42))), OT_ERR_CLAIM,
              "ID token: sub a number");

    /* A logout token with a nonce it should not have. */
    expect_id(
        mint(with(id_claims(), "events", json_pack("{s:{}}", LOGOUT_EVENT))),
        OT_ERR_CLAIM, "ID token: carries the logout event");
}

static void test_id_header_and_signature(void)
{
    ot_access_policy_t *pol = policy();
    test_key_t spoof = rsa_other, unknown = rsa_other;
    const char *t;

    expect_id(mint_with(&rsa_a, "RS256", "at+jwt", id_claims()), OT_ERR_TYP,
              "ID token: typ at+jwt refused");
    is_str(last_detail, "an access token is not an ID token", "  detail");
    expect_id(mint_with(&rsa_a, "RS256", "application/AT+JWT", id_claims()),
              OT_ERR_TYP, "ID token: typ application/at+jwt refused");
    is_str(last_detail, "an access token is not an ID token", "  detail");
    expect_id(mint_with(&rsa_a, "RS256", "logout+jwt", id_claims()), OT_ERR_TYP,
              "ID token: typ logout+jwt refused");
    expect_id(mint_with(&rsa_a, "RS256", "", id_claims()), OT_ERR_TYP,
              "ID token: empty typ refused");

    pol->algorithms = ot_alg_by_name("RS256")->bit;
    expect_id_pol(pol, mint_with(&ec_a, "ES256", NULL, id_claims()), NONCE,
                  OT_ERR_ALG, "ID token: alg not allowed");
    expect_id(mint_hdr(&rsa_a, "RS256", NULL,
                       json_pack("{s:[s], s:b}", "crit", "x", "x", 1),
                       id_claims()),
              OT_ERR_HEADER, "ID token: unknown crit refused");

    spoof.kid = rsa_a.kid;
    expect_id(mint_with(&spoof, "RS256", NULL, id_claims()), OT_ERR_SIGNATURE,
              "ID token: bad signature (another key, our kid)");
    t = mint(id_claims());
    expect_id(tampered(t, with(id_claims(), "sub", json_string("mallory"))),
              OT_ERR_SIGNATURE, "ID token: payload changed after signing");
    unknown.kid = "rotated-away";
    expect_id(mint_with(&unknown, "RS256", NULL, id_claims()), OT_ERR_NO_KEY,
              "ID token: kid unknown");

    expect_id(NULL, OT_ERR_MALFORMED, "ID token: NULL");
    expect_id("", OT_ERR_MALFORMED, "ID token: empty");
    expect_id("a.b", OT_ERR_MALFORMED, "ID token: two parts");
    last_detail = NULL;
    is_int(ot_id_token_validate(pool, mint(id_claims()), &issuer_a, policy(),
                                NULL, NONCE, NOW, MAX_AGE, &last_claims,
                                &last_detail),
           OT_ERR_INTERNAL, "ID token: no client id");
    is_int(ot_id_token_validate(pool, mint(id_claims()), &issuer_a, NULL,
                                CLIENT, NONCE, NOW, MAX_AGE, &last_claims,
                                &last_detail),
           OT_ERR_INTERNAL, "ID token: no policy");
    is_int(ot_id_token_validate(pool, mint(id_claims()), &issuer_a, policy(),
                                CLIENT, NONCE, NOW, MAX_AGE, NULL, NULL),
           OT_OK, "ID token: NULL claims and detail pointers");
}

/* ---- keys from the provider (the policy's issuer_keys callback) ---------- */

typedef struct keys_cb_t {
    const ot_jwks_t *first, *fresh;
    ot_status_t fail;
    int calls, refreshes;
} keys_cb_t;

static ot_status_t keys_cb(void *baton, apr_pool_t *p,
                           const ot_issuer_t *issuer, int refresh,
                           const ot_jwks_t **jwks, const char **why)
{
    keys_cb_t *cb = baton;

    (void)p;
    (void)issuer;
    cb->calls++;
    cb->refreshes += refresh != 0;
    if (cb->fail != OT_OK) {
        *why = "https://idp.example.com/jwks: connection refused";
        return cb->fail;
    }
    *jwks = refresh ? cb->fresh : cb->first;
    return OT_OK;
}

static ot_access_policy_t *dynamic_policy(keys_cb_t *cb)
{
    ot_access_policy_t *pol = policy();

    issuer_a.jwks = NULL;
    memset(cb, 0, sizeof(*cb));
    pol->issuer_keys = keys_cb;
    pol->issuer_keys_baton = cb;
    return pol;
}

static void test_issuer_keys(void)
{
    ot_access_policy_t *pol;
    keys_cb_t cb;

    pol = dynamic_policy(&cb);
    cb.first = jwks_a;
    expect_id_pol(pol, mint(id_claims()), NONCE, OT_OK,
                  "ID token, provider keys: kid in the set");
    is_int(cb.calls, 1, "  one call, no refresh");

    pol = dynamic_policy(&cb);
    cb.first = jwks_other;
    cb.fresh = jwks_a;
    expect_id_pol(pol, mint(id_claims()), NONCE, OT_OK,
                  "ID token, provider keys: rotated, found after a refresh");
    is_int(cb.refreshes, 1, "  exactly one refresh");

    pol = dynamic_policy(&cb);
    cb.first = jwks_other;
    cb.fresh = jwks_other;
    expect_id_pol(pol, mint(id_claims()), NONCE, OT_ERR_NO_KEY,
                  "ID token, provider keys: kid unknown after the refresh");
    is_int(cb.calls, 2, "  no second refresh");

    pol = dynamic_policy(&cb);
    cb.fail = OT_ERR_UNAVAILABLE;
    expect_id_pol(pol, mint(id_claims()), NONCE, OT_ERR_UNAVAILABLE,
                  "ID token, provider keys: unavailable");
    is_str(last_detail, "https://idp.example.com/jwks: connection refused",
           "  detail is the callback's why");

    pol = dynamic_policy(&cb);
    cb.first = jwks_a;
    expect_id_pol(
        pol, mint(with(id_claims(), "iss", json_string("https://x/"))), NONCE,
        OT_ERR_ISSUER, "ID token, provider keys: wrong iss refused first");
    is_int(cb.calls, 0, "  the callback was not asked");

    pol = dynamic_policy(&cb);
    cb.first = jwks_a;
    expect_logout_pol(pol, mint(logout_claims()), OT_OK,
                      "logout token, provider keys: valid");
    is_int(cb.calls, 1, "  one call");

    issuer_a.jwks = jwks_a;
}

/* ---- logout tokens -------------------------------------------------------- */

static void test_logout_valid(void)
{
    if (expect_logout(mint(logout_claims()), OT_OK,
                      "logout token: valid with sid and sub")) {
        is_str(lo_sid, "sid-1", "  sid");
        is_str(lo_sub, "alice", "  sub");
        is_str(lo_jti, "jti-1", "  jti");
        is_int((long)lo_exp, (long)(NOW + 120 + SKEW),
               "  exp: its exp, plus the skew it is accepted within");
    }
    if (expect_logout(mint(with(logout_claims(), "sid", NULL)), OT_OK,
                      "logout token: sub only")) {
        ok(lo_sid == NULL, "  sid NULL");
        is_str(lo_sub, "alice", "  sub");
    }
    if (expect_logout(mint(with(logout_claims(), "sub", NULL)), OT_OK,
                      "logout token: sid only")) {
        ok(lo_sub == NULL, "  sub NULL");
        is_str(lo_sid, "sid-1", "  sid");
    }
    if (expect_logout(mint(with(logout_claims(), "exp", NULL)), OT_OK,
                      "logout token: no exp (drafts)")) {
        is_int((long)lo_exp, (long)(NOW - 5 + MAX_AGE + SKEW),
               "  exp: iat + max_age + skew");
    }
    if (expect_logout(
            mint(with(logout_claims(), "exp", json_integer(NOW + 100000))),
            OT_OK, "logout token: exp far away")) {
        is_int((long)lo_exp, (long)(NOW - 5 + MAX_AGE + SKEW),
               "  exp: bounded by iat + max_age");
    }
    expect_logout(mint_with(&rsa_a, "RS256", "logout+jwt", logout_claims()),
                  OT_OK, "logout token: typ logout+jwt");
    expect_logout(
        mint_with(&ec_a, "ES256", "application/logout+jwt", logout_claims()),
        OT_OK, "logout token: typ application/logout+jwt, ES256");
    expect_logout(mint_with(&rsa_a, "RS256", "JWT", logout_claims()), OT_OK,
                  "logout token: typ JWT");
    expect_logout(mint(with(logout_claims(), "events",
                            json_pack("{s:{}, s:{}}", LOGOUT_EVENT,
                                      "https://example.com/other-event"))),
                  OT_OK, "logout token: another event next to ours");
    expect_logout(
        mint(with(logout_claims(), "aud", json_pack("[s, s]", "x", CLIENT))),
        OT_OK, "logout token: several audiences, no azp needed");
    is_int(ot_logout_token_validate(pool, mint(logout_claims()), &issuer_a,
                                    policy(), CLIENT, NOW, MAX_AGE, NULL, NULL,
                                    NULL, NULL, NULL),
           OT_OK, "logout token: NULL output pointers");
}

static void test_logout_refused(void)
{
    test_key_t spoof = rsa_other;

    expect_logout(mint(with(with(logout_claims(), "sid", NULL), "sub", NULL)),
                  OT_ERR_CLAIM, "logout token: neither sid nor sub");
    expect_logout(mint(with(logout_claims(), "sid", json_integer(4))),
                  OT_ERR_CLAIM, "logout token: sid a number");
    expect_logout(mint(with(logout_claims(), "sub", json_string(""))),
                  OT_ERR_CLAIM, "logout token: sub empty");
    expect_logout(mint(with(logout_claims(), "nonce", json_string(NONCE))),
                  OT_ERR_CLAIM, "logout token: with a nonce");
    ok(detail_has("nonce"), "  detail names the nonce");

    expect_logout(mint(with(logout_claims(), "events", NULL)), OT_ERR_CLAIM,
                  "logout token: events missing");
    expect_logout(mint(with(logout_claims(), "events",
                            json_pack("{s:{}}", "https://example.com/x"))),
                  OT_ERR_CLAIM, "logout token: events without ours");
    expect_logout(mint(with(logout_claims(), "events",
                            json_pack("{s:b}", LOGOUT_EVENT, 1))),
                  OT_ERR_CLAIM, "logout token: event value not an object");
    expect_logout(
        mint(with(logout_claims(), "events", json_pack("[s]", LOGOUT_EVENT))),
        OT_ERR_CLAIM, "logout token: events an array");
    expect_logout(
        mint(with(logout_claims(), "events", json_string(LOGOUT_EVENT))),
        OT_ERR_CLAIM, "logout token: events a string");
    expect_logout(mint(with(logout_claims(), "jti", NULL)), OT_ERR_CLAIM,
                  "logout token: jti missing");

    expect_logout(mint(with(logout_claims(), "aud", json_string("other"))),
                  OT_ERR_AUDIENCE, "logout token: aud wrong");
    expect_logout(mint(with(logout_claims(), "iss", json_string("https://x/"))),
                  OT_ERR_ISSUER, "logout token: iss wrong");
    expect_logout(mint(with(logout_claims(), "iat",
                            json_integer(NOW - MAX_AGE - SKEW - 1))),
                  OT_ERR_EXPIRED, "logout token: iat too old");
    expect_logout(
        mint(with(logout_claims(), "iat", json_integer(NOW + SKEW + 1))),
        OT_ERR_NOT_YET_VALID, "logout token: iat in the future");
    expect_logout(mint(with(logout_claims(), "iat", NULL)), OT_ERR_CLAIM,
                  "logout token: iat missing");
    expect_logout(
        mint(with(logout_claims(), "exp", json_integer(NOW - SKEW - 1))),
        OT_ERR_EXPIRED, "logout token: expired");
    expect_logout(mint(with(with(logout_claims(), "exp", NULL), "nbf",
                            json_integer(NOW + SKEW + 1))),
                  OT_ERR_NOT_YET_VALID,
                  "logout token: no exp, nbf still checked");

    spoof.kid = rsa_a.kid;
    expect_logout(mint_with(&spoof, "RS256", "logout+jwt", logout_claims()),
                  OT_ERR_SIGNATURE, "logout token: bad signature");
    expect_logout(mint_with(&rsa_a, "RS256", "at+jwt", logout_claims()),
                  OT_ERR_TYP, "logout token: typ at+jwt refused");
    is_str(last_detail, "an access token is not a logout token", "  detail");
    expect_logout(mint_with(&rsa_a, "RS256", "secevent+jwt", logout_claims()),
                  OT_ERR_TYP, "logout token: typ secevent+jwt refused");

    /* Neither can pass for the other. */
    expect_logout(mint(id_claims()), OT_ERR_CLAIM,
                  "an ID token is not a logout token");
    expect_id(mint(logout_claims()), OT_ERR_CLAIM,
              "a logout token is not an ID token (no nonce)");
    expect_id_pol(policy(), mint(logout_claims()), NULL, OT_ERR_CLAIM,
                  "a logout token is not an ID token (nonce not asked)");
}

int main(int argc, const char *const *argv)
{
    const test_key_t *set_a[2] = {&rsa_a, &ec_a};
    const test_key_t *set_other[1] = {&rsa_other};

    apr_app_initialize(&argc, &argv, NULL);
    apr_pool_create(&pool, NULL);
    mint_pool = pool;

    rsa_a.pkey = keygen("RSA", NULL, 2048);
    rsa_a.kid = "rsa-a";
    ec_a.pkey = keygen("EC", "P-256", 0);
    ec_a.kid = "ec-a";
    rsa_other.pkey = keygen("RSA", NULL, 2048);
    rsa_other.kid = "rsa-other";
    if (!ok(rsa_a.pkey && ec_a.pkey && rsa_other.pkey, "test keys generated")) {
        return done_testing();
    }
    jwks_a = make_jwks(set_a, 2);
    jwks_other = make_jwks(set_other, 1);
    if (!ok(jwks_a && jwks_other, "JWKS built from the public keys")) {
        return done_testing();
    }

    test_id_valid();
    test_id_issuer_audience();
    test_id_times();
    test_id_nonce_and_subject();
    test_id_header_and_signature();
    test_issuer_keys();
    test_logout_valid();
    test_logout_refused();

    EVP_PKEY_free(rsa_a.pkey);
    EVP_PKEY_free(ec_a.pkey);
    EVP_PKEY_free(rsa_other.pkey);
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
