/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <string.h>

#include "util/urlenc.h"

static int is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
           || c == '~';
}

const char *ot_url_encode(apr_pool_t *p, const char *value)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *c;
    char *out, *o;

    out = o = apr_palloc(p, strlen(value) * 3 + 1);
    for (c = (const unsigned char *)value; *c; c++) {
        if (is_unreserved(*c)) {
            *o++ = (char)*c;
        }
        else {
            *o++ = '%';
            *o++ = hex[*c >> 4];
            *o++ = hex[*c & 0x0f];
        }
    }
    *o = '\0';
    return out;
}
