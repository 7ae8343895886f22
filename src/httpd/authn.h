/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* AuthType Bearer: the check_authn hook, and what an accepted token makes
 * visible to the log, the environment and the backend. */

#ifndef OT_HTTPD_AUTHN_H
#define OT_HTTPD_AUTHN_H

#include <httpd.h>

/* check_authn: validates the request's bearer token. */
int ot_authn_bearer(request_rec *r);

/* fixups: removes client-sent copies of OAuthTokenPassClaim headers on
 * every request whose location configures them, then sets them, and the
 * OAUTH_* environment, from the request's token. */
int ot_authn_fixups(request_rec *r);

/* note_auth_failure: claims AuthType Bearer and completes the challenge. */
int ot_authn_note_failure(request_rec *r, const char *auth_type);

/* insert_error_filter: the 403 insufficient_scope challenge. */
void ot_authn_error_challenge(request_rec *r);

#endif
