/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* The validated-token cache: a token already verified or introspected is
 * kept as a small record, in the per-process memo and, when a store is
 * given, under the SHA-256 of the token in the store; never longer than its
 * exp. A hit is bound to the policy of the location that asks: issuer,
 * audience, type, algorithm and exp are checked again on every hit, so a
 * token accepted at one location is never let through another that would
 * have refused it. */

#ifndef OT_TOKEN_CACHE_H
#define OT_TOKEN_CACHE_H

#include <apr_pools.h>
#include "ot.h"
#include "store/store.h"
#include "token/access.h"

/* A per-process memory in front of the store: the parsed records of
 * recently seen tokens, at most capacity of them (a direct-mapped table, so it
 * never grows), so that a hit costs neither a
 * store access nor any JSON parsing. Safe for many threads; the policy
 * re-check runs on every hit as for the store's. */
typedef struct ot_token_memo_t ot_token_memo_t;

ot_status_t ot_token_memo_create(apr_pool_t *p, apr_size_t capacity,
                                 ot_token_memo_t **out);

/* Stores token's validation result (in memo, and in store unless NULL) until min(exp, now + max_ttl) (max_ttl
 * 0: until exp; a token without exp is kept only with a max_ttl, for
 * max_ttl). Records hold the claims, issuer, typ, alg and kid. OT_OK when
 * stored; a result that is not kept is no error worth more than a debug
 * line: OT_ERR_EXPIRED (no lifetime left), OT_ERR_TOO_LARGE (over the
 * store's max_value_len), or the store's own status. */
ot_status_t ot_token_cache_put(const ot_store_t *store, ot_token_memo_t *memo,
                               apr_pool_t *p, const char *compact,
                               const ot_access_token_t *token, apr_int64_t now,
                               apr_int64_t max_ttl);

/* The cached result for compact (from memo when it has it, else from the
 * store unless NULL, then kept in memo), re-checked against policy at now:
 * OT_OK with *out; OT_ERR_NOT_FOUND on a miss (validate normally); any
 * other status is the refusal the policy gives the cached token (the
 * issuer it was verified for must still be one of the policy's, by name).
 * A store failure, a damaged record or one of another version is a miss,
 * and so is an introspection result where the policy's issuer has no
 * introspection endpoint (this location could not have asked). */
ot_status_t ot_token_cache_get(const ot_store_t *store, ot_token_memo_t *memo,
                               apr_pool_t *p, const char *compact,
                               const ot_access_policy_t *policy,
                               apr_int64_t now, ot_access_token_t **out,
                               const char **detail);

#endif
