/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* mod_oauth_token: OAuth 2.0 bearer tokens (RFC 6750, RFC 9068) and the
 * OpenID Connect login with server-side sessions, for httpd.
 * This file is the glue only: the module record, the directive table and
 * the hooks. The token logic lives in the httpd-free core under src/. */

#include <httpd.h>
#include <http_config.h>
#include <http_protocol.h>
#include <http_request.h>

#include "httpd/authn.h"
#include "httpd/authz.h"
#include "httpd/config.h"
#include "httpd/endpoints.h"
#include "httpd/oidc.h"
#include "httpd/runtime.h"

static void register_hooks(apr_pool_t *p)
{
    ap_hook_pre_config(ot_runtime_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(ot_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(ot_runtime_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(ot_runtime_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_fixups(ot_authn_fixups, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_quick_handler(ot_endpoints_handle, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_authn(ot_authn_bearer, NULL, NULL, APR_HOOK_MIDDLE,
                        AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_check_authn(ot_oidc_authenticate, NULL, NULL, APR_HOOK_MIDDLE,
                        AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_note_auth_failure(ot_authn_note_failure, NULL, NULL,
                              APR_HOOK_MIDDLE);
    ap_hook_insert_error_filter(ot_authn_error_challenge, NULL, NULL,
                                APR_HOOK_MIDDLE);
    ot_authz_register(p);
}

AP_DECLARE_MODULE(oauth_token) = {
    STANDARD20_MODULE_STUFF, ot_create_dir_conf,   ot_merge_dir_conf,
    ot_create_server_conf,   ot_merge_server_conf, ot_directives,
    register_hooks,          AP_MODULE_FLAG_NONE};
