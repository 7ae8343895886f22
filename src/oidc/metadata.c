/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <string.h>

#include <apr_strings.h>
#include <apr_uri.h>

#include "fetch/fetch.h"
#include "oidc/metadata.h"
#include "util/json.h"

#define METADATA_RFC8414 "/.well-known/oauth-authorization-server"
#define METADATA_OIDC "/.well-known/openid-configuration"

/* Where the issuer's path starts: after "scheme://authority". */
static apr_size_t metadata_path_offset(const char *issuer)
{
    const char *authority = strstr(issuer, "://") + 3;

    return (apr_size_t)(authority - issuer) + strcspn(authority, "/");
}

apr_array_header_t *ot_metadata_urls(apr_pool_t *p, const char *issuer)
{
    apr_array_header_t *urls;
    const char *origin, *path;
    apr_size_t at, path_len;
    apr_uri_t uri;

    if (issuer == NULL || strpbrk(issuer, "?#") != NULL
        || strstr(issuer, "://") == NULL
        || apr_uri_parse(p, issuer, &uri) != APR_SUCCESS || uri.scheme == NULL
        || uri.hostname == NULL || *uri.hostname == '\0') {
        return NULL;
    }
    at = metadata_path_offset(issuer);
    origin = apr_pstrmemdup(p, issuer, at);
    path = issuer + at;
    path_len = strlen(path);
    /* Both specifications drop one terminating "/" before adding their
     * suffix: "https://h/" has the same documents as "https://h". */
    if (path_len > 0 && path[path_len - 1] == '/') {
        path_len--;
    }
    urls = apr_array_make(p, 2, sizeof(const char *));
    /* RFC 8414 3.1: the well-known part goes between host and path. */
    APR_ARRAY_PUSH(urls, const char *) = apr_pstrcat(
        p, origin, METADATA_RFC8414, apr_pstrmemdup(p, path, path_len), NULL);
    /* OpenID Connect Discovery 4: appended to the whole issuer. */
    APR_ARRAY_PUSH(urls, const char *) = apr_pstrcat(
        p, apr_pstrmemdup(p, issuer, at + path_len), METADATA_OIDC, NULL);
    return urls;
}

/* A provider's string goes into a log message only when short and
 * printable. */
static const char *metadata_quote(apr_pool_t *p, const char *s)
{
    apr_size_t i;

    for (i = 0; s[i] != '\0'; i++) {
        if (i >= 200 || s[i] < 0x20 || s[i] >= 0x7f || s[i] == '"'
            || s[i] == '\\') {
            return "(unprintable)";
        }
    }
    return apr_psprintf(p, "\"%s\"", s);
}

/* An endpoint member: absent (NULL, OT_OK when optional), or a string the
 * fetch policy allows. */
static ot_status_t metadata_url(apr_pool_t *p, json_t *doc, const char *name,
                                int required, const char **out,
                                const char **why)
{
    json_t *v = json_object_get(doc, name);

    *out = NULL;
    if (v == NULL && !required) {
        return OT_OK;
    }
    if (v == NULL) {
        *why = apr_psprintf(p, "metadata has no \"%s\"", name);
        return OT_ERR_MALFORMED;
    }
    if (!json_is_string(v) || !ot_fetch_url_allowed(p, json_string_value(v))) {
        *why = apr_psprintf(p,
                            "metadata \"%s\" is not an allowed URL (https, "
                            "or http to a loopback address; no user info)",
                            name);
        return OT_ERR_MALFORMED;
    }
    *out = json_string_value(v);
    return OT_OK;
}

/* Byte for byte (RFC 8414 3.3, OpenID Connect Discovery 4.3): a provider
 * answering for another issuer is the mix-up attack, and a trailing "/"
 * makes another issuer. */
static ot_status_t metadata_issuer(apr_pool_t *p, json_t *doc,
                                   const char *issuer, const char **why)
{
    const char *iss = ot_json_string(doc, "issuer");

    if (iss == NULL) {
        *why = "metadata has no \"issuer\" string";
        return OT_ERR_ISSUER;
    }
    if (strcmp(iss, issuer) != 0) {
        *why = apr_psprintf(p, "metadata issuer %s is not the configured %s",
                            metadata_quote(p, iss), metadata_quote(p, issuer));
        return OT_ERR_ISSUER;
    }
    return OT_OK;
}

static ot_status_t metadata_endpoints(apr_pool_t *p, json_t *doc,
                                      ot_metadata_t *md, const char **why)
{
    ot_status_t st;

    if ((st = metadata_url(p, doc, "jwks_uri", 1, &md->jwks_uri, why)) != OT_OK
        || (st = metadata_url(p, doc, "introspection_endpoint", 0,
                              &md->introspection_endpoint, why))
               != OT_OK
        || (st = metadata_url(p, doc, "token_endpoint", 0, &md->token_endpoint,
                              why))
               != OT_OK
        || (st = metadata_url(p, doc, "authorization_endpoint", 0,
                              &md->authorization_endpoint, why))
               != OT_OK
        || (st = metadata_url(p, doc, "end_session_endpoint", 0,
                              &md->end_session_endpoint, why))
               != OT_OK
        || (st = metadata_url(p, doc, "revocation_endpoint", 0,
                              &md->revocation_endpoint, why))
               != OT_OK) {
        return st;
    }
    return OT_OK;
}

ot_status_t ot_metadata_parse(apr_pool_t *p, const char *text, apr_size_t len,
                              const char *issuer, ot_metadata_t **out,
                              const char **why)
{
    ot_metadata_t *md;
    json_t *doc, *iss_param;
    ot_status_t st;

    *out = NULL;
    st = ot_json_parse_object(p, text, len, OT_MAX_METADATA_LEN, &doc);
    if (st == OT_ERR_TOO_LARGE) {
        *why = "metadata too large or too deeply nested";
        return st;
    }
    if (st != OT_OK) {
        *why = "metadata is not a JSON object (or has duplicate members)";
        return st;
    }
    if ((st = metadata_issuer(p, doc, issuer, why)) != OT_OK) {
        return st;
    }
    md = apr_pcalloc(p, sizeof(*md));
    md->issuer = ot_json_string(doc, "issuer");
    md->document = doc;
    if ((st = metadata_endpoints(p, doc, md, why)) != OT_OK) {
        return st;
    }
    /* RFC 9207 3. */
    iss_param =
        json_object_get(doc, "authorization_response_iss_parameter_supported");
    if (iss_param != NULL && !json_is_boolean(iss_param)) {
        *why = "metadata \"authorization_response_iss_parameter_supported\" "
               "is not a boolean";
        return OT_ERR_MALFORMED;
    }
    md->iss_parameter_supported = json_is_true(iss_param);
    *out = md;
    return OT_OK;
}
