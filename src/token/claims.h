/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Registered JWT claims (RFC 7519) checked against a policy, shared by the
 * access-token and (later) ID-token profiles. */

#ifndef OT_CLAIMS_H
#define OT_CLAIMS_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>
#include "ot.h"

/* iss must be present and equal to issuer, byte for byte. */
ot_status_t ot_claims_check_issuer(json_t *claims, const char *issuer);

/* aud (a string or an array of strings) must contain one of audiences
 * (const char *). */
ot_status_t ot_claims_check_audience(json_t *claims,
                                     const apr_array_header_t *audiences);

/* exp required; exp, nbf and iat must be numbers in a sane range. exp must
 * be after now - skew, nbf and iat no later than now + skew. now in
 * seconds since the epoch. */
ot_status_t ot_claims_check_times(json_t *claims, apr_int64_t now,
                                  apr_int64_t skew);

/* As ot_claims_check_times for a token whose exp may be absent (an RFC
 * 7662 answer, a logout token): without exp, nbf and iat are still
 * checked, against an exp that never passes. */
ot_status_t ot_claims_check_times_exp_optional(json_t *claims,
                                               apr_int64_t now,
                                               apr_int64_t skew);

/* A NumericDate claim as whole seconds; 0 when absent or not a number. */
apr_int64_t ot_claims_time(json_t *claims, const char *name);

/* 1 when value is the claim at path (dotted) or one element of it when it
 * is an array. Strings compare exactly; numbers and booleans by their JSON
 * text ("42", "true"). */
int ot_claims_match(json_t *claims, const char *path, const char *value);

#endif
