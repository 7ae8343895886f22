/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* A record is two compact JSON texts joined by a newline (which compact
 * JSON never contains): what the token was verified with, then its
 * claims, as they were. Keeping the claims a top-level text lets them be
 * parsed back under the same depth limit as when they first arrived. */

#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

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

/* The record's first line: what the hit is re-checked against. */
static char *meta_text(apr_pool_t *p, const ot_access_token_t *token)
{
    json_t *meta = json_pack("{s:i, s:s, s:s}", "v", RECORD_VERSION, "iss",
                             token->issuer->issuer, "alg", token->alg);
    char *text;

    if (meta == NULL) {
        return NULL;
    }
    if (token->kid != NULL) {
        json_object_set_new(meta, "kid", json_string(token->kid));
    }
    if (token->typ != NULL) {
        json_object_set_new(meta, "typ", json_string(token->typ));
    }
    text = dump(p, meta);
    json_decref(meta);
    return text;
}

ot_status_t ot_token_cache_put(const ot_store_t *store, apr_pool_t *p,
                               const char *compact,
                               const ot_access_token_t *token, apr_int64_t now,
                               apr_int64_t max_ttl)
{
    const char *meta, *claims, *record;
    apr_int64_t until;
    apr_size_t len;

    if (store == NULL || compact == NULL || token == NULL
        || token->issuer == NULL || token->issuer->issuer == NULL
        || token->alg == NULL || !json_is_object(token->claims)) {
        return OT_ERR_INTERNAL;
    }
    until = lifetime(token->exp, now, max_ttl);
    if (until == 0) {
        return OT_ERR_EXPIRED;
    }
    meta = meta_text(p, token);
    claims = dump(p, token->claims);
    if (meta == NULL || claims == NULL) {
        return OT_ERR_INTERNAL;
    }
    record = apr_pstrcat(p, meta, "\n", claims, NULL);
    len = strlen(record);
    if (store->max_value_len > 0 && len > store->max_value_len) {
        return OT_ERR_TOO_LARGE;
    }
    return ot_store_put(store, p, CACHE_NS, compact,
                        (const unsigned char *)record, len,
                        apr_time_from_sec(until));
}

typedef struct record_t {
    const char *iss;
    const char *alg;
    const char *kid;
    const char *typ;
    json_t *claims;
} record_t;

/* An optional string member: absent is fine, another type is not. */
static int optional_string(json_t *meta, const char *key, const char **out)
{
    json_t *j = json_object_get(meta, key);

    *out = json_string_value(j);
    return j == NULL || json_is_string(j);
}

/* 1 when value holds a record of this version. Anything else (another
 * version, a truncated or damaged value) is treated as never written. */
static int parse_record(apr_pool_t *p, const unsigned char *value,
                        apr_size_t len, record_t *rec)
{
    const char *text = (const char *)value;
    const char *nl = memchr(text, '\n', len);
    apr_size_t meta_len;
    json_t *meta, *v;

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
    v = json_object_get(meta, "v");
    rec->iss = ot_json_string(meta, "iss");
    rec->alg = ot_json_string(meta, "alg");
    return json_is_integer(v) && json_integer_value(v) == RECORD_VERSION
           && rec->iss != NULL && rec->alg != NULL
           && optional_string(meta, "kid", &rec->kid)
           && optional_string(meta, "typ", &rec->typ);
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

ot_status_t ot_token_cache_get(const ot_store_t *store, apr_pool_t *p,
                               const char *compact,
                               const ot_access_policy_t *policy,
                               apr_int64_t now, ot_access_token_t **out,
                               const char **detail)
{
    const ot_issuer_t *issuer;
    const ot_alg_t *alg;
    ot_access_token_t *tok;
    unsigned char *value = NULL;
    apr_size_t len = 0;
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
    /* A store that fails is a miss: the cache may only save work, never
     * refuse a token that validation would accept. */
    if (store == NULL || compact == NULL
        || ot_store_get(store, p, CACHE_NS, compact, &value, &len) != OT_OK
        || value == NULL) {
        return OT_ERR_NOT_FOUND;
    }
    memset(&rec, 0, sizeof(rec));
    if (!parse_record(p, value, len, &rec)) {
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
