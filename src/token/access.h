/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* The JWT access-token profile (RFC 9068, with RFC 8725's advice): which
 * issuers, audiences, algorithms and types a resource accepts, and the
 * validation of one token against that policy. */

#ifndef OT_ACCESS_H
#define OT_ACCESS_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>
#include "ot.h"
#include "jose/alg.h"
#include "jose/jwks.h"
#include "jose/jws.h"

struct ot_introspection_t;

/* One trusted issuer and where its keys come from. */
typedef struct ot_issuer_t {
    const char *issuer;       /* exact "iss" value */
    const ot_jwks_t *jwks;    /* keys from a file; NULL: from the provider */
    const char *metadata_url; /* NULL: discovered under the issuer */
    const char *jwks_url;     /* NULL: the metadata's jwks_uri */
    const struct ot_introspection_t *introspection; /* NULL: none */
} ot_issuer_t;

/* Keys of an issuer without static keys. refresh: the token names a kid
 * the current set lacks, so a newer set is wanted (the callee throttles).
 * OT_ERR_UNAVAILABLE when no set can be had; *why says why. */
typedef ot_status_t (*ot_issuer_keys_fn)(void *baton, apr_pool_t *p,
                                         const ot_issuer_t *issuer,
                                         int refresh, const ot_jwks_t **jwks,
                                         const char **why);

typedef struct ot_access_policy_t {
    const apr_array_header_t *issuers;      /* const ot_issuer_t * */
    const apr_array_header_t *audiences;    /* const char *, any of */
    ot_alg_set_t algorithms;
    const apr_array_header_t *accept_types; /* const char *: "at+jwt", "JWT" */
    apr_int64_t clock_skew;                 /* seconds */
    const char *subject_claim;              /* default "sub" */
    const char *scope_claim;                /* default "scope" */
    const apr_array_header_t *login_clients; /* client ids whose aud marks
                                                an ID token; may be NULL */
    ot_issuer_keys_fn issuer_keys;           /* for issuers without jwks */
    void *issuer_keys_baton;
} ot_access_policy_t;

/* What a valid access token grants, for authz, r->user and the env. */
typedef struct ot_access_token_t {
    json_t *claims;
    const ot_issuer_t *issuer;
    const char *subject;                  /* value of subject_claim */
    const char *client_id;                /* client_id, else azp; may be NULL */
    apr_array_header_t *scopes;           /* const char * */
    apr_int64_t exp;
    const char *alg;                      /* JWS alg that verified, or
                                             "introspection" */
    const char *kid;                      /* may be NULL */
    const char *typ;                      /* JWS typ; NULL when absent */
} ot_access_token_t;

/* Validates a compact JWS access token at time now (seconds), in this
 * order: size, JWS parse and header policy, typ, iss picks a trusted issuer,
 * signature with that issuer's keys, ID-token markers, times, audience,
 * subject. On failure *detail (may be NULL) gets a short reason without
 * any token content. */
ot_status_t ot_access_token_validate(apr_pool_t *p, const char *compact,
                                     const ot_access_policy_t *policy,
                                     apr_int64_t now,
                                     ot_access_token_t **out,
                                     const char **detail);

/* Verifies a parsed JWS with issuer's keys and the policy's algorithms:
 * the issuer's static jwks when it has one, else the set from
 * policy->issuer_keys, asked once more with refresh when the token's kid
 * is not in it (OT_ERR_NO_KEY). Shared by every JWT the provider signs
 * (access, ID and logout tokens). On failure *detail (may be NULL) gets a
 * reason without token content. */
ot_status_t ot_access_verify_jws(apr_pool_t *p, const ot_jws_t *jws,
                                 const ot_issuer_t *issuer,
                                 const ot_access_policy_t *policy,
                                 const char **detail);

/* Flags of ot_access_claims_check. */
#define OT_CLAIMS_INTROSPECTION 0x1 /* an RFC 7662 answer: exp optional,
                                       token_type checked */

/* The checks that follow the signature, shared by JWT validation,
 * introspection and the token cache, in this order: (introspection:
 * token_type not a refresh or ID token), ID-token markers, times with the
 * policy's skew, audience, subject. On OT_OK fills token's claims,
 * subject, client_id, scopes and exp per this policy's subject_claim and
 * scope_claim (the caller sets issuer, alg, kid, typ); on failure leaves
 * token alone and *detail (may be NULL) gets a reason without token
 * content. */
ot_status_t ot_access_claims_check(apr_pool_t *p,
                                   const ot_access_policy_t *policy,
                                   json_t *claims, apr_int64_t now,
                                   unsigned int flags, ot_access_token_t *token,
                                   const char **detail);

/* The policy's trusted issuer named iss (exact match), or NULL. */
const ot_issuer_t *ot_access_policy_issuer(const ot_access_policy_t *policy,
                                           const char *iss);

/* 1 when typ (NULL: absent) is accepted by accept_types: "at+jwt" also
 * matches "application/at+jwt" (case-insensitive, RFC 7515 4.1.9), and
 * "JWT" also admits a token with no typ. */
int ot_access_typ_accepted(const apr_array_header_t *accept_types,
                           const char *typ);

#endif
