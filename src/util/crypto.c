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

/* EVP_sha256() makes every EVP_Digest fetch the implementation again,
 * under a lock in OpenSSL's method store; the hot paths hash on every
 * request (store ids), so it is fetched once per process and then only
 * read. */
static CRYPTO_ONCE sha256_once = CRYPTO_ONCE_STATIC_INIT;
static EVP_MD *sha256_md;

static void sha256_fetch(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

const EVP_MD *ot_sha256_md(void)
{
    return CRYPTO_THREAD_run_once(&sha256_once, sha256_fetch) ? sha256_md
                                                              : NULL;
}

ot_status_t ot_sha256(const void *data, apr_size_t len, unsigned char *out)
{
    const EVP_MD *md = ot_sha256_md();
    unsigned int out_len = 0;

    if (md == NULL || EVP_Digest(data, len, out, &out_len, md, NULL) != 1
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
