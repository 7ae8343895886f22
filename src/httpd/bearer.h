/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Finding the one bearer token of a request (RFC 6750 section 2). */

#ifndef OT_HTTPD_BEARER_H
#define OT_HTTPD_BEARER_H

#include <httpd.h>

typedef enum {
    OT_BEARER_NONE, /* no bearer credential at all */
    OT_BEARER_FOUND,
    OT_BEARER_MALFORMED, /* "Bearer" with an empty or undecodable token */
    OT_BEARER_TWICE,     /* more than one credential */
    OT_BEARER_NOT_HERE   /* a token where this location does not read one */
} ot_bearer_t;

/* Looks in the places token_in (OT_TOKEN_IN_*) allows and in the others,
 * so a token sent where it is not accepted is refused rather than ignored.
 * On OT_BEARER_FOUND *token is set, its syntax not yet checked: a token
 * the cache knows is well-formed, so the check waits for a miss. */
ot_bearer_t ot_bearer_find(request_rec *r, int token_in, const char **token);

/* 1 when token is an RFC 6750 b64token. */
int ot_bearer_well_formed(const char *token);

/* Fixed text describing a non-FOUND result, for the 400 answer. */
const char *ot_bearer_problem(ot_bearer_t result);

#endif
