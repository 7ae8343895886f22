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

/* What a hit is re-checked against, and until when it may be reused. */
typedef struct record_t {
    const char *iss;
    const ot_alg_t *alg; /* NULL: an introspection result */
    const char *kid;     /* may be NULL */
    const char *typ;     /* may be NULL */
    apr_int64_t until;
    json_t *claims;
} record_t;

/* The store record's first line. */
static json_t *meta_of(const record_t *rec)
{
    json_t *meta = json_pack("{s:i, s:s, s:s, s:I}", "v", RECORD_VERSION, "iss",
                             rec->iss, "alg",
                             rec->alg ? rec->alg->name : INTROSPECTION_ALG, "u",
                             (json_int_t)rec->until);
    if (meta == NULL) {
        return NULL;
    }
    if (rec->kid != NULL) {
        json_object_set_new(meta, "kid", json_string(rec->kid));
    }
    if (rec->typ != NULL) {
        json_object_set_new(meta, "typ", json_string(rec->typ));
    }
    return meta;
}

/* ---- the per-process memo ---- */

/* Slots are found by a cheap hash of the token's tail and confirmed by
 * comparing the whole token: a hit costs no SHA-256, and only tokens that
 * passed validation ever enter, so colliding on purpose gains nothing. */
typedef struct memo_entry_t {
    char *text;     /* one malloc block: the token, then iss, kid, typ */
    apr_size_t token_len;
    const char *iss, *kid, *typ; /* inside text; kid and typ may be NULL */
    const ot_alg_t *alg;         /* NULL: an introspection result */
    json_t *claims;
    apr_int64_t until;
} memo_entry_t;

/* Threads contend only for slots that share a stripe. */
#define MEMO_STRIPES 64

struct ot_token_memo_t {
    apr_thread_mutex_t *stripes[MEMO_STRIPES];
    memo_entry_t *entries;
    apr_size_t capacity;
};

static void memo_entry_free(memo_entry_t *e)
{
    free(e->text);
    json_decref(e->claims);
}

static apr_status_t memo_clear(void *data)
{
    ot_token_memo_t *memo = data;
    apr_size_t i;

    for (i = 0; i < memo->capacity; i++) {
        memo_entry_free(&memo->entries[i]);
        memset(&memo->entries[i], 0, sizeof(memo->entries[i]));
    }
    return APR_SUCCESS;
}

ot_status_t ot_token_memo_create(apr_pool_t *p, apr_size_t capacity,
                                 ot_token_memo_t **out)
{
    ot_token_memo_t *memo = apr_pcalloc(p, sizeof(*memo));
    int i;

    if (capacity == 0) {
        return OT_ERR_INTERNAL;
    }
    for (i = 0; i < MEMO_STRIPES; i++) {
        if (apr_thread_mutex_create(&memo->stripes[i],
                                    APR_THREAD_MUTEX_DEFAULT, p)
            != APR_SUCCESS) {
            return OT_ERR_INTERNAL;
        }
    }
    memo->capacity = capacity;
    memo->entries = apr_pcalloc(p, capacity * sizeof(*memo->entries));
    apr_pool_cleanup_register(p, memo, memo_clear, apr_pool_cleanup_null);
    *out = memo;
    return OT_OK;
}

/* FNV-1a over the length and the last 64 bytes: a JWT ends in its
 * signature and an opaque token is random throughout, so the tail spreads
 * tokens as well as the whole would, at a tenth of the cost. */
static apr_size_t memo_index(const ot_token_memo_t *memo, const char *token,
                             apr_size_t len)
{
    apr_uint64_t hash = APR_UINT64_C(14695981039346656037) ^ len;
    const unsigned char *c = (const unsigned char *)token;
    const unsigned char *end = c + len;

    for (c = len > 64 ? end - 64 : c; c < end; c++) {
        hash = (hash ^ *c) * APR_UINT64_C(1099511628211);
    }
    return (apr_size_t)(hash % memo->capacity);
}

static apr_thread_mutex_t *memo_stripe(const ot_token_memo_t *memo,
                                       apr_size_t index)
{
    return memo->stripes[index % MEMO_STRIPES];
}

/* Appends s (with its NUL) at *at; NULL stays NULL. */
static const char *memo_copy(char **at, const char *s, apr_size_t len)
{
    char *copy = *at;

    if (s == NULL) {
        return NULL;
    }
    memcpy(copy, s, len + 1);
    *at += len + 1;
    return copy;
}

/* Keeps rec for token; the memo takes a reference to the claims and drops
 * whatever the slot held. */
static void memo_put(ot_token_memo_t *memo, const char *token,
                     const record_t *rec)
{
    apr_size_t token_len = strlen(token), iss_len = strlen(rec->iss);
    apr_size_t kid_len = rec->kid ? strlen(rec->kid) : 0;
    apr_size_t typ_len = rec->typ ? strlen(rec->typ) : 0;
    apr_size_t index = memo_index(memo, token, token_len);
    apr_thread_mutex_t *stripe = memo_stripe(memo, index);
    memo_entry_t fresh, old;
    char *at;

    fresh.text = malloc(token_len + iss_len + kid_len + typ_len + 4);
    if (fresh.text == NULL) {
        return;
    }
    at = fresh.text;
    memo_copy(&at, token, token_len);
    fresh.token_len = token_len;
    fresh.iss = memo_copy(&at, rec->iss, iss_len);
    fresh.kid = memo_copy(&at, rec->kid, kid_len);
    fresh.typ = memo_copy(&at, rec->typ, typ_len);
    fresh.alg = rec->alg;
    fresh.claims = json_incref(rec->claims);
    fresh.until = rec->until;

    apr_thread_mutex_lock(stripe);
    old = memo->entries[index];
    memo->entries[index] = fresh;
    apr_thread_mutex_unlock(stripe);
    memo_entry_free(&old);
}

/* The memo's record of token at now, its strings copied to p and a
 * reference to its claims owned by p; 0 when it has none. */
static int memo_get(ot_token_memo_t *memo, apr_pool_t *p, const char *token,
                    apr_int64_t now, record_t *rec)
{
    apr_size_t len = strlen(token);
    apr_size_t index = memo_index(memo, token, len);
    apr_thread_mutex_t *stripe = memo_stripe(memo, index);
    const memo_entry_t *e = &memo->entries[index];
    int found;

    apr_thread_mutex_lock(stripe);
    found = e->text != NULL && e->until > now && e->token_len == len
            && memcmp(e->text, token, len) == 0;
    if (found) {
        rec->iss = apr_pstrdup(p, e->iss);
        rec->kid = e->kid ? apr_pstrdup(p, e->kid) : NULL;
        rec->typ = e->typ ? apr_pstrdup(p, e->typ) : NULL;
        rec->alg = e->alg;
        rec->until = e->until;
        rec->claims = json_incref(e->claims);
    }
    apr_thread_mutex_unlock(stripe);
    if (found) {
        ot_json_pool_own(p, rec->claims);
    }
    return found;
}

static ot_status_t store_put(const ot_store_t *store, apr_pool_t *p,
                             const char *compact, const record_t *rec)
{
    json_t *meta = ot_json_pool_own(p, meta_of(rec));
    const char *meta_line, *claims, *text;
    apr_size_t len;

    meta_line = ot_json_text(p, meta, 0);
    claims = ot_json_text(p, rec->claims, 0);
    if (meta_line == NULL || claims == NULL) {
        return OT_ERR_INTERNAL;
    }
    text = apr_pstrcat(p, meta_line, "\n", claims, NULL);
    len = strlen(text);
    if (store->max_value_len > 0 && len > store->max_value_len) {
        return OT_ERR_TOO_LARGE;
    }
    return ot_store_put(store, p, CACHE_NS, compact,
                        (const unsigned char *)text, len,
                        apr_time_from_sec(rec->until));
}

ot_status_t ot_token_cache_put(const ot_store_t *store, ot_token_memo_t *memo,
                               apr_pool_t *p, const char *compact,
                               const ot_access_token_t *token, apr_int64_t now,
                               apr_int64_t max_ttl)
{
    record_t rec;

    if ((store == NULL && memo == NULL) || compact == NULL || token == NULL
        || token->issuer == NULL || token->issuer->issuer == NULL
        || token->alg == NULL || !json_is_object(token->claims)) {
        return OT_ERR_INTERNAL;
    }
    rec.iss = token->issuer->issuer;
    rec.alg = ot_alg_by_name(token->alg);
    if (rec.alg == NULL && strcmp(token->alg, INTROSPECTION_ALG) != 0) {
        return OT_ERR_INTERNAL;
    }
    rec.kid = token->kid;
    rec.typ = token->typ;
    rec.claims = token->claims;
    rec.until = lifetime(token->exp, now, max_ttl);
    if (rec.until == 0) {
        return OT_ERR_EXPIRED;
    }
    if (memo != NULL) {
        memo_put(memo, compact, &rec);
    }
    return store != NULL ? store_put(store, p, compact, &rec) : OT_OK;
}

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
    const char *alg = ot_json_string(meta, "alg");

    rec->iss = ot_json_string(meta, "iss");
    rec->alg = alg ? ot_alg_by_name(alg) : NULL;
    rec->until = json_is_integer(u) ? json_integer_value(u) : 0;
    return json_is_integer(v) && json_integer_value(v) == RECORD_VERSION
           && rec->iss != NULL && alg != NULL
           && (rec->alg != NULL || strcmp(alg, INTROSPECTION_ALG) == 0)
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

    if (memo && memo_get(memo, p, compact, now, rec)) {
        return 1;
    }
    /* A store that fails is a miss: the cache may only save work, never
     * refuse a token that validation would accept. */
    if (store == NULL
        || ot_store_get(store, p, CACHE_NS, compact, &value, &len) != OT_OK
        || value == NULL || !parse_record(p, value, len, rec)) {
        return 0;
    }
    if (memo && rec->until > now) {
        memo_put(memo, compact, rec);
    }
    return 1;
}

/* What this location's policy says of how the token was verified; the
 * claims are checked afterwards. OT_ERR_NOT_FOUND: this location must look
 * at the token itself. */
static ot_status_t check_origin(const ot_access_policy_t *policy,
                                const record_t *rec, const ot_issuer_t **issuer,
                                const char **detail)
{
    *issuer = ot_access_policy_issuer(policy, rec->iss);
    if (*issuer == NULL) {
        FAIL(OT_ERR_ISSUER, "cached token's issuer is not trusted here");
    }
    if (rec->alg == NULL) {
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
    if ((rec->alg->bit & policy->algorithms) == 0) {
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
    if (compact == NULL || !find_record(store, memo, p, compact, now, &rec)) {
        return OT_ERR_NOT_FOUND;
    }
    rv = check_origin(policy, &rec, &issuer, detail);
    if (rv != OT_OK) {
        return rv;
    }

    tok = apr_pcalloc(p, sizeof(*tok));
    rv = ot_access_claims_check(p, policy, rec.claims, now,
                                rec.alg == NULL ? OT_CLAIMS_INTROSPECTION : 0, tok,
                                detail);
    if (rv != OT_OK) {
        return rv;
    }
    tok->issuer = issuer;
    tok->alg = rec.alg == NULL ? INTROSPECTION_ALG : rec.alg->name;
    tok->kid = rec.kid;
    tok->typ = rec.typ;
    if (out != NULL) {
        *out = tok;
    }
    return OT_OK;
}
