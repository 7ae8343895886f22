/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Unit tests of src/util: strict base64url, pool-bound JSON, and the
 * crypto primitives. */

#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "ot.h"
#include "util/b64url.h"
#include "util/crypto.h"
#include "util/json.h"
#include "tap.h"

static apr_pool_t *pool;

static ot_status_t decode(const char *in, unsigned char **out,
                          apr_size_t *out_len)
{
    return ot_b64url_decode(pool, in, strlen(in), out, out_len);
}

static void test_b64url_accepts(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"", ""},
        {"Zg", "f"},
        {"Zm8", "fo"},
        {"Zm9v", "foo"},
        {"Zm9vYg", "foob"},
        {"Zm9vYmE", "fooba"},
        {"Zm9vYmFy", "foobar"},
    };
    unsigned char *out;
    apr_size_t out_len, i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ok(decode(cases[i].in, &out, &out_len) == OT_OK
               && out_len == strlen(cases[i].out)
               && memcmp(out, cases[i].out, out_len) == 0
               && out[out_len] == '\0',
           "b64url: \"%s\" decodes to \"%s\", NUL-terminated", cases[i].in,
           cases[i].out);
    }
    /* 0xfb 0xff 0xbf uses both URL-safe characters. */
    ok(decode("-_-_", &out, &out_len) == OT_OK && out_len == 3 && out[0] == 0xfb
           && out[1] == 0xff && out[2] == 0xbf,
       "b64url: '-' and '_' are the URL-safe 62 and 63");
}

static void test_b64url_refuses(void)
{
    static const struct {
        const char *in, *why;
    } cases[] = {
        {"Zg==", "padding"},
        {"Zm8=", "single padding"},
        {"Zg=", "partial padding"},
        {"+/+/", "'+' and '/' of the standard alphabet"},
        {"ab+c", "'+'"},
        {"ab/c", "'/'"},
        {"Zm9v\n", "trailing newline"},
        {"Zm 9v", "inner space"},
        {" Zm9v", "leading space"},
        {"Zm9v\t", "tab"},
        {"Z", "length % 4 == 1"},
        {"Zm9vY", "length % 4 == 1 after a full group"},
        {"Zh", "non-zero trailing bits (2 characters)"},
        {"Zm9", "non-zero trailing bits (3 characters)"},
        {"Zm9vYh", "non-zero trailing bits after a full group"},
        {"Zm.v", "a dot"},
        {"Zm9v\x80", "a high byte"},
    };
    unsigned char *out;
    apr_size_t out_len, i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ok(decode(cases[i].in, &out, &out_len) == OT_ERR_MALFORMED
               && out == NULL,
           "b64url: refuses %s", cases[i].why);
    }
    ok(ot_b64url_decode(pool, "Zm9v\0Zm9v", 9, &out, &out_len)
           == OT_ERR_MALFORMED,
       "b64url: refuses an embedded NUL");
    ok(ot_b64url_decode(pool, "Zm9vYmFy", 4, &out, &out_len) == OT_OK
           && out_len == 3 && memcmp(out, "foo", 3) == 0,
       "b64url: decodes exactly len bytes of the input");
}

static void test_b64url_round_trip(void)
{
    unsigned char buf[256], *out;
    apr_size_t len, out_len, failures = 0;
    const char *enc;

    for (len = 0; len < sizeof(buf); len++) {
        buf[len] = (unsigned char)(len * 37 + 11);
    }
    for (len = 0; len <= sizeof(buf); len++) {
        enc = ot_b64url_encode(pool, buf, len);
        if (enc == NULL || strchr(enc, '=') || strchr(enc, '+')
            || strchr(enc, '/') || decode(enc, &out, &out_len) != OT_OK
            || out_len != len || memcmp(out, buf, len) != 0) {
            failures++;
        }
    }
    ok(failures == 0, "b64url: encode/decode round trip for 0..256 bytes");
    ot_random_bytes(buf, sizeof(buf));
    for (len = 1; len <= 64; len++) {
        enc = ot_b64url_encode(pool, buf, len);
        if (decode(enc, &out, &out_len) != OT_OK || out_len != len
            || memcmp(out, buf, len) != 0) {
            failures++;
        }
    }
    ok(failures == 0, "b64url: random round trips");
    ok(strcmp(ot_b64url_encode(pool, (const unsigned char *)"\xfb\xff", 2),
              "-_8")
           == 0,
       "b64url: encodes with the URL alphabet, no padding");
}

static ot_status_t parse(const char *text, json_t **out)
{
    return ot_json_parse_object(pool, text, strlen(text), 4096, out);
}

static const char *nested(int depth)
{
    char *s = apr_palloc(pool, (apr_size_t)depth * 6 + 8);
    char *c = s;
    int i;

    for (i = 0; i < depth - 1; i++) {
        c += sprintf(c, "{\"a\":");
    }
    c += sprintf(c, "{}");
    for (i = 0; i < depth - 1; i++) {
        *c++ = '}';
    }
    *c = '\0';
    return s;
}

static void test_json_parse(void)
{
    json_t *j;
    char big[64];

    ok(parse("{\"a\":1,\"b\":[1,2,{\"c\":null}]}", &j) == OT_OK
           && json_is_object(j),
       "json: an object parses");
    ok(parse("{\"a\":1,\"a\":2}", &j) == OT_ERR_MALFORMED && j == NULL,
       "json: duplicate keys refused");
    ok(parse("{\"x\":{\"a\":1,\"a\":1}}", &j) == OT_ERR_MALFORMED,
       "json: nested duplicate keys refused");
    ok(parse("[1,2]", &j) == OT_ERR_MALFORMED, "json: array top level refused");
    ok(parse("\"s\"", &j) == OT_ERR_MALFORMED,
       "json: string top level refused");
    ok(parse("42", &j) == OT_ERR_MALFORMED, "json: number top level refused");
    ok(parse("null", &j) == OT_ERR_MALFORMED, "json: null top level refused");
    ok(parse("{\"a\":1} {}", &j) == OT_ERR_MALFORMED,
       "json: trailing data refused");
    ok(parse("{\"a\":1", &j) == OT_ERR_MALFORMED, "json: truncated refused");
    ok(parse("{\"a\":\"x\\u0000y\"}", &j) == OT_ERR_MALFORMED,
       "json: escaped NUL in a string refused");
    ok(ot_json_parse_object(pool, "{\"a\":1}\0junk", 12, 4096, &j)
           == OT_ERR_MALFORMED,
       "json: bytes after a NUL are not ignored");
    ok(ot_json_parse_object(pool, "{\"a\":1}", 7, 7, &j) == OT_OK,
       "json: exactly max_len accepted");
    ok(ot_json_parse_object(pool, "{\"a\":1}", 7, 6, &j) == OT_ERR_TOO_LARGE,
       "json: over max_len is OT_ERR_TOO_LARGE");
    memset(big, ' ', sizeof(big));
    memcpy(big, "{}", 2);
    ok(ot_json_parse_object(pool, big, sizeof(big), 32, &j) == OT_ERR_TOO_LARGE,
       "json: size bound applies before parsing");
    ok(parse(nested(OT_MAX_JSON_DEPTH), &j) == OT_OK, "json: depth %d accepted",
       OT_MAX_JSON_DEPTH);
    ok(parse(nested(OT_MAX_JSON_DEPTH + 1), &j) == OT_ERR_TOO_LARGE,
       "json: depth %d is OT_ERR_TOO_LARGE", OT_MAX_JSON_DEPTH + 1);
    ok(parse("{\"a\":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}", &j)
           == OT_ERR_TOO_LARGE,
       "json: arrays count toward the depth");
    ok(parse("{\"a\":[[[[[[[[[[[[[[1]]]]]]]]]]]]]]}", &j) == OT_OK,
       "json: depth %d through arrays accepted", OT_MAX_JSON_DEPTH);
    ok(ot_json_parse_object(pool, nested(3000), strlen(nested(3000)), 1 << 20,
                            &j)
           == OT_ERR_TOO_LARGE,
       "json: nesting beyond jansson's own limit is OT_ERR_TOO_LARGE");
}

static void test_json_pool(void)
{
    apr_pool_t *sub;
    json_t *j, *held;

    apr_pool_create(&sub, pool);
    ok(ot_json_parse_object(sub, "{\"a\":{}}", 8, 64, &j) == OT_OK,
       "json: parsed into a subpool");
    held = json_incref(json_object_get(j, "a"));
    is_int((long)j->refcount, 1, "json: the pool holds the only reference");
    apr_pool_destroy(sub);
    is_int((long)held->refcount, 1, "json: pool cleanup released the parent");
    json_decref(held);
    ok(ot_json_pool_own(pool, NULL) == NULL, "json: owning NULL is a no-op");
}

static void test_json_path(void)
{
    json_t *j, *v;

    if (!ok(parse("{\"realm_access\":{\"roles\":[\"a\",\"b\"]},"
                  "\"a.b\":\"whole\",\"a\":{\"b\":\"split\"},"
                  "\"x\":{\"y.z\":{\"w\":7}},\"s\":\"str\",\"n\":3}",
                  &j)
                == OT_OK,
            "json: path document parses")) {
        return;
    }
    v = ot_json_path(j, "realm_access.roles");
    ok(json_is_array(v) && json_array_size(v) == 2,
       "json path: realm_access.roles");
    ok(json_is_object(ot_json_path(j, "realm_access")),
       "json path: a single segment");
    ok(strcmp(json_string_value(ot_json_path(j, "a.b")), "whole") == 0,
       "json path: a dotted key matches first as a whole");
    v = ot_json_path(j, "x.y.z.w");
    ok(json_is_integer(v) && json_integer_value(v) == 7,
       "json path: a dotted key mid-path");
    ok(ot_json_path(j, "realm_access.missing") == NULL,
       "json path: missing last step");
    ok(ot_json_path(j, "nope.roles") == NULL, "json path: missing first step");
    ok(ot_json_path(j, "s.len") == NULL,
       "json path: a string is not descended into");
    ok(ot_json_path(j, "realm_access.roles.0") == NULL,
       "json path: an array is not descended into");
    ok(ot_json_path(j, "") == NULL && ot_json_path(NULL, "a") == NULL
           && ot_json_path(j, NULL) == NULL,
       "json path: empty path, NULL object or path");
    ok(strcmp(ot_json_string(j, "s"), "str") == 0,
       "json string: string member");
    ok(ot_json_string(j, "n") == NULL, "json string: number is not a string");
    ok(ot_json_string(j, "missing") == NULL, "json string: absent member");
}

static void test_crypto(void)
{
    static const unsigned char abc[OT_SHA256_LEN] = {
        0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
        0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
        0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    static const unsigned char empty[OT_SHA256_LEN] = {
        0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
        0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
        0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
    unsigned char md[OT_SHA256_LEN], r1[32], r2[32];

    ok(ot_sha256("abc", 3, md) == OT_OK && memcmp(md, abc, sizeof(md)) == 0,
       "sha256: FIPS 180-2 \"abc\"");
    ok(ot_sha256("", 0, md) == OT_OK && memcmp(md, empty, sizeof(md)) == 0,
       "sha256: empty input");
    ok(ot_random_bytes(r1, sizeof(r1)) == OT_OK
           && ot_random_bytes(r2, sizeof(r2)) == OT_OK
           && memcmp(r1, r2, sizeof(r1)) != 0,
       "random: two draws differ");
    ok(ot_random_bytes(r1, 0) == OT_OK, "random: zero bytes is fine");
    ok(ot_const_time_equal("abcd", 4, "abcd", 4) == 1, "compare: equal");
    ok(ot_const_time_equal("abcd", 4, "abce", 4) == 0,
       "compare: last byte differs");
    ok(ot_const_time_equal("abcd", 4, "Abcd", 4) == 0,
       "compare: first byte differs");
    ok(ot_const_time_equal("abcd", 4, "abc", 3) == 0,
       "compare: prefix of another length is not equal");
    ok(ot_const_time_equal("abc", 3, "abcd", 4) == 0,
       "compare: longer other is not equal");
    ok(ot_const_time_equal("", 0, "", 0) == 1, "compare: two empty buffers");
}

static void test_status_text(void)
{
    int s, fine = 1;

    for (s = OT_OK; s <= OT_ERR_INTERNAL; s++) {
        const char *t = ot_status_text((ot_status_t)s);

        if (t == NULL || *t == '\0' || strcmp(t, "unknown error") == 0) {
            fine = 0;
        }
    }
    ok(fine, "status: every status has a text");
    ok(strcmp(ot_status_text(OT_ERR_EXPIRED), "token expired") == 0,
       "status: OT_ERR_EXPIRED");
    ok(strcmp(ot_status_text(OT_ERR_SIGNATURE), "signature verification failed")
           == 0,
       "status: OT_ERR_SIGNATURE");
    ok(strcmp(ot_status_text(OT_ERR_ID_TOKEN),
              "ID token presented as access token")
           == 0,
       "status: OT_ERR_ID_TOKEN");
    ok(strcmp(ot_status_text((ot_status_t)999), "unknown error") == 0,
       "status: out-of-range value");
}

int main(void)
{
    int rc;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    test_b64url_accepts();
    test_b64url_refuses();
    test_b64url_round_trip();
    test_json_parse();
    test_json_pool();
    test_json_path();
    test_crypto();
    test_status_text();
    rc = done_testing();
    apr_pool_destroy(pool);
    apr_terminate();
    return rc;
}
