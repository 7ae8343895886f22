/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* The login's own endpoints: the redirect URI (callback), the local logout
 * and the back-channel logout. They run as a quick handler, before any
 * authentication of the location they sit in: each does its own checks
 * (state bound to the browser, signed logout token). */

#ifndef OT_HTTPD_ENDPOINTS_H
#define OT_HTTPD_ENDPOINTS_H

#include <httpd.h>

int ot_endpoints_handle(request_rec *r, int lookup_uri);

#endif
