/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Start-up checks: a Bearer section that could never accept a token, or an
 * HMAC algorithm without a secret, stops httpd (also under "httpd -t") with
 * a message that names the directive to add. */

#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>

#include "httpd/config.h"

APLOG_USE_MODULE(oauth_token);

typedef struct section_t {
    ap_conf_vector_t *config;
    const char *path; /* NULL for a regex section */
    const char *kind; /* "Location" or "Directory" */
} section_t;

static const char *section_path(ap_conf_vector_t *config)
{
    core_dir_config *cdc = ap_get_core_module_config(config);

    return cdc->r ? NULL : cdc->d;
}

/* The configuration in force for a section: the server defaults, then every
 * non-regex section of the same kind whose path is a prefix of this one,
 * then the section itself. Close enough to the request-time merge to find
 * what a section lacks without false alarms from nested sections. */
static ap_conf_vector_t *merged_section(apr_pool_t *p, server_rec *s,
                                        apr_array_header_t *sections, int index)
{
    ap_conf_vector_t *merged = s->lookup_defaults;
    ap_conf_vector_t **all = (ap_conf_vector_t **)sections->elts;
    const char *path = section_path(all[index]);
    int i;

    for (i = 0; path && i < index; i++) {
        const char *outer = section_path(all[i]);

        if (outer && !strncmp(path, outer, strlen(outer))) {
            merged = ap_merge_per_dir_configs(p, merged, all[i]);
        }
    }
    return ap_merge_per_dir_configs(p, merged, all[index]);
}

static const char *auth_type_of(apr_pool_t *p, server_rec *s,
                                ap_conf_vector_t *config)
{
    APR_OPTIONAL_FN_TYPE(authn_ap_auth_type) *auth_type =
        APR_RETRIEVE_OPTIONAL_FN(authn_ap_auth_type);
    request_rec fake;

    /* ap_auth_type() only learns of mod_authn_core in post_config, which
     * "httpd -t" never reaches: ask mod_authn_core itself. It reads nothing
     * but the per-directory configuration. */
    if (!auth_type) {
        return NULL;
    }
    memset(&fake, 0, sizeof(fake));
    fake.pool = p;
    fake.server = s;
    fake.per_dir_config = config;
    return auth_type(&fake);
}

static int any_issuer_has_oct(const ot_server_conf_t *sc)
{
    int i;

    for (i = 0; i < sc->issuers->nelts; i++) {
        const ot_issuer_t *issuer =
            APR_ARRAY_IDX(sc->issuers, i, ot_issuer_t *);

        if (issuer->jwks && ot_jwks_has_oct(issuer->jwks)) {
            return 1;
        }
    }
    return 0;
}

/* An access token for this resource would then look like an ID token and
 * be refused, every time. */
static const char *audience_is_login_client(const ot_server_conf_t *sc,
                                            const ot_dir_conf_t *dc)
{
    int i, j;

    for (i = 0; dc->audiences && i < dc->audiences->nelts; i++) {
        const char *aud = APR_ARRAY_IDX(dc->audiences, i, const char *);

        for (j = 0; j < sc->login_clients->nelts; j++) {
            if (!strcmp(aud,
                        APR_ARRAY_IDX(sc->login_clients, j, const char *))) {
                return aud;
            }
        }
    }
    return NULL;
}

static int refuse(server_rec *s, const char *kind, const char *where,
                  const char *what)
{
    ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, APLOGNO(99001) "<%s %s>: %s",
                 kind, where ? where : "(regex)", what);
    return HTTP_INTERNAL_SERVER_ERROR;
}

static int check_policy(apr_pool_t *p, server_rec *s,
                        const ot_server_conf_t *sc, ap_conf_vector_t *config,
                        const char *kind, const char *where)
{
    const ot_dir_conf_t *dc = ap_get_module_config(config, &oauth_token_module);
    const char *type = auth_type_of(p, s, config);

    if (ot_alg_set_has_hmac(dc->algorithms) && !any_issuer_has_oct(sc)) {
        return refuse(s, kind, where,
                      "OAuthTokenAlgorithms lists an HMAC "
                      "algorithm (HS256/384/512) but no OAuthTokenJWKS of "
                      "this server holds an \"oct\" key: add the shared "
                      "secret to the issuer's key file, or remove the HS "
                      "algorithm");
    }
    if (!type || strcasecmp(type, "Bearer")) {
        return OK;
    }
    if (!sc->issuers->nelts) {
        return refuse(s, kind, where,
                      "AuthType Bearer but no "
                      "OAuthTokenIssuer in this server: add "
                      "OAuthTokenIssuer URL and OAuthTokenJWKS file:PATH");
    }
    if (audience_is_login_client(sc, dc)) {
        return refuse(
            s, kind, where,
            apr_psprintf(p,
                         "OAuthTokenAudience "
                         "%s is also the OAuthTokenClient login client: tokens "
                         "with that audience are ID tokens, which are never "
                         "accepted as access tokens; give the API's own "
                         "identifier",
                         audience_is_login_client(sc, dc)));
    }
    if (!dc->audiences || !dc->audiences->nelts) {
        return refuse(s, kind, where,
                      "AuthType Bearer without "
                      "OAuthTokenAudience: add OAuthTokenAudience with this "
                      "API's identifier (RFC 9068 requires the audience to "
                      "be checked)");
    }
    return OK;
}

static int check_section(apr_pool_t *p, server_rec *s,
                         const ot_server_conf_t *sc,
                         apr_array_header_t *sections, int index,
                         const char *kind)
{
    return check_policy(
        p, s, sc, merged_section(p, s, sections, index), kind,
        section_path(APR_ARRAY_IDX(sections, index, ap_conf_vector_t *)));
}

static int check_issuers(server_rec *s, const ot_server_conf_t *sc)
{
    int i;

    for (i = 0; i < sc->issuers->nelts; i++) {
        const ot_issuer_t *issuer =
            APR_ARRAY_IDX(sc->issuers, i, ot_issuer_t *);

        if (!issuer->jwks) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                         APLOGNO(99002) "OAuthTokenIssuer %s has no keys: add "
                                        "OAuthTokenJWKS file:PATH after it",
                         issuer->issuer);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return OK;
}

int ot_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                    server_rec *s)
{
    for (; s; s = s->next) {
        core_server_config *csc = ap_get_core_module_config(s->module_config);
        const ot_server_conf_t *sc =
            ap_get_module_config(s->module_config, &oauth_token_module);
        int i, rv = check_issuers(s, sc);
        (void)pconf;
        (void)plog;

        for (i = 0; rv == OK && i < csc->sec_url->nelts; i++) {
            rv = check_section(ptemp, s, sc, csc->sec_url, i, "Location");
        }
        for (i = 0; rv == OK && i < csc->sec_dir->nelts; i++) {
            rv = check_section(ptemp, s, sc, csc->sec_dir, i, "Directory");
        }
        if (rv == OK) {
            rv = check_policy(ptemp, s, sc, s->lookup_defaults,
                              s->is_virtual ? "VirtualHost" : "server",
                              s->server_hostname);
        }
        if (rv != OK) {
            return rv;
        }
    }
    return OK;
}
