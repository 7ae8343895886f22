/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <string.h>

#include <apr_strings.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "jose/jws.h"
#include "util/b64url.h"
#include "util/crypto.h"
#include "util/json.h"

/* Decodes one base64url part that must hold a JSON object. */
static ot_status_t jws_json_part(apr_pool_t *p, const char *b64, apr_size_t len,
                                 json_t **out)
{
    unsigned char *text;
    apr_size_t text_len;

    if (ot_b64url_decode(p, b64, len, &text, &text_len) != OT_OK) {
        return OT_ERR_MALFORMED;
    }
    return ot_json_parse_object(p, (const char *)text, text_len,
                                OT_MAX_TOKEN_LEN, out);
}

/* RFC 7515 4.1.11: a recipient must refuse a "crit" it does not fully
 * understand, and this module understands no extension; so any "crit",
 * even an empty or malformed one, ends here. "crit" is tested before
 * "alg" so that the RFC's Appendix E case is refused for its "crit". */
static ot_status_t jws_header_policy(ot_jws_t *jws)
{
    json_t *alg, *kid, *typ;

    if (json_object_get(jws->header, "crit") != NULL) {
        return OT_ERR_HEADER;
    }
    alg = json_object_get(jws->header, "alg");
    if (!json_is_string(alg)) {
        return OT_ERR_HEADER;
    }
    jws->alg = ot_alg_by_name(json_string_value(alg));
    if (jws->alg == NULL) {
        return OT_ERR_ALG;
    }
    kid = json_object_get(jws->header, "kid");
    typ = json_object_get(jws->header, "typ");
    if ((kid != NULL && !json_is_string(kid))
        || (typ != NULL && !json_is_string(typ))) {
        return OT_ERR_HEADER;
    }
    jws->kid = json_string_value(kid);
    jws->typ = json_string_value(typ);
    return OT_OK;
}

ot_status_t ot_jws_parse(apr_pool_t *p, const char *compact, ot_jws_t **out)
{
    const char *dot1, *dot2, *end;
    ot_jws_t *jws;
    ot_status_t st;

    *out = NULL;
    if (compact == NULL) {
        return OT_ERR_MALFORMED;
    }
    end = memchr(compact, '\0', OT_MAX_TOKEN_LEN + 1);
    if (end == NULL) {
        return OT_ERR_TOO_LARGE;
    }
    dot1 = memchr(compact, '.', (apr_size_t)(end - compact));
    dot2 = dot1 ? memchr(dot1 + 1, '.', (apr_size_t)(end - dot1 - 1)) : NULL;
    if (dot2 == NULL || memchr(dot2 + 1, '.', (apr_size_t)(end - dot2 - 1))) {
        return OT_ERR_MALFORMED;
    }
    jws = apr_pcalloc(p, sizeof(*jws));
    st = jws_json_part(p, compact, (apr_size_t)(dot1 - compact), &jws->header);
    if (st == OT_OK) {
        st = jws_header_policy(jws);
    }
    if (st == OT_OK) {
        st = jws_json_part(p, dot1 + 1, (apr_size_t)(dot2 - dot1 - 1),
                           &jws->payload);
    }
    if (st == OT_OK
        && ot_b64url_decode(p, dot2 + 1, (apr_size_t)(end - dot2 - 1),
                            &jws->signature, &jws->signature_len)
               != OT_OK) {
        st = OT_ERR_MALFORMED;
    }
    if (st != OT_OK) {
        return st;
    }
    jws->signing_input_len = (apr_size_t)(dot2 - compact);
    jws->signing_input = apr_pstrmemdup(p, compact, jws->signing_input_len);
    *out = jws;
    return OT_OK;
}

/* Prepares mctx for one verification; digest NULL for EdDSA, which
 * hashes internally. */
/* EdDSA: the message itself is signed, so nothing can be prepared but
 * the key. */
static ot_status_t jws_verify_eddsa(const ot_jwk_t *key,
                                    const unsigned char *input,
                                    apr_size_t input_len,
                                    const unsigned char *sig, apr_size_t sig_len)
{
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    int ready, rc = 0;

    ready = mctx != NULL
            && EVP_DigestVerifyInit_ex(mctx, NULL, NULL, NULL, NULL, key->pkey,
                                       NULL)
                   == 1;
    if (ready) {
        rc = EVP_DigestVerify(mctx, sig, sig_len, input, input_len);
    }
    EVP_MD_CTX_free(mctx);
    if (rc == 1) {
        return OT_OK;
    }
    ERR_clear_error();
    return ready ? OT_ERR_SIGNATURE : OT_ERR_INTERNAL;
}

/* RSA and ECDSA through the key's prepared verifier for alg. */
static ot_status_t jws_verify_prepared(const ot_alg_t *alg,
                                       const ot_jwk_t *key,
                                       const unsigned char *input,
                                       apr_size_t input_len,
                                       const unsigned char *sig,
                                       apr_size_t sig_len)
{
    const ot_jwk_verifier_t *v = &key->verifiers[ot_alg_index(alg)];
    unsigned char hash[EVP_MAX_MD_SIZE];
    unsigned int hash_len = 0;
    EVP_PKEY_CTX *ctx = NULL;
    int ready, rc = 0;

    ready = v->ctx != NULL
            && EVP_Digest(input, input_len, hash, &hash_len, v->md, NULL) == 1
            && (ctx = EVP_PKEY_CTX_dup(v->ctx)) != NULL;
    if (ready) {
        rc = EVP_PKEY_verify(ctx, sig, sig_len, hash, hash_len);
    }
    EVP_PKEY_CTX_free(ctx);
    if (rc == 1) {
        return OT_OK;
    }
    ERR_clear_error();
    return ready ? OT_ERR_SIGNATURE : OT_ERR_INTERNAL;
}

static ot_status_t jws_verify_rsa(const ot_alg_t *alg, const ot_jwk_t *key,
                                  const unsigned char *input,
                                  apr_size_t input_len,
                                  const unsigned char *sig, apr_size_t sig_len)
{
    /* RFC 8017 8.2.2 and 8.1.2: a signature is exactly k octets. OpenSSL
     * lets a short PSS signature through as if zero-padded. */
    if (sig_len != (apr_size_t)EVP_PKEY_get_size(key->pkey)) {
        return OT_ERR_SIGNATURE;
    }
    return jws_verify_prepared(alg, key, input, input_len, sig, sig_len);
}

/* JWS carries R || S as two fixed-size big-endian integers (RFC 7518
 * 3.4); OpenSSL verifies the DER SEQUENCE of RFC 3279. */
static ot_status_t jws_ecdsa_to_der(const unsigned char *sig,
                                    apr_size_t sig_len, unsigned char **der,
                                    int *der_len)
{
    ECDSA_SIG *esig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, (int)(sig_len / 2), NULL);
    BIGNUM *s = BN_bin2bn(sig + sig_len / 2, (int)(sig_len / 2), NULL);

    if (esig == NULL || r == NULL || s == NULL || !ECDSA_SIG_set0(esig, r, s)) {
        ECDSA_SIG_free(esig);
        BN_free(r);
        BN_free(s);
        ERR_clear_error();
        return OT_ERR_INTERNAL;
    }
    *der = NULL;
    *der_len = i2d_ECDSA_SIG(esig, der);
    ECDSA_SIG_free(esig);
    if (*der_len <= 0) {
        ERR_clear_error();
        return OT_ERR_INTERNAL;
    }
    return OT_OK;
}

static ot_status_t jws_verify_ecdsa(const ot_alg_t *alg, const ot_jwk_t *key,
                                    const unsigned char *input,
                                    apr_size_t input_len,
                                    const unsigned char *sig,
                                    apr_size_t sig_len)
{
    unsigned char *der;
    int der_len;
    ot_status_t st;

    /* Any other length, a DER signature included, is not this alg's. */
    if (sig_len != alg->sig_len) {
        return OT_ERR_SIGNATURE;
    }
    st = jws_ecdsa_to_der(sig, sig_len, &der, &der_len);
    if (st != OT_OK) {
        return st;
    }
    st = jws_verify_prepared(alg, key, input, input_len, der,
                             (apr_size_t)der_len);
    OPENSSL_free(der);
    return st;
}

static ot_status_t jws_verify_hmac(const ot_alg_t *alg, const ot_jwk_t *key,
                                   const unsigned char *input,
                                   apr_size_t input_len,
                                   const unsigned char *sig, apr_size_t sig_len)
{
    unsigned char tag[EVP_MAX_MD_SIZE];
    size_t tag_len = 0;
    int equal;

    /* Truncated tags are not HS256/384/512; the length is public. */
    if (sig_len != alg->sig_len) {
        return OT_ERR_SIGNATURE;
    }
    if (EVP_Q_mac(NULL, "HMAC", NULL, alg->digest, NULL, key->secret,
                  key->secret_len, input, input_len, tag, sizeof(tag), &tag_len)
        == NULL) {
        ERR_clear_error();
        return OT_ERR_INTERNAL;
    }
    equal = ot_const_time_equal(tag, tag_len, sig, sig_len);
    OPENSSL_cleanse(tag, sizeof(tag));
    return equal ? OT_OK : OT_ERR_SIGNATURE;
}

ot_status_t ot_jws_verify_signature(const ot_alg_t *alg, const ot_jwk_t *key,
                                    const unsigned char *input,
                                    apr_size_t input_len,
                                    const unsigned char *sig,
                                    apr_size_t sig_len)
{
    if (!ot_jwk_fits_alg(key, alg)) {
        return OT_ERR_ALG;
    }
    if (input == NULL || (sig == NULL && sig_len > 0)) {
        return OT_ERR_SIGNATURE;
    }
    switch (alg->scheme) {
    case OT_SIG_PKCS1:
    case OT_SIG_PSS:
        return jws_verify_rsa(alg, key, input, input_len, sig, sig_len);
    case OT_SIG_ECDSA:
        return jws_verify_ecdsa(alg, key, input, input_len, sig, sig_len);
    case OT_SIG_EDDSA:
        return jws_verify_eddsa(key, input, input_len, sig, sig_len);
    case OT_SIG_HMAC:
        return jws_verify_hmac(alg, key, input, input_len, sig, sig_len);
    }
    return OT_ERR_ALG;
}

/* 1 when key is a candidate for jws: the header's kid, when there is one,
 * names it, and it fits the header's alg. */
static int jws_key_selected(const ot_jws_t *jws, const ot_jwk_t *key)
{
    if (jws->kid != NULL
        && (key->kid == NULL || strcmp(key->kid, jws->kid) != 0)) {
        return 0;
    }
    return ot_jwk_fits_alg(key, jws->alg);
}

ot_status_t ot_jws_verify(const ot_jws_t *jws, const ot_jwks_t *jwks,
                          ot_alg_set_t allowed)
{
    const ot_jwk_t *key;
    int i, tried = 0;

    if (jws == NULL || jws->alg == NULL || !(allowed & jws->alg->bit)) {
        return OT_ERR_ALG;
    }
    for (i = 0; jwks != NULL && i < jwks->keys->nelts; i++) {
        key = APR_ARRAY_IDX(jwks->keys, i, const ot_jwk_t *);
        if (!jws_key_selected(jws, key)) {
            continue;
        }
        tried = 1;
        if (ot_jws_verify_signature(
                jws->alg, key, (const unsigned char *)jws->signing_input,
                jws->signing_input_len, jws->signature, jws->signature_len)
            == OT_OK) {
            return OT_OK;
        }
    }
    return tried ? OT_ERR_SIGNATURE : OT_ERR_NO_KEY;
}
