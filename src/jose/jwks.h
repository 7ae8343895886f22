/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* A JWK Set: the keys of one issuer, parsed once, looked up by kid. */

#ifndef OT_JWKS_H
#define OT_JWKS_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "ot.h"
#include "jose/jwk.h"

typedef struct ot_jwks_t {
    apr_array_header_t *keys; /* ot_jwk_t * */
} ot_jwks_t;

/* Parses a JWK Set document ({"keys":[...]}). Keys whose "use" is present
 * and not "sig", and keys of an unsupported kty, are skipped; a key of a
 * supported kty that is broken is an error (OT_ERR_KEY, *why names its kid
 * or index). A set with no usable key is an error. */
ot_status_t ot_jwks_parse(apr_pool_t *p, const char *text, apr_size_t len,
                          ot_jwks_t **out, const char **why);

/* Reads and parses a JWK Set file (at most OT_MAX_JWKS_LEN bytes). */
ot_status_t ot_jwks_load_file(apr_pool_t *p, const char *path,
                              ot_jwks_t **out, const char **why);

/* 1 when the set holds an "oct" key. */
int ot_jwks_has_oct(const ot_jwks_t *jwks);

#endif
