/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <apr_lib.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_protocol.h>

#include "httpd/bearer.h"
#include "httpd/config.h"

/* RFC 6750 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" )
 * *"=". A comma here means two Authorization headers were merged. Checked
 * on every request, so by table. */
static int is_b64token_char(unsigned char c)
{
    static const char allowed[256] = {
        ['-'] = 1, ['.'] = 1, ['_'] = 1, ['~'] = 1, ['+'] = 1, ['/'] = 1,
        ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
        ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['A'] = 1, ['B'] = 1,
        ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
        ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1,
        ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1,
        ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
        ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
        ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
        ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
        ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
        ['y'] = 1, ['z'] = 1,
    };

    return allowed[c];
}

int ot_bearer_well_formed(const char *token)
{
    const unsigned char *c = (const unsigned char *)token;

    while (is_b64token_char(*c)) {
        c++;
    }
    if (c == (const unsigned char *)token) {
        return 0;
    }
    while (*c == '=') {
        c++;
    }
    return *c == '\0';
}

/* The token of an "Authorization: Bearer" header, not yet checked; NULL
 * when the header is absent or of another scheme. */
static const char *header_token(request_rec *r)
{
    const char *value = apr_table_get(r->headers_in, "Authorization");
    const char *end;

    if (!value) {
        return NULL;
    }
    while (apr_isspace(*value)) {
        value++;
    }
    if (strncasecmp(value, "Bearer", 6)
        || (value[6] != '\0' && !apr_isspace(value[6]))) {
        return NULL;
    }
    value += 6;
    while (apr_isspace(*value)) {
        value++;
    }
    /* The header's own copy serves unless it needs trimming. */
    end = value + strlen(value);
    while (end > value && end[-1] == ' ') {
        end--;
    }
    return *end ? apr_pstrmemdup(r->pool, value, (apr_size_t)(end - value))
                : value;
}

/* Counts access_token parameters in the query, names compared after
 * percent-decoding so "access%5Ftoken" is not a way around the rules;
 * *token gets the last value ("" when it cannot be decoded). */
static int query_tokens(request_rec *r, const char **token)
{
    const char *args = r->args;
    int count = 0;

    while (args && *args) {
        char *value = ap_getword(r->pool, &args, '&');
        char *name = ap_getword_nc(r->pool, &value, '=');

        if (ap_unescape_urlencoded(name) == OK
            && !strcmp(name, "access_token")) {
            count++;
            *token = ap_unescape_urlencoded(value) == OK ? value : "";
        }
    }
    return count;
}

ot_bearer_t ot_bearer_find(request_rec *r, int token_in, const char **token)
{
    const char *from_header = header_token(r);
    const char *from_query = NULL;
    int in_query = query_tokens(r, &from_query);

    if (in_query > 1 || (in_query && from_header)) {
        return OT_BEARER_TWICE;
    }
    if (from_header) {
        if (!(token_in & OT_TOKEN_IN_HEADER)) {
            return OT_BEARER_NOT_HERE;
        }
        *token = from_header;
    }
    else if (in_query) {
        if (!(token_in & OT_TOKEN_IN_QUERY)) {
            return OT_BEARER_NOT_HERE;
        }
        *token = from_query;
    }
    else {
        return OT_BEARER_NONE;
    }
    return **token ? OT_BEARER_FOUND : OT_BEARER_MALFORMED;
}

const char *ot_bearer_problem(ot_bearer_t result)
{
    switch (result) {
    case OT_BEARER_MALFORMED:
        return "malformed bearer token";
    case OT_BEARER_TWICE:
        return "more than one access token in the request";
    case OT_BEARER_NOT_HERE:
        return "access token sent where this resource does not accept it";
    default:
        return "no access token";
    }
}
