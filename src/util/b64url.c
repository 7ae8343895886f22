/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* apr_decode_base64_binary() accepts both alphabets, padding and, in
 * relaxed mode, stray characters; it also ignores the unused low bits of
 * the last character. JWS needs exactly one encoding per byte string
 * (RFC 7515 section 2, RFC 4648 section 3.5), so the input is checked
 * here first and APR only does the arithmetic. */

#include <apr_strings.h>
#include <apr_encode.h>

#include "util/b64url.h"

/* The 6-bit value of a base64url character, or -1. */
static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '-') {
        return 62;
    }
    if (c == '_') {
        return 63;
    }
    return -1;
}

/* A trailing group of 2 characters carries 8 bits in 12, one of 3 carries
 * 16 in 18: the rest must be zero, or several strings decode alike. */
static int b64url_is_canonical(const char *in, apr_size_t len)
{
    int last;

    if (len % 4 == 0) {
        return 1;
    }
    last = b64url_value((unsigned char)in[len - 1]);
    if (len % 4 == 2) {
        return (last & 0x0f) == 0;
    }
    return (last & 0x03) == 0;
}

static int b64url_is_strict(const char *in, apr_size_t len)
{
    apr_size_t i;

    if (len % 4 == 1) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if (b64url_value((unsigned char)in[i]) < 0) {
            return 0;
        }
    }
    return b64url_is_canonical(in, len);
}

ot_status_t ot_b64url_decode(apr_pool_t *p, const char *in, apr_size_t len,
                             unsigned char **out, apr_size_t *out_len)
{
    unsigned char *buf;
    apr_size_t need = 0, got = 0;

    *out = NULL;
    *out_len = 0;
    if (in == NULL && len > 0) {
        return OT_ERR_MALFORMED;
    }
    if (!b64url_is_strict(in, len)) {
        return OT_ERR_MALFORMED;
    }
    if (len == 0) {
        *out = apr_pcalloc(p, 1);
        return OT_OK;
    }
    if (len > APR_SIZE_MAX / 2
        || apr_decode_base64_binary(NULL, in, (apr_ssize_t)len,
                                    APR_ENCODE_BASE64URL, &need)
               != APR_SUCCESS) {
        return OT_ERR_MALFORMED;
    }
    /* need already counts a NUL; one more byte costs nothing and keeps the
     * terminator ours even if APR's estimate is exact. */
    buf = apr_palloc(p, need + 1);
    if (apr_decode_base64_binary(buf, in, (apr_ssize_t)len,
                                 APR_ENCODE_BASE64URL, &got)
            != APR_SUCCESS
        || got != len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0)) {
        return OT_ERR_MALFORMED;
    }
    buf[got] = '\0';
    *out = buf;
    *out_len = got;
    return OT_OK;
}

const char *ot_b64url_encode(apr_pool_t *p, const unsigned char *in,
                             apr_size_t len)
{
    if (len == 0) {
        return "";
    }
    return apr_pencode_base64_binary(p, in, (apr_ssize_t)len,
                                     APR_ENCODE_BASE64URL, NULL);
}
