/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Scopes granted by a token: a space-separated string (RFC 6749 3.3,
 * RFC 9068 "scope") or an array of strings (such as "scp"). */

#ifndef OT_SCOPE_H
#define OT_SCOPE_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>

/* The scopes in claim name of claims, as an array of const char *. Empty
 * when the claim is absent or of another type. */
apr_array_header_t *ot_scope_list(apr_pool_t *p, json_t *claims,
                                  const char *name);

/* 1 when scopes contains scope exactly. */
int ot_scope_has(const apr_array_header_t *scopes, const char *scope);

/* The scopes joined by single spaces ("" when none). */
const char *ot_scope_join(apr_pool_t *p, const apr_array_header_t *scopes);

#endif
