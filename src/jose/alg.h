/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* The JWS algorithms (RFC 7518, RFC 8037) this module knows, and what each
 * needs of a key. "none" is deliberately absent. */

#ifndef OT_ALG_H
#define OT_ALG_H

#include "ot.h"

typedef enum {
    OT_KTY_RSA = 1,
    OT_KTY_EC,
    OT_KTY_OKP,
    OT_KTY_OCT
} ot_kty_t;

typedef enum {
    OT_SIG_PKCS1 = 1, /* RSASSA-PKCS1-v1_5 */
    OT_SIG_PSS,       /* RSASSA-PSS, salt = hash length */
    OT_SIG_ECDSA,     /* raw R||S of the curve's size */
    OT_SIG_EDDSA,
    OT_SIG_HMAC
} ot_sig_scheme_t;

typedef struct ot_alg_t {
    const char *name;       /* "RS256" */
    unsigned int bit;       /* this algorithm's bit in an ot_alg_set_t */
    ot_kty_t kty;
    ot_sig_scheme_t scheme;
    const char *digest;     /* OpenSSL digest name; NULL for EdDSA */
    int curve_nid;          /* ECDSA: the one curve this alg uses */
    unsigned int sig_len;   /* ECDSA: exact R||S length; HMAC: tag length */
} ot_alg_t;

/* How many algorithms the table holds; ot_alg_index() is below it. */
#define OT_ALG_COUNT 13

/* A set of algorithms, one bit each. */
typedef unsigned int ot_alg_set_t;

/* NULL for an unknown name and for "none". Case-sensitive, as in RFC 7515. */
const ot_alg_t *ot_alg_by_name(const char *name);

/* The algorithm's position in the table, 0 .. OT_ALG_COUNT - 1, and the
 * algorithm at a position (NULL past the end). */
unsigned int ot_alg_index(const ot_alg_t *alg);
const ot_alg_t *ot_alg_at(unsigned int index);

/* RS256 PS256 ES256 EdDSA: the default allow-list. */
ot_alg_set_t ot_alg_default_set(void);

/* 1 when the set holds an HMAC algorithm. */
int ot_alg_set_has_hmac(ot_alg_set_t set);

#endif
