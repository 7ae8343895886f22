/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* JWS compact serialization: parse with header policy, then verify with the
 * configured keys. Nothing in a token can bring its own key: jku, x5u, jwk
 * and x5c are never followed, and kid only selects among configured keys. */

#ifndef OT_JWS_H
#define OT_JWS_H

#include <apr_pools.h>
#include <jansson.h>
#include "ot.h"
#include "jose/alg.h"
#include "jose/jwks.h"

typedef struct ot_jws_t {
    json_t *header;
    json_t *payload;             /* must be a JSON object */
    const ot_alg_t *alg;         /* from the header; known, never "none" */
    const char *kid;             /* NULL when absent */
    const char *typ;             /* NULL when absent */
    const char *signing_input;   /* BASE64URL(header) "." BASE64URL(payload) */
    apr_size_t signing_input_len;
    unsigned char *signature;
    apr_size_t signature_len;
} ot_jws_t;

/* Splits and decodes a compact JWS and applies the header policy: alg a
 * known name (OT_ERR_ALG otherwise, "none" included), kid and typ strings
 * when present, any "crit" refused (OT_ERR_HEADER: no extension is
 * understood), payload a JSON object. Does not verify. */
ot_status_t ot_jws_parse(apr_pool_t *p, const char *compact, ot_jws_t **out);

/* Verifies jws with the keys in jwks: alg must be in allowed
 * (OT_ERR_ALG), then the key with the header's kid (or, with no kid, each
 * key that fits the alg) is tried. OT_ERR_NO_KEY when no key fits;
 * OT_ERR_SIGNATURE when none verifies. */
ot_status_t ot_jws_verify(const ot_jws_t *jws, const ot_jwks_t *jwks,
                          ot_alg_set_t allowed);

/* One signature check with one key: the primitive under ot_jws_verify.
 * The key must fit alg (OT_ERR_ALG otherwise). ECDSA signatures must be
 * exactly alg->sig_len bytes of R||S; HMAC tags exactly the digest size,
 * compared in constant time. */
ot_status_t ot_jws_verify_signature(const ot_alg_t *alg, const ot_jwk_t *key,
                                    const unsigned char *input,
                                    apr_size_t input_len,
                                    const unsigned char *sig,
                                    apr_size_t sig_len);

#endif
