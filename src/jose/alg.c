/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <stddef.h>
#include <string.h>

#include <openssl/obj_mac.h>

#include "jose/alg.h"

/* RFC 7518 section 3.1 and RFC 8037 section 3.1. The bit of each entry is
 * 1 << its index; "none" has no entry, so no set can ever hold it. */
static const ot_alg_t algs[] = {
    {"RS256", 1u << 0, OT_KTY_RSA, OT_SIG_PKCS1, "SHA256", 0, 0},
    {"RS384", 1u << 1, OT_KTY_RSA, OT_SIG_PKCS1, "SHA384", 0, 0},
    {"RS512", 1u << 2, OT_KTY_RSA, OT_SIG_PKCS1, "SHA512", 0, 0},
    {"PS256", 1u << 3, OT_KTY_RSA, OT_SIG_PSS, "SHA256", 0, 0},
    {"PS384", 1u << 4, OT_KTY_RSA, OT_SIG_PSS, "SHA384", 0, 0},
    {"PS512", 1u << 5, OT_KTY_RSA, OT_SIG_PSS, "SHA512", 0, 0},
    {"ES256", 1u << 6, OT_KTY_EC, OT_SIG_ECDSA, "SHA256", NID_X9_62_prime256v1,
     64},
    {"ES384", 1u << 7, OT_KTY_EC, OT_SIG_ECDSA, "SHA384", NID_secp384r1, 96},
    {"ES512", 1u << 8, OT_KTY_EC, OT_SIG_ECDSA, "SHA512", NID_secp521r1, 132},
    {"EdDSA", 1u << 9, OT_KTY_OKP, OT_SIG_EDDSA, NULL, NID_ED25519, 64},
    {"HS256", 1u << 10, OT_KTY_OCT, OT_SIG_HMAC, "SHA256", 0, 32},
    {"HS384", 1u << 11, OT_KTY_OCT, OT_SIG_HMAC, "SHA384", 0, 48},
    {"HS512", 1u << 12, OT_KTY_OCT, OT_SIG_HMAC, "SHA512", 0, 64},
};

#define ALG_COUNT (sizeof(algs) / sizeof(algs[0]))

typedef char alg_count_matches_header[ALG_COUNT == OT_ALG_COUNT ? 1 : -1];

unsigned int ot_alg_index(const ot_alg_t *alg)
{
    return (unsigned int)(alg - algs);
}

const ot_alg_t *ot_alg_at(unsigned int index)
{
    return index < ALG_COUNT ? &algs[index] : NULL;
}

const ot_alg_t *ot_alg_by_name(const char *name)
{
    size_t i;

    if (name == NULL) {
        return NULL;
    }
    for (i = 0; i < ALG_COUNT; i++) {
        if (strcmp(algs[i].name, name) == 0) {
            return &algs[i];
        }
    }
    return NULL;
}

/* RS256, PS256, ES256, EdDSA: their bits in the table above. Asked on
 * every request of a location that keeps the default. */
#define DEFAULT_SET ((1u << 0) | (1u << 3) | (1u << 6) | (1u << 9))

ot_alg_set_t ot_alg_default_set(void)
{
    return DEFAULT_SET;
}

int ot_alg_set_has_hmac(ot_alg_set_t set)
{
    size_t i;

    for (i = 0; i < ALG_COUNT; i++) {
        if (algs[i].scheme == OT_SIG_HMAC && (set & algs[i].bit)) {
            return 1;
        }
    }
    return 0;
}
