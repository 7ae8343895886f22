/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* A record is two compact JSON texts joined by a newline (which compact
 * JSON never contains): what the token was verified with, then its
 * claims, as they were. Keeping the claims a top-level text lets them be
 * parsed back under the same depth limit as when they first arrived. */

#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include "util/json.h"
#include "token/cache.h"

#define CACHE_NS "token"
#define RECORD_VERSION 1
#define INTROSPECTION_ALG "introspection"

/* The latest NumericDate claims.c accepts (9999-12-31T23:59:59Z): keeps
 * the expiry arithmetic far from overflow. */
#define FAR_FUTURE APR_INT64_C(253402300799)

#define FAIL(status, text)                                                     \
    do {                                                                       \
        if (detail != NULL) {                                                  \
            *detail = (text);                                                  \
        }                                                                      \
        return (status);                                                       \
    } while (0)

/* Seconds since the epoch until which the result may be reused, or 0 when
 * it may not be kept at all. */
static apr_int64_t lifetime(apr_int64_t exp, apr_int64_t now,
                            apr_int64_t max_ttl)
{
    apr_int64_t until = exp;

    if (max_ttl > 0) {
        apr_int64_t bound =
            max_ttl > FAR_FUTURE - now ? FAR_FUTURE : now + max_ttl;

        /* Without exp (an introspection answer may omit it) the TTL alone
         * bounds how long a revoked token keeps being accepted. */
        if (until <= 0 || bound < until) {
            until = bound;
        }
    }
    if (until > FAR_FUTURE) {
        until = FAR_FUTURE;
    }
    return until > now ? until : 0;
}

static char *dump(apr_pool_t *p, json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT);
    char *copy;

    if (text == NULL) {
        return NULL;
    }
    copy = apr_pstrdup(p, text);
    free(text);
    return copy;
}

/* The record's first line: what the hit is re-checked against, and until
 * when it may be reused. */
static json_t *meta_of(const ot_access_token_t *token, apr_int64_t until)
{
    json_t *meta = json_pack("{s:i, s:s, s:s, s:I}", "v", RECORD_VERSION, "iss",
                             token->issuer->issuer, "alg", token->alg, "u",
                             (json_int_t)until);
    if (meta == NULL) {
        return NULL;
    }
    if (token->kid != NULL) {
        json_object_set_new(meta, "kid", json_string(token->kid));
    }
    if (token->typ != NULL) {
        json_object_set_new(meta, "typ", json_string(token->typ));
    }
    return meta;
}

/* ---- the per-process memo ---- */

/* Slots are found by a cheap hash of the token and confirmed by comparing
 * the whole token: a hit costs no SHA-256, and only tokens that passed
 * validation ever enter, so colliding on purpose gains nothing. */
typedef struct memo_entry_t {
    json_t *token;  /* the compact token as a JSON string; NULL: empty */
    json_t *meta;
    json_t *claims;
    apr_int64_t until;
} memo_entry_t;

struct ot_token_memo_t {
    apr_thread_mutex_t *mutex;
    memo_entry_t *entries;
    apr_size_t capacity;
};

static apr_status_t memo_clear(void *data)
{
    ot_token_memo_t *memo = data;
    apr_size_t i;

    for (i = 0; i < memo->capacity; i++) {
        json_decref(memo->entries[i].token);
        json_decref(memo->entries[i].meta);
        json_decref(memo->entries[i].claims);
        memset(&memo->entries[i], 0, sizeof(memo->entries[i]));
    }
    return APR_SUCCESS;
}

ot_status_t ot_token_memo_create(apr_pool_t *p, apr_size_t capacity,
                                 ot_token_memo_t **out)
{
    ot_token_memo_t *memo = apr_pcalloc(p, sizeof(*memo));

    if (capacity == 0
        || apr_thread_mutex_create(&memo->mutex, APR_THREAD_MUTEX_DEFAULT, p)
               != APR_SUCCESS) {
        return OT_ERR_INTERNAL;
    }
    memo->capacity = capacity;
    memo->entries = apr_pcalloc(p, capacity * sizeof(*memo->entries));
    apr_pool_cleanup_register(p, memo, memo_clear, apr_pool_cleanup_null);
    *out = memo;
    return OT_OK;
}

/* FNV-1a: spreads tokens over the slots; the comparison decides. */
static memo_entry_t *memo_slot(ot_token_memo_t *memo, const char *compact)
{
    apr_uint64_t hash = APR_UINT64_C(14695981039346656037);
    const unsigned char *c;

    for (c = (const unsigned char *)compact; *c; c++) {
        hash = (hash ^ *c) * APR_UINT64_C(1099511628211);
    }
    return &memo->entries[hash % memo->capacity];
}

/* Keeps (meta, claims) for compact; the memo takes a reference of each,
 * and drops those of whatever the slot held. */
static void memo_put(ot_token_memo_t *memo, const char *compact, json_t *meta,
                     json_t *claims, apr_int64_t until)
{
    memo_entry_t *slot = memo_slot(memo, compact);
    json_t *token = json_string(compact);
    memo_entry_t old;

    if (token == NULL) {
        return;
    }
    apr_thread_mutex_lock(memo->mutex);
    old = *slot;
    slot->token = token;
    slot->meta = json_incref(meta);
    slot->claims = json_incref(claims);
    slot->until = until;
    apr_thread_mutex_unlock(memo->mutex);
    json_decref(old.token);
    json_decref(old.meta);
    json_decref(old.claims);
}

/* The memo's (meta, claims) for compact at now, each with a reference
 * owned by p; 0 when it has none. */
static int memo_get(ot_token_memo_t *memo, apr_pool_t *p, const char *compact,
                    apr_int64_t now, json_t **meta, json_t **claims)
{
    memo_entry_t *slot = memo_slot(memo, compact);
    int found;

    apr_thread_mutex_lock(memo->mutex);
    found = slot->token && slot->until > now
            && !strcmp(json_string_value(slot->token), compact);
    if (found) {
        *meta = json_incref(slot->meta);
        *claims = json_incref(slot->claims);
    }
    apr_thread_mutex_unlock(memo->mutex);
    if (found) {
        ot_json_pool_own(p, *meta);
        ot_json_pool_own(p, *claims);
    }
    return found;
}

ot_status_t ot_token_cache_put(const ot_store_t *store, ot_token_memo_t *memo,
                               apr_pool_t *p, const char *compact,
                               const ot_access_token_t *token, apr_int64_t now,
                               apr_int64_t max_ttl)
{
    const char *meta_line, *claims, *record;
    apr_int64_t until;
    apr_size_t len;
    json_t *meta;

    if (store == NULL || compact == NULL || token == NULL
        || token->issuer == NULL || token->issuer->issuer == NULL
        || token->alg == NULL || !json_is_object(token->claims)) {
        return OT_ERR_INTERNAL;
    }
    until = lifetime(token->exp, now, max_ttl);
    if (until == 0) {
        return OT_ERR_EXPIRED;
    }
    meta = meta_of(token, until);
    if (meta == NULL) {
        return OT_ERR_INTERNAL;
    }
    ot_json_pool_own(p, meta);
    if (memo != NULL) {
        memo_put(memo, compact, meta, token->claims, until);
    }
    meta_line = dump(p, meta);
    claims = dump(p, token->claims);
    if (meta_line == NULL || claims == NULL) {
        return OT_ERR_INTERNAL;
    }
    record = apr_pstrcat(p, meta_line, "\n", claims, NULL);
    len = strlen(record);
    if (store->max_value_len > 0 && len > store->max_value_len) {
        return OT_ERR_TOO_LARGE;
    }
    return ot_store_put(store, p, CACHE_NS, compact,
                        (const unsigned char *)record, len,
                        apr_time_from_sec(until));
}

typedef struct record_t {
    json_t *meta;
    const char *iss;
    const char *alg;
    const char *kid;
    const char *typ;
    apr_int64_t until; /* 0 when the record does not say */
    json_t *claims;
} record_t;

/* An optional string member: absent is fine, another type is not. */
static int optional_string(json_t *meta, const char *key, const char **out)
{
    json_t *j = json_object_get(meta, key);

    *out = json_string_value(j);
    return j == NULL || json_is_string(j);
}

/* 1 when meta describes a record of this version. */
static int read_meta(json_t *meta, record_t *rec)
{
    json_t *v = json_object_get(meta, "v");
    json_t *u = json_object_get(meta, "u");

    rec->meta = meta;
    rec->iss = ot_json_string(meta, "iss");
    rec->alg = ot_json_string(meta, "alg");
    rec->until = json_is_integer(u) ? json_integer_value(u) : 0;
    return json_is_integer(v) && json_integer_value(v) == RECORD_VERSION
           && rec->iss != NULL && rec->alg != NULL
           && optional_string(meta, "kid", &rec->kid)
           && optional_string(meta, "typ", &rec->typ);
}

/* 1 when value holds a record of this version. Anything else (another
 * version, a truncated or damaged value) is treated as never written. */
static int parse_record(apr_pool_t *p, const unsigned char *value,
                        apr_size_t len, record_t *rec)
{
    const char *text = (const char *)value;
    const char *nl = memchr(text, '\n', len);
    apr_size_t meta_len;
    json_t *meta;

    if (nl == NULL) {
        return 0;
    }
    meta_len = (apr_size_t)(nl - text);
    if (ot_json_parse_object(p, text, meta_len, meta_len, &meta) != OT_OK
        || ot_json_parse_object(p, nl + 1, len - meta_len - 1,
                                len - meta_len - 1, &rec->claims)
               != OT_OK) {
        return 0;
    }
    return read_meta(meta, rec);
}

/* The record of compact: from the memo, else from the store (and then
 * kept in the memo, when the record says until when). */
static int find_record(const ot_store_t *store, ot_token_memo_t *memo,
                       apr_pool_t *p, const char *compact, apr_int64_t now,
                       record_t *rec)
{
    unsigned char *value = NULL;
    apr_size_t len = 0;
    json_t *meta;

    if (memo && memo_get(memo, p, compact, now, &meta, &rec->claims)) {
        return read_meta(meta, rec);
    }
    /* A store that fails is a miss: the cache may only save work, never
     * refuse a token that validation would accept. */
    if (ot_store_get(store, p, CACHE_NS, compact, &value, &len) != OT_OK
        || value == NULL || !parse_record(p, value, len, rec)) {
        return 0;
    }
    if (memo && rec->until > now) {
        memo_put(memo, compact, rec->meta, rec->claims, rec->until);
    }
    return 1;
}

/* What this location's policy says of how the token was verified; the
 * claims are checked afterwards. OT_ERR_NOT_FOUND: this location must look
 * at the token itself. */
static ot_status_t check_origin(const ot_access_policy_t *policy,
                                const record_t *rec, const ot_issuer_t **issuer,
                                const ot_alg_t **alg, const char **detail)
{
    *issuer = ot_access_policy_issuer(policy, rec->iss);
    if (*issuer == NULL) {
        FAIL(OT_ERR_ISSUER, "cached token's issuer is not trusted here");
    }
    *alg = NULL;
    if (strcmp(rec->alg, INTROSPECTION_ALG) == 0) {
        /* Introspected elsewhere, but this location could not have asked:
         * it judges the token itself, and a miss never grants anything. */
        if ((*issuer)->introspection == NULL) {
            return OT_ERR_NOT_FOUND;
        }
        return OT_OK;
    }
    if (!ot_access_typ_accepted(policy->accept_types, rec->typ)) {
        FAIL(OT_ERR_TYP, rec->typ == NULL
                             ? "JWT typ header missing and not accepted"
                             : "JWT typ header not accepted");
    }
    *alg = ot_alg_by_name(rec->alg);
    if (*alg == NULL || ((*alg)->bit & policy->algorithms) == 0) {
        FAIL(OT_ERR_ALG, "JWS alg not allowed by the configuration");
    }
    return OT_OK;
}

ot_status_t ot_token_cache_get(const ot_store_t *store, ot_token_memo_t *memo,
                               apr_pool_t *p, const char *compact,
                               const ot_access_policy_t *policy,
                               apr_int64_t now, ot_access_token_t **out,
                               const char **detail)
{
    const ot_issuer_t *issuer;
    const ot_alg_t *alg;
    ot_access_token_t *tok;
    record_t rec;
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
    memset(&rec, 0, sizeof(rec));
    if (store == NULL || compact == NULL
        || !find_record(store, memo, p, compact, now, &rec)) {
        return OT_ERR_NOT_FOUND;
    }
    rv = check_origin(policy, &rec, &issuer, &alg, detail);
    if (rv != OT_OK) {
        return rv;
    }

    tok = apr_pcalloc(p, sizeof(*tok));
    rv = ot_access_claims_check(p, policy, rec.claims, now,
                                alg == NULL ? OT_CLAIMS_INTROSPECTION : 0, tok,
                                detail);
    if (rv != OT_OK) {
        return rv;
    }
    tok->issuer = issuer;
    tok->alg = alg == NULL ? INTROSPECTION_ALG : alg->name;
    tok->kid = rec.kid;
    tok->typ = rec.typ;
    if (out != NULL) {
        *out = tok;
    }
    return OT_OK;
}
