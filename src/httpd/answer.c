/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <apr_strings.h>
#include <httpd.h>
#include <http_core.h>
#include <http_log.h>

#include "httpd/answer.h"

APLOG_USE_MODULE(oauth_token);

#define WWW_AUTHENTICATE "WWW-Authenticate"

/* One tag per refusal reason, so a log search finds one kind of failure. */
static const char *const invalid_token_tag[] = {
    [OT_OK] = APLOGNO(99010),
    [OT_ERR_MALFORMED] = APLOGNO(99011),
    [OT_ERR_TOO_LARGE] = APLOGNO(99012),
    [OT_ERR_HEADER] = APLOGNO(99013),
    [OT_ERR_ALG] = APLOGNO(99014),
    [OT_ERR_NO_KEY] = APLOGNO(99015),
    [OT_ERR_SIGNATURE] = APLOGNO(99016),
    [OT_ERR_TYP] = APLOGNO(99017),
    [OT_ERR_ISSUER] = APLOGNO(99018),
    [OT_ERR_AUDIENCE] = APLOGNO(99019),
    [OT_ERR_EXPIRED] = APLOGNO(99020),
    [OT_ERR_NOT_YET_VALID] = APLOGNO(99021),
    [OT_ERR_CLAIM] = APLOGNO(99022),
    [OT_ERR_ID_TOKEN] = APLOGNO(99023),
    [OT_ERR_KEY] = APLOGNO(99024),
    [OT_ERR_INACTIVE] = APLOGNO(99026),
    [OT_ERR_UNAVAILABLE] = APLOGNO(99027),
    [OT_ERR_NOT_FOUND] = APLOGNO(99028),
    [OT_ERR_BUSY] = APLOGNO(99029),
    [OT_ERR_INTERNAL] = APLOGNO(99025),
};

/* A quoted-string (RFC 9110 5.6.4) from configured text (a Require
 * line's scopes) or the module's own; control characters become spaces so
 * no header can be split. */
static const char *quoted(apr_pool_t *p, const char *text)
{
    char *out = apr_palloc(p, 2 * strlen(text) + 3), *o = out;
    const unsigned char *c;

    *o++ = '"';
    for (c = (const unsigned char *)text; *c; c++) {
        if (*c == '"' || *c == '\\') {
            *o++ = '\\';
        }
        *o++ = (*c < 0x20 || *c == 0x7f) ? ' ' : (char)*c;
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

/* ap_auth_name() is already escaped for a quoted-string by mod_authn_core
 * (AuthName goes through ap_escape_quotes), so it only loses control
 * characters here. */
static const char *realm_of(request_rec *r)
{
    const char *name = ap_auth_name(r);
    char *realm, *c;

    if (!name) {
        return NULL;
    }
    realm = apr_pstrdup(r->pool, name);
    for (c = realm; *c; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f) {
            *c = ' ';
        }
    }
    return apr_pstrcat(r->pool, "\"", realm, "\"", NULL);
}

static void set_challenge(request_rec *r, const char *error,
                          const char *description, const char *scope)
{
    const char *realm = realm_of(r);
    const char *challenge = "Bearer";
    const char *sep = " ";

    if (realm) {
        challenge = apr_pstrcat(r->pool, challenge, sep, "realm=", realm, NULL);
        sep = ", ";
    }
    if (error) {
        challenge =
            apr_pstrcat(r->pool, challenge, sep, "error=\"", error, "\"", NULL);
        sep = ", ";
    }
    if (description) {
        challenge = apr_pstrcat(r->pool, challenge, sep, "error_description=",
                                quoted(r->pool, description), NULL);
    }
    if (scope) {
        challenge = apr_pstrcat(r->pool, challenge, sep,
                                "scope=", quoted(r->pool, scope), NULL);
    }
    apr_table_setn(r->err_headers_out, WWW_AUTHENTICATE, challenge);
}

int ot_answer_no_token(request_rec *r)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  APLOGNO(99030) "no bearer token in the request to %s",
                  r->uri);
    set_challenge(r, NULL, NULL, NULL);
    return HTTP_UNAUTHORIZED;
}

int ot_answer_invalid_request(request_rec *r, const char *why)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  APLOGNO(99031) "invalid request to %s: %s", r->uri, why);
    set_challenge(r, "invalid_request", why, NULL);
    return HTTP_BAD_REQUEST;
}

int ot_answer_invalid_token(request_rec *r, ot_status_t status,
                            const char *detail)
{
    const char *tag =
        status < sizeof(invalid_token_tag) / sizeof(invalid_token_tag[0])
                && invalid_token_tag[status]
            ? invalid_token_tag[status]
            : invalid_token_tag[OT_ERR_INTERNAL];

    /* Not the client's fault: no challenge that would blame its token. */
    if (status == OT_ERR_INTERNAL) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "%scannot validate the token for %s: %s%s%s%s", tag,
                      r->uri, ot_status_text(status), detail ? " (" : "",
                      detail ? detail : "", detail ? ")" : "");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "%stoken refused for %s: %s%s%s%s", tag, r->uri,
                  ot_status_text(status), detail ? " (" : "",
                  detail ? detail : "", detail ? ")" : "");
    set_challenge(r, "invalid_token", ot_status_text(status), NULL);
    return HTTP_UNAUTHORIZED;
}

int ot_answer_misconfigured(request_rec *r, const char *what)
{
    ap_log_rerror(
        APLOG_MARK, APLOG_ERR, 0, r,
        APLOGNO(99032) "AuthType Bearer at %s cannot accept any token: %s",
        r->uri, what);
    return HTTP_INTERNAL_SERVER_ERROR;
}

int ot_answer_unavailable(request_rec *r, const char *why)
{
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                  APLOGNO(99034) "cannot authenticate the request to %s now: "
                                 "%s",
                  r->uri, why ? why : "no reason given");
    apr_table_setn(r->err_headers_out, "Retry-After", "5");
    return HTTP_SERVICE_UNAVAILABLE;
}

void ot_answer_add_insufficient_scope(request_rec *r, const char *scope)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  APLOGNO(99033) "token of %s lacks what %s requires%s%s",
                  r->user, r->uri, scope ? ": scope " : "", scope ? scope : "");
    set_challenge(r, "insufficient_scope",
                  scope ? "the token lacks a required scope"
                        : "the token does not grant this request",
                  scope);
}
