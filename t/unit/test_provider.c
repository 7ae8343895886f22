/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* An issuer's metadata and keys from a canned provider: discovery, one
 * parse per key set, the unknown-kid refresh throttle, stale sets while the
 * provider fails, and the back-off when there is nothing to serve. */

#include <string.h>

#include <apr_general.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "fetch/provider.h"
#include "jose/jwks.h"
#include "store/store.h"
#include "util/b64url.h"
#include "tap.h"

#define ISSUER "https://idp.test"
#define RFC8414_URL "https://idp.test/.well-known/oauth-authorization-server"
#define OIDC_URL "https://idp.test/.well-known/openid-configuration"
#define JWKS_URL "https://idp.test/jwks"

static apr_time_t fake_now;

static apr_time_t now_fn(void)
{
    return fake_now;
}

static apr_time_t store_now(void *baton)
{
    (void)baton;
    return fake_now;
}

/* A provider that answers from a table: URL -> status and body. */
typedef struct canned_t {
    apr_pool_t *pool;
    apr_hash_t *bodies;   /* url -> const char * */
    apr_hash_t *statuses; /* url -> int * */
    apr_hash_t *calls;    /* url -> int * */
    int down;
} canned_t;

static int *counter(apr_pool_t *p, apr_hash_t *h, const char *url)
{
    int *n = apr_hash_get(h, url, APR_HASH_KEY_STRING);

    if (!n) {
        n = apr_pcalloc(p, sizeof(*n));
        apr_hash_set(h, apr_pstrdup(p, url), APR_HASH_KEY_STRING, n);
    }
    return n;
}

static int calls(canned_t *c, const char *url)
{
    return *counter(c->pool, c->calls, url);
}

static void answer(canned_t *c, const char *url, int status, const char *body)
{
    *counter(c->pool, c->statuses, url) = status;
    apr_hash_set(c->bodies, url, APR_HASH_KEY_STRING,
                 apr_pstrdup(c->pool, body));
}

static ot_status_t canned_fetch(const ot_fetcher_t *fetcher, apr_pool_t *p,
                                const ot_http_request_t *request,
                                ot_http_response_t *response, const char **why)
{
    canned_t *c = fetcher->ctx;
    const char *body =
        apr_hash_get(c->bodies, request->url, APR_HASH_KEY_STRING);

    (*counter(c->pool, c->calls, request->url))++;
    if (c->down) {
        *why = apr_psprintf(p, "%s: connection refused", request->url);
        return OT_ERR_UNAVAILABLE;
    }
    memset(response, 0, sizeof(*response));
    response->status =
        body ? *counter(c->pool, c->statuses, request->url) : 404;
    response->body = body ? body : "not found";
    response->body_len = strlen(response->body);
    return OT_OK;
}

/* A fresh P-256 public key as a JWK with kid. */
static const char *ec_jwk(apr_pool_t *p, const char *kid)
{
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    unsigned char point[65];
    size_t len = 0;
    const char *jwk;

    if (!pkey
        || !EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY,
                                            point, sizeof(point), &len)
        || len != 65) {
        EVP_PKEY_free(pkey);
        return "{}";
    }
    jwk = apr_psprintf(p,
                       "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"%s\","
                       "\"x\":\"%s\",\"y\":\"%s\"}",
                       kid, ot_b64url_encode(p, point + 1, 32),
                       ot_b64url_encode(p, point + 33, 32));
    EVP_PKEY_free(pkey);
    return jwk;
}

static const char *jwks_of(apr_pool_t *p, const char *jwk)
{
    return apr_psprintf(p, "{\"keys\":[%s]}", jwk);
}

static int has_kid(const ot_jwks_t *jwks, const char *kid)
{
    int i;

    for (i = 0; jwks && i < jwks->keys->nelts; i++) {
        const ot_jwk_t *key = APR_ARRAY_IDX(jwks->keys, i, ot_jwk_t *);

        if (key->kid && !strcmp(key->kid, kid)) {
            return 1;
        }
    }
    return 0;
}

static const char *metadata(apr_pool_t *p, const char *issuer)
{
    return apr_psprintf(p, "{\"issuer\":\"%s\",\"jwks_uri\":\"%s\"}", issuer,
                        JWKS_URL);
}

typedef struct fixture_t {
    canned_t canned;
    ot_fetcher_t fetcher;
    ot_store_t *store;
    ot_provider_t *provider;
    ot_issuer_t issuer;
} fixture_t;

static void setup(apr_pool_t *p, fixture_t *f)
{
    ot_provider_options_t options;

    memset(f, 0, sizeof(*f));
    f->canned.pool = p;
    f->canned.bodies = apr_hash_make(p);
    f->canned.statuses = apr_hash_make(p);
    f->canned.calls = apr_hash_make(p);
    f->fetcher.fetch = canned_fetch;
    f->fetcher.ctx = &f->canned;
    f->store = ot_store_memory_create(p, store_now, NULL);
    memset(&options, 0, sizeof(options));
    options.jwks.default_ttl = apr_time_from_sec(600);
    options.jwks.min_ttl = apr_time_from_sec(30);
    options.jwks.max_ttl = apr_time_from_sec(3600);
    options.jwks.max_stale = apr_time_from_sec(3600);
    options.jwks.max_len = OT_MAX_JWKS_LEN;
    options.metadata = options.jwks;
    options.metadata.max_len = OT_MAX_METADATA_LEN;
    options.refresh_interval = apr_time_from_sec(30);
    options.now = now_fn;
    ot_provider_create(p, f->store, &f->fetcher, &options, &f->provider);
    f->issuer.issuer = ISSUER;
}

static ot_status_t keys(fixture_t *f, apr_pool_t *p, int refresh,
                        const ot_jwks_t **jwks, const char **why)
{
    *jwks = NULL;
    return ot_provider_issuer_keys(f->provider, p, &f->issuer, refresh, jwks,
                                   why);
}

static void test_discovery_and_throttle(apr_pool_t *p)
{
    fixture_t f;
    const ot_jwks_t *jwks, *old;
    const char *why = NULL;
    ot_provider_stats_t stats;
    apr_pool_t *held;
    int i;

    fake_now = apr_time_from_sec(1700000000);
    setup(p, &f);
    answer(&f.canned, OIDC_URL, 200, metadata(p, ISSUER));
    answer(&f.canned, JWKS_URL, 200, jwks_of(p, ec_jwk(p, "a")));

    is_int(keys(&f, p, 0, &jwks, &why), OT_OK, "first use: keys discovered");
    ok(has_kid(jwks, "a"), "the set holds kid a");
    is_int(calls(&f.canned, RFC8414_URL), 1, "RFC 8414 URL asked first");
    is_int(calls(&f.canned, OIDC_URL), 1, "then OpenID Connect discovery");
    is_int(calls(&f.canned, JWKS_URL), 1, "then the jwks_uri");

    is_int(keys(&f, p, 0, &jwks, &why), OT_OK, "second use");
    is_int(calls(&f.canned, JWKS_URL), 1, "served without fetching");
    ot_provider_stats(f.provider, &stats);
    is_int((long)stats.key_parses, 1, "the set was parsed once");

    /* Rotation at the provider; a token names the new kid. */
    apr_pool_create(&held, p);
    keys(&f, held, 0, &old, &why);
    answer(&f.canned, JWKS_URL, 200, jwks_of(p, ec_jwk(p, "b")));
    is_int(keys(&f, p, 1, &jwks, &why), OT_OK, "unknown kid: refresh");
    ok(has_kid(jwks, "b") && !has_kid(jwks, "a"), "the new set replaced it");
    is_int(calls(&f.canned, JWKS_URL), 2, "one fetch for the refresh");
    ok(has_kid(old, "a"), "a set held by a request outlives its replacement");
    apr_pool_destroy(held);

    for (i = 0; i < 50; i++) {
        keys(&f, p, 1, &jwks, &why);
    }
    is_int(calls(&f.canned, JWKS_URL), 2,
           "50 more unknown-kid refreshes within the interval: no fetch");
    ot_provider_stats(f.provider, &stats);
    is_int((long)stats.throttled, 50, "all 50 throttled");
    ok(has_kid(jwks, "b"), "and still served the current set");

    fake_now += apr_time_from_sec(31);
    keys(&f, p, 1, &jwks, &why);
    is_int(calls(&f.canned, JWKS_URL), 3, "after the interval: one fetch");
    keys(&f, p, 0, &jwks, &why);
    is_int(calls(&f.canned, RFC8414_URL), 1,
           "the URL that answered is remembered (RFC 8414 not asked again)");
    ot_provider_stats(f.provider, &stats);
    is_int((long)stats.key_parses, 2,
           "an unchanged set is not parsed again after a refetch");
}

static void test_provider_down(apr_pool_t *p)
{
    fixture_t f;
    const ot_jwks_t *jwks;
    const char *why = NULL;
    int fetches;

    fake_now = apr_time_from_sec(1700000000);
    setup(p, &f);
    answer(&f.canned, OIDC_URL, 200, metadata(p, ISSUER));
    answer(&f.canned, JWKS_URL, 200, jwks_of(p, ec_jwk(p, "a")));
    keys(&f, p, 0, &jwks, &why);

    f.canned.down = 1;
    fake_now += apr_time_from_sec(601);
    why = NULL;
    is_int(keys(&f, p, 0, &jwks, &why), OT_OK,
           "provider down past the set's lifetime: still served");
    ok(has_kid(jwks, "a") && why && strstr(why, "stale"),
       "the last good set, said to be stale (%s)", why ? why : "no reason");
    fetches = calls(&f.canned, JWKS_URL);
    keys(&f, p, 0, &jwks, &why);
    is_int(calls(&f.canned, JWKS_URL), fetches,
           "and the provider is not asked again on the next request");

    fake_now += apr_time_from_sec(7200);
    is_int(keys(&f, p, 0, &jwks, &why), OT_ERR_UNAVAILABLE,
           "past the stale bound: unavailable");
    ok(why && strstr(why, "idp.test"), "the reason names the URL (%s)",
       why ? why : "none");
    fetches = calls(&f.canned, JWKS_URL) + calls(&f.canned, OIDC_URL);
    is_int(keys(&f, p, 0, &jwks, &why), OT_ERR_UNAVAILABLE,
           "asked again at once: unavailable");
    is_int(calls(&f.canned, JWKS_URL) + calls(&f.canned, OIDC_URL), fetches,
           "without asking the provider (back-off)");
    f.canned.down = 0;
    fake_now += apr_time_from_sec(6);
    is_int(keys(&f, p, 0, &jwks, &why), OT_OK,
           "after the back-off and with the provider back: keys again");
}

/* A provider that does not answer the first well-known URL is not asked
 * for the second: one timeout per request. */
static void test_one_timeout(apr_pool_t *p)
{
    fixture_t f;
    const ot_jwks_t *jwks;
    const char *why = NULL;

    fake_now = apr_time_from_sec(1700000000);
    setup(p, &f);
    f.canned.down = 1;
    keys(&f, p, 0, &jwks, &why);
    is_int(calls(&f.canned, RFC8414_URL), 1, "down: RFC 8414 URL asked");
    is_int(calls(&f.canned, OIDC_URL), 0,
           "and openid-configuration not (one timeout, not two)");
}

/* Two processes share the store: a rotation one of them picks up reaches
 * the other within the refresh interval, without a fetch of its own. */
static void test_processes_converge(apr_pool_t *p)
{
    fixture_t a, b;
    ot_provider_options_t options;
    const ot_jwks_t *jwks;
    const char *why = NULL;
    int fetches;

    fake_now = apr_time_from_sec(1700000000);
    setup(p, &a);
    b = a;
    memset(&options, 0, sizeof(options));
    options.jwks.default_ttl = apr_time_from_sec(600);
    options.jwks.min_ttl = apr_time_from_sec(30);
    options.jwks.max_ttl = apr_time_from_sec(3600);
    options.jwks.max_stale = apr_time_from_sec(3600);
    options.jwks.max_len = OT_MAX_JWKS_LEN;
    options.metadata = options.jwks;
    options.refresh_interval = apr_time_from_sec(30);
    options.now = now_fn;
    ot_provider_create(p, a.store, &a.fetcher, &options, &b.provider);
    answer(&a.canned, OIDC_URL, 200, metadata(p, ISSUER));
    answer(&a.canned, JWKS_URL, 200, jwks_of(p, ec_jwk(p, "old")));
    keys(&a, p, 0, &jwks, &why);
    keys(&b, p, 0, &jwks, &why);
    ok(has_kid(jwks, "old"), "both processes hold the first set");

    answer(&a.canned, JWKS_URL, 200, jwks_of(p, ec_jwk(p, "new")));
    keys(&a, p, 1, &jwks, &why);
    ok(has_kid(jwks, "new"), "process A refreshed for an unknown kid");
    fetches = calls(&a.canned, JWKS_URL);
    keys(&b, p, 0, &jwks, &why);
    ok(has_kid(jwks, "old"), "process B still uses its set within the interval");
    fake_now += apr_time_from_sec(31);
    keys(&b, p, 0, &jwks, &why);
    ok(has_kid(jwks, "new") && !has_kid(jwks, "old"),
       "after the interval B has the new set: the removed key is gone");
    is_int(calls(&a.canned, JWKS_URL), fetches, "taken from the shared store");
}

static void test_never_reached(apr_pool_t *p)
{
    fixture_t f;
    const ot_jwks_t *jwks;
    const char *why = NULL;

    fake_now = apr_time_from_sec(1700000000);
    setup(p, &f);
    f.canned.down = 1;
    is_int(keys(&f, p, 0, &jwks, &why), OT_ERR_UNAVAILABLE,
           "provider down and nothing cached: unavailable");
}

static void test_mix_up(apr_pool_t *p)
{
    fixture_t f;
    const ot_metadata_t *md = NULL;
    const ot_jwks_t *jwks;
    const char *why = NULL;

    fake_now = apr_time_from_sec(1700000000);
    setup(p, &f);
    answer(&f.canned, RFC8414_URL, 200, metadata(p, "https://evil.test"));
    answer(&f.canned, OIDC_URL, 200, metadata(p, ISSUER));
    answer(&f.canned, JWKS_URL, 200, jwks_of(p, ec_jwk(p, "a")));
    is_int(ot_provider_metadata(f.provider, p, &f.issuer, &md, &why),
           OT_ERR_ISSUER, "metadata naming another issuer: refused");
    is_int(calls(&f.canned, OIDC_URL), 0,
           "and no other document is sought to suit");
    is_int(keys(&f, p, 0, &jwks, &why), OT_ERR_UNAVAILABLE,
           "so no keys: unavailable");
    is_int(calls(&f.canned, JWKS_URL), 0, "the jwks_uri was never fetched");
}

static void test_pinned_urls(apr_pool_t *p)
{
    fixture_t f;
    const ot_jwks_t *jwks;
    const char *why = NULL;

    fake_now = apr_time_from_sec(1700000000);
    setup(p, &f);
    f.issuer.jwks_url = "https://keys.test/set";
    answer(&f.canned, "https://keys.test/set", 200,
           jwks_of(p, ec_jwk(p, "pinned")));
    is_int(keys(&f, p, 0, &jwks, &why), OT_OK, "OAuthTokenJWKS URL: keys");
    ok(has_kid(jwks, "pinned"), "from the pinned URL");
    is_int(calls(&f.canned, OIDC_URL) + calls(&f.canned, RFC8414_URL), 0,
           "without discovery");

    setup(p, &f);
    f.issuer.metadata_url = "https://meta.test/doc";
    answer(&f.canned, "https://meta.test/doc", 200, metadata(p, ISSUER));
    answer(&f.canned, JWKS_URL, 200, jwks_of(p, ec_jwk(p, "m")));
    is_int(keys(&f, p, 0, &jwks, &why), OT_OK, "OAuthTokenMetadataURL: keys");
    is_int(calls(&f.canned, OIDC_URL) + calls(&f.canned, RFC8414_URL), 0,
           "the well-known URLs were not asked");

    setup(p, &f);
    answer(&f.canned, OIDC_URL, 200, metadata(p, ISSUER));
    answer(&f.canned, JWKS_URL, 200, "{\"keys\":[{\"kty\":\"EC\"}]}");
    is_int(keys(&f, p, 0, &jwks, &why), OT_ERR_UNAVAILABLE,
           "an unusable key set: unavailable");
    ok(why && strstr(why, JWKS_URL), "the reason names the set's URL (%s)",
       why ? why : "none");
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    test_discovery_and_throttle(p);
    test_provider_down(p);
    test_never_reached(p);
    test_one_timeout(p);
    test_processes_converge(p);
    test_mix_up(p);
    test_pinned_urls(p);
    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
