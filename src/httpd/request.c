/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <httpd.h>
#include <http_config.h>

#include "httpd/config.h"
#include "httpd/request.h"

ot_request_t *ot_request_state(request_rec *r, int create)
{
    ot_request_t *state =
        ap_get_module_config(r->request_config, &oauth_token_module);

    if (!state && create) {
        state = apr_pcalloc(r->pool, sizeof(*state));
        ap_set_module_config(r->request_config, &oauth_token_module, state);
    }
    return state;
}

const ot_access_token_t *ot_request_token(request_rec *r)
{
    for (; r; r = r->prev ? r->prev : r->main) {
        const ot_request_t *state = ot_request_state(r, 0);

        if (state && state->token) {
            return state->token;
        }
    }
    return NULL;
}
