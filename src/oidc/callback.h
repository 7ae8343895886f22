/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* The end of a login: the authorization response at the redirect URI, the
 * code exchanged at the token endpoint, and the ID token validated per
 * OpenID Connect Core 1.0 section 3.1.3.7. Only then may a session be
 * opened. */

#ifndef OT_CALLBACK_H
#define OT_CALLBACK_H

#include <apr_pools.h>
#include <jansson.h>
#include "ot.h"
#include "fetch/fetch.h"
#include "oidc/login.h"
#include "oidc/metadata.h"
#include "token/access.h"
#include "token/introspect.h"

typedef struct ot_client_t {
    const char *client_id;
    const char *client_secret;
    ot_client_auth_t auth;       /* at the token endpoint */
    const char *redirect_uri;    /* absolute */
} ot_client_t;

/* What a successful code exchange gives. */
typedef struct ot_login_result_t {
    json_t *id_claims;
    const char *id_token;
    const char *subject;
    const char *sid;             /* NULL when absent */
    const char *access_token;    /* may be NULL */
    const char *refresh_token;   /* may be NULL */
    apr_int64_t access_expires;  /* now + expires_in, or 0 */
    const char *scope;           /* as granted, or as asked */
} ot_login_result_t;

/* The ID token checks of OIDC Core 3.1.3.7 at now, with the issuer's keys
 * (through policy->issuer_keys when issuer->jwks is NULL) and the policy's
 * algorithms and skew: signature; iss equal to issuer->issuer; aud
 * containing client_id; azp equal to client_id when present or when there
 * are several audiences; exp; iat not in the future (beyond skew) nor older
 * than max_age seconds; nonce equal to expected_nonce (when not NULL);
 * sub a non-empty string; typ absent or "JWT" (an access token is not an
 * ID token). *claims gets the payload. */
ot_status_t ot_id_token_validate(apr_pool_t *p, const char *compact,
                                 const ot_issuer_t *issuer,
                                 const ot_access_policy_t *policy,
                                 const char *client_id,
                                 const char *expected_nonce,
                                 apr_int64_t now, apr_int64_t max_age,
                                 json_t **claims, const char **detail);

/* Exchanges code at metadata->token_endpoint (grant_type
 * authorization_code, redirect_uri, code_verifier, client authentication)
 * and validates the ID token with login->nonce. OT_ERR_UNAVAILABLE when
 * the endpoint cannot be reached or answers 5xx; OT_ERR_CLAIM when it
 * refuses the code (4xx, with its error in *detail); any ID token refusal
 * as such. */
ot_status_t ot_callback_exchange(apr_pool_t *p, const ot_fetcher_t *fetcher,
                                 const ot_metadata_t *metadata,
                                 const ot_issuer_t *issuer,
                                 const ot_access_policy_t *policy,
                                 const ot_client_t *client,
                                 const ot_login_t *login, const char *code,
                                 apr_int64_t now, ot_login_result_t *out,
                                 const char **detail);

/* Refreshes an access token with refresh_token (grant_type
 * refresh_token). out->access_token, refresh_token (the new one, or the
 * old when none is returned) and access_expires are set. */
ot_status_t ot_callback_refresh(apr_pool_t *p, const ot_fetcher_t *fetcher,
                                const ot_metadata_t *metadata,
                                const ot_client_t *client,
                                const char *refresh_token, apr_int64_t now,
                                ot_login_result_t *out, const char **detail);

/* OpenID Connect Back-Channel Logout 1.0 section 2.6: a logout token
 * signed by the issuer (keys as for ID tokens), iss, aud containing
 * client_id, iat within skew and not older than max_age, a jti, events
 * holding "http://schemas.openid.net/event/backchannel-logout", sid or
 * sub (or both), no nonce; typ absent, "JWT" or "logout+jwt". *sid and
 * *sub get the values (NULL when absent), *jti the jti and *exp its exp
 * (or iat + max_age) for the replay check. */
ot_status_t ot_logout_token_validate(apr_pool_t *p, const char *compact,
                                     const ot_issuer_t *issuer,
                                     const ot_access_policy_t *policy,
                                     const char *client_id, apr_int64_t now,
                                     apr_int64_t max_age, const char **sid,
                                     const char **sub, const char **jti,
                                     apr_int64_t *exp, const char **detail);

/* RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the
 * end_session_endpoint URL with id_token_hint, client_id and, when not
 * NULL, post_logout_redirect_uri, every value percent-encoded. */
const char *ot_logout_url(apr_pool_t *p, const char *end_session_endpoint,
                          const char *id_token_hint, const char *client_id,
                          const char *post_logout_redirect_uri);

#endif
