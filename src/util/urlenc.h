/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Percent-encoding for forms and queries sent to a provider. */

#ifndef OT_URLENC_H
#define OT_URLENC_H

#include <apr_pools.h>

/* RFC 3986 percent-encoding of everything but the unreserved characters,
 * valid both in application/x-www-form-urlencoded bodies (RFC 6749
 * appendix B, and the client credentials of 2.3.1) and in a URL's query,
 * so a value can never end its parameter or start another. The space
 * becomes "%20", not "+": every decoder reads that back as a space, while
 * some read "+" in Basic credentials as a "+". */
const char *ot_url_encode(apr_pool_t *p, const char *value);

#endif
