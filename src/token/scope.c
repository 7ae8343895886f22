/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <string.h>

#include <apr_strings.h>

#include "util/json.h"
#include "token/scope.h"

/* RFC 6749 3.3 separates scope tokens with single spaces; runs of spaces
 * are tolerated because some providers emit them, but never yield an
 * empty scope that a "Require oauth-scope" line could not name anyway. */
static void split_scopes(apr_pool_t *p, const char *s, apr_size_t len,
                         apr_array_header_t *out)
{
    apr_size_t i = 0, start;

    while (i < len) {
        while (i < len && s[i] == ' ') {
            i++;
        }
        start = i;
        while (i < len && s[i] != ' ') {
            i++;
        }
        if (i > start) {
            APR_ARRAY_PUSH(out, const char *) =
                apr_pstrmemdup(p, s + start, i - start);
        }
    }
}

apr_array_header_t *ot_scope_list(apr_pool_t *p, json_t *claims,
                                  const char *name)
{
    apr_array_header_t *scopes = apr_array_make(p, 8, sizeof(const char *));
    json_t *claim, *item;
    size_t i;

    if (claims == NULL || name == NULL) {
        return scopes;
    }
    claim = ot_json_path(claims, name);
    /* A NUL inside a JSON string (jansson can be told to allow it) would
     * cut the C string short and grant a prefix: such values grant nothing. */
    if (json_is_string(claim)
        && !memchr(json_string_value(claim), '\0', json_string_length(claim))) {
        split_scopes(p, json_string_value(claim), json_string_length(claim),
                     scopes);
    }
    else if (json_is_array(claim)) {
        /* Elements that are not strings are dropped rather than refused:
         * a scope list only ever grants, so ignoring one grants less. */
        json_array_foreach(claim, i, item) {
            if (json_is_string(item) && json_string_length(item) > 0
                && !memchr(json_string_value(item), '\0',
                           json_string_length(item))) {
                APR_ARRAY_PUSH(scopes, const char *) = apr_pstrmemdup(
                    p, json_string_value(item), json_string_length(item));
            }
        }
    }
    return scopes;
}

int ot_scope_has(const apr_array_header_t *scopes, const char *scope)
{
    int i;

    if (scopes == NULL || scope == NULL) {
        return 0;
    }
    for (i = 0; i < scopes->nelts; i++) {
        if (strcmp(APR_ARRAY_IDX(scopes, i, const char *), scope) == 0) {
            return 1;
        }
    }
    return 0;
}

const char *ot_scope_join(apr_pool_t *p, const apr_array_header_t *scopes)
{
    if (scopes == NULL || scopes->nelts == 0) {
        return "";
    }
    return apr_array_pstrcat(p, scopes, ' ');
}
