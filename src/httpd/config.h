/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Per-server and per-directory configuration: structures, create/merge,
 * directive handlers and the start-up checks. */

#ifndef OT_HTTPD_CONFIG_H
#define OT_HTTPD_CONFIG_H

#include <httpd.h>
#include <http_config.h>
#include "token/access.h"

extern module AP_MODULE_DECLARE_DATA oauth_token_module;

#define OT_UNSET -1

/* Where a Bearer location looks for the token (RFC 6750 section 2). */
#define OT_TOKEN_IN_HEADER 0x1
#define OT_TOKEN_IN_QUERY 0x2

typedef struct ot_pass_claim_t {
    const char *claim; /* dotted path */
    const char *header;
} ot_pass_claim_t;

/* Whether a Bearer location introspects (RFC 7662). */
#define OT_INTROSPECT_OPAQUE 1 /* tokens that are not JWTs */
#define OT_INTROSPECT_ALWAYS 2 /* every token */

struct ot_runtime_t;

/* Settings for talking to providers: one set per httpd (main server). */
typedef struct ot_provider_conf_t {
    const char *cache_spec;   /* OAuthTokenCache; NULL: shmcb default */
    const char *session_spec; /* OAuthTokenSessionStore; NULL: the cache */
    int connect_timeout;      /* ms; OT_UNSET */
    int total_timeout;        /* ms; OT_UNSET */
    const char *ca_file;
    int refresh_interval; /* s; OT_UNSET */
    int jwks_max_age;     /* s; OT_UNSET */
    int jwks_max_stale;   /* s; OT_UNSET */
} ot_provider_conf_t;

/* The OpenID Connect login of a server (AuthType OIDC). */
typedef struct ot_login_conf_t {
    const ot_issuer_t
        *issuer; /* the OAuthTokenIssuer before OAuthTokenClient */
    const char *client_id;
    const char *client_secret;
    int client_auth;              /* ot_client_auth_t */
    const char *redirect_path;    /* OAuthTokenRedirectURI */
    const char *logout_path;      /* OAuthTokenLogoutPath */
    const char *backchannel_path; /* OAuthTokenBackChannelLogoutPath */
} ot_login_conf_t;

typedef struct ot_server_conf_t {
    apr_array_header_t *issuers;       /* ot_issuer_t * */
    apr_array_header_t *login_clients; /* const char * */
    ot_login_conf_t login;
    ot_provider_conf_t provider;  /* main server only */
    struct ot_runtime_t *runtime; /* shared by all servers */
} ot_server_conf_t;

typedef struct ot_dir_conf_t {
    apr_array_header_t *audiences;    /* const char *; NULL = unset */
    apr_array_header_t *accept_types; /* const char *; NULL = unset */
    apr_array_header_t *pass_claims;  /* ot_pass_claim_t; merged as a union */
    const char *subject_claim;
    const char *scope_claim;
    ot_alg_set_t algorithms; /* 0 = unset */
    int clock_skew;          /* OT_UNSET */
    int token_in;            /* OT_TOKEN_IN_*; 0 = unset */
    int introspect;          /* OT_INTROSPECT_*; 0 = unset */
    int introspection_ttl;   /* s; OT_UNSET */
    const char *login_scope; /* OAuthTokenLoginScope, "openid" first */
    int session_idle;        /* s; OT_UNSET */
    int session_max;         /* s; OT_UNSET */
    const char *cookie_name; /* OAuthTokenSessionCookie */
    const char *cookie_attrs;
    int pass_access_token; /* OT_UNSET, 0, 1 */
} ot_dir_conf_t;

void *ot_create_server_conf(apr_pool_t *p, server_rec *s);
void *ot_merge_server_conf(apr_pool_t *p, void *base, void *add);
void *ot_create_dir_conf(apr_pool_t *p, char *dir);
void *ot_merge_dir_conf(apr_pool_t *p, void *base, void *add);

extern const command_rec ot_directives[];

/* The access-token policy in force for r, with the defaults applied. */
void ot_policy_for_request(request_rec *r, ot_access_policy_t *policy);

/* Defaults, also used by the start-up checks. */
int ot_dir_token_in(const ot_dir_conf_t *dc);
int ot_dir_introspect(const ot_dir_conf_t *dc);
int ot_dir_introspection_ttl(const ot_dir_conf_t *dc);
int ot_dir_session_idle(const ot_dir_conf_t *dc);
int ot_dir_session_max(const ot_dir_conf_t *dc);
const char *ot_dir_login_scope(const ot_dir_conf_t *dc);

/* The issuer that answers introspection for this server, or NULL. */
const ot_issuer_t *ot_introspecting_issuer(const ot_server_conf_t *sc);

/* post_config: refuses to start when a Bearer section lacks what it needs. */
int ot_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                    server_rec *s);

#endif
