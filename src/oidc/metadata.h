/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Provider metadata: RFC 8414 authorization server metadata and OpenID
 * Connect Discovery 1.0. The document's issuer must equal the configured
 * one exactly: the mix-up defence. */

#ifndef OT_METADATA_H
#define OT_METADATA_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>
#include "ot.h"

typedef struct ot_metadata_t {
    const char *issuer;
    const char *jwks_uri;
    const char *introspection_endpoint;  /* NULL when absent */
    const char *token_endpoint;
    const char *authorization_endpoint;
    const char *end_session_endpoint;
    const char *revocation_endpoint;
    int iss_parameter_supported;         /* RFC 9207 */
    json_t *document;
} ot_metadata_t;

/* The well-known URLs for issuer, in the order to try them (const char *):
 * RFC 8414 section 3.1 (/.well-known/oauth-authorization-server inserted
 * before the issuer's path), then OpenID Connect Discovery 4
 * (/.well-known/openid-configuration appended). NULL for an issuer that
 * is not an absolute URL without query or fragment. */
apr_array_header_t *ot_metadata_urls(apr_pool_t *p, const char *issuer);

/* Parses a metadata document: a JSON object with "issuer" equal to issuer
 * byte for byte (OT_ERR_ISSUER otherwise) and a "jwks_uri" that
 * ot_fetch_url_allowed() accepts (OT_ERR_MALFORMED otherwise; endpoints
 * that are present must be allowed URLs too). */
ot_status_t ot_metadata_parse(apr_pool_t *p, const char *text,
                              apr_size_t len, const char *issuer,
                              ot_metadata_t **out, const char **why);

#endif
