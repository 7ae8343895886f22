/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_uri.h>
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>

#include "fetch/fetch.h"
#include "httpd/config.h"
#include "jose/jwks.h"
#include "token/introspect.h"

APLOG_USE_MODULE(oauth_token);

#define OT_DEFAULT_CLOCK_SKEW 60
#define OT_MAX_CLOCK_SKEW 3600

void *ot_create_server_conf(apr_pool_t *p, server_rec *s)
{
    ot_server_conf_t *sc = apr_pcalloc(p, sizeof(*sc));
    (void)s;

    sc->issuers = apr_array_make(p, 2, sizeof(ot_issuer_t *));
    sc->login_clients = apr_array_make(p, 1, sizeof(const char *));
    sc->provider.connect_timeout = OT_UNSET;
    sc->provider.total_timeout = OT_UNSET;
    sc->provider.refresh_interval = OT_UNSET;
    sc->provider.jwks_max_age = OT_UNSET;
    sc->provider.jwks_max_stale = OT_UNSET;
    return sc;
}

void *ot_merge_server_conf(apr_pool_t *p, void *base_, void *add_)
{
    ot_server_conf_t *base = base_, *add = add_;
    ot_server_conf_t *sc = apr_pcalloc(p, sizeof(*sc));

    /* A virtual host that names its own issuers trusts only those. */
    sc->issuers = add->issuers->nelts ? add->issuers : base->issuers;
    sc->login_clients =
        apr_array_append(p, base->login_clients, add->login_clients);
    /* Provider settings are global (GLOBAL_ONLY directives). */
    sc->provider = base->provider;
    sc->login = add->login.client_id ? add->login : base->login;
    if (add->login.client_id && !add->login.redirect_path) {
        sc->login.redirect_path = base->login.redirect_path;
    }
    return sc;
}

void *ot_create_dir_conf(apr_pool_t *p, char *dir)
{
    ot_dir_conf_t *dc = apr_pcalloc(p, sizeof(*dc));
    (void)dir;

    dc->clock_skew = OT_UNSET;
    dc->introspection_ttl = OT_UNSET;
    dc->session_idle = OT_UNSET;
    dc->session_max = OT_UNSET;
    dc->pass_access_token = OT_UNSET;
    return dc;
}

void *ot_merge_dir_conf(apr_pool_t *p, void *base_, void *add_)
{
    ot_dir_conf_t *base = base_, *add = add_;
    ot_dir_conf_t *dc = apr_pcalloc(p, sizeof(*dc));

    dc->audiences = add->audiences ? add->audiences : base->audiences;
    dc->accept_types =
        add->accept_types ? add->accept_types : base->accept_types;
    if (base->pass_claims && add->pass_claims) {
        dc->pass_claims =
            apr_array_append(p, base->pass_claims, add->pass_claims);
    }
    else {
        dc->pass_claims =
            add->pass_claims ? add->pass_claims : base->pass_claims;
    }
    dc->subject_claim =
        add->subject_claim ? add->subject_claim : base->subject_claim;
    dc->scope_claim = add->scope_claim ? add->scope_claim : base->scope_claim;
    dc->algorithms = add->algorithms ? add->algorithms : base->algorithms;
    dc->clock_skew =
        add->clock_skew != OT_UNSET ? add->clock_skew : base->clock_skew;
    dc->token_in = add->token_in ? add->token_in : base->token_in;
    dc->introspect = add->introspect ? add->introspect : base->introspect;
    dc->introspection_ttl = add->introspection_ttl != OT_UNSET
                                ? add->introspection_ttl
                                : base->introspection_ttl;
    dc->login_scope = add->login_scope ? add->login_scope : base->login_scope;
    dc->session_idle =
        add->session_idle != OT_UNSET ? add->session_idle : base->session_idle;
    dc->session_max =
        add->session_max != OT_UNSET ? add->session_max : base->session_max;
    dc->cookie_name = add->cookie_name ? add->cookie_name : base->cookie_name;
    dc->cookie_attrs =
        add->cookie_name ? add->cookie_attrs : base->cookie_attrs;
    dc->pass_access_token = add->pass_access_token != OT_UNSET
                                ? add->pass_access_token
                                : base->pass_access_token;
    return dc;
}

int ot_dir_token_in(const ot_dir_conf_t *dc)
{
    return dc->token_in ? dc->token_in : OT_TOKEN_IN_HEADER;
}

int ot_dir_introspect(const ot_dir_conf_t *dc)
{
    return dc->introspect ? dc->introspect : OT_INTROSPECT_OPAQUE;
}

int ot_dir_introspection_ttl(const ot_dir_conf_t *dc)
{
    return dc->introspection_ttl != OT_UNSET ? dc->introspection_ttl : 60;
}

int ot_dir_session_idle(const ot_dir_conf_t *dc)
{
    return dc->session_idle != OT_UNSET ? dc->session_idle : 3600;
}

int ot_dir_session_max(const ot_dir_conf_t *dc)
{
    return dc->session_max != OT_UNSET ? dc->session_max : 28800;
}

const char *ot_dir_login_scope(const ot_dir_conf_t *dc)
{
    return dc->login_scope ? dc->login_scope : "openid";
}

const ot_issuer_t *ot_introspecting_issuer(const ot_server_conf_t *sc)
{
    int i;

    for (i = 0; i < sc->issuers->nelts; i++) {
        const ot_issuer_t *issuer =
            APR_ARRAY_IDX(sc->issuers, i, ot_issuer_t *);

        if (issuer->introspection) {
            return issuer;
        }
    }
    return NULL;
}

static ot_server_conf_t *server_conf(server_rec *s)
{
    return ap_get_module_config(s->module_config, &oauth_token_module);
}

void ot_policy_for_request(request_rec *r, ot_access_policy_t *policy)
{
    const ot_server_conf_t *sc = server_conf(r->server);
    const ot_dir_conf_t *dc =
        ap_get_module_config(r->per_dir_config, &oauth_token_module);

    memset(policy, 0, sizeof(*policy));
    policy->issuers = sc->issuers;
    policy->audiences = dc->audiences;
    policy->algorithms = dc->algorithms ? dc->algorithms : ot_alg_default_set();
    policy->accept_types = dc->accept_types;
    policy->clock_skew =
        dc->clock_skew != OT_UNSET ? dc->clock_skew : OT_DEFAULT_CLOCK_SKEW;
    policy->subject_claim = dc->subject_claim ? dc->subject_claim : "sub";
    policy->scope_claim = dc->scope_claim ? dc->scope_claim : "scope";
    policy->login_clients = sc->login_clients;
}

/* ---- directive handlers ---- */

static const char *parse_number(cmd_parms *cmd, const char *arg, int min,
                                int max, int *out);

static const char *check_absolute_url(cmd_parms *cmd, const char *url)
{
    apr_uri_t uri;

    if (apr_uri_parse(cmd->temp_pool, url, &uri) != APR_SUCCESS || !uri.scheme
        || !uri.hostname
        || (strcasecmp(uri.scheme, "https")
            && strcasecmp(uri.scheme, "http"))) {
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not an absolute http(s) "
                            "URL; give the issuer exactly as it appears in "
                            "the tokens' \"iss\" claim",
                            cmd->cmd->name, url);
    }
    return NULL;
}

static const char *set_issuer(cmd_parms *cmd, void *dconf, const char *url)
{
    ot_server_conf_t *sc = server_conf(cmd->server);
    ot_issuer_t *issuer;
    const char *err = check_absolute_url(cmd, url);
    int i;
    (void)dconf;

    if (err) {
        return err;
    }
    for (i = 0; i < sc->issuers->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(sc->issuers, i, ot_issuer_t *)->issuer,
                    url)) {
            return apr_psprintf(cmd->pool, "%s: %s is configured twice",
                                cmd->cmd->name, url);
        }
    }
    issuer = apr_pcalloc(cmd->pool, sizeof(*issuer));
    issuer->issuer = url;
    APR_ARRAY_PUSH(sc->issuers, ot_issuer_t *) = issuer;
    return NULL;
}

/* The issuer of the OAuthTokenIssuer line before cmd's directive. */
static const char *last_issuer(cmd_parms *cmd, ot_issuer_t **out)
{
    ot_server_conf_t *sc = server_conf(cmd->server);

    if (!sc->issuers->nelts) {
        return apr_psprintf(cmd->pool,
                            "%s: no issuer to attach this to; put it after "
                            "the OAuthTokenIssuer line it belongs to",
                            cmd->cmd->name);
    }
    *out = APR_ARRAY_IDX(sc->issuers, sc->issuers->nelts - 1, ot_issuer_t *);
    return NULL;
}

static const char *check_fetchable(cmd_parms *cmd, const char *url)
{
    if (!ot_fetch_url_allowed(cmd->temp_pool, url)) {
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not an https URL (plain http is "
                            "only allowed to 127.0.0.1, [::1] or localhost)",
                            cmd->cmd->name, url);
    }
    return NULL;
}

static const char *set_jwks(cmd_parms *cmd, void *dconf, const char *arg)
{
    ot_issuer_t *issuer = NULL;
    ot_jwks_t *jwks = NULL;
    const char *path, *why = NULL;
    const char *err = last_issuer(cmd, &issuer);
    (void)dconf;

    if (err) {
        return err;
    }
    if (issuer->jwks || issuer->jwks_url) {
        return apr_psprintf(cmd->pool,
                            "OAuthTokenJWKS: issuer %s already has a key set",
                            issuer->issuer);
    }
    if (strncmp(arg, "file:", 5)) {
        err = check_fetchable(cmd, arg);
        issuer->jwks_url = arg;
        return err;
    }
    path = ap_server_root_relative(cmd->pool, arg + 5);
    if (!path) {
        return apr_psprintf(cmd->pool, "OAuthTokenJWKS: invalid path '%s'",
                            arg + 5);
    }
    if (ot_jwks_load_file(cmd->pool, path, &jwks, &why) != OT_OK) {
        return apr_psprintf(cmd->pool,
                            "OAuthTokenJWKS: cannot use key set "
                            "%s for issuer %s: %s",
                            path, issuer->issuer, why ? why : "invalid");
    }
    issuer->jwks = jwks;
    return NULL;
}

static const char *set_metadata_url(cmd_parms *cmd, void *dconf,
                                    const char *url)
{
    ot_issuer_t *issuer = NULL;
    const char *err = last_issuer(cmd, &issuer);
    (void)dconf;

    if (err) {
        return err;
    }
    issuer->metadata_url = url;
    return check_fetchable(cmd, url);
}

/* SECRET or file:PATH (the first line of the file): secrets stay out of
 * httpd.conf, which is often world-readable. */
static const char *read_secret(cmd_parms *cmd, const char *arg,
                               const char **secret)
{
    const char *path;
    apr_file_t *file;
    char line[1024];
    apr_size_t len;

    if (strncmp(arg, "file:", 5)) {
        *secret = arg;
        return NULL;
    }
    path = ap_server_root_relative(cmd->temp_pool, arg + 5);
    if (!path
        || apr_file_open(&file, path, APR_FOPEN_READ, APR_OS_DEFAULT,
                         cmd->temp_pool)
               != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: cannot read the secret file %s",
                            cmd->cmd->name, arg + 5);
    }
    if (apr_file_gets(line, sizeof(line), file) != APR_SUCCESS) {
        line[0] = '\0';
    }
    apr_file_close(file);
    len = strlen(line);
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
        line[--len] = '\0';
    }
    if (!len) {
        return apr_psprintf(cmd->pool, "%s: the secret file %s is empty",
                            cmd->cmd->name, arg + 5);
    }
    *secret = apr_pstrdup(cmd->pool, line);
    return NULL;
}

/* OAuthTokenIntrospection URL CLIENT_ID SECRET|file:PATH [basic|post] */
static const char *set_introspection(cmd_parms *cmd, void *dconf, int argc,
                                     char *const argv[])
{
    ot_issuer_t *issuer = NULL;
    ot_introspection_t *endpoint;
    const char *err = last_issuer(cmd, &issuer);
    (void)dconf;

    if (err) {
        return err;
    }
    if (argc < 3 || argc > 4) {
        return "OAuthTokenIntrospection: URL CLIENT_ID SECRET|file:PATH "
               "[basic|post]";
    }
    endpoint = apr_pcalloc(cmd->pool, sizeof(*endpoint));
    endpoint->url = argv[0];
    endpoint->client_id = argv[1];
    if ((err = check_fetchable(cmd, argv[0]))
        || (err = read_secret(cmd, argv[2], &endpoint->client_secret))) {
        return err;
    }
    if (argc == 4 && !strcasecmp(argv[3], "post")) {
        endpoint->auth = OT_CLIENT_AUTH_POST;
    }
    else if (argc == 4 && strcasecmp(argv[3], "basic")) {
        return apr_psprintf(cmd->pool,
                            "OAuthTokenIntrospection: client authentication "
                            "'%s' is neither basic (client_secret_basic) nor "
                            "post (client_secret_post)",
                            argv[3]);
    }
    issuer->introspection = endpoint;
    return NULL;
}

/* OAuthTokenClient CLIENT_ID [SECRET|file:PATH [basic|post]]: the login
 * client at the issuer of the line before. An ID token for this client is
 * refused as an access token whether or not the login is used. */
static const char *set_client(cmd_parms *cmd, void *dconf, int argc,
                              char *const argv[])
{
    ot_server_conf_t *sc = server_conf(cmd->server);
    ot_issuer_t *issuer = NULL;
    const char *err;
    (void)dconf;

    if (argc < 1 || argc > 3) {
        return "OAuthTokenClient: CLIENT_ID [SECRET|file:PATH [basic|post]]";
    }
    APR_ARRAY_PUSH(sc->login_clients, const char *) = argv[0];
    sc->login.client_id = argv[0];
    if (sc->issuers->nelts) {
        last_issuer(cmd, &issuer);
        sc->login.issuer = issuer;
    }
    if (argc >= 2
        && (err = read_secret(cmd, argv[1], &sc->login.client_secret))) {
        return err;
    }
    if (argc == 3 && !strcasecmp(argv[2], "post")) {
        sc->login.client_auth = OT_CLIENT_AUTH_POST;
    }
    else if (argc == 3 && strcasecmp(argv[2], "basic")) {
        return apr_psprintf(cmd->pool,
                            "OAuthTokenClient: client authentication '%s' is "
                            "neither basic nor post",
                            argv[2]);
    }
    return NULL;
}

/* OAuthTokenRedirectURI, OAuthTokenLogoutPath,
 * OAuthTokenBackChannelLogoutPath: a local path; cmd->info is the field's
 * offset in ot_login_conf_t. */
static const char *set_login_path(cmd_parms *cmd, void *dconf, const char *path)
{
    ot_login_conf_t *login = &server_conf(cmd->server)->login;
    (void)dconf;

    if (path[0] != '/' || path[1] == '/' || strpbrk(path, "?#\\ ")) {
        return apr_psprintf(cmd->pool,
                            "%s: '%s' must be a path on this host, such as "
                            "/oauth/callback",
                            cmd->cmd->name, path);
    }
    *(const char **)((char *)login + (apr_size_t)cmd->info) = path;
    return NULL;
}

static const char *add_login_scope(cmd_parms *cmd, void *dconf,
                                   const char *scope)
{
    ot_dir_conf_t *dc = dconf;

    if (strpbrk(scope, "\" \\")) {
        return apr_psprintf(cmd->pool,
                            "OAuthTokenLoginScope: '%s' is not a "
                            "scope token",
                            scope);
    }
    /* OpenID Connect needs "openid"; it is asked for whatever the list. */
    if (!dc->login_scope) {
        dc->login_scope = "openid";
    }
    if (strcmp(scope, "openid")) {
        dc->login_scope =
            apr_pstrcat(cmd->pool, dc->login_scope, " ", scope, NULL);
    }
    return NULL;
}

static const char *set_session_timeout(cmd_parms *cmd, void *dconf,
                                       const char *idle, const char *max)
{
    ot_dir_conf_t *dc = dconf;
    const char *err;

    if ((err = parse_number(cmd, idle, 1, 30 * 86400, &dc->session_idle))
        || (err = parse_number(cmd, max, dc->session_idle, 90 * 86400,
                               &dc->session_max))) {
        return err;
    }
    return NULL;
}

static const char *set_session_cookie(cmd_parms *cmd, void *dconf,
                                      const char *name, const char *attrs)
{
    ot_dir_conf_t *dc = dconf;
    const char *c;

    for (c = name; *c; c++) {
        if (!apr_isalnum(*c) && !strchr("-_.", *c)) {
            return apr_psprintf(cmd->pool,
                                "OAuthTokenSessionCookie: '%s' is not a "
                                "cookie name",
                                name);
        }
    }
    if (attrs && strpbrk(attrs, "\r\n")) {
        return "OAuthTokenSessionCookie: attributes with a line break";
    }
    dc->cookie_name = name;
    dc->cookie_attrs = attrs;
    return NULL;
}

static const char *set_pass_access_token(cmd_parms *cmd, void *dconf, int on)
{
    ot_dir_conf_t *dc = dconf;
    (void)cmd;

    dc->pass_access_token = on;
    return NULL;
}

/* ITERATE directives that collect words in a list; cmd->info is the
 * list's offset in ot_dir_conf_t, as with ap_set_string_slot. */
static const char *add_to_list(cmd_parms *cmd, void *dconf, const char *word)
{
    apr_array_header_t **list =
        (apr_array_header_t **)((char *)dconf + (apr_size_t)cmd->info);

    if (!*list) {
        *list = apr_array_make(cmd->pool, 2, sizeof(const char *));
    }
    APR_ARRAY_PUSH(*list, const char *) = word;
    return NULL;
}

static const char *add_algorithm(cmd_parms *cmd, void *dconf, const char *name)
{
    ot_dir_conf_t *dc = dconf;
    const ot_alg_t *alg = ot_alg_by_name(name);

    if (!strcasecmp(name, "none")) {
        return "OAuthTokenAlgorithms: 'none' (unsigned tokens) is never "
               "allowed";
    }
    if (!alg) {
        return apr_psprintf(cmd->pool,
                            "OAuthTokenAlgorithms: unknown "
                            "algorithm '%s'; use RS256 RS384 RS512 PS256 "
                            "PS384 PS512 ES256 ES384 ES512 EdDSA HS256 "
                            "HS384 HS512",
                            name);
    }
    dc->algorithms |= alg->bit;
    return NULL;
}

/* A whole number in [min, max] for cmd's directive. */
static const char *parse_number(cmd_parms *cmd, const char *arg, int min,
                                int max, int *out)
{
    char *end;
    apr_int64_t n = apr_strtoi64(arg, &end, 10);

    if (*end || end == arg || n < min || n > max) {
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not a whole number between %d and "
                            "%d",
                            cmd->cmd->name, arg, min, max);
    }
    *out = (int)n;
    return NULL;
}

static const char *set_clock_skew(cmd_parms *cmd, void *dconf, const char *arg)
{
    ot_dir_conf_t *dc = dconf;

    return parse_number(cmd, arg, 0, OT_MAX_CLOCK_SKEW, &dc->clock_skew);
}

static const char *set_introspect(cmd_parms *cmd, void *dconf, const char *arg)
{
    ot_dir_conf_t *dc = dconf;

    if (!strcasecmp(arg, "opaque")) {
        dc->introspect = OT_INTROSPECT_OPAQUE;
    }
    else if (!strcasecmp(arg, "always")) {
        dc->introspect = OT_INTROSPECT_ALWAYS;
    }
    else {
        return apr_psprintf(cmd->pool,
                            "OAuthTokenIntrospect: '%s' is neither opaque "
                            "(tokens that are not JWTs) nor always",
                            arg);
    }
    return NULL;
}

static const char *set_introspection_ttl(cmd_parms *cmd, void *dconf,
                                         const char *arg)
{
    ot_dir_conf_t *dc = dconf;

    return parse_number(cmd, arg, 0, 86400, &dc->introspection_ttl);
}

/* ---- provider settings: one set per httpd ---- */

static ot_provider_conf_t *provider_conf(cmd_parms *cmd, const char **err)
{
    *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    return &server_conf(cmd->server)->provider;
}

static const char *set_cache(cmd_parms *cmd, void *dconf, const char *spec)
{
    const char *err;
    ot_provider_conf_t *pc = provider_conf(cmd, &err);
    (void)dconf;

    pc->cache_spec = spec;
    return err;
}

static const char *set_session_store(cmd_parms *cmd, void *dconf,
                                     const char *spec)
{
    const char *err;
    ot_provider_conf_t *pc = provider_conf(cmd, &err);
    (void)dconf;

    pc->session_spec = spec;
    return err;
}

static const char *set_http_timeout(cmd_parms *cmd, void *dconf,
                                    const char *connect, const char *total)
{
    const char *err;
    ot_provider_conf_t *pc = provider_conf(cmd, &err);
    int c, t;
    (void)dconf;

    if (err || (err = parse_number(cmd, connect, 1, 60, &c))
        || (err = parse_number(cmd, total ? total : connect, c, 300, &t))) {
        return err;
    }
    pc->connect_timeout = c * 1000;
    pc->total_timeout = t * 1000;
    return NULL;
}

static const char *set_ca_file(cmd_parms *cmd, void *dconf, const char *path)
{
    const char *err;
    ot_provider_conf_t *pc = provider_conf(cmd, &err);
    apr_finfo_t finfo;
    (void)dconf;

    if (err) {
        return err;
    }
    pc->ca_file = ap_server_root_relative(cmd->pool, path);
    if (!pc->ca_file
        || apr_stat(&finfo, pc->ca_file, APR_FINFO_TYPE, cmd->temp_pool)
               != APR_SUCCESS
        || finfo.filetype != APR_REG) {
        return apr_psprintf(cmd->pool, "OAuthTokenCAFile: cannot read %s",
                            path);
    }
    return NULL;
}

/* OAuthTokenJWKSRefreshInterval, OAuthTokenJWKSMaxAge and
 * OAuthTokenJWKSMaxStale; cmd->info is the field's offset. */
static const char *set_provider_seconds(cmd_parms *cmd, void *dconf,
                                        const char *arg)
{
    const char *err;
    ot_provider_conf_t *pc = provider_conf(cmd, &err);
    (void)dconf;

    if (err) {
        return err;
    }
    return parse_number(cmd, arg, 1, 7 * 86400,
                        (int *)((char *)pc + (apr_size_t)cmd->info));
}

static int is_header_name(const char *name)
{
    const char *c;

    for (c = name; *c; c++) {
        if (!apr_isalnum(*c) && *c != '-' && *c != '_') {
            return 0;
        }
    }
    return c != name;
}

static const char *add_pass_claim(cmd_parms *cmd, void *dconf,
                                  const char *claim, const char *header)
{
    ot_dir_conf_t *dc = dconf;
    ot_pass_claim_t *pc;

    if (!is_header_name(header)) {
        return apr_psprintf(cmd->pool,
                            "OAuthTokenPassClaim: '%s' is not a "
                            "valid header name",
                            header);
    }
    if (!dc->pass_claims) {
        dc->pass_claims = apr_array_make(cmd->pool, 2, sizeof(*pc));
    }
    pc = apr_array_push(dc->pass_claims);
    pc->claim = claim;
    pc->header = header;
    return NULL;
}

static const char *add_token_in(cmd_parms *cmd, void *dconf, const char *arg)
{
    ot_dir_conf_t *dc = dconf;

    if (!strcasecmp(arg, "header")) {
        dc->token_in |= OT_TOKEN_IN_HEADER;
    }
    else if (!strcasecmp(arg, "query")) {
        dc->token_in |= OT_TOKEN_IN_QUERY;
    }
    else {
        return apr_psprintf(cmd->pool,
                            "OAuthTokenAcceptTokenIn: '%s' is "
                            "neither 'header' nor 'query' (a token in a "
                            "form body is not supported)",
                            arg);
    }
    return NULL;
}

static const char *set_claim_name(cmd_parms *cmd, void *dconf, const char *name)
{
    /* cmd->info is the field's offset, as with ap_set_string_slot. */
    if (!*name) {
        return apr_psprintf(cmd->pool, "%s: empty claim name", cmd->cmd->name);
    }
    return ap_set_string_slot(cmd, dconf, name);
}

#define DIR_OR_SERVER (RSRC_CONF | OR_AUTHCFG)

const command_rec ot_directives[] = {
    AP_INIT_TAKE1("OAuthTokenIssuer", set_issuer, NULL, RSRC_CONF,
                  "A trusted token issuer, exactly as in the tokens' iss"),
    AP_INIT_TAKE1("OAuthTokenJWKS", set_jwks, NULL, RSRC_CONF,
                  "file:PATH of the JWK Set of the preceding issuer"),
    AP_INIT_TAKE_ARGV("OAuthTokenClient", set_client, NULL, RSRC_CONF,
                      "CLIENT_ID [SECRET|file:PATH [basic|post]]: the login "
                      "client at the preceding issuer"),
    AP_INIT_TAKE1("OAuthTokenRedirectURI", set_login_path,
                  (void *)APR_OFFSETOF(ot_login_conf_t, redirect_path),
                  RSRC_CONF, "The login callback path on this host"),
    AP_INIT_TAKE1("OAuthTokenLogoutPath", set_login_path,
                  (void *)APR_OFFSETOF(ot_login_conf_t, logout_path), RSRC_CONF,
                  "The local logout path"),
    AP_INIT_TAKE1("OAuthTokenBackChannelLogoutPath", set_login_path,
                  (void *)APR_OFFSETOF(ot_login_conf_t, backchannel_path),
                  RSRC_CONF, "The OpenID Connect back-channel logout path"),
    AP_INIT_ITERATE("OAuthTokenLoginScope", add_login_scope, NULL,
                    DIR_OR_SERVER, "Scopes asked at login (openid always)"),
    AP_INIT_TAKE2("OAuthTokenSessionTimeout", set_session_timeout, NULL,
                  DIR_OR_SERVER, "IDLE MAX: session lifetimes in seconds"),
    AP_INIT_TAKE12("OAuthTokenSessionCookie", set_session_cookie, NULL,
                   DIR_OR_SERVER, "NAME [ATTRIBUTES] of the session cookie"),
    AP_INIT_FLAG("OAuthTokenPassAccessToken", set_pass_access_token, NULL,
                 DIR_OR_SERVER, "Send the login's access token to the backend"),
    AP_INIT_TAKE1("OAuthTokenSessionStore", set_session_store, NULL, RSRC_CONF,
                  "socache for login sessions: PROVIDER[:ARGS]"),
    AP_INIT_ITERATE("OAuthTokenAudience", add_to_list,
                    (void *)APR_OFFSETOF(ot_dir_conf_t, audiences),
                    DIR_OR_SERVER, "The aud values this resource accepts"),
    AP_INIT_ITERATE("OAuthTokenAlgorithms", add_algorithm, NULL, DIR_OR_SERVER,
                    "Allowed JWS algorithms"),
    AP_INIT_ITERATE("OAuthTokenAcceptType", add_to_list,
                    (void *)APR_OFFSETOF(ot_dir_conf_t, accept_types),
                    DIR_OR_SERVER, "Accepted JWT typ headers"),
    AP_INIT_TAKE1("OAuthTokenClockSkew", set_clock_skew, NULL, DIR_OR_SERVER,
                  "Leeway in seconds for exp, nbf and iat"),
    AP_INIT_TAKE1("OAuthTokenSubjectClaim", set_claim_name,
                  (void *)APR_OFFSETOF(ot_dir_conf_t, subject_claim),
                  DIR_OR_SERVER, "Claim that becomes the user name"),
    AP_INIT_TAKE1("OAuthTokenScopeClaim", set_claim_name,
                  (void *)APR_OFFSETOF(ot_dir_conf_t, scope_claim),
                  DIR_OR_SERVER, "Claim that holds the scopes"),
    AP_INIT_TAKE2("OAuthTokenPassClaim", add_pass_claim, NULL, DIR_OR_SERVER,
                  "CLAIM HEADER: pass a claim to the backend in a header"),
    AP_INIT_TAKE1("OAuthTokenMetadataURL", set_metadata_url, NULL, RSRC_CONF,
                  "The discovery document of the preceding issuer"),
    AP_INIT_TAKE_ARGV("OAuthTokenIntrospection", set_introspection, NULL,
                      RSRC_CONF,
                      "URL CLIENT_ID SECRET|file:PATH [basic|post]: RFC "
                      "7662 introspection for the preceding issuer"),
    AP_INIT_TAKE1("OAuthTokenIntrospect", set_introspect, NULL, DIR_OR_SERVER,
                  "Introspect opaque tokens only, or always"),
    AP_INIT_TAKE1("OAuthTokenIntrospectionCacheTTL", set_introspection_ttl,
                  NULL, DIR_OR_SERVER,
                  "Seconds an introspection answer is reused"),
    AP_INIT_TAKE1("OAuthTokenCache", set_cache, NULL, RSRC_CONF,
                  "socache for tokens and provider documents: "
                  "PROVIDER[:ARGS]"),
    AP_INIT_TAKE12("OAuthTokenHTTPTimeout", set_http_timeout, NULL, RSRC_CONF,
                   "Connect and total timeout in seconds for "
                   "calls to the provider"),
    AP_INIT_TAKE1("OAuthTokenCAFile", set_ca_file, NULL, RSRC_CONF,
                  "CA certificates for the provider's TLS"),
    AP_INIT_TAKE1("OAuthTokenJWKSRefreshInterval", set_provider_seconds,
                  (void *)APR_OFFSETOF(ot_provider_conf_t, refresh_interval),
                  RSRC_CONF,
                  "At most one unknown-kid refresh per issuer "
                  "this often (seconds)"),
    AP_INIT_TAKE1("OAuthTokenJWKSMaxAge", set_provider_seconds,
                  (void *)APR_OFFSETOF(ot_provider_conf_t, jwks_max_age),
                  RSRC_CONF,
                  "Longest time a fetched key set is used "
                  "without asking again (seconds)"),
    AP_INIT_TAKE1("OAuthTokenJWKSMaxStale", set_provider_seconds,
                  (void *)APR_OFFSETOF(ot_provider_conf_t, jwks_max_stale),
                  RSRC_CONF,
                  "How long the last good key set serves while "
                  "the provider fails (seconds)"),
    AP_INIT_ITERATE("OAuthTokenAcceptTokenIn", add_token_in, NULL,
                    DIR_OR_SERVER, "Where tokens are read: header, query"),
    {NULL}};
