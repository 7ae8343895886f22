/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <string.h>

#include "util/json.h"

static apr_status_t json_cleanup(void *data)
{
    json_decref((json_t *)data);
    return APR_SUCCESS;
}

json_t *ot_json_pool_own(apr_pool_t *p, json_t *j)
{
    if (j != NULL) {
        apr_pool_cleanup_register(p, j, json_cleanup, apr_pool_cleanup_null);
    }
    return j;
}

/* 1 when no container in j is nested deeper than max levels (j itself
 * being level 1). jansson's own limit (2048) protects its parser's stack;
 * ours keeps later recursive consumers of claims cheap and predictable. */
static int json_depth_ok(json_t *j, int max)
{
    const char *key;
    json_t *v;
    size_t i;

    if (!json_is_object(j) && !json_is_array(j)) {
        return 1;
    }
    if (max <= 0) {
        return 0;
    }
    if (json_is_object(j)) {
        json_object_foreach(j, key, v) {
            if (!json_depth_ok(v, max - 1)) {
                return 0;
            }
        }
        return 1;
    }
    json_array_foreach(j, i, v) {
        if (!json_depth_ok(v, max - 1)) {
            return 0;
        }
    }
    return 1;
}

ot_status_t ot_json_parse_object(apr_pool_t *p, const char *text,
                                 apr_size_t len, apr_size_t max_len,
                                 json_t **out)
{
    json_error_t err;
    json_t *j;

    *out = NULL;
    if (len > max_len) {
        return OT_ERR_TOO_LARGE;
    }
    if (text == NULL) {
        return OT_ERR_MALFORMED;
    }
    /* Without JSON_DISABLE_EOF_CHECK trailing bytes are an error, and
     * without JSON_ALLOW_NUL an escaped NUL in a string is too: a claim
     * can then be used as a C string without being silently cut. */
    j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    if (j == NULL) {
        return json_error_code(&err) == json_error_stack_overflow
                   ? OT_ERR_TOO_LARGE
                   : OT_ERR_MALFORMED;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        return OT_ERR_MALFORMED;
    }
    if (!json_depth_ok(j, OT_MAX_JSON_DEPTH)) {
        json_decref(j);
        return OT_ERR_TOO_LARGE;
    }
    *out = ot_json_pool_own(p, j);
    return OT_OK;
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
