/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* A pending login: what the browser was sent to the provider with, kept
 * server-side under its state for a short time, bound to the browser that
 * started it by a cookie whose value only that browser knows, and used once.
 * Several tabs logging in at once each have their own. */

#ifndef OT_LOGIN_H
#define OT_LOGIN_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "ot.h"
#include "store/store.h"

typedef struct ot_login_t {
    const char *state;          /* 256-bit random, base64url */
    const char *nonce;          /* 256-bit random, base64url */
    const char *code_verifier;  /* PKCE */
    const char *binding;        /* the browser cookie's value (random) */
    const char *return_to;      /* local path to go back to */
    apr_int64_t created;        /* seconds */
} ot_login_t;

/* A new pending login for return_to (which must pass
 * ot_redirect_is_local, else OT_ERR_MALFORMED), stored until now + ttl. */
ot_status_t ot_login_start(apr_pool_t *p, const ot_store_t *store,
                           const char *return_to, apr_int64_t now,
                           apr_int64_t ttl, ot_login_t **out);

/* The name of the browser cookie that binds a pending login (its state
 * tells which): prefix + the first 16 characters of base64url(SHA-256(state)),
 * so concurrent logins have cookies of their own. */
const char *ot_login_cookie_name(apr_pool_t *p, const char *prefix,
                                 const char *state);

/* Takes the pending login of state out of the store (used once: it is
 * removed whatever the outcome) and checks that binding (the cookie value
 * the browser sent; NULL when none) is the one it was started with, in
 * constant time. OT_ERR_NOT_FOUND: no such login (unknown, expired or
 * used); OT_ERR_CLAIM: the browser is not the one that started it. */
ot_status_t ot_login_take(apr_pool_t *p, const ot_store_t *store,
                          const char *state, const char *binding,
                          ot_login_t **out);

/* The provider's authorization request URL: response_type=code,
 * client_id, redirect_uri, scope, state, nonce, code_challenge and
 * code_challenge_method=S256, every value percent-encoded. */
const char *ot_login_authorization_url(apr_pool_t *p, const char *endpoint,
                                       const char *client_id,
                                       const char *redirect_uri,
                                       const char *scope,
                                       const ot_login_t *login);

/* The same-origin rule for every redirect target taken from a request:
 * a path starting with one "/" and no scheme, authority, backslash or
 * control character ("/a?b" yes; "//evil", "/\\evil", "https://x",
 * "javascript:" no). */
int ot_redirect_is_local(const char *target);

#endif
