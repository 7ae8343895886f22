/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Cookies of the login: read without logging their values, and written as
 * HttpOnly, SameSite=Lax, Path=/, Secure on https. The Set-Cookie goes to
 * err_headers_out so that redirects and error pages carry it too. */

#ifndef OT_HTTPD_COOKIE_H
#define OT_HTTPD_COOKIE_H

#include <httpd.h>

/* 1 when the client reached this server over TLS. */
int ot_request_is_https(request_rec *r);

/* The value of the cookie name sent with r, or NULL. */
const char *ot_cookie_get(request_rec *r, const char *name);

/* max_age < 0: a browser-session cookie; 0: the cookie is deleted. */
void ot_cookie_set(request_rec *r, const char *name, const char *value,
                   apr_int64_t max_age, const char *extra_attributes);

/* The session cookie's name at r: OAuthTokenSessionCookie, else
 * "__Host-oauth_session" on https and "oauth_session" on http (a __Host-
 * cookie needs Secure). */
const char *ot_cookie_session_name(request_rec *r);

/* The prefix of the short-lived cookies that bind pending logins. */
const char *ot_cookie_login_prefix(request_rec *r);

#endif
