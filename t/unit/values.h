/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Small builders for the values the tests hand to the code under test: a
 * list of strings (audiences, login clients) and a JSON object with one
 * member replaced or removed (claims, answers). Shared because the token,
 * ID token, cache, introspection and callback tests all build them. */

#ifndef OT_TEST_VALUES_H
#define OT_TEST_VALUES_H

#include <stdarg.h>

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>

/* The NULL-terminated arguments as an array of const char *, in p. */
static inline apr_array_header_t *strings(apr_pool_t *p, const char *first, ...)
{
    apr_array_header_t *a = apr_array_make(p, 2, sizeof(const char *));
    const char *s;
    va_list ap;

    va_start(ap, first);
    for (s = first; s != NULL; s = va_arg(ap, const char *)) {
        APR_ARRAY_PUSH(a, const char *) = s;
    }
    va_end(ap);
    return a;
}

/* object with key set to value (a reference it takes), or removed when
 * value is NULL; returns object, so edits can be nested in a call. */
static inline json_t *with(json_t *object, const char *key, json_t *value)
{
    if (value == NULL) {
        json_object_del(object, key);
    }
    else {
        json_object_set_new(object, key, value);
    }
    return object;
}

#endif
