/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Keys generated and JWTs minted at test time, so nothing checked in can
 * expire or leak: key generation (RSA, EC P-256, Ed25519), the public JWK
 * Set of a few keys, and compact JWS signing with RS/PS/ES256 and EdDSA.
 * Shared because the access-token and ID-token tests mint the same way.
 * The program sets mint_pool once, before the first call; everything
 * returned lives in it. */

#ifndef OT_TEST_MINT_H
#define OT_TEST_MINT_H

#include <stdlib.h>
#include <string.h>

#include <apr_pools.h>
#include <apr_strings.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "tap.h"
#include "ot.h"
#include "util/b64url.h"
#include "util/json.h"
#include "jose/jwks.h"

static apr_pool_t *mint_pool;

typedef struct {
    EVP_PKEY *pkey;
    const char *kid;
} test_key_t;

/* ---- keys and JWKs ---------------------------------------------------- */

static inline EVP_PKEY *keygen(const char *type, const char *group,
                               int rsa_bits)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *pkey = NULL;

    if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1
        || (rsa_bits && EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, rsa_bits) != 1)
        || (group && EVP_PKEY_CTX_set_group_name(ctx, group) != 1)
        || EVP_PKEY_keygen(ctx, &pkey) != 1) {
        pkey = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

static inline const char *b64(const void *data, apr_size_t len)
{
    return ot_b64url_encode(mint_pool, data, len);
}

/* A big-endian parameter as base64url; pad > 0 left-pads to that size, as
 * RFC 7518 6.2.1.2 requires of EC coordinates. */
static inline const char *bn_param(EVP_PKEY *pkey, const char *name, int pad)
{
    BIGNUM *bn = NULL;
    unsigned char *buf;
    int len;

    if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) {
        return "";
    }
    len = pad > 0 ? pad : BN_num_bytes(bn);
    buf = apr_palloc(mint_pool, (apr_size_t)len);
    if (pad > 0) {
        BN_bn2binpad(bn, buf, pad);
    }
    else {
        BN_bn2bin(bn, buf);
    }
    BN_free(bn);
    return b64(buf, (apr_size_t)len);
}

static inline json_t *public_jwk(const test_key_t *k)
{
    unsigned char pub[64];
    size_t pub_len = 0;

    switch (EVP_PKEY_get_base_id(k->pkey)) {
    case EVP_PKEY_RSA:
        return json_pack("{s:s, s:s, s:s, s:s}", "kty", "RSA", "kid", k->kid,
                         "n", bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_N, 0), "e",
                         bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_E, 0));
    case EVP_PKEY_EC:
        return json_pack("{s:s, s:s, s:s, s:s, s:s}", "kty", "EC", "crv",
                         "P-256", "kid", k->kid, "x",
                         bn_param(k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, 32), "y",
                         bn_param(k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, 32));
    default:
        EVP_PKEY_get_octet_string_param(k->pkey, OSSL_PKEY_PARAM_PUB_KEY, pub,
                                        sizeof(pub), &pub_len);
        return json_pack("{s:s, s:s, s:s, s:s}", "kty", "OKP", "crv", "Ed25519",
                         "kid", k->kid, "x", b64(pub, pub_len));
    }
}

static inline ot_jwks_t *make_jwks(const test_key_t *const *keys, int n)
{
    json_t *set = ot_json_pool_own(mint_pool, json_pack("{s:[]}", "keys"));
    ot_jwks_t *jwks = NULL;
    const char *why = NULL;
    char *text;
    int i;

    for (i = 0; i < n; i++) {
        json_array_append_new(json_object_get(set, "keys"),
                              public_jwk(keys[i]));
    }
    text = json_dumps(set, JSON_COMPACT);
    if (ot_jwks_parse(mint_pool, text, strlen(text), &jwks, &why) != OT_OK) {
        diag("JWKS refused: %s", why ? why : "?");
    }
    free(text);
    return jwks;
}

/* ---- minting ------------------------------------------------------------ */

static inline const char *sign(const test_key_t *k, const char *alg,
                               const char *input)
{
    const char *digest = strcmp(alg, "EdDSA") == 0 ? NULL : "SHA256";
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    unsigned char *sig = NULL, raw[64];
    const unsigned char *der;
    const BIGNUM *r, *s;
    ECDSA_SIG *esig;
    size_t sig_len = 0;
    const char *out = "";

    if (EVP_DigestSignInit_ex(mctx, &pctx, digest, NULL, NULL, k->pkey, NULL)
            != 1
        || (strncmp(alg, "PS", 2) == 0
            && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1
                || EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx,
                                                    RSA_PSS_SALTLEN_DIGEST)
                       != 1))
        || EVP_DigestSign(mctx, NULL, &sig_len, (const unsigned char *)input,
                          strlen(input))
               != 1) {
        goto done;
    }
    sig = apr_palloc(mint_pool, sig_len);
    if (EVP_DigestSign(mctx, sig, &sig_len, (const unsigned char *)input,
                       strlen(input))
        != 1) {
        goto done;
    }
    if (strncmp(alg, "ES", 2) != 0) {
        out = b64(sig, sig_len);
        goto done;
    }
    /* JWS wants R || S, each the curve's size, not OpenSSL's DER. */
    der = sig;
    esig = d2i_ECDSA_SIG(NULL, &der, (long)sig_len);
    if (esig != NULL) {
        ECDSA_SIG_get0(esig, &r, &s);
        BN_bn2binpad(r, raw, 32);
        BN_bn2binpad(s, raw + 32, 32);
        ECDSA_SIG_free(esig);
        out = b64(raw, 64);
    }
done:
    EVP_MD_CTX_free(mctx);
    return out;
}

static inline const char *json_b64(json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT);
    const char *out = b64(text, strlen(text));

    free(text);
    return out;
}

/* typ NULL: no typ header; kid from the key; extra: more header members
 * (may be NULL). */
static inline const char *mint_hdr(const test_key_t *k, const char *alg,
                                   const char *typ, json_t *extra,
                                   json_t *claims)
{
    json_t *hdr = ot_json_pool_own(mint_pool, json_pack("{s:s}", "alg", alg));
    const char *input;

    if (typ != NULL) {
        json_object_set_new(hdr, "typ", json_string(typ));
    }
    if (k->kid != NULL) {
        json_object_set_new(hdr, "kid", json_string(k->kid));
    }
    if (extra != NULL) {
        json_object_update(hdr, extra);
        json_decref(extra);
    }
    input = apr_pstrcat(mint_pool, json_b64(hdr), ".", json_b64(claims), NULL);
    return apr_pstrcat(mint_pool, input, ".", sign(k, alg, input), NULL);
}

static inline const char *mint_with(const test_key_t *k, const char *alg,
                                    const char *typ, json_t *claims)
{
    return mint_hdr(k, alg, typ, NULL, claims);
}

#endif
