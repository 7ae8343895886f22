/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <string.h>

#include <openssl/crypto.h>

#include "oidc/pkce.h"
#include "util/b64url.h"
#include "util/crypto.h"

/* Enough for any value a login needs; a larger request is a bug. */
#define MAX_TOKEN_BYTES 1024

#define VERIFIER_BYTES 32

ot_status_t ot_random_token(apr_pool_t *p, apr_size_t bytes, const char **out)
{
    unsigned char buf[MAX_TOKEN_BYTES];
    ot_status_t st;

    *out = NULL;
    if (bytes == 0 || bytes > sizeof(buf)) {
        return OT_ERR_INTERNAL;
    }
    st = ot_random_bytes(buf, bytes);
    if (st == OT_OK) {
        *out = ot_b64url_encode(p, buf, bytes);
        if (*out == NULL) {
            st = OT_ERR_INTERNAL;
        }
    }
    /* The raw bytes are the secret as much as their encoding is: leave no
     * copy on the stack for a later bug to read. */
    OPENSSL_cleanse(buf, bytes);
    return st;
}

const char *ot_pkce_challenge(apr_pool_t *p, const char *verifier)
{
    unsigned char digest[OT_SHA256_LEN];

    if (verifier == NULL
        || ot_sha256(verifier, strlen(verifier), digest) != OT_OK) {
        return NULL;
    }
    return ot_b64url_encode(p, digest, sizeof(digest));
}

ot_status_t ot_pkce_create(apr_pool_t *p, const char **verifier,
                           const char **challenge)
{
    const char *v, *c;
    ot_status_t st;

    *verifier = NULL;
    *challenge = NULL;
    st = ot_random_token(p, VERIFIER_BYTES, &v);
    if (st != OT_OK) {
        return st;
    }
    c = ot_pkce_challenge(p, v);
    if (c == NULL) {
        return OT_ERR_INTERNAL;
    }
    *verifier = v;
    *challenge = c;
    return OT_OK;
}
