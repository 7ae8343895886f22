/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Unit tests of src/fetch (URL policy, Cache-Control, cache-aside with a
 * canned fetcher), src/store (ids, the in-memory store) and
 * src/oidc/metadata (well-known URLs, document checks). No network. */

#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <apr_thread_proc.h>

#include "tap.h"
#include "ot.h"
#include "fetch/doc.h"
#include "fetch/fetch.h"
#include "oidc/metadata.h"
#include "store/store.h"

#define T0 apr_time_from_sec(1700000000)

static apr_pool_t *pool;
static apr_time_t clock_now;

static apr_time_t test_now(void *baton)
{
    (void)baton;
    return clock_now;
}

static int contains(const char *haystack, const char *needle)
{
    return haystack != NULL && strstr(haystack, needle) != NULL;
}

/* Test names stay on one line whatever the case holds. */
static const char *printable(const char *s)
{
    char *copy = apr_pstrdup(pool, s), *c;

    for (c = copy; *c != '\0'; c++) {
        if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f) {
            *c = '?';
        }
    }
    return copy;
}

/* ---- URL policy ------------------------------------------------------- */

static void test_url_policy(void)
{
    static const struct {
        const char *url;
        int allowed;
    } cases[] = {
        {"https://idp.example.com/jwks", 1},
        {"https://idp.example.com:8443/a/b?c=d", 1},
        {"HTTPS://IDP.EXAMPLE.COM/", 1},
        {"http://127.0.0.1:8080/jwks", 1},
        {"http://127.5.6.7/", 1},
        {"http://127.255.255.255", 1},
        {"http://[::1]:1/x", 1},
        {"http://[::1]/", 1},
        {"http://[0:0:0:0:0:0:0:1]/", 1},
        {"http://localhost/", 1},
        {"http://LOCALHOST:9000/x", 1},
        {"http://example.com/jwks", 0},
        {"http://128.0.0.1/", 0},
        {"http://0.0.0.0/", 0},
        {"http://10.0.0.1/", 0},
        {"http://[::2]/", 0},
        {"http://[::ffff:127.0.0.1]/", 0},
        {"http://127.1/", 0},
        {"http://0177.0.0.1/", 0},
        {"http://127.0.0.1.evil.example/", 0},
        {"http://localhost.evil.example/", 0},
        {"http://127.0.0.1%2eevil.example/", 0},
        {"ftp://idp.example.com/jwks", 0},
        {"file:///etc/passwd", 0},
        {"gopher://127.0.0.1/", 0},
        {"https://user:pw@idp.example.com/", 0},
        {"https://user@idp.example.com/", 0},
        {"https://@idp.example.com/", 0},
        {"http://user@127.0.0.1/", 0},
        {"https://idp.example.com\\@evil.example/", 0},
        {"https://idp.example.com/a b", 0},
        {"https://idp.example.com/\n", 0},
        {"https://idp.example.com/\x80", 0},
        {"https://", 0},
        {"https:///path", 0},
        {"https:idp.example.com", 0},
        {"//idp.example.com/", 0},
        {"/relative/path", 0},
        {"garbage", 0},
        {"", 0},
    };
    apr_size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        is_int(ot_fetch_url_allowed(pool, cases[i].url), cases[i].allowed,
               "url: %s is %s", printable(cases[i].url),
               cases[i].allowed ? "allowed" : "refused");
    }
    is_int(ot_fetch_url_allowed(pool, NULL), 0, "url: NULL is refused");
}

/* ---- Cache-Control ---------------------------------------------------- */

static void test_max_age(void)
{
    static const struct {
        const char *cc;
        apr_int64_t max_age;
    } cases[] = {
        {"max-age=300", 300},
        {"public, max-age=60", 60},
        {"public,max-age=60,must-revalidate", 60},
        {"MAX-AGE=7", 7},
        {"max-age=0", 0},
        {"max-age=007", 7},
        {"max-age=\"30\"", 30},
        {"max-age=10, max-age=20", 10},
        {"s-maxage=100", -1},
        {"s-maxage=100, max-age=5", 5},
        {"private=\"a, max-age=1\", max-age=9", 9},
        {"no-store", 0},
        {"No-Cache", 0},
        {"max-age=60, no-cache", 0},
        {"no-cache=\"Set-Cookie\", max-age=60", 0},
        {"max-age=abc", -1},
        {"max-age=", -1},
        {"max-age", -1},
        {"max-age=-5", -1},
        {"max-age=1.5", -1},
        {"max-age=5 junk", -1},
        {"max-age=\"5", -1},
        {"max-age = 5", -1},
        {"=5", -1},
        {"public", -1},
        {"", -1},
        {"max-age=2147483647", 2147483647},
        {"max-age=2147483648", APR_INT64_C(2147483648)},
        {"max-age=99999999999999999999999999999", APR_INT64_C(2147483648)},
    };
    apr_size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        is_int((long)ot_fetch_max_age(cases[i].cc), (long)cases[i].max_age,
               "max-age: \"%s\"", cases[i].cc);
    }
    is_int((long)ot_fetch_max_age(NULL), -1, "max-age: no header");
}

/* ---- store ids and the memory store ----------------------------------- */

static void test_store_ids(void)
{
    unsigned char a[OT_STORE_ID_LEN], b[OT_STORE_ID_LEN];

    ot_store_id("doc", "https://x/", 10, a);
    ot_store_id("doc", "https://x/", 10, b);
    ok(memcmp(a, b, sizeof(a)) == 0, "store id: deterministic");
    ot_store_id("jwks", "https://x/", 10, b);
    ok(memcmp(a, b, sizeof(a)) != 0, "store id: differs by namespace");
    ot_store_id("doc", "https://y/", 10, b);
    ok(memcmp(a, b, sizeof(a)) != 0, "store id: differs by key");
    ot_store_id("a", "bc", 2, a);
    ot_store_id("ab", "c", 1, b);
    ok(memcmp(a, b, sizeof(a)) != 0,
       "store id: \"a\"+\"bc\" and \"ab\"+\"c\" differ (NUL separator)");
    ot_store_id("doc", "k\0x", 3, a);
    ot_store_id("doc", "k\0y", 3, b);
    ok(memcmp(a, b, sizeof(a)) != 0, "store id: the whole key_len counts");
}

static void test_memory_store(void)
{
    ot_store_t *store = ot_store_memory_create(pool, test_now, NULL);
    unsigned char *value;
    apr_size_t len;
    unsigned char id[OT_STORE_ID_LEN];
    unsigned char *big;

    if (!ok(store != NULL && store->max_value_len >= OT_MAX_JWKS_LEN + 64,
            "memory store: created, keeps a full key set")) {
        return;
    }
    clock_now = T0;
    is_int(ot_store_get(store, pool, "ns", "k", &value, &len), OT_ERR_NOT_FOUND,
           "memory store: empty get is NOT_FOUND");
    is_int(ot_store_put(store, pool, "ns", "k", (const unsigned char *)"v1", 2,
                        T0 + apr_time_from_sec(10)),
           OT_OK, "memory store: put");
    ok(ot_store_get(store, pool, "ns", "k", &value, &len) == OT_OK && len == 2
           && memcmp(value, "v1", 2) == 0,
       "memory store: get returns what was put");
    is_int(ot_store_get(store, pool, "other", "k", &value, &len),
           OT_ERR_NOT_FOUND, "memory store: another namespace misses");
    ot_store_put(store, pool, "ns", "k", (const unsigned char *)"v22", 3,
                 T0 + apr_time_from_sec(10));
    ok(ot_store_get(store, pool, "ns", "k", &value, &len) == OT_OK && len == 3
           && memcmp(value, "v22", 3) == 0,
       "memory store: put replaces");
    clock_now = T0 + apr_time_from_sec(10);
    is_int(ot_store_get(store, pool, "ns", "k", &value, &len), OT_ERR_NOT_FOUND,
           "memory store: expired at its expiry");
    clock_now = T0;
    is_int(ot_store_get(store, pool, "ns", "k", &value, &len), OT_ERR_NOT_FOUND,
           "memory store: an expired record is gone");

    ot_store_put(store, pool, "ns", "r", (const unsigned char *)"x", 1,
                 T0 + apr_time_from_sec(10));
    ot_store_id("ns", "r", 1, id);
    is_int(store->remove(store, pool, id, sizeof(id)), OT_OK,
           "memory store: remove");
    is_int(ot_store_get(store, pool, "ns", "r", &value, &len), OT_ERR_NOT_FOUND,
           "memory store: removed record misses");
    is_int(store->remove(store, pool, id, sizeof(id)), OT_OK,
           "memory store: removing an absent record is fine");

    is_int(ot_store_put(store, pool, "ns", "past", (const unsigned char *)"x",
                        1, T0 - 1),
           OT_OK, "memory store: put of an already expired record");
    is_int(ot_store_get(store, pool, "ns", "past", &value, &len),
           OT_ERR_NOT_FOUND, "memory store: ... is not kept");

    big = apr_pcalloc(pool, store->max_value_len + 1);
    is_int(ot_store_put(store, pool, "ns", "big", big, store->max_value_len + 1,
                        T0 + apr_time_from_sec(10)),
           OT_ERR_TOO_LARGE, "memory store: over max_value_len refused");
    ok(ot_store_put(store, pool, "ns", "empty", (const unsigned char *)"", 0,
                    T0 + apr_time_from_sec(10))
               == OT_OK
           && ot_store_get(store, pool, "ns", "empty", &value, &len) == OT_OK
           && len == 0,
       "memory store: an empty value is a value");

    is_int(
        ot_store_claim(store, pool, "lock", "iss", T0 + apr_time_from_sec(30)),
        OT_OK, "claim: first claim wins");
    is_int(
        ot_store_claim(store, pool, "lock", "iss", T0 + apr_time_from_sec(30)),
        OT_ERR_BUSY, "claim: second claim is BUSY");
    is_int(ot_store_claim(store, pool, "lock", "other",
                          T0 + apr_time_from_sec(30)),
           OT_OK, "claim: another key is independent");
    clock_now = T0 + apr_time_from_sec(29);
    is_int(
        ot_store_claim(store, pool, "lock", "iss", T0 + apr_time_from_sec(60)),
        OT_ERR_BUSY, "claim: still BUSY just before expiry");
    clock_now = T0 + apr_time_from_sec(30);
    is_int(
        ot_store_claim(store, pool, "lock", "iss", T0 + apr_time_from_sec(60)),
        OT_OK, "claim: free again at expiry");
    is_int(
        ot_store_claim(store, pool, "lock", "iss", T0 + apr_time_from_sec(60)),
        OT_ERR_BUSY, "claim: and held by the new claim");
}

#define CLAIM_THREADS 8

typedef struct {
    ot_store_t *store;
    ot_status_t st[CLAIM_THREADS];
} claim_race_t;

static claim_race_t race;

static void *APR_THREAD_FUNC claim_thread(apr_thread_t *thread, void *data)
{
    apr_size_t i = (apr_size_t)(apr_uintptr_t)data;
    apr_pool_t *p;
    int n;

    apr_pool_create(&p, NULL);
    /* Some traffic around the claim, so that the mutex is exercised. */
    for (n = 0; n < 200; n++) {
        ot_store_put(race.store, p, "race", apr_psprintf(p, "%d-%d", (int)i, n),
                     (const unsigned char *)"v", 1, T0 + apr_time_from_sec(5));
    }
    race.st[i] = ot_store_claim(race.store, p, "race", "lock",
                                T0 + apr_time_from_sec(5));
    apr_pool_destroy(p);
    apr_thread_exit(thread, APR_SUCCESS);
    return NULL;
}

static void test_memory_store_threads(void)
{
    apr_thread_t *threads[CLAIM_THREADS];
    apr_status_t rv;
    int i, winners = 0, busy = 0;

    clock_now = T0;
    race.store = ot_store_memory_create(pool, test_now, NULL);
    for (i = 0; i < CLAIM_THREADS; i++) {
        apr_thread_create(&threads[i], NULL, claim_thread,
                          (void *)(apr_uintptr_t)i, pool);
    }
    for (i = 0; i < CLAIM_THREADS; i++) {
        apr_thread_join(&rv, threads[i]);
        winners += race.st[i] == OT_OK;
        busy += race.st[i] == OT_ERR_BUSY;
    }
    ok(winners == 1 && busy == CLAIM_THREADS - 1,
       "claim: %d threads racing, exactly one wins (%d won, %d busy)",
       CLAIM_THREADS, winners, busy);
}

/* ---- ot_doc_get with a canned fetcher --------------------------------- */

typedef struct canned_t {
    int calls;
    ot_status_t st; /* what fetch returns */
    int status;     /* HTTP status when st is OT_OK */
    const char *body;
    const char *cache_control;
    ot_http_request_t last; /* the last request seen */
} canned_t;

static ot_status_t canned_fetch(const ot_fetcher_t *fetcher, apr_pool_t *p,
                                const ot_http_request_t *request,
                                ot_http_response_t *response, const char **why)
{
    canned_t *c = fetcher->ctx;

    c->calls++;
    c->last = *request;
    memset(response, 0, sizeof(*response));
    if (c->st != OT_OK) {
        *why = apr_psprintf(p, "%s: Couldn't connect to server", request->url);
        return c->st;
    }
    response->status = c->status;
    response->body = apr_pstrdup(p, c->body);
    response->body_len = strlen(c->body);
    response->cache_control = c->cache_control;
    return OT_OK;
}

static canned_t canned;
static ot_fetcher_t canned_fetcher = {canned_fetch, &canned};

static void canned_answer(ot_status_t st, int status, const char *body,
                          const char *cache_control)
{
    canned.st = st;
    canned.status = status;
    canned.body = body;
    canned.cache_control = cache_control;
}

static ot_doc_policy_t doc_policy(void)
{
    ot_doc_policy_t policy;

    policy.default_ttl = apr_time_from_sec(300);
    policy.min_ttl = apr_time_from_sec(60);
    policy.max_ttl = apr_time_from_sec(3600);
    policy.max_stale = apr_time_from_sec(86400);
    policy.max_len = 1000;
    return policy;
}

static void test_doc_cache_aside(void)
{
    ot_store_t *store = ot_store_memory_create(pool, test_now, NULL);
    ot_doc_policy_t policy = doc_policy();
    const char *url = "https://idp.example.com/jwks";
    const char *why;
    ot_doc_t doc;
    ot_status_t st;

    clock_now = T0;
    memset(&canned, 0, sizeof(canned));
    canned_answer(OT_OK, 200, "{\"keys\":[]}", NULL);
    st = ot_doc_get(pool, store, &canned_fetcher, url, &policy, T0, 0, &doc,
                    &why);
    ok(st == OT_OK && canned.calls == 1 && !doc.from_store && !doc.stale
           && doc.len == 11 && strcmp(doc.body, "{\"keys\":[]}") == 0
           && doc.fetched == T0
           && doc.fresh_until == T0 + apr_time_from_sec(300) && why == NULL,
       "doc: first get fetches (default ttl without Cache-Control)");
    ok(strcmp(canned.last.method, "GET") == 0
           && strcmp(canned.last.url, url) == 0
           && canned.last.max_response == policy.max_len
           && canned.last.authorization == NULL,
       "doc: the fetcher is asked GET url with max_len as the bound");

    clock_now = T0 + apr_time_from_sec(100);
    st = ot_doc_get(pool, store, &canned_fetcher, url, &policy, clock_now, 0,
                    &doc, &why);
    ok(st == OT_OK && canned.calls == 1 && doc.from_store && !doc.stale
           && strcmp(doc.body, "{\"keys\":[]}") == 0 && doc.len == 11
           && doc.fetched == T0
           && doc.fresh_until == T0 + apr_time_from_sec(300),
       "doc: second get is served from the store, no fetch");

    canned_answer(OT_OK, 200, "{\"keys\":[1]}", NULL);
    st = ot_doc_get(pool, store, &canned_fetcher, url, &policy, clock_now, 1,
                    &doc, &why);
    ok(st == OT_OK && canned.calls == 2 && !doc.from_store
           && strcmp(doc.body, "{\"keys\":[1]}") == 0
           && doc.fresh_until == clock_now + apr_time_from_sec(300),
       "doc: refresh fetches although the copy is fresh");
    st = ot_doc_get(pool, store, &canned_fetcher, url, &policy, clock_now, 0,
                    &doc, &why);
    ok(st == OT_OK && canned.calls == 2 && doc.from_store
           && strcmp(doc.body, "{\"keys\":[1]}") == 0,
       "doc: the refreshed copy replaced the stored one");

    clock_now = T0 + apr_time_from_sec(100 + 300);
    canned_answer(OT_OK, 200, "{\"keys\":[2]}", NULL);
    st = ot_doc_get(pool, store, &canned_fetcher, url, &policy, clock_now, 0,
                    &doc, &why);
    ok(st == OT_OK && canned.calls == 3 && !doc.from_store
           && strcmp(doc.body, "{\"keys\":[2]}") == 0,
       "doc: fetched again once fresh_until has passed");
}

static void test_doc_lifetime(void)
{
    static const struct {
        const char *cc;
        long seconds;
    } cases[] = {
        {"max-age=120", 120},          {"public, max-age=5", 60},
        {"max-age=999999", 3600},      {"no-store", 60},
        {"no-cache, max-age=600", 60}, {"max-age=junk", 300},
        {"s-maxage=900", 300},
    };
    ot_store_t *store = ot_store_memory_create(pool, test_now, NULL);
    ot_doc_policy_t policy = doc_policy();
    const char *why;
    ot_doc_t doc;
    apr_size_t i;

    clock_now = T0;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        canned_answer(OT_OK, 200, "{}", cases[i].cc);
        ok(ot_doc_get(pool, store, &canned_fetcher,
                      apr_psprintf(pool, "https://idp.example.com/l%d", (int)i),
                      &policy, T0, 0, &doc, &why)
                   == OT_OK
               && doc.fresh_until == T0 + apr_time_from_sec(cases[i].seconds),
           "doc: Cache-Control \"%s\" gives %ld s within [60, 3600]",
           cases[i].cc, cases[i].seconds);
    }
}

/* One failure mode of the provider, against fresh, stale and too old
 * copies. */
static void test_doc_failure(const char *name, ot_status_t st, int status,
                             const char *body)
{
    ot_store_t *store = ot_store_memory_create(pool, test_now, NULL);
    ot_doc_policy_t policy = doc_policy();
    const char *url =
        apr_psprintf(pool, "https://idp.example.com/%s/jwks", name);
    apr_time_t fresh_until = T0 + apr_time_from_sec(300);
    const char *why;
    ot_doc_t doc;
    int calls;

    clock_now = T0;
    canned_answer(OT_OK, 200, "{\"good\":1}", NULL);
    ot_doc_get(pool, store, &canned_fetcher, url, &policy, T0, 0, &doc, &why);
    canned_answer(st, status, body, NULL);
    calls = canned.calls;

    clock_now = T0 + apr_time_from_sec(10);
    ok(ot_doc_get(pool, store, &canned_fetcher, url, &policy, clock_now, 0,
                  &doc, &why)
               == OT_OK
           && canned.calls == calls && doc.from_store && !doc.stale
           && strcmp(doc.body, "{\"good\":1}") == 0,
       "doc (%s): fresh copy served from the store, no fetch", name);

    ok(ot_doc_get(pool, store, &canned_fetcher, url, &policy, clock_now, 1,
                  &doc, &why)
               == OT_OK
           && canned.calls == calls + 1 && doc.from_store && !doc.stale
           && strcmp(doc.body, "{\"good\":1}") == 0 && contains(why, url),
       "doc (%s): failed refresh keeps the fresh copy, why names the URL",
       name);

    clock_now = fresh_until + apr_time_from_sec(1);
    ok(ot_doc_get(pool, store, &canned_fetcher, url, &policy, clock_now, 0,
                  &doc, &why)
               == OT_OK
           && canned.calls == calls + 2 && doc.from_store && doc.stale
           && strcmp(doc.body, "{\"good\":1}") == 0 && contains(why, url),
       "doc (%s): expired copy within max_stale served stale", name);
    diag("  why: %s", why ? why : "(null)");

    clock_now = fresh_until + policy.max_stale + apr_time_from_sec(1);
    ok(ot_doc_get(pool, store, &canned_fetcher, url, &policy, clock_now, 0,
                  &doc, &why)
               == OT_ERR_UNAVAILABLE
           && canned.calls == calls + 3 && contains(why, url),
       "doc (%s): beyond max_stale UNAVAILABLE, why names the URL", name);
    diag("  why: %s", why ? why : "(null)");
}

/* A JSON object of len bytes. */
static const char *long_body(apr_size_t len)
{
    char *body = apr_palloc(pool, len + 1);

    memset(body, 'a', len);
    memcpy(body, "{\"k\":\"", 6);
    memcpy(body + len - 2, "\"}", 2);
    body[len] = '\0';
    return body;
}

static void test_doc_edges(void)
{
    ot_store_t *store = ot_store_memory_create(pool, test_now, NULL);
    ot_doc_policy_t policy = doc_policy();
    const char *url = "https://idp.example.com/edge";
    unsigned char bad[40];
    const char *why;
    ot_doc_t doc;
    char *large;
    int calls;

    clock_now = T0;
    canned_answer(OT_ERR_UNAVAILABLE, 0, NULL, NULL);
    ok(ot_doc_get(pool, store, &canned_fetcher, url, &policy, T0, 0, &doc, &why)
               == OT_ERR_UNAVAILABLE
           && contains(why, url),
       "doc: nothing stored and no answer: UNAVAILABLE naming the URL");
    canned_answer(OT_OK, 404, "not here", NULL);
    ok(ot_doc_get(pool, store, &canned_fetcher, url, &policy, T0, 0, &doc, &why)
               == OT_ERR_NOT_FOUND
           && contains(why, url) && contains(why, "404"),
       "doc: a 404 is NOT_FOUND (the next well-known URL may be tried), why "
       "names the URL and status");
    canned_answer(OT_OK, 503, "busy", NULL);
    ok(ot_doc_get(pool, store, &canned_fetcher, url, &policy, T0, 0, &doc, &why)
               == OT_ERR_UNAVAILABLE,
       "doc: a 503 is UNAVAILABLE");
    diag("  why: %s", why ? why : "(null)");

    /* The store outlives the stale bound (another clock): ot_doc_get
     * still refuses the copy. */
    canned_answer(OT_OK, 200, "{\"a\":1}", NULL);
    ot_doc_get(pool, store, &canned_fetcher, url, &policy, T0, 0, &doc, &why);
    canned_answer(OT_ERR_UNAVAILABLE, 0, NULL, NULL);
    ok(ot_doc_get(pool, store, &canned_fetcher, url, &policy,
                  T0 + apr_time_from_sec(300) + policy.max_stale, 0, &doc, &why)
           == OT_ERR_UNAVAILABLE,
       "doc: a copy the store still holds is not served past max_stale");

    /* A record of another layout reads as absent. */
    memset(bad, 0, sizeof(bad));
    bad[0] = 9;
    ot_store_put(store, pool, "doc", url, bad, sizeof(bad),
                 T0 + apr_time_from_sec(1000));
    canned_answer(OT_OK, 200, "{\"b\":2}", NULL);
    calls = canned.calls;
    ok(ot_doc_get(pool, store, &canned_fetcher, url, &policy, T0, 0, &doc, &why)
               == OT_OK
           && canned.calls == calls + 1 && strcmp(doc.body, "{\"b\":2}") == 0,
       "doc: a record of an unknown version is ignored");

    /* Larger than the store takes: returned, not stored. */
    large = apr_pcalloc(pool, 200);
    memset(large, 'x', 199);
    store->max_value_len = 100;
    url = "https://idp.example.com/large";
    canned_answer(OT_OK, 200, large, NULL);
    calls = canned.calls;
    ok(ot_doc_get(pool, store, &canned_fetcher, url, &policy, T0, 0, &doc, &why)
               == OT_OK
           && doc.len == 199 && canned.calls == calls + 1,
       "doc: a body over the store's max_value_len is still returned");
    ok(ot_doc_get(pool, store, &canned_fetcher, url, &policy, T0, 0, &doc, &why)
               == OT_OK
           && canned.calls == calls + 2 && !doc.from_store,
       "doc: ... but not stored (the next get fetches)");

    /* The body limit holds whatever the fetcher does. */
    policy.max_len = 10;
    canned_answer(OT_OK, 200, large, NULL);
    ok(ot_doc_get(pool, store, &canned_fetcher, "https://idp.example.com/l2",
                  &policy, T0, 0, &doc, &why)
               == OT_ERR_UNAVAILABLE
           && contains(why, "larger than 10 bytes"),
       "doc: a body over max_len is refused");
    diag("  why: %s", why ? why : "(null)");
}

/* ---- metadata --------------------------------------------------------- */

static void test_metadata_urls(void)
{
    static const struct {
        const char *issuer, *rfc8414, *oidc;
    } cases[] = {
        {"https://idp.example.com",
         "https://idp.example.com/.well-known/oauth-authorization-server",
         "https://idp.example.com/.well-known/openid-configuration"},
        {"https://idp.example.com/",
         "https://idp.example.com/.well-known/oauth-authorization-server",
         "https://idp.example.com/.well-known/openid-configuration"},
        {"https://idp.example.com/issuer1",
         "https://idp.example.com/.well-known/oauth-authorization-server/"
         "issuer1",
         "https://idp.example.com/issuer1/.well-known/openid-configuration"},
        {"https://idp.example.com/realms/main/",
         "https://idp.example.com/.well-known/oauth-authorization-server/"
         "realms/main",
         "https://idp.example.com/realms/main/.well-known/"
         "openid-configuration"},
        {"https://idp.example.com:8443/a/b",
         "https://idp.example.com:8443/.well-known/oauth-authorization-server/"
         "a/b",
         "https://idp.example.com:8443/a/b/.well-known/openid-configuration"},
        {"http://127.0.0.1:9000",
         "http://127.0.0.1:9000/.well-known/oauth-authorization-server",
         "http://127.0.0.1:9000/.well-known/openid-configuration"},
        {"http://[::1]:9000/t",
         "http://[::1]:9000/.well-known/oauth-authorization-server/t",
         "http://[::1]:9000/t/.well-known/openid-configuration"},
    };
    static const char *const refused[] = {
        "idp.example.com",
        "/issuer",
        "",
        "https://",
        "https://idp/p?x=1",
        "https://idp/p#f",
        "https://idp/?",
        "urn:example:issuer",
    };
    apr_array_header_t *urls;
    apr_size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        urls = ot_metadata_urls(pool, cases[i].issuer);
        ok(urls != NULL && urls->nelts == 2
               && strcmp(APR_ARRAY_IDX(urls, 0, const char *), cases[i].rfc8414)
                      == 0
               && strcmp(APR_ARRAY_IDX(urls, 1, const char *), cases[i].oidc)
                      == 0,
           "metadata urls: %s", cases[i].issuer);
    }
    for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        ok(ot_metadata_urls(pool, refused[i]) == NULL,
           "metadata urls: \"%s\" is not an issuer URL", refused[i]);
    }
    ok(ot_metadata_urls(pool, NULL) == NULL, "metadata urls: NULL");
}

#define ISS "https://idp.example.com/realms/main"

static ot_status_t parse(const char *text, ot_metadata_t **md, const char **why)
{
    *why = NULL;
    return ot_metadata_parse(pool, text, strlen(text), ISS, md, why);
}

static void test_metadata_parse(void)
{
    static const struct {
        const char *json, *name;
        ot_status_t st;
    } bad[] = {
        {"{\"issuer\":\"" ISS "/\",\"jwks_uri\":\"https://idp/k\"}",
         "issuer with an extra trailing slash", OT_ERR_ISSUER},
        {"{\"issuer\":\"https://idp.example.com/realms/Main\","
         "\"jwks_uri\":\"https://idp/k\"}",
         "issuer differing in case", OT_ERR_ISSUER},
        {"{\"issuer\":\"https://evil.example/\",\"jwks_uri\":\"https://idp/"
         "k\"}",
         "another issuer", OT_ERR_ISSUER},
        {"{\"jwks_uri\":\"https://idp/k\"}", "no issuer", OT_ERR_ISSUER},
        {"{\"issuer\":7,\"jwks_uri\":\"https://idp/k\"}", "issuer not a string",
         OT_ERR_ISSUER},
        {"{\"issuer\":\"" ISS "\"}", "no jwks_uri", OT_ERR_MALFORMED},
        {"{\"issuer\":\"" ISS "\",\"jwks_uri\":\"http://idp.example.com/k\"}",
         "jwks_uri http to a non-loopback host", OT_ERR_MALFORMED},
        {"{\"issuer\":\"" ISS "\",\"jwks_uri\":[\"https://idp/k\"]}",
         "jwks_uri not a string", OT_ERR_MALFORMED},
        {"{\"issuer\":\"" ISS "\",\"jwks_uri\":\"https://idp/k\","
         "\"token_endpoint\":\"ftp://idp/t\"}",
         "token_endpoint ftp", OT_ERR_MALFORMED},
        {"{\"issuer\":\"" ISS "\",\"jwks_uri\":\"https://idp/k\","
         "\"introspection_endpoint\":5}",
         "introspection_endpoint a number", OT_ERR_MALFORMED},
        {"{\"issuer\":\"" ISS "\",\"jwks_uri\":\"https://idp/k\","
         "\"end_session_endpoint\":\"https://u:p@idp/logout\"}",
         "end_session_endpoint with user info", OT_ERR_MALFORMED},
        {"{\"issuer\":\"" ISS "\",\"jwks_uri\":\"https://idp/k\","
         "\"authorization_response_iss_parameter_supported\":\"yes\"}",
         "iss parameter flag not a boolean", OT_ERR_MALFORMED},
        {"[\"issuer\"]", "a JSON array", OT_ERR_MALFORMED},
        {"\"" ISS "\"", "a JSON string", OT_ERR_MALFORMED},
        {"not json", "not JSON", OT_ERR_MALFORMED},
        {"", "empty", OT_ERR_MALFORMED},
        {"{\"issuer\":\"" ISS "\",\"jwks_uri\":\"https://idp/k\","
         "\"jwks_uri\":\"https://evil/k\"}",
         "duplicate jwks_uri", OT_ERR_MALFORMED},
        {"{\"issuer\":\"https://evil.example/\",\"issuer\":\"" ISS "\","
         "\"jwks_uri\":\"https://idp/k\"}",
         "duplicate issuer", OT_ERR_MALFORMED},
    };
    const char *good =
        "{\"issuer\":\"" ISS "\","
        "\"jwks_uri\":\"https://idp.example.com/realms/main/certs\","
        "\"token_endpoint\":\"https://idp.example.com/token\","
        "\"authorization_endpoint\":\"https://idp.example.com/auth\","
        "\"introspection_endpoint\":\"https://idp.example.com/introspect\","
        "\"end_session_endpoint\":\"https://idp.example.com/logout\","
        "\"revocation_endpoint\":\"https://idp.example.com/revoke\","
        "\"authorization_response_iss_parameter_supported\":true,"
        "\"scopes_supported\":[\"openid\"]}";
    static ot_metadata_t sentinel;
    ot_metadata_t *md;
    const char *why;
    char *huge;
    apr_size_t i;

    ok(parse(good, &md, &why) == OT_OK && md != NULL
           && strcmp(md->issuer, ISS) == 0
           && strcmp(md->jwks_uri, "https://idp.example.com/realms/main/certs")
                  == 0
           && strcmp(md->token_endpoint, "https://idp.example.com/token") == 0
           && strcmp(md->authorization_endpoint, "https://idp.example.com/auth")
                  == 0
           && strcmp(md->introspection_endpoint,
                     "https://idp.example.com/introspect")
                  == 0
           && strcmp(md->end_session_endpoint, "https://idp.example.com/logout")
                  == 0
           && strcmp(md->revocation_endpoint, "https://idp.example.com/revoke")
                  == 0
           && md->iss_parameter_supported == 1
           && json_is_array(json_object_get(md->document, "scopes_supported")),
       "metadata: a full document parses");
    ok(parse("{\"issuer\":\"" ISS "\","
             "\"jwks_uri\":\"http://127.0.0.1:8080/jwks\"}",
             &md, &why)
               == OT_OK
           && strcmp(md->jwks_uri, "http://127.0.0.1:8080/jwks") == 0
           && md->introspection_endpoint == NULL && md->token_endpoint == NULL
           && md->end_session_endpoint == NULL
           && md->iss_parameter_supported == 0,
       "metadata: minimal document, loopback http jwks_uri, absent members "
       "NULL");
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        md = &sentinel; /* must be reset */
        ok(parse(bad[i].json, &md, &why) == bad[i].st && md == NULL
               && why != NULL,
           "metadata: %s refused", bad[i].name);
        diag("  why: %s", why ? why : "(null)");
    }
    ok(parse("{\"issuer\":\"" ISS "/\",\"jwks_uri\":\"https://idp/k\"}", &md,
             &why)
               == OT_ERR_ISSUER
           && contains(why, ISS "/"),
       "metadata: the issuer mismatch names both issuers");
    ok(parse("{\"issuer\":\"https://evil\\n\\u001b[31m\","
             "\"jwks_uri\":\"https://idp/k\"}",
             &md, &why)
               == OT_ERR_ISSUER
           && !contains(why, "\n") && !contains(why, "\x1b"),
       "metadata: an unprintable issuer is not echoed");
    diag("  why: %s", why ? why : "(null)");

    huge = apr_pcalloc(pool, OT_MAX_METADATA_LEN + 2);
    memset(huge, ' ', OT_MAX_METADATA_LEN + 1);
    huge[0] = '{';
    huge[OT_MAX_METADATA_LEN] = '}';
    ok(ot_metadata_parse(pool, huge, OT_MAX_METADATA_LEN + 1, ISS, &md, &why)
           == OT_ERR_TOO_LARGE,
       "metadata: over OT_MAX_METADATA_LEN refused as too large");
}

int main(void)
{
    int rc;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    test_url_policy();
    test_max_age();
    test_store_ids();
    test_memory_store();
    test_memory_store_threads();
    test_doc_cache_aside();
    test_doc_lifetime();
    test_doc_failure("unreachable", OT_ERR_UNAVAILABLE, 0, NULL);
    test_doc_failure("status500", OT_OK, 500, "oops");
    test_doc_failure("toolong", OT_OK, 200, long_body(1001));
    test_doc_edges();
    test_metadata_urls();
    test_metadata_parse();
    rc = done_testing();
    apr_pool_destroy(pool);
    apr_terminate();
    return rc;
}
