/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* A session is one compact JSON record under its id (the store hashes the
 * key, so the id itself is never written anywhere). Two indexes let a
 * back-channel logout find sessions by (issuer, sid) and (issuer, sub):
 * each holds the store ids of up to INDEX_MAX sessions, that is the
 * SHA-256 the store derives from the session id, never the id itself, so
 * reading the store does not hand out cookies.
 *
 * socache has no transactions: an index is read, changed and written
 * back, and two logins of the same user finishing at the same instant on
 * two processes may each write their own version, one dropping the other's
 * entry. That session then still ends by its timeouts and by logout, but a
 * back-channel logout misses it. The window is one store round trip. */

#include <string.h>

#include <apr_strings.h>

#include "oidc/pkce.h"
#include "oidc/session.h"
#include "util/b64url.h"
#include "util/json.h"

#define SESSION_NS "session"
#define SID_INDEX_NS "session-sid"
#define SUB_INDEX_NS "session-sub"
#define RECORD_VERSION 1
#define ID_BYTES 32
#define INDEX_MAX 16

/* ID token, access and refresh tokens (each bounded by OT_MAX_TOKEN_LEN
 * where the core parses them) and the claims, with room to spare. */
#define MAX_RECORD_LEN (128 * 1024)
#define MAX_INDEX_LEN (INDEX_MAX * 128 + 64)

/* last_used is written back at most this often (and at least twice per
 * idle period, for idle timeouts under two minutes). */
#define TOUCH_INTERVAL 60

/* The latest NumericDate the core accepts (9999-12-31T23:59:59Z). */
#define FAR_FUTURE APR_INT64_C(253402300799)
#define MAX_LIFETIME APR_INT64_C(3155760000) /* 100 years */

ot_status_t ot_session_new_id(apr_pool_t *p, const char **id)
{
    return ot_random_token(p, ID_BYTES, id);
}

/* ---- helpers ---------------------------------------------------------- */

/* Sets key to value unless value is NULL; 0 when jansson refuses (not
 * UTF-8, no memory). */
static int set_optional(json_t *j, const char *key, const char *value)
{
    return value == NULL
           || json_object_set_new(j, key, json_string(value)) == 0;
}

static int set_integer(json_t *j, const char *key, apr_int64_t value)
{
    return json_object_set_new(j, key, json_integer((json_int_t)value)) == 0;
}

/* The store interface has no remove wrapper; an absent record is already
 * what we want. */
static ot_status_t remove_id(const ot_store_t *store, apr_pool_t *p,
                             const unsigned char *id)
{
    ot_status_t st = store->remove(store, p, id, OT_STORE_ID_LEN);

    return st == OT_ERR_NOT_FOUND ? OT_OK : st;
}

static ot_status_t remove_key(const ot_store_t *store, apr_pool_t *p,
                              const char *ns, const char *key)
{
    unsigned char id[OT_STORE_ID_LEN];

    ot_store_id(ns, key, strlen(key), id);
    return remove_id(store, p, id);
}

/* ---- the session record ----------------------------------------------- */

/* The claims go in as a string holding their own JSON text: parsed back
 * on their own, they meet the same depth limit as when they arrived,
 * which one level of nesting inside the record would exceed. */
static char *record_text(apr_pool_t *p, const ot_session_t *s)
{
    json_t *j = json_object();
    const char *claims = s->claims ? ot_json_text(p, s->claims, 0) : "{}";
    char *text = NULL;

    if (j != NULL && claims != NULL && set_integer(j, "v", RECORD_VERSION)
        && set_optional(j, "iss", s->issuer)
        && set_optional(j, "sub", s->subject) && set_optional(j, "sid", s->sid)
        && set_optional(j, "claims", claims)
        && set_optional(j, "id_token", s->id_token)
        && set_optional(j, "access_token", s->access_token)
        && set_optional(j, "refresh_token", s->refresh_token)
        && set_integer(j, "access_expires", s->access_expires)
        && set_optional(j, "scope", s->scope)
        && set_integer(j, "created", s->created)
        && set_integer(j, "last_used", s->last_used)) {
        text = ot_json_text(p, j, 0);
    }
    json_decref(j);
    return text;
}

/* An optional string member: absent is fine, another type is not. */
static int optional_string(json_t *j, const char *key, const char **out)
{
    json_t *v = json_object_get(j, key);

    *out = json_string_value(v);
    return v == NULL || json_is_string(v);
}

static int required_string(json_t *j, const char *key, const char **out)
{
    *out = ot_json_string(j, key);
    return *out != NULL && **out != '\0';
}

/* A time read back from the store, bounded before any arithmetic so that
 * a damaged record cannot make a subtraction or a conversion overflow. */
static int time_member(json_t *j, const char *key, apr_int64_t *out)
{
    json_t *v = json_object_get(j, key);

    if (!json_is_integer(v) || json_integer_value(v) < 0
        || json_integer_value(v) > FAR_FUTURE) {
        return 0;
    }
    *out = (apr_int64_t)json_integer_value(v);
    return 1;
}

/* The session in value, or NULL when it is not a record of this version:
 * a damaged record is no session. */
static ot_session_t *record_parse(apr_pool_t *p, const unsigned char *value,
                                  apr_size_t len)
{
    ot_session_t *s = apr_pcalloc(p, sizeof(*s));
    const char *claims;
    json_t *j;

    if (ot_json_parse_object(p, (const char *)value, len, MAX_RECORD_LEN, &j)
            != OT_OK
        || json_integer_value(json_object_get(j, "v")) != RECORD_VERSION
        || !required_string(j, "iss", &s->issuer)
        || !required_string(j, "sub", &s->subject)
        || !optional_string(j, "sid", &s->sid)
        || !required_string(j, "claims", &claims)
        || !optional_string(j, "id_token", &s->id_token)
        || !optional_string(j, "access_token", &s->access_token)
        || !optional_string(j, "refresh_token", &s->refresh_token)
        || !time_member(j, "access_expires", &s->access_expires)
        || !optional_string(j, "scope", &s->scope)
        || !time_member(j, "created", &s->created)
        || !time_member(j, "last_used", &s->last_used)
        || ot_json_parse_object(p, claims, strlen(claims), MAX_RECORD_LEN,
                                &s->claims)
               != OT_OK) {
        return NULL;
    }
    return s;
}

/* ---- the indexes ------------------------------------------------------ */

/* An index record: {"v":1,"ids":[[STORE_ID, EXP], ...]}, oldest first.
 * STORE_ID is base64url of the session record's store id; EXP (seconds)
 * lets entries of ended sessions be dropped without reading them and
 * tells how long the index must live. */

static const char *index_key(apr_pool_t *p, const char *issuer,
                             const char *value)
{
    /* Issuers are URLs and hold no line break, so the pair is
     * unambiguous. */
    return apr_pstrcat(p, issuer, "\n", value, NULL);
}

/* The entries of the index at ns/key: an empty array when there is none
 * or it is damaged (it is then rebuilt); NULL with *st on a store error. */
static json_t *index_read(apr_pool_t *p, const ot_store_t *store,
                          const char *ns, const char *key, ot_status_t *st)
{
    unsigned char *value;
    apr_size_t len;
    json_t *j, *ids;

    *st = ot_store_get(store, p, ns, key, &value, &len);
    if (*st == OT_ERR_NOT_FOUND) {
        *st = OT_OK;
        return ot_json_pool_own(p, json_array());
    }
    if (*st != OT_OK) {
        return NULL;
    }
    ids = NULL;
    if (ot_json_parse_object(p, (const char *)value, len, MAX_INDEX_LEN, &j)
        == OT_OK) {
        ids = json_object_get(j, "ids");
    }
    return json_is_array(ids) ? ids : ot_json_pool_own(p, json_array());
}

static int entry_parse(json_t *entry, const char **ref, apr_int64_t *exp)
{
    json_t *r = json_array_get(entry, 0), *e = json_array_get(entry, 1);

    if (json_array_size(entry) != 2 || !json_is_string(r) || !json_is_integer(e)
        || json_integer_value(e) < 0
        || json_integer_value(e) > FAR_FUTURE + MAX_LIFETIME) {
        return 0;
    }
    *ref = json_string_value(r);
    *exp = (apr_int64_t)json_integer_value(e);
    return 1;
}

/* The entries of ids that are still alive at now and are not ref, with
 * ref (until exp) appended, the oldest dropped beyond INDEX_MAX: a user
 * with more sessions than that loses back-channel logout for the oldest,
 * which still end by their timeouts. *until gets the latest exp. */
static json_t *index_update(json_t *ids, const char *ref, apr_int64_t exp,
                            apr_int64_t now, apr_int64_t *until)
{
    json_t *kept = json_array(), *entry;
    apr_int64_t e;
    const char *r;
    size_t i;

    if (kept == NULL) {
        return NULL;
    }
    json_array_foreach(ids, i, entry) {
        if (entry_parse(entry, &r, &e) && e > now && strcmp(r, ref) != 0) {
            json_array_append(kept, entry);
        }
    }
    json_array_append_new(kept, json_pack("[s, I]", ref, (json_int_t)exp));
    while (json_array_size(kept) > INDEX_MAX) {
        json_array_remove(kept, 0);
    }
    *until = 0;
    json_array_foreach(kept, i, entry) {
        if (entry_parse(entry, &r, &e) && e > *until) {
            *until = e;
        }
    }
    return kept;
}

/* 1 when ids already holds ref until exp: a session saved again to record
 * its last use then costs no index write. */
static int index_has(json_t *ids, const char *ref, apr_int64_t exp)
{
    json_t *entry;
    apr_int64_t e;
    const char *r;
    size_t i;

    json_array_foreach(ids, i, entry) {
        if (entry_parse(entry, &r, &e) && e == exp && strcmp(r, ref) == 0) {
            return 1;
        }
    }
    return 0;
}

static ot_status_t index_add(apr_pool_t *p, const ot_store_t *store,
                             const char *ns, const char *key, const char *ref,
                             apr_int64_t exp, apr_int64_t now)
{
    json_t *ids, *kept, *record;
    apr_int64_t until = 0;
    ot_status_t st;
    char *text;

    ids = index_read(p, store, ns, key, &st);
    if (ids == NULL) {
        return st;
    }
    if (index_has(ids, ref, exp)) {
        return OT_OK;
    }
    kept = index_update(ids, ref, exp, now, &until);
    record =
        kept ? json_pack("{s:i, s:o}", "v", RECORD_VERSION, "ids", kept) : NULL;
    text = ot_json_text(p, record, 0);
    json_decref(record);
    if (text == NULL) {
        return OT_ERR_INTERNAL;
    }
    return ot_store_put(store, p, ns, key, (const unsigned char *)text,
                        strlen(text), apr_time_from_sec(until));
}

/* What the indexes hold for a session: its record's store id. */
static const char *session_ref(apr_pool_t *p, const char *id)
{
    unsigned char sid[OT_STORE_ID_LEN];

    ot_store_id(SESSION_NS, id, strlen(id), sid);
    return ot_b64url_encode(p, sid, sizeof(sid));
}

/* ---- save, load, remove ----------------------------------------------- */

static int session_is_complete(const ot_session_t *s)
{
    return s != NULL && s->id != NULL && *s->id != '\0' && s->issuer != NULL
           && *s->issuer != '\0' && strchr(s->issuer, '\n') == NULL
           && s->subject != NULL && *s->subject != '\0'
           && (s->claims == NULL || json_is_object(s->claims))
           && s->created >= 0 && s->created <= FAR_FUTURE && s->last_used >= 0
           && s->last_used <= FAR_FUTURE && s->access_expires >= 0
           && s->access_expires <= FAR_FUTURE;
}

ot_status_t ot_session_save(apr_pool_t *p, const ot_store_t *store,
                            const ot_session_t *session,
                            apr_int64_t max_lifetime)
{
    const char *ref, *record;
    apr_int64_t exp;
    ot_status_t st;
    apr_size_t len;

    if (store == NULL || !session_is_complete(session) || max_lifetime <= 0
        || max_lifetime > MAX_LIFETIME) {
        return OT_ERR_INTERNAL;
    }
    exp = session->created + max_lifetime;
    record = record_text(p, session);
    if (record == NULL) {
        return OT_ERR_INTERNAL;
    }
    len = strlen(record);
    if (len > MAX_RECORD_LEN) {
        return OT_ERR_TOO_LARGE;
    }
    /* Indexes first: a session the store keeps is then always one a
     * back-channel logout can find (but for the race and the cap above).
     * last_used is the caller's now. */
    ref = session_ref(p, session->id);
    if (session->sid != NULL && *session->sid != '\0') {
        st = index_add(p, store, SID_INDEX_NS,
                       index_key(p, session->issuer, session->sid), ref, exp,
                       session->last_used);
        if (st != OT_OK) {
            return st;
        }
    }
    st = index_add(p, store, SUB_INDEX_NS,
                   index_key(p, session->issuer, session->subject), ref, exp,
                   session->last_used);
    if (st != OT_OK) {
        return st;
    }
    return ot_store_put(store, p, SESSION_NS, session->id,
                        (const unsigned char *)record, len,
                        apr_time_from_sec(exp));
}

static apr_int64_t touch_interval(apr_int64_t idle_timeout)
{
    apr_int64_t half = idle_timeout / 2;

    return half < TOUCH_INTERVAL ? (half > 0 ? half : 1) : TOUCH_INTERVAL;
}

ot_status_t ot_session_load(apr_pool_t *p, const ot_store_t *store,
                            const char *id, apr_int64_t now,
                            apr_int64_t idle_timeout, apr_int64_t max_lifetime,
                            ot_session_t **out, int *touch)
{
    ot_session_t *s;
    unsigned char *value;
    apr_size_t len;
    ot_status_t st;

    *out = NULL;
    if (touch != NULL) {
        *touch = 0;
    }
    if (store == NULL) {
        return OT_ERR_INTERNAL;
    }
    if (id == NULL || *id == '\0') {
        return OT_ERR_NOT_FOUND;
    }
    st = ot_store_get(store, p, SESSION_NS, id, &value, &len);
    if (st != OT_OK) {
        return st;
    }
    s = record_parse(p, value, len);
    if (s == NULL) {
        remove_key(store, p, SESSION_NS, id);
        return OT_ERR_NOT_FOUND;
    }
    /* The checks decide; removal only tidies up, so its failure changes
     * nothing: the next load refuses the same record again. */
    if (now - s->created > max_lifetime || now - s->last_used > idle_timeout) {
        remove_key(store, p, SESSION_NS, id);
        return OT_ERR_EXPIRED;
    }
    /* Writing back on every request would cost a store write each time;
     * once a minute keeps the idle timeout exact to within that minute.
     * last_used is moved here so that saving *out records the use. */
    if (now - s->last_used >= touch_interval(idle_timeout)) {
        s->last_used = now;
        if (touch != NULL) {
            *touch = 1;
        }
    }
    s->id = apr_pstrdup(p, id);
    *out = s;
    return OT_OK;
}

ot_status_t ot_session_remove(apr_pool_t *p, const ot_store_t *store,
                              const char *id)
{
    if (store == NULL) {
        return OT_ERR_INTERNAL;
    }
    if (id == NULL || *id == '\0') {
        return OT_OK;
    }
    return remove_key(store, p, SESSION_NS, id);
}

/* Removes the session whose store id is ref; *found is set when it was
 * there. */
static ot_status_t remove_ref(apr_pool_t *p, const ot_store_t *store,
                              const char *ref, int *found)
{
    unsigned char *id, *value;
    apr_size_t id_len, len;
    ot_status_t st;

    *found = 0;
    if (ot_b64url_decode(p, ref, strlen(ref), &id, &id_len) != OT_OK
        || id_len != OT_STORE_ID_LEN) {
        return OT_OK;
    }
    st = store->get(store, p, id, id_len, &value, &len);
    if (st == OT_ERR_NOT_FOUND) {
        return OT_OK;
    }
    *found = st == OT_OK;
    return remove_id(store, p, id);
}

ot_status_t ot_session_remove_by(apr_pool_t *p, const ot_store_t *store,
                                 const char *issuer, const char *sid,
                                 const char *subject, int *count)
{
    const char *ns, *key, *ref;
    ot_status_t st, first = OT_OK;
    json_t *ids, *entry;
    apr_int64_t exp;
    size_t i;
    int found, by_sid;

    *count = 0;
    if (store == NULL || issuer == NULL
        || ((sid == NULL || *sid == '\0')
            && (subject == NULL || *subject == '\0'))) {
        return OT_ERR_INTERNAL;
    }
    by_sid = sid != NULL && *sid != '\0';
    ns = by_sid ? SID_INDEX_NS : SUB_INDEX_NS;
    key = index_key(p, issuer, by_sid ? sid : subject);
    ids = index_read(p, store, ns, key, &st);
    if (ids == NULL) {
        return st;
    }
    /* Every session is tried even when one fails: a logout should end as
     * much as it can; the first error is still reported. */
    json_array_foreach(ids, i, entry) {
        if (!entry_parse(entry, &ref, &exp)) {
            continue;
        }
        st = remove_ref(p, store, ref, &found);
        *count += found;
        if (st != OT_OK && first == OT_OK) {
            first = st;
        }
    }
    st = remove_key(store, p, ns, key);
    return first != OT_OK ? first : st;
}
