/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Strict base64url (RFC 7515 section 2): the URL-safe alphabet only, no
 * padding, no whitespace, and no non-zero trailing bits. */

#ifndef OT_B64URL_H
#define OT_B64URL_H

#include <apr_pools.h>
#include "ot.h"

/* Decodes len bytes of in; *out is NUL-terminated for convenience.
 * OT_ERR_MALFORMED on any character or length that strict base64url forbids. */
ot_status_t ot_b64url_decode(apr_pool_t *p, const char *in, apr_size_t len,
                             unsigned char **out, apr_size_t *out_len);

/* Encodes without padding. */
const char *ot_b64url_encode(apr_pool_t *p, const unsigned char *in,
                             apr_size_t len);

#endif
