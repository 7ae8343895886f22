/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* The end of a login against a canned token endpoint: the request that goes
 * out is checked byte for byte, the ID token that comes back is minted here
 * with a key generated at test time, and every kind of answer (and of
 * failure to answer) maps to its one status. Also the refresh grant and the
 * RP-initiated logout URL. */

#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "tap.h"
#include "status_check.h"
#include "canned_fetch.h"
#include "values.h"
#include "ot.h"
#include "util/b64url.h"
#include "util/json.h"
#include "jose/alg.h"
#include "jose/jwks.h"
#include "fetch/fetch.h"
#include "token/access.h"
#include "oidc/callback.h"

#define NOW APR_INT64_C(1700000000)
#define ISS "https://idp.example.com/"
#define TOKEN_URL "https://idp.example.com/token"
#define CLIENT "webapp"
#define NONCE "n-0S6_WzA2Mj"
/* ':' and '%' must not reach the provider raw (RFC 6749 2.3.1). */
#define SECRET "s:e%c r+t~"
#define SECRET_FORM "s%3Ae%25c%20r%2Bt~"
/* base64("webapp:" SECRET_FORM), computed outside the code under test. */
#define BASIC "Basic d2ViYXBwOnMlM0FlJTI1YyUyMHIlMkJ0fg=="
#define REDIRECT "https://rp.example.com/cb?x=1&y=a b"
#define REDIRECT_FORM "https%3A%2F%2Frp.example.com%2Fcb%3Fx%3D1%26y%3Da%20b"
#define CODE "c0de/+="
#define CODE_FORM "c0de%2F%2B%3D"
#define VERIFIER "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
#define EXCHANGE_FORM                                                          \
    "grant_type=authorization_code&code=" CODE_FORM                            \
    "&redirect_uri=" REDIRECT_FORM "&code_verifier=" VERIFIER
/* In tokens and answers: no refusal detail may repeat it. */
#define CANARY "CANARY-in-answer"

static apr_pool_t *pool;
static EVP_PKEY *rsa;
static ot_jwks_t *jwks;

/* ---- the canned token endpoint -------------------------------------------- */

static void answer_json(int status, json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT);

    answer(status, apr_pstrdup(pool, text));
    free(text);
    json_decref(j);
}

/* ---- minting an ID token ------------------------------------------------- */

static const char *b64(const void *data, apr_size_t len)
{
    return ot_b64url_encode(pool, data, len);
}

static const char *bn_param(const char *name)
{
    BIGNUM *bn = NULL;
    unsigned char *buf;
    int len;

    if (EVP_PKEY_get_bn_param(rsa, name, &bn) != 1) {
        return "";
    }
    len = BN_num_bytes(bn);
    buf = apr_palloc(pool, (apr_size_t)len);
    BN_bn2bin(bn, buf);
    BN_free(bn);
    return b64(buf, (apr_size_t)len);
}

static ot_jwks_t *make_jwks(void)
{
    json_t *set = ot_json_pool_own(
        pool, json_pack("{s:[{s:s, s:s, s:s, s:s}]}", "keys", "kty", "RSA",
                        "kid", "k1", "n", bn_param(OSSL_PKEY_PARAM_RSA_N), "e",
                        bn_param(OSSL_PKEY_PARAM_RSA_E)));
    char *text = json_dumps(set, JSON_COMPACT);
    ot_jwks_t *out = NULL;
    const char *why = NULL;

    if (ot_jwks_parse(pool, text, strlen(text), &out, &why) != OT_OK) {
        diag("JWKS refused: %s", why ? why : "?");
    }
    free(text);
    return out;
}

static const char *json_b64(json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT);
    const char *out = b64(text, strlen(text));

    free(text);
    return out;
}

static const char *mint(json_t *claims)
{
    json_t *hdr =
        ot_json_pool_own(pool, json_pack("{s:s, s:s, s:s}", "alg", "RS256",
                                         "kid", "k1", "typ", "JWT"));
    const char *input =
        apr_pstrcat(pool, json_b64(hdr), ".", json_b64(claims), NULL);
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    unsigned char *sig;
    size_t sig_len = 0;
    const char *out = NULL;

    if (EVP_DigestSignInit_ex(mctx, NULL, "SHA256", NULL, NULL, rsa, NULL) == 1
        && EVP_DigestSign(mctx, NULL, &sig_len, (const unsigned char *)input,
                          strlen(input))
               == 1) {
        sig = apr_palloc(pool, sig_len);
        if (EVP_DigestSign(mctx, sig, &sig_len, (const unsigned char *)input,
                           strlen(input))
            == 1) {
            out = apr_pstrcat(pool, input, ".", b64(sig, sig_len), NULL);
        }
    }
    EVP_MD_CTX_free(mctx);
    return out;
}

static json_t *id_claims(void)
{
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s}", "iss", ISS,
                     "aud", CLIENT, "sub", "alice", "exp",
                     (json_int_t)(NOW + 300), "iat", (json_int_t)(NOW - 2),
                     "nonce", NONCE, "sid", "sid-1", "note", CANARY);
}

/* The usual token response around id_token (NULL: none), changed by
 * key/value (value NULL: removed). Takes id (may be NULL). */
static void answer_tokens_with(json_t *id, const char *key, json_t *value)
{
    json_t *j =
        json_pack("{s:s, s:s, s:s, s:i, s:s}", "access_token", "at-1." CANARY,
                  "token_type", "Bearer", "refresh_token", "rt-1", "expires_in",
                  300, "scope", "openid profile");

    if (id != NULL) {
        json_object_set_new(j, "id_token", json_string(mint(id)));
        json_decref(id);
    }
    if (key != NULL) {
        with(j, key, value);
    }
    answer_json(200, j);
}

static void answer_tokens(void)
{
    answer_tokens_with(id_claims(), NULL, NULL);
}

/* ---- configuration ------------------------------------------------------- */

static ot_issuer_t issuer = {ISS, NULL, NULL, NULL, NULL};
static ot_metadata_t metadata;
static ot_client_t client_basic = {CLIENT, SECRET, OT_CLIENT_AUTH_BASIC,
                                   REDIRECT};
static ot_client_t client_post = {CLIENT, SECRET, OT_CLIENT_AUTH_POST,
                                  REDIRECT};
static ot_client_t client_public = {CLIENT, NULL, OT_CLIENT_AUTH_BASIC,
                                    REDIRECT};
static ot_login_t login = {"state-1", NONCE, VERIFIER, "binding", "/app", NOW};

static ot_access_policy_t *policy(void)
{
    ot_access_policy_t *pol = apr_pcalloc(pool, sizeof(*pol));
    apr_array_header_t *issuers =
        apr_array_make(pool, 1, sizeof(ot_issuer_t *));

    issuer.jwks = jwks;
    APR_ARRAY_PUSH(issuers, ot_issuer_t *) = &issuer;
    pol->issuers = issuers;
    pol->algorithms = ot_alg_default_set();
    pol->clock_skew = 60;
    return pol;
}

/* ---- checks ---------------------------------------------------------------- */

static ot_login_result_t result;
static const char *last_detail;

/* The status is the expected one; a refusal leaves the result alone and
 * comes with a detail that repeats nothing from the tokens. */
static int judge(ot_status_t rv, ot_status_t want, const char *name)
{
    int pass =
        rv == want
        && (rv == OT_OK
            || (last_detail != NULL && strstr(last_detail, "CANARY") == NULL
                && strcmp(result.subject, "untouched") == 0));

    return ok_status(pass, rv, want, last_detail, name);
}

static int exchange_as(const ot_client_t *client, const char *code,
                       ot_status_t want, const char *name)
{
    memset(&result, 0, sizeof(result));
    result.subject = "untouched";
    last_detail = NULL;
    return judge(ot_callback_exchange(pool, &fetcher, &metadata, &issuer,
                                      policy(), client, &login, code, NOW,
                                      &result, &last_detail),
                 want, name);
}

static int exchange(ot_status_t want, const char *name)
{
    return exchange_as(&client_basic, CODE, want, name);
}

static int detail_has(const char *what)
{
    return last_detail != NULL && strstr(last_detail, what) != NULL;
}

/* ---- the code exchange ------------------------------------------------------ */

static void test_exchange_request(void)
{
    answer_tokens();
    exchange(OT_OK, "exchange: basic auth");
    is_int(canned.calls, 1, "  one request");
    is_str(canned.method, "POST", "  POST");
    is_str(canned.url, TOKEN_URL, "  to the token endpoint");
    is_str(canned.content_type, "application/x-www-form-urlencoded",
           "  form content type");
    is_str(canned.sent, EXCHANGE_FORM,
           "  body: grant, code, redirect_uri and verifier, encoded");
    is_int((long)canned.sent_len, (long)strlen(EXCHANGE_FORM), "  body length");
    is_str(canned.authorization, BASIC, "  Basic over the encoded credentials");
    is_int((long)canned.max_response, 64L * 1024, "  response bounded");

    answer_tokens();
    exchange_as(&client_post, CODE, OT_OK, "exchange: post auth");
    is_str(canned.sent,
           EXCHANGE_FORM "&client_id=" CLIENT "&client_secret=" SECRET_FORM,
           "  credentials in the body");
    ok(canned.authorization == NULL, "  no Authorization header");

    answer_tokens();
    exchange_as(&client_public, CODE, OT_OK, "exchange: public client");
    is_str(canned.sent, EXCHANGE_FORM "&client_id=" CLIENT,
           "  client_id in the body, no secret");
    ok(canned.authorization == NULL, "  no Authorization header");
}

static void test_exchange_result(void)
{
    answer_tokens();
    if (!exchange(OT_OK, "exchange: success")) {
        return;
    }
    is_str(result.subject, "alice", "  subject");
    is_str(result.sid, "sid-1", "  sid from the ID token");
    is_str(result.access_token, "at-1." CANARY, "  access token");
    is_str(result.refresh_token, "rt-1", "  refresh token");
    is_str(result.scope, "openid profile", "  scope as granted");
    is_int((long)result.access_expires, (long)(NOW + 300),
           "  access_expires = now + expires_in");
    ok(result.id_token != NULL && strncmp(result.id_token, "eyJ", 3) == 0,
       "  ID token kept");
    ok(json_is_object(result.id_claims)
           && strcmp(ot_json_string(result.id_claims, "note"), CANARY) == 0,
       "  ID token claims");

    answer_tokens_with(with(id_claims(), "sid", NULL), NULL, NULL);
    if (exchange(OT_OK, "exchange: ID token without sid")) {
        ok(result.sid == NULL, "  sid NULL");
    }
    answer_tokens_with(with(id_claims(), "sid", json_integer(3)), NULL, NULL);
    if (exchange(OT_OK, "exchange: sid not a string")) {
        ok(result.sid == NULL, "  sid NULL");
    }
    answer_tokens_with(id_claims(), "scope", NULL);
    if (exchange(OT_OK, "exchange: no scope in the answer")) {
        ok(result.scope == NULL,
           "  scope NULL (the caller knows what it asked)");
    }
    answer_tokens_with(id_claims(), "expires_in", NULL);
    if (exchange(OT_OK, "exchange: no expires_in")) {
        is_int((long)result.access_expires, 0L, "  access_expires 0");
    }
    answer_tokens_with(id_claims(), "expires_in", json_real(299.9));
    if (exchange(OT_OK, "exchange: expires_in a real")) {
        is_int((long)result.access_expires, (long)(NOW + 299),
               "  rounded down");
    }
    answer_tokens_with(id_claims(), "expires_in", json_string("3599"));
    if (exchange(OT_OK, "exchange: expires_in quoted (older providers)")) {
        is_int((long)result.access_expires, (long)(NOW + 3599),
               "  taken as the number it spells");
    }
    answer_tokens_with(id_claims(), "refresh_token", NULL);
    if (exchange(OT_OK, "exchange: no refresh token")) {
        ok(result.refresh_token == NULL, "  refresh_token NULL");
    }
    answer_tokens_with(id_claims(), "token_type", json_string("bearer"));
    exchange(OT_OK, "exchange: token_type compared case-insensitively");
    {
        json_t *claims = ot_json_pool_own(pool, id_claims());
        json_t *j = json_pack("{s:s}", "id_token", mint(claims));

        answer_json(200, j);
        if (exchange(OT_OK, "exchange: only an ID token")) {
            ok(result.access_token == NULL && result.access_expires == 0,
               "  no access token, no expiry");
        }
    }
}

static void test_exchange_refusals(void)
{
    answer_json(400, json_pack("{s:s, s:s}", "error", "invalid_grant",
                               "error_description", CANARY));
    exchange(OT_ERR_CLAIM, "exchange: 400 invalid_grant");
    is_str(last_detail, "token endpoint refused the code: invalid_grant",
           "  detail names the error code only");

    answer_json(401, json_pack("{s:s}", "error", "invalid_client"));
    exchange(OT_ERR_CLAIM, "exchange: 401 invalid_client");
    ok(detail_has("invalid_client"), "  detail names it");

    answer_json(400, json_pack("{s:s}", "error", "bad\"code\n" CANARY));
    exchange(OT_ERR_CLAIM, "exchange: 400 with an unprintable error code");
    is_str(last_detail, "token endpoint refused the code: HTTP 400",
           "  the code is not repeated");
    {
        char *longcode = apr_palloc(pool, 201);

        memset(longcode, 'e', 200);
        longcode[200] = '\0';
        answer_json(400, json_pack("{s:s}", "error", longcode));
        exchange(OT_ERR_CLAIM, "exchange: 400 with a very long error code");
        ok(last_detail && strlen(last_detail) < 120, "  detail bounded");
    }
    answer(403, "<html>" CANARY "</html>");
    exchange(OT_ERR_CLAIM, "exchange: 403 without JSON");
    is_str(last_detail, "token endpoint refused the code: HTTP 403",
           "  detail");

    answer_json(500, json_pack("{s:s}", "error", "server_error"));
    exchange(OT_ERR_UNAVAILABLE, "exchange: 500");
    answer(503, NULL);
    exchange(OT_ERR_UNAVAILABLE, "exchange: 503 without a body");
    answer(302, "");
    exchange(OT_ERR_UNAVAILABLE, "exchange: 302");

    memset(&canned, 0, sizeof(canned));
    canned.rv = OT_ERR_UNAVAILABLE;
    canned.why = "https://idp.example.com/token: connection refused";
    exchange(OT_ERR_UNAVAILABLE, "exchange: fetch failure");
    is_str(last_detail, "https://idp.example.com/token: connection refused",
           "  detail is the fetcher's why");

    answer(200, "<html>" CANARY "</html>");
    exchange(OT_ERR_UNAVAILABLE, "exchange: 200 without JSON");
    answer(200, "[\"" CANARY "\"]");
    exchange(OT_ERR_UNAVAILABLE, "exchange: 200 with a JSON array");

    answer_tokens_with(NULL, NULL, NULL);
    exchange(OT_ERR_CLAIM, "exchange: no id_token");
    ok(detail_has("id_token"), "  detail names it");
    answer_tokens_with(NULL, "id_token", json_integer(1));
    exchange(OT_ERR_CLAIM, "exchange: id_token not a string");
    answer_tokens_with(NULL, "id_token", json_string("not.a.jwt"));
    exchange(OT_ERR_MALFORMED, "exchange: id_token not a JWS");

    answer_tokens_with(with(id_claims(), "nonce", json_string("another")), NULL,
                       NULL);
    exchange(OT_ERR_CLAIM, "exchange: ID token with another nonce");
    ok(detail_has("nonce"), "  detail names the nonce");
    answer_tokens_with(with(id_claims(), "aud", json_string("other-client")),
                       NULL, NULL);
    exchange(OT_ERR_AUDIENCE, "exchange: ID token for another client");
    answer_tokens_with(with(id_claims(), "iat", json_integer(NOW - 3600)), NULL,
                       NULL);
    exchange(OT_ERR_EXPIRED, "exchange: ID token issued an hour ago");
    answer_tokens_with(with(id_claims(), "iss", json_string("https://x/")),
                       NULL, NULL);
    exchange(OT_ERR_ISSUER, "exchange: ID token of another issuer");

    answer_tokens_with(id_claims(), "token_type", json_string("DPoP"));
    exchange(OT_ERR_CLAIM, "exchange: token_type DPoP");
    ok(detail_has("Bearer"), "  detail says Bearer was wanted");
    answer_tokens_with(id_claims(), "token_type", NULL);
    exchange(OT_ERR_CLAIM, "exchange: access token without token_type");
    answer_tokens_with(id_claims(), "access_token", json_integer(5));
    exchange(OT_ERR_CLAIM, "exchange: access_token not a string");
    answer_tokens_with(id_claims(), "expires_in", json_string("3O0"));
    exchange(OT_ERR_CLAIM, "exchange: expires_in a string, not digits");
    answer_tokens_with(id_claims(), "expires_in", json_string("-300"));
    exchange(OT_ERR_CLAIM, "exchange: expires_in a quoted negative");
    answer_tokens_with(id_claims(), "expires_in", json_string("99999999999"));
    exchange(OT_ERR_CLAIM, "exchange: expires_in quoted, too many digits");
    answer_tokens_with(id_claims(), "expires_in", json_true());
    exchange(OT_ERR_CLAIM, "exchange: expires_in a boolean");
    answer_tokens_with(id_claims(), "expires_in", json_integer(-5));
    exchange(OT_ERR_CLAIM, "exchange: expires_in negative");
    answer_tokens_with(id_claims(), "expires_in",
                       json_integer(APR_INT64_C(1) << 62));
    exchange(OT_ERR_CLAIM, "exchange: expires_in absurdly large");
}

static void test_exchange_inputs(void)
{
    ot_client_t no_id = client_basic;

    answer_tokens();
    exchange_as(&client_basic, "", OT_ERR_MALFORMED, "exchange: empty code");
    exchange_as(&client_basic, NULL, OT_ERR_MALFORMED, "exchange: no code");
    {
        char *big = apr_palloc(pool, OT_MAX_TOKEN_LEN + 2);

        memset(big, 'c', OT_MAX_TOKEN_LEN + 1);
        big[OT_MAX_TOKEN_LEN + 1] = '\0';
        exchange_as(&client_basic, big, OT_ERR_TOO_LARGE,
                    "exchange: code over the size limit");
    }
    no_id.client_id = NULL;
    exchange_as(&no_id, CODE, OT_ERR_INTERNAL, "exchange: no client id");

    metadata.issuer = "https://other.example.com/";
    exchange(OT_ERR_ISSUER, "exchange: metadata of another issuer");
    metadata.issuer = ISS;
    is_int(canned.calls, 0, "  none of these asked the provider");
}

/* ---- the refresh grant ---------------------------------------------------- */

static int refresh_as(const ot_client_t *client, const char *token,
                      ot_status_t want, const char *name)
{
    memset(&result, 0, sizeof(result));
    result.subject = "untouched";
    result.scope = "openid";
    last_detail = NULL;
    return judge(ot_callback_refresh(pool, &fetcher, &metadata, client, token,
                                     NOW, &result, &last_detail),
                 want, name);
}

static void test_refresh(void)
{
    answer_tokens_with(NULL, "refresh_token", json_string("rt-2"));
    if (refresh_as(&client_basic, "rt+old", OT_OK, "refresh: basic auth")) {
        is_str(canned.sent, "grant_type=refresh_token&refresh_token=rt%2Bold",
               "  body");
        is_str(canned.authorization, BASIC, "  Basic header");
        is_str(canned.url, TOKEN_URL, "  token endpoint");
        is_str(canned.method, "POST", "  POST");
        is_str(result.access_token, "at-1." CANARY, "  new access token");
        is_str(result.refresh_token, "rt-2", "  new refresh token");
        is_int((long)result.access_expires, (long)(NOW + 300),
               "  access_expires");
        is_str(result.subject, "untouched", "  the rest left alone");
    }
    answer_tokens_with(NULL, "refresh_token", NULL);
    if (refresh_as(&client_post, "rt+old", OT_OK,
                   "refresh: post auth, no new refresh token")) {
        is_str(
            canned.sent,
            "grant_type=refresh_token&refresh_token=rt%2Bold&client_id=" CLIENT
            "&client_secret=" SECRET_FORM,
            "  body with the credentials");
        ok(canned.authorization == NULL, "  no Authorization header");
        is_str(result.refresh_token, "rt+old", "  old refresh token kept");
    }
    answer_tokens_with(NULL, "scope", NULL);
    if (refresh_as(&client_basic, "rt", OT_OK, "refresh: no scope")) {
        is_str(result.scope, "openid", "  scope left alone");
    }

    answer_json(400, json_pack("{s:s}", "error", "invalid_grant"));
    refresh_as(&client_basic, "rt", OT_ERR_CLAIM, "refresh: 400 invalid_grant");
    is_str(last_detail,
           "token endpoint refused the refresh token: "
           "invalid_grant",
           "  detail");
    answer(500, "oops");
    refresh_as(&client_basic, "rt", OT_ERR_UNAVAILABLE, "refresh: 500");
    answer(200, "nonsense");
    refresh_as(&client_basic, "rt", OT_ERR_UNAVAILABLE, "refresh: not JSON");
    answer_tokens_with(NULL, "access_token", NULL);
    refresh_as(&client_basic, "rt", OT_ERR_CLAIM,
               "refresh: no access token in the answer");
    answer_tokens_with(NULL, "token_type", json_string("mac"));
    refresh_as(&client_basic, "rt", OT_ERR_CLAIM, "refresh: token_type mac");
    memset(&canned, 0, sizeof(canned));
    refresh_as(&client_basic, "", OT_ERR_MALFORMED, "refresh: no token");
    is_int(canned.calls, 0, "  the provider was not asked");
}

/* ---- RP-initiated logout -------------------------------------------------- */

static void test_logout_url(void)
{
    const char *back = "https://rp.example.com/bye?a=1&b=2 3";
    const char *back_q =
        "https%3A%2F%2Frp.example.com%2Fbye%3Fa%3D1%26b%3D2%203";

    is_str(ot_logout_url(pool, "https://idp.example.com/logout", "h.p.s",
                         CLIENT, back),
           apr_pstrcat(pool,
                       "https://idp.example.com/logout?id_token_hint=h.p.s"
                       "&client_id=webapp&post_logout_redirect_uri=",
                       back_q, NULL),
           "logout URL: all parameters, encoded");
    is_str(ot_logout_url(pool, "https://idp.example.com/logout?tenant=a%20b",
                         "h.p.s", CLIENT, back),
           apr_pstrcat(pool,
                       "https://idp.example.com/logout?tenant=a%20b"
                       "&id_token_hint=h.p.s&client_id=webapp"
                       "&post_logout_redirect_uri=",
                       back_q, NULL),
           "logout URL: endpoint with a query");
    is_str(
        ot_logout_url(pool, "https://idp.example.com/logout?", "h.p.s", CLIENT,
                      NULL),
        "https://idp.example.com/logout?id_token_hint=h.p.s&client_id=webapp",
        "logout URL: endpoint ending in ?, no redirect");
    is_str(ot_logout_url(pool, "https://idp.example.com/logout#f", "h.p.s",
                         NULL, NULL),
           "https://idp.example.com/logout?id_token_hint=h.p.s#f",
           "logout URL: parameters before a fragment");
    is_str(
        ot_logout_url(pool, "https://idp.example.com/logout", NULL, NULL, NULL),
        "https://idp.example.com/logout", "logout URL: no parameters");
    ok(ot_logout_url(pool, NULL, "h", CLIENT, NULL) == NULL,
       "logout URL: no endpoint");
}

int main(int argc, const char *const *argv)
{
    EVP_PKEY_CTX *ctx;

    apr_app_initialize(&argc, &argv, NULL);
    apr_pool_create(&pool, NULL);

    ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1
        || EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048) != 1
        || EVP_PKEY_keygen(ctx, &rsa) != 1) {
        rsa = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    if (!ok(rsa != NULL, "test key generated")) {
        return done_testing();
    }
    jwks = make_jwks();
    if (!ok(jwks != NULL, "JWKS built from the public key")) {
        return done_testing();
    }
    metadata.issuer = ISS;
    metadata.token_endpoint = TOKEN_URL;
    metadata.end_session_endpoint = "https://idp.example.com/logout";

    test_exchange_request();
    test_exchange_result();
    test_exchange_refusals();
    test_exchange_inputs();
    test_refresh();
    test_logout_url();

    EVP_PKEY_free(rsa);
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
