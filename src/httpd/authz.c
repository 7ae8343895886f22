/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* The providers are pure: they read the accepted token and record why they
 * said no; the challenge is written by whoever sends the error. Require
 * lines are parsed once, at start-up. */

#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <http_request.h>
#include <mod_auth.h>

#include "httpd/authz.h"
#include "httpd/config.h"
#include "httpd/request.h"
#include "token/claims.h"
#include "token/scope.h"

APLOG_USE_MODULE(oauth_token);

typedef struct parsed_line_t {
    const char *claim;          /* oauth-claim: the dotted path */
    apr_array_header_t *values; /* const char * */
    const char *joined;         /* the values as written, for challenges */
} parsed_line_t;

/* RFC 6750 wants 403 for a valid token that lacks rights, but mod_authz_core
 * answers 401 unless AuthzSendForbiddenOnFailure is on; so a section that
 * uses these providers gets it turned on, as if the admin had written it.
 * An explicit "AuthzSendForbiddenOnFailure Off" later in the section still
 * wins. */
static const char *forbid_on_failure(cmd_parms *cmd)
{
    module *authz_core = ap_top_module;
    const command_rec *directive =
        ap_find_command_in_modules("AuthzSendForbiddenOnFailure", &authz_core);
    cmd_parms sub;
    void *mconfig;

    if (!directive || !cmd->context) {
        return NULL;
    }
    sub = *cmd;
    sub.cmd = directive;
    sub.info = directive->cmd_data;
    mconfig = ap_set_config_vectors(cmd->server, cmd->context, cmd->path,
                                    authz_core, cmd->pool);
    return directive->AP_FLAG(&sub, mconfig, 1);
}

static const char *parse_words(cmd_parms *cmd, const char *line, int has_claim,
                               const void **parsed)
{
    parsed_line_t *pl = apr_pcalloc(cmd->pool, sizeof(*pl));
    const char *name = apr_pstrdup(cmd->pool, cmd->directive->args);
    const char *word;

    name = ap_getword_conf(cmd->temp_pool, &name);
    pl->values = apr_array_make(cmd->pool, 4, sizeof(const char *));
    while (*(word = ap_getword_conf(cmd->pool, &line))) {
        if (has_claim && !pl->claim) {
            pl->claim = word;
            continue;
        }
        APR_ARRAY_PUSH(pl->values, const char *) = word;
        pl->joined = pl->joined
                         ? apr_pstrcat(cmd->pool, pl->joined, " ", word, NULL)
                         : word;
    }
    if (!pl->values->nelts) {
        return apr_psprintf(cmd->pool, "Require %s: %s", name,
                            has_claim ? "needs a claim name and at least "
                                        "one value"
                                      : "needs at least one value");
    }
    *parsed = pl;
    return forbid_on_failure(cmd);
}

static const char *parse_values(cmd_parms *cmd, const char *line,
                                const void **parsed)
{
    return parse_words(cmd, line, 0, parsed);
}

static const char *parse_claim_values(cmd_parms *cmd, const char *line,
                                      const void **parsed)
{
    return parse_words(cmd, line, 1, parsed);
}

/* The token, or the reason there is none to judge. */
static authz_status deny(request_rec *r, const char *needed_scope)
{
    ot_request_t *state = ot_request_state(r, 1);

    state->authz_denied = 1;
    if (needed_scope && !state->needed_scope) {
        state->needed_scope = needed_scope;
    }
    return AUTHZ_DENIED;
}

typedef int (*token_test_t)(const ot_access_token_t *token,
                            const parsed_line_t *pl);

/* is_scope_line: a refusal names the line's scopes in the challenge. */
static authz_status judge(request_rec *r, const void *parsed,
                          token_test_t grants, int is_scope_line)
{
    const parsed_line_t *pl = parsed;
    const ot_access_token_t *token;

    if (!r->user) {
        return AUTHZ_DENIED_NO_USER;
    }
    /* A user without a token was authenticated by some other module: there
     * is nothing these providers could grant on. */
    token = ot_request_token(r);
    if (!token) {
        return AUTHZ_DENIED;
    }
    if (grants(token, pl)) {
        return AUTHZ_GRANTED;
    }
    return deny(r, is_scope_line ? pl->joined : NULL);
}

static int has_every_scope(const ot_access_token_t *token,
                           const parsed_line_t *pl)
{
    int i;

    for (i = 0; i < pl->values->nelts; i++) {
        if (!ot_scope_has(token->scopes,
                          APR_ARRAY_IDX(pl->values, i, const char *))) {
            return 0;
        }
    }
    return 1;
}

static int claim_matches_one(const ot_access_token_t *token,
                             const parsed_line_t *pl)
{
    int i;

    for (i = 0; i < pl->values->nelts; i++) {
        if (ot_claims_match(token->claims, pl->claim,
                            APR_ARRAY_IDX(pl->values, i, const char *))) {
            return 1;
        }
    }
    return 0;
}

static int client_is_listed(const ot_access_token_t *token,
                            const parsed_line_t *pl)
{
    int i;

    for (i = 0; token->client_id && i < pl->values->nelts; i++) {
        if (!strcmp(token->client_id,
                    APR_ARRAY_IDX(pl->values, i, const char *))) {
            return 1;
        }
    }
    return 0;
}

static authz_status check_scope(request_rec *r, const char *line,
                                const void *parsed)
{
    (void)line;
    return judge(r, parsed, has_every_scope, 1);
}

static authz_status check_claim(request_rec *r, const char *line,
                                const void *parsed)
{
    (void)line;
    return judge(r, parsed, claim_matches_one, 0);
}

static authz_status check_client(request_rec *r, const char *line,
                                 const void *parsed)
{
    (void)line;
    return judge(r, parsed, client_is_listed, 0);
}

static const authz_provider scope_provider = {check_scope, parse_values};
static const authz_provider claim_provider = {check_claim, parse_claim_values};
static const authz_provider client_provider = {check_client, parse_values};

void ot_authz_register(apr_pool_t *p)
{
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "oauth-scope",
                              AUTHZ_PROVIDER_VERSION, &scope_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "oauth-claim",
                              AUTHZ_PROVIDER_VERSION, &claim_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "oauth-client",
                              AUTHZ_PROVIDER_VERSION, &client_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
}
