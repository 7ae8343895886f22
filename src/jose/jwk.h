/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* One JSON Web Key (RFC 7517/7518/8037), parsed once into an EVP_PKEY (or
 * a secret for "oct") that verification then uses as it is. */

#ifndef OT_JWK_H
#define OT_JWK_H

#include <apr_pools.h>
#include <jansson.h>
#include <openssl/evp.h>
#include "ot.h"
#include "jose/alg.h"

/* Verification with one algorithm, set up when the key is parsed so that
 * a request fetches nothing: the digest, and a context holding the key,
 * padding and hash, which each verification duplicates (an OpenSSL
 * context is not for several threads at once). */
typedef struct ot_jwk_verifier_t {
    EVP_MD *md;
    EVP_PKEY_CTX *ctx;
} ot_jwk_verifier_t;

typedef struct ot_jwk_t {
    ot_kty_t kty;
    const char *kid;            /* NULL when the key has none */
    const char *alg;            /* the key's own "alg", or NULL */
    int curve_nid;              /* EC/OKP curve, 0 otherwise */
    EVP_PKEY *pkey;             /* RSA/EC/OKP public key; freed with the pool */
    const unsigned char *secret; /* oct */
    apr_size_t secret_len;
    /* By ot_alg_index(), for the RSA and ECDSA algorithms the key fits;
     * the others' are empty. */
    ot_jwk_verifier_t verifiers[OT_ALG_COUNT];
} ot_jwk_t;

/* Parses a JWK object. Public keys only are kept (private members are
 * ignored). RSA below OT_MIN_RSA_BITS, EC points off the curve, unknown
 * curves and malformed members give OT_ERR_KEY and *why says which. An
 * unsupported "kty" gives OT_ERR_KEY too; callers that must skip such keys
 * check kty first with ot_jwk_kty_supported(). */
ot_status_t ot_jwk_parse(apr_pool_t *p, json_t *jwk, ot_jwk_t **out,
                         const char **why);

/* 1 when the object's "kty" (and for EC and OKP its "crv") is one this
 * module can use; JWK Sets skip the others (RFC 7517 5). */
int ot_jwk_kty_supported(json_t *jwk);

/* 1 when the key can verify alg: same key type, the alg's curve for EC and
 * OKP, the key's own "alg" (when it has one) equal to alg's name, and for
 * HMAC a secret at least as long as the hash output (RFC 7518 3.2). */
int ot_jwk_fits_alg(const ot_jwk_t *key, const ot_alg_t *alg);

#endif
