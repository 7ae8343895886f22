/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Unit tests of the JSON parser (src/util/json_parse.c): a table of texts
 * with the status each must get, a differential test against jansson's
 * json_loadb() wrapped as the module used it before (the reference), and
 * a speed figure printed as a comment. */

#include <stdint.h>
#include <string.h>
#include <time.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "ot.h"
#include "util/json.h"
#include "tap.h"

#define MAX_LEN 65536
#define MUTATIONS 240000
#define MUTATIONS_PER_LINE 10000

static apr_pool_t *pool;

/* ---- the reference: json_loadb() as ot_json_parse_object() used it ---- */

typedef struct {
    ot_status_t status;
    apr_size_t error_position; /* where jansson stopped, when it failed */
    json_t *json;              /* owned by the caller when status is OT_OK */
} reference_t;

static int depth_ok(json_t *j, int max)
{
    void *member;
    size_t i;

    if (!json_is_object(j) && !json_is_array(j)) {
        return 1;
    }
    if (max <= 0) {
        return 0;
    }
    for (i = 0; i < json_array_size(j); i++) {
        if (!depth_ok(json_array_get(j, i), max - 1)) {
            return 0;
        }
    }
    for (member = json_object_iter(j); member != NULL;
         member = json_object_iter_next(j, member)) {
        if (!depth_ok(json_object_iter_value(member), max - 1)) {
            return 0;
        }
    }
    return 1;
}

static reference_t reference_parse(const char *text, apr_size_t len,
                                   apr_size_t max_len)
{
    reference_t r = {OT_OK, 0, NULL};
    json_error_t err;

    if (len > max_len) {
        r.status = OT_ERR_TOO_LARGE;
        return r;
    }
    r.json = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    if (r.json == NULL) {
        r.status = json_error_code(&err) == json_error_stack_overflow
                       ? OT_ERR_TOO_LARGE
                       : OT_ERR_MALFORMED;
        r.error_position = err.position < 0 ? 0 : (apr_size_t)err.position;
        return r;
    }
    if (!json_is_object(r.json) || !depth_ok(r.json, OT_MAX_JSON_DEPTH)) {
        r.status = json_is_object(r.json) ? OT_ERR_TOO_LARGE : OT_ERR_MALFORMED;
        r.error_position = len;
        json_decref(r.json);
        r.json = NULL;
    }
    return r;
}

/* ---- comparing the two ------------------------------------------------ */

/* 1 when a and b (already json_equal) list every object's keys in the
 * same order. */
static int same_key_order(json_t *a, json_t *b)
{
    void *ia, *ib;
    size_t i;

    if (json_is_array(a)) {
        for (i = 0; i < json_array_size(a); i++) {
            if (!same_key_order(json_array_get(a, i), json_array_get(b, i))) {
                return 0;
            }
        }
        return 1;
    }
    if (!json_is_object(a)) {
        return 1;
    }
    for (ia = json_object_iter(a), ib = json_object_iter(b);
         ia != NULL && ib != NULL;
         ia = json_object_iter_next(a, ia), ib = json_object_iter_next(b, ib)) {
        if (json_object_iter_key_len(ia) != json_object_iter_key_len(ib)
            || memcmp(json_object_iter_key(ia), json_object_iter_key(ib),
                      json_object_iter_key_len(ia))
            || !same_key_order(json_object_iter_value(ia),
                               json_object_iter_value(ib))) {
            return 0;
        }
    }
    return ia == NULL && ib == NULL;
}

/* The deepest container nesting in text[0..len), strings skipped. Exact
 * for the prefix that jansson read before it failed, which is valid JSON
 * so far. */
static int nesting(const char *text, apr_size_t len)
{
    int depth = 0, deepest = 0, in_string = 0;
    apr_size_t i;

    for (i = 0; i < len; i++) {
        if (in_string) {
            if (text[i] == '\\') {
                i++;
            }
            else if (text[i] == '"') {
                in_string = 0;
            }
        }
        else if (text[i] == '"') {
            in_string = 1;
        }
        else if (text[i] == '{' || text[i] == '[') {
            depth++;
            deepest = depth > deepest ? depth : deepest;
        }
        else if (text[i] == '}' || text[i] == ']') {
            depth--;
        }
    }
    return deepest;
}

/* The first documented difference (json_parse.c): when a text is both
 * too deep and refused for another reason, ours reports the first problem
 * met left to right, where the reference said MALFORMED unless jansson's
 * own limit of 2048 came first. */
static int depth_difference(const char *text, apr_size_t len, ot_status_t ours,
                            const reference_t *ref)
{
    apr_size_t read = ref->error_position < len ? ref->error_position : len;
    apr_size_t i = 0;

    if (ours == OT_ERR_TOO_LARGE && ref->status == OT_ERR_MALFORMED) {
        return nesting(text, read) > OT_MAX_JSON_DEPTH;
    }
    if (ours == OT_ERR_MALFORMED && ref->status == OT_ERR_TOO_LARGE) {
        while (i < len && text[i] != '\0' && strchr(" \t\r\n", text[i])) {
            i++;
        }
        return i < len && text[i] == '[';
    }
    return 0;
}

/* The second (json_parse.c): jansson skips a NUL byte that directly
 * follows a number or a literal (it reads one byte ahead, and a NUL it
 * puts back is taken for an empty slot), so it accepts {"a":1\0}. Ours
 * refuses every NUL; the difference is tolerated when the text without
 * such NULs is accepted by ours with the reference's value. */
static int nul_difference(const char *text, apr_size_t len, ot_status_t ours,
                          const reference_t *ref)
{
    char *cleaned;
    apr_size_t i, n = 0;
    apr_pool_t *scratch;
    json_t *j;
    int same;

    if (ours != OT_ERR_MALFORMED || ref->status != OT_OK) {
        return 0;
    }
    apr_pool_create(&scratch, pool);
    cleaned = apr_palloc(scratch, len + 1);
    for (i = 0; i < len; i++) {
        if (text[i] != '\0' || i == 0 || !apr_isalnum(text[i - 1])) {
            cleaned[n++] = text[i];
        }
    }
    same = n < len
           && ot_json_parse_object(scratch, cleaned, n, MAX_LEN, &j) == OT_OK
           && json_equal(j, ref->json) && same_key_order(j, ref->json);
    apr_pool_destroy(scratch);
    return same;
}

typedef struct {
    unsigned long compared, accepted, deeper, nul, failed;
} tally_t;

static void show_text(const char *what, const char *text, apr_size_t len)
{
    char shown[200];
    apr_size_t i, n = 0;

    for (i = 0; i < len && n + 5 < sizeof(shown); i++) {
        unsigned char c = (unsigned char)text[i];

        n += (apr_size_t)(c >= 0x20 && c < 0x7F && c != '\\'
                              ? snprintf(shown + n, sizeof(shown) - n, "%c", c)
                              : snprintf(shown + n, sizeof(shown) - n,
                                         "\\x%02x", c));
    }
    diag("  %s (%lu bytes): %s%s", what, (unsigned long)len, shown,
         i < len ? "..." : "");
}

/* Parses text both ways and records whether they agree: the same status
 * (or the documented difference), and for an accepted text equal values
 * with the same key order. */
static int compare(const char *text, apr_size_t len, apr_size_t max_len,
                   tally_t *tally)
{
    apr_pool_t *scratch;
    reference_t ref = reference_parse(text, len, max_len);
    json_t *ours;
    ot_status_t st;
    int agree;

    apr_pool_create(&scratch, pool);
    st = ot_json_parse_object(scratch, text, len, max_len, &ours);
    agree = st == ref.status;
    if (agree && st == OT_OK) {
        agree = json_equal(ours, ref.json) && same_key_order(ours, ref.json);
        tally->accepted++;
    }
    else if (!agree && depth_difference(text, len, st, &ref)) {
        agree = 1;
        tally->deeper++;
    }
    else if (!agree && nul_difference(text, len, st, &ref)) {
        agree = 1;
        tally->nul++;
    }
    tally->compared++;
    if (!agree && tally->failed++ < 5) {
        diag("  ours %d, reference %d", (int)st, (int)ref.status);
        show_text("text", text, len);
    }
    json_decref(ref.json);
    apr_pool_destroy(scratch);
    return agree;
}

/* ---- the table -------------------------------------------------------- */

typedef struct {
    const char *text;
    apr_size_t len;
    ot_status_t expect;
    int reference_differs; /* jansson accepts it: see nul_difference() */
    const char *why;
} json_case_t;

#define OK_(t, why)                                                            \
    {                                                                          \
        t, sizeof(t) - 1, OT_OK, 0, why                                        \
    }
#define BAD(t, why)                                                            \
    {                                                                          \
        t, sizeof(t) - 1, OT_ERR_MALFORMED, 0, why                             \
    }
#define NUL(t, why)                                                            \
    {                                                                          \
        t, sizeof(t) - 1, OT_ERR_MALFORMED, 1, why                             \
    }

static const json_case_t cases[] = {
    OK_("{}", "empty object"),
    OK_("{\"a\":1}", "one member"),
    OK_(" \t\r\n{ \"a\" : 1 , \"b\" : [ 1 , 2 ] } \t\r\n",
        "space, tab, CR and LF everywhere"),
    OK_("{\"a\":[]}", "empty array"),
    OK_("{\"a\":{}}", "empty nested object"),
    OK_("{\"a\":[1,\"x\",[],{},true,null]}", "mixed array"),
    OK_("{\"a\":true,\"b\":false,\"c\":null}", "literals"),
    OK_("{\"\":\"\"}", "empty key and value"),
    OK_("{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}", "all short escapes"),
    OK_("{\"a\":\"\\u0041\\u00e9\\u4E2D\\uabCD\"}", "\\u, hex in either case"),
    OK_("{\"a\":\"\\uD83D\\uDE00\"}", "surrogate pair"),
    OK_("{\"a\":\"\\ud83d\\ude00\"}", "lower-case surrogate pair"),
    OK_("{\"a\":\"\\uDBFF\\uDFFF\"}", "U+10FFFF as a pair"),
    OK_("{\"a\":\"\\uFFFF\\uFEFF\\uE000\\uD7FF\"}", "BMP edges escaped"),
    OK_("{\"a\":\"\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\"}",
        "raw 2-, 3- and 4-byte UTF-8"),
    OK_("{\"a\":\"\xc2\x80\xdf\xbf\"}", "2-byte edges"),
    OK_("{\"a\":\"\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf\"}",
        "3-byte edges around the surrogates"),
    OK_("{\"a\":\"\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"}", "4-byte edges"),
    OK_("{\"a\":\"\x7f\"}", "raw DEL"),
    OK_("{\"a\":\"\xef\xbb\xbf\"}", "a BOM inside a string"),
    OK_("{\"\\u00e9\":1,\"\xc3\xa9x\":2}", "escaped and raw keys"),
    OK_("{\"a\":1,\"\\u0061b\":2}", "keys differing after unescaping"),
    OK_("{\"a\":\"x\",\"A\":\"y\"}", "keys differ by case"),
    OK_("{\"a\":1,\"b\":{\"a\":1}}", "same key in two objects"),
    OK_("{\"a\":0}", "zero"),
    OK_("{\"a\":-0}", "minus zero is an integer"),
    OK_("{\"a\":10,\"b\":-7}", "integers"),
    OK_("{\"a\":9223372036854775807}", "INT64_MAX"),
    OK_("{\"a\":-9223372036854775808}", "INT64_MIN"),
    OK_("{\"a\":1.5,\"b\":-0.0,\"c\":0.1e1}", "reals"),
    OK_("{\"a\":1e308,\"b\":1.7976931348623157e308}", "largest reals"),
    OK_("{\"a\":1E+2,\"b\":1e-2,\"c\":2E-0}", "exponent forms"),
    OK_("{\"a\":1e-400,\"b\":-1e-400}", "underflow is accepted"),
    OK_("{\"a\":4.9e-324}", "smallest subnormal"),
    OK_("{\"a\":123456789012345678901234567890.0}", "long real"),
    OK_("{\"a\":9223372036854775808.0}", "past INT64_MAX as a real"),
    OK_("{\"a\":1}\n", "trailing newline"),
    OK_("{\"k\":\"\\/\\/x\"}", "escaped slashes"),
    BAD("", "empty input"),
    BAD(" \t\r\n", "whitespace only"),
    BAD("[]", "array top level"),
    BAD("[1,{}]", "array top level with an object"),
    BAD("\"s\"", "string top level"),
    BAD("1", "number top level"),
    BAD("true", "true top level"),
    BAD("null", "null top level"),
    BAD("\xef\xbb\xbf{}", "leading BOM"),
    BAD("\f{}", "form feed is not whitespace"),
    BAD("\v{}", "vertical tab is not whitespace"),
    BAD("{}\xc2\xa0", "no-break space is not whitespace"),
    BAD("{\"a\":1}}", "extra brace"),
    BAD("{\"a\":1} x", "trailing text"),
    BAD("{\"a\":1}{\"b\":2}", "two objects"),
    BAD("{\"a\":1}\0", "trailing NUL"),
    BAD("\0{}", "leading NUL"),
    BAD("{\0}", "NUL between tokens"),
    BAD("{\"a\":\"x\0y\"}", "raw NUL in a string"),
    BAD("{\"a\":[1,\0 2]}", "NUL before a number"),
    NUL("{\"a\":1\0}", "NUL after a number (jansson skips it)"),
    NUL("{\"a\":1e5\0}", "NUL after a real (jansson skips it)"),
    NUL("{\"a\":true\0}", "NUL after a literal (jansson skips it)"),
    BAD("{\"a\":null\0\0}", "two NULs after a literal"),
    BAD("{\"a\":\"\x1f\"}", "raw control character"),
    BAD("{\"a\":\"\n\"}", "raw newline in a string"),
    BAD("{\"a\":\"\t\"}", "raw tab in a string"),
    BAD("{\"a\":1,}", "trailing comma"),
    BAD("{,\"a\":1}", "leading comma"),
    BAD("{\"a\" 1}", "missing colon"),
    BAD("{\"a\"::1}", "double colon"),
    BAD("{\"a\":}", "missing value"),
    BAD("{a:1}", "unquoted key"),
    BAD("{'a':1}", "single quotes"),
    BAD("{1:1}", "number as key"),
    BAD("{\"a\":1 \"b\":2}", "missing comma"),
    BAD("{\"a\":1;\"b\":2}", "semicolon"),
    BAD("{\"a\":[1,]}", "trailing comma in array"),
    BAD("{\"a\":[,1]}", "leading comma in array"),
    BAD("{\"a\":[1 2]}", "missing comma in array"),
    BAD("{\"a\":[]]}", "extra bracket"),
    BAD("{\"a\":[}", "mismatched brackets"),
    BAD("{\"a\":tru}", "short true"),
    BAD("{\"a\":truex}", "true followed by letters"),
    BAD("{\"a\":True}", "capitalised literal"),
    BAD("{\"a\":nul}", "short null"),
    BAD("{\"a\":NaN}", "NaN"),
    BAD("{\"a\":Infinity}", "Infinity"),
    BAD("{\"a\":-Infinity}", "-Infinity"),
    BAD("{\"a\":01}", "leading zero"),
    BAD("{\"a\":-01}", "negative leading zero"),
    BAD("{\"a\":00}", "double zero"),
    BAD("{\"a\":+1}", "leading plus"),
    BAD("{\"a\":.5}", "no integer part"),
    BAD("{\"a\":1.}", "no fraction digits"),
    BAD("{\"a\":1.e5}", "no fraction digits before exponent"),
    BAD("{\"a\":-}", "bare minus"),
    BAD("{\"a\":--1}", "double minus"),
    BAD("{\"a\":1e}", "no exponent digits"),
    BAD("{\"a\":1e+}", "signed empty exponent"),
    BAD("{\"a\":0x10}", "hex number"),
    BAD("{\"a\":1_000}", "digit separator"),
    BAD("{\"a\":9223372036854775808}", "INT64_MAX + 1"),
    BAD("{\"a\":-9223372036854775809}", "INT64_MIN - 1"),
    BAD("{\"a\":99999999999999999999999}", "huge integer"),
    BAD("{\"a\":1e309}", "real overflow"),
    BAD("{\"a\":-1e309}", "negative real overflow"),
    BAD("{\"a\":1.8e308}", "just past DBL_MAX"),
    BAD("{\"a\":\"\\x\"}", "unknown escape"),
    BAD("{\"a\":\"\\'\"}", "escaped single quote"),
    BAD("{\"a\":\"\\U0041\"}", "\\U"),
    BAD("{\"a\":\"\\u12\"}", "short \\u"),
    BAD("{\"a\":\"\\u12G4\"}", "non-hex \\u"),
    BAD("{\"a\":\"\\u0000\"}", "\\u0000 in a value"),
    BAD("{\"\\u0000\":1}", "\\u0000 as a key"),
    BAD("{\"a\\u0000b\":1}", "\\u0000 inside a key"),
    BAD("{\"a\":\"\\uD800\"}", "lone high surrogate"),
    BAD("{\"a\":\"\\uD800x\"}", "high surrogate then a character"),
    BAD("{\"a\":\"\\uD800\\u0041\"}", "high surrogate then not a low one"),
    BAD("{\"a\":\"\\uD800\\uD800\"}", "two high surrogates"),
    BAD("{\"a\":\"\\uD800\\n\"}", "high surrogate then another escape"),
    BAD("{\"a\":\"\\uDC00\"}", "lone low surrogate"),
    BAD("{\"a\":\"\\uDC00\\uD800\"}", "reversed pair"),
    BAD("{\"a\":\"\\uD800\\u0000\"}", "high surrogate then \\u0000"),
    BAD("{\"a\":\"\xc0\x80\"}", "overlong NUL"),
    BAD("{\"a\":\"\xc1\xbf\"}", "overlong 2-byte"),
    BAD("{\"a\":\"\xe0\x9f\xbf\"}", "overlong 3-byte"),
    BAD("{\"a\":\"\xf0\x8f\xbf\xbf\"}", "overlong 4-byte"),
    BAD("{\"a\":\"\xed\xa0\x80\"}", "UTF-8 high surrogate"),
    BAD("{\"a\":\"\xed\xbf\xbf\"}", "UTF-8 low surrogate"),
    BAD("{\"a\":\"\xf4\x90\x80\x80\"}", "above U+10FFFF"),
    BAD("{\"a\":\"\xf5\x80\x80\x80\"}", "lead byte F5"),
    BAD("{\"a\":\"\xff\"}", "byte FF"),
    BAD("{\"a\":\"\x80\"}", "lone continuation byte"),
    BAD("{\"a\":\"\xc3\"}", "2-byte sequence cut by the quote"),
    BAD("{\"a\":\"\xe4\xb8\"}", "3-byte sequence cut by the quote"),
    BAD("{\"a\":\"\xf0\x9f\x98\"}", "4-byte sequence cut by the quote"),
    BAD("{\"a\":\"\xc3\xa9", "cut after a raw sequence"),
    BAD("{\"a\":\xc3\xa9}", "UTF-8 outside a string"),
    BAD("{\"\xff\":1}", "bad UTF-8 in a key"),
    BAD("{\"a\":1,\"a\":2}", "duplicate key"),
    BAD("{\"a\":1,\"\\u0061\":2}", "duplicate key after unescaping"),
    BAD("{\"\\u00e9\":1,\"\xc3\xa9\":2}", "duplicate of raw and escaped"),
    BAD("{\"x\":{\"b\":1,\"b\":1}}", "nested duplicate key"),
    BAD("{\"x\":[{\"b\":1,\"b\":{}}]}", "duplicate key in an array"),
    BAD("{\"a\":\"x}", "unterminated string"),
    BAD("{\"a\":\"x\\\"}", "string ended by an escaped quote"),
    BAD("{\"a\":\"x\\", "cut after a backslash"),
    BAD("{\"a\":\"\\u00", "cut inside \\u"),
    BAD("{\"a\":\"\\uD83D", "cut after a high surrogate"),
    BAD("{\"a\":[1", "cut in an array"),
    BAD("{\"a\":1", "cut after a value"),
    BAD("{\"a\":-", "cut after a minus"),
    BAD("{\"a\":1.", "cut after a point"),
    BAD("{", "lone brace"),
    BAD("}", "closing brace"),
};

static void test_table(void)
{
    apr_size_t i;
    json_t *j;
    ot_status_t st;
    reference_t ref;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        st = ot_json_parse_object(pool, cases[i].text, cases[i].len, MAX_LEN,
                                  &j);
        ref = reference_parse(cases[i].text, cases[i].len, MAX_LEN);
        json_decref(ref.json);
        if (!ok(st == cases[i].expect
                    && (ref.status == cases[i].expect)
                           != cases[i].reference_differs
                    && (st == OT_OK) == (j != NULL),
                "table: %s %s", cases[i].why,
                cases[i].expect == OT_OK ? "accepted" : "refused")) {
            diag("  ours %d, reference %d, expected %d", (int)st,
                 (int)ref.status, (int)cases[i].expect);
        }
    }
}

/* {"a": ... } with levels containers in all, the innermost holding inner. */
static char *nested(const char *open, int levels, const char *inner,
                    const char *tail)
{
    apr_size_t n = (apr_size_t)levels;
    char *s = apr_palloc(pool, n * (strlen(open) + 1) + strlen(inner)
                                   + strlen(tail) + 8);
    char *c = s;
    int i;

    c += sprintf(c, "{\"a\":");
    for (i = 1; i < levels; i++) {
        c += sprintf(c, "%s", open);
    }
    c += sprintf(c, "%s", inner);
    for (i = 1; i < levels; i++) {
        *c++ = *open == '[' ? ']' : '}';
    }
    c += sprintf(c, "}%s", tail);
    return s;
}

/* The status of text as NUL-terminated, and whether the reference agrees
 * (same_as_reference) or differs (the documented difference). */
static void check_depth(const char *text, ot_status_t expect,
                        int same_as_reference, const char *why)
{
    json_t *j;
    apr_size_t len = strlen(text);
    ot_status_t st = ot_json_parse_object(pool, text, len, 1 << 20, &j);
    reference_t ref = reference_parse(text, len, 1 << 20);

    json_decref(ref.json);
    if (!ok(st == expect && (ref.status == expect) == same_as_reference,
            "depth: %s", why)) {
        diag("  ours %d, reference %d, expected %d", (int)st, (int)ref.status,
             (int)expect);
    }
}

/* {"a":<head><zeros times '0'><tail> */
static const char *long_number(const char *head, int zeros, const char *tail)
{
    char *digits = apr_palloc(pool, (apr_size_t)zeros + 1);

    memset(digits, '0', (apr_size_t)zeros);
    digits[zeros] = '\0';
    return apr_pstrcat(pool, "{\"a\":", head, digits, tail, NULL);
}

static void test_limits(void)
{
    json_t *j;
    const char *text;
    char *deep_array;
    int i;

    ok(ot_json_parse_object(pool, "{\"a\":1}", 7, 7, &j) == OT_OK,
       "limits: exactly max_len accepted");
    ok(ot_json_parse_object(pool, "{\"a\":1}", 7, 6, &j) == OT_ERR_TOO_LARGE
           && j == NULL,
       "limits: over max_len is OT_ERR_TOO_LARGE");
    ok(ot_json_parse_object(pool, "{\"a\":", 5, 4, &j) == OT_ERR_TOO_LARGE,
       "limits: the length is checked before the syntax");
    ok(ot_json_parse_object(pool, NULL, 0, 4, &j) == OT_ERR_MALFORMED,
       "limits: NULL text is malformed");
    check_depth(nested("[", OT_MAX_JSON_DEPTH, "1", ""), OT_OK, 1,
                "16 levels of arrays, a scalar at 17, accepted");
    check_depth(nested("{\"a\":", OT_MAX_JSON_DEPTH, "1", ""), OT_OK, 1,
                "16 levels of objects accepted");
    check_depth(nested("[", OT_MAX_JSON_DEPTH - 1, "[]", ""), OT_OK, 1,
                "an empty container at level 16 accepted");
    check_depth(nested("[", OT_MAX_JSON_DEPTH + 1, "1", ""), OT_ERR_TOO_LARGE,
                1, "17 levels of arrays refused");
    check_depth(nested("{\"a\":", OT_MAX_JSON_DEPTH + 1, "1", ""),
                OT_ERR_TOO_LARGE, 1, "17 levels of objects refused");
    check_depth(nested("[", OT_MAX_JSON_DEPTH, "[]", ""), OT_ERR_TOO_LARGE, 1,
                "an empty container at level 17 refused");
    check_depth(nested("[", 3000, "1", ""), OT_ERR_TOO_LARGE, 1,
                "3000 levels, past jansson's own limit");
    check_depth(nested("[", OT_MAX_JSON_DEPTH - 1, "[1,]", ""),
                OT_ERR_MALFORMED, 1, "a syntax error at level 16 is malformed");
    /* The documented difference: too deep and malformed. */
    check_depth(nested("[", OT_MAX_JSON_DEPTH + 1, "1", " x"), OT_ERR_TOO_LARGE,
                0, "too deep, then trailing text: first problem wins");
    check_depth(nested("[", OT_MAX_JSON_DEPTH, "[1,]", ""), OT_ERR_TOO_LARGE, 0,
                "too deep, then a syntax error: first problem wins");
    text = long_number("0.", 70, "1e-5}");
    ok(ot_json_parse_object(pool, text, strlen(text), MAX_LEN, &j) == OT_OK,
       "limits: a real longer than the stack copy accepted");
    text = long_number("1", 400, ".5}");
    ok(ot_json_parse_object(pool, text, strlen(text), MAX_LEN, &j)
           == OT_ERR_MALFORMED,
       "limits: overflow spelt out in 400 digits refused");
    deep_array = apr_palloc(pool, 3002);
    for (i = 0; i < 3000; i++) {
        deep_array[i] = '[';
    }
    deep_array[3000] = '\0';
    check_depth(deep_array, OT_ERR_MALFORMED, 0,
                "an array top level is refused before its nesting");
}

/* ---- exhaustive corners: every \u escape, UTF-8 sequences ------------- */

static void test_unicode_escapes(void)
{
    static const unsigned second[] = {0xDC00, 0xDC01, 0xDFFF, 0xDBFF,
                                      0xE000, 0xD800, 0x0041, 0x0000};
    tally_t tally = {0, 0, 0, 0, 0};
    char text[64];
    unsigned unit, i;
    int len;

    for (unit = 0; unit <= 0xFFFF; unit++) {
        len = snprintf(text, sizeof(text),
                       "{\"k\":\"x\\u%04X\",\"y\\u%04x\":1}", unit, unit);
        compare(text, (apr_size_t)len, MAX_LEN, &tally);
    }
    ok(tally.failed == 0 && tally.accepted == 0xFFFF - 0x800,
       "unicode: every \\uXXXX in a value and a key agrees with jansson "
       "(%lu accepted)",
       tally.accepted);
    memset(&tally, 0, sizeof(tally));
    for (unit = 0xD800; unit <= 0xDBFF; unit++) {
        for (i = 0; i < sizeof(second) / sizeof(second[0]); i++) {
            len = snprintf(text, sizeof(text), "{\"k\":\"\\u%04x\\u%04X\"}",
                           unit, second[i]);
            compare(text, (apr_size_t)len, MAX_LEN, &tally);
            len = snprintf(text, sizeof(text), "{\"k\":\"\\u%04x\\u%04X", unit,
                           second[i]);
            compare(text, (apr_size_t)len, MAX_LEN, &tally);
        }
    }
    ok(tally.failed == 0 && tally.accepted == 0x400 * 3,
       "unicode: every high surrogate with %u followers agrees (%lu "
       "accepted)",
       (unsigned)(sizeof(second) / sizeof(second[0])), tally.accepted);
}

/* Every lead byte from 0x80 with every second byte, and the third and
 * fourth from the bytes where the rules change. */
static void test_utf8_sequences(void)
{
    static const unsigned char tails[] = {0x00, 0x22, 0x41, 0x7F, 0x80, 0x8F,
                                          0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF};
    const apr_size_t ntails = sizeof(tails);
    tally_t tally = {0, 0, 0, 0, 0};
    char text[16];
    unsigned lead, second;
    apr_size_t t3, t4, len;

    for (lead = 0x80; lead <= 0xFF; lead++) {
        for (second = 0; second <= 0xFF; second++) {
            for (t3 = 0; t3 < (lead >= 0xE0 ? ntails : 1); t3++) {
                for (t4 = 0; t4 < (lead >= 0xF0 && lead <= 0xF7 ? ntails : 1);
                     t4++) {
                    len = 0;
                    memcpy(text, "{\"k\":\"", 6);
                    len = 6;
                    text[len++] = (char)lead;
                    text[len++] = (char)second;
                    if (lead >= 0xE0) {
                        text[len++] = (char)tails[t3];
                    }
                    if (lead >= 0xF0 && lead <= 0xF7) {
                        text[len++] = (char)tails[t4];
                    }
                    text[len++] = '"';
                    text[len++] = '}';
                    compare(text, len, MAX_LEN, &tally);
                }
            }
        }
    }
    ok(tally.failed == 0 && tally.accepted > 0,
       "utf-8: %lu byte sequences agree with jansson (%lu accepted)",
       tally.compared, tally.accepted);
}

/* ---- the seeds and their mutations ------------------------------------ */

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

/* splitmix64: deterministic, so a failure can be replayed. */
static uint64_t next_random(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static apr_size_t below(apr_size_t n)
{
    return n == 0 ? 0 : (apr_size_t)(next_random() % n);
}

/* A run of base64url characters, as in a compact JWS. */
static char *jwt_like(apr_size_t len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *s = apr_palloc(pool, len + 1);
    apr_size_t i;

    for (i = 0; i < len; i++) {
        s[i] = alphabet[next_random() % 64];
        if (i == len / 3 || i == 2 * len / 3) {
            s[i] = '.';
        }
    }
    s[len] = '\0';
    return s;
}

/* A session record as src/oidc/session.c writes it: claims as an escaped
 * JSON string, three JWT-sized strings, about 1.2 KB. */
static const char *session_record(void)
{
    /* Drawn one by one: argument order would differ between compilers. */
    const char *id_token = jwt_like(420);
    const char *access_token = jwt_like(330);
    const char *refresh_token = jwt_like(160);

    return apr_psprintf(
        pool,
        "{\"v\":1,\"iss\":\"https://idp.example.com/realms/main\","
        "\"sub\":\"f81d4fae-7dec-11d0-a765-00a0c91e6bf6\","
        "\"sid\":\"5c0b0a4e-8d2e-4b0e-9d7a-6a1c7e0f2b3d\","
        "\"claims\":\"{\\\"sub\\\":\\\"f81d4fae-7dec-11d0-a765-"
        "00a0c91e6bf6\\\","
        "\\\"name\\\":\\\"Jos\\u00e9 M\\u00fcller\\\",\\\"email\\\":"
        "\\\"jose@example.com\\\",\\\"email_verified\\\":true}\","
        "\"id_token\":\"%s\",\"access_token\":\"%s\","
        "\"refresh_token\":\"%s\",\"access_expires\":1735689600,"
        "\"scope\":\"openid profile email\",\"created\":1735686000,"
        "\"last_used\":1735686060}",
        id_token, access_token, refresh_token);
}

static apr_array_header_t *seeds(void)
{
    static const char *const fixed[] = {
        "{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"k1-2024\"}",
        "{\"alg\":\"ES256\",\"kid\":\"\\u006b2\",\"crit\":[\"exp\"],\"exp\":1}",
        "{\"iss\":\"https://idp.example.com/realms/main\",\"sub\":"
        "\"248289761001\",\"aud\":[\"api\",\"account\"],\"exp\":1735689600,"
        "\"iat\":1735686000,\"nbf\":1735686000,\"jti\":\"b3f1c2d4\","
        "\"scope\":\"openid profile email\",\"client_id\":\"web\","
        "\"realm_access\":{\"roles\":[\"admin\",\"user\"]},"
        "\"email_verified\":true,\"name\":\"Jos\\u00e9 M\\u00fcller\","
        "\"amr\":null,\"acr\":\"1\",\"cnf\":{\"x5t#S256\":\"bwcK0esc3ACC3DB2\"}"
        "}",
        "{\"a\":[[1,[2,[3,{\"b\":{\"c\":[[[[]]]]}}]]]],\"d\":{\"e\":{\"f\":"
        "{\"g\":{}}}},\"h\":[{},[],{\"i\":[null,true,false]}]}",
        "{\"a\":[[[[[[[[[[[[[[[1,2]]]]]]]]]]]]]]],\"b\":{\"c\":{\"d\":{}}}}",
        "{\"u\":\"\\u00e9\\u4e2d\\ud83d\\ude00\\u0041\\/"
        "\\\\\\\"\\b\\f\\n\\r\\t\","
        "\"raw\":\"\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80 \xef\xbf\xbf\","
        "\"esc\\u00e9\":1,\"\\uD834\\uDD1E\":\"clef\"}",
        "{\"max\":9223372036854775807,\"min\":-9223372036854775808,\"z\":-0,"
        "\"r\":[1e308,-1.5e-300,0.1,2.5E+10,1e-400,-0.0,1.7976931348623157e308,"
        "123456789012345678901234567890.5,4.9e-324,0e0,-0.0e-0]}",
        "{\"over\":9223372036854775808}",
        "{\"under\":-9223372036854775809}",
        "{\"inf\":1e309}",
        " \t\n{ \"a\" : [ 1 , 2 ] , \"b\" : { } , \"c\" : \"d\" }\r\n",
        "{\"t\":true,\"f\":false,\"n\":null,\"e\":[],\"o\":{},\"s\":\"\"}",
    };
    apr_array_header_t *all = apr_array_make(pool, 16, sizeof(const char *));
    apr_size_t i;

    for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        APR_ARRAY_PUSH(all, const char *) = fixed[i];
    }
    APR_ARRAY_PUSH(all, const char *) = session_record();
    APR_ARRAY_PUSH(all, const char *) = session_record();
    return all;
}

/* Bytes that steer a parser into its other branches (sizeof - 1 of them:
 * the NUL among them is meant). */
static const char special_bytes[] =
    "\"\\{}[],:0-e.u \n9E+\0\x80\xC0\xED\xF4\xFF";

/* Short texts that make the same steering more likely to parse on. */
static const char *const special_texts[] = {
    "\\u",
    "\\ud800",
    "\\udc00",
    "\\u0000",
    "\\ud83d\\ude00",
    "1e309",
    "-0",
    "[",
    "{\"a\":",
    "\"a\":1,",
    "9223372036854775808",
    "\xed\xa0\x80",
    "\xf4\x90\x80\x80",
    "\xc3\xa9",
    "true",
    "null",
    "[[[[[[[[",
    "]]]]",
};

typedef struct {
    char *data;
    apr_size_t len, cap;
} buffer_t;

static void insert_bytes(buffer_t *b, apr_size_t at, const char *bytes,
                         apr_size_t n)
{
    if (b->len + n > b->cap || at > b->len) {
        return;
    }
    memmove(b->data + at + n, b->data + at, b->len - at);
    memcpy(b->data + at, bytes, n);
    b->len += n;
}

/* Inserts a copy of some key with a value before that key, so that the
 * object holds it twice (or, where the copy goes wrong, nearly). */
static void duplicate_key(buffer_t *b)
{
    apr_size_t start = below(b->len), n, q, close;
    char copy[128];

    for (n = 0; n < b->len; n++) {
        q = (start + n) % b->len;
        if (b->data[q] != '"' || q == 0
            || (b->data[q - 1] != '{' && b->data[q - 1] != ',')) {
            continue;
        }
        for (close = q + 1; close < b->len && b->data[close] != '"'; close++) {
            close += b->data[close] == '\\';
        }
        if (close + 1 >= b->len || b->data[close + 1] != ':'
            || close - q + 4 > sizeof(copy)) {
            continue;
        }
        memcpy(copy, b->data + q, close - q + 1);
        memcpy(copy + (close - q + 1), ":0,", 3);
        insert_bytes(b, q, copy, close - q + 4);
        return;
    }
}

static void mutate_once(buffer_t *b)
{
    apr_size_t at = below(b->len + 1), n;
    const char *text;

    switch (next_random() % 9) {
    case 0: /* flip one bit */
        if (b->len) {
            b->data[at % b->len] ^= (char)(1 << below(8));
        }
        break;
    case 1: /* overwrite with a special byte */
        if (b->len) {
            b->data[at % b->len] =
                special_bytes[below(sizeof(special_bytes) - 1)];
        }
        break;
    case 2: /* insert a special byte */
        insert_bytes(b, at, &special_bytes[below(sizeof(special_bytes) - 1)],
                     1);
        break;
    case 3: /* delete a byte */
        n = at < b->len ? 1 : 0;
        memmove(b->data + at, b->data + at + n, b->len - at - n);
        b->len -= n;
        break;
    case 4: /* delete a few */
        n = 1 + below(8);
        n = n < b->len - at ? n : b->len - at;
        memmove(b->data + at, b->data + at + n, b->len - at - n);
        b->len -= n;
        break;
    case 5: /* truncate */
        b->len = at;
        break;
    case 6:
        duplicate_key(b);
        break;
    case 7: /* duplicate a span */
        n = below(24);
        if (at + n <= b->len) {
            char span[24];

            memcpy(span, b->data + at, n);
            insert_bytes(b, at + n, span, n);
        }
        break;
    default: /* insert a special text */
        text = special_texts[below(sizeof(special_texts)
                                   / sizeof(special_texts[0]))];
        insert_bytes(b, at, text, strlen(text));
        break;
    }
}

static void test_mutations(void)
{
    apr_array_header_t *all = seeds();
    tally_t tally = {0, 0, 0, 0, 0}, seed_tally = {0, 0, 0, 0, 0};
    buffer_t b;
    const char *seed;
    unsigned long i, failed_before = 0, steps;
    int s;

    for (s = 0; s < all->nelts; s++) {
        seed = APR_ARRAY_IDX(all, s, const char *);
        compare(seed, strlen(seed), MAX_LEN, &seed_tally);
    }
    ok(seed_tally.failed == 0
           && seed_tally.accepted == (unsigned long)all->nelts - 3,
       "mutations: the %d seeds agree, all but the 3 out-of-range ones "
       "accepted",
       all->nelts);
    b.cap = 4096;
    b.data = apr_palloc(pool, b.cap);
    for (i = 0; i < MUTATIONS; i++) {
        seed = APR_ARRAY_IDX(all, i % (unsigned long)all->nelts, const char *);
        b.len = strlen(seed);
        memcpy(b.data, seed, b.len);
        for (steps = 1 + next_random() % 3; steps > 0; steps--) {
            mutate_once(&b);
        }
        compare(b.data, b.len, MAX_LEN, &tally);
        if ((i + 1) % MUTATIONS_PER_LINE == 0) {
            ok(tally.failed == failed_before,
               "mutations %lu-%lu agree with jansson",
               i + 2 - MUTATIONS_PER_LINE, i + 1);
            failed_before = tally.failed;
        }
    }
    diag("%lu mutated texts: %lu accepted by both, %lu refused by both, "
         "documented differences: %lu too deep and malformed, %lu NUL after "
         "a number or literal; %lu disagreements",
         tally.compared, tally.accepted,
         tally.compared - tally.accepted - tally.deeper - tally.nul
             - tally.failed,
         tally.deeper, tally.nul, tally.failed);
}

/* ---- speed, a comment only -------------------------------------------- */

static double seconds_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_speed(void)
{
    const char *record = session_record();
    apr_size_t len = strlen(record);
    apr_pool_t *scratch;
    json_error_t err;
    json_t *j;
    double start, ours, theirs;
    int i, rounds = 2000;

    apr_pool_create(&scratch, pool);
    start = seconds_now();
    for (i = 0; i < rounds; i++) {
        ot_json_parse_object(scratch, record, len, MAX_LEN, &j);
        apr_pool_clear(scratch);
    }
    ours = seconds_now() - start;
    start = seconds_now();
    for (i = 0; i < rounds; i++) {
        json_decref(json_loadb(record, len, JSON_REJECT_DUPLICATES, &err));
    }
    theirs = seconds_now() - start;
    apr_pool_destroy(scratch);
    diag("speed on a %lu-byte session record: ours %.2f ns/byte, "
         "json_loadb %.2f ns/byte (%.1fx)",
         (unsigned long)len, ours * 1e9 / rounds / (double)len,
         theirs * 1e9 / rounds / (double)len, theirs / ours);
}

int main(void)
{
    int rc;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    test_table();
    test_limits();
    test_unicode_escapes();
    test_utf8_sequences();
    test_mutations();
    test_speed();
    rc = done_testing();
    apr_pool_destroy(pool);
    apr_terminate();
    return rc;
}
