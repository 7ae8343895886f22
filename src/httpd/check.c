/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Start-up checks: a Bearer section that could never accept a token, or an
 * HMAC algorithm without a long enough secret, stops httpd (also under
 * "httpd -t") with a message that names the directive to add. */

#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>

#include "fetch/fetch.h"
#include "httpd/config.h"
#include "httpd/socache.h"

APLOG_USE_MODULE(oauth_token);

/* The sections of one kind in a server, as core keeps them. */
typedef struct sections_t {
    apr_array_header_t *configs; /* ap_conf_vector_t * */
    const char *kind;            /* "Location", "Directory" */
} sections_t;

static const char *section_path(ap_conf_vector_t *config)
{
    core_dir_config *cdc = ap_get_core_module_config(config);

    return cdc->r ? NULL : cdc->d;
}

/* As httpd matches sections: "/api" covers "/api" and "/api/x", not
 * "/apiv2". */
static int path_covers(const char *outer, const char *path)
{
    apr_size_t len = strlen(outer);

    return !strncmp(path, outer, len)
           && (!path[len] || path[len] == '/'
               || (len && outer[len - 1] == '/'));
}

/* The configuration in force for a section: the server defaults, then every
 * non-regex section of the same kind that covers its path, then the section
 * itself. Sections of other kinds may add to it at request time; see
 * other_kind_sets_audience(). */
static ap_conf_vector_t *merged_section(apr_pool_t *p, server_rec *s,
                                        const sections_t *sections, int index)
{
    ap_conf_vector_t *merged = s->lookup_defaults;
    ap_conf_vector_t **all = (ap_conf_vector_t **)sections->configs->elts;
    const char *path = section_path(all[index]);
    int i;

    for (i = 0; path && i < index; i++) {
        const char *outer = section_path(all[i]);

        if (outer && path_covers(outer, path)) {
            merged = ap_merge_per_dir_configs(p, merged, all[i]);
        }
    }
    return ap_merge_per_dir_configs(p, merged, all[index]);
}

static int other_kind_sets_audience(const sections_t *kinds, int nkinds,
                                    const sections_t *mine)
{
    int k, i;

    for (k = 0; k < nkinds; k++) {
        for (i = 0; &kinds[k] != mine && i < kinds[k].configs->nelts; i++) {
            const ot_dir_conf_t *dc = ap_get_module_config(
                APR_ARRAY_IDX(kinds[k].configs, i, ap_conf_vector_t *),
                &oauth_token_module);

            /* A section without any of this module's directives has none
             * of its configuration. */
            if (dc && dc->audiences) {
                return 1;
            }
        }
    }
    return 0;
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

/* The longest "oct" secret of any issuer of the server, in bytes. */
static apr_size_t longest_secret(const ot_server_conf_t *sc)
{
    apr_size_t longest = 0;
    int i, j;

    for (i = 0; i < sc->issuers->nelts; i++) {
        const ot_jwks_t *jwks =
            APR_ARRAY_IDX(sc->issuers, i, ot_issuer_t *)->jwks;

        for (j = 0; jwks && j < jwks->keys->nelts; j++) {
            const ot_jwk_t *key = APR_ARRAY_IDX(jwks->keys, j, ot_jwk_t *);

            if (key->kty == OT_KTY_OCT && key->secret_len > longest) {
                longest = key->secret_len;
            }
        }
    }
    return longest;
}

/* RFC 7518 3.2: an HMAC key at least as long as the hash; the strongest
 * HS algorithm listed sets the bar. */
static const ot_alg_t *hmac_without_secret(const ot_server_conf_t *sc,
                                           ot_alg_set_t algorithms)
{
    static const char *const names[] = {"HS512", "HS384", "HS256"};
    apr_size_t secret = longest_secret(sc);
    int i;

    for (i = 0; i < 3; i++) {
        const ot_alg_t *alg = ot_alg_by_name(names[i]);

        if ((algorithms & alg->bit) && secret < alg->sig_len) {
            return alg;
        }
    }
    return NULL;
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

/* AuthType OIDC needs a client at an issuer and a callback path. */
static int check_login(server_rec *s, const ot_server_conf_t *sc,
                       const char *kind, const char *where)
{
    const ot_login_conf_t *login = &sc->login;

    if (!login->client_id || !login->issuer) {
        return refuse(s, kind, where,
                      "AuthType OIDC without a login client: add "
                      "OAuthTokenIssuer URL and, after it, OAuthTokenClient "
                      "CLIENT_ID SECRET");
    }
    if (!login->client_secret) {
        return refuse(s, kind, where,
                      "AuthType OIDC: OAuthTokenClient has no secret; give "
                      "it as OAuthTokenClient CLIENT_ID SECRET|file:PATH");
    }
    if (!login->redirect_path) {
        return refuse(s, kind, where,
                      "AuthType OIDC without OAuthTokenRedirectURI: add the "
                      "callback path registered at the provider, e.g. "
                      "OAuthTokenRedirectURI /oauth/callback");
    }
    return OK;
}

/* audience_elsewhere: a section of another kind sets OAuthTokenAudience,
 * which may or may not apply to this one's requests: then a missing
 * audience is a warning (requests that find none get a 500), not a
 * refusal to start. */
static int check_policy(apr_pool_t *p, server_rec *s,
                        const ot_server_conf_t *sc, ap_conf_vector_t *config,
                        const char *kind, const char *where,
                        int audience_elsewhere)
{
    const ot_dir_conf_t *dc = ap_get_module_config(config, &oauth_token_module);
    const char *type = auth_type_of(p, s, config);
    const ot_alg_t *hmac = hmac_without_secret(sc, dc->algorithms);
    const char *login_client = audience_is_login_client(sc, dc);

    if (hmac) {
        return refuse(s, kind, where,
                      apr_psprintf(p,
                                   "OAuthTokenAlgorithms lists %s but no "
                                   "OAuthTokenJWKS of this server holds an "
                                   "\"oct\" key of at least %u bytes: add the "
                                   "shared secret to the issuer's key file, "
                                   "or remove the algorithm",
                                   hmac->name, hmac->sig_len));
    }
    if (type && !strcasecmp(type, "OIDC")) {
        return check_login(s, sc, kind, where);
    }
    if (!type || strcasecmp(type, "Bearer")) {
        return OK;
    }
    if (!sc->issuers->nelts) {
        return refuse(s, kind, where,
                      "AuthType Bearer but no OAuthTokenIssuer in this "
                      "server: add OAuthTokenIssuer URL (keys are "
                      "discovered, or given with OAuthTokenJWKS)");
    }
    if (login_client) {
        return refuse(s, kind, where,
                      apr_psprintf(p,
                                   "OAuthTokenAudience %s is also the "
                                   "OAuthTokenClient login client: tokens "
                                   "with that audience are ID tokens, which "
                                   "are never accepted as access tokens; "
                                   "give the API's own identifier",
                                   login_client));
    }
    if (dc->audiences && dc->audiences->nelts) {
        return OK;
    }
    if (audience_elsewhere) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     APLOGNO(99003) "<%s %s>: AuthType Bearer without "
                                    "OAuthTokenAudience here; unless a "
                                    "section of another kind gives one, its "
                                    "requests will get 500",
                     kind, where ? where : "(regex)");
        return OK;
    }
    return refuse(s, kind, where,
                  "AuthType Bearer without OAuthTokenAudience: add "
                  "OAuthTokenAudience with this API's identifier (RFC 9068 "
                  "requires the audience to be checked)");
}

/* Keys come from a file, or are discovered under the issuer (or at the
 * URLs given), which must then be fetchable. */
static int check_issuers(apr_pool_t *p, server_rec *s,
                         const ot_server_conf_t *sc)
{
    int i;

    for (i = 0; i < sc->issuers->nelts; i++) {
        const ot_issuer_t *issuer =
            APR_ARRAY_IDX(sc->issuers, i, ot_issuer_t *);

        if (!issuer->jwks && !issuer->jwks_url && !issuer->metadata_url
            && !ot_fetch_url_allowed(p, issuer->issuer)) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                         APLOGNO(99002) "OAuthTokenIssuer %s: its keys would "
                                        "be discovered under a URL that is "
                                        "not https; add OAuthTokenJWKS "
                                        "file:PATH or an https "
                                        "OAuthTokenMetadataURL",
                         issuer->issuer);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return OK;
}

static int check_server(apr_pool_t *p, server_rec *s)
{
    core_server_config *csc = ap_get_core_module_config(s->module_config);
    const ot_server_conf_t *sc =
        ap_get_module_config(s->module_config, &oauth_token_module);
    const sections_t kinds[] = {{csc->sec_url, "Location"},
                                {csc->sec_dir, "Directory"}};
    int k, i, rv = check_issuers(p, s, sc);

    for (k = 0; k < 2; k++) {
        int elsewhere = other_kind_sets_audience(kinds, 2, &kinds[k]);

        for (i = 0; rv == OK && i < kinds[k].configs->nelts; i++) {
            rv = check_policy(p, s, sc, merged_section(p, s, &kinds[k], i),
                              kinds[k].kind,
                              section_path(APR_ARRAY_IDX(kinds[k].configs, i,
                                                         ap_conf_vector_t *)),
                              elsewhere);
        }
    }
    if (rv == OK) {
        rv = check_policy(p, s, sc, s->lookup_defaults,
                          s->is_virtual ? "VirtualHost" : "server",
                          s->server_hostname, 0);
    }
    return rv;
}

/* Issuers mean validated tokens and provider documents to share: the
 * socache provider must be loaded. */
static int check_cache(apr_pool_t *p, server_rec *s)
{
    const ot_server_conf_t *main_conf =
        ap_get_module_config(s->module_config, &oauth_token_module);
    const char *spec = main_conf->provider.cache_spec;
    const char *err =
        ot_socache_check(p, "OAuthTokenCache", spec ? spec : "shmcb");
    server_rec *vs;

    if (!err && main_conf->provider.session_spec) {
        err = ot_socache_check(p, "OAuthTokenSessionStore",
                               main_conf->provider.session_spec);
    }

    for (vs = s; err && vs; vs = vs->next) {
        const ot_server_conf_t *sc =
            ap_get_module_config(vs->module_config, &oauth_token_module);

        if (sc->issuers->nelts) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, APLOGNO(99004) "%s",
                         err);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return OK;
}

int ot_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                    server_rec *s)
{
    server_rec *vs;
    int rv = check_cache(ptemp, s);

    (void)pconf;
    (void)plog;
    for (vs = s; vs && rv == OK; vs = vs->next) {
        rv = check_server(ptemp, vs);
    }
    return rv;
}
