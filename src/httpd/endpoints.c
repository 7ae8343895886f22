/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>
#include <util_script.h>

#include "httpd/answer.h"
#include "httpd/config.h"
#include "httpd/cookie.h"
#include "httpd/endpoints.h"
#include "httpd/oidc.h"
#include "httpd/runtime.h"
#include "oidc/login.h"
#include "oidc/session.h"

APLOG_USE_MODULE(oauth_token);

#define LOGOUT_TOKEN_MAX_AGE 300
#define MAX_FORM_LEN (64 * 1024)
#define NS_LOGOUT_JTI "logout-jti"

static const ot_login_conf_t *login_conf(request_rec *r)
{
    return &((const ot_server_conf_t *)ap_get_module_config(
                 r->server->module_config, &oauth_token_module))
                ->login;
}

static const ot_dir_conf_t *dir_conf(request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &oauth_token_module);
}

static int unavailable_page(request_rec *r, const char *why)
{
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                  APLOGNO(99080) "login not possible now: %s", why);
    apr_table_setn(r->err_headers_out, "Retry-After", "5");
    return ot_oidc_page(r, HTTP_SERVICE_UNAVAILABLE,
                        "Login temporarily unavailable",
                        "The login service cannot be reached. Please try "
                        "again in a moment.");
}

static int redirect_to(request_rec *r, const char *location)
{
    apr_table_setn(r->err_headers_out, "Location", location);
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    r->status = HTTP_MOVED_TEMPORARILY;
    return DONE;
}

/* The provider's answer says the login failed: shown, never trusted. */
static int provider_error(request_rec *r, const char *error)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  APLOGNO(99081) "the provider refused the login: %s",
                  ap_escape_logitem(r->pool, error));
    return ot_oidc_page(
        r, HTTP_BAD_REQUEST, "Login failed",
        apr_pstrcat(r->pool, "The login service answered: ", error, NULL));
}

/* The pending login of this callback, taken once and only by the browser
 * that started it. */
static int take_login(request_rec *r, const ot_runtime_t *runtime,
                      const char *state, ot_login_t **login)
{
    const char *cookie =
        ot_login_cookie_name(r->pool, ot_cookie_login_prefix(r), state);
    ot_status_t rv = ot_login_take(r->pool, &runtime->sessions->store, state,
                                   ot_cookie_get(r, cookie), login);

    ot_cookie_set(r, cookie, "", 0, NULL);
    if (rv == OT_OK) {
        return OK;
    }
    if (rv == OT_ERR_NOT_FOUND || rv == OT_ERR_CLAIM) {
        ap_log_rerror(
            APLOG_MARK, APLOG_INFO, 0, r, APLOGNO(99082) "callback refused: %s",
            rv == OT_ERR_CLAIM ? "the login was started by another browser"
                               : "unknown, expired or already used state");
        return ot_oidc_page(r, HTTP_BAD_REQUEST, "Login not accepted",
                            rv == OT_ERR_CLAIM
                                ? "This login was not started in this "
                                  "browser. Please start again."
                                : "This login has expired or was already "
                                  "used. Please start again.");
    }
    return unavailable_page(r, "the session store cannot be read");
}

/* RFC 9207: when the provider names itself in the answer, it must be the
 * issuer the login went to (mix-up defence); when it announces that it
 * does, the name must be there. */
static int check_iss(request_rec *r, const ot_metadata_t *metadata,
                     const char *iss)
{
    const char *issuer = login_conf(r)->issuer->issuer;

    if ((iss && strcmp(iss, issuer))
        || (!iss && metadata->iss_parameter_supported)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      APLOGNO(99083) "callback refused: iss %s, expected %s",
                      iss ? ap_escape_logitem(r->pool, iss) : "missing",
                      issuer);
        return ot_oidc_page(r, HTTP_BAD_REQUEST, "Login not accepted",
                            "The answer did not come from the expected login "
                            "service.");
    }
    return OK;
}

static int open_session(request_rec *r, const ot_runtime_t *runtime,
                        const ot_login_result_t *result,
                        const ot_login_t *login, apr_int64_t now)
{
    ot_session_t session;

    memset(&session, 0, sizeof(session));
    if (ot_session_new_id(r->pool, &session.id) != OT_OK) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    session.issuer = login_conf(r)->issuer->issuer;
    session.subject = result->subject;
    session.sid = result->sid;
    session.claims = result->id_claims;
    session.id_token = result->id_token;
    session.access_token = result->access_token;
    session.refresh_token = result->refresh_token;
    session.access_expires = result->access_expires;
    /* Without a scope in the answer, the provider granted what was asked. */
    session.scope =
        result->scope ? result->scope : ot_dir_login_scope(dir_conf(r));
    session.created = now;
    session.last_used = now;
    if (ot_session_save(r->pool, &runtime->sessions->store, &session,
                        ot_dir_session_max(dir_conf(r)))
        != OT_OK) {
        return unavailable_page(r, "the session store cannot keep the "
                                   "session");
    }
    ot_cookie_set(r, ot_cookie_session_name(r), session.id, -1,
                  dir_conf(r)->cookie_attrs);
    r->user = apr_pstrdup(r->pool, session.subject);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  APLOGNO(99084) "login of %s: session opened",
                  ap_escape_logitem(r->pool, session.subject));
    return redirect_to(r, login->return_to);
}

static int handle_callback(request_rec *r, const ot_runtime_t *runtime)
{
    apr_table_t *args;
    const char *state, *code, *error, *detail = NULL;
    const ot_metadata_t *metadata;
    ot_access_policy_t policy;
    ot_keys_baton_t keys;
    ot_login_result_t result;
    ot_client_t client;
    ot_login_t *login;
    apr_int64_t now = apr_time_sec(r->request_time);
    ot_status_t rv;
    int status;

    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    ap_args_to_table(r, &args);
    state = apr_table_get(args, "state");
    code = apr_table_get(args, "code");
    error = apr_table_get(args, "error");
    if (!state) {
        return error ? provider_error(r, error)
                     : ot_oidc_page(r, HTTP_BAD_REQUEST, "Login not accepted",
                                    "The answer from the login service is "
                                    "incomplete.");
    }
    if ((status = take_login(r, runtime, state, &login)) != OK) {
        return status;
    }
    if (error) {
        return provider_error(r, error);
    }
    if (!code) {
        return ot_oidc_page(r, HTTP_BAD_REQUEST, "Login not accepted",
                            "The answer from the login service has no code.");
    }
    if (!runtime->provider
        || ot_provider_metadata(runtime->provider, r->pool,
                                login_conf(r)->issuer, &metadata, &detail)
               != OT_OK) {
        return unavailable_page(r, detail ? detail : "no metadata");
    }
    if ((status = check_iss(r, metadata, apr_table_get(args, "iss"))) != OK) {
        return status;
    }
    ot_oidc_policy(r, &policy, &keys);
    ot_oidc_client(r, &client);
    rv = ot_callback_exchange(r->pool, runtime->fetcher, metadata,
                              login_conf(r)->issuer, &policy, &client, login,
                              code, now, &result, &detail);
    if (rv == OT_ERR_UNAVAILABLE) {
        return unavailable_page(r, detail ? detail : "token endpoint");
    }
    if (rv != OT_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      APLOGNO(99085) "login refused: %s (%s)",
                      ot_status_text(rv), detail ? detail : "");
        return ot_oidc_page(r, HTTP_UNAUTHORIZED, "Login not accepted",
                            "The login could not be completed. Please start "
                            "again.");
    }
    return open_session(r, runtime, &result, login, now);
}

/* Ends this browser's session here, then at the provider when it offers
 * RP-initiated logout. */
static int handle_logout(request_rec *r, const ot_runtime_t *runtime)
{
    const char *cookie = ot_cookie_session_name(r);
    const char *id = ot_cookie_get(r, cookie);
    const char *target = NULL, *why = NULL;
    const ot_metadata_t *metadata;
    ot_session_t *session = NULL;
    apr_table_t *args;
    int touch;

    ap_args_to_table(r, &args);
    target = apr_table_get(args, "return_to");
    if (!target || !ot_redirect_is_local(target)) {
        if (target) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                          APLOGNO(99086) "logout: return_to refused, not a "
                                         "local path");
        }
        target = "/";
    }
    if (id
        && ot_session_load(r->pool, &runtime->sessions->store, id,
                           apr_time_sec(r->request_time), APR_INT32_MAX,
                           APR_INT32_MAX, &session, &touch)
               == OT_OK) {
        ot_session_remove(r->pool, &runtime->sessions->store, id);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      APLOGNO(99087) "logout of %s",
                      ap_escape_logitem(r->pool, session->subject));
    }
    ot_cookie_set(r, cookie, "", 0, NULL);
    if (session && session->id_token && runtime->provider
        && ot_provider_metadata(runtime->provider, r->pool,
                                login_conf(r)->issuer, &metadata, &why)
               == OT_OK
        && metadata->end_session_endpoint) {
        return redirect_to(
            r, ot_logout_url(r->pool, metadata->end_session_endpoint,
                             session->id_token, login_conf(r)->client_id,
                             ap_construct_url(r->pool, target, r)));
    }
    return redirect_to(r, target);
}

static const char *form_value(request_rec *r, const char *name)
{
    apr_array_header_t *pairs = NULL;
    int i;

    if (ap_parse_form_data(r, NULL, &pairs, -1, MAX_FORM_LEN) != OK || !pairs) {
        return NULL;
    }
    for (i = 0; i < pairs->nelts; i++) {
        ap_form_pair_t *pair = &APR_ARRAY_IDX(pairs, i, ap_form_pair_t);
        apr_off_t len;
        apr_size_t size;
        char *value;

        if (strcmp(pair->name, name)) {
            continue;
        }
        apr_brigade_length(pair->value, 1, &len);
        size = (apr_size_t)len;
        value = apr_palloc(r->pool, size + 1);
        apr_brigade_flatten(pair->value, value, &size);
        value[size] = '\0';
        return value;
    }
    return NULL;
}

static int backchannel_answer(request_rec *r, int status, const char *error)
{
    r->status = status;
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    if (error) {
        ap_set_content_type(r, "application/json");
        ap_rprintf(r, "{\"error\":\"%s\"}\n", error);
    }
    return DONE;
}

/* OpenID Connect Back-Channel Logout 1.0: the provider POSTs a signed
 * logout token; every session of that sid (or subject) ends, on every host
 * that shares the session store. */
static int handle_backchannel(request_rec *r, const ot_runtime_t *runtime)
{
    const ot_login_conf_t *login = login_conf(r);
    const char *token, *sid = NULL, *sub = NULL, *jti = NULL, *detail = NULL;
    ot_access_policy_t policy;
    ot_keys_baton_t keys;
    apr_int64_t exp = 0;
    int count = 0;
    ot_status_t rv;

    if (r->method_number != M_POST) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    token = form_value(r, "logout_token");
    if (!token) {
        return backchannel_answer(r, HTTP_BAD_REQUEST, "invalid_request");
    }
    ot_oidc_policy(r, &policy, &keys);
    rv = ot_logout_token_validate(
        r->pool, token, login->issuer, &policy, login->client_id,
        apr_time_sec(r->request_time), LOGOUT_TOKEN_MAX_AGE, &sid, &sub, &jti,
        &exp, &detail);
    if (rv == OT_ERR_UNAVAILABLE) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      APLOGNO(99088) "back-channel logout: cannot check the "
                                     "token: %s",
                      detail ? detail : "");
        return backchannel_answer(r, HTTP_SERVICE_UNAVAILABLE, NULL);
    }
    if (rv == OT_OK
        && ot_store_claim(
               &runtime->sessions->store, r->pool, NS_LOGOUT_JTI,
               apr_pstrcat(r->pool, login->issuer->issuer, "\n", jti, NULL),
               apr_time_from_sec(exp))
               != OT_OK) {
        rv = OT_ERR_CLAIM;
        detail = "logout token replayed (jti seen before)";
    }
    if (rv != OT_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      APLOGNO(99089) "back-channel logout refused: %s (%s)",
                      ot_status_text(rv), detail ? detail : "");
        return backchannel_answer(r, HTTP_BAD_REQUEST, "invalid_request");
    }
    rv = ot_session_remove_by(r->pool, &runtime->sessions->store,
                              login->issuer->issuer, sid, sub, &count);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  APLOGNO(99090) "back-channel logout of %s %s: %d "
                                 "session(s) ended",
                  sid ? "sid" : "sub",
                  ap_escape_logitem(r->pool, sid ? sid : sub), count);
    return backchannel_answer(
        r, rv == OT_OK ? HTTP_OK : HTTP_SERVICE_UNAVAILABLE, NULL);
}

int ot_endpoints_handle(request_rec *r, int lookup_uri)
{
    const ot_login_conf_t *login = login_conf(r);
    const ot_runtime_t *runtime = ot_runtime_of(r);
    int (*handler)(request_rec *, const ot_runtime_t *) = NULL;
    int status;

    if (lookup_uri || !login->client_id || !login->issuer || !r->uri) {
        return DECLINED;
    }
    if (login->redirect_path && !strcmp(r->uri, login->redirect_path)) {
        handler = handle_callback;
    }
    else if (login->logout_path && !strcmp(r->uri, login->logout_path)) {
        handler = handle_logout;
    }
    else if (login->backchannel_path
             && !strcmp(r->uri, login->backchannel_path)) {
        handler = handle_backchannel;
    }
    if (!handler) {
        return DECLINED;
    }
    if (!runtime) {
        unavailable_page(r, "no session store");
        return OK;
    }
    /* Per-location settings (cookie name, timeouts) as for the pages. */
    ap_location_walk(r);
    status = handler(r, runtime);
    /* The handlers answer DONE once they have written the response; a
     * quick handler says that with OK. */
    return status == DONE ? OK : status;
}
