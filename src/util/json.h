/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* jansson bound to an APR pool: objects are released with the pool,
 * duplicate keys are rejected, and size and depth are bounded. */

#ifndef OT_JSON_H
#define OT_JSON_H

#include <apr_pools.h>
#include <jansson.h>
#include "ot.h"

/* Parses exactly len bytes that must hold one JSON object (strict RFC 8259,
 * json_parse.c). The result is decref'd when p is cleared. OT_ERR_TOO_LARGE
 * over max_len or OT_MAX_JSON_DEPTH; OT_ERR_MALFORMED for bad JSON,
 * duplicate keys, \u0000 or a non-object top level. */
ot_status_t ot_json_parse_object(apr_pool_t *p, const char *text,
                                 apr_size_t len, apr_size_t max_len,
                                 json_t **out);

/* Follows a dotted path ("realm_access.roles") through nested objects.
 * A key that itself contains a dot is matched first as a whole.
 * NULL when any step is missing or not an object. */
json_t *ot_json_path(json_t *object, const char *path);

/* The string member key of object, or NULL when absent or not a string. */
const char *ot_json_string(json_t *object, const char *key);

/* j as compact JSON text in p (flags as for json_dumps, JSON_COMPACT
 * always added); NULL when j is NULL or jansson cannot encode it. */
char *ot_json_text(apr_pool_t *p, const json_t *j, size_t flags);

/* Releases j (which the caller owns) when p is cleared; returns j. */
json_t *ot_json_pool_own(apr_pool_t *p, json_t *j);

#endif
