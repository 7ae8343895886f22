/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>

#include "httpd/answer.h"
#include "httpd/config.h"
#include "httpd/cookie.h"
#include "httpd/oidc.h"
#include "httpd/request.h"
#include "httpd/runtime.h"
#include "oidc/login.h"
#include "token/scope.h"

APLOG_USE_MODULE(oauth_token);

/* A pending login lasts this long at most (seconds). */
#define LOGIN_TTL 600

static const ot_server_conf_t *server_conf(request_rec *r)
{
    return ap_get_module_config(r->server->module_config, &oauth_token_module);
}

static const ot_dir_conf_t *dir_conf(request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &oauth_token_module);
}

int ot_oidc_page(request_rec *r, int status, const char *title,
                 const char *message)
{
    r->status = status;
    ap_set_content_type(r, "text/html; charset=utf-8");
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    ap_rprintf(r,
               "<!DOCTYPE html>\n<html><head><title>%s</title></head>"
               "<body><h1>%s</h1><p>%s</p><p><a href=\"/\">Home</a></p>"
               "</body></html>\n",
               ap_escape_html(r->pool, title), ap_escape_html(r->pool, title),
               ap_escape_html(r->pool, message));
    return DONE;
}

void ot_oidc_policy(request_rec *r, ot_access_policy_t *policy,
                    void *keys_baton)
{
    const ot_server_conf_t *sc = server_conf(r);
    apr_array_header_t *issuers = apr_array_make(r->pool, 1, sizeof(void *));

    ot_policy_for_request(r, policy);
    APR_ARRAY_PUSH(issuers, const ot_issuer_t *) = sc->login.issuer;
    policy->issuers = issuers;
    ot_runtime_use_provider_keys(r, policy, keys_baton);
}

void ot_oidc_client(request_rec *r, ot_client_t *client)
{
    const ot_login_conf_t *login = &server_conf(r)->login;

    memset(client, 0, sizeof(*client));
    client->client_id = login->client_id;
    client->client_secret = login->client_secret;
    client->auth = login->client_auth;
    client->redirect_uri = ap_construct_url(r->pool, login->redirect_path, r);
}

/* A page the user asked for, as opposed to a script's request, which must
 * not be answered with a redirect to a login page it cannot show. */
static int is_page_load(request_rec *r)
{
    const char *accept = apr_table_get(r->headers_in, "Accept");
    const char *mode = apr_table_get(r->headers_in, "Sec-Fetch-Mode");

    return (r->method_number == M_GET && !r->header_only)
           && !apr_table_get(r->headers_in, "X-Requested-With")
           && (!mode || !strcasecmp(mode, "navigate")) && accept
           && ap_strstr_c(accept, "text/html");
}

/* The granted scopes, as a token's scope claim would give them. */
static apr_array_header_t *split_scope(apr_pool_t *p, const char *scope)
{
    apr_array_header_t *scopes = apr_array_make(p, 4, sizeof(const char *));
    char *copy = apr_pstrdup(p, scope ? scope : ""), *last, *word;

    for (word = apr_strtok(copy, " ", &last); word;
         word = apr_strtok(NULL, " ", &last)) {
        APR_ARRAY_PUSH(scopes, const char *) = word;
    }
    return scopes;
}

/* The session's identity as a token, so that Require oauth-claim and
 * oauth-scope, r->user, OAUTH_* and OAuthTokenPassClaim work the same. */
static ot_access_token_t *session_token(request_rec *r,
                                        const ot_session_t *session)
{
    const ot_login_conf_t *login = &server_conf(r)->login;
    ot_access_token_t *token = apr_pcalloc(r->pool, sizeof(*token));

    token->claims = session->claims;
    token->issuer = login->issuer;
    token->subject = session->subject;
    token->client_id = login->client_id;
    token->scopes = split_scope(r->pool, session->scope);
    token->exp = session->created + ot_dir_session_max(dir_conf(r));
    token->alg = "session";
    return token;
}

static void publish(request_rec *r, ot_access_token_t *token)
{
    apr_table_t *env = r->subprocess_env;

    r->user = apr_pstrdup(r->pool, token->subject);
    ot_request_state(r, 1)->token = token;
    apr_table_setn(env, "OAUTH_SUB", r->user);
    apr_table_setn(env, "OAUTH_ISSUER", token->issuer->issuer);
    apr_table_setn(env, "OAUTH_CLIENT_ID", token->client_id);
    apr_table_setn(env, "OAUTH_SCOPE", ot_scope_join(r->pool, token->scopes));
}

/* The session's access token for the backend, refreshed when it is about
 * to expire. The ID token is never passed on. */
static void pass_access_token(request_rec *r, const ot_runtime_t *runtime,
                              ot_session_t *session, apr_int64_t now)
{
    const ot_metadata_t *metadata;
    ot_login_result_t refreshed;
    ot_client_t client;
    const char *why = NULL;

    if (session->refresh_token && session->access_expires
        && session->access_expires - now < 60 && runtime->provider
        && ot_provider_metadata(runtime->provider, r->pool,
                                server_conf(r)->login.issuer, &metadata, &why)
               == OT_OK) {
        ot_oidc_client(r, &client);
        if (ot_callback_refresh(r->pool, runtime->fetcher, metadata, &client,
                                session->refresh_token, now, &refreshed, &why)
            == OT_OK) {
            session->access_token = refreshed.access_token;
            session->refresh_token = refreshed.refresh_token;
            session->access_expires = refreshed.access_expires;
            ot_session_save(r->pool, &runtime->sessions->store, session,
                            ot_dir_session_max(dir_conf(r)));
        }
        else {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                          APLOGNO(99070) "refreshing the access token of %s "
                                         "failed: %s",
                          session->subject, why ? why : "unknown");
        }
    }
    if (session->access_token
        && (!session->access_expires || session->access_expires > now)) {
        apr_table_setn(
            r->headers_in, "Authorization",
            apr_pstrcat(r->pool, "Bearer ", session->access_token, NULL));
    }
    else {
        apr_table_unset(r->headers_in, "Authorization");
    }
}

/* Some socache providers (redis) answer "not found" once they have given
 * up on their server. A session the browser holds but the store lacks is
 * only taken as gone when the store still takes a write: otherwise the
 * cookie is kept and the answer is 503, not a new login. */
static int store_answers(request_rec *r, const ot_store_t *store,
                         apr_int64_t now)
{
    static const unsigned char alive = 1;

    return ot_store_put(store, r->pool, "probe", "session-store", &alive, 1,
                        apr_time_from_sec(now + 10))
           == OT_OK;
}

static int start_login(request_rec *r, const ot_runtime_t *runtime,
                       apr_int64_t now)
{
    const ot_login_conf_t *login_conf = &server_conf(r)->login;
    const ot_metadata_t *metadata;
    const char *why = NULL, *return_to = r->unparsed_uri, *location;
    ot_client_t client;
    ot_login_t *login;

    if (!runtime->provider
        || ot_provider_metadata(runtime->provider, r->pool, login_conf->issuer,
                                &metadata, &why)
               != OT_OK) {
        return ot_answer_unavailable(r, why);
    }
    if (!metadata->authorization_endpoint) {
        return ot_answer_unavailable(r, "the provider's metadata has no "
                                        "authorization_endpoint");
    }
    /* Back to where the user was going, when that is a plain local path
     * of reasonable size. */
    if (!ot_redirect_is_local(return_to) || strlen(return_to) > 2048) {
        return_to = "/";
    }
    if (ot_login_start(r->pool, &runtime->sessions->store, return_to, now,
                       LOGIN_TTL, &login)
        != OT_OK) {
        return ot_answer_unavailable(r, "the session store cannot keep the "
                                        "pending login");
    }
    ot_oidc_client(r, &client);
    location = ot_login_authorization_url(
        r->pool, metadata->authorization_endpoint, client.client_id,
        client.redirect_uri, ot_dir_login_scope(dir_conf(r)), login);
    if (!location) {
        return ot_answer_unavailable(r, "the provider's authorization_endpoint "
                                        "cannot take a request");
    }
    ot_cookie_set(
        r,
        ot_login_cookie_name(r->pool, ot_cookie_login_prefix(r), login->state),
        login->binding, LOGIN_TTL, NULL);
    apr_table_setn(r->err_headers_out, "Location", location);
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  APLOGNO(99071) "no session: login at %s started",
                  login_conf->issuer->issuer);
    return HTTP_MOVED_TEMPORARILY;
}

int ot_oidc_authenticate(request_rec *r)
{
    const char *type = ap_auth_type(r);
    const ot_login_conf_t *login = &server_conf(r)->login;
    const ot_runtime_t *runtime = ot_runtime_of(r);
    const ot_dir_conf_t *dc = dir_conf(r);
    const char *cookie = ot_cookie_session_name(r);
    const char *id = ot_cookie_get(r, cookie);
    apr_int64_t now = apr_time_sec(r->request_time);
    ot_session_t *session = NULL;
    int touch = 0;
    ot_status_t rv = OT_ERR_NOT_FOUND;

    if (!type || strcasecmp(type, "OIDC")) {
        return DECLINED;
    }
    if (!login->client_id || !login->issuer || !login->redirect_path) {
        return ot_answer_misconfigured(r, "AuthType OIDC needs "
                                          "OAuthTokenClient and "
                                          "OAuthTokenRedirectURI");
    }
    if (!runtime) {
        return ot_answer_unavailable(r, "no session store");
    }
    if (id) {
        rv = ot_session_load(r->pool, &runtime->sessions->store, id, now,
                             ot_dir_session_idle(dc), ot_dir_session_max(dc),
                             &session, &touch);
    }
    if (rv == OT_OK) {
        if (touch) {
            session->last_used = now;
            ot_session_save(r->pool, &runtime->sessions->store, session,
                            ot_dir_session_max(dc));
        }
        publish(r, session_token(r, session));
        if (dc->pass_access_token == 1) {
            pass_access_token(r, runtime, session, now);
        }
        return OK;
    }
    if (rv == OT_ERR_NOT_FOUND && id
        && !store_answers(r, &runtime->sessions->store, now)) {
        rv = OT_ERR_UNAVAILABLE;
    }
    if (rv != OT_ERR_NOT_FOUND && rv != OT_ERR_EXPIRED) {
        return ot_answer_unavailable(r, "the session store cannot be read");
    }
    if (id) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, APLOGNO(99072) "session %s",
                      rv == OT_ERR_EXPIRED ? "expired" : "unknown or ended");
        ot_cookie_set(r, cookie, "", 0, NULL);
    }
    if (!is_page_load(r)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      APLOGNO(99073) "no session for %s, and not a page "
                                     "load: 401 instead of a login",
                      r->uri);
        return HTTP_UNAUTHORIZED;
    }
    return start_login(r, runtime, now);
}
