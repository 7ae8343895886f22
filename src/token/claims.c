/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "util/json.h"
#include "token/claims.h"

/* 9999-12-31T23:59:59Z: a NumericDate beyond this is a bug or an attack
 * (it would never expire), and bounding it keeps the arithmetic below far
 * from overflow. */
#define OT_MAX_NUMERIC_DATE APR_INT64_C(253402300799)

/* Compares with the JSON string's own length so a string carrying a NUL
 * can never match a shorter configured value. */
static int json_string_equals(json_t *j, const char *s)
{
    size_t len;

    if (!json_is_string(j) || s == NULL) {
        return 0;
    }
    len = strlen(s);
    return json_string_length(j) == len
           && memcmp(json_string_value(j), s, len) == 0;
}

ot_status_t ot_claims_check_issuer(json_t *claims, const char *issuer)
{
    if (issuer == NULL
        || !json_string_equals(json_object_get(claims, "iss"), issuer)) {
        return OT_ERR_ISSUER;
    }
    return OT_OK;
}

static int audience_configured(const apr_array_header_t *audiences, json_t *aud)
{
    int i;

    for (i = 0; i < audiences->nelts; i++) {
        if (json_string_equals(aud,
                               APR_ARRAY_IDX(audiences, i, const char *))) {
            return 1;
        }
    }
    return 0;
}

ot_status_t ot_claims_check_audience(json_t *claims,
                                     const apr_array_header_t *audiences)
{
    json_t *aud = json_object_get(claims, "aud");
    json_t *item;
    size_t i;
    int found = 0;

    /* A resource with no audience would accept tokens minted for any other
     * resource of the same issuer: fail closed. */
    if (audiences == NULL || audiences->nelts == 0 || aud == NULL) {
        return OT_ERR_AUDIENCE;
    }
    if (json_is_string(aud)) {
        return audience_configured(audiences, aud) ? OT_OK : OT_ERR_AUDIENCE;
    }
    if (!json_is_array(aud) || json_array_size(aud) == 0) {
        return OT_ERR_AUDIENCE;
    }
    /* A malformed element makes the whole claim suspect, even when another
     * element would match. */
    json_array_foreach(aud, i, item) {
        if (!json_is_string(item)) {
            return OT_ERR_AUDIENCE;
        }
        if (audience_configured(audiences, item)) {
            found = 1;
        }
    }
    return found ? OT_OK : OT_ERR_AUDIENCE;
}

/* Reads a NumericDate (RFC 7519 section 2: may be non-integer). round_up
 * chooses the direction for fractions, so that each check rounds towards
 * refusing. 0 when absent, -1 when present but not a number in range. */
static int numeric_date(json_t *claims, const char *name, int round_up,
                        apr_int64_t *out)
{
    json_t *j = json_object_get(claims, name);

    if (j == NULL) {
        return 0;
    }
    if (json_is_integer(j)) {
        json_int_t v = json_integer_value(j);

        if (v < 0 || v > OT_MAX_NUMERIC_DATE) {
            return -1;
        }
        *out = (apr_int64_t)v;
        return 1;
    }
    if (json_is_real(j)) {
        double v = json_real_value(j);
        apr_int64_t whole;

        if (!isfinite(v) || v < 0.0 || v > (double)OT_MAX_NUMERIC_DATE) {
            return -1;
        }
        /* Truncation is floor for v >= 0; done by hand so that the core
         * does not need libm. */
        whole = (apr_int64_t)v;
        *out = round_up && (double)whole < v ? whole + 1 : whole;
        return 1;
    }
    return -1;
}

/* Keeps now +/- skew meaningful for any configured skew instead of
 * overflowing. */
static apr_int64_t add_sat(apr_int64_t a, apr_int64_t b)
{
    if (b > 0 && a > APR_INT64_MAX - b) {
        return APR_INT64_MAX;
    }
    if (b < 0 && a < APR_INT64_MIN - b) {
        return APR_INT64_MIN;
    }
    return a + b;
}

ot_status_t ot_claims_check_times(json_t *claims, apr_int64_t now,
                                  apr_int64_t skew)
{
    apr_int64_t exp = 0, nbf = 0, iat = 0;
    int have_nbf, have_iat;

    if (skew < 0) {
        skew = 0;
    }
    /* exp rounds down and nbf/iat round up: a fraction never widens the
     * window. */
    if (numeric_date(claims, "exp", 0, &exp) != 1) {
        return OT_ERR_CLAIM;
    }
    have_nbf = numeric_date(claims, "nbf", 1, &nbf);
    have_iat = numeric_date(claims, "iat", 1, &iat);
    if (have_nbf < 0 || have_iat < 0) {
        return OT_ERR_CLAIM;
    }
    if (exp <= add_sat(now, -skew)) {
        return OT_ERR_EXPIRED;
    }
    if (have_nbf && nbf > add_sat(now, skew)) {
        return OT_ERR_NOT_YET_VALID;
    }
    if (have_iat && iat > add_sat(now, skew)) {
        return OT_ERR_NOT_YET_VALID;
    }
    return OT_OK;
}

apr_int64_t ot_claims_time(json_t *claims, const char *name)
{
    apr_int64_t t = 0;

    return numeric_date(claims, name, 0, &t) == 1 ? t : 0;
}

/* Reals compare by value rather than by text: jansson would print 0.1 as
 * "0.10000000000000001", which no administrator would write. */
static int real_equals(double v, const char *value)
{
    char *end;
    double d;

    if (*value == '\0') {
        return 0;
    }
    d = strtod(value, &end);
    return *end == '\0' && d == v;
}

static int scalar_matches(json_t *j, const char *value)
{
    char buf[32];

    switch (json_typeof(j)) {
    case JSON_STRING:
        return json_string_equals(j, value);
    case JSON_INTEGER:
        apr_snprintf(buf, sizeof(buf), "%" APR_INT64_T_FMT,
                     (apr_int64_t)json_integer_value(j));
        return strcmp(buf, value) == 0;
    case JSON_REAL:
        return real_equals(json_real_value(j), value);
    case JSON_TRUE:
        return strcmp(value, "true") == 0;
    case JSON_FALSE:
        return strcmp(value, "false") == 0;
    default:
        /* null, objects and nested arrays grant nothing. */
        return 0;
    }
}

int ot_claims_match(json_t *claims, const char *path, const char *value)
{
    json_t *j, *item;
    size_t i;

    if (claims == NULL || path == NULL || value == NULL) {
        return 0;
    }
    j = ot_json_path(claims, path);
    if (j == NULL) {
        return 0;
    }
    if (json_is_array(j)) {
        json_array_foreach(j, i, item) {
            if (scalar_matches(item, value)) {
                return 1;
            }
        }
        return 0;
    }
    return scalar_matches(j, value);
}

ot_status_t ot_claims_check_times_exp_optional(json_t *claims,
                                               apr_int64_t now,
                                               apr_int64_t skew)
{
    static const char *const others[] = {"nbf", "iat"};
    json_t *stand_in;
    ot_status_t rv;
    apr_size_t i;

    if (json_object_get(claims, "exp") != NULL) {
        return ot_claims_check_times(claims, now, skew);
    }
    stand_in = json_pack("{s:I}", "exp", (json_int_t)OT_MAX_NUMERIC_DATE);
    if (stand_in == NULL) {
        return OT_ERR_INTERNAL;
    }
    for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        json_t *v = json_object_get(claims, others[i]);

        if (v != NULL) {
            json_object_set(stand_in, others[i], v);
        }
    }
    rv = ot_claims_check_times(stand_in, now, skew);
    json_decref(stand_in);
    return rv;
}
