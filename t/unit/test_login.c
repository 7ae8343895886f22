/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* The start of a login: PKCE (RFC 7636), the random values, the pending
 * login kept server-side and bound to one browser, the authorization
 * request URL, and the same-origin rule for return targets. */

#include <string.h>

#include <apr_general.h>
#include <apr_hash.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "oidc/login.h"
#include "oidc/pkce.h"
#include "store/store.h"
#include "util/b64url.h"
#include "util/crypto.h"
#include "tap.h"
#include "spy_store.h"

#define NOW APR_INT64_C(1700000000)
#define TTL 300

static apr_pool_t *pool;

/* ---- helpers ---------------------------------------------------------- */

static int is_b64url(const char *s)
{
    return s != NULL
           && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                        "0123456789-_")
                  == strlen(s);
}

/* RFC 6265 4.1.1 cookie-name = token (RFC 2616 2.2): CHARs but CTLs and
 * separators. */
static int is_cookie_token(const char *s)
{
    const unsigned char *c;

    if (s == NULL || *s == '\0') {
        return 0;
    }
    for (c = (const unsigned char *)s; *c; c++) {
        if (*c <= 0x20 || *c >= 0x7f || strchr("()<>@,;:\\\"/[]?={}", *c)) {
            return 0;
        }
    }
    return 1;
}

/* ---- PKCE and random values ------------------------------------------ */

static void test_pkce(void)
{
    const char *v1, *c1, *v2, *c2, *challenge;

    /* RFC 7636 appendix B: the 32 octets, their base64url verifier, and
     * its S256 challenge. */
    static const unsigned char octets[32] = {
        116, 24,  223, 180, 151, 153, 224, 37,  79,  250, 96,
        125, 216, 173, 187, 186, 22,  212, 37,  77,  105, 214,
        191, 240, 91,  88,  5,   88,  83,  132, 141, 121};
    const char *verifier = ot_b64url_encode(pool, octets, sizeof(octets));

    ok(strcmp(verifier, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == 0,
       "pkce: RFC 7636 appendix B verifier from its octets");
    challenge = ot_pkce_challenge(pool, verifier);
    ok(challenge != NULL
           && strcmp(challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
                  == 0,
       "pkce: RFC 7636 appendix B challenge");
    ok(ot_pkce_challenge(pool, NULL) == NULL,
       "pkce: no verifier, no challenge");

    if (!ok(ot_pkce_create(pool, &v1, &c1) == OT_OK && v1 && c1,
            "pkce: create")) {
        return;
    }
    /* RFC 7636 4.1: 43..128 unreserved characters. */
    is_int((long)strlen(v1), 43, "pkce: verifier is 43 characters");
    ok(is_b64url(v1), "pkce: verifier is base64url (unreserved characters)");
    is_int((long)strlen(c1), 43, "pkce: challenge is 43 characters");
    ok(strcmp(c1, ot_pkce_challenge(pool, v1)) == 0,
       "pkce: challenge is S256 of the verifier");
    ok(ot_pkce_create(pool, &v2, &c2) == OT_OK && strcmp(v1, v2) != 0
           && strcmp(c1, c2) != 0,
       "pkce: two verifiers differ");
}

static void test_random_tokens(void)
{
    static const struct {
        apr_size_t bytes;
        long chars;
    } cases[] = {{1, 2}, {2, 3}, {3, 4}, {16, 22}, {32, 43}, {48, 64}};
    apr_hash_t *seen = apr_hash_make(pool);
    const char *t, *u;
    apr_size_t i;
    int distinct = 1;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ok(ot_random_token(pool, cases[i].bytes, &t) == OT_OK
               && (long)strlen(t) == cases[i].chars && is_b64url(t),
           "random token: %d bytes -> %ld base64url characters",
           (int)cases[i].bytes, cases[i].chars);
    }
    ok(ot_random_token(pool, 0, &t) == OT_ERR_INTERNAL && t == NULL,
       "random token: 0 bytes refused");
    ok(ot_random_token(pool, 1 << 20, &t) == OT_ERR_INTERNAL && t == NULL,
       "random token: an absurd size refused");
    ok(ot_random_token(pool, 32, &t) == OT_OK
           && ot_random_token(pool, 32, &u) == OT_OK && strcmp(t, u) != 0,
       "random token: two tokens differ");
    for (i = 0; i < 1000; i++) {
        if (ot_random_token(pool, 32, &t) != OT_OK
            || apr_hash_get(seen, t, APR_HASH_KEY_STRING)) {
            distinct = 0;
        }
        apr_hash_set(seen, t, APR_HASH_KEY_STRING, "");
    }
    ok(distinct, "random token: 1000 tokens, no repeat");
}

/* ---- pending logins --------------------------------------------------- */

static ot_login_t *start(const ot_store_t *store, const char *return_to)
{
    ot_login_t *login = NULL;

    if (ot_login_start(pool, store, return_to, NOW, TTL, &login) != OT_OK) {
        return NULL;
    }
    return login;
}

static void test_login_round_trip(void)
{
    const ot_store_t *store = spy_store_reset(pool, NOW);
    ot_login_t *login, *taken;
    unsigned char hash[OT_SHA256_LEN];

    login = start(store, "/app/page?x=1&y=%2F");
    if (!ok(login != NULL, "login: start")) {
        return;
    }
    ok(strlen(login->state) == 43 && strlen(login->nonce) == 43
           && strlen(login->code_verifier) == 43
           && strlen(login->binding) == 43,
       "login: state, nonce, verifier and binding are 256-bit (43 chars)");
    ok(is_b64url(login->state) && is_b64url(login->nonce)
           && is_b64url(login->code_verifier) && is_b64url(login->binding),
       "login: ... all base64url");
    ok(strcmp(login->state, login->nonce)
           && strcmp(login->state, login->binding)
           && strcmp(login->nonce, login->code_verifier)
           && strcmp(login->code_verifier, login->binding),
       "login: ... all different");
    is_int((long)login->created, (long)NOW, "login: created is now");
    is_int(spy_state.puts, 1, "login: one record written");
    ok(!written_contains(login->binding),
       "login: the binding is not stored in clear");
    ot_sha256(login->binding, strlen(login->binding), hash);
    ok(written_contains(ot_b64url_encode(pool, hash, sizeof(hash))),
       "login: its SHA-256 is");

    is_int(ot_login_take(pool, store, login->state, login->binding, &taken),
           OT_OK, "login: take with the right binding");
    ok(taken != NULL && strcmp(taken->state, login->state) == 0
           && strcmp(taken->nonce, login->nonce) == 0
           && strcmp(taken->code_verifier, login->code_verifier) == 0
           && strcmp(taken->binding, login->binding) == 0
           && strcmp(taken->return_to, "/app/page?x=1&y=%2F") == 0
           && taken->created == NOW,
       "login: take gives back every field");
    ok(ot_login_take(pool, store, login->state, login->binding, &taken)
               == OT_ERR_NOT_FOUND
           && taken == NULL,
       "login: used once: a second take is NOT_FOUND");
}

static void test_login_binding(void)
{
    const ot_store_t *store = spy_store_reset(pool, NOW);
    ot_login_t *login, *other, *taken;

    login = start(store, "/");
    other = start(store, "/");
    if (!ok(login && other, "binding: two logins started")) {
        return;
    }
    ok(ot_login_take(pool, store, login->state, other->binding, &taken)
               == OT_ERR_CLAIM
           && taken == NULL,
       "binding: another browser's binding is CLAIM");
    is_int(ot_login_take(pool, store, login->state, login->binding, &taken),
           OT_ERR_NOT_FOUND, "binding: ... and the state is burnt");

    is_int(ot_login_take(pool, store, other->state, NULL, &taken), OT_ERR_CLAIM,
           "binding: no cookie is CLAIM");
    is_int(ot_login_take(pool, store, other->state, other->binding, &taken),
           OT_ERR_NOT_FOUND, "binding: ... and the state is burnt");

    login = start(store, "/");
    is_int(ot_login_take(pool, store, login->state, "", &taken), OT_ERR_CLAIM,
           "binding: an empty cookie is CLAIM");
    login = start(store, "/");
    is_int(ot_login_take(pool, store, login->state,
                         apr_pstrcat(pool, login->binding, "x", NULL), &taken),
           OT_ERR_CLAIM, "binding: a longer cookie is CLAIM");
    login = start(store, "/");
    is_int(ot_login_take(pool, store, login->state,
                         apr_pstrndup(pool, login->binding, 42), &taken),
           OT_ERR_CLAIM, "binding: a truncated cookie is CLAIM");
}

static void test_login_expiry(void)
{
    const ot_store_t *store = spy_store_reset(pool, NOW);
    ot_login_t *a, *b, *taken;

    a = start(store, "/a");
    b = start(store, "/b");
    fake_now = apr_time_from_sec(NOW + TTL - 1);
    is_int(ot_login_take(pool, store, a->state, a->binding, &taken), OT_OK,
           "expiry: taken a second before ttl");
    fake_now = apr_time_from_sec(NOW + TTL);
    is_int(ot_login_take(pool, store, b->state, b->binding, &taken),
           OT_ERR_NOT_FOUND, "expiry: NOT_FOUND at ttl");
}

static void test_login_concurrent(void)
{
    const ot_store_t *store = spy_store_reset(pool, NOW);
    ot_login_t *a, *b, *c, *taken;

    a = start(store, "/tab-a");
    b = start(store, "/tab-b");
    c = start(store, "/tab-c");
    if (!ok(a && b && c && strcmp(a->state, b->state) != 0,
            "concurrent: three logins, each its own state")) {
        return;
    }
    ok(ot_login_take(pool, store, b->state, b->binding, &taken) == OT_OK
           && strcmp(taken->return_to, "/tab-b") == 0,
       "concurrent: the second tab completes first");
    ok(ot_login_take(pool, store, a->state, a->binding, &taken) == OT_OK
           && strcmp(taken->return_to, "/tab-a") == 0,
       "concurrent: the first tab completes too");
    ok(ot_login_take(pool, store, c->state, c->binding, &taken) == OT_OK
           && strcmp(taken->return_to, "/tab-c") == 0,
       "concurrent: and the third");
}

static void test_login_refusals(void)
{
    const ot_store_t *store = spy_store_reset(pool, NOW);
    ot_login_t *login, *taken;
    char *long_path;

    ok(ot_login_start(pool, store, "https://evil.test/", NOW, TTL, &login)
               == OT_ERR_MALFORMED
           && login == NULL && spy_state.puts == 0,
       "start: an absolute return target is MALFORMED, nothing stored");
    is_int(ot_login_start(pool, store, "//evil.test/", NOW, TTL, &login),
           OT_ERR_MALFORMED, "start: a scheme-relative one too");
    is_int(ot_login_start(pool, store, NULL, NOW, TTL, &login),
           OT_ERR_MALFORMED, "start: no return target is MALFORMED");
    long_path = apr_palloc(pool, 5002);
    long_path[0] = '/';
    memset(long_path + 1, 'a', 5000);
    long_path[5001] = '\0';
    is_int(ot_login_start(pool, store, long_path, NOW, TTL, &login),
           OT_ERR_TOO_LARGE, "start: a 5000-byte return target is TOO_LARGE");
    is_int(ot_login_start(pool, store, "/", NOW, 0, &login), OT_ERR_INTERNAL,
           "start: ttl 0 refused");
    is_int(ot_login_start(pool, NULL, "/", NOW, TTL, &login), OT_ERR_INTERNAL,
           "start: no store refused");
    is_int(spy_state.puts, 0, "start: no refusal wrote anything");

    is_int(ot_login_take(pool, store, "no-such-state", "b", &taken),
           OT_ERR_NOT_FOUND, "take: unknown state is NOT_FOUND");
    is_int(ot_login_take(pool, store, NULL, "b", &taken), OT_ERR_NOT_FOUND,
           "take: no state is NOT_FOUND");
    is_int(ot_login_take(pool, store, "", "b", &taken), OT_ERR_NOT_FOUND,
           "take: empty state is NOT_FOUND");

    spy_state.down = 1;
    is_int(ot_login_start(pool, store, "/", NOW, TTL, &login),
           OT_ERR_UNAVAILABLE, "start: store down is UNAVAILABLE");
    is_int(ot_login_take(pool, store, "some-state", "b", &taken),
           OT_ERR_UNAVAILABLE,
           "take: store down is UNAVAILABLE, not NOT_FOUND");
    spy_state.down = 0;
}

static void test_login_damaged(void)
{
    static const char *const records[] = {
        "",
        "not json",
        "[]",
        "{\"v\":1}",
        "{\"v\":2,\"state\":\"S\",\"nonce\":\"n\",\"code_verifier\":\"v\","
        "\"binding_sha256\":\"%s\",\"return_to\":\"/\",\"created\":1,"
        "\"exp\":9999999999}",
        "{\"v\":1,\"state\":\"S\",\"nonce\":\"n\",\"code_verifier\":\"v\","
        "\"binding_sha256\":\"%s\",\"return_to\":\"//evil.test\","
        "\"created\":1,\"exp\":9999999999}",
        "{\"v\":1,\"state\":\"T\",\"nonce\":\"n\",\"code_verifier\":\"v\","
        "\"binding_sha256\":\"%s\",\"return_to\":\"/\",\"created\":1,"
        "\"exp\":9999999999}",
        "{\"v\":1,\"state\":\"S\",\"nonce\":\"n\",\"code_verifier\":\"v\","
        "\"binding_sha256\":\"AAAA\",\"return_to\":\"/\",\"created\":1,"
        "\"exp\":9999999999}",
        "{\"v\":1,\"state\":\"S\",\"nonce\":\"\",\"code_verifier\":\"v\","
        "\"binding_sha256\":\"%s\",\"return_to\":\"/\",\"created\":1,"
        "\"exp\":9999999999}",
        "{\"v\":1,\"state\":\"S\",\"nonce\":\"n\",\"code_verifier\":\"v\","
        "\"binding_sha256\":\"%s\",\"return_to\":\"/\",\"created\":1,"
        "\"exp\":9223372036854775807}",
        "{\"v\":1,\"state\":\"S\",\"nonce\":\"n\",\"code_verifier\":\"v\","
        "\"binding_sha256\":\"%s\",\"return_to\":\"/\",\"created\":-1,"
        "\"exp\":9999999999}",
    };
    static const char *const why[] = {
        "empty",
        "not JSON",
        "not an object",
        "no fields",
        "another version",
        "a return target that is not local",
        "another state",
        "a binding hash of the wrong size",
        "an empty nonce",
        "an exp that would overflow",
        "a negative created",
    };
    const ot_store_t *store;
    unsigned char hash[OT_SHA256_LEN];
    const char *hash_b64, *text;
    unsigned char *value;
    apr_size_t len, i;
    ot_login_t *taken;

    ot_sha256("B", 1, hash);
    hash_b64 = ot_b64url_encode(pool, hash, sizeof(hash));
    for (i = 0; i < sizeof(records) / sizeof(records[0]); i++) {
        store = spy_store_reset(pool, NOW);
        text = apr_psprintf(pool, records[i], hash_b64);
        ot_store_put(store, pool, "login", "S", (const unsigned char *)text,
                     strlen(text), apr_time_from_sec(NOW + TTL));
        is_int(ot_login_take(pool, store, "S", "B", &taken), OT_ERR_NOT_FOUND,
               "damaged record (%s): NOT_FOUND", why[i]);
        is_int(ot_store_get(store, pool, "login", "S", &value, &len),
               OT_ERR_NOT_FOUND, "damaged record (%s): removed", why[i]);
    }
    /* The same template, intact, is taken: the cases above fail for the
     * reason they name. */
    store = spy_store_reset(pool, NOW);
    text = apr_psprintf(pool,
                        "{\"v\":1,\"state\":\"S\",\"nonce\":\"n\","
                        "\"code_verifier\":\"v\",\"binding_sha256\":\"%s\","
                        "\"return_to\":\"/\",\"created\":1,\"exp\":%ld}",
                        hash_b64, (long)(NOW + TTL));
    ot_store_put(store, pool, "login", "S", (const unsigned char *)text,
                 strlen(text), apr_time_from_sec(NOW + TTL));
    is_int(ot_login_take(pool, store, "S", "B", &taken), OT_OK,
           "damaged record: the intact template is taken");
}

/* Two callbacks with one state arrive together: both read the record
 * before either removes it. The claim lets one through. */
static void test_login_replay_race(void)
{
    const ot_store_t *store = spy_store_reset(pool, NOW);
    ot_login_t *login, *taken;

    login = start(store, "/");
    is_int(ot_store_claim(store, pool, "login-used", login->state,
                          apr_time_from_sec(NOW + TTL)),
           OT_OK, "race: another process claims the state first");
    is_int(ot_login_take(pool, store, login->state, login->binding, &taken),
           OT_ERR_NOT_FOUND, "race: this one is NOT_FOUND");
    login = start(store, "/");
    is_int(ot_login_take(pool, store, login->state, login->binding, &taken),
           OT_OK, "race: a fresh login is unaffected");
}

/* ---- cookie names ----------------------------------------------------- */

static void test_cookie_names(void)
{
    const ot_store_t *store = spy_store_reset(pool, NOW);
    ot_login_t *a = start(store, "/"), *b = start(store, "/");
    const char *na, *nb, *expected;
    unsigned char hash[OT_SHA256_LEN];

    na = ot_login_cookie_name(pool, "ot_login_", a->state);
    nb = ot_login_cookie_name(pool, "ot_login_", b->state);
    ot_sha256(a->state, strlen(a->state), hash);
    expected = apr_pstrcat(
        pool, "ot_login_",
        apr_pstrndup(pool, ot_b64url_encode(pool, hash, sizeof(hash)), 16),
        NULL);
    ok(na != NULL && strcmp(na, expected) == 0,
       "cookie: prefix + 16 chars of base64url(SHA-256(state))");
    ok(na && nb && strcmp(na, nb) != 0, "cookie: names differ per state");
    ok(strcmp(na, ot_login_cookie_name(pool, "ot_login_", a->state)) == 0,
       "cookie: the same state gives the same name");
    ok(is_cookie_token(na) && is_cookie_token(nb),
       "cookie: names are valid cookie-name tokens");
    ok(strstr(na, a->state) == NULL, "cookie: the name does not reveal state");
    ok(strcmp(ot_login_cookie_name(pool, "__Host-x_", a->state) + 9, na + 9)
           == 0,
       "cookie: another prefix, the same suffix");
    ok(ot_login_cookie_name(pool, NULL, a->state) != NULL
           && strlen(ot_login_cookie_name(pool, NULL, a->state)) == 16,
       "cookie: no prefix: the suffix alone");
    ok(ot_login_cookie_name(pool, "p", NULL) == NULL, "cookie: no state: NULL");
}

/* ---- the authorization request ---------------------------------------- */

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Percent-decodes s; NULL when an escape is not uppercase %XX or a byte
 * outside the unreserved set appears unescaped. */
static char *pct_decode(const char *s)
{
    char *out = apr_palloc(pool, strlen(s) + 1), *o = out;

    for (; *s; s++) {
        if (*s == '%') {
            if (hexval(s[1]) < 0 || hexval(s[2]) < 0) {
                return NULL;
            }
            *o++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
            s += 2;
        }
        else if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                        "0123456789-._~",
                        *s)) {
            *o++ = *s;
        }
        else {
            return NULL;
        }
    }
    *o = '\0';
    return out;
}

/* The query parameters after base (which must prefix url) as name ->
 * decoded value; NULL when a name repeats or a value is badly encoded. */
static apr_hash_t *query_of(const char *url, const char *base)
{
    apr_hash_t *params = apr_hash_make(pool);
    char *query, *pair, *last, *eq, *value;

    if (strncmp(url, base, strlen(base)) != 0) {
        return NULL;
    }
    query = apr_pstrdup(pool, url + strlen(base));
    for (pair = apr_strtok(query, "&", &last); pair;
         pair = apr_strtok(NULL, "&", &last)) {
        eq = strchr(pair, '=');
        if (eq == NULL) {
            return NULL;
        }
        *eq = '\0';
        value = pct_decode(eq + 1);
        if (value == NULL || apr_hash_get(params, pair, APR_HASH_KEY_STRING)) {
            return NULL;
        }
        apr_hash_set(params, pair, APR_HASH_KEY_STRING, value);
    }
    return params;
}

static int param_is(apr_hash_t *params, const char *name, const char *value)
{
    const char *got =
        params ? apr_hash_get(params, name, APR_HASH_KEY_STRING) : NULL;

    return got != NULL && strcmp(got, value) == 0;
}

static void test_authorization_url(void)
{
    static const char *const redirect = "https://rp.test/cb?a=1&b=x y/é#f";
    const ot_store_t *store = spy_store_reset(pool, NOW);
    ot_login_t *login = start(store, "/");
    const char *url, *challenge = ot_pkce_challenge(pool, login->code_verifier);
    apr_hash_t *params;

    url = ot_login_authorization_url(pool, "https://idp.test/authorize",
                                     "client-1", redirect, "openid profile",
                                     login);
    params = query_of(url, "https://idp.test/authorize?");
    if (!ok(params != NULL, "auth url: parses back, every parameter once")) {
        diag("  %s", url ? url : "(null)");
        return;
    }
    is_int(apr_hash_count(params), 8, "auth url: exactly 8 parameters");
    ok(param_is(params, "response_type", "code"), "auth url: response_type");
    ok(param_is(params, "client_id", "client-1"), "auth url: client_id");
    ok(param_is(params, "redirect_uri", redirect),
       "auth url: redirect_uri round-trips");
    ok(param_is(params, "scope", "openid profile"), "auth url: scope");
    ok(param_is(params, "state", login->state), "auth url: state");
    ok(param_is(params, "nonce", login->nonce), "auth url: nonce");
    ok(param_is(params, "code_challenge", challenge),
       "auth url: code_challenge is S256 of the verifier");
    ok(param_is(params, "code_challenge_method", "S256"),
       "auth url: code_challenge_method S256");
    ok(strstr(url, login->code_verifier) == NULL,
       "auth url: the verifier itself is not sent");
    ok(strstr(url, "redirect_uri=https%3A%2F%2Frp.test%2Fcb%3Fa%3D1%26b%3Dx%20y"
                   "%2F%C3%A9%23f&")
           != NULL,
       "auth url: redirect_uri percent-encoded per RFC 3986 (? & space # "
       "UTF-8)");
    ok(strstr(url, "&scope=openid%20profile&") != NULL,
       "auth url: a space is %%20, not +");
    ok(strcmp(url,
              apr_pstrcat(pool,
                          "https://idp.test/authorize?response_type=code"
                          "&client_id=client-1&redirect_uri=https%3A%2F%2Frp."
                          "test%2Fcb%3Fa%3D1%26b%3Dx%20y%2F%C3%A9%23f"
                          "&scope=openid%20profile&state=",
                          login->state, "&nonce=", login->nonce,
                          "&code_challenge=", challenge,
                          "&code_challenge_method=S256", NULL))
           == 0,
       "auth url: the whole URL, exactly");

    url = ot_login_authorization_url(pool, "https://idp.test/auth?x=1", "c",
                                     "https://rp.test/cb", "openid", login);
    params = query_of(url, "https://idp.test/auth?");
    ok(params && param_is(params, "x", "1")
           && param_is(params, "response_type", "code")
           && apr_hash_count(params) == 9
           && strncmp(url, "https://idp.test/auth?x=1&response_type=code", 44)
                  == 0,
       "auth url: an endpoint query is kept and joined with &");
    url = ot_login_authorization_url(pool, "https://idp.test/auth?", "c",
                                     "https://rp.test/cb", "openid", login);
    ok(url && strncmp(url, "https://idp.test/auth?response_type=code", 40) == 0,
       "auth url: an endpoint ending in ? gets no extra separator");
    url = ot_login_authorization_url(pool, "https://idp.test/auth?x=1&", "c",
                                     "https://rp.test/cb", "openid", login);
    ok(url
           && strncmp(url, "https://idp.test/auth?x=1&response_type=code", 44)
                  == 0,
       "auth url: an endpoint ending in & gets no extra separator");
    url = ot_login_authorization_url(pool, "https://idp.test/auth", "a-b.c_d~e",
                                     "https://rp.test/cb", "openid", login);
    ok(url && strstr(url, "&client_id=a-b.c_d~e&") != NULL,
       "auth url: unreserved characters stay as they are");
    url = ot_login_authorization_url(pool, "https://idp.test/auth", "a+b=c&d",
                                     "https://rp.test/cb", "openid", login);
    ok(url && strstr(url, "&client_id=a%2Bb%3Dc%26d&") != NULL,
       "auth url: + = & in a value are encoded");

    ok(ot_login_authorization_url(pool, "https://idp.test/auth#frag", "c",
                                  "https://rp.test/cb", "openid", login)
           == NULL,
       "auth url: an endpoint with a fragment is refused");
    ok(ot_login_authorization_url(pool, NULL, "c", "https://rp.test/cb",
                                  "openid", login)
           == NULL,
       "auth url: no endpoint: NULL");
    ok(ot_login_authorization_url(pool, "https://idp.test/auth", NULL,
                                  "https://rp.test/cb", "openid", login)
           == NULL,
       "auth url: no client id: NULL");
    ok(ot_login_authorization_url(pool, "https://idp.test/auth", "c",
                                  "https://rp.test/cb", "openid", NULL)
           == NULL,
       "auth url: no login: NULL");
}

/* ---- the same-origin rule --------------------------------------------- */

/* s with control and non-ASCII bytes as \xNN, so a TAP line stays one
 * line. */
static const char *printable(const char *s)
{
    char *out = apr_palloc(pool, strlen(s) * 4 + 1), *o = out;
    const unsigned char *c;

    for (c = (const unsigned char *)s; *c; c++) {
        if (*c < 0x20 || *c >= 0x7f) {
            o += sprintf(o, "\\x%02X", *c);
        }
        else {
            *o++ = (char)*c;
        }
    }
    *o = '\0';
    return out;
}

static void test_redirect_rule(void)
{
    static const struct {
        const char *target;
        int local;
    } cases[] = {
        {"/", 1},
        {"/app", 1},
        {"/app/", 1},
        {"/a?b", 1},
        {"/app/page?x=1&y=2", 1},
        {"/ok?next=//x", 1},
        {"/ok?next=https://evil.com", 1},
        {"/a/b/../c", 1},
        {"/a#frag", 1},
        {"/%7Euser", 1},
        {"/%41", 1},
        {"/%C3%A9t%C3%A9", 1},
        {"/a%2Fb", 1},
        {"/a//b", 1},
        {"/:colon", 1},
        {"/%", 1},
        {"", 0},
        {"relative", 0},
        {"relative/path", 0},
        {"./x", 0},
        {"?x=1", 0},
        {"#x", 0},
        {"//evil.com", 0},
        {"//evil.com/path", 0},
        {"///evil.com", 0},
        {"/\\evil.com", 0},
        {"\\\\evil", 0},
        {"\\/evil", 0},
        {"/a\\b", 0},
        {"https://evil.com", 0},
        {"http://evil.com/", 0},
        {"HTTPS://evil.com", 0},
        {"javascript:alert(1)", 0},
        {"data:text/html,x", 0},
        {"/%2F%2Fevil.com", 0},
        {"/%2f%2fevil.com", 0},
        {"/%2Fevil.com", 0},
        {"/%5Cevil.com", 0},
        {"/%5cevil.com", 0},
        {"/%09/evil.com", 0},
        {"/%0D%0ASet-Cookie:x", 0},
        {" /x", 0},
        {"/x y", 0},
        {"/x\r\nSet-Cookie: a=b", 0},
        {"/x\nLocation: //evil", 0},
        {"/\t/evil.com", 0},
        {"/x\x7f", 0},
        {"/caf\xc3\xa9", 0},
    };
    apr_size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        is_int(ot_redirect_is_local(cases[i].target), cases[i].local,
               "redirect: \"%s\" %s", printable(cases[i].target),
               cases[i].local ? "allowed" : "refused");
    }
    is_int(ot_redirect_is_local(NULL), 0, "redirect: NULL refused");
}

int main(int argc, const char *const *argv)
{
    apr_app_initialize(&argc, &argv, NULL);
    apr_pool_create(&pool, NULL);

    test_pkce();
    test_random_tokens();
    test_login_round_trip();
    test_login_binding();
    test_login_expiry();
    test_login_concurrent();
    test_login_refusals();
    test_login_damaged();
    test_login_replay_race();
    test_cookie_names();
    test_authorization_url();
    test_redirect_rule();

    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
