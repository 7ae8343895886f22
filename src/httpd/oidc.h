/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* AuthType OIDC: a browser with a valid session is let in as the session's
 * subject; one without is sent to the provider to log in (top-level page
 * loads only; anything else gets 401). The login's own endpoints (callback,
 * logout, back-channel logout) live in endpoints.c. */

#ifndef OT_HTTPD_OIDC_H
#define OT_HTTPD_OIDC_H

#include <httpd.h>
#include "oidc/callback.h"
#include "oidc/session.h"
#include "token/access.h"

/* check_authn for AuthType OIDC. */
int ot_oidc_authenticate(request_rec *r);

/* The ID-token policy of the login at r: the login issuer, the location's
 * algorithms and skew, the provider's keys. */
void ot_oidc_policy(request_rec *r, ot_access_policy_t *policy,
                    void *keys_baton);

/* The login client as the token endpoint sees it, redirect URI absolute. */
void ot_oidc_client(request_rec *r, ot_client_t *client);

/* A small HTML page for a login problem; DONE: the response is written. */
int ot_oidc_page(request_rec *r, int status, const char *title,
                 const char *message);

#endif
