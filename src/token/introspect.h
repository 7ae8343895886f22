/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* OAuth 2.0 Token Introspection (RFC 7662) for opaque tokens: the answer is
 * checked like a JWT's claims and becomes the same ot_access_token_t. */

#ifndef OT_INTROSPECT_H
#define OT_INTROSPECT_H

#include <apr_pools.h>
#include "ot.h"
#include "fetch/fetch.h"
#include "token/access.h"

typedef enum {
    OT_CLIENT_AUTH_BASIC = 0, /* client_secret_basic (RFC 6749 2.3.1) */
    OT_CLIENT_AUTH_POST       /* client_secret_post */
} ot_client_auth_t;

typedef struct ot_introspection_t {
    const char *url;
    const char *client_id;
    const char *client_secret;
    ot_client_auth_t auth;
} ot_introspection_t;

/* Asks the issuer's introspection endpoint about token (with
 * token_type_hint=access_token) and checks the answer at time now:
 * - no answer, a status other than 200, or a body that is not a JSON
 *   object with a boolean "active": OT_ERR_UNAVAILABLE (the provider's
 *   fault, never the client's);
 * - "active": false: OT_ERR_INACTIVE;
 * - "iss", when present, must equal issuer->issuer (OT_ERR_ISSUER);
 * - "aud" must be present and contain a policy audience (OT_ERR_AUDIENCE);
 * - "exp", "nbf", "iat" when present as for a JWT (OT_ERR_EXPIRED, ...);
 *   "exp" absent is allowed (the cache TTL bounds reuse);
 * - "token_type", when present, must not name a refresh token (OT_ERR_CLAIM)
 *   or an ID token (OT_ERR_ID_TOKEN); the ID-token markers of a JWT's
 *   claims, the login clients as aud included, refuse as for JWTs;
 * - subject from policy->subject_claim (OT_ERR_CLAIM when missing), client
 *   from client_id, scopes from policy->scope_claim.
 * out->claims is the whole answer; out->alg is "introspection". endpoint
 * NULL: issuer->introspection. The request carries the token
 * form-encoded with token_type_hint=access_token and the client's
 * credentials per endpoint->auth; *detail never holds token content. */
ot_status_t ot_introspect(apr_pool_t *p, const ot_fetcher_t *fetcher,
                          const ot_introspection_t *endpoint,
                          const ot_issuer_t *issuer, const char *token,
                          const ot_access_policy_t *policy, apr_int64_t now,
                          ot_access_token_t **out, const char **detail);

#endif
