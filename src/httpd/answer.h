/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Every refusal in one place: the RFC 6750 status and WWW-Authenticate
 * challenge, and exactly one APLOGNO-tagged log line at info. */

#ifndef OT_HTTPD_ANSWER_H
#define OT_HTTPD_ANSWER_H

#include <httpd.h>
#include "ot.h"

/* No bearer credential: 401 with a bare challenge (no error code). */
int ot_answer_no_token(request_rec *r);

/* A malformed request (two credentials, bad syntax, token where it is not
 * accepted): 400 invalid_request. why is fixed text. */
int ot_answer_invalid_request(request_rec *r, const char *why);

/* A token that failed validation: 401 invalid_token. detail is logged
 * only; the client sees ot_status_text(status). OT_ERR_INTERNAL (OpenSSL
 * or memory failure) is a 500 instead, logged at error. */
int ot_answer_invalid_token(request_rec *r, ot_status_t status,
                            const char *detail);

/* A location that cannot validate anything (e.g. an .htaccess Bearer
 * section with no audience): 500, logged at error. */
int ot_answer_misconfigured(request_rec *r, const char *what);

/* The provider cannot be reached (and nothing usable is cached): 503 with
 * Retry-After, logged at error with why. Never a 401 that blames the
 * client. */
int ot_answer_unavailable(request_rec *r, const char *why);

/* Adds the 403 insufficient_scope challenge to an error response that is
 * being sent (insert_error_filter). */
void ot_answer_add_insufficient_scope(request_rec *r, const char *scope);

#endif
