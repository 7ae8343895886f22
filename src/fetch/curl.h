/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* The libcurl fetcher: TLS verification always on, connect and total
 * timeouts, no redirects followed, https only (http to loopback allowed),
 * and one connection cache per thread, reused across requests. */

#ifndef OT_FETCH_CURL_H
#define OT_FETCH_CURL_H

#include <apr_pools.h>
#include "fetch/fetch.h"

typedef struct ot_curl_options_t {
    long connect_timeout_ms;
    long total_timeout_ms;
    const char *ca_file;       /* NULL: the system's CA store */
    const char *user_agent;
} ot_curl_options_t;

/* Once per process, before any thread exists (curl_global_init). */
ot_status_t ot_curl_global_init(void);

/* A fetcher whose handles live as long as p (a child's pool): each thread
 * gets its own easy handle on first use, kept for reuse of connections. */
ot_status_t ot_curl_fetcher_create(apr_pool_t *p,
                                   const ot_curl_options_t *options,
                                   ot_fetcher_t **out);

#endif
