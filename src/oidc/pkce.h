/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Proof Key for Code Exchange (RFC 7636), S256 only, and the other random
 * values of a login: state, nonce, session ids. */

#ifndef OT_PKCE_H
#define OT_PKCE_H

#include <apr_pools.h>
#include "ot.h"

/* base64url of bytes random bytes from OpenSSL's CSPRNG (32 bytes: 43
 * characters, 256 bits). */
ot_status_t ot_random_token(apr_pool_t *p, apr_size_t bytes,
                            const char **out);

/* A code_verifier (43 characters from 32 random bytes) and its S256
 * code_challenge: BASE64URL(SHA256(ASCII(verifier))). */
ot_status_t ot_pkce_create(apr_pool_t *p, const char **verifier,
                           const char **challenge);

/* The S256 challenge of a given verifier (RFC 7636 appendix B). */
const char *ot_pkce_challenge(apr_pool_t *p, const char *verifier);

#endif
