/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* The few primitives the core needs, all from OpenSSL. */

#ifndef OT_CRYPTO_H
#define OT_CRYPTO_H

#include <apr_pools.h>
#include <openssl/evp.h>
#include "ot.h"

#define OT_SHA256_LEN 32

/* Cryptographically secure random bytes (RAND_bytes). */
ot_status_t ot_random_bytes(unsigned char *buf, apr_size_t len);

/* SHA-256, fetched once per process; NULL when OpenSSL has none. */
const EVP_MD *ot_sha256_md(void);

/* SHA-256 of data into out (OT_SHA256_LEN bytes). */
ot_status_t ot_sha256(const void *data, apr_size_t len, unsigned char *out);

/* 1 when the two buffers are equal, compared in constant time. */
int ot_const_time_equal(const void *a, apr_size_t a_len, const void *b,
                        apr_size_t b_len);

#endif
