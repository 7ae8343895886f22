/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Keys are built with OpenSSL 3's provider-neutral EVP_PKEY_fromdata, and
 * only from public members: a JWK Set that carries "d", "p", "q" ... by
 * mistake still yields a verify-only key, and the secret never reaches our
 * memory beyond the caller's JSON. */

#include <string.h>

#include <apr_strings.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "jose/jwk.h"
#include "util/b64url.h"

/* OpenSSL refuses larger moduli at verification time anyway
 * (OPENSSL_RSA_MAX_MODULUS_BITS); refusing them here says so at load. */
#define JWK_MAX_RSA_BITS 16384

typedef struct {
    const char *crv;   /* JWK name, RFC 7518 section 6.2.1.1 */
    const char *group; /* OpenSSL group name */
    int nid;
    apr_size_t field_len;
} jwk_curve_t;

static const jwk_curve_t jwk_ec_curves[] = {
    {"P-256", SN_X9_62_prime256v1, NID_X9_62_prime256v1, 32},
    {"P-384", SN_secp384r1, NID_secp384r1, 48},
    {"P-521", SN_secp521r1, NID_secp521r1, 66},
};

#define JWK_ED25519_LEN 32

static ot_status_t jwk_refuse(const char **why, const char *reason)
{
    /* A refused key must not leave entries that a later, unrelated
     * OpenSSL call would misreport as its own failure. */
    ERR_clear_error();
    *why = reason;
    return OT_ERR_KEY;
}

static apr_status_t jwk_pkey_cleanup(void *data)
{
    EVP_PKEY_free((EVP_PKEY *)data);
    return APR_SUCCESS;
}

static apr_status_t jwk_verifiers_cleanup(void *data)
{
    ot_jwk_t *key = data;
    unsigned int i;

    for (i = 0; i < OT_ALG_COUNT; i++) {
        EVP_PKEY_CTX_free(key->verifiers[i].ctx);
        EVP_MD_free(key->verifiers[i].md);
    }
    return APR_SUCCESS;
}

static apr_status_t jwk_secret_cleanup(void *data)
{
    ot_jwk_t *key = data;

    OPENSSL_cleanse((void *)key->secret, key->secret_len);
    return APR_SUCCESS;
}

/* The strict base64url bytes of string member name. */
static ot_status_t jwk_bytes(apr_pool_t *p, json_t *jwk, const char *name,
                             unsigned char **out, apr_size_t *out_len)
{
    json_t *v = json_object_get(jwk, name);

    if (!json_is_string(v)) {
        return OT_ERR_KEY;
    }
    if (ot_b64url_decode(p, json_string_value(v), json_string_length(v), out,
                         out_len)
        != OT_OK) {
        return OT_ERR_KEY;
    }
    return OT_OK;
}

/* An optional string member: absent gives NULL, another type an error. */
static ot_status_t jwk_opt_string(apr_pool_t *p, json_t *jwk, const char *name,
                                  const char **out)
{
    json_t *v = json_object_get(jwk, name);

    *out = NULL;
    if (v == NULL) {
        return OT_OK;
    }
    if (!json_is_string(v)) {
        return OT_ERR_KEY;
    }
    *out = apr_pstrdup(p, json_string_value(v));
    return OT_OK;
}

static EVP_PKEY *jwk_pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *pkey = NULL;

    if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1
        || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return pkey;
}

/* Sanity of n and e that OpenSSL would otherwise only trip over when a
 * signature arrives; NULL when they are acceptable. */
static const char *jwk_rsa_check(const BIGNUM *n, const BIGNUM *e)
{
    if (BN_num_bits(n) < OT_MIN_RSA_BITS) {
        return "RSA modulus shorter than 2048 bits";
    }
    if (BN_num_bits(n) > JWK_MAX_RSA_BITS) {
        return "RSA modulus longer than 16384 bits";
    }
    if (!BN_is_odd(n)) {
        return "RSA modulus is even";
    }
    if (!BN_is_odd(e) || BN_is_one(e)) {
        return "RSA exponent must be odd and greater than 1";
    }
    if (BN_cmp(e, n) >= 0) {
        return "RSA exponent not below the modulus";
    }
    return NULL;
}

static ot_status_t jwk_rsa(apr_pool_t *p, json_t *jwk, EVP_PKEY **pkey,
                           const char **why)
{
    unsigned char *n_bytes, *e_bytes;
    apr_size_t n_len, e_len;
    BIGNUM *n = NULL, *e = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    const char *bad;

    if (jwk_bytes(p, jwk, "n", &n_bytes, &n_len) != OT_OK
        || jwk_bytes(p, jwk, "e", &e_bytes, &e_len) != OT_OK) {
        return jwk_refuse(why, "RSA key needs base64url \"n\" and \"e\"");
    }
    if (n_len > JWK_MAX_RSA_BITS / 8 + 1 || e_len > n_len) {
        return jwk_refuse(why, "RSA modulus or exponent too long");
    }
    n = BN_bin2bn(n_bytes, (int)n_len, NULL);
    e = BN_bin2bn(e_bytes, (int)e_len, NULL);
    if (n == NULL || e == NULL) {
        bad = "out of memory";
    }
    else if ((bad = jwk_rsa_check(n, e)) == NULL) {
        bld = OSSL_PARAM_BLD_new();
        if (bld == NULL
            || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n)
            || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e)
            || (*pkey = jwk_pkey_fromdata("RSA", bld)) == NULL) {
            bad = "RSA key refused by OpenSSL";
        }
    }
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    return bad ? jwk_refuse(why, bad) : OT_OK;
}

static const jwk_curve_t *jwk_ec_curve(json_t *jwk)
{
    const char *crv = json_string_value(json_object_get(jwk, "crv"));
    apr_size_t i;

    for (i = 0; crv && i < sizeof(jwk_ec_curves) / sizeof(jwk_ec_curves[0]);
         i++) {
        if (strcmp(crv, jwk_ec_curves[i].crv) == 0) {
            return &jwk_ec_curves[i];
        }
    }
    return NULL;
}

/* The full public check: coordinates below p, the point on the curve and
 * not at infinity. Invalid-curve attacks start from a point that is not. */
static int jwk_ec_point_valid(EVP_PKEY *pkey)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    int valid = ctx != NULL && EVP_PKEY_public_check(ctx) == 1;

    EVP_PKEY_CTX_free(ctx);
    return valid;
}

static ot_status_t jwk_ec(apr_pool_t *p, json_t *jwk, EVP_PKEY **pkey, int *nid,
                          const char **why)
{
    const jwk_curve_t *curve = jwk_ec_curve(jwk);
    unsigned char *x, *y, *point;
    apr_size_t x_len, y_len;
    OSSL_PARAM_BLD *bld;

    if (curve == NULL) {
        return jwk_refuse(why, "EC curve not supported");
    }
    if (jwk_bytes(p, jwk, "x", &x, &x_len) != OT_OK
        || jwk_bytes(p, jwk, "y", &y, &y_len) != OT_OK) {
        return jwk_refuse(why, "EC key needs base64url \"x\" and \"y\"");
    }
    /* RFC 7518 6.2.1.2: the full field size, no more, no less. */
    if (x_len != curve->field_len || y_len != curve->field_len) {
        return jwk_refuse(why, "EC coordinate of the wrong length");
    }
    point = apr_palloc(p, 1 + 2 * curve->field_len);
    point[0] = 0x04; /* SEC 1 2.3.3: uncompressed point */
    memcpy(point + 1, x, x_len);
    memcpy(point + 1 + x_len, y, y_len);

    bld = OSSL_PARAM_BLD_new();
    if (bld == NULL
        || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                            curve->group, 0)
        || !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
                                             point, 1 + 2 * curve->field_len)) {
        OSSL_PARAM_BLD_free(bld);
        return jwk_refuse(why, "out of memory");
    }
    *pkey = jwk_pkey_fromdata("EC", bld);
    OSSL_PARAM_BLD_free(bld);
    if (*pkey == NULL || !jwk_ec_point_valid(*pkey)) {
        EVP_PKEY_free(*pkey);
        *pkey = NULL;
        return jwk_refuse(why, "EC point not on the curve");
    }
    *nid = curve->nid;
    return OT_OK;
}

static ot_status_t jwk_okp(apr_pool_t *p, json_t *jwk, EVP_PKEY **pkey,
                           int *nid, const char **why)
{
    const char *crv = json_string_value(json_object_get(jwk, "crv"));
    unsigned char *x;
    apr_size_t x_len;

    if (crv == NULL || strcmp(crv, "Ed25519") != 0) {
        return jwk_refuse(why, "OKP curve not supported");
    }
    if (jwk_bytes(p, jwk, "x", &x, &x_len) != OT_OK
        || x_len != JWK_ED25519_LEN) {
        return jwk_refuse(why, "Ed25519 key needs a 32-byte base64url \"x\"");
    }
    *pkey = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, x, x_len);
    if (*pkey == NULL) {
        return jwk_refuse(why, "Ed25519 key refused by OpenSSL");
    }
    *nid = NID_ED25519;
    return OT_OK;
}

static ot_status_t jwk_oct(apr_pool_t *p, json_t *jwk, ot_jwk_t *key,
                           const char **why)
{
    unsigned char *k;
    apr_size_t k_len;

    if (jwk_bytes(p, jwk, "k", &k, &k_len) != OT_OK || k_len == 0) {
        return jwk_refuse(why, "oct key needs a non-empty base64url \"k\"");
    }
    key->secret = k;
    key->secret_len = k_len;
    apr_pool_cleanup_register(p, key, jwk_secret_cleanup,
                              apr_pool_cleanup_null);
    return OT_OK;
}

static int jwk_kty(json_t *jwk, ot_kty_t *kty)
{
    const char *name = json_string_value(json_object_get(jwk, "kty"));

    if (name == NULL) {
        return 0;
    }
    if (strcmp(name, "RSA") == 0) {
        *kty = OT_KTY_RSA;
    }
    else if (strcmp(name, "EC") == 0) {
        *kty = OT_KTY_EC;
    }
    else if (strcmp(name, "OKP") == 0) {
        *kty = OT_KTY_OKP;
    }
    else if (strcmp(name, "oct") == 0) {
        *kty = OT_KTY_OCT;
    }
    else {
        return 0;
    }
    return 1;
}

int ot_jwk_kty_supported(json_t *jwk)
{
    ot_kty_t kty;
    const char *crv = json_string_value(json_object_get(jwk, "crv"));

    if (!jwk_kty(jwk, &kty)) {
        return 0;
    }
    /* A provider that adds an Ed448 or secp256k1 key to its set must not
     * take every other key down with it. */
    if (kty == OT_KTY_EC) {
        return jwk_ec_curve(jwk) != NULL;
    }
    if (kty == OT_KTY_OKP) {
        return crv != NULL && strcmp(crv, "Ed25519") == 0;
    }
    return 1;
}

static ot_status_t jwk_material(apr_pool_t *p, json_t *jwk, ot_jwk_t *key,
                                const char **why)
{
    switch (key->kty) {
    case OT_KTY_RSA:
        return jwk_rsa(p, jwk, &key->pkey, why);
    case OT_KTY_EC:
        return jwk_ec(p, jwk, &key->pkey, &key->curve_nid, why);
    case OT_KTY_OKP:
        return jwk_okp(p, jwk, &key->pkey, &key->curve_nid, why);
    case OT_KTY_OCT:
        return jwk_oct(p, jwk, key, why);
    }
    return jwk_refuse(why, "key type not supported");
}

/* The hash is computed apart (EVP_Digest) and the context verifies it:
 * RSA and ECDSA only, since EdDSA signs the message itself. */
static int jwk_verifier_init(ot_jwk_verifier_t *v, EVP_PKEY *pkey,
                             const ot_alg_t *alg)
{
    v->md = EVP_MD_fetch(NULL, alg->digest, NULL);
    v->ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (v->md == NULL || v->ctx == NULL || EVP_PKEY_verify_init(v->ctx) != 1
        || EVP_PKEY_CTX_set_signature_md(v->ctx, v->md) != 1) {
        return 0;
    }
    switch (alg->scheme) {
    case OT_SIG_PKCS1:
        return EVP_PKEY_CTX_set_rsa_padding(v->ctx, RSA_PKCS1_PADDING) == 1;
    case OT_SIG_PSS:
        /* RFC 7518 3.5: MGF1 with the same hash, and a salt exactly as
         * long as the hash; no other length is accepted. */
        return EVP_PKEY_CTX_set_rsa_padding(v->ctx, RSA_PKCS1_PSS_PADDING) == 1
               && EVP_PKEY_CTX_set_rsa_mgf1_md(v->ctx, v->md) == 1
               && EVP_PKEY_CTX_set_rsa_pss_saltlen(v->ctx,
                                                   RSA_PSS_SALTLEN_DIGEST)
                      == 1;
    default:
        return 1;
    }
}

static ot_status_t jwk_prepare_verifiers(apr_pool_t *p, ot_jwk_t *key,
                                         const char **why)
{
    unsigned int i;

    apr_pool_cleanup_register(p, key, jwk_verifiers_cleanup,
                              apr_pool_cleanup_null);
    for (i = 0; i < OT_ALG_COUNT; i++) {
        const ot_alg_t *alg = ot_alg_at(i);

        if ((alg->scheme == OT_SIG_PKCS1 || alg->scheme == OT_SIG_PSS
             || alg->scheme == OT_SIG_ECDSA)
            && ot_jwk_fits_alg(key, alg)
            && !jwk_verifier_init(&key->verifiers[i], key->pkey, alg)) {
            return jwk_refuse(why, "verification cannot be set up");
        }
    }
    return OT_OK;
}

ot_status_t ot_jwk_parse(apr_pool_t *p, json_t *jwk, ot_jwk_t **out,
                         const char **why)
{
    const char *ignored;
    ot_jwk_t *key;
    ot_status_t st;

    *out = NULL;
    if (why == NULL) {
        why = &ignored;
    }
    *why = NULL;
    if (!json_is_object(jwk)) {
        return jwk_refuse(why, "key is not a JSON object");
    }
    key = apr_pcalloc(p, sizeof(*key));
    if (!jwk_kty(jwk, &key->kty)) {
        return jwk_refuse(why, "key type not supported");
    }
    if (jwk_opt_string(p, jwk, "kid", &key->kid) != OT_OK) {
        return jwk_refuse(why, "\"kid\" is not a string");
    }
    if (jwk_opt_string(p, jwk, "alg", &key->alg) != OT_OK) {
        return jwk_refuse(why, "\"alg\" is not a string");
    }
    st = jwk_material(p, jwk, key, why);
    if (st != OT_OK) {
        return st;
    }
    if (key->pkey != NULL) {
        apr_pool_cleanup_register(p, key->pkey, jwk_pkey_cleanup,
                                  apr_pool_cleanup_null);
        st = jwk_prepare_verifiers(p, key, why);
        if (st != OT_OK) {
            return st;
        }
    }
    *out = key;
    return OT_OK;
}

int ot_jwk_fits_alg(const ot_jwk_t *key, const ot_alg_t *alg)
{
    if (key == NULL || alg == NULL || key->kty != alg->kty) {
        return 0;
    }
    /* A key that names its algorithm is used for that one only
     * (RFC 7517 4.4): an RSA key published for PS256 never checks RS256. */
    if (key->alg != NULL && strcmp(key->alg, alg->name) != 0) {
        return 0;
    }
    switch (alg->scheme) {
    case OT_SIG_PKCS1:
    case OT_SIG_PSS:
        return key->pkey != NULL;
    case OT_SIG_ECDSA:
    case OT_SIG_EDDSA:
        return key->pkey != NULL && key->curve_nid == alg->curve_nid;
    case OT_SIG_HMAC:
        /* RFC 7518 3.2: a key at least as long as the hash output. */
        return key->secret != NULL && key->secret_len >= alg->sig_len;
    }
    return 0;
}
