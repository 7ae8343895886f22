/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* RFC 7662 introspection against a canned fetcher: the request that goes
 * out is checked byte for byte, and every kind of answer (and of failure
 * to answer) maps to its one status. */

#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <jansson.h>

#include "tap.h"
#include "status_check.h"
#include "canned_fetch.h"
#include "values.h"
#include "ot.h"
#include "fetch/fetch.h"
#include "token/access.h"
#include "token/introspect.h"
#include "token/scope.h"

#define NOW APR_INT64_C(1700000000)
#define ISS "https://idp.example.com/"
#define AUD "https://api.example.com"
#define URL "https://idp.example.com/introspect"
#define LOGIN_CLIENT "webapp"
/* In the token and in answers: no refusal detail may repeat it. */
#define TOKEN "opaque+tok/en=CANARY"
#define TOKEN_FORM "opaque%2Btok%2Fen%3DCANARY"
/* ':' and '%' must not reach the provider raw (RFC 6749 2.3.1). */
#define SECRET "s:e%c r+t~"
#define SECRET_FORM "s%3Ae%25c%20r%2Bt~"

static apr_pool_t *pool;

/* ---- the canned fetcher ------------------------------------------------ */

/* A JSON answer from a pack format, as the provider would send it. */
static void answer_json(json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT);

    answer(200, apr_pstrdup(pool, text));
    free(text);
    json_decref(j);
}

/* The usual active answer, changed by key/value pairs (NULL: remove). */
static void answer_active(const char *key, json_t *value)
{
    json_t *j =
        json_pack("{s:b, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s}",
                  "active", 1, "iss", ISS, "aud", AUD, "sub", "alice", "scope",
                  "orders:read orders:write", "exp", (json_int_t)(NOW + 600),
                  "iat", (json_int_t)(NOW - 10), "client_id", "cli-1",
                  "username", "alice@x", "note", "CANARY-in-answer");

    if (key != NULL) {
        if (value == NULL) {
            json_object_del(j, key);
        }
        else {
            json_object_set_new(j, key, value);
        }
    }
    answer_json(j);
}

/* ---- policy ---------------------------------------------------------------- */

static ot_introspection_t endpoint_basic = {URL, "intro-client", SECRET,
                                            OT_CLIENT_AUTH_BASIC};
static ot_introspection_t endpoint_post = {URL, "intro-client", SECRET,
                                           OT_CLIENT_AUTH_POST};
static ot_issuer_t issuer = {ISS, NULL, NULL, NULL, &endpoint_basic};

static ot_access_policy_t *policy(void)
{
    ot_access_policy_t *pol = apr_pcalloc(pool, sizeof(*pol));
    apr_array_header_t *issuers =
        apr_array_make(pool, 1, sizeof(ot_issuer_t *));

    APR_ARRAY_PUSH(issuers, ot_issuer_t *) = &issuer;
    pol->issuers = issuers;
    pol->audiences = strings(pool, AUD, NULL);
    pol->algorithms = ot_alg_default_set();
    pol->clock_skew = 60;
    pol->login_clients = strings(pool, LOGIN_CLIENT, NULL);
    return pol;
}

/* ---- checks ---------------------------------------------------------------- */

static ot_access_token_t *last_token;
static const char *last_detail;

static int expect_with(const ot_access_policy_t *pol,
                       const ot_introspection_t *ep, ot_status_t want,
                       const char *name)
{
    ot_status_t rv;
    int pass;

    last_token = NULL;
    last_detail = NULL;
    rv = ot_introspect(pool, &fetcher, ep, &issuer, TOKEN, pol, NOW,
                       &last_token, &last_detail);
    pass = rv == want
           && (rv == OT_OK ? last_token != NULL
                           : last_token == NULL && last_detail != NULL
                                 && strstr(last_detail, "CANARY") == NULL);
    return ok_status(pass, rv, want, last_detail, name);
}

static int expect(const ot_access_policy_t *pol, ot_status_t want,
                  const char *name)
{
    return expect_with(pol, &endpoint_basic, want, name);
}

/* ---- the tests ------------------------------------------------------------ */

static void test_active(void)
{
    ot_access_policy_t *pol = policy();

    answer_active(NULL, NULL);
    if (expect(pol, OT_OK, "active token accepted")) {
        is_str(last_token->subject, "alice", "  subject from sub");
        is_str(ot_scope_join(pool, last_token->scopes),
               "orders:read orders:write", "  scopes from scope");
        is_str(last_token->client_id, "cli-1", "  client_id");
        is_int((long)last_token->exp, (long)(NOW + 600), "  exp");
        is_str(last_token->alg, "introspection", "  alg is introspection");
        ok(last_token->issuer == &issuer, "  issuer is the one asked");
        ok(last_token->kid == NULL && last_token->typ == NULL,
           "  no kid, no typ");
        ok(json_is_string(json_object_get(last_token->claims, "username")),
           "  claims are the whole answer");
    }
    is_int(canned.calls, 1, "one request");
    is_str(canned.method, "POST", "request: POST");
    is_str(canned.url, URL, "request: the endpoint URL");
    is_str(canned.content_type, "application/x-www-form-urlencoded",
           "request: form content type");
    is_str(canned.sent, "token=" TOKEN_FORM "&token_type_hint=access_token",
           "request: body with the token form-encoded and the hint");
    is_int((long)canned.sent_len, (long)strlen(canned.sent ? canned.sent : ""),
           "request: body length");
    /* base64("intro-client:" SECRET_FORM), computed independently. */
    is_str(canned.authorization,
           "Basic aW50cm8tY2xpZW50OnMlM0FlJTI1YyUyMHIlMkJ0fg==",
           "request: client_secret_basic with the secret form-encoded");
    is_int((long)canned.max_response, (long)OT_MAX_INTROSPECTION_LEN,
           "request: response size bounded");

    {
        ot_introspection_t odd = endpoint_basic;

        odd.client_id = "client one:/";
        answer_active(NULL, NULL);
        expect_with(pol, &odd, OT_OK, "client id with space, ':' and '/'");
        is_str(canned.authorization,
               "Basic Y2xpZW50JTIwb25lJTNBJTJGOnMlM0FlJTI1YyUyMHIlMkJ0fg==",
               "  the client id is form-encoded too");
    }

    answer_active(NULL, NULL);
    expect_with(pol, &endpoint_post, OT_OK, "client_secret_post accepted");
    is_str(canned.sent,
           "token=" TOKEN_FORM "&token_type_hint=access_token"
           "&client_id=intro-client&client_secret=" SECRET_FORM,
           "client_secret_post: credentials in the form");
    ok(canned.authorization == NULL, "client_secret_post: no Authorization");

    answer_active(NULL, NULL);
    expect_with(pol, NULL, OT_OK, "no endpoint given: the issuer's");
    is_str(canned.url, URL, "  asked the issuer's endpoint");

    answer_active("exp", NULL);
    if (expect(pol, OT_OK, "exp absent is allowed")) {
        is_int((long)last_token->exp, 0L, "  exp reported 0");
    }
    answer_active("client_id", NULL);
    if (expect(pol, OT_OK, "no client_id")) {
        ok(last_token->client_id == NULL, "  client_id NULL");
    }
    answer_active("token_type", json_string("Bearer"));
    expect(pol, OT_OK, "token_type Bearer");
    answer_active("iss", NULL);
    expect(pol, OT_OK, "iss absent is allowed");
    answer_active("aud", json_pack("[s, s]", "https://x.example", AUD));
    expect(pol, OT_OK, "aud an array containing ours");

    pol->subject_claim = "username";
    pol->scope_claim = "scp";
    answer_active("scp", json_pack("[s, s]", "admin", "read"));
    if (expect(pol, OT_OK, "subject and scope claims configured")) {
        is_str(last_token->subject, "alice@x", "  subject from username");
        is_str(ot_scope_join(pool, last_token->scopes), "admin read",
               "  scopes from the scp array");
    }
}

static void test_provider_failures(void)
{
    ot_access_policy_t *pol = policy();

    answer(500, "{\"active\":true}");
    expect(pol, OT_ERR_UNAVAILABLE, "HTTP 500");
    ok(last_detail && strstr(last_detail, "500"), "  detail names the status");
    answer(401, "{\"error\":\"invalid_client\"}");
    expect(pol, OT_ERR_UNAVAILABLE, "HTTP 401 (our credentials refused)");

    answer(200, NULL);
    canned.rv = OT_ERR_UNAVAILABLE;
    canned.why = "https://idp.example.com/introspect: connection refused";
    expect(pol, OT_ERR_UNAVAILABLE, "fetch failure");
    is_str(last_detail, canned.why, "  detail is the fetcher's why");
    answer(200, NULL);
    canned.rv = OT_ERR_UNAVAILABLE;
    expect(pol, OT_ERR_UNAVAILABLE, "fetch failure without a why");

    answer(200, "<html>CANARY</html>");
    expect(pol, OT_ERR_UNAVAILABLE, "not JSON");
    answer(200, "[true]");
    expect(pol, OT_ERR_UNAVAILABLE, "a JSON array");
    answer(200, "");
    expect(pol, OT_ERR_UNAVAILABLE, "an empty body");
    answer(200, NULL);
    expect(pol, OT_ERR_UNAVAILABLE, "no body");
    answer(200, "{\"active\":true} {}");
    expect(pol, OT_ERR_UNAVAILABLE, "trailing JSON");
    answer(200, "{\"active\":false,\"active\":true}");
    expect(pol, OT_ERR_UNAVAILABLE, "duplicate active keys");
    answer_active("active", NULL);
    expect(pol, OT_ERR_UNAVAILABLE, "active missing");
    answer_active("active", json_string("true"));
    expect(pol, OT_ERR_UNAVAILABLE, "active a string");
    answer_active("active", json_integer(1));
    expect(pol, OT_ERR_UNAVAILABLE, "active a number");
    answer_active("active", json_null());
    expect(pol, OT_ERR_UNAVAILABLE, "active null");
}

static void test_refusals(void)
{
    ot_access_policy_t *pol = policy();

    answer(200, "{\"active\":false}");
    expect(pol, OT_ERR_INACTIVE, "active false");
    answer_active("active", json_false());
    expect(pol, OT_ERR_INACTIVE, "active false with other members");

    answer_active("iss", json_string("https://evil.example/CANARY"));
    expect(pol, OT_ERR_ISSUER, "iss of another issuer");
    answer_active("iss", json_string(ISS "x"));
    expect(pol, OT_ERR_ISSUER, "iss a prefix match only");
    answer_active("iss", json_integer(1));
    expect(pol, OT_ERR_ISSUER, "iss not a string");

    answer_active("aud", NULL);
    expect(pol, OT_ERR_AUDIENCE, "aud missing");
    answer_active("aud", json_string("https://other.example"));
    expect(pol, OT_ERR_AUDIENCE, "aud wrong");
    answer_active("aud", json_array());
    expect(pol, OT_ERR_AUDIENCE, "aud an empty array");

    answer_active("exp", json_integer(NOW - 61));
    expect(pol, OT_ERR_EXPIRED, "expired beyond the skew");
    answer_active("exp", json_integer(NOW - 30));
    expect(pol, OT_OK, "expired within the skew");
    answer_active("exp", json_string("tomorrow"));
    expect(pol, OT_ERR_CLAIM, "exp a string");
    answer_active("nbf", json_integer(NOW + 120));
    expect(pol, OT_ERR_NOT_YET_VALID, "nbf in the future");
    {
        json_t *j = json_pack("{s:b, s:s, s:s, s:I}", "active", 1, "aud", AUD,
                              "sub", "alice", "iat", (json_int_t)(NOW + 120));

        answer_json(j);
        expect(pol, OT_ERR_NOT_YET_VALID, "no exp, iat in the future");
        j = json_pack("{s:b, s:s, s:s, s:s}", "active", 1, "aud", AUD, "sub",
                      "alice", "nbf", "x");
        answer_json(j);
        expect(pol, OT_ERR_CLAIM, "no exp, nbf a string");
    }

    answer_active("sub", NULL);
    expect(pol, OT_ERR_CLAIM, "sub missing");
    answer_active("sub", json_string(""));
    expect(pol, OT_ERR_CLAIM, "sub empty");

    answer_active("token_type", json_string("refresh_token"));
    expect(pol, OT_ERR_CLAIM, "token_type refresh_token");
    answer_active(
        "token_type",
        json_string("urn:ietf:params:oauth:token-type:refresh_token"));
    expect(pol, OT_ERR_CLAIM, "token_type refresh token URN");
    answer_active("token_type", json_string("id_token"));
    expect(pol, OT_ERR_ID_TOKEN, "token_type id_token");
    answer_active("nonce", json_string("n"));
    expect(pol, OT_ERR_ID_TOKEN, "an ID token's nonce");
    answer_active("typ", json_string("ID"));
    expect(pol, OT_ERR_ID_TOKEN, "typ ID (Keycloak)");
    answer_active("aud", json_pack("[s, s]", AUD, LOGIN_CLIENT));
    expect(pol, OT_ERR_ID_TOKEN, "aud names the login client");

    pol->audiences = NULL;
    answer_active(NULL, NULL);
    expect(pol, OT_ERR_AUDIENCE, "no audience configured");
}

static void test_bad_calls(void)
{
    ot_access_policy_t *pol = policy();
    ot_introspection_t none = {NULL, "c", "s", OT_CLIENT_AUTH_BASIC};
    ot_access_token_t *tok = NULL;
    const char *detail = NULL;
    char *big = apr_palloc(pool, OT_MAX_TOKEN_LEN + 2);

    answer_active(NULL, NULL);
    is_int(ot_introspect(pool, &fetcher, &none, &issuer, TOKEN, pol, NOW, &tok,
                         &detail),
           OT_ERR_INTERNAL, "endpoint without URL");
    is_int(ot_introspect(pool, NULL, NULL, &issuer, TOKEN, pol, NOW, &tok,
                         &detail),
           OT_ERR_INTERNAL, "no fetcher");
    is_int(ot_introspect(pool, &fetcher, NULL, &issuer, "", pol, NOW, &tok,
                         &detail),
           OT_ERR_MALFORMED, "empty token");
    memset(big, 'a', OT_MAX_TOKEN_LEN + 1);
    big[OT_MAX_TOKEN_LEN + 1] = '\0';
    is_int(ot_introspect(pool, &fetcher, NULL, &issuer, big, pol, NOW, &tok,
                         &detail),
           OT_ERR_TOO_LARGE, "token over the size limit");
    is_int(canned.calls, 0, "  none of these asked the provider");
}

int main(int argc, const char *const *argv)
{
    apr_app_initialize(&argc, &argv, NULL);
    apr_pool_create(&pool, NULL);

    test_active();
    test_provider_failures();
    test_refusals();
    test_bad_calls();

    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
