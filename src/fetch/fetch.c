/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_uri.h>

#include "fetch/fetch.h"

/* RFC 9111 1.2.2: a delta-seconds too large to represent counts as 2^31. */
#define FETCH_MAX_DELTA_SECONDS APR_INT64_C(2147483648)

/* Only printable ASCII without spaces or backslashes: a URL that passes
 * can go into a log line as it is, and URL parsers that treat '\' as '/'
 * (browsers, some libraries) cannot read a different host than APR does. */
static int fetch_url_chars_ok(const char *url)
{
    const unsigned char *s;

    for (s = (const unsigned char *)url; *s != '\0'; s++) {
        if (*s <= 0x20 || *s >= 0x7f || *s == '\\') {
            return 0;
        }
    }
    return s != (const unsigned char *)url;
}

/* Literal loopback addresses and the name "localhost" only: other names
 * could resolve anywhere, and inet_pton refuses the short and octal forms
 * ("127.1", "0177.0.0.1") whose meaning differs between resolvers. */
static int fetch_host_is_loopback(const char *host)
{
    struct in_addr v4;
    struct in6_addr v6;

    if (strcasecmp(host, "localhost") == 0) {
        return 1;
    }
    if (inet_pton(AF_INET, host, &v4) == 1) {
        return (ntohl(v4.s_addr) >> 24) == 127;
    }
    if (inet_pton(AF_INET6, host, &v6) == 1) {
        return IN6_IS_ADDR_LOOPBACK(&v6);
    }
    return 0;
}

int ot_fetch_url_allowed(apr_pool_t *p, const char *url)
{
    apr_uri_t uri;

    if (url == NULL || !fetch_url_chars_ok(url)) {
        return 0;
    }
    if (apr_uri_parse(p, url, &uri) != APR_SUCCESS || uri.scheme == NULL
        || uri.hostname == NULL || *uri.hostname == '\0') {
        return 0;
    }
    /* Credentials in a URL end up in logs and in the Referer of nobody
     * knows what; "https://good@evil/" is also a classic way to mislead a
     * reader about the host. */
    if (uri.user != NULL || uri.password != NULL) {
        return 0;
    }
    if (strcasecmp(uri.scheme, "https") == 0) {
        return 1;
    }
    if (strcasecmp(uri.scheme, "http") == 0) {
        return fetch_host_is_loopback(uri.hostname);
    }
    return 0;
}

/* ---- Cache-Control (RFC 9111 5.2) ---- */

/* RFC 9110 5.6.2 tchar. */
static int fetch_is_tchar(char c)
{
    return apr_isalnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

static const char *fetch_skip_ows(const char *s)
{
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    return s;
}

/* A directive's argument: a token or a quoted-string (RFC 9110 5.6.4),
 * whose content (without quotes, escapes still in) is [*value, *len).
 * NULL when the quoted-string is unterminated. */
static const char *fetch_argument(const char *s, const char **value,
                                  apr_size_t *len)
{
    const char *start;

    if (*s != '"') {
        for (start = s; fetch_is_tchar(*s); s++) {
        }
        *value = start;
        *len = (apr_size_t)(s - start);
        return s;
    }
    for (start = ++s; *s != '"'; s++) {
        if (*s == '\0' || (*s == '\\' && *++s == '\0')) {
            return NULL;
        }
    }
    *value = start;
    *len = (apr_size_t)(s - start);
    return s + 1;
}

/* delta-seconds (RFC 9111 1.2.2): digits only, capped at 2^31; -1 when
 * the argument is not a number. */
static apr_int64_t fetch_delta_seconds(const char *s, apr_size_t len)
{
    apr_int64_t n = 0;
    apr_size_t i;

    if (len == 0) {
        return -1;
    }
    for (i = 0; i < len; i++) {
        if (!apr_isdigit(s[i])) {
            return -1;
        }
        if (n < FETCH_MAX_DELTA_SECONDS) {
            n = n * 10 + (s[i] - '0');
        }
    }
    return n < FETCH_MAX_DELTA_SECONDS ? n : FETCH_MAX_DELTA_SECONDS;
}

static int fetch_is_directive(const char *name, apr_size_t len,
                              const char *want)
{
    return len == strlen(want) && strncasecmp(name, want, len) == 0;
}

apr_int64_t ot_fetch_max_age(const char *cache_control)
{
    const char *s = cache_control, *name, *value;
    apr_size_t name_len, value_len;
    apr_int64_t max_age = -1;
    int seen_max_age = 0, no_cache = 0;

    if (s == NULL) {
        return -1;
    }
    for (;;) {
        while (*s == ',' || *s == ' ' || *s == '\t') {
            s++;
        }
        if (*s == '\0') {
            break;
        }
        for (name = s; fetch_is_tchar(*s); s++) {
        }
        name_len = (apr_size_t)(s - name);
        value = NULL;
        value_len = 0;
        if (name_len > 0 && *s == '=') {
            s = fetch_argument(s + 1, &value, &value_len);
        }
        if (name_len == 0 || s == NULL) {
            return -1;
        }
        s = fetch_skip_ows(s);
        if (*s != ',' && *s != '\0') {
            return -1;
        }
        if (fetch_is_directive(name, name_len, "no-store")
            || fetch_is_directive(name, name_len, "no-cache")) {
            no_cache = 1;
        }
        /* RFC 9111 4.2.1: with several max-age, the first one counts. */
        else if (fetch_is_directive(name, name_len, "max-age")
                 && !seen_max_age) {
            seen_max_age = 1;
            max_age = value ? fetch_delta_seconds(value, value_len) : -1;
        }
    }
    return no_cache ? 0 : max_age;
}
