/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* A login session held by the server: the browser holds only its random
 * 256-bit id. The record keeps who logged in (from the ID token), the
 * tokens obtained with the login, and the times the timeouts need. */

#ifndef OT_SESSION_H
#define OT_SESSION_H

#include <apr_pools.h>
#include <jansson.h>
#include "ot.h"
#include "store/store.h"

typedef struct ot_session_t {
    const char *id;             /* the cookie value; never stored as such */
    const char *issuer;
    const char *subject;
    const char *sid;            /* the provider's session id, or NULL */
    json_t *claims;             /* the ID token's claims */
    const char *id_token;       /* for id_token_hint at logout only */
    const char *access_token;  /* may be NULL */
    const char *refresh_token;  /* may be NULL */
    apr_int64_t access_expires; /* seconds; 0 when unknown */
    const char *scope;          /* granted scopes, space-separated */
    apr_int64_t created;        /* seconds */
    apr_int64_t last_used;      /* seconds, written back at most once a minute */
} ot_session_t;

/* A fresh id (256 bits from OpenSSL) for a new session: never reused, so
 * a login can never adopt an id an attacker planted. */
ot_status_t ot_session_new_id(apr_pool_t *p, const char **id);

/* Stores session under its id until created + max_lifetime, and indexes
 * it under (issuer, sid) and (issuer, subject) so that a back-channel
 * logout can find it (the newest 16 per key). */
ot_status_t ot_session_save(apr_pool_t *p, const ot_store_t *store,
                            const ot_session_t *session,
                            apr_int64_t max_lifetime);

/* The session of id at now: OT_ERR_NOT_FOUND when absent, OT_ERR_EXPIRED
 * when idle past idle_timeout or older than max_lifetime (it is then
 * removed). On OT_OK *touch is set when last_used is more than a minute (or
 * half the idle timeout, when that is shorter) old
 * and the caller should save it back. */
ot_status_t ot_session_load(apr_pool_t *p, const ot_store_t *store,
                            const char *id, apr_int64_t now,
                            apr_int64_t idle_timeout,
                            apr_int64_t max_lifetime, ot_session_t **out,
                            int *touch);

ot_status_t ot_session_remove(apr_pool_t *p, const ot_store_t *store,
                              const char *id);

/* Removes every session indexed under (issuer, sid) when sid is not NULL,
 * else under (issuer, subject); *count says how many were found. */
ot_status_t ot_session_remove_by(apr_pool_t *p, const ot_store_t *store,
                                 const char *issuer, const char *sid,
                                 const char *subject, int *count);

#endif
