/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <limits.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "util/crypto.h"

ot_status_t ot_random_bytes(unsigned char *buf, apr_size_t len)
{
    if (len > INT_MAX) {
        return OT_ERR_INTERNAL;
    }
    if (len == 0) {
        return OT_OK;
    }
    if (RAND_bytes(buf, (int)len) != 1) {
        ERR_clear_error();
        return OT_ERR_INTERNAL;
    }
    return OT_OK;
}

ot_status_t ot_sha256(const void *data, apr_size_t len, unsigned char *out)
{
    unsigned int out_len = 0;

    if (EVP_Digest(data, len, out, &out_len, EVP_sha256(), NULL) != 1
        || out_len != OT_SHA256_LEN) {
        ERR_clear_error();
        return OT_ERR_INTERNAL;
    }
    return OT_OK;
}

int ot_const_time_equal(const void *a, apr_size_t a_len, const void *b,
                        apr_size_t b_len)
{
    /* Lengths are not secret (a tag or a hash has a public size), so only
     * the contents are compared without data-dependent branches. */
    if (a_len != b_len) {
        return 0;
    }
    if (a_len == 0) {
        return 1;
    }
    return CRYPTO_memcmp(a, b, a_len) == 0;
}
