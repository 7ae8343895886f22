/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* A strict RFC 8259 parser that builds ordinary jansson values.
 *
 * jansson's own json_loadb() reads its input one byte at a time through a
 * stream callback and copies every token into a growing buffer, about 150
 * instructions per byte; sessions and token payloads are parsed on every
 * request, so this parser walks the input once in tight loops instead: a
 * string without escapes is handed to jansson straight from the input, and
 * one with escapes is decoded into a single scratch buffer.
 *
 * It accepts and refuses what json_loadb(JSON_REJECT_DUPLICATES) followed
 * by the old object and depth checks did, but for the two differences
 * below (t/unit/test_json.c compares the two): strict UTF-8, no raw control characters, no \u0000,
 * paired surrogates only, the JSON number grammar with integers that fit
 * json_int_t and reals that do not overflow, no duplicate keys, nothing
 * but whitespace after the object.
 *
 * Two deliberate differences. A NUL byte is refused wherever it is, while
 * jansson skips one that directly follows a number or a literal (it puts
 * back the byte it read ahead, and takes a put-back NUL for an empty slot),
 * so it accepted {"a":1\0}. And the first problem met reading left to
 * right decides the status: a container opened deeper than
 * OT_MAX_JSON_DEPTH is OT_ERR_TOO_LARGE at once, even if the text would
 * have turned out malformed further on (the old code, which checked depth
 * after a full parse, said OT_ERR_MALFORMED then), and a top level that
 * does not start with '{' is OT_ERR_MALFORMED at once (the old code said
 * OT_ERR_TOO_LARGE for an array nested past jansson's own limit of 2048).
 * Stopping early also bounds the recursion to OT_MAX_JSON_DEPTH. */

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"

#if JSON_INTEGER_IS_LONG_LONG
#define JSON_INT_MAX LLONG_MAX
#else
#define JSON_INT_MAX LONG_MAX
#endif

/* Longest real copied to the stack for strtod(); longer ones (a thousand
 * digits are valid JSON) go to the pool. */
#define REAL_TEXT_MAX 64

typedef struct {
    const unsigned char *at;  /* the next byte to read */
    const unsigned char *end; /* one past the last byte */
    apr_pool_t *pool;
    /* Escaped strings are decoded one after another into scratch, which is
     * allocated at the first escape and never reused: a decoded string is
     * never longer than its source text and the sources do not overlap,
     * so the rest of the input from that first string on bounds them all,
     * and a decoded key stays intact while its value is parsed. */
    char *scratch;
    char *scratch_top;
    ot_status_t status; /* why parsing stopped */
} json_parser_t;

/* Bytes that end a run of plain string content: '"', '\\', the control
 * characters (refused raw) and the first byte of any UTF-8 sequence
 * (validated). */
static const unsigned char string_stop[256] = {
    /*       0  1  2  3  4  5  6  7  8  9  A  B  C  D  E  F */
    /* 0 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* 1 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* 2 */ 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 3 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 4 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 5 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    /* 6 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 7 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 8 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* 9 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* A */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* B */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* C */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* D */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* E */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* F */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/* Records why parsing stopped (the first reason wins) and returns NULL so
 * that callers can write "return refuse(ps, ...)". */
static json_t *refuse(json_parser_t *ps, ot_status_t why)
{
    if (ps->status == OT_OK) {
        ps->status = why;
    }
    return NULL;
}

/* Everything else than too deep is malformed, an allocation failure in
 * jansson included, as json_loadb() made it before. */
static json_t *malformed(json_parser_t *ps)
{
    return refuse(ps, OT_ERR_MALFORMED);
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* Whitespace is exactly space, tab, LF and CR (RFC 8259 section 2). */
static void skip_whitespace(json_parser_t *ps)
{
    const unsigned char *p = ps->at;

    while (p < ps->end
           && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) {
        p++;
    }
    ps->at = p;
}

/* Consumes c after optional whitespace; 0 when the next byte is not c. */
static int expect(json_parser_t *ps, unsigned char c)
{
    skip_whitespace(ps);
    if (ps->at < ps->end && *ps->at == c) {
        ps->at++;
        return 1;
    }
    return 0;
}

/* The first byte at or after p that is in string_stop, or end. Unrolled
 * because long base64url runs (JWTs inside session records) dominate. */
static const unsigned char *plain_run_end(const unsigned char *p,
                                          const unsigned char *end)
{
    while (end - p >= 4) {
        if (string_stop[p[0]]) {
            return p;
        }
        if (string_stop[p[1]]) {
            return p + 1;
        }
        if (string_stop[p[2]]) {
            return p + 2;
        }
        if (string_stop[p[3]]) {
            return p + 3;
        }
        p += 4;
    }
    while (p < end && !string_stop[*p]) {
        p++;
    }
    return p;
}

/* Length of the well-formed UTF-8 sequence at p (the Unicode standard's
 * table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF), or
 * 0 when it is ill-formed or cut short by end. */
static apr_size_t utf8_sequence_len(const unsigned char *p,
                                    const unsigned char *end)
{
    unsigned char lead = p[0], low = 0x80, high = 0xBF;
    apr_size_t len, i;

    if (lead < 0xC2 || lead > 0xF4) {
        return 0;
    }
    len = lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    if ((apr_size_t)(end - p) < len) {
        return 0;
    }
    /* The second byte's range is what rules out the overlong and
     * surrogate forms and the code points above U+10FFFF. */
    if (lead == 0xE0) {
        low = 0xA0;
    }
    else if (lead == 0xED) {
        high = 0x9F;
    }
    else if (lead == 0xF0) {
        low = 0x90;
    }
    else if (lead == 0xF4) {
        high = 0x8F;
    }
    if (p[1] < low || p[1] > high) {
        return 0;
    }
    for (i = 2; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            return 0;
        }
    }
    return len;
}

static int hex_value(unsigned char c)
{
    if (is_digit(c)) {
        return c - '0';
    }
    c |= 0x20; /* 'A'-'F' to 'a'-'f', nothing else lands there */
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The code unit of the "\uXXXX" at p, or -1 when it is not one. */
static long unicode_escape(const unsigned char *p, const unsigned char *end)
{
    long unit = 0;
    int i, digit;

    if (end - p < 6 || p[0] != '\\' || p[1] != 'u') {
        return -1;
    }
    for (i = 2; i < 6; i++) {
        digit = hex_value(p[i]);
        if (digit < 0) {
            return -1;
        }
        unit = unit << 4 | digit;
    }
    return unit;
}

static char *utf8_encode(char *out, unsigned long cp)
{
    if (cp < 0x80) {
        *out++ = (char)cp;
    }
    else if (cp < 0x800) {
        *out++ = (char)(0xC0 | cp >> 6);
        *out++ = (char)(0x80 | (cp & 0x3F));
    }
    else if (cp < 0x10000) {
        *out++ = (char)(0xE0 | cp >> 12);
        *out++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *out++ = (char)(0x80 | (cp & 0x3F));
    }
    else {
        *out++ = (char)(0xF0 | cp >> 18);
        *out++ = (char)(0x80 | (cp >> 12 & 0x3F));
        *out++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *out++ = (char)(0x80 | (cp & 0x3F));
    }
    return out;
}

/* Decodes the \u escape at p (a surrogate pair takes two) into *out.
 * Returns the byte after it, or NULL for a bad escape, a lone or reversed
 * surrogate, or U+0000, which would cut the string short for any caller
 * that uses it as a C string (jansson refuses it without JSON_ALLOW_NUL). */
static const unsigned char *decode_unicode(const unsigned char *p,
                                           const unsigned char *end, char **out)
{
    long unit = unicode_escape(p, end), low;
    unsigned long cp = (unsigned long)unit;

    if (unit <= 0 || (unit >= 0xDC00 && unit <= 0xDFFF)) {
        return NULL;
    }
    p += 6;
    if (unit >= 0xD800 && unit <= 0xDBFF) {
        low = unicode_escape(p, end);
        if (low < 0xDC00 || low > 0xDFFF) {
            return NULL;
        }
        cp = 0x10000 + ((unsigned long)(unit - 0xD800) << 10)
             + (unsigned long)(low - 0xDC00);
        p += 6;
    }
    *out = utf8_encode(*out, cp);
    return p;
}

/* Decodes the escape at p (a backslash) into *out; returns the byte after
 * it, or NULL when it is not one of RFC 8259's. */
static const unsigned char *decode_escape(const unsigned char *p,
                                          const unsigned char *end, char **out)
{
    char c;

    if (end - p < 2) {
        return NULL;
    }
    switch (p[1]) {
    case '"':
    case '\\':
    case '/':
        c = (char)p[1];
        break;
    case 'b':
        c = '\b';
        break;
    case 'f':
        c = '\f';
        break;
    case 'n':
        c = '\n';
        break;
    case 'r':
        c = '\r';
        break;
    case 't':
        c = '\t';
        break;
    case 'u':
        return decode_unicode(p, end, out);
    default:
        return NULL;
    }
    *(*out)++ = c;
    return p + 2;
}

/* Reads a string whose opening quote was consumed. Without escapes the
 * result points into the input; with them, into the scratch buffer. Plain
 * runs (valid UTF-8 included) are copied only when an escape forces a
 * copy, one memcpy per run. */
static int parse_string(json_parser_t *ps, const char **str, apr_size_t *len)
{
    const unsigned char *start = ps->at, *end = ps->end;
    const unsigned char *p = start, *run = start;
    char *out = NULL; /* where decoding goes on, once an escape is seen */
    apr_size_t seq;

    for (;;) {
        p = plain_run_end(p, end);
        if (p == end || *p < 0x20) {
            return 0;
        }
        if (*p >= 0x80) {
            seq = utf8_sequence_len(p, end);
            if (seq == 0) {
                return 0;
            }
            p += seq;
            continue;
        }
        /* A quote or a backslash: flush the run if decoding. */
        if (out == NULL && *p == '\\') {
            if (ps->scratch == NULL) {
                ps->scratch = apr_palloc(ps->pool, (apr_size_t)(end - start));
                ps->scratch_top = ps->scratch;
            }
            out = ps->scratch_top;
        }
        if (out != NULL) {
            memcpy(out, run, (apr_size_t)(p - run));
            out += p - run;
        }
        if (*p == '"') {
            break;
        }
        p = decode_escape(p, end, &out);
        if (p == NULL) {
            return 0;
        }
        run = p;
    }
    ps->at = p + 1;
    if (out == NULL) {
        *str = (const char *)start;
        *len = (apr_size_t)(p - start);
    }
    else {
        *str = ps->scratch_top;
        *len = (apr_size_t)(out - ps->scratch_top);
        ps->scratch_top = out;
    }
    return 1;
}

/* json_strtoint() (strtoll) over digits known to match the grammar, with
 * its refusal of values out of range; "-0" is the integer 0. */
static json_t *make_integer(json_parser_t *ps, const unsigned char *p,
                            const unsigned char *end)
{
    int negative = *p == '-';
    unsigned long long limit = (unsigned long long)JSON_INT_MAX + negative;
    unsigned long long magnitude = 0;
    unsigned digit;

    for (p += negative; p < end; p++) {
        digit = (unsigned)(*p - '0');
        if (magnitude > (limit - digit) / 10) {
            return malformed(ps);
        }
        magnitude = magnitude * 10 + digit;
    }
    if (negative && magnitude > 0) {
        return json_integer(-(json_int_t)(magnitude - 1) - 1);
    }
    return json_integer((json_int_t)magnitude);
}

/* strtod() as jansson calls it: with the locale's decimal point, refusing
 * overflow to infinity but keeping underflow (1e-400 is 0). */
static json_t *make_real(json_parser_t *ps, const unsigned char *p,
                         const unsigned char *end)
{
    apr_size_t len = (apr_size_t)(end - p);
    char stack[REAL_TEXT_MAX], *text, *dot;
    const char *point = localeconv()->decimal_point;
    double value;

    text = len < sizeof(stack) ? stack : apr_palloc(ps->pool, len + 1);
    memcpy(text, p, len);
    text[len] = '\0';
    if (*point != '.' && (dot = strchr(text, '.')) != NULL) {
        *dot = *point;
    }
    errno = 0;
    value = strtod(text, NULL);
    if ((value == HUGE_VAL || value == -HUGE_VAL) && errno == ERANGE) {
        return malformed(ps);
    }
    return json_real(value);
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?; an integer when it has
 * neither fraction nor exponent. */
static json_t *parse_number(json_parser_t *ps)
{
    const unsigned char *start = ps->at, *p = start, *end = ps->end;
    int integral = 1;

    if (*p == '-') {
        p++;
    }
    if (p == end || !is_digit(*p)) {
        return malformed(ps);
    }
    if (*p++ == '0') {
        if (p < end && is_digit(*p)) {
            return malformed(ps);
        }
    }
    else {
        while (p < end && is_digit(*p)) {
            p++;
        }
    }
    if (p < end && *p == '.') {
        integral = 0;
        if (++p == end || !is_digit(*p)) {
            return malformed(ps);
        }
        while (p < end && is_digit(*p)) {
            p++;
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        integral = 0;
        if (++p < end && (*p == '+' || *p == '-')) {
            p++;
        }
        if (p == end || !is_digit(*p)) {
            return malformed(ps);
        }
        while (p < end && is_digit(*p)) {
            p++;
        }
    }
    ps->at = p;
    return integral ? make_integer(ps, start, p) : make_real(ps, start, p);
}

/* true, false or null; whatever follows is the grammar's business, so
 * "truex" fails on the 'x' as jansson's identifier rule makes it fail. */
static json_t *parse_literal(json_parser_t *ps, const char *word,
                             apr_size_t len, json_t *value)
{
    if ((apr_size_t)(ps->end - ps->at) < len || memcmp(ps->at, word, len)) {
        return malformed(ps);
    }
    ps->at += len;
    return value;
}

static json_t *parse_value(json_parser_t *ps, int level);

/* The members of an object whose '{' was consumed. Duplicates are checked
 * on the unescaped key before its value is read, as jansson does. */
static json_t *parse_object(json_parser_t *ps, int level)
{
    json_t *object = json_object(), *value;
    const char *key;
    apr_size_t key_len;

    if (object == NULL) {
        return malformed(ps);
    }
    if (expect(ps, '}')) {
        return object;
    }
    do {
        if (!expect(ps, '"') || !parse_string(ps, &key, &key_len)
            || json_object_getn(object, key, key_len) != NULL
            || !expect(ps, ':')) {
            json_decref(object);
            return malformed(ps);
        }
        skip_whitespace(ps);
        value = parse_value(ps, level + 1);
        /* setn_new releases value when it fails. */
        if (value == NULL
            || json_object_setn_new_nocheck(object, key, key_len, value)) {
            json_decref(object);
            return malformed(ps);
        }
    } while (expect(ps, ','));
    if (!expect(ps, '}')) {
        json_decref(object);
        return malformed(ps);
    }
    return object;
}

/* The elements of an array whose '[' was consumed. */
static json_t *parse_array(json_parser_t *ps, int level)
{
    json_t *array = json_array(), *value;

    if (array == NULL) {
        return malformed(ps);
    }
    if (expect(ps, ']')) {
        return array;
    }
    do {
        skip_whitespace(ps);
        value = parse_value(ps, level + 1);
        if (value == NULL || json_array_append_new(array, value)) {
            json_decref(array);
            return malformed(ps);
        }
    } while (expect(ps, ','));
    if (!expect(ps, ']')) {
        json_decref(array);
        return malformed(ps);
    }
    return array;
}

/* The value starting at ps->at (whitespace skipped), level being its own
 * nesting level: the top-level object is 1, and containers beyond
 * OT_MAX_JSON_DEPTH are refused before they are read. */
static json_t *parse_value(json_parser_t *ps, int level)
{
    const char *str;
    apr_size_t len;

    if (ps->at == ps->end) {
        return malformed(ps);
    }
    switch (*ps->at) {
    case '{':
    case '[':
        if (level > OT_MAX_JSON_DEPTH) {
            return refuse(ps, OT_ERR_TOO_LARGE);
        }
        return *ps->at++ == '{' ? parse_object(ps, level)
                                : parse_array(ps, level);
    case '"':
        ps->at++;
        if (!parse_string(ps, &str, &len)) {
            return malformed(ps);
        }
        return json_stringn_nocheck(str, len);
    case 't':
        return parse_literal(ps, "true", 4, json_true());
    case 'f':
        return parse_literal(ps, "false", 5, json_false());
    case 'n':
        return parse_literal(ps, "null", 4, json_null());
    case '-':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9':
        return parse_number(ps);
    default:
        return malformed(ps);
    }
}

ot_status_t ot_json_parse_object(apr_pool_t *p, const char *text,
                                 apr_size_t len, apr_size_t max_len,
                                 json_t **out)
{
    json_parser_t ps;
    json_t *object;

    *out = NULL;
    if (len > max_len) {
        return OT_ERR_TOO_LARGE;
    }
    if (text == NULL) {
        return OT_ERR_MALFORMED;
    }
    memset(&ps, 0, sizeof(ps));
    ps.at = (const unsigned char *)text;
    ps.end = ps.at + len;
    ps.pool = p;
    /* Only an object is wanted: refuse anything else before reading it. */
    skip_whitespace(&ps);
    if (ps.at == ps.end || *ps.at != '{') {
        return OT_ERR_MALFORMED;
    }
    object = parse_value(&ps, 1);
    if (object == NULL) {
        return ps.status;
    }
    skip_whitespace(&ps);
    if (ps.at != ps.end) {
        json_decref(object);
        return OT_ERR_MALFORMED;
    }
    *out = ot_json_pool_own(p, object);
    return OT_OK;
}
