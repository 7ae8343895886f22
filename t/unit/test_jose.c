/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Unit tests of src/jose, in three parts:
 *
 * 1. Every case of the Wycheproof files in $OT_VECTORS/wycheproof, run
 *    through ot_jwk_parse and ot_jws_verify_signature with the JWS alg the
 *    file corresponds to. "valid" must verify, "invalid" must not,
 *    "acceptable" may go either way (counted). Where our JOSE policy is
 *    stricter than the primitive, the case must be refused whatever
 *    Wycheproof says, and the output says so:
 *      - HMAC groups with tagSize != 256 describe truncated MACs; HS256 is
 *        defined with the full 256-bit tag only, so every case there must
 *        be refused;
 *      - HMAC keys shorter than 256 bits are refused by policy (RFC 7518
 *        3.2: a key at least as long as the hash output), so those cases
 *        must be refused;
 *      - when a group's key is refused by our JWK policy (an RSA key below
 *        2048 bits, say), all its cases must be refused. Which keys the
 *        policy should refuse is computed here from the group's metadata
 *        and checked, so a JWK parser that refused good keys would fail
 *        instead of turning "valid" into "refused".
 * 2. The RFC 7515 Appendix A/E and RFC 7520 section 4 examples in
 *    $OT_VECTORS/jose through ot_jws_parse and ot_jws_verify.
 * 3. Policy cases with keys generated here and tokens minted here.
 *
 * A missing OT_VECTORS or vector file is a failure, never a skip. */

#include <stdlib.h>
#include <string.h>

#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "ot.h"
#include "jose/alg.h"
#include "jose/jwk.h"
#include "jose/jwks.h"
#include "jose/jws.h"
#include "util/b64url.h"
#include "util/json.h"
#include "tap.h"

static apr_pool_t *pool;

/* ------------------------------------------------------------------ */
/* Helpers                                                            */

static unsigned char *hex_decode(apr_pool_t *p, const char *hex,
                                 apr_size_t *len)
{
    apr_size_t n = strlen(hex) / 2, i;
    unsigned char *out = apr_palloc(p, n + 1);
    unsigned int byte;

    for (i = 0; i < n; i++) {
        if (sscanf(hex + 2 * i, "%2x", &byte) != 1) {
            return NULL;
        }
        out[i] = (unsigned char)byte;
    }
    *len = n;
    return out;
}

/* json_dumps into the pool; takes over (and releases) j. */
static const char *dump(apr_pool_t *p, json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    const char *copy = apr_pstrdup(p, s ? s : "");

    free(s);
    json_decref(j);
    return copy;
}

static const char *b64(apr_pool_t *p, const void *data, apr_size_t len)
{
    return ot_b64url_encode(p, data, len);
}

static const char *b64_str(apr_pool_t *p, const char *s)
{
    return b64(p, s, strlen(s));
}

static ot_alg_set_t all_algs(void)
{
    static const char *names[] = {"RS256", "RS384", "RS512", "PS256", "PS384",
                                  "PS512", "ES256", "ES384", "ES512", "EdDSA",
                                  "HS256", "HS384", "HS512"};
    ot_alg_set_t set = 0;
    apr_size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        set |= ot_alg_by_name(names[i])->bit;
    }
    return set;
}

static ot_alg_set_t bit(const char *name)
{
    return ot_alg_by_name(name)->bit;
}

static ot_jwks_t *jwks_of(apr_pool_t *p, json_t *keys, const char **why)
{
    const char *text = dump(p, json_pack("{s:o}", "keys", keys));
    ot_jwks_t *jwks = NULL;

    if (ot_jwks_parse(p, text, strlen(text), &jwks, why) != OT_OK) {
        return NULL;
    }
    return jwks;
}

static ot_status_t parse_jwk_text(apr_pool_t *p, const char *text,
                                  ot_jwk_t **key, const char **why)
{
    json_t *j = json_loads(text, 0, NULL);
    ot_status_t st;

    if (j == NULL) {
        return OT_ERR_MALFORMED;
    }
    st = ot_jwk_parse(p, ot_json_pool_own(p, j), key, why);
    return st;
}

static const char *vectors_dir(void)
{
    const char *dir = getenv("OT_VECTORS");

    return dir != NULL && *dir != '\0' ? dir : NULL;
}

static json_t *load_vector(const char *sub, const char *file)
{
    const char *dir = vectors_dir();
    json_error_t err;
    json_t *j;

    if (dir == NULL) {
        return NULL;
    }
    j = json_load_file(apr_pstrcat(pool, dir, "/", sub, "/", file, NULL), 0,
                       &err);
    if (j == NULL) {
        diag("%s/%s: %s", sub, file, err.text);
    }
    return j;
}

/* ------------------------------------------------------------------ */
/* 1. Wycheproof                                                      */

typedef struct {
    const char *file;
    const char *alg;
} wp_file_t;

static const wp_file_t wp_files[] = {
    {"ecdsa_secp256r1_sha256_p1363_test.json", "ES256"},
    {"ecdsa_secp384r1_sha384_p1363_test.json", "ES384"},
    {"rsa_signature_2048_sha256_test.json", "RS256"},
    {"rsa_signature_3072_sha256_test.json", "RS256"},
    {"rsa_pss_2048_sha256_mgf1_32_test.json", "PS256"},
    {"ed25519_test.json", "EdDSA"},
    {"hmac_sha256_test.json", "HS256"},
};

typedef struct {
    int cases;
    int valid_verified;
    int invalid_refused;
    int acceptable;
    int policy_refused;
    int policy_refused_valid;
} wp_counts_t;

/* A JWK for groups that publish the key only as raw coordinates: each
 * coordinate left-padded (or stripped of a sign byte) to the field size. */
static json_t *wp_jwk_from_coordinates(apr_pool_t *p, json_t *pub)
{
    const char *curve = json_string_value(json_object_get(pub, "curve"));
    const char *crv = NULL, *names[2] = {"wx", "wy"}, *coord[2];
    apr_size_t field = 0, len, i;
    unsigned char *raw, *padded;

    if (curve && strcmp(curve, "secp256r1") == 0) {
        crv = "P-256";
        field = 32;
    }
    else if (curve && strcmp(curve, "secp384r1") == 0) {
        crv = "P-384";
        field = 48;
    }
    else {
        return NULL;
    }
    for (i = 0; i < 2; i++) {
        raw = hex_decode(p, json_string_value(json_object_get(pub, names[i])),
                         &len);
        while (raw && len > field && raw[0] == 0) {
            raw++;
            len--;
        }
        if (raw == NULL || len > field) {
            return NULL;
        }
        padded = apr_pcalloc(p, field);
        memcpy(padded + field - len, raw, len);
        coord[i] = b64(p, padded, field);
    }
    return json_pack("{s:s,s:s,s:s,s:s}", "kty", "EC", "crv", crv, "x",
                     coord[0], "y", coord[1]);
}

/* The group's key as a JWK (a new reference), or NULL. */
static json_t *wp_group_jwk(apr_pool_t *p, json_t *group)
{
    json_t *jwk = json_object_get(group, "publicKeyJwk");

    if (jwk == NULL) {
        jwk = json_object_get(group, "keyJwk");
    }
    if (jwk != NULL) {
        return json_incref(jwk);
    }
    return wp_jwk_from_coordinates(p, json_object_get(group, "publicKey"));
}

/* Whether our JWK policy must accept the group's key, from its metadata. */
static int wp_key_acceptable(json_t *group, const ot_alg_t *alg)
{
    json_t *size = json_object_get(group, "keySize");

    if (alg->kty == OT_KTY_RSA) {
        return json_integer_value(size) >= OT_MIN_RSA_BITS;
    }
    return 1;
}

/* Why every case of an HMAC group or case must be refused, or NULL. */
static const char *wp_hmac_policy(json_t *group)
{
    if (json_integer_value(json_object_get(group, "tagSize")) != 256) {
        return "truncated tag is not HS256";
    }
    if (json_integer_value(json_object_get(group, "keySize")) < 256) {
        return "HMAC key shorter than 256 bits (RFC 7518 3.2)";
    }
    return NULL;
}

static ot_jwk_t *wp_hmac_key(apr_pool_t *p, const unsigned char *k,
                             apr_size_t k_len)
{
    const char *text =
        dump(p, json_pack("{s:s,s:s}", "kty", "oct", "k", b64(p, k, k_len)));
    ot_jwk_t *key = NULL;

    if (parse_jwk_text(p, text, &key, NULL) != OT_OK) {
        return NULL;
    }
    return key;
}

static void wp_count(wp_counts_t *c, const char *result, const char *policy,
                     int verified, int *pass)
{
    c->cases++;
    if (policy != NULL) {
        *pass = !verified;
        c->policy_refused += *pass;
        c->policy_refused_valid += *pass && strcmp(result, "valid") == 0;
    }
    else if (strcmp(result, "valid") == 0) {
        *pass = verified;
        c->valid_verified += verified;
    }
    else if (strcmp(result, "invalid") == 0) {
        *pass = !verified;
        c->invalid_refused += !verified;
    }
    else {
        *pass = strcmp(result, "acceptable") == 0;
        c->acceptable += *pass;
    }
}

static void wp_run_case(apr_pool_t *p, const wp_file_t *f, const ot_alg_t *alg,
                        ot_jwk_t *key, const char *policy, json_t *t,
                        wp_counts_t *c)
{
    const char *result = json_string_value(json_object_get(t, "result"));
    const char *sig_field = alg->scheme == OT_SIG_HMAC ? "tag" : "sig";
    unsigned char *msg, *sig, *k;
    apr_size_t msg_len, sig_len, k_len;
    ot_status_t st;
    int pass;

    msg = hex_decode(p, json_string_value(json_object_get(t, "msg")), &msg_len);
    sig = hex_decode(p, json_string_value(json_object_get(t, sig_field)),
                     &sig_len);
    if (alg->scheme == OT_SIG_HMAC) {
        k = hex_decode(p, json_string_value(json_object_get(t, "key")), &k_len);
        key = k ? wp_hmac_key(p, k, k_len) : NULL;
    }
    if (result == NULL || msg == NULL || sig == NULL) {
        ok(0, "%s tcId %" JSON_INTEGER_FORMAT ": unreadable case", f->file,
           json_integer_value(json_object_get(t, "tcId")));
        c->cases++;
        return;
    }
    st = ot_jws_verify_signature(alg, key, msg, msg_len, sig, sig_len);
    wp_count(c, result, policy, st == OT_OK, &pass);
    ok(pass, "%s tcId %" JSON_INTEGER_FORMAT " (%s%s%s): %s", f->file,
       json_integer_value(json_object_get(t, "tcId")), result,
       policy ? "; must be refused: " : "", policy ? policy : "",
       st == OT_OK ? "verified" : ot_status_text(st));
}

static void wp_run_group(const wp_file_t *f, const ot_alg_t *alg, json_t *group,
                         size_t gi, wp_counts_t *c)
{
    const char *policy = NULL, *why = NULL;
    ot_jwk_t *key = NULL;
    apr_pool_t *p;
    json_t *jwk, *t;
    ot_status_t st;
    size_t ti;

    apr_pool_create(&p, pool);
    if (alg->scheme == OT_SIG_HMAC) {
        policy = wp_hmac_policy(group);
    }
    else {
        jwk = ot_json_pool_own(p, wp_group_jwk(p, group));
        st = jwk ? ot_jwk_parse(p, jwk, &key, &why) : OT_ERR_MALFORMED;
        ok(jwk != NULL && (st == OT_OK) == wp_key_acceptable(group, alg),
           "%s group %zu: key %s by the JWK policy%s%s", f->file, gi,
           st == OT_OK ? "accepted" : "refused", why ? ": " : "",
           why ? why : "");
        if (st != OT_OK) {
            policy = "key refused by the JWK policy";
        }
    }
    json_array_foreach(json_object_get(group, "tests"), ti, t) {
        wp_run_case(p, f, alg, key, policy, t, c);
    }
    apr_pool_destroy(p);
}

static void wp_run_file(const wp_file_t *f)
{
    const ot_alg_t *alg = ot_alg_by_name(f->alg);
    json_t *root = load_vector("wycheproof", f->file), *group;
    wp_counts_t c = {0};
    size_t gi;

    if (!ok(root != NULL, "wycheproof %s: loaded from $OT_VECTORS", f->file)) {
        return;
    }
    json_array_foreach(json_object_get(root, "testGroups"), gi, group) {
        wp_run_group(f, alg, group, gi, &c);
    }
    is_int(c.cases,
           (long)json_integer_value(json_object_get(root, "numberOfTests")),
           "%s: every one of numberOfTests cases ran", f->file);
    ok(c.valid_verified > 0, "%s: some valid case verified", f->file);
    diag("%s: %d cases, %d valid verified, %d invalid refused, "
         "%d acceptable, %d refused by policy (%d of them valid in "
         "Wycheproof)",
         f->file, c.cases, c.valid_verified, c.invalid_refused, c.acceptable,
         c.policy_refused, c.policy_refused_valid);
    json_decref(root);
}

static void test_wycheproof(void)
{
    apr_size_t i;

    if (!ok(vectors_dir() != NULL, "OT_VECTORS is set")) {
        return;
    }
    for (i = 0; i < sizeof(wp_files) / sizeof(wp_files[0]); i++) {
        wp_run_file(&wp_files[i]);
    }
}

/* ------------------------------------------------------------------ */
/* 2. RFC 7515 / RFC 7520 examples                                    */

typedef struct {
    const char *label;
    const char *protected_b64; /* "" when there is no protected header */
    const char *payload_b64;
    const char *signature_b64;
    json_t *header; /* protected and unprotected together */
    int verifies;
    const ot_jwks_t *jwks;
} rfc_sig_t;

/* The key set an example is checked with: its public key, its key (the
 * A.1 oct key), its keys (published with private members, which the
 * parser must ignore), or the file's keys other than the private ones. */
static const ot_jwks_t *rfc_jwks(apr_pool_t *p, json_t *ex, json_t *keys)
{
    json_t *set = json_array(), *k;
    const char *name, *why = NULL;
    const ot_jwks_t *jwks;

    if ((k = json_object_get(ex, "public_key")) != NULL
        || (k = json_object_get(ex, "key")) != NULL) {
        json_array_append(set, k);
    }
    else if ((k = json_object_get(ex, "keys")) != NULL) {
        json_array_extend(set, k);
    }
    else {
        json_object_foreach(keys, name, k) {
            if (strstr(name, "_private") == NULL) {
                json_array_append(set, k);
            }
        }
    }
    if (json_array_size(set) == 0) {
        json_decref(set);
        return NULL;
    }
    jwks = jwks_of(p, set, &why);
    ok(jwks != NULL, "%s: key set parses%s%s",
       json_string_value(json_object_get(ex, "source")), why ? ": " : "",
       why ? why : "");
    return jwks;
}

/* 1 when the payload decodes to a JSON object, as a JWT's must. */
static int rfc_payload_is_object(apr_pool_t *p, const char *b64_payload)
{
    unsigned char *text;
    apr_size_t len;
    json_t *j;

    return ot_b64url_decode(p, b64_payload, strlen(b64_payload), &text, &len)
               == OT_OK
           && ot_json_parse_object(p, (const char *)text, len, 1 << 16, &j)
                  == OT_OK;
}

/* A JWS that ot_jws_parse refuses by JWT policy (its payload is not a JSON
 * object, or its alg sits in an unprotected header) is assembled here, so
 * that its signature still goes through ot_jws_verify. */
static ot_jws_t *rfc_assemble(apr_pool_t *p, const rfc_sig_t *s,
                              const ot_alg_t *alg)
{
    ot_jws_t *jws = apr_pcalloc(p, sizeof(*jws));

    jws->header = s->header;
    jws->alg = alg;
    jws->kid = json_string_value(json_object_get(s->header, "kid"));
    jws->signing_input =
        apr_pstrcat(p, s->protected_b64, ".", s->payload_b64, NULL);
    jws->signing_input_len = strlen(jws->signing_input);
    if (ot_b64url_decode(p, s->signature_b64, strlen(s->signature_b64),
                         &jws->signature, &jws->signature_len)
        != OT_OK) {
        return NULL;
    }
    return jws;
}

static void rfc_check_tampered(apr_pool_t *p, const rfc_sig_t *s,
                               const ot_jws_t *jws)
{
    ot_jws_t bad = *jws;

    bad.signature = apr_pmemdup(p, jws->signature, jws->signature_len);
    bad.signature[bad.signature_len - 1] ^= 0x01;
    is_int(ot_jws_verify(&bad, s->jwks, bad.alg->bit), OT_ERR_SIGNATURE,
           "%s: a flipped signature bit is refused", s->label);
    is_int(ot_jws_verify(jws, s->jwks, all_algs() & ~jws->alg->bit), OT_ERR_ALG,
           "%s: refused when %s is not allowed", s->label, jws->alg->name);
}

static void rfc_check(apr_pool_t *p, const rfc_sig_t *s)
{
    const char *compact = apr_pstrcat(p, s->protected_b64, ".", s->payload_b64,
                                      ".", s->signature_b64, NULL);
    const ot_alg_t *alg =
        ot_alg_by_name(json_string_value(json_object_get(s->header, "alg")));
    ot_jws_t *jws = NULL;
    ot_status_t st = ot_jws_parse(p, compact, &jws);

    if (json_object_get(s->header, "crit") != NULL) {
        is_int(st, OT_ERR_HEADER, "%s: \"crit\" refused at parse", s->label);
        ok(!s->verifies, "%s: listed as not verifying", s->label);
        return;
    }
    if (alg == NULL) {
        is_int(st, OT_ERR_ALG, "%s: alg %s refused at parse", s->label,
               json_string_value(json_object_get(s->header, "alg")));
        ok(!s->verifies, "%s: listed as not verifying", s->label);
        return;
    }
    if (*s->protected_b64 && rfc_payload_is_object(p, s->payload_b64)) {
        if (!is_int(st, OT_OK, "%s: parses", s->label)) {
            return;
        }
    }
    else {
        is_int(st, OT_ERR_MALFORMED, "%s: parse refuses it as a JWT (%s)",
               s->label,
               *s->protected_b64 ? "payload not a JSON object"
                                 : "no protected header");
        jws = rfc_assemble(p, s, alg);
    }
    st = jws ? ot_jws_verify(jws, s->jwks, alg->bit) : OT_ERR_MALFORMED;
    ok((st == OT_OK) == s->verifies, "%s: signature %s, as published", s->label,
       st == OT_OK ? "verifies" : ot_status_text(st));
    if (st == OT_OK) {
        rfc_check_tampered(p, s, jws);
    }
}

/* The three dot-separated parts of a compact example. */
static int rfc_split(apr_pool_t *p, const char *compact, const char **parts)
{
    const char *dot1 = strchr(compact, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;

    if (dot2 == NULL) {
        return 0;
    }
    parts[0] = apr_pstrmemdup(p, compact, (apr_size_t)(dot1 - compact));
    parts[1] = apr_pstrmemdup(p, dot1 + 1, (apr_size_t)(dot2 - dot1 - 1));
    parts[2] = apr_pstrdup(p, dot2 + 1);
    return 1;
}

static json_t *rfc_decode_header(apr_pool_t *p, const char *b64_header)
{
    unsigned char *text;
    apr_size_t len;
    json_t *j = NULL;

    if (ot_b64url_decode(p, b64_header, strlen(b64_header), &text, &len)
        == OT_OK) {
        ot_json_parse_object(p, (const char *)text, len, 1 << 16, &j);
    }
    return j;
}

static void rfc_compact(apr_pool_t *p, json_t *ex, const ot_jwks_t *jwks)
{
    const char *parts[3] = {NULL, NULL, NULL}, *detached;
    rfc_sig_t s;

    s.label = json_string_value(json_object_get(ex, "source"));
    if (!ok(rfc_split(p, json_string_value(json_object_get(ex, "jws")), parts),
            "%s: compact form has three parts", s.label)) {
        return;
    }
    detached = json_string_value(json_object_get(ex, "detached_payload_b64"));
    s.protected_b64 = parts[0];
    s.payload_b64 = detached ? detached : parts[1];
    s.signature_b64 = parts[2];
    s.header = rfc_decode_header(p, parts[0]);
    s.verifies = json_is_true(json_object_get(ex, "signature_verifies"));
    s.jwks = jwks;
    if (ok(s.header != NULL, "%s: protected header decodes", s.label)) {
        rfc_check(p, &s);
    }
}

/* Each signature of a general or flattened JSON serialization, checked as
 * the compact form protected.payload.signature. */
static void rfc_json(apr_pool_t *p, json_t *ex, json_t *root,
                     const ot_jwks_t *jwks)
{
    json_t *jj = json_object_get(ex, "jws_json"), *sigs, *expect;
    const char *payload = json_string_value(json_object_get(jj, "payload"));
    const char *source = json_string_value(json_object_get(ex, "source"));
    const char *ser = json_string_value(json_object_get(ex, "serialization"));
    rfc_sig_t s;
    json_t *one;
    size_t i;

    if (payload == NULL) { /* RFC 7520 4.5: detached content */
        payload = json_string_value(json_object_get(root, "payload_b64"));
    }
    sigs = json_object_get(jj, "signatures");
    if (sigs == NULL) {
        sigs = ot_json_pool_own(p, json_pack("[O]", jj));
    }
    expect = json_object_get(ex, "signatures");
    if (!ok(payload != NULL && json_array_size(sigs) > 0
                && json_array_size(sigs) == json_array_size(expect),
            "%s (%s): signatures listed", source, ser)) {
        return;
    }
    json_array_foreach(sigs, i, one) {
        const char *prot = json_string_value(json_object_get(one, "protected"));

        s.label = apr_psprintf(p, "%s (%s, signature %" APR_SIZE_T_FMT ")",
                               source, ser, (apr_size_t)i);
        s.protected_b64 = prot ? prot : "";
        s.payload_b64 = payload;
        s.signature_b64 = json_string_value(json_object_get(one, "signature"));
        s.header = json_object_get(json_array_get(expect, i), "header");
        s.verifies = json_is_true(
            json_object_get(json_array_get(expect, i), "signature_verifies"));
        s.jwks = jwks;
        if (ok(s.signature_b64 != NULL && s.header != NULL,
               "%s: has a signature and a header", s.label)) {
            rfc_check(p, &s);
        }
    }
}

static void rfc_run_file(const char *file)
{
    json_t *root = load_vector("jose", file), *ex;
    const ot_jwks_t *jwks;
    apr_pool_t *p;
    int seen = 0;
    size_t i;

    if (!ok(root != NULL, "jose %s: loaded from $OT_VECTORS", file)) {
        return;
    }
    json_array_foreach(json_object_get(root, "examples"), i, ex) {
        const char *ser =
            json_string_value(json_object_get(ex, "serialization"));

        apr_pool_create(&p, pool);
        jwks = rfc_jwks(p, ex, json_object_get(root, "keys"));
        if (ser && strcmp(ser, "compact") == 0) {
            rfc_compact(p, ex, jwks);
        }
        else {
            rfc_json(p, ex, root, jwks);
        }
        apr_pool_destroy(p);
        seen++;
    }
    ok(seen > 0, "jose %s: %d examples checked", file, seen);
    json_decref(root);
}

static void test_rfc_examples(void)
{
    rfc_run_file("rfc7515_appendix_a.json");
    rfc_run_file("rfc7520_section4.json");
}

/* ------------------------------------------------------------------ */
/* 3. Policy, with keys generated and tokens minted here              */

typedef struct {
    EVP_PKEY *rsa, *rsa_other, *rsa1024, *p256, *p256_other, *p384, *p521,
        *ed25519;
    unsigned char secret[64];
} keys_t;

static keys_t K;

static apr_status_t pkey_cleanup(void *data)
{
    EVP_PKEY_free(data);
    return APR_SUCCESS;
}

static EVP_PKEY *owned(EVP_PKEY *pkey)
{
    if (pkey != NULL) {
        apr_pool_cleanup_register(pool, pkey, pkey_cleanup,
                                  apr_pool_cleanup_null);
    }
    return pkey;
}

static int generate_keys(void)
{
    K.rsa = owned(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048));
    K.rsa_other = owned(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048));
    K.rsa1024 = owned(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024));
    K.p256 = owned(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
    K.p256_other = owned(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
    K.p384 = owned(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"));
    K.p521 = owned(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521"));
    K.ed25519 = owned(EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"));
    memset(K.secret, 0x5a, sizeof(K.secret));
    return K.rsa && K.rsa_other && K.rsa1024 && K.p256 && K.p256_other && K.p384
           && K.p521 && K.ed25519;
}

static const char *bn_b64(apr_pool_t *p, EVP_PKEY *pkey, const char *name,
                          int pad)
{
    BIGNUM *bn = NULL;
    unsigned char buf[1024];
    int len;

    if (!EVP_PKEY_get_bn_param(pkey, name, &bn)) {
        return NULL;
    }
    len = pad ? BN_bn2binpad(bn, buf, pad) : BN_bn2bin(bn, buf);
    BN_free(bn);
    return len > 0 ? b64(p, buf, (apr_size_t)len) : NULL;
}

/* The public JWK of a generated key; kid may be NULL. */
static json_t *public_jwk(apr_pool_t *p, EVP_PKEY *pkey, const char *kid)
{
    json_t *j = json_object();
    unsigned char raw[64];
    size_t raw_len = sizeof(raw);
    int field = (EVP_PKEY_get_bits(pkey) + 7) / 8;

    if (EVP_PKEY_is_a(pkey, "RSA")) {
        json_object_set_new(j, "kty", json_string("RSA"));
        json_object_set_new(
            j, "n", json_string(bn_b64(p, pkey, OSSL_PKEY_PARAM_RSA_N, 0)));
        json_object_set_new(
            j, "e", json_string(bn_b64(p, pkey, OSSL_PKEY_PARAM_RSA_E, 0)));
    }
    else if (EVP_PKEY_is_a(pkey, "EC")) {
        json_object_set_new(j, "kty", json_string("EC"));
        json_object_set_new(j, "crv",
                            json_string(field == 32   ? "P-256"
                                        : field == 48 ? "P-384"
                                                      : "P-521"));
        json_object_set_new(
            j, "x",
            json_string(bn_b64(p, pkey, OSSL_PKEY_PARAM_EC_PUB_X, field)));
        json_object_set_new(
            j, "y",
            json_string(bn_b64(p, pkey, OSSL_PKEY_PARAM_EC_PUB_Y, field)));
    }
    else {
        EVP_PKEY_get_raw_public_key(pkey, raw, &raw_len);
        json_object_set_new(j, "kty", json_string("OKP"));
        json_object_set_new(j, "crv", json_string("Ed25519"));
        json_object_set_new(j, "x", json_string(b64(p, raw, raw_len)));
    }
    if (kid != NULL) {
        json_object_set_new(j, "kid", json_string(kid));
    }
    return j;
}

static json_t *oct_jwk(apr_pool_t *p, const unsigned char *k, apr_size_t len,
                       const char *kid)
{
    json_t *j = json_pack("{s:s,s:s}", "kty", "oct", "k", b64(p, k, len));

    if (kid != NULL) {
        json_object_set_new(j, "kid", json_string(kid));
    }
    return j;
}

/* DER ECDSA signature to the JWS R || S form. */
static unsigned char *ecdsa_raw(apr_pool_t *p, const unsigned char *der,
                                size_t der_len, int half, size_t *out_len)
{
    const unsigned char *cursor = der;
    ECDSA_SIG *esig = d2i_ECDSA_SIG(NULL, &cursor, (long)der_len);
    unsigned char *raw = apr_palloc(p, 2 * (apr_size_t)half);
    const BIGNUM *r, *s;

    if (esig == NULL) {
        return NULL;
    }
    ECDSA_SIG_get0(esig, &r, &s);
    BN_bn2binpad(r, raw, half);
    BN_bn2binpad(s, raw + half, half);
    ECDSA_SIG_free(esig);
    *out_len = 2 * (apr_size_t)half;
    return raw;
}

/* Signs input as alg with pkey (or the HMAC secret); raw_ecdsa 0 keeps
 * OpenSSL's DER form, to mint a wrongly encoded ES256 token. */
static unsigned char *sign_bytes(apr_pool_t *p, const char *alg_name,
                                 EVP_PKEY *pkey, const unsigned char *secret,
                                 size_t secret_len, const char *input,
                                 int raw_ecdsa, size_t *sig_len)
{
    const ot_alg_t *alg = ot_alg_by_name(alg_name);
    EVP_MD_CTX *mctx;
    EVP_PKEY_CTX *pctx = NULL;
    unsigned char *sig = NULL;
    size_t len = 0;

    if (alg->scheme == OT_SIG_HMAC) {
        sig = apr_palloc(p, EVP_MAX_MD_SIZE);
        return EVP_Q_mac(NULL, "HMAC", NULL, alg->digest, NULL, secret,
                         secret_len, (const unsigned char *)input,
                         strlen(input), sig, EVP_MAX_MD_SIZE, sig_len);
    }
    mctx = EVP_MD_CTX_new();
    if (EVP_DigestSignInit_ex(mctx, &pctx, alg->digest, NULL, NULL, pkey, NULL)
            == 1
        && (alg->scheme != OT_SIG_PSS
            || (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING)
                && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx,
                                                    RSA_PSS_SALTLEN_DIGEST)))
        && EVP_DigestSign(mctx, NULL, &len, (const unsigned char *)input,
                          strlen(input))
               == 1) {
        sig = apr_palloc(p, len);
        if (EVP_DigestSign(mctx, sig, &len, (const unsigned char *)input,
                           strlen(input))
            != 1) {
            sig = NULL;
        }
    }
    EVP_MD_CTX_free(mctx);
    if (sig != NULL && alg->scheme == OT_SIG_ECDSA && raw_ecdsa) {
        return ecdsa_raw(p, sig, len, (int)alg->sig_len / 2, sig_len);
    }
    *sig_len = len;
    return sig;
}

/* A compact JWS: header and payload as JSON text, signed as sign_alg
 * (which need not be the header's alg) with pkey or the shared secret. */
static const char *mint_with(apr_pool_t *p, const char *header,
                             const char *payload, const char *sign_alg,
                             EVP_PKEY *pkey, const unsigned char *secret,
                             size_t secret_len, int raw_ecdsa)
{
    const char *input =
        apr_pstrcat(p, b64_str(p, header), ".", b64_str(p, payload), NULL);
    size_t sig_len = 0;
    unsigned char *sig = sign_bytes(p, sign_alg, pkey, secret, secret_len,
                                    input, raw_ecdsa, &sig_len);

    if (sig == NULL) {
        diag("could not sign as %s", sign_alg);
        return "";
    }
    return apr_pstrcat(p, input, ".", b64(p, sig, sig_len), NULL);
}

static const char *mint(apr_pool_t *p, const char *header, const char *sign_alg,
                        EVP_PKEY *pkey)
{
    return mint_with(p, header, "{\"sub\":\"alice\"}", sign_alg, pkey, K.secret,
                     sizeof(K.secret), 1);
}

/* Parses then verifies; the status of whichever step refused. */
static ot_status_t check(apr_pool_t *p, const char *compact,
                         const ot_jwks_t *jwks, ot_alg_set_t allowed)
{
    ot_jws_t *jws;
    ot_status_t st = ot_jws_parse(p, compact, &jws);

    return st != OT_OK ? st : ot_jws_verify(jws, jwks, allowed);
}

static const ot_jwks_t *set1(apr_pool_t *p, json_t *a)
{
    return jwks_of(p, json_pack("[o]", a), NULL);
}

static const ot_jwks_t *set2(apr_pool_t *p, json_t *a, json_t *b)
{
    return jwks_of(p, json_pack("[o,o]", a, b), NULL);
}

static void test_alg_table(void)
{
    static const char *refused[] = {"none",    "None",   "NONE",
                                    "rs256",   "RS256 ", "ES256K",
                                    "Ed25519", "HS1",    ""};
    ot_alg_set_t def = ot_alg_default_set();
    apr_size_t i;

    ok(def == (bit("RS256") | bit("PS256") | bit("ES256") | bit("EdDSA")),
       "alg: the default set is RS256 PS256 ES256 EdDSA");
    ok(!ot_alg_set_has_hmac(def) && ot_alg_set_has_hmac(bit("HS384")),
       "alg: HMAC detection in a set");
    for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        ok(ot_alg_by_name(refused[i]) == NULL, "alg: \"%s\" is not an alg",
           refused[i]);
    }
    ok(ot_alg_by_name(NULL) == NULL, "alg: NULL name");
    ok(ot_alg_by_name("ES512")->sig_len == 132
           && ot_alg_by_name("ES384")->sig_len == 96
           && ot_alg_by_name("ES256")->sig_len == 64,
       "alg: ECDSA signature sizes 64/96/132");
}

static void test_round_trips(apr_pool_t *p)
{
    static const struct {
        const char *alg;
        int key;
    } cases[] = {
        {"RS256", 0}, {"RS384", 0}, {"RS512", 0}, {"PS256", 0}, {"PS384", 0},
        {"PS512", 0}, {"ES256", 1}, {"ES384", 2}, {"ES512", 3}, {"EdDSA", 4},
        {"HS256", 5}, {"HS384", 5}, {"HS512", 5},
    };
    const ot_jwks_t *jwks;
    const char *token;
    ot_jws_t *jws;
    apr_size_t i;

    jwks = jwks_of(
        p,
        json_pack("[o,o,o,o,o,o]", public_jwk(p, K.rsa, "rsa"),
                  public_jwk(p, K.p256, "p256"), public_jwk(p, K.p384, "p384"),
                  public_jwk(p, K.p521, "p521"), public_jwk(p, K.ed25519, "ed"),
                  oct_jwk(p, K.secret, sizeof(K.secret), "hs")),
        NULL);
    if (!ok(jwks != NULL && jwks->keys->nelts == 6,
            "policy: a key set of every type parses")) {
        return;
    }
    ok(ot_jwks_has_oct(jwks), "policy: the set has an oct key");
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        EVP_PKEY *keys[] = {K.rsa, K.p256, K.p384, K.p521, K.ed25519, NULL};
        const char *hdr = apr_psprintf(p, "{\"alg\":\"%s\",\"typ\":\"at+jwt\"}",
                                       cases[i].alg);

        token = mint(p, hdr, cases[i].alg, keys[cases[i].key]);
        is_int(check(p, token, jwks, bit(cases[i].alg)), OT_OK,
               "policy: %s token verifies (no kid: every fitting key tried)",
               cases[i].alg);
    }
    token = mint(p, "{\"alg\":\"ES256\",\"kid\":\"p256\",\"typ\":\"at+jwt\"}",
                 "ES256", K.p256);
    if (is_int(ot_jws_parse(p, token, &jws), OT_OK, "policy: parse fields")) {
        ok(strcmp(jws->kid, "p256") == 0 && strcmp(jws->typ, "at+jwt") == 0
               && strcmp(jws->alg->name, "ES256") == 0
               && strcmp(ot_json_string(jws->payload, "sub"), "alice") == 0
               && jws->signature_len == 64,
           "policy: kid, typ, alg, payload and signature are exposed");
    }
}

static void test_allow_list(apr_pool_t *p)
{
    const ot_jwks_t *jwks = set2(p, public_jwk(p, K.p256, NULL),
                                 oct_jwk(p, K.secret, sizeof(K.secret), NULL));
    const char *es = mint(p, "{\"alg\":\"ES256\"}", "ES256", K.p256);
    const char *hs = mint(p, "{\"alg\":\"HS256\"}", "HS256", NULL);

    is_int(check(p, es, jwks, bit("RS256") | bit("EdDSA")), OT_ERR_ALG,
           "allow-list: ES256 refused when only RS256 and EdDSA are allowed");
    is_int(check(p, hs, jwks, ot_alg_default_set()), OT_ERR_ALG,
           "allow-list: HS256 refused by the default set, oct key or not");
    is_int(check(p, hs, jwks, bit("HS256")), OT_OK,
           "allow-list: HS256 accepted once listed");
    is_int(check(p, es, jwks, 0), OT_ERR_ALG, "allow-list: empty set");
}

static void test_key_type_confusion(apr_pool_t *p)
{
    const ot_jwks_t *ec_only = set1(p, public_jwk(p, K.p256, NULL));
    const ot_jwks_t *rsa_only = set1(p, public_jwk(p, K.rsa, NULL));
    const ot_jwks_t *p256_kid = set1(p, public_jwk(p, K.p256, "k"));
    ot_jwk_t *ec_key = APR_ARRAY_IDX(ec_only->keys, 0, ot_jwk_t *);
    ot_jwk_t *rsa_key = APR_ARRAY_IDX(rsa_only->keys, 0, ot_jwk_t *);
    BIO *bio = BIO_new(BIO_s_mem());
    unsigned char *pem = NULL;
    long pem_len;
    const char *token;

    token = mint(p, "{\"alg\":\"RS256\"}", "ES256", K.p256);
    is_int(check(p, token, ec_only, all_algs()), OT_ERR_NO_KEY,
           "confusion: RS256 header with only an EC key");
    is_int(ot_jws_verify_signature(ot_alg_by_name("RS256"), ec_key,
                                   (const unsigned char *)"x", 1,
                                   (const unsigned char *)"y", 1),
           OT_ERR_ALG, "confusion: RS256 with an EC key is OT_ERR_ALG");
    token = mint(p, "{\"alg\":\"ES256\"}", "RS256", K.rsa);
    is_int(check(p, token, rsa_only, all_algs()), OT_ERR_NO_KEY,
           "confusion: ES256 header with only an RSA key");
    token = mint(p, "{\"alg\":\"ES384\",\"kid\":\"k\"}", "ES384", K.p384);
    is_int(check(p, token, p256_kid, all_algs()), OT_ERR_NO_KEY,
           "confusion: ES384 header, kid of a P-256 key");

    /* The classic: the verifier's RSA public key, as published, used as
     * an HMAC secret by the attacker. */
    PEM_write_bio_PUBKEY(bio, K.rsa);
    pem_len = BIO_get_mem_data(bio, &pem);
    token = mint_with(p, "{\"alg\":\"HS256\"}", "{\"sub\":\"admin\"}", "HS256",
                      NULL, pem, (size_t)pem_len, 1);
    is_int(check(p, token, rsa_only, all_algs()), OT_ERR_NO_KEY,
           "confusion: HS256 signed with the RSA public key PEM refused");
    is_int(ot_jws_verify_signature(ot_alg_by_name("HS256"), rsa_key,
                                   (const unsigned char *)"x", 1, pem,
                                   (apr_size_t)pem_len),
           OT_ERR_ALG, "confusion: HS256 with an RSA key is OT_ERR_ALG");
    BIO_free(bio);
}

static void test_ecdsa_encoding(apr_pool_t *p)
{
    const ot_jwks_t *jwks = set1(p, public_jwk(p, K.p256, NULL));
    ot_jwk_t *key = APR_ARRAY_IDX(jwks->keys, 0, ot_jwk_t *);
    const ot_alg_t *es256 = ot_alg_by_name("ES256");
    const char *input = "eyJhbGciOiJFUzI1NiJ9.e30";
    size_t len, der_len;
    unsigned char *sig =
        sign_bytes(p, "ES256", K.p256, NULL, 0, input, 1, &len);
    unsigned char *der =
        sign_bytes(p, "ES256", K.p256, NULL, 0, input, 0, &der_len);
    unsigned char *wide = apr_pcalloc(p, 66);
    const char *token;

    is_int(ot_jws_verify_signature(es256, key, (const unsigned char *)input,
                                   strlen(input), sig, len),
           OT_OK, "ES256: the raw 64-byte signature verifies");
    is_int(ot_jws_verify_signature(es256, key, (const unsigned char *)input,
                                   strlen(input), sig, 63),
           OT_ERR_SIGNATURE, "ES256: 63 bytes refused");
    memcpy(wide, sig, 64);
    is_int(ot_jws_verify_signature(es256, key, (const unsigned char *)input,
                                   strlen(input), wide, 65),
           OT_ERR_SIGNATURE, "ES256: 65 bytes (trailing zero) refused");
    memset(wide, 0, 66);
    memcpy(wide + 1, sig, 32);
    memcpy(wide + 34, sig + 32, 32);
    is_int(ot_jws_verify_signature(es256, key, (const unsigned char *)input,
                                   strlen(input), wide, 66),
           OT_ERR_SIGNATURE, "ES256: R and S of 33 bytes each refused");
    is_int(ot_jws_verify_signature(es256, key, (const unsigned char *)input,
                                   strlen(input), sig, 0),
           OT_ERR_SIGNATURE, "ES256: empty signature refused");
    is_int(ot_jws_verify_signature(es256, key, (const unsigned char *)input,
                                   strlen(input), der, der_len),
           OT_ERR_SIGNATURE, "ES256: DER-encoded signature refused");
    token =
        mint_with(p, "{\"alg\":\"ES256\"}", "{}", "ES256", K.p256, NULL, 0, 0);
    is_int(check(p, token, jwks, bit("ES256")), OT_ERR_SIGNATURE,
           "ES256: token with a DER signature refused");
    token = apr_pstrcat(p, input, ".", b64(p, sig, 63), NULL);
    is_int(check(p, token, jwks, bit("ES256")), OT_ERR_SIGNATURE,
           "ES256: token with a 63-byte signature refused");
}

static void test_rsa_length(apr_pool_t *p)
{
    const ot_jwks_t *jwks = set1(p, public_jwk(p, K.rsa, NULL));
    ot_jwk_t *key = APR_ARRAY_IDX(jwks->keys, 0, ot_jwk_t *);
    const ot_alg_t *ps256 = ot_alg_by_name("PS256");
    const char *input = "eyJhbGciOiJQUzI1NiJ9.e30";
    unsigned char *sig = NULL, *longer;
    size_t len = 0;
    int tries;

    /* PSS is randomized: draw until the signature starts with a zero
     * byte, which a lax verifier would accept without it. */
    for (tries = 0; tries < 4096; tries++) {
        sig = sign_bytes(p, "PS256", K.rsa, NULL, 0, input, 1, &len);
        if (sig == NULL || sig[0] == 0) {
            break;
        }
    }
    if (ok(sig != NULL && sig[0] == 0 && len == 256,
           "RSA: a PSS signature with a leading zero byte")) {
        is_int(ot_jws_verify_signature(ps256, key, (const unsigned char *)input,
                                       strlen(input), sig, len),
               OT_OK, "RSA: it verifies at full length");
        is_int(ot_jws_verify_signature(ps256, key, (const unsigned char *)input,
                                       strlen(input), sig + 1, len - 1),
               OT_ERR_SIGNATURE, "RSA: without its leading zero refused");
    }
    sig = sign_bytes(p, "PS256", K.rsa, NULL, 0, input, 1, &len);
    longer = apr_pcalloc(p, len + 1);
    memcpy(longer + 1, sig, len);
    is_int(ot_jws_verify_signature(ps256, key, (const unsigned char *)input,
                                   strlen(input), longer, len + 1),
           OT_ERR_SIGNATURE, "RSA: an extra leading zero byte refused");
}

static void test_kid(apr_pool_t *p)
{
    const ot_jwks_t *jwks =
        set2(p, public_jwk(p, K.p256, "k1"), public_jwk(p, K.p256_other, "k2"));
    const char *t;

    t = mint(p, "{\"alg\":\"ES256\",\"kid\":\"k2\"}", "ES256", K.p256_other);
    is_int(check(p, t, jwks, bit("ES256")), OT_OK, "kid: k2 selects k2");
    t = mint(p, "{\"alg\":\"ES256\",\"kid\":\"k1\"}", "ES256", K.p256_other);
    is_int(check(p, t, jwks, bit("ES256")), OT_ERR_SIGNATURE,
           "kid: k1 tries only k1, though k2 would verify");
    t = mint(p, "{\"alg\":\"ES256\"}", "ES256", K.p256_other);
    is_int(check(p, t, jwks, bit("ES256")), OT_OK,
           "kid: none given, every fitting key tried");
    t = mint(p, "{\"alg\":\"ES256\",\"kid\":\"k3\"}", "ES256", K.p256_other);
    is_int(check(p, t, jwks, bit("ES256")), OT_ERR_NO_KEY,
           "kid: unknown kid is OT_ERR_NO_KEY");
    t = mint(p, "{\"alg\":\"ES256\",\"kid\":\"\"}", "ES256", K.p256_other);
    is_int(check(p, t, jwks, bit("ES256")), OT_ERR_NO_KEY,
           "kid: empty kid matches no key");
    jwks = set1(p, public_jwk(p, K.p256, NULL));
    t = mint(p, "{\"alg\":\"ES256\",\"kid\":\"k1\"}", "ES256", K.p256);
    is_int(check(p, t, jwks, bit("ES256")), OT_ERR_NO_KEY,
           "kid: a kid never selects a key without one");
}

static void test_embedded_keys(apr_pool_t *p)
{
    const ot_jwks_t *jwks = set1(p, public_jwk(p, K.p256, "legit"));
    const char *attacker = dump(p, public_jwk(p, K.p256_other, "evil"));
    const char *hdr, *t;
    ot_jws_t *jws;

    hdr = apr_psprintf(p,
                       "{\"alg\":\"ES256\",\"jwk\":%s,"
                       "\"jku\":\"https://attacker.example/jwks\","
                       "\"x5u\":\"https://attacker.example/cert\","
                       "\"x5c\":[\"MIIB\"]}",
                       attacker);
    t = mint(p, hdr, "ES256", K.p256_other);
    is_int(ot_jws_parse(p, t, &jws), OT_OK,
           "embedded: jwk/jku/x5u/x5c headers parse (and are ignored)");
    is_int(check(p, t, jwks, bit("ES256")), OT_ERR_SIGNATURE,
           "embedded: signed with the attacker's embedded jwk, refused");
    hdr = apr_psprintf(p, "{\"alg\":\"ES256\",\"kid\":\"evil\",\"jwk\":%s}",
                       attacker);
    t = mint(p, hdr, "ES256", K.p256_other);
    is_int(check(p, t, jwks, bit("ES256")), OT_ERR_NO_KEY,
           "embedded: the attacker's kid selects nothing");
}

static void test_header_policy(apr_pool_t *p)
{
    static const struct {
        const char *header;
        ot_status_t expect;
        const char *what;
    } cases[] = {
        {"{\"alg\":\"ES256\",\"crit\":[\"exp\"],\"exp\":1}", OT_ERR_HEADER,
         "crit naming a parameter"},
        {"{\"alg\":\"ES256\",\"crit\":[]}", OT_ERR_HEADER, "empty crit"},
        {"{\"alg\":\"ES256\",\"b64\":false,\"crit\":[\"b64\"]}", OT_ERR_HEADER,
         "crit b64 (RFC 7797)"},
        {"{\"alg\":\"ES256\",\"crit\":\"exp\"}", OT_ERR_HEADER,
         "crit of the wrong type"},
        {"{\"alg\":\"none\"}", OT_ERR_ALG, "alg none"},
        {"{\"alg\":\"None\"}", OT_ERR_ALG, "alg None"},
        {"{\"alg\":\"NONE\"}", OT_ERR_ALG, "alg NONE"},
        {"{\"alg\":\"es256\"}", OT_ERR_ALG, "alg in the wrong case"},
        {"{\"alg\":\"XS256\"}", OT_ERR_ALG, "unknown alg"},
        {"{\"typ\":\"JWT\"}", OT_ERR_HEADER, "no alg"},
        {"{\"alg\":256}", OT_ERR_HEADER, "alg a number"},
        {"{\"alg\":null}", OT_ERR_HEADER, "alg null"},
        {"{\"alg\":\"ES256\",\"kid\":7}", OT_ERR_HEADER, "kid a number"},
        {"{\"alg\":\"ES256\",\"typ\":[\"at+jwt\"]}", OT_ERR_HEADER,
         "typ an array"},
        {"{\"alg\":\"ES256\",\"alg\":\"none\"}", OT_ERR_MALFORMED,
         "duplicate alg"},
        {"[\"ES256\"]", OT_ERR_MALFORMED, "header an array"},
        {"{\"alg\":\"ES256\"", OT_ERR_MALFORMED, "header truncated"},
        {"{\"alg\":\"ES256\",\"x\":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}",
         OT_ERR_TOO_LARGE, "header nested too deep"},
    };
    apr_size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ot_jws_t *jws = NULL;
        const char *t = mint(p, cases[i].header, "ES256", K.p256);

        is_int(ot_jws_parse(p, t, &jws), cases[i].expect, "header: %s",
               cases[i].what);
    }
}

static void test_compact_form(apr_pool_t *p)
{
    const ot_jwks_t *jwks = set1(p, public_jwk(p, K.p256, NULL));
    const char *good = mint(p, "{\"alg\":\"ES256\"}", "ES256", K.p256);
    const char *hdr = b64_str(p, "{\"alg\":\"ES256\"}");
    char *huge = apr_palloc(p, OT_MAX_TOKEN_LEN + 2);
    ot_jws_t *jws;

    is_int(check(p, good, jwks, bit("ES256")), OT_OK, "compact: baseline");
    is_int(ot_jws_parse(p, NULL, &jws), OT_ERR_MALFORMED, "compact: NULL");
    is_int(ot_jws_parse(p, "", &jws), OT_ERR_MALFORMED, "compact: empty");
    is_int(ot_jws_parse(p, apr_pstrcat(p, hdr, ".e30", NULL), &jws),
           OT_ERR_MALFORMED, "compact: two parts");
    is_int(ot_jws_parse(p, apr_pstrcat(p, good, ".", NULL), &jws),
           OT_ERR_MALFORMED, "compact: four parts");
    is_int(ot_jws_parse(p, apr_pstrcat(p, good, "=", NULL), &jws),
           OT_ERR_MALFORMED, "compact: padded signature");
    is_int(ot_jws_parse(p, apr_pstrcat(p, " ", good, NULL), &jws),
           OT_ERR_MALFORMED, "compact: leading space");
    is_int(ot_jws_parse(p, apr_pstrcat(p, hdr, ".W10.", NULL), &jws),
           OT_ERR_MALFORMED, "compact: payload an array");
    is_int(ot_jws_parse(p, apr_pstrcat(p, hdr, ".bm90IGpzb24.", NULL), &jws),
           OT_ERR_MALFORMED, "compact: payload not JSON");
    is_int(ot_jws_parse(p, apr_pstrcat(p, hdr, "..", NULL), &jws),
           OT_ERR_MALFORMED, "compact: empty payload");
    is_int(ot_jws_parse(p, apr_pstrcat(p, hdr, ".e30.a+b/", NULL), &jws),
           OT_ERR_MALFORMED, "compact: standard-alphabet signature");
    memset(huge, 'a', OT_MAX_TOKEN_LEN + 1);
    huge[OT_MAX_TOKEN_LEN + 1] = '\0';
    is_int(ot_jws_parse(p, huge, &jws), OT_ERR_TOO_LARGE,
           "compact: longer than OT_MAX_TOKEN_LEN");
    is_int(check(p,
                 mint_with(p, "{\"alg\":\"ES256\"}", "{\"sub\":\"mallory\"}",
                           "ES256", K.p256, NULL, 0, 1),
                 jwks, bit("ES256")),
           OT_OK, "compact: another payload, freshly signed");
    is_int(check(p,
                 apr_pstrcat(p, hdr, ".", b64_str(p, "{\"sub\":\"mallory\"}"),
                             strrchr(good, '.'), NULL),
                 jwks, bit("ES256")),
           OT_ERR_SIGNATURE, "compact: payload swapped under a signature");
    ok(ERR_peek_error() == 0, "OpenSSL error queue empty after refusals");
}

static void test_key_alg_and_hmac_length(apr_pool_t *p)
{
    json_t *rsa = public_jwk(p, K.rsa, NULL);
    const ot_jwks_t *jwks;
    const char *t, *input;
    unsigned char *tag;
    size_t tag_len;

    json_object_set_new(rsa, "alg", json_string("PS256"));
    jwks = set1(p, rsa);
    t = mint(p, "{\"alg\":\"RS256\"}", "RS256", K.rsa);
    is_int(check(p, t, jwks, all_algs()), OT_ERR_NO_KEY,
           "key alg: an RS256 token and a key published for PS256");
    t = mint(p, "{\"alg\":\"PS256\"}", "PS256", K.rsa);
    is_int(check(p, t, jwks, all_algs()), OT_OK,
           "key alg: the PS256 token verifies");

    jwks = set1(p, oct_jwk(p, K.secret, 32, NULL));
    t = mint_with(p, "{\"alg\":\"HS256\"}", "{}", "HS256", NULL, K.secret, 32,
                  1);
    is_int(check(p, t, jwks, all_algs()), OT_OK,
           "HMAC: HS256 with a 32-byte key");
    t = mint_with(p, "{\"alg\":\"HS512\"}", "{}", "HS512", NULL, K.secret, 32,
                  1);
    is_int(check(p, t, jwks, all_algs()), OT_ERR_NO_KEY,
           "HMAC: HS512 with a 32-byte key refused (RFC 7518 3.2)");
    jwks = set1(p, oct_jwk(p, K.secret, 31, NULL));
    t = mint_with(p, "{\"alg\":\"HS256\"}", "{}", "HS256", NULL, K.secret, 31,
                  1);
    is_int(check(p, t, jwks, all_algs()), OT_ERR_NO_KEY,
           "HMAC: HS256 with a 31-byte key refused");
    is_int(ot_jws_verify_signature(ot_alg_by_name("HS256"),
                                   APR_ARRAY_IDX(jwks->keys, 0, ot_jwk_t *),
                                   (const unsigned char *)"x", 1, K.secret, 32),
           OT_ERR_ALG, "HMAC: the short key does not fit HS256");
    jwks = set1(p, oct_jwk(p, K.secret, 64, NULL));
    input = apr_pstrcat(p, b64_str(p, "{\"alg\":\"HS256\"}"), ".e30", NULL);
    tag = sign_bytes(p, "HS256", NULL, K.secret, 64, input, 1, &tag_len);
    is_int(check(p, apr_pstrcat(p, input, ".", b64(p, tag, tag_len), NULL),
                 jwks, all_algs()),
           OT_OK, "HMAC: full 32-byte tag verifies");
    is_int(check(p, apr_pstrcat(p, input, ".", b64(p, tag, 16), NULL), jwks,
                 all_algs()),
           OT_ERR_SIGNATURE, "HMAC: tag truncated to 16 bytes refused");
    is_int(check(p, apr_pstrcat(p, input, ".", b64(p, tag, 31), NULL), jwks,
                 all_algs()),
           OT_ERR_SIGNATURE, "HMAC: tag truncated to 31 bytes refused");
}

/* A copy of a public JWK with one member replaced. */
static json_t *with(json_t *jwk, const char *name, json_t *value)
{
    json_t *copy = json_deep_copy(jwk);

    json_object_set_new(copy, name, value);
    return copy;
}

static ot_status_t jwk_status(apr_pool_t *p, json_t *jwk, const char **why)
{
    ot_jwk_t *key;

    return ot_jwk_parse(p, ot_json_pool_own(p, jwk), &key, why);
}

static void test_jwk_rsa_ec(apr_pool_t *p)
{
    json_t *rsa = ot_json_pool_own(p, public_jwk(p, K.rsa, NULL));
    json_t *ec = ot_json_pool_own(p, public_jwk(p, K.p256, NULL));
    const char *why = NULL;
    unsigned char *x, *padded;
    apr_size_t x_len;
    json_t *origin;

    is_int(jwk_status(p, public_jwk(p, K.rsa1024, NULL), &why), OT_ERR_KEY,
           "JWK: RSA 1024-bit key refused");
    ok(why && strstr(why, "2048"), "JWK: the reason names 2048 bits");
    is_int(jwk_status(p, with(rsa, "e", json_string("Ag")), &why), OT_ERR_KEY,
           "JWK: RSA even exponent refused");
    is_int(jwk_status(p, with(rsa, "e", json_string("AQ")), &why), OT_ERR_KEY,
           "JWK: RSA exponent 1 refused");
    is_int(jwk_status(p, with(rsa, "e", json_string("AQAB=")), &why),
           OT_ERR_KEY, "JWK: padded base64url refused");
    is_int(jwk_status(p, with(rsa, "n", json_integer(3)), &why), OT_ERR_KEY,
           "JWK: n not a string refused");
    is_int(jwk_status(p, with(rsa, "kid", json_integer(3)), &why), OT_ERR_KEY,
           "JWK: kid not a string refused");

    ot_b64url_decode(p, json_string_value(json_object_get(ec, "y")), 43, &x,
                     &x_len);
    x[31] ^= 0x01;
    is_int(jwk_status(p, with(ec, "y", json_string(b64(p, x, 32))), &why),
           OT_ERR_KEY, "JWK: EC point not on the curve refused");
    memset(x, 0, 32);
    origin = with(ec, "x", json_string(b64(p, x, 32)));
    json_object_set_new(origin, "y", json_string(b64(p, x, 32)));
    is_int(jwk_status(p, origin, &why), OT_ERR_KEY,
           "JWK: EC point (0, 0) refused");
    ot_b64url_decode(p, json_string_value(json_object_get(ec, "x")), 43, &x,
                     &x_len);
    is_int(jwk_status(p, with(ec, "x", json_string(b64(p, x + 1, 31))), &why),
           OT_ERR_KEY, "JWK: x of 31 bytes refused");
    ok(why && strstr(why, "wrong length"), "JWK: the reason says so (%s)", why);
    padded = apr_pcalloc(p, 33);
    memcpy(padded + 1, x, 32);
    is_int(jwk_status(p, with(ec, "x", json_string(b64(p, padded, 33))), &why),
           OT_ERR_KEY, "JWK: x of 33 bytes (leading zero) refused");
    is_int(jwk_status(p, with(ec, "crv", json_string("P-384")), &why),
           OT_ERR_KEY, "JWK: P-256 coordinates labelled P-384 refused");
    is_int(jwk_status(p, with(ec, "crv", json_string("secp256k1")), &why),
           OT_ERR_KEY, "JWK: unsupported curve refused");
    is_int(jwk_status(p, json_deep_copy(ec), &why), OT_OK,
           "JWK: the untouched EC key parses");
}

static void test_jwk_okp_oct_private(apr_pool_t *p)
{
    json_t *ed = ot_json_pool_own(p, public_jwk(p, K.ed25519, NULL));
    const char *why = NULL;
    ot_jwk_t *key = NULL;
    BIGNUM *d = NULL;

    is_int(jwk_status(p, json_deep_copy(ed), &why), OT_OK,
           "JWK: Ed25519 key parses");
    is_int(jwk_status(p, with(ed, "crv", json_string("Ed448")), &why),
           OT_ERR_KEY, "JWK: Ed448 refused");
    is_int(jwk_status(p, with(ed, "x", json_string("AAAA")), &why), OT_ERR_KEY,
           "JWK: Ed25519 x of 3 bytes refused");
    is_int(jwk_status(p, json_pack("{s:s,s:s}", "kty", "oct", "k", ""), &why),
           OT_ERR_KEY, "JWK: empty oct key refused");
    is_int(jwk_status(p, json_pack("{s:s}", "kty", "XYZ"), &why), OT_ERR_KEY,
           "JWK: unknown kty refused by ot_jwk_parse");
    ok(!ot_jwk_kty_supported(
           ot_json_pool_own(p, json_pack("{s:s}", "kty", "XYZ")))
           && ot_jwk_kty_supported(ed),
       "JWK: ot_jwk_kty_supported");
    /* RFC 7515 A.3's key, private member "d" included. */
    is_int(
        parse_jwk_text(p,
                       "{\"kty\":\"EC\",\"crv\":\"P-256\","
                       "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
                       "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\","
                       "\"d\":\"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI\"}",
                       &key, &why),
        OT_OK, "JWK: a key published with \"d\" parses");
    ok(key && !EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_PRIV_KEY, &d),
       "JWK: and holds no private part");
    BN_free(d);
    ERR_clear_error();
}

static void test_jwks_rules(apr_pool_t *p)
{
    json_t *enc = public_jwk(p, K.p256_other, "enc-key");
    const char *why = NULL, *t;
    const ot_jwks_t *jwks;
    json_t *many;
    int i;

    json_object_set_new(enc, "use", json_string("enc"));
    jwks = jwks_of(p,
                   json_pack("[o,o,{s:s},{s:s,s:s}]", enc,
                             public_jwk(p, K.p256, "sig-key"), "kty", "XYZ",
                             "kty", "EC", "use", "enc"),
                   &why);
    if (ok(jwks != NULL && jwks->keys->nelts == 1,
           "JWKS: \"use\":\"enc\" and unknown kty skipped")) {
        t = mint(p, "{\"alg\":\"ES256\",\"kid\":\"enc-key\"}", "ES256",
                 K.p256_other);
        is_int(check(p, t, jwks, bit("ES256")), OT_ERR_NO_KEY,
               "JWKS: a token naming the enc key finds none");
    }
    jwks = jwks_of(p,
                   json_pack("[{s:s,s:s,s:s,s:s},{s:s,s:s,s:s},o]", "kty",
                             "EC", "crv", "secp256k1", "x", "AAAA", "y",
                             "AAAA", "kty", "OKP", "crv", "Ed448", "x", "AAAA",
                             public_jwk(p, K.p256, "sig-key")),
                   &why);
    ok(jwks != NULL && jwks->keys->nelts == 1,
       "JWKS: keys on curves this module lacks (secp256k1, Ed448) skipped");
    enc = public_jwk(p, K.p256_other, NULL);
    json_object_set_new(enc, "use", json_string("enc"));
    ok(jwks_of(p, json_pack("[o]", enc), &why) == NULL && why != NULL,
       "JWKS: a set with only an enc key is refused (%s)", why);
    ok(jwks_of(p, json_pack("[o]", public_jwk(p, K.rsa1024, "small")), &why)
               == NULL
           && strstr(why, "\"small\"") != NULL,
       "JWKS: a broken key is an error that names its kid (%s)", why);
    ok(jwks_of(p, json_pack("[i]", 1), &why) == NULL,
       "JWKS: a key that is not an object is an error");
    many = json_array();
    for (i = 0; i < OT_MAX_JWKS_KEYS + 1; i++) {
        json_array_append_new(many, public_jwk(p, K.p256, NULL));
    }
    ok(jwks_of(p, many, &why) == NULL, "JWKS: more than %d keys refused (%s)",
       OT_MAX_JWKS_KEYS, why);
    is_int(ot_jwks_parse(p, "{\"keys\":{}}", 11, (ot_jwks_t **)&jwks, &why),
           OT_ERR_MALFORMED, "JWKS: keys not an array");
    is_int(ot_jwks_parse(p, "[]", 2, (ot_jwks_t **)&jwks, &why),
           OT_ERR_MALFORMED, "JWKS: not an object");
    ok(!ot_jwks_has_oct(set1(p, public_jwk(p, K.p256, NULL))),
       "JWKS: no oct key in an EC set");
}

static const char *write_temp(apr_pool_t *p, const char *text, apr_size_t len)
{
    char *path = apr_pstrdup(p, "/tmp/ot-jwks-XXXXXX");
    apr_file_t *f;
    apr_size_t written;

    if (apr_file_mktemp(&f, path,
                        APR_FOPEN_CREATE | APR_FOPEN_WRITE | APR_FOPEN_EXCL
                            | APR_FOPEN_BINARY,
                        p)
        != APR_SUCCESS) {
        return NULL;
    }
    apr_file_write_full(f, text, len, &written);
    apr_file_close(f);
    return path;
}

static void test_jwks_file(apr_pool_t *p)
{
    const char *text =
        dump(p, json_pack("{s:[o]}", "keys", public_jwk(p, K.p256, "f")));
    ot_jwks_t *jwks = NULL;
    const char *why = NULL, *path;
    char *big;

    path = write_temp(p, text, strlen(text));
    is_int(ot_jwks_load_file(p, path, &jwks, &why), OT_OK, "JWKS file: loads");
    ok(jwks && jwks->keys->nelts == 1, "JWKS file: one key");
    apr_file_remove(path, p);
    is_int(ot_jwks_load_file(p, "/nonexistent/jwks.json", &jwks, &why),
           OT_ERR_KEY, "JWKS file: missing file (%s)", why);
    big = apr_palloc(p, OT_MAX_JWKS_LEN + 1);
    memset(big, ' ', OT_MAX_JWKS_LEN + 1);
    memcpy(big, text, strlen(text));
    path = write_temp(p, big, OT_MAX_JWKS_LEN + 1);
    is_int(ot_jwks_load_file(p, path, &jwks, &why), OT_ERR_TOO_LARGE,
           "JWKS file: over %d bytes refused", OT_MAX_JWKS_LEN);
    apr_file_remove(path, p);
    path = write_temp(p, big, OT_MAX_JWKS_LEN);
    is_int(ot_jwks_load_file(p, path, &jwks, &why), OT_OK,
           "JWKS file: exactly %d bytes accepted", OT_MAX_JWKS_LEN);
    apr_file_remove(path, p);
}

static void test_policy(void)
{
    apr_pool_t *p;

    test_alg_table();
    if (!ok(generate_keys(), "policy: test keys generated")) {
        return;
    }
    apr_pool_create(&p, pool);
    test_round_trips(p);
    test_allow_list(p);
    test_key_type_confusion(p);
    test_ecdsa_encoding(p);
    test_rsa_length(p);
    test_kid(p);
    test_embedded_keys(p);
    test_header_policy(p);
    test_compact_form(p);
    test_key_alg_and_hmac_length(p);
    test_jwk_rsa_ec(p);
    test_jwk_okp_oct_private(p);
    test_jwks_rules(p);
    test_jwks_file(p);
    ok(ERR_peek_error() == 0, "OpenSSL error queue empty at the end");
    apr_pool_destroy(p);
}

int main(void)
{
    int rc;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    test_wycheproof();
    test_rfc_examples();
    test_policy();
    rc = done_testing();
    apr_pool_destroy(pool);
    apr_terminate();
    return rc;
}
