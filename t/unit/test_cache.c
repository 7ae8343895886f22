/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* The validated-token cache: a hit is re-judged by the policy of the
 * location that asks, so a token accepted at one location never passes
 * another that would have refused it. A small store of its own (with its
 * own clock, and records the tests can see and damage) stands in for the
 * socache. */

#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <jansson.h>

#include "tap.h"
#include "status_check.h"
#include "values.h"
#include "ot.h"
#include "util/json.h"
#include "store/store.h"
#include "token/access.h"
#include "token/cache.h"
#include "token/introspect.h"
#include "token/scope.h"

#define NOW APR_INT64_C(1700000000)
#define ISS_A "https://idp.example.com/"
#define ISS_B "https://other-idp.example.com/"
#define AUD "https://api.example.com"
#define AUD_OTHER "https://admin.example.com"
#define LOGIN_CLIENT "webapp"
/* The cache key, which must never be stored as such. */
#define TOKEN "eyJhbGciOiJSUzI1NiJ9.eyJDQU5BUlkiOjF9.c2lnLUNBTkFSWQ"

static apr_pool_t *pool;

/* ---- a store with a clock ------------------------------------------------ */

#define SLOTS 8

typedef struct slot_t {
    unsigned char id[OT_STORE_ID_LEN];
    unsigned char *value;
    apr_size_t len;
    apr_time_t expiry;
    int used;
} slot_t;

typedef struct test_store_t {
    slot_t slots[SLOTS];
    apr_time_t now;
    ot_status_t fail_get; /* OT_OK: work */
    int puts;
} test_store_t;

static test_store_t ts;

static slot_t *find_slot(const unsigned char *id, apr_size_t id_len)
{
    int i;

    for (i = 0; i < SLOTS; i++) {
        if (ts.slots[i].used && id_len == OT_STORE_ID_LEN
            && memcmp(ts.slots[i].id, id, id_len) == 0) {
            return &ts.slots[i];
        }
    }
    return NULL;
}

static ot_status_t ts_get(const ot_store_t *store, apr_pool_t *p,
                          const unsigned char *id, apr_size_t id_len,
                          unsigned char **value, apr_size_t *value_len)
{
    slot_t *s = find_slot(id, id_len);

    (void)store;
    if (ts.fail_get != OT_OK) {
        return ts.fail_get;
    }
    if (s == NULL || s->expiry <= ts.now) {
        return OT_ERR_NOT_FOUND;
    }
    *value = apr_pmemdup(p, s->value, s->len);
    *value_len = s->len;
    return OT_OK;
}

static ot_status_t ts_put(const ot_store_t *store, apr_pool_t *p,
                          const unsigned char *id, apr_size_t id_len,
                          const unsigned char *value, apr_size_t value_len,
                          apr_time_t expiry)
{
    slot_t *s = find_slot(id, id_len);
    int i;

    (void)store;
    (void)p;
    for (i = 0; s == NULL && i < SLOTS; i++) {
        if (!ts.slots[i].used) {
            s = &ts.slots[i];
        }
    }
    if (s == NULL || id_len != OT_STORE_ID_LEN) {
        return OT_ERR_INTERNAL;
    }
    memcpy(s->id, id, id_len);
    s->value = apr_pmemdup(pool, value, value_len);
    s->len = value_len;
    s->expiry = expiry;
    s->used = 1;
    ts.puts++;
    return OT_OK;
}

static ot_status_t ts_remove(const ot_store_t *store, apr_pool_t *p,
                             const unsigned char *id, apr_size_t id_len)
{
    slot_t *s = find_slot(id, id_len);

    (void)store;
    (void)p;
    if (s != NULL) {
        s->used = 0;
    }
    return OT_OK;
}

static ot_status_t ts_claim(const ot_store_t *store, apr_pool_t *p,
                            const unsigned char *id, apr_size_t id_len,
                            apr_time_t expiry)
{
    (void)store;
    (void)p;
    (void)id;
    (void)id_len;
    (void)expiry;
    return OT_ERR_BUSY;
}

static ot_store_t store = {ts_get, ts_put, ts_remove, ts_claim, 4096, NULL};

/* Empties the store and sets both clocks (the store's and the one passed
 * to the cache) to NOW. */
static void reset(void)
{
    memset(&ts, 0, sizeof(ts));
    ts.now = apr_time_from_sec(NOW);
    store.max_value_len = 4096;
}

/* The record of TOKEN, if any. */
static slot_t *token_slot(void)
{
    unsigned char id[OT_STORE_ID_LEN];

    ot_store_id("token", TOKEN, strlen(TOKEN), id);
    return find_slot(id, sizeof(id));
}

/* ---- policies and tokens -------------------------------------------------- */

static ot_introspection_t endpoint = {"https://idp.example.com/introspect",
                                      "rs", "secret", OT_CLIENT_AUTH_BASIC};

/* Each location has issuer objects of its own, as two virtual hosts would:
 * a record binds to the issuer's name, never to a pointer. */
static ot_issuer_t *issuer(const char *name, int introspects)
{
    ot_issuer_t *iss = apr_pcalloc(pool, sizeof(*iss));

    iss->issuer = name;
    iss->introspection = introspects ? &endpoint : NULL;
    return iss;
}

static ot_access_policy_t *location(void)
{
    ot_access_policy_t *pol = apr_pcalloc(pool, sizeof(*pol));
    apr_array_header_t *issuers =
        apr_array_make(pool, 2, sizeof(ot_issuer_t *));

    APR_ARRAY_PUSH(issuers, ot_issuer_t *) = issuer(ISS_A, 1);
    APR_ARRAY_PUSH(issuers, ot_issuer_t *) = issuer(ISS_B, 0);
    pol->issuers = issuers;
    pol->audiences = strings(pool, AUD, NULL);
    pol->algorithms = ot_alg_default_set();
    pol->accept_types = strings(pool, "at+jwt", NULL);
    pol->clock_skew = 60;
    return pol;
}

static json_t *base_claims(void)
{
    return ot_json_pool_own(
        pool, json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:{s:[s]}}",
                        "iss", ISS_A, "aud", AUD, "sub", "alice", "exp",
                        (json_int_t)(NOW + 600), "iat", (json_int_t)(NOW - 10),
                        "scope", "orders:read orders:write", "client_id",
                        "cli-1", "preferred_username", "alice@example.com",
                        "realm_access", "roles", "admin"));
}

/* A validation result as ot_access_token_validate would give it at pol. */
static ot_access_token_t *validated(const ot_access_policy_t *pol,
                                    json_t *claims, const char *alg,
                                    const char *typ, unsigned int flags)
{
    ot_access_token_t *tok = apr_pcalloc(pool, sizeof(*tok));
    const char *detail = NULL;

    if (ot_access_claims_check(pool, pol, claims, NOW, flags, tok, &detail)
        != OT_OK) {
        diag("fixture refused: %s", detail ? detail : "?");
        return NULL;
    }
    tok->issuer = APR_ARRAY_IDX(pol->issuers, 0, const ot_issuer_t *);
    tok->alg = alg;
    tok->kid = flags ? NULL : "rsa-a";
    tok->typ = typ;
    return tok;
}

static ot_access_token_t *jwt_result(json_t *claims, const char *typ)
{
    return validated(location(), claims, "RS256", typ, 0);
}

/* ---- checks ------------------------------------------------------------------ */

static ot_access_token_t *last_token;
static const char *last_detail;

static int get(const ot_access_policy_t *pol, apr_int64_t now, ot_status_t want,
               const char *name)
{
    ot_status_t rv;
    int pass;

    last_token = NULL;
    last_detail = NULL;
    rv = ot_token_cache_get(&store, NULL, pool, TOKEN, pol, now, &last_token,
                            &last_detail);
    pass = rv == want
           && (rv == OT_OK
                   ? last_token != NULL
                   : last_token == NULL
                         && (rv == OT_ERR_NOT_FOUND || last_detail != NULL));
    return ok_status(pass, rv, want, last_detail, name);
}

static int put(const ot_access_token_t *tok, apr_int64_t max_ttl,
               ot_status_t want, const char *name)
{
    return is_int(ot_token_cache_put(&store, NULL, pool, TOKEN, tok, NOW, max_ttl),
                  want, "%s", name);
}

/* ---- the tests ------------------------------------------------------------ */

static void test_round_trip(void)
{
    ot_access_policy_t *pol = location();
    ot_access_token_t *tok = jwt_result(base_claims(), "at+jwt");
    slot_t *slot;

    reset();
    put(tok, 0, OT_OK, "put a validated JWT");
    slot = token_slot();
    if (ok(slot != NULL, "  stored under SHA-256 of namespace and token")) {
        ok(memmem(slot->value, slot->len, TOKEN, strlen(TOKEN)) == NULL
               && memmem(slot->value, slot->len, "c2lnLUNBTkFSWQ", 14) == NULL,
           "  the record does not hold the token");
        is_int((long)apr_time_sec(slot->expiry), (long)(NOW + 600),
               "  expires at exp");
        ok(slot->len < 400, "  the record is small (%lu bytes)",
           (unsigned long)slot->len);
    }

    if (get(pol, NOW + 10, OT_OK, "get at the same kind of location")) {
        ok(json_equal(last_token->claims, tok->claims), "  same claims");
        is_str(last_token->subject, "alice", "  subject");
        is_str(last_token->client_id, "cli-1", "  client_id");
        is_str(ot_scope_join(pool, last_token->scopes),
               "orders:read orders:write", "  scopes");
        is_int((long)last_token->exp, (long)(NOW + 600), "  exp");
        is_str(last_token->alg, "RS256", "  alg");
        is_str(last_token->kid, "rsa-a", "  kid");
        is_str(last_token->typ, "at+jwt", "  typ");
        ok(last_token->issuer
               == APR_ARRAY_IDX(pol->issuers, 0, const ot_issuer_t *),
           "  issuer is the asking location's own");
    }

    reset();
    get(pol, NOW, OT_ERR_NOT_FOUND, "miss in an empty store");

    reset();
    put(jwt_result(base_claims(), "at+jwt"), 300, OT_OK, "put with max_ttl");
    slot = token_slot();
    ok(slot && apr_time_sec(slot->expiry) == NOW + 300,
       "  expires at now + max_ttl when that is sooner");
    reset();
    put(jwt_result(base_claims(), "at+jwt"), 3600, OT_OK,
        "put with a max_ttl past exp");
    slot = token_slot();
    ok(slot && apr_time_sec(slot->expiry) == NOW + 600, "  expires at exp");
}

/* The point of it all: a hit is judged by the location that asks. */
static void test_policy_binding(void)
{
    ot_access_policy_t *pol;
    json_t *c;

    reset();
    put(jwt_result(base_claims(), "at+jwt"), 0, OT_OK, "put");

    pol = location();
    pol->audiences = strings(pool, AUD_OTHER, NULL);
    get(pol, NOW, OT_ERR_AUDIENCE, "location with another audience");
    pol->audiences = NULL;
    get(pol, NOW, OT_ERR_AUDIENCE, "location without an audience");

    pol = location();
    pol->algorithms = ot_alg_by_name("ES256")->bit;
    get(pol, NOW, OT_ERR_ALG, "location not allowing the alg");

    pol = location();
    APR_ARRAY_IDX(pol->issuers, 0, ot_issuer_t *) =
        issuer("https://evil.example/", 1);
    get(pol, NOW, OT_ERR_ISSUER, "location not trusting the issuer");
    pol->issuers = NULL;
    get(pol, NOW, OT_ERR_ISSUER, "location without issuers");

    pol = location();
    pol->subject_claim = "preferred_username";
    if (get(pol, NOW, OT_OK, "location with another subject claim")) {
        is_str(last_token->subject, "alice@example.com",
               "  the subject of that location's claim");
    }
    pol->subject_claim = "email";
    get(pol, NOW, OT_ERR_CLAIM, "location whose subject claim is missing");

    pol = location();
    pol->scope_claim = "realm_access.roles";
    if (get(pol, NOW, OT_OK, "location with another scope claim")) {
        is_str(ot_scope_join(pool, last_token->scopes), "admin",
               "  the scopes of that location's claim");
    }

    /* typ: a JWT-typed token, accepted where JWT is listed. */
    reset();
    put(validated(location(), base_claims(), "RS256", "JWT", 0), 0, OT_OK,
        "put a token of typ JWT");
    pol = location();
    get(pol, NOW, OT_ERR_TYP, "location accepting only at+jwt");
    pol->accept_types = strings(pool, "JWT", NULL);
    get(pol, NOW, OT_OK, "location accepting JWT");

    reset();
    put(validated(location(), base_claims(), "RS256", NULL, 0), 0, OT_OK,
        "put a token without typ");
    pol = location();
    get(pol, NOW, OT_ERR_TYP, "no typ: refused where JWT is not listed");
    ok(last_detail && strstr(last_detail, "missing"), "  detail says missing");
    pol->accept_types = strings(pool, "at+jwt", "JWT", NULL);
    if (get(pol, NOW, OT_OK, "no typ: accepted where JWT is listed")) {
        ok(last_token->typ == NULL && last_token->kid != NULL,
           "  typ absent, kid kept");
    }

    /* aud names a login client only at the second location. */
    reset();
    c = with(base_claims(), "aud", json_pack("[s, s]", AUD, LOGIN_CLIENT));
    put(jwt_result(c, "at+jwt"), 0, OT_OK,
        "put a token for the API and a client");
    pol = location();
    get(pol, NOW, OT_OK, "location without login clients");
    pol->login_clients = strings(pool, LOGIN_CLIENT, NULL);
    get(pol, NOW, OT_ERR_ID_TOKEN,
        "location where that client is the login client");
}

static void test_expiry(void)
{
    ot_access_policy_t *pol = location();

    reset();
    put(jwt_result(base_claims(), "at+jwt"), 0, OT_OK, "put");
    get(pol, NOW + 599, OT_OK, "hit a second before exp");

    /* Both clocks past exp: the store has let the record go, so this is
     * a miss; validation then refuses the token itself. */
    ts.now = apr_time_from_sec(NOW + 601);
    get(pol, NOW + 601, OT_ERR_NOT_FOUND, "after exp: a miss");

    /* A store that keeps records longer (or runs on another host's
     * clock): the hit's own exp check, with the skew, refuses. */
    ts.now = apr_time_from_sec(NOW);
    get(pol, NOW + 630, OT_OK, "after exp within the skew: accepted");
    get(pol, NOW + 661, OT_ERR_EXPIRED,
        "after exp beyond the skew, record still there: expired");
    pol->clock_skew = 0;
    get(pol, NOW + 601, OT_ERR_EXPIRED, "skew of the asking location");

    reset();
    put(jwt_result(with(base_claims(), "exp", json_integer(NOW + 30)),
                   "at+jwt"),
        0, OT_OK, "put a token expiring soon");
    is_int(ot_token_cache_put(
               &store, NULL, pool, TOKEN,
               jwt_result(with(base_claims(), "exp", json_integer(NOW + 30)),
                          "at+jwt"),
               NOW + 30, 0),
           OT_ERR_EXPIRED, "put at exp: not cached");
}

static ot_access_token_t *introspected(json_t *claims)
{
    return validated(location(), claims, "introspection", NULL,
                     OT_CLAIMS_INTROSPECTION);
}

static void test_introspection_results(void)
{
    ot_access_policy_t *pol = location();
    json_t *no_exp = with(base_claims(), "exp", NULL);
    slot_t *slot;

    reset();
    put(introspected(no_exp), 0, OT_ERR_EXPIRED,
        "introspection without exp, no max_ttl: not cached");
    ok(token_slot() == NULL, "  nothing stored");

    put(introspected(no_exp), 60, OT_OK,
        "introspection without exp, max_ttl 60");
    slot = token_slot();
    ok(slot && apr_time_sec(slot->expiry) == NOW + 60,
       "  expires after max_ttl");
    if (get(pol, NOW + 30, OT_OK, "hit within max_ttl")) {
        is_str(last_token->alg, "introspection", "  alg introspection");
        ok(last_token->exp == 0 && last_token->kid == NULL
               && last_token->typ == NULL,
           "  no exp, kid or typ");
    }
    ts.now = apr_time_from_sec(NOW + 61);
    get(pol, NOW + 61, OT_ERR_NOT_FOUND, "after max_ttl: a miss");

    reset();
    put(introspected(base_claims()), 3600, OT_OK,
        "introspection with exp sooner than max_ttl");
    slot = token_slot();
    ok(slot && apr_time_sec(slot->expiry) == NOW + 600, "  expires at exp");

    /* No JWS was verified: typ and alg rules do not apply. */
    pol->algorithms = ot_alg_by_name("ES256")->bit;
    pol->accept_types = strings(pool, "custom+jwt", NULL);
    get(pol, NOW, OT_OK, "typ and alg rules do not apply to introspection");

    pol = location();
    pol->audiences = strings(pool, AUD_OTHER, NULL);
    get(pol, NOW, OT_ERR_AUDIENCE, "introspection result, other audience");

    /* This location's issuer has no introspection endpoint: it could not
     * have asked, so it judges the token itself. */
    pol = location();
    APR_ARRAY_IDX(pol->issuers, 0, ot_issuer_t *) = issuer(ISS_A, 0);
    get(pol, NOW, OT_ERR_NOT_FOUND,
        "introspection result where the issuer does not introspect: a miss");

    reset();
    {
        /* Written by a location that did not look (forged, or from a
         * build with other rules): refused on the way out. */
        ot_access_token_t *tok = apr_pcalloc(pool, sizeof(*tok));

        tok->claims =
            with(base_claims(), "token_type", json_string("refresh_token"));
        tok->issuer = issuer(ISS_A, 1);
        tok->alg = "introspection";
        put(tok, 60, OT_OK, "put an unchecked refresh-token answer");
        get(location(), NOW, OT_ERR_CLAIM, "  refused on the hit");
    }
}

static void set_record(const char *text)
{
    slot_t *slot = token_slot();

    if (slot != NULL) {
        slot->value = (unsigned char *)apr_pstrdup(pool, text);
        slot->len = strlen(text);
    }
}

static void test_damaged_records(void)
{
    ot_access_policy_t *pol = location();
    static const char *const damaged[] = {
        "",
        "garbage",
        "{\"v\":1,\"iss\":\"" ISS_A "\",\"alg\":\"RS256\"}",
        "{\"v\":1,\"iss\":\"" ISS_A "\",\"alg\":\"RS256\"}\n",
        "{\"v\":1,\"iss\":\"" ISS_A "\",\"alg\":\"RS256\"}\n{\"sub\":",
        "{\"v\":2,\"iss\":\"" ISS_A "\",\"alg\":\"RS256\"}\n{}",
        "{\"v\":\"1\",\"iss\":\"" ISS_A "\",\"alg\":\"RS256\"}\n{}",
        "{\"v\":1,\"alg\":\"RS256\"}\n{}",
        "{\"v\":1,\"iss\":\"" ISS_A "\"}\n{}",
        "{\"v\":1,\"iss\":\"" ISS_A "\",\"alg\":\"RS256\",\"kid\":7}\n{}",
        "{\"v\":1,\"iss\":\"" ISS_A "\",\"alg\":\"RS256\",\"typ\":null}\n{}",
        "{\"v\":1,\"iss\":\"" ISS_A "\",\"alg\":\"RS256\"}\n[]",
        "{\"v\":1,\"iss\":\"" ISS_A "\",\"alg\":\"RS256\",\"v\":1}\n{}",
    };
    apr_size_t i;
    slot_t *slot;

    for (i = 0; i < sizeof(damaged) / sizeof(damaged[0]); i++) {
        reset();
        put(jwt_result(base_claims(), "at+jwt"), 0, OT_OK, "put");
        set_record(damaged[i]);
        get(pol, NOW, OT_ERR_NOT_FOUND,
            apr_psprintf(pool, "damaged record %d: a miss", (int)i));
    }

    reset();
    put(jwt_result(base_claims(), "at+jwt"), 0, OT_OK, "put");
    slot = token_slot();
    if (slot != NULL) {
        slot->len -= 3;
    }
    get(pol, NOW, OT_ERR_NOT_FOUND, "truncated record: a miss");

    /* A record naming an algorithm this module does not know is damaged:
     * a miss, so the token is judged afresh (and "none" refused there);
     * one naming an algorithm this location does not allow is refused. */
    {
        static const char *const algs[] = {"none", "HS256"};
        static const ot_status_t expected[] = {OT_ERR_NOT_FOUND, OT_ERR_ALG};
        char *claims = json_dumps(base_claims(), JSON_COMPACT);

        for (i = 0; i < 2; i++) {
            reset();
            put(jwt_result(base_claims(), "at+jwt"), 0, OT_OK, "put");
            set_record(apr_pstrcat(pool,
                                   "{\"v\":1,\"iss\":\"" ISS_A "\",\"alg\":\"",
                                   algs[i], "\",\"typ\":\"at+jwt\"}\n",
                                   claims, NULL));
            get(pol, NOW, expected[i],
                apr_psprintf(pool, "record with alg %s", algs[i]));
        }
        free(claims);
    }

    reset();
    put(jwt_result(base_claims(), "at+jwt"), 0, OT_OK, "put");
    ts.fail_get = OT_ERR_INTERNAL;
    get(pol, NOW, OT_ERR_NOT_FOUND, "store failure: a miss, never a refusal");
}

static void test_limits(void)
{
    ot_access_token_t *tok;
    char *big = apr_palloc(pool, 5001);

    reset();
    memset(big, 'x', 5000);
    big[5000] = '\0';
    tok = jwt_result(with(base_claims(), "pad", json_string(big)), "at+jwt");
    put(tok, 0, OT_ERR_TOO_LARGE, "record over the store's limit");
    ok(token_slot() == NULL && ts.puts == 0, "  nothing stored");
    store.max_value_len = 0;
    put(tok, 0, OT_OK, "a store without a stated limit takes it");

    reset();
    is_int(ot_token_cache_put(&store, NULL, pool, TOKEN, NULL, NOW, 0),
           OT_ERR_INTERNAL, "put without a token");
    is_int(ot_token_cache_put(NULL, NULL, pool, TOKEN,
                              jwt_result(base_claims(), "at+jwt"), NOW, 0),
           OT_ERR_INTERNAL, "put without a store");
    is_int(ot_token_cache_get(NULL, NULL, pool, TOKEN, location(), NOW, NULL,
                              NULL),
           OT_ERR_NOT_FOUND, "get without a store: a miss");
    is_int(ot_token_cache_get(&store, NULL, pool, TOKEN, NULL, NOW, NULL, NULL),
           OT_ERR_INTERNAL, "get without a policy");
}

/* The per-process memo in front of the store. */
static ot_status_t memo_get(ot_token_memo_t *memo, const char *token,
                            const ot_access_policy_t *pol, apr_int64_t now)
{
    ot_access_token_t *tok = NULL;
    const char *detail = NULL;

    return ot_token_cache_get(&store, memo, pool, token, pol, now, &tok,
                              &detail);
}

static void test_memo(void)
{
    ot_token_memo_t *memo = NULL, *tiny = NULL;
    ot_access_policy_t *pol;
    ot_access_token_t *tok = NULL;
    const char *detail = NULL;

    ok(ot_token_memo_create(pool, 64, &memo) == OT_OK && memo,
       "memo: created");
    is_int(ot_token_memo_create(pool, 0, &tiny), OT_ERR_INTERNAL,
           "memo: capacity 0 refused");

    reset();
    is_int(ot_token_cache_put(&store, memo, pool, TOKEN,
                              jwt_result(base_claims(), "at+jwt"), NOW, 0),
           OT_OK, "memo: put through the memo");
    reset(); /* the store forgets: only the memo knows the token now */
    is_int(memo_get(memo, TOKEN, location(), NOW), OT_OK,
           "memo: a hit without the store");
    ok(ot_token_cache_get(&store, memo, pool, TOKEN, location(), NOW, &tok,
                          &detail)
               == OT_OK
           && tok && !strcmp(tok->subject, "alice") && tok->kid
           && !strcmp(tok->kid, "rsa-a"),
       "memo: the hit carries subject and kid");
    pol = location();
    pol->audiences = strings(pool, AUD_OTHER, NULL);
    is_int(memo_get(memo, TOKEN, pol, NOW), OT_ERR_AUDIENCE,
           "memo: a hit is re-checked against the asking location");
    pol = location();
    pol->accept_types = strings(pool, "JWT", NULL);
    is_int(memo_get(memo, TOKEN, pol, NOW), OT_ERR_TYP,
           "memo: typ re-checked on a hit");
    is_int(memo_get(memo, TOKEN, location(), NOW + 601), OT_ERR_NOT_FOUND,
           "memo: nothing past the record's lifetime");
    is_int(memo_get(memo, "another.token.value", location(), NOW),
           OT_ERR_NOT_FOUND, "memo: another token misses");

    /* A record read from the store is kept in the memo. */
    ot_token_memo_create(pool, 64, &memo);
    reset();
    put(jwt_result(base_claims(), "at+jwt"), 0, OT_OK, "memo: put (store only)");
    is_int(memo_get(memo, TOKEN, location(), NOW), OT_OK,
           "memo: first get from the store");
    reset();
    is_int(memo_get(memo, TOKEN, location(), NOW), OT_OK,
           "memo: the second from the memo");

    /* Bounded: one slot, a second token takes it. */
    ot_token_memo_create(pool, 1, &tiny);
    reset();
    ot_token_cache_put(&store, tiny, pool, TOKEN,
                       jwt_result(base_claims(), "at+jwt"), NOW, 0);
    ot_token_cache_put(&store, tiny, pool, "other.compact.token",
                       jwt_result(base_claims(), "at+jwt"), NOW, 0);
    reset();
    is_int(memo_get(tiny, "other.compact.token", location(), NOW), OT_OK,
           "memo: the newest token of a slot is kept");
    is_int(memo_get(tiny, TOKEN, location(), NOW), OT_ERR_NOT_FOUND,
           "memo: the one it displaced is gone (bounded)");

    /* Without a store the memo alone remembers (a verified JWT), and
     * tokens that share their tail land in one slot but never match each
     * other: the whole token is compared. */
    ot_token_memo_create(pool, 64, &memo);
    reset();
    {
        const char *twin = apr_pstrcat(pool, "X", TOKEN + 1, NULL);
        const char *longer = apr_pstrcat(pool, "X", TOKEN, NULL);

        is_int(ot_token_cache_put(NULL, memo, pool, TOKEN,
                                  jwt_result(base_claims(), "at+jwt"), NOW, 0),
               OT_OK, "memo only: put");
        ok(ts.puts == 0, "memo only: nothing written to the store");
        is_int(ot_token_cache_get(NULL, memo, pool, TOKEN, location(), NOW,
                                  &tok, &detail),
               OT_OK, "memo only: a hit");
        is_int(ot_token_cache_get(NULL, memo, pool, twin, location(), NOW,
                                  &tok, &detail),
               OT_ERR_NOT_FOUND, "memo: same tail, another head: a miss");
        is_int(ot_token_cache_get(NULL, memo, pool, longer, location(), NOW,
                                  &tok, &detail),
               OT_ERR_NOT_FOUND, "memo: the token with a prefix: a miss");
        is_int(ot_token_cache_get(NULL, memo, pool,
                                  apr_pstrndup(pool, TOKEN, strlen(TOKEN) - 1),
                                  location(), NOW, &tok, &detail),
               OT_ERR_NOT_FOUND, "memo: the token cut short: a miss");
    }
    is_int(ot_token_cache_put(NULL, NULL, pool, TOKEN,
                              jwt_result(base_claims(), "at+jwt"), NOW, 0),
           OT_ERR_INTERNAL, "put with neither store nor memo");
}

int main(int argc, const char *const *argv)
{
    apr_app_initialize(&argc, &argv, NULL);
    apr_pool_create(&pool, NULL);

    test_round_trip();
    test_policy_binding();
    test_expiry();
    test_introspection_results();
    test_damaged_records();
    test_limits();
    test_memo();

    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
