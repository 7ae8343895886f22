/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <util_mutex.h>

#include "fetch/curl.h"
#include "httpd/config.h"
#include "httpd/runtime.h"

APLOG_USE_MODULE(oauth_token);

#define DEFAULT_CACHE_SIZE 4194304

/* Validated tokens each process keeps parsed in front of the socache: a
 * few MB per process at most, whatever the traffic. */
#define MEMO_CAPACITY 2048

static ot_server_conf_t *server_conf(server_rec *s)
{
    return ap_get_module_config(s->module_config, &oauth_token_module);
}

static int value_or(int value, int fallback)
{
    return value != OT_UNSET ? value : fallback;
}

int ot_runtime_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp)
{
    (void)plog;
    (void)ptemp;
    return ap_mutex_register(pconf, OT_CACHE_MUTEX_TYPE, NULL, APR_LOCK_DEFAULT,
                             0)
                   == APR_SUCCESS
               ? OK
               : HTTP_INTERNAL_SERVER_ERROR;
}

static int any_issuer(server_rec *s)
{
    for (; s; s = s->next) {
        if (server_conf(s)->issuers->nelts) {
            return 1;
        }
    }
    return 0;
}

int ot_runtime_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp, server_rec *s)
{
    const ot_provider_conf_t *pc = &server_conf(s)->provider;
    ot_runtime_t *runtime;
    const char *spec, *err;
    server_rec *vs;
    (void)plog;

    if (!any_issuer(s)) {
        return OK;
    }
    /* Before any thread exists: curl's global state is not thread-safe. */
    if (ot_curl_global_init() != OT_OK) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     APLOGNO(99052) "libcurl global initialisation failed");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    runtime = apr_pcalloc(pconf, sizeof(*runtime));
    spec =
        pc->cache_spec
            ? pc->cache_spec
            : apr_psprintf(ptemp, "shmcb:%s(%d)",
                           ap_runtime_dir_relative(ptemp, "oauth_token_cache"),
                           DEFAULT_CACHE_SIZE);
    err = ot_socache_create(pconf, ptemp, "OAuthTokenCache", spec,
                            &runtime->cache);
    if (!err && pc->session_spec) {
        err = ot_socache_create(pconf, ptemp, "OAuthTokenSessionStore",
                                pc->session_spec, &runtime->sessions);
    }
    if (err) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, APLOGNO(99053) "%s", err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (ot_socache_init(runtime->cache, "oauth_token", pconf, s) != APR_SUCCESS
        || (runtime->sessions
            && ot_socache_init(runtime->sessions, "oauth_session", pconf, s)
                   != APR_SUCCESS)) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (!runtime->sessions) {
        runtime->sessions = runtime->cache;
    }
    for (vs = s; vs; vs = vs->next) {
        server_conf(vs)->runtime = runtime;
    }
    return OK;
}

static ot_provider_options_t provider_options(const ot_provider_conf_t *pc)
{
    ot_provider_options_t options;
    apr_interval_time_t max_age =
        apr_time_from_sec(value_or(pc->jwks_max_age, 3600));
    apr_interval_time_t max_stale =
        apr_time_from_sec(value_or(pc->jwks_max_stale, 86400));

    memset(&options, 0, sizeof(options));
    options.jwks.default_ttl =
        max_age < apr_time_from_sec(600) ? max_age : apr_time_from_sec(600);
    options.jwks.min_ttl =
        apr_time_from_sec(30) < max_age ? apr_time_from_sec(30) : max_age;
    options.jwks.max_ttl = max_age;
    options.jwks.max_stale = max_stale;
    options.jwks.max_len = OT_MAX_JWKS_LEN;
    options.metadata = options.jwks;
    options.metadata.max_len = OT_MAX_METADATA_LEN;
    options.refresh_interval =
        apr_time_from_sec(value_or(pc->refresh_interval, 30));
    return options;
}

void ot_runtime_child_init(apr_pool_t *pchild, server_rec *s)
{
    ot_runtime_t *runtime = server_conf(s)->runtime;
    const ot_provider_conf_t *pc = &server_conf(s)->provider;
    ot_curl_options_t curl;
    ot_provider_options_t options = provider_options(pc);

    if (!runtime) {
        return;
    }
    if (ot_socache_child_init(runtime->cache, pchild) != APR_SUCCESS
        || (runtime->sessions != runtime->cache
            && ot_socache_child_init(runtime->sessions, pchild)
                   != APR_SUCCESS)) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     APLOGNO(99054) "cannot attach to the OAuthTokenCache "
                                    "mutex in this child");
    }
    memset(&curl, 0, sizeof(curl));
    curl.connect_timeout_ms = value_or(pc->connect_timeout, 2000);
    curl.total_timeout_ms = value_or(pc->total_timeout, 5000);
    curl.ca_file = pc->ca_file;
    curl.user_agent = "mod_oauth_token";
    if (ot_token_memo_create(pchild, MEMO_CAPACITY, &runtime->memo) != OT_OK) {
        runtime->memo = NULL;
    }
    if (ot_curl_fetcher_create(pchild, &curl, &runtime->fetcher) != OT_OK
        || ot_provider_create(pchild, &runtime->cache->store, runtime->fetcher,
                              &options, &runtime->provider)
               != OT_OK) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     APLOGNO(99055) "cannot set up the provider client in "
                                    "this child; tokens that need it get 503");
        runtime->fetcher = NULL;
        runtime->provider = NULL;
    }
}

ot_runtime_t *ot_runtime_of(request_rec *r)
{
    return server_conf(r->server)->runtime;
}

/* The policy's ot_issuer_keys_fn. */
static ot_status_t issuer_keys(void *baton, apr_pool_t *p,
                               const ot_issuer_t *issuer, int refresh,
                               const ot_jwks_t **jwks, const char **why)
{
    ot_keys_baton_t *kb = baton;
    ot_status_t rv;

    if (!kb->provider) {
        *why = "the provider client could not be set up in this process";
        return OT_ERR_UNAVAILABLE;
    }
    rv = ot_provider_issuer_keys(kb->provider, p, issuer, refresh, jwks, why);
    if (rv == OT_OK && *why) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, kb->r,
                      APLOGNO(99060) "keys of %s: %s", issuer->issuer, *why);
    }
    return rv;
}

void ot_runtime_use_provider_keys(request_rec *r, ot_access_policy_t *policy,
                                  ot_keys_baton_t *baton)
{
    const ot_runtime_t *runtime = ot_runtime_of(r);

    baton->r = r;
    baton->provider = runtime ? runtime->provider : NULL;
    policy->issuer_keys = issuer_keys;
    policy->issuer_keys_baton = baton;
}
