/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* apr_decode_base64_binary() accepts both alphabets, padding and, in
 * relaxed mode, stray characters; it also ignores the unused low bits of
 * the last character. JWS needs exactly one encoding per byte string
 * (RFC 7515 section 2, RFC 4648 section 3.5), so decoding is done here, in
 * one pass that refuses all of those. APR still encodes. */

#include <apr_strings.h>
#include <apr_encode.h>

#include "util/b64url.h"

/* 1 + the 6-bit value of each base64url character; 0 for the others. */
static const unsigned char b64url_values[256] = {
    ['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,
    ['G'] = 7,  ['H'] = 8,  ['I'] = 9,  ['J'] = 10, ['K'] = 11, ['L'] = 12,
    ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18,
    ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
    ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30,
    ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
    ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
    ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
    ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54,
    ['2'] = 55, ['3'] = 56, ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60,
    ['8'] = 61, ['9'] = 62, ['-'] = 63, ['_'] = 64,
};

/* The 6-bit value of c, or a value above 63 when c is not base64url. */
static unsigned int b64url_value(const char c)
{
    return (unsigned int)b64url_values[(unsigned char)c] - 1u;
}

ot_status_t ot_b64url_decode(apr_pool_t *p, const char *in, apr_size_t len,
                             unsigned char **out, apr_size_t *out_len)
{
    apr_size_t tail = len % 4, whole = len - tail, i;
    unsigned char *buf, *o;
    unsigned int a, b, c, d;

    *out = NULL;
    *out_len = 0;
    if ((in == NULL && len > 0) || tail == 1) {
        return OT_ERR_MALFORMED;
    }
    buf = o = apr_palloc(p, whole / 4 * 3 + (tail ? tail - 1 : 0) + 1);
    for (i = 0; i < whole; i += 4) {
        a = b64url_value(in[i]);
        b = b64url_value(in[i + 1]);
        c = b64url_value(in[i + 2]);
        d = b64url_value(in[i + 3]);
        if ((a | b | c | d) > 63) {
            return OT_ERR_MALFORMED;
        }
        *o++ = (unsigned char)(a << 2 | b >> 4);
        *o++ = (unsigned char)(b << 4 | c >> 2);
        *o++ = (unsigned char)(c << 6 | d);
    }
    /* A trailing group of 2 characters carries 8 bits in 12, one of 3
     * carries 16 in 18: the rest must be zero, or several strings would
     * decode alike. */
    if (tail) {
        a = b64url_value(in[i]);
        b = b64url_value(in[i + 1]);
        c = tail == 3 ? b64url_value(in[i + 2]) : 0;
        if ((a | b | c) > 63 || (tail == 2 ? b & 0x0f : c & 0x03) != 0) {
            return OT_ERR_MALFORMED;
        }
        *o++ = (unsigned char)(a << 2 | b >> 4);
        if (tail == 3) {
            *o++ = (unsigned char)(b << 4 | c >> 2);
        }
    }
    *o = '\0';
    *out = buf;
    *out_len = (apr_size_t)(o - buf);
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
