/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* The access-token profile end to end: keys are generated and tokens minted
 * here, at test time, so nothing checked in can expire or leak. */

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
#include "token/claims.h"
#include "token/scope.h"

#define NOW APR_INT64_C(1700000000)
#define ISS_A "https://idp.example.com/"
#define ISS_B "https://other-idp.example.com/"
#define AUD "https://api.example.com"
#define LOGIN_CLIENT "webapp"
/* Planted in every minted token: no refusal detail may repeat it. */
#define CANARY "CANARY-from-token"

static apr_pool_t *pool;

static test_key_t rsa_a, ec_a, ed_a, rsa_b;
static ot_jwks_t *jwks_a, *jwks_b;

/* ---- minting ------------------------------------------------------------ */

static const char *mint(json_t *claims)
{
    return mint_with(&rsa_a, "RS256", "at+jwt", claims);
}

static json_t *base_claims(void)
{
    return ot_json_pool_own(
        pool, json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s}", "iss",
                        ISS_A, "aud", AUD, "sub", "alice", "exp",
                        (json_int_t)(NOW + 600), "iat", (json_int_t)(NOW - 10),
                        "scope", "orders:read orders:write", "client_id",
                        "cli-1", "jti", "id-1", "note", CANARY));
}

/* ---- policy and checks -------------------------------------------------- */

static ot_access_policy_t *policy(void)
{
    ot_access_policy_t *pol = apr_pcalloc(pool, sizeof(*pol));
    apr_array_header_t *issuers =
        apr_array_make(pool, 2, sizeof(ot_issuer_t *));
    ot_issuer_t *a = apr_pcalloc(pool, sizeof(*a));
    ot_issuer_t *b = apr_pcalloc(pool, sizeof(*b));

    a->issuer = ISS_A;
    a->jwks = jwks_a;
    b->issuer = ISS_B;
    b->jwks = jwks_b;
    APR_ARRAY_PUSH(issuers, ot_issuer_t *) = a;
    APR_ARRAY_PUSH(issuers, ot_issuer_t *) = b;
    pol->issuers = issuers;
    pol->audiences = strings(pool, AUD, "https://second.example.com", NULL);
    pol->algorithms = ot_alg_default_set();
    pol->clock_skew = 60;
    pol->login_clients = strings(pool, LOGIN_CLIENT, NULL);
    return pol;
}

static ot_access_token_t *last_token;
static const char *last_detail;

/* One check: the status is the expected one, and a refusal comes with a
 * detail that repeats nothing from the token. */
static int expect(const ot_access_policy_t *pol, const char *token,
                  ot_status_t want, const char *name)
{
    ot_status_t rv;
    int pass;

    last_token = NULL;
    last_detail = NULL;
    rv = ot_access_token_validate(pool, token, pol, NOW, &last_token,
                                  &last_detail);
    pass = rv == want
           && (rv == OT_OK ? last_token != NULL
                           : last_token == NULL && last_detail != NULL
                                 && strstr(last_detail, "CANARY") == NULL);
    return ok_status(pass, rv, want, last_detail, name);
}

/* ---- the tests ------------------------------------------------------------ */

static void test_valid_tokens(void)
{
    ot_access_policy_t *pol = policy();
    static const struct {
        test_key_t *key;
        const char *alg;
    } cases[] = {{&rsa_a, "RS256"},
                 {&rsa_a, "PS256"},
                 {&ec_a, "ES256"},
                 {&ed_a, "EdDSA"}};
    apr_size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *t =
            mint_with(cases[i].key, cases[i].alg, "at+jwt", base_claims());

        if (expect(pol, t, OT_OK,
                   apr_psprintf(pool, "valid %s token", cases[i].alg))) {
            is_str(last_token->alg, cases[i].alg, "  alg reported");
            is_str(last_token->kid, cases[i].key->kid, "  kid reported");
        }
    }

    if (expect(pol, mint(base_claims()), OT_OK, "valid token: outputs")) {
        is_str(last_token->subject, "alice", "subject from sub");
        is_str(last_token->client_id, "cli-1", "client_id");
        is_str(last_token->issuer->issuer, ISS_A, "issuer picked");
        is_int((long)last_token->exp, (long)(NOW + 600), "exp");
        is_str(ot_scope_join(pool, last_token->scopes),
               "orders:read orders:write", "scopes from the scope string");
        ok(last_token->claims != NULL
               && json_is_string(json_object_get(last_token->claims, "jti")),
           "claims kept");
    }

    /* An issuer of its own: B's token is checked with B's keys. */
    expect(pol,
           mint_with(&rsa_b, "RS256", "at+jwt",
                     with(base_claims(), "iss", json_string(ISS_B))),
           OT_OK, "second issuer, its own key");
    ok(last_token && strcmp(last_token->issuer->issuer, ISS_B) == 0,
       "second issuer picked");

    /* A kid-less token is tried against each key that fits the alg. */
    {
        test_key_t nokid = ec_a;

        nokid.kid = NULL;
        expect(pol, mint_with(&nokid, "ES256", "at+jwt", base_claims()), OT_OK,
               "token without kid verified by a fitting key");
        ok(last_token && last_token->kid == NULL, "  kid reported absent");
    }
}

static void test_times(void)
{
    ot_access_policy_t *pol = policy();

    expect(pol, mint(with(base_claims(), "exp", json_integer(NOW - 61))),
           OT_ERR_EXPIRED, "expired beyond the skew");
    expect(pol, mint(with(base_claims(), "exp", json_integer(NOW - 60))),
           OT_ERR_EXPIRED, "exp exactly now - skew is expired");
    expect(pol, mint(with(base_claims(), "exp", json_integer(NOW - 30))), OT_OK,
           "expired within the skew is accepted");
    expect(pol, mint(with(base_claims(), "exp", json_real(NOW + 0.5))), OT_OK,
           "exp a real number");
    expect(pol, mint(with(base_claims(), "exp", NULL)), OT_ERR_CLAIM,
           "exp missing");
    expect(pol, mint(with(base_claims(), "exp", json_string("1900000000"))),
           OT_ERR_CLAIM, "exp a string");
    expect(pol, mint(with(base_claims(), "exp", json_integer(-1))),
           OT_ERR_CLAIM, "exp negative");
    expect(pol,
           mint(with(base_claims(), "exp",
                     json_integer(APR_INT64_C(253402300800)))),
           OT_ERR_CLAIM, "exp after year 9999");
    expect(pol, mint(with(base_claims(), "exp", json_true())), OT_ERR_CLAIM,
           "exp a boolean");

    expect(pol, mint(with(base_claims(), "nbf", json_integer(NOW + 120))),
           OT_ERR_NOT_YET_VALID, "nbf in the future");
    expect(pol, mint(with(base_claims(), "nbf", json_integer(NOW + 30))), OT_OK,
           "nbf in the future within the skew");
    expect(pol, mint(with(base_claims(), "nbf", json_string("soon"))),
           OT_ERR_CLAIM, "nbf a string");
    expect(pol, mint(with(base_claims(), "iat", json_integer(NOW + 120))),
           OT_ERR_NOT_YET_VALID, "iat in the future");
    expect(pol, mint(with(base_claims(), "iat", json_integer(NOW + 60))), OT_OK,
           "iat exactly now + skew");
    expect(pol, mint(with(base_claims(), "iat", json_null())), OT_ERR_CLAIM,
           "iat null");
    expect(pol, mint(with(base_claims(), "iat", NULL)), OT_OK,
           "iat absent is accepted");

    pol->clock_skew = 0;
    expect(pol, mint(with(base_claims(), "exp", json_integer(NOW - 30))),
           OT_ERR_EXPIRED, "skew 0: expired 30 s ago");
}

static void test_issuer_and_keys(void)
{
    ot_access_policy_t *pol = policy();
    test_key_t spoof = rsa_b;

    expect(pol,
           mint(with(base_claims(), "iss",
                     json_string("https://evil.example/" CANARY))),
           OT_ERR_ISSUER, "iss untrusted");
    expect(pol, mint(with(base_claims(), "iss", json_string(ISS_A "x"))),
           OT_ERR_ISSUER, "iss a prefix match only");
    expect(pol, mint(with(base_claims(), "iss", NULL)), OT_ERR_ISSUER,
           "iss missing");
    expect(pol, mint(with(base_claims(), "iss", json_integer(1))),
           OT_ERR_ISSUER, "iss not a string");

    expect(pol, mint_with(&rsa_b, "RS256", "at+jwt", base_claims()),
           OT_ERR_NO_KEY, "iss A, signed by issuer B's key (B's kid)");
    spoof.kid = rsa_a.kid;
    expect(pol, mint_with(&spoof, "RS256", "at+jwt", base_claims()),
           OT_ERR_SIGNATURE, "iss A, signed by B's key under A's kid");
    spoof.kid = NULL;
    expect(pol, mint_with(&spoof, "RS256", "at+jwt", base_claims()),
           OT_ERR_SIGNATURE, "iss A, signed by B's key, no kid");

    pol->algorithms = ot_alg_by_name("RS256")->bit;
    expect(pol, mint_with(&ec_a, "ES256", "at+jwt", base_claims()), OT_ERR_ALG,
           "alg not on the allow-list");
    pol->issuers = NULL;
    expect(pol, mint(base_claims()), OT_ERR_ISSUER, "no issuer configured");
}

static void test_audience(void)
{
    ot_access_policy_t *pol = policy();

    expect(pol, mint(with(base_claims(), "aud", NULL)), OT_ERR_AUDIENCE,
           "aud missing");
    expect(pol,
           mint(with(base_claims(), "aud",
                     json_pack("[s, s]", "https://x.example", AUD))),
           OT_OK, "aud an array containing ours");
    expect(pol,
           mint(with(base_claims(), "aud",
                     json_string("https://second.example.com"))),
           OT_OK, "aud the second configured audience");
    expect(pol,
           mint(with(base_claims(), "aud", json_string("https://x.example"))),
           OT_ERR_AUDIENCE, "aud wrong");
    expect(pol, mint(with(base_claims(), "aud", json_pack("[s]", "https://x"))),
           OT_ERR_AUDIENCE, "aud array without ours");
    expect(pol, mint(with(base_claims(), "aud", json_array())), OT_ERR_AUDIENCE,
           "aud an empty array");
    expect(pol, mint(with(base_claims(), "aud", json_pack("[s, i]", AUD, 1))),
           OT_ERR_AUDIENCE, "aud array with a non-string element");
    expect(pol, mint(with(base_claims(), "aud", json_integer(5))),
           OT_ERR_AUDIENCE, "aud a number");
    expect(pol, mint(with(base_claims(), "aud", json_string(AUD "/"))),
           OT_ERR_AUDIENCE, "aud compared exactly");

    pol->audiences = NULL;
    expect(pol, mint(base_claims()), OT_ERR_AUDIENCE,
           "no audience configured: refused");
    pol->audiences = strings(pool, NULL);
    expect(pol, mint(base_claims()), OT_ERR_AUDIENCE,
           "empty audience list: refused");
}

static void test_typ(void)
{
    ot_access_policy_t *pol = policy();
    ot_access_policy_t *jwt = policy();

    jwt->accept_types = strings(pool, "at+jwt", "JWT", NULL);

    expect(pol, mint_with(&rsa_a, "RS256", NULL, base_claims()), OT_ERR_TYP,
           "typ missing: refused by default");
    expect(jwt, mint_with(&rsa_a, "RS256", NULL, base_claims()), OT_OK,
           "typ missing: accepted when JWT is listed");
    expect(pol, mint_with(&rsa_a, "RS256", "JWT", base_claims()), OT_ERR_TYP,
           "typ JWT: refused by default");
    expect(jwt, mint_with(&rsa_a, "RS256", "JWT", base_claims()), OT_OK,
           "typ JWT: accepted when listed");
    expect(pol, mint_with(&rsa_a, "RS256", "application/at+jwt", base_claims()),
           OT_OK, "typ application/at+jwt accepted");
    expect(pol, mint_with(&rsa_a, "RS256", "AT+JWT", base_claims()), OT_OK,
           "typ compared case-insensitively");
    expect(pol, mint_with(&rsa_a, "RS256", "secevent+jwt", base_claims()),
           OT_ERR_TYP, "typ of another JWT kind refused");

    ok(ot_access_typ_accepted(NULL, "at+jwt"), "typ: NULL list means at+jwt");
    ok(!ot_access_typ_accepted(NULL, NULL), "typ: NULL list refuses no typ");
    ok(ot_access_typ_accepted(strings(pool, NULL), "Application/AT+JWT"),
       "typ: empty list means at+jwt, prefix and case ignored");
    ok(ot_access_typ_accepted(strings(pool, "JWT", NULL), "application/jwt"),
       "typ: JWT entry admits application/jwt");
    ok(ot_access_typ_accepted(strings(pool, "application/jwt", NULL), NULL),
       "typ: application/jwt entry admits no typ");
    ok(!ot_access_typ_accepted(strings(pool, "JWT", NULL), "at+jwt"),
       "typ: JWT entry alone does not admit at+jwt");
    ok(ot_access_typ_accepted(strings(pool, "custom+jwt", NULL),
                              "application/Custom+JWT"),
       "typ: other entry matches with prefix, case-insensitively");
    ok(!ot_access_typ_accepted(strings(pool, "custom+jwt", NULL), NULL),
       "typ: other entry refuses no typ");
    ok(!ot_access_typ_accepted(strings(pool, "at+jwt", NULL), ""),
       "typ: empty typ is not absent");
    ok(!ot_access_typ_accepted(strings(pool, "at+jwt", NULL), "text/at+jwt"),
       "typ: another media type's subtype does not match");
}

static void test_id_tokens(void)
{
    ot_access_policy_t *jwt = policy();
    static const char *const marker_claims[] = {"nonce", "at_hash", "c_hash"};
    apr_size_t i;
    struct {
        const char *name;
        const char *key;
        json_t *value;
    } markers[] = {
        {"token_use id", "token_use", json_string("id")},
        {"payload typ ID (Keycloak)", "typ", json_string("ID")},
        {"aud the login client", "aud", json_string(LOGIN_CLIENT)},
        {"aud array with the login client", "aud",
         json_pack("[s, s]", AUD, LOGIN_CLIENT)},
    };

    /* Widened as most deployments must: the markers are then all that is
     * left to tell an ID token apart. */
    jwt->accept_types = strings(pool, "JWT", NULL);

    for (i = 0; i < sizeof(marker_claims) / sizeof(marker_claims[0]); i++) {
        const char *name = marker_claims[i];

        expect(jwt,
               mint_with(&rsa_a, "RS256", NULL,
                         with(base_claims(), name, json_string("x"))),
               OT_ERR_ID_TOKEN, apr_psprintf(pool, "ID token: %s", name));
        ok(last_detail
               && strstr(last_detail, "looks like an OpenID Connect ID token")
               && strstr(last_detail, name),
           "  detail names the marker");
    }
    for (i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
        expect(jwt,
               mint_with(&rsa_a, "RS256", "JWT",
                         with(base_claims(), markers[i].key, markers[i].value)),
               OT_ERR_ID_TOKEN,
               apr_psprintf(pool, "ID token: %s", markers[i].name));
    }
    expect(jwt,
           mint_with(&rsa_a, "RS256", NULL,
                     with(base_claims(), "token_use", json_string("access"))),
           OT_OK, "token_use access is no marker");
    expect(jwt,
           mint_with(&rsa_a, "RS256", NULL,
                     with(base_claims(), "typ", json_string("Bearer"))),
           OT_OK, "payload typ Bearer is no marker");

    /* The markers are looked at only once the signature holds. */
    {
        const char *t =
            mint_with(&rsa_a, "RS256", NULL,
                      with(base_claims(), "nonce", json_string("n")));
        char *bad = apr_pstrdup(pool, t);
        char *last = bad + strlen(bad) - 2;

        *last = *last == 'A' ? 'B' : 'A';
        expect(jwt, bad, OT_ERR_SIGNATURE,
               "ID token with a bad signature: signature error first");
    }
    jwt->login_clients = NULL;
    expect(jwt,
           mint_with(&rsa_a, "RS256", NULL,
                     with(base_claims(), "aud",
                          json_pack("[s, s]", AUD, LOGIN_CLIENT))),
           OT_OK, "no login clients configured: aud alone is no marker");
}

static void test_subject_and_client(void)
{
    ot_access_policy_t *pol = policy();
    json_t *c;

    expect(pol, mint(with(base_claims(), "sub", NULL)), OT_ERR_CLAIM,
           "sub missing");
    expect(pol, mint(with(base_claims(), "sub", json_string(""))), OT_ERR_CLAIM,
           "sub empty");
    expect(pol, mint(with(base_claims(), "sub", json_integer(7))), OT_ERR_CLAIM,
           "sub a number");

    pol->subject_claim = "preferred_username";
    if (expect(
            pol,
            mint(with(base_claims(), "preferred_username", json_string("bob"))),
            OT_OK, "subject claim configured")) {
        is_str(last_token->subject, "bob", "  subject from that claim");
    }
    expect(pol, mint(base_claims()), OT_ERR_CLAIM,
           "configured subject claim missing");
    ok(last_detail && strstr(last_detail, "preferred_username"),
       "  detail names the configured claim");

    pol = policy();
    c = with(base_claims(), "client_id", NULL);
    if (expect(pol, mint(with(c, "azp", json_string("azp-client"))), OT_OK,
               "azp only")) {
        is_str(last_token->client_id, "azp-client", "  client_id from azp");
    }
    if (expect(pol, mint(with(base_claims(), "azp", json_string("other"))),
               OT_OK, "client_id and azp")) {
        is_str(last_token->client_id, "cli-1", "  client_id preferred");
    }
    if (expect(pol, mint(with(base_claims(), "client_id", NULL)), OT_OK,
               "neither client_id nor azp")) {
        ok(last_token->client_id == NULL, "  client_id NULL");
    }
    if (expect(pol, mint(with(base_claims(), "client_id", json_integer(3))),
               OT_OK, "client_id not a string")) {
        ok(last_token->client_id == NULL, "  client_id NULL");
    }
}

static void test_scopes_in_tokens(void)
{
    ot_access_policy_t *pol = policy();

    if (expect(pol,
               mint(with(base_claims(), "scope", json_string("  a   b c  "))),
               OT_OK, "scope string with runs of spaces")) {
        is_str(ot_scope_join(pool, last_token->scopes), "a b c",
               "  split, no empty scopes");
    }
    if (expect(pol, mint(with(base_claims(), "scope", NULL)), OT_OK,
               "no scope claim")) {
        is_int(last_token->scopes->nelts, 0, "  no scopes");
    }
    pol->scope_claim = "scp";
    if (expect(pol,
               mint(with(base_claims(), "scp",
                         json_pack("[s, s]", "orders:read", "admin"))),
               OT_OK, "scopes from an scp array")) {
        is_str(ot_scope_join(pool, last_token->scopes), "orders:read admin",
               "  array scopes");
        ok(ot_scope_has(last_token->scopes, "admin")
               && !ot_scope_has(last_token->scopes, "orders:write"),
           "  scope claim replaced, not merged");
    }
}

/* Pads the payload until the token's length falls in [lo, hi]. */
static const char *token_of_length(apr_size_t lo, apr_size_t hi)
{
    apr_size_t base = strlen(mint(base_claims())) + 16;
    apr_size_t pad = lo > base ? (lo - base) * 3 / 4 : 0;
    apr_size_t tries;

    for (tries = 0; tries < 16; tries++, pad++) {
        char *filler = apr_palloc(pool, pad + 1);
        const char *t;

        memset(filler, 'a', pad);
        filler[pad] = '\0';
        t = mint(with(base_claims(), "pad", json_string(filler)));
        if (strlen(t) >= lo && strlen(t) <= hi) {
            return t;
        }
        if (strlen(t) > hi) {
            break;
        }
    }
    return NULL;
}

static void test_size(void)
{
    ot_access_policy_t *pol = policy();
    const char *t;

    t = token_of_length(OT_MAX_TOKEN_LEN - 3, OT_MAX_TOKEN_LEN);
    ok(t != NULL, "a token just at the size limit was minted");
    expect(pol, t, OT_OK, "token at the size limit accepted");
    t = token_of_length(OT_MAX_TOKEN_LEN + 1, OT_MAX_TOKEN_LEN + 4);
    ok(t != NULL, "a token just over the size limit was minted");
    expect(pol, t, OT_ERR_TOO_LARGE, "token over the size limit");
}

static void test_malformed(void)
{
    ot_access_policy_t *pol = policy();
    const char *t = mint(base_claims());
    json_t *none = ot_json_pool_own(
        pool, json_pack("{s:s, s:s}", "alg", "none", "typ", "at+jwt"));

    expect(pol, "", OT_ERR_MALFORMED, "empty token");
    expect(pol, "abc.def", OT_ERR_MALFORMED, "two parts");
    expect(pol, apr_pstrcat(pool, t, ".x", NULL), OT_ERR_MALFORMED,
           "four parts");
    expect(pol,
           apr_pstrcat(pool, json_b64(none), ".", json_b64(base_claims()), ".",
                       NULL),
           OT_ERR_ALG, "alg none");
    expect(pol, NULL, OT_ERR_MALFORMED, "NULL token");
}

static void test_claims_functions(void)
{
    json_t *c = ot_json_pool_own(
        pool,
        json_loads("{\"realm_access\":{\"roles\":[\"admin\",\"user\"]},"
                   "\"n\":42,\"r\":1.5,\"b\":true,\"f\":false,\"s\":\"x\","
                   "\"nested\":{\"deep\":{\"v\":\"y\"}},"
                   "\"arr\":[1,true,\"z\",[\"inner\"]],\"nul\":null,"
                   "\"obj\":{},\"a.b\":\"dotted\",\"big\":-9007199254740993,"
                   "\"exp\":1700000100,\"nbf\":1699999999.5}",
                   0, NULL));
    apr_array_header_t *auds = strings(pool, "one", "two", NULL);
    json_t *t;

    ok(c != NULL, "claims fixture parsed");
    ok(ot_claims_match(c, "realm_access.roles", "admin"),
       "match: nested path, array contains");
    ok(!ot_claims_match(c, "realm_access.roles", "guest"),
       "match: array lacks");
    ok(!ot_claims_match(c, "realm_access", "admin"), "match: object no");
    ok(ot_claims_match(c, "nested.deep.v", "y"), "match: deep path");
    ok(!ot_claims_match(c, "nested.deep.w", "y"), "match: missing leaf");
    ok(!ot_claims_match(c, "nested.x.v", "y"), "match: missing step");
    ok(ot_claims_match(c, "n", "42"), "match: integer by text");
    ok(!ot_claims_match(c, "n", "4"), "match: integer prefix no");
    ok(!ot_claims_match(c, "n", "42.0"), "match: integer vs 42.0");
    ok(ot_claims_match(c, "big", "-9007199254740993"),
       "match: large negative integer exact");
    ok(ot_claims_match(c, "r", "1.5"), "match: real");
    ok(!ot_claims_match(c, "r", "1.5x"), "match: real with junk");
    ok(!ot_claims_match(c, "r", ""), "match: real vs empty");
    ok(ot_claims_match(c, "b", "true"), "match: true");
    ok(!ot_claims_match(c, "b", "false"), "match: true vs false");
    ok(!ot_claims_match(c, "b", "1"), "match: true vs 1");
    ok(ot_claims_match(c, "f", "false"), "match: false");
    ok(ot_claims_match(c, "s", "x"), "match: string");
    ok(!ot_claims_match(c, "s", "X"), "match: string is case-sensitive");
    ok(ot_claims_match(c, "arr", "1") && ot_claims_match(c, "arr", "true")
           && ot_claims_match(c, "arr", "z"),
       "match: mixed array elements");
    ok(!ot_claims_match(c, "arr", "inner"), "match: no nested arrays");
    ok(!ot_claims_match(c, "nul", "null"), "match: null grants nothing");
    ok(!ot_claims_match(c, "obj", "{}"), "match: object grants nothing");
    ok(ot_claims_match(c, "a.b", "dotted"), "match: key with a dot");
    ok(!ot_claims_match(c, "", "x") && !ot_claims_match(c, NULL, "x")
           && !ot_claims_match(c, "s", NULL),
       "match: empty or NULL arguments");

    is_int((long)ot_claims_time(c, "exp"), 1700000100L, "time: integer");
    is_int((long)ot_claims_time(c, "nbf"), 1699999999L, "time: real floored");
    is_int((long)ot_claims_time(c, "s"), 0L, "time: not a number");
    is_int((long)ot_claims_time(c, "missing"), 0L, "time: absent");

    is_int(ot_claims_check_times(c, NOW, 0), OT_OK, "times: fixture valid");
    is_int(ot_claims_check_times(c, NOW - 1, 0), OT_ERR_NOT_YET_VALID,
           "times: fractional nbf rounds up");
    is_int(ot_claims_check_times(c, NOW + 100, 0), OT_ERR_EXPIRED,
           "times: exp == now");
    is_int(ot_claims_check_times(c, NOW + 100, APR_INT64_MAX), OT_OK,
           "times: huge skew does not overflow");
    is_int(ot_claims_check_times(c, NOW, -5), OT_OK,
           "times: negative skew treated as 0");

    t = ot_json_pool_own(pool, json_pack("{s:f}", "exp", 1e300));
    is_int(ot_claims_check_times(t, 0, 0), OT_ERR_CLAIM, "times: exp 1e300");
    t = ot_json_pool_own(
        pool, json_pack("{s:I, s:b}", "exp", (json_int_t)(NOW + 10), "iat", 1));
    is_int(ot_claims_check_times(t, NOW, 0), OT_ERR_CLAIM,
           "times: iat a boolean");
    t = ot_json_pool_own(pool,
                         json_pack("{s:I, s:I}", "exp", (json_int_t)(NOW + 10),
                                   "nbf", (json_int_t)-3));
    is_int(ot_claims_check_times(t, NOW, 0), OT_ERR_CLAIM,
           "times: negative nbf");

    t = ot_json_pool_own(pool,
                         json_pack("{s:s, s:s}", "iss", "I", "aud", "two"));
    is_int(ot_claims_check_issuer(t, "I"), OT_OK, "issuer: equal");
    is_int(ot_claims_check_issuer(t, "i"), OT_ERR_ISSUER,
           "issuer: case matters");
    is_int(ot_claims_check_issuer(t, NULL), OT_ERR_ISSUER, "issuer: NULL");
    is_int(ot_claims_check_issuer(c, "I"), OT_ERR_ISSUER, "issuer: absent");
    is_int(ot_claims_check_audience(t, auds), OT_OK, "audience: string");
    is_int(ot_claims_check_audience(t, NULL), OT_ERR_AUDIENCE,
           "audience: none configured");
    is_int(ot_claims_check_audience(c, auds), OT_ERR_AUDIENCE,
           "audience: absent");
}

static void test_scope_functions(void)
{
    json_t *c = ot_json_pool_own(
        pool, json_loads("{\"scope\":\" a  b \",\"empty\":\"\",\"spaces\":\""
                         "   \",\"scp\":[\"x\",1,\"\",\"y z\",null],"
                         "\"num\":5,\"ext\":{\"scope\":\"deep\"}}",
                         0, NULL));
    apr_array_header_t *s;

    s = ot_scope_list(pool, c, "scope");
    is_str(ot_scope_join(pool, s), "a b", "scope: string split");
    is_int(ot_scope_list(pool, c, "empty")->nelts, 0, "scope: empty string");
    is_int(ot_scope_list(pool, c, "spaces")->nelts, 0, "scope: only spaces");
    s = ot_scope_list(pool, c, "scp");
    is_str(ot_scope_join(pool, s), "x y z",
           "scope: array keeps strings only, as they are");
    is_int(s->nelts, 2, "scope: array entries");
    ok(ot_scope_has(s, "y z") && !ot_scope_has(s, "y"),
       "scope: array entries are not split");
    is_int(ot_scope_list(pool, c, "num")->nelts, 0, "scope: a number");
    is_int(ot_scope_list(pool, c, "none")->nelts, 0, "scope: absent");
    is_str(ot_scope_join(pool, ot_scope_list(pool, c, "ext.scope")), "deep",
           "scope: dotted claim name");
    is_str(ot_scope_join(pool, NULL), "", "scope: join of nothing");
    ok(!ot_scope_has(NULL, "a") && !ot_scope_has(s, NULL),
       "scope: has with NULL");
}

/* ---- keys from the provider (the policy's issuer_keys callback) ---------- */

typedef struct keys_cb_t {
    const ot_jwks_t *first; /* answer to refresh=0 */
    const ot_jwks_t *fresh; /* answer to refresh=1 */
    ot_status_t fail_first; /* OT_OK: answer */
    ot_status_t fail_fresh;
    int calls, refreshes;
    const ot_issuer_t *asked;
} keys_cb_t;

static ot_status_t keys_cb(void *baton, apr_pool_t *p,
                           const ot_issuer_t *issuer, int refresh,
                           const ot_jwks_t **jwks, const char **why)
{
    keys_cb_t *cb = baton;
    ot_status_t fail = refresh ? cb->fail_fresh : cb->fail_first;

    (void)p;
    cb->calls++;
    cb->refreshes += refresh != 0;
    cb->asked = issuer;
    if (fail != OT_OK) {
        *why = "https://idp.example.com/jwks: connection refused";
        return fail;
    }
    *jwks = refresh ? cb->fresh : cb->first;
    return OT_OK;
}

/* A policy whose issuer A has no static keys and asks cb. */
static ot_access_policy_t *dynamic_policy(keys_cb_t *cb)
{
    ot_access_policy_t *pol = policy();
    ot_issuer_t *a = APR_ARRAY_IDX(pol->issuers, 0, ot_issuer_t *);

    a->jwks = NULL;
    memset(cb, 0, sizeof(*cb));
    pol->issuer_keys = keys_cb;
    pol->issuer_keys_baton = cb;
    return pol;
}

static void test_issuer_keys(void)
{
    keys_cb_t cb;
    ot_access_policy_t *pol;
    const ot_issuer_t *a;

    pol = dynamic_policy(&cb);
    a = APR_ARRAY_IDX(pol->issuers, 0, const ot_issuer_t *);
    cb.first = jwks_a;
    expect(pol, mint(base_claims()), OT_OK, "dynamic keys: kid in the set");
    is_int(cb.calls, 1, "  exactly one callback call");
    is_int(cb.refreshes, 0, "  no refresh asked");
    ok(cb.asked == a, "  asked for the token's issuer");

    /* A rotated key: the current set lacks the kid, the newer one has it. */
    pol = dynamic_policy(&cb);
    cb.first = jwks_b;
    cb.fresh = jwks_a;
    expect(pol, mint(base_claims()), OT_OK,
           "dynamic keys: unknown kid, found after one refresh");
    is_int(cb.calls, 2, "  exactly two callback calls");
    is_int(cb.refreshes, 1, "  the second one a refresh");

    pol = dynamic_policy(&cb);
    cb.first = jwks_b;
    cb.fresh = jwks_b;
    expect(pol, mint(base_claims()), OT_ERR_NO_KEY,
           "dynamic keys: kid still unknown after the refresh");
    is_int(cb.calls, 2, "  no second refresh");

    pol = dynamic_policy(&cb);
    cb.fail_first = OT_ERR_UNAVAILABLE;
    expect(pol, mint(base_claims()), OT_ERR_UNAVAILABLE,
           "dynamic keys: callback fails");
    is_str(last_detail, "https://idp.example.com/jwks: connection refused",
           "  detail is the callback's why");
    is_int(cb.calls, 1, "  asked once");

    pol = dynamic_policy(&cb);
    cb.first = jwks_b;
    cb.fail_fresh = OT_ERR_UNAVAILABLE;
    expect(pol, mint(base_claims()), OT_ERR_UNAVAILABLE,
           "dynamic keys: refresh fails");
    is_int(cb.calls, 2, "  asked twice");

    pol = dynamic_policy(&cb);
    expect(pol, mint(base_claims()), OT_ERR_UNAVAILABLE,
           "dynamic keys: callback answers OT_OK without a set");

    /* A known kid whose signature fails is no reason to bother the
     * provider: only an unknown kid is. */
    {
        test_key_t spoof = rsa_b;

        pol = dynamic_policy(&cb);
        cb.first = jwks_a;
        cb.fresh = jwks_a;
        spoof.kid = rsa_a.kid;
        expect(pol, mint_with(&spoof, "RS256", "at+jwt", base_claims()),
               OT_ERR_SIGNATURE, "dynamic keys: known kid, bad signature");
        is_int(cb.calls, 1, "  no refresh");
    }
    pol = dynamic_policy(&cb);
    cb.first = jwks_a;
    pol->algorithms = ot_alg_by_name("RS256")->bit;
    expect(pol, mint_with(&ec_a, "ES256", "at+jwt", base_claims()), OT_ERR_ALG,
           "dynamic keys: alg not allowed");
    is_int(cb.refreshes, 0, "  no refresh");

    /* Refusals that come before the keys cost no provider call. */
    pol = dynamic_policy(&cb);
    cb.first = jwks_a;
    expect(pol, mint_with(&rsa_a, "RS256", "JWT", base_claims()), OT_ERR_TYP,
           "dynamic keys: typ refused first");
    expect(
        pol,
        mint(with(base_claims(), "iss", json_string("https://evil.example"))),
        OT_ERR_ISSUER, "dynamic keys: untrusted iss refused first");
    is_int(cb.calls, 0, "  the callback was not asked");

    /* Static keys are final: the callback is for the other issuers. */
    pol = dynamic_policy(&cb);
    cb.first = jwks_b;
    expect(pol,
           mint_with(&rsa_b, "RS256", "at+jwt",
                     with(base_claims(), "iss", json_string(ISS_B))),
           OT_OK, "static issuer next to a dynamic one");
    expect(pol,
           mint_with(&rsa_a, "RS256", "at+jwt",
                     with(base_claims(), "iss", json_string(ISS_B))),
           OT_ERR_NO_KEY, "static issuer: unknown kid, no refresh");
    is_int(cb.calls, 0, "  the callback was not asked");

    pol = dynamic_policy(&cb);
    pol->issuer_keys = NULL;
    expect(pol, mint(base_claims()), OT_ERR_UNAVAILABLE,
           "issuer with neither keys nor a callback");
    is_str(last_detail, "no keys for issuer", "  detail");
}

static void test_reported_typ(void)
{
    ot_access_policy_t *pol = policy();

    pol->accept_types = strings(pool, "at+jwt", "JWT", NULL);
    if (expect(pol,
               mint_with(&rsa_a, "RS256", "application/at+jwt", base_claims()),
               OT_OK, "typ reported: token with typ")) {
        is_str(last_token->typ, "application/at+jwt", "  typ as sent");
    }
    if (expect(pol, mint_with(&rsa_a, "RS256", NULL, base_claims()), OT_OK,
               "typ reported: token without typ")) {
        ok(last_token->typ == NULL, "  typ NULL");
    }
}

static void test_claims_check_and_issuer_lookup(void)
{
    ot_access_policy_t *pol = policy();
    ot_access_token_t tok;
    const char *detail = NULL;
    json_t *c = with(base_claims(), "exp", NULL);

    memset(&tok, 0, sizeof(tok));
    is_int(
        ot_access_claims_check(pool, pol, base_claims(), NOW, 0, &tok, &detail),
        OT_OK, "claims check: valid claims");
    is_str(tok.subject, "alice", "  subject filled");
    is_str(tok.client_id, "cli-1", "  client_id filled");
    is_int((long)tok.exp, (long)(NOW + 600), "  exp filled");
    is_int(tok.scopes ? tok.scopes->nelts : -1, 2, "  scopes filled");
    ok(tok.issuer == NULL && tok.alg == NULL, "  issuer and alg left alone");

    memset(&tok, 0, sizeof(tok));
    is_int(ot_access_claims_check(pool, pol, c, NOW, 0, &tok, &detail),
           OT_ERR_CLAIM, "claims check: exp required of a JWT");
    ok(tok.subject == NULL, "  token left alone on failure");
    is_int(ot_access_claims_check(pool, pol, c, NOW, OT_CLAIMS_INTROSPECTION,
                                  &tok, &detail),
           OT_OK, "claims check: exp optional for introspection");
    is_int((long)tok.exp, 0L, "  exp 0");
    is_int(ot_access_claims_check(pool, pol,
                                  with(c, "nbf", json_integer(NOW + 120)), NOW,
                                  OT_CLAIMS_INTROSPECTION, &tok, &detail),
           OT_ERR_NOT_YET_VALID,
           "claims check: introspection without exp, nbf still checked");
    is_int(ot_access_claims_check(
               pool, pol,
               with(base_claims(), "token_type", json_string("refresh_token")),
               NOW, 0, &tok, &detail),
           OT_OK, "claims check: token_type not looked at in a JWT");
    is_int(ot_access_claims_check(pool, NULL, base_claims(), NOW, 0, &tok,
                                  &detail),
           OT_ERR_INTERNAL, "claims check: no policy");

    ok(ot_access_policy_issuer(pol, ISS_B)
           == APR_ARRAY_IDX(pol->issuers, 1, const ot_issuer_t *),
       "policy issuer: found by name");
    ok(ot_access_policy_issuer(pol, ISS_A "x") == NULL
           && ot_access_policy_issuer(pol, "https://IDP.example.com/") == NULL,
       "policy issuer: exact match only");
    ok(ot_access_policy_issuer(pol, NULL) == NULL
           && ot_access_policy_issuer(NULL, ISS_A) == NULL,
       "policy issuer: NULL arguments");
}

int main(int argc, const char *const *argv)
{
    const test_key_t *set_a[3] = {&rsa_a, &ec_a, &ed_a};
    const test_key_t *set_b[1] = {&rsa_b};

    apr_app_initialize(&argc, &argv, NULL);
    apr_pool_create(&pool, NULL);
    mint_pool = pool;

    rsa_a.pkey = keygen("RSA", NULL, 2048);
    rsa_a.kid = "rsa-a";
    ec_a.pkey = keygen("EC", "P-256", 0);
    ec_a.kid = "ec-a";
    ed_a.pkey = keygen("ED25519", NULL, 0);
    ed_a.kid = "ed-a";
    rsa_b.pkey = keygen("RSA", NULL, 2048);
    rsa_b.kid = "rsa-b";
    if (!ok(rsa_a.pkey && ec_a.pkey && ed_a.pkey && rsa_b.pkey,
            "test keys generated")) {
        return done_testing();
    }
    jwks_a = make_jwks(set_a, 3);
    jwks_b = make_jwks(set_b, 1);
    if (!ok(jwks_a && jwks_a->keys->nelts == 3 && jwks_b
                && jwks_b->keys->nelts == 1,
            "JWKS built from the public keys")) {
        return done_testing();
    }

    test_valid_tokens();
    test_times();
    test_issuer_and_keys();
    test_audience();
    test_typ();
    test_id_tokens();
    test_subject_and_client();
    test_scopes_in_tokens();
    test_size();
    test_malformed();
    test_claims_functions();
    test_scope_functions();
    test_issuer_keys();
    test_reported_typ();
    test_claims_check_and_issuer_lookup();

    EVP_PKEY_free(rsa_a.pkey);
    EVP_PKEY_free(ec_a.pkey);
    EVP_PKEY_free(ed_a.pkey);
    EVP_PKEY_free(rsa_b.pkey);
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
