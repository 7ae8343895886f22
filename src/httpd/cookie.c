/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_protocol.h>

#include "httpd/config.h"
#include "httpd/cookie.h"

int ot_request_is_https(request_rec *r)
{
    return !strcmp(ap_http_scheme(r), "https");
}

/* Walks every Cookie header (httpd merges repeated ones with ", "). */
const char *ot_cookie_get(request_rec *r, const char *name)
{
    const char *header = apr_table_get(r->headers_in, "Cookie");
    apr_size_t len = strlen(name);

    while (header && *header) {
        const char *end;

        while (*header == ' ' || *header == ';' || *header == ',') {
            header++;
        }
        end = header + strcspn(header, ";,");
        if (!strncmp(header, name, len) && header[len] == '=') {
            return apr_pstrmemdup(r->pool, header + len + 1,
                                  end - (header + len + 1));
        }
        header = end;
    }
    return NULL;
}

/* Written by hand: ap_cookie_write() logs cookie values at debug. */
void ot_cookie_set(request_rec *r, const char *name, const char *value,
                   apr_int64_t max_age, const char *extra_attributes)
{
    const char *cookie = apr_pstrcat(
        r->pool, name, "=", value, "; Path=/; HttpOnly; SameSite=Lax",
        ot_request_is_https(r) ? "; Secure" : "",
        max_age >= 0
            ? apr_psprintf(r->pool, "; Max-Age=%" APR_INT64_T_FMT, max_age)
            : "",
        extra_attributes ? "; " : "", extra_attributes ? extra_attributes : "",
        NULL);

    apr_table_addn(r->err_headers_out, "Set-Cookie", cookie);
}

const char *ot_cookie_session_name(request_rec *r)
{
    const ot_dir_conf_t *dc =
        ap_get_module_config(r->per_dir_config, &oauth_token_module);

    if (dc->cookie_name) {
        return dc->cookie_name;
    }
    return ot_request_is_https(r) ? "__Host-oauth_session" : "oauth_session";
}

const char *ot_cookie_login_prefix(request_rec *r)
{
    return ot_request_is_https(r) ? "__Host-oauth_login_" : "oauth_login_";
}
