/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <string.h>
#include <unistd.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>
#include <curl/curl.h>

#include "fetch/curl.h"

#define CURL_DEFAULT_CONNECT_MS 2000
#define CURL_DEFAULT_TOTAL_MS 5000
#define CURL_DEFAULT_AGENT "mod_oauth_token"
/* A caller that leaves max_response at 0 still gets a bound. */
#define CURL_DEFAULT_MAX_RESPONSE OT_MAX_JWKS_LEN
/* Cache-Control values beyond this are dropped, not grown into. */
#define CURL_MAX_CACHE_CONTROL 4096

typedef struct curl_fetcher_t {
    ot_curl_options_t options;
    apr_threadkey_t *key; /* this thread's CURL *, made on first use */
    pid_t pid;            /* the process the fetcher belongs to */
} curl_fetcher_t;

/* What one request collects; every pointer is in the request's pool. */
typedef struct curl_answer_t {
    apr_pool_t *p;
    char *body;
    apr_size_t len, cap, max;
    int too_large;
    const char *cache_control;
} curl_answer_t;

ot_status_t ot_curl_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? OT_OK
                                                             : OT_ERR_INTERNAL;
}

static void curl_handle_destroy(void *handle)
{
    curl_easy_cleanup(handle);
}

/* The thread destroying the pool is not exiting, so its key destructor
 * would never run; other threads' handles go with their threads. A
 * handle inherited across fork is left alone: cleaning it up would shut
 * down TLS sessions on sockets the parent still uses. */
static apr_status_t curl_fetcher_cleanup(void *data)
{
    curl_fetcher_t *cf = data;
    void *handle = NULL;

    if (cf->pid == getpid()
        && apr_threadkey_private_get(&handle, cf->key) == APR_SUCCESS
        && handle != NULL) {
        apr_threadkey_private_set(NULL, cf->key);
        curl_easy_cleanup(handle);
    }
    return APR_SUCCESS;
}

/* Growth is geometric in the pool, so a body of n bytes costs at most
 * about 2n; past max the transfer is aborted, not truncated. */
static size_t curl_on_body(char *data, size_t size, size_t nmemb, void *baton)
{
    curl_answer_t *a = baton;
    apr_size_t n = size * nmemb;
    char *grown;

    if (n > a->max - a->len) {
        a->too_large = 1;
        return 0;
    }
    if (a->len + n + 1 > a->cap) {
        a->cap = (a->len + n + 1) * 2;
        grown = apr_palloc(a->p, a->cap);
        if (a->len > 0) {
            memcpy(grown, a->body, a->len);
        }
        a->body = grown;
    }
    memcpy(a->body + a->len, data, n);
    a->len += n;
    a->body[a->len] = '\0';
    return n;
}

/* Collects Cache-Control; a status line starts a new response (1xx,
 * proxy CONNECT) whose headers replace the earlier ones. */
static size_t curl_on_header(char *data, size_t size, size_t nmemb, void *baton)
{
    static const char name[] = "cache-control:";
    curl_answer_t *a = baton;
    apr_size_t n = size * nmemb, start = sizeof(name) - 1, end = n;
    const char *value;

    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        a->cache_control = NULL;
        return n;
    }
    if (n < start || strncasecmp(data, name, start) != 0) {
        return n;
    }
    while (start < end && (data[start] == ' ' || data[start] == '\t')) {
        start++;
    }
    while (end > start && apr_isspace(data[end - 1])) {
        end--;
    }
    value = apr_pstrmemdup(a->p, data + start, end - start);
    if (a->cache_control == NULL) {
        a->cache_control = value;
    }
    else if (strlen(a->cache_control) + strlen(value)
             < CURL_MAX_CACHE_CONTROL) {
        /* RFC 9110 5.3: several lines are one comma-separated list. */
        a->cache_control =
            apr_pstrcat(a->p, a->cache_control, ", ", value, NULL);
    }
    return n;
}

/* This thread's handle, reset to defaults but keeping its connection
 * and DNS caches. */
static CURL *curl_thread_handle(const curl_fetcher_t *cf)
{
    void *handle = NULL;

    if (apr_threadkey_private_get(&handle, cf->key) == APR_SUCCESS
        && handle != NULL) {
        curl_easy_reset(handle);
        return handle;
    }
    handle = curl_easy_init();
    if (handle != NULL
        && apr_threadkey_private_set(handle, cf->key) != APR_SUCCESS) {
        curl_easy_cleanup(handle);
        handle = NULL;
    }
    return handle;
}

/* A header value from configuration must not smuggle in another line. */
static int curl_header_value_ok(const char *v)
{
    return v == NULL || strpbrk(v, "\r\n") == NULL;
}

#define CURL_SET(h, opt, val)                                                  \
    do {                                                                       \
        CURLcode rc_ = curl_easy_setopt(h, opt, val);                          \
        if (rc_ != CURLE_OK) {                                                 \
            return rc_;                                                        \
        }                                                                      \
    } while (0)

/* The fixed policy: no redirects, http(s) only, TLS always verified,
 * bounded in time and size, no signals (threads). */
static CURLcode curl_set_policy(CURL *h, const ot_curl_options_t *o,
                                apr_size_t max, char *errbuf)
{
    CURL_SET(h, CURLOPT_ERRORBUFFER, errbuf);
    CURL_SET(h, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
    CURL_SET(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    CURL_SET(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    CURL_SET(h, CURLOPT_FOLLOWLOCATION, 0L);
    CURL_SET(h, CURLOPT_SSL_VERIFYPEER, 1L);
    CURL_SET(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (o->ca_file != NULL) {
        CURL_SET(h, CURLOPT_CAINFO, o->ca_file);
    }
    CURL_SET(h, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
    CURL_SET(h, CURLOPT_TIMEOUT_MS, o->total_timeout_ms);
    CURL_SET(h, CURLOPT_USERAGENT, o->user_agent);
    /* Refuses early when Content-Length already says too much; the body
     * callback catches the rest. */
    CURL_SET(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
    return CURLE_OK;
}

static CURLcode curl_set_request(CURL *h, const ot_http_request_t *req,
                                 struct curl_slist *headers,
                                 curl_answer_t *answer)
{
    CURL_SET(h, CURLOPT_URL, req->url);
    CURL_SET(h, CURLOPT_HTTPHEADER, headers);
    CURL_SET(h, CURLOPT_WRITEFUNCTION, curl_on_body);
    CURL_SET(h, CURLOPT_WRITEDATA, answer);
    CURL_SET(h, CURLOPT_HEADERFUNCTION, curl_on_header);
    CURL_SET(h, CURLOPT_HEADERDATA, answer);
    if (req->method != NULL && strcmp(req->method, "POST") == 0) {
        CURL_SET(h, CURLOPT_POST, 1L);
        CURL_SET(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        CURL_SET(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
    }
    else {
        CURL_SET(h, CURLOPT_HTTPGET, 1L);
    }
    return CURLE_OK;
}

static apr_status_t curl_headers_free(void *headers)
{
    curl_slist_free_all(headers);
    return APR_SUCCESS;
}

/* The request's extra headers; freed with p. NULL when out of memory. */
static struct curl_slist *curl_headers(apr_pool_t *p,
                                       const ot_http_request_t *req)
{
    struct curl_slist *list = NULL, *next;
    const char *lines[4];
    int i, n = 0;

    lines[n++] = "Accept: application/json";
    /* No 100-continue round trip for the small forms we post. */
    lines[n++] = "Expect:";
    if (req->content_type != NULL) {
        lines[n++] = apr_pstrcat(p, "Content-Type: ", req->content_type, NULL);
    }
    if (req->authorization != NULL) {
        lines[n++] =
            apr_pstrcat(p, "Authorization: ", req->authorization, NULL);
    }
    for (i = 0; i < n; i++) {
        next = curl_slist_append(list, lines[i]);
        if (next == NULL) {
            curl_slist_free_all(list);
            return NULL;
        }
        list = next;
    }
    apr_pool_cleanup_register(p, list, curl_headers_free,
                              apr_pool_cleanup_null);
    return list;
}

/* A refused URL is attacker-reachable text (a jwks_uri from metadata):
 * only its printable characters go into the message. */
static const char *curl_printable(apr_pool_t *p, const char *s)
{
    char *copy = apr_pstrndup(p, s ? s : "", 256);
    char *c;

    for (c = copy; *c != '\0'; c++) {
        if (*c < 0x21 || *c >= 0x7f || *c == '"' || *c == '\\') {
            *c = '?';
        }
    }
    return copy;
}

/* Checks what can be checked before any network traffic. */
static const char *curl_refusal(apr_pool_t *p, const curl_fetcher_t *cf,
                                const ot_http_request_t *req)
{
    if (cf->pid != getpid()) {
        return apr_psprintf(p,
                            "%s: fetcher created in another process (create "
                            "it after fork, in child_init)",
                            req->url);
    }
    if (!ot_fetch_url_allowed(p, req->url)) {
        return apr_psprintf(p,
                            "\"%s\": URL not allowed (https, or http to a "
                            "loopback address, without user info)",
                            curl_printable(p, req->url));
    }
    if (req->method != NULL && strcmp(req->method, "GET") != 0
        && strcmp(req->method, "POST") != 0) {
        return apr_psprintf(p, "%s: method not supported", req->url);
    }
    if (!curl_header_value_ok(req->content_type)
        || !curl_header_value_ok(req->authorization)) {
        return apr_psprintf(p, "%s: line break in a request header", req->url);
    }
    return NULL;
}

static const char *curl_error(apr_pool_t *p, const ot_http_request_t *req,
                              const curl_answer_t *answer, CURLcode rc,
                              const char *errbuf)
{
    if (answer->too_large || rc == CURLE_FILESIZE_EXCEEDED) {
        return apr_psprintf(
            p, "response from %s larger than %" APR_SIZE_T_FMT " bytes",
            req->url, answer->max);
    }
    return apr_psprintf(p, "%s: %s", req->url,
                        errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
}

static ot_status_t curl_fetch(const ot_fetcher_t *fetcher, apr_pool_t *p,
                              const ot_http_request_t *req,
                              ot_http_response_t *resp, const char **why)
{
    const curl_fetcher_t *cf = fetcher->ctx;
    char errbuf[CURL_ERROR_SIZE];
    struct curl_slist *headers;
    curl_answer_t answer;
    long status = 0;
    CURLcode rc;
    CURL *h;

    memset(resp, 0, sizeof(*resp));
    if ((*why = curl_refusal(p, cf, req)) != NULL) {
        return OT_ERR_UNAVAILABLE;
    }
    memset(&answer, 0, sizeof(answer));
    answer.p = p;
    answer.max =
        req->max_response ? req->max_response : CURL_DEFAULT_MAX_RESPONSE;
    errbuf[0] = '\0';
    headers = curl_headers(p, req);
    h = curl_thread_handle(cf);
    if (headers == NULL || h == NULL) {
        *why = apr_psprintf(p, "%s: out of memory", req->url);
        return OT_ERR_UNAVAILABLE;
    }
    rc = curl_set_policy(h, &cf->options, answer.max, errbuf);
    if (rc == CURLE_OK) {
        rc = curl_set_request(h, req, headers, &answer);
    }
    if (rc == CURLE_OK) {
        rc = curl_easy_perform(h);
    }
    if (rc == CURLE_OK) {
        rc = curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    }
    if (rc != CURLE_OK) {
        *why = curl_error(p, req, &answer, rc, errbuf);
    }
    /* The handle outlives this request: forget the pointers into this
     * stack frame and pool (error buffer, callbacks' data, headers). */
    curl_easy_reset(h);
    if (rc != CURLE_OK) {
        return OT_ERR_UNAVAILABLE;
    }
    resp->status = (int)status;
    resp->body = answer.body ? answer.body : "";
    resp->body_len = answer.len;
    resp->cache_control = answer.cache_control;
    return OT_OK;
}

ot_status_t ot_curl_fetcher_create(apr_pool_t *p,
                                   const ot_curl_options_t *options,
                                   ot_fetcher_t **out)
{
    curl_fetcher_t *cf = apr_pcalloc(p, sizeof(*cf));
    ot_fetcher_t *fetcher;

    *out = NULL;
    cf->options.connect_timeout_ms = options->connect_timeout_ms > 0
                                         ? options->connect_timeout_ms
                                         : CURL_DEFAULT_CONNECT_MS;
    cf->options.total_timeout_ms = options->total_timeout_ms > 0
                                       ? options->total_timeout_ms
                                       : CURL_DEFAULT_TOTAL_MS;
    cf->options.ca_file =
        options->ca_file ? apr_pstrdup(p, options->ca_file) : NULL;
    cf->options.user_agent = apr_pstrdup(
        p, options->user_agent ? options->user_agent : CURL_DEFAULT_AGENT);
    cf->pid = getpid();
    if (apr_threadkey_private_create(&cf->key, curl_handle_destroy, p)
        != APR_SUCCESS) {
        return OT_ERR_INTERNAL;
    }
    /* Registered after the key's own cleanup, so it runs before it. */
    apr_pool_cleanup_register(p, cf, curl_fetcher_cleanup,
                              apr_pool_cleanup_null);
    fetcher = apr_pcalloc(p, sizeof(*fetcher));
    fetcher->fetch = curl_fetch;
    fetcher->ctx = cf;
    *out = fetcher;
    return OT_OK;
}
