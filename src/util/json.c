/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "util/json.h"

static apr_status_t json_cleanup(void *data)
{
    json_decref((json_t *)data);
    return APR_SUCCESS;
}

char *ot_json_text(apr_pool_t *p, const json_t *j, size_t flags)
{
    char *text = j ? json_dumps(j, flags | JSON_COMPACT) : NULL;
    char *copy;

    if (text == NULL) {
        return NULL;
    }
    copy = apr_pstrdup(p, text);
    free(text);
    return copy;
}

json_t *ot_json_pool_own(apr_pool_t *p, json_t *j)
{
    if (j != NULL) {
        apr_pool_cleanup_register(p, j, json_cleanup, apr_pool_cleanup_null);
    }
    return j;
}

/* Walks path[0..len) from object. The whole remaining path is tried as a
 * key before it is split, so {"a.b": 1} is found by "a.b"; each split
 * point is tried in turn so that a dotted key can also sit mid-path. */
static json_t *json_path_walk(json_t *object, const char *path, apr_size_t len)
{
    json_t *found, *child;
    const char *dot;

    if (!json_is_object(object)) {
        return NULL;
    }
    found = json_object_getn(object, path, len);
    if (found != NULL) {
        return found;
    }
    for (dot = memchr(path, '.', len); dot != NULL;
         dot = memchr(dot + 1, '.', len - (apr_size_t)(dot + 1 - path))) {
        child = json_object_getn(object, path, (apr_size_t)(dot - path));
        if (child == NULL) {
            continue;
        }
        found =
            json_path_walk(child, dot + 1, len - (apr_size_t)(dot + 1 - path));
        if (found != NULL) {
            return found;
        }
    }
    return NULL;
}

json_t *ot_json_path(json_t *object, const char *path)
{
    if (object == NULL || path == NULL || *path == '\0') {
        return NULL;
    }
    return json_path_walk(object, path, strlen(path));
}

const char *ot_json_string(json_t *object, const char *key)
{
    json_t *v = json_object_get(object, key);

    return json_is_string(v) ? json_string_value(v) : NULL;
}
