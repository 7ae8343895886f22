/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Server-side login sessions: ids, the record and its round trip, idle
 * and absolute expiry, the once-a-minute touch, removal, and the (issuer,
 * sid) and (issuer, sub) indexes a back-channel logout uses. */

#include <string.h>

#include <apr_general.h>
#include <apr_hash.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "oidc/session.h"
#include "store/store.h"
#include "util/json.h"
#include "tap.h"
#include "spy_store.h"

#define ISSUER "https://idp.test"
#define NOW APR_INT64_C(1700000000)
#define IDLE 3600
#define MAX 28800

static apr_pool_t *pool;

/* ---- helpers ---------------------------------------------------------- */

static json_t *claims_of(const char *text)
{
    json_t *j = NULL;

    ot_json_parse_object(pool, text, strlen(text), 65536, &j);
    return j;
}

/* A new session of subject (with sid, may be NULL) at issuer, created and
 * last used at created. */
static ot_session_t *make(const char *issuer, const char *subject,
                          const char *sid, apr_int64_t created)
{
    ot_session_t *s = apr_pcalloc(pool, sizeof(*s));

    ot_session_new_id(pool, &s->id);
    s->issuer = issuer;
    s->subject = subject;
    s->sid = sid;
    s->claims = claims_of(
        apr_psprintf(pool, "{\"sub\":\"%s\",\"iss\":\"%s\"}", subject, issuer));
    s->created = created;
    s->last_used = created;
    return s;
}

static ot_session_t *saved(const ot_store_t *store, const char *issuer,
                           const char *subject, const char *sid)
{
    ot_session_t *s = make(issuer, subject, sid, NOW);

    if (ot_session_save(pool, store, s, MAX) != OT_OK) {
        return NULL;
    }
    return s;
}

static ot_status_t load(const ot_store_t *store, const char *id,
                        apr_int64_t now, ot_session_t **out, int *touch)
{
    set_now(now);
    return ot_session_load(pool, store, id, now, IDLE, MAX, out, touch);
}

static int alive(const ot_store_t *store, const ot_session_t *s)
{
    ot_session_t *out;
    int touch;

    return ot_session_load(pool, store, s->id, apr_time_sec(fake_now), IDLE,
                           MAX, &out, &touch)
           == OT_OK;
}

static int str_eq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* ---- ids -------------------------------------------------------------- */

static void test_ids(void)
{
    apr_hash_t *seen = apr_hash_make(pool);
    const char *a, *b;
    int i, distinct = 1;

    ok(ot_session_new_id(pool, &a) == OT_OK && a != NULL && strlen(a) == 43,
       "id: 43 characters (256 bits)");
    ok(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                 "0123456789-_")
           == 43,
       "id: base64url, a valid cookie value");
    ok(ot_session_new_id(pool, &b) == OT_OK && strcmp(a, b) != 0,
       "id: two ids differ");
    for (i = 0; i < 1000; i++) {
        if (ot_session_new_id(pool, &a) != OT_OK
            || apr_hash_get(seen, a, APR_HASH_KEY_STRING)) {
            distinct = 0;
        }
        apr_hash_set(seen, a, APR_HASH_KEY_STRING, "");
    }
    ok(distinct, "id: 1000 ids, no repeat");
}

/* ---- the record ------------------------------------------------------- */

static void test_round_trip(void)
{
    const ot_store_t *store = spy_store_reset(pool, NOW);
    ot_session_t *s = make(ISSUER, "alice", "sid-1", NOW), *out;
    int touch = -1;

    s->claims = claims_of("{\"sub\":\"alice\",\"email\":\"a@x.test\","
                          "\"realm_access\":{\"roles\":[\"admin\",\"dev\"]},"
                          "\"n\":42,\"ok\":true,\"name\":\"Al\\u00efce\"}");
    s->id_token = "eyJ.id.token";
    s->access_token = "at-123";
    s->refresh_token = "rt-456";
    s->access_expires = NOW + 300;
    s->scope = "openid profile";
    if (!is_int(ot_session_save(pool, store, s, MAX), OT_OK, "save")) {
        return;
    }
    if (!is_int(load(store, s->id, NOW + 10, &out, &touch), OT_OK, "load")) {
        return;
    }
    ok(str_eq(out->id, s->id), "load: id");
    ok(str_eq(out->issuer, ISSUER), "load: issuer");
    ok(str_eq(out->subject, "alice"), "load: subject");
    ok(str_eq(out->sid, "sid-1"), "load: sid");
    ok(json_equal(out->claims, s->claims), "load: claims, nested ones too");
    ok(str_eq(json_string_value(ot_json_path(out->claims, "name")),
              "Al\303\257ce"),
       "load: non-ASCII claim intact");
    ok(str_eq(out->id_token, "eyJ.id.token"), "load: id_token");
    ok(str_eq(out->access_token, "at-123"), "load: access_token");
    ok(str_eq(out->refresh_token, "rt-456"), "load: refresh_token");
    is_int((long)out->access_expires, (long)(NOW + 300),
           "load: access_expires");
    ok(str_eq(out->scope, "openid profile"), "load: scope");
    is_int((long)out->created, (long)NOW, "load: created");
    is_int((long)out->last_used, (long)NOW, "load: last_used");
    is_int(touch, 0, "load: no touch within a minute");

    ok(spy_state.written->nelts >= 3 && !written_contains(s->id),
       "save: the id appears in no stored value (record or index)");

    /* The smallest session: no sid, no tokens, no claims. */
    s = make(ISSUER, "bob", NULL, NOW);
    s->claims = NULL;
    ok(ot_session_save(pool, store, s, MAX) == OT_OK
           && load(store, s->id, NOW, &out, NULL) == OT_OK && out->sid == NULL
           && out->access_token == NULL && out->refresh_token == NULL
           && out->id_token == NULL && out->scope == NULL
           && out->access_expires == 0 && json_is_object(out->claims)
           && json_object_size(out->claims) == 0,
       "minimal session: absent fields stay absent, claims an empty object");
    ok(ot_session_load(pool, store, s->id, NOW, IDLE, MAX, &out, NULL) == OT_OK,
       "load: touch may be NULL");
}

/* Claims as deep as the core accepts them (OT_MAX_JSON_DEPTH) survive the
 * record, which adds a level around them. */
static void test_deep_claims(void)
{
    const ot_store_t *store = spy_store_reset(pool, NOW);
    ot_session_t *s = make(ISSUER, "deep", NULL, NOW), *out;
    char *text = apr_pstrdup(pool, "{\"a\":0}");
    int depth;

    for (depth = 1; depth < OT_MAX_JSON_DEPTH; depth++) {
        text = apr_psprintf(pool, "{\"a\":%s}", text);
    }
    s->claims = claims_of(text);
    if (!ok(s->claims != NULL, "deep claims: %d levels parse",
            OT_MAX_JSON_DEPTH)) {
        return;
    }
    ok(ot_session_save(pool, store, s, MAX) == OT_OK
           && load(store, s->id, NOW, &out, NULL) == OT_OK
           && json_equal(out->claims, s->claims),
       "deep claims: round trip");
}

static void test_save_refusals(void)
{
    const ot_store_t *store = spy_store_reset(pool, NOW);
    ot_session_t *s = make(ISSUER, "alice", NULL, NOW), copy;
    char *big;

    copy = *s;
    copy.issuer = NULL;
    is_int(ot_session_save(pool, store, &copy, MAX), OT_ERR_INTERNAL,
           "save: no issuer refused");
    copy = *s;
    copy.subject = "";
    is_int(ot_session_save(pool, store, &copy, MAX), OT_ERR_INTERNAL,
           "save: empty subject refused");
    copy = *s;
    copy.id = NULL;
    is_int(ot_session_save(pool, store, &copy, MAX), OT_ERR_INTERNAL,
           "save: no id refused");
    copy = *s;
    copy.issuer = "https://a\nb";
    is_int(ot_session_save(pool, store, &copy, MAX), OT_ERR_INTERNAL,
           "save: an issuer with a line break refused (index key)");
    copy = *s;
    copy.claims = json_string("x");
    ot_json_pool_own(pool, copy.claims);
    is_int(ot_session_save(pool, store, &copy, MAX), OT_ERR_INTERNAL,
           "save: claims that are not an object refused");
    is_int(ot_session_save(pool, store, s, 0), OT_ERR_INTERNAL,
           "save: max lifetime 0 refused");
    is_int(ot_session_save(pool, NULL, s, MAX), OT_ERR_INTERNAL,
           "save: no store refused");
    copy = *s;
    copy.access_token = "\xff\xfe";
    is_int(ot_session_save(pool, store, &copy, MAX), OT_ERR_INTERNAL,
           "save: a token that is not UTF-8 refused");
    is_int(spy_state.puts, 0, "save: no refusal wrote anything");

    copy = *s;
    big = apr_palloc(pool, 200001);
    memset(big, 'a', 200000);
    big[200000] = '\0';
    copy.access_token = big;
    is_int(ot_session_save(pool, store, &copy, MAX), OT_ERR_TOO_LARGE,
           "save: a record over the limit is TOO_LARGE");

    spy_state.down = 1;
    is_int(ot_session_save(pool, store, s, MAX), OT_ERR_UNAVAILABLE,
           "save: store down is UNAVAILABLE");
    spy_state.down = 0;
}

static void test_load_refusals(void)
{
    static const char *const damaged[] = {
        "",
        "garbage",
        "[]",
        "{\"v\":1}",
        "{\"v\":2,\"iss\":\"i\",\"sub\":\"s\",\"claims\":\"{}\","
        "\"access_expires\":0,\"created\":1700000000,\"last_used\":1700000000}",
        "{\"v\":1,\"iss\":\"i\",\"sub\":\"\",\"claims\":\"{}\","
        "\"access_expires\":0,\"created\":1700000000,\"last_used\":1700000000}",
        "{\"v\":1,\"iss\":\"i\",\"sub\":\"s\",\"claims\":\"[]\","
        "\"access_expires\":0,\"created\":1700000000,\"last_used\":1700000000}",
        "{\"v\":1,\"iss\":\"i\",\"sub\":\"s\",\"claims\":\"{}\",\"sid\":5,"
        "\"access_expires\":0,\"created\":1700000000,\"last_used\":1700000000}",
        "{\"v\":1,\"iss\":\"i\",\"sub\":\"s\",\"claims\":\"{}\","
        "\"access_expires\":0,\"created\":\"1700000000\","
        "\"last_used\":1700000000}",
        "{\"v\":1,\"iss\":\"i\",\"sub\":\"s\",\"claims\":\"{}\","
        "\"access_expires\":0,\"created\":-9223372036854775807,"
        "\"last_used\":1700000000}",
        "{\"v\":1,\"iss\":\"i\",\"sub\":\"s\",\"claims\":\"{}\","
        "\"access_expires\":0,\"created\":1700000000,"
        "\"last_used\":9223372036854775807}",
        "{\"v\":1,\"iss\":\"i\",\"sub\":\"s\",\"claims\":\"{\\\"a\\\":1,"
        "\\\"a\\\":2}\",\"access_expires\":0,\"created\":1700000000,"
        "\"last_used\":1700000000}",
    };
    static const char *const why[] = {
        "empty",
        "not JSON",
        "not an object",
        "no fields",
        "another version",
        "an empty subject",
        "claims array",
        "sid not a string",
        "created a string",
        "created that would overflow now - created",
        "last_used that would overflow now - last_used",
        "claims with a duplicate key",
    };
    const ot_store_t *store = spy_store_reset(pool, NOW);
    const char *intact;
    ot_session_t *out;
    unsigned char *value;
    apr_size_t len, i;

    is_int(load(store, "no-such-id", NOW, &out, NULL), OT_ERR_NOT_FOUND,
           "load: unknown id is NOT_FOUND");
    is_int(load(store, NULL, NOW, &out, NULL), OT_ERR_NOT_FOUND,
           "load: no id is NOT_FOUND");
    is_int(load(store, "", NOW, &out, NULL), OT_ERR_NOT_FOUND,
           "load: empty id is NOT_FOUND");
    for (i = 0; i < sizeof(damaged) / sizeof(damaged[0]); i++) {
        ot_store_put(store, pool, "session", "ID",
                     (const unsigned char *)damaged[i], strlen(damaged[i]),
                     apr_time_from_sec(NOW + 60));
        ok(load(store, "ID", NOW, &out, NULL) == OT_ERR_NOT_FOUND
               && out == NULL,
           "load: damaged record (%s) is NOT_FOUND", why[i]);
        is_int(ot_store_get(store, pool, "session", "ID", &value, &len),
               OT_ERR_NOT_FOUND, "load: ... and removed");
    }
    intact = "{\"v\":1,\"iss\":\"i\",\"sub\":\"s\",\"claims\":\"{}\","
             "\"access_expires\":0,\"created\":1700000000,"
             "\"last_used\":1700000000}";
    ot_store_put(store, pool, "session", "ID", (const unsigned char *)intact,
                 strlen(intact), apr_time_from_sec(NOW + 60));
    is_int(load(store, "ID", NOW, &out, NULL), OT_OK,
           "load: the intact template loads (the cases above fail for "
           "their reason)");

    spy_state.down = 1;
    is_int(load(store, "ID", NOW, &out, NULL), OT_ERR_UNAVAILABLE,
           "load: store down is UNAVAILABLE, not NOT_FOUND");
    spy_state.down = 0;
}

/* ---- timeouts --------------------------------------------------------- */

static void test_idle_expiry(void)
{
    const ot_store_t *store = spy_store_reset(pool, NOW);
    ot_session_t *s = saved(store, ISSUER, "alice", NULL), *out;

    is_int(load(store, s->id, NOW + IDLE, &out, NULL), OT_OK,
           "idle: still valid at exactly the idle timeout");
    s = saved(store, ISSUER, "alice", NULL);
    ok(load(store, s->id, NOW + IDLE + 1, &out, NULL) == OT_ERR_EXPIRED
           && out == NULL,
       "idle: EXPIRED a second after");
    is_int(load(store, s->id, NOW + IDLE + 1, &out, NULL), OT_ERR_NOT_FOUND,
           "idle: ... and removed");
    set_now(NOW);
    is_int(load(store, s->id, NOW, &out, NULL), OT_ERR_NOT_FOUND,
           "idle: ... removed for good, not just refused at that time");
}

static void test_absolute_expiry(void)
{
    const ot_store_t *store = spy_store_reset(pool, NOW);
    ot_session_t *s = saved(store, ISSUER, "alice", NULL), *out;
    apr_int64_t t;
    int touch, ok_all = 1;

    /* Used every half hour (never idle) until the absolute limit. */
    for (t = NOW + 1800; t < NOW + MAX; t += 1800) {
        if (load(store, s->id, t, &out, &touch) != OT_OK || !touch
            || ot_session_save(pool, store, out, MAX) != OT_OK) {
            ok_all = 0;
        }
    }
    ok(ok_all, "absolute: used every 30 minutes, valid until max lifetime");
    is_int(load(store, s->id, NOW + MAX, &out, NULL), OT_ERR_NOT_FOUND,
           "absolute: gone at created + max (the store's expiry), however "
           "recently used");

    /* The load's own check, for a store that keeps records longer (or a
     * lowered MAX after a restart). */
    set_now(NOW);
    s = saved(store, ISSUER, "alice", NULL);
    set_now(NOW + 101);
    ok(ot_session_load(pool, store, s->id, NOW + 101, IDLE, 100, &out, NULL)
               == OT_ERR_EXPIRED
           && out == NULL,
       "absolute: older than max lifetime is EXPIRED");
    is_int(
        ot_session_load(pool, store, s->id, NOW + 101, IDLE, MAX, &out, NULL),
        OT_ERR_NOT_FOUND, "absolute: ... and removed");
    s = saved(store, ISSUER, "alice", NULL);
    is_int(
        ot_session_load(pool, store, s->id, NOW + 100, IDLE, 100, &out, NULL),
        OT_OK, "absolute: valid at exactly max lifetime");
}

static void test_touch(void)
{
    const ot_store_t *store = spy_store_reset(pool, NOW);
    ot_session_t *s = saved(store, ISSUER, "alice", "sid"), *out;
    int touch = -1, puts;

    ok(load(store, s->id, NOW + 59, &out, &touch) == OT_OK && touch == 0
           && out->last_used == NOW,
       "touch: not within 59 s, last_used unchanged");
    ok(load(store, s->id, NOW + 60, &out, &touch) == OT_OK && touch == 1
           && out->last_used == NOW + 60,
       "touch: at 60 s, last_used moved to now");
    puts = spy_state.puts;
    is_int(ot_session_save(pool, store, out, MAX), OT_OK, "touch: saved back");
    is_int(spy_state.puts - puts, 1,
           "touch: one write (the indexes already hold the session)");
    ok(load(store, s->id, NOW + 60 + 59, &out, &touch) == OT_OK && touch == 0
           && out->last_used == NOW + 60,
       "touch: the next minute starts from the touch");
    ok(load(store, s->id, NOW + 60 + IDLE, &out, &touch) == OT_OK && touch,
       "touch: the idle timeout counts from the saved touch");
    /* That touch is not saved: a second later the session is idle. */
    is_int(load(store, s->id, NOW + 60 + IDLE + 1, &out, &touch),
           OT_ERR_EXPIRED, "touch: a touch not saved back does not count");
}

/* ---- removal ---------------------------------------------------------- */

static void test_remove(void)
{
    const ot_store_t *store = spy_store_reset(pool, NOW);
    ot_session_t *a = saved(store, ISSUER, "alice", NULL);
    ot_session_t *b = saved(store, ISSUER, "alice", NULL), *out;

    is_int(ot_session_remove(pool, store, a->id), OT_OK, "remove");
    is_int(load(store, a->id, NOW, &out, NULL), OT_ERR_NOT_FOUND,
           "remove: the session is gone");
    ok(alive(store, b), "remove: another session of the same user stays");
    is_int(ot_session_remove(pool, store, a->id), OT_OK,
           "remove: removing again is fine");
    is_int(ot_session_remove(pool, store, NULL), OT_OK,
           "remove: no id is fine");
    spy_state.down = 1;
    is_int(ot_session_remove(pool, store, b->id), OT_ERR_UNAVAILABLE,
           "remove: store down is UNAVAILABLE");
    spy_state.down = 0;
}

static void test_remove_by(void)
{
    const ot_store_t *store = spy_store_reset(pool, NOW);
    ot_session_t *a1, *a2, *a3, *b1, *c1, *d1;
    int count = -1;

    a1 = saved(store, ISSUER, "alice", "s1");
    a2 = saved(store, ISSUER, "alice", "s1");
    a3 = saved(store, ISSUER, "alice", "s2");
    b1 = saved(store, ISSUER, "bob", "s3");
    c1 = saved(store, "https://other.test", "alice", "s1");
    d1 = saved(store, ISSUER, "dave", NULL);
    if (!ok(a1 && a2 && a3 && b1 && c1 && d1, "remove_by: six sessions")) {
        return;
    }

    ok(ot_session_remove_by(pool, store, ISSUER, "s1", NULL, &count) == OT_OK
           && count == 2,
       "remove_by sid: two sessions found");
    ok(!alive(store, a1) && !alive(store, a2), "remove_by sid: both ended");
    ok(alive(store, a3), "remove_by sid: the user's other sid stays");
    ok(alive(store, b1) && alive(store, d1), "remove_by sid: other users stay");
    ok(alive(store, c1), "remove_by sid: the same sid at another issuer stays");
    ok(ot_session_remove_by(pool, store, ISSUER, "s1", NULL, &count) == OT_OK
           && count == 0,
       "remove_by sid: again: none found");

    ok(ot_session_remove_by(pool, store, ISSUER, NULL, "alice", &count) == OT_OK
           && count == 1,
       "remove_by sub: the one live session found");
    ok(!alive(store, a3), "remove_by sub: ended");
    ok(alive(store, b1) && alive(store, c1) && alive(store, d1),
       "remove_by sub: other users and issuers stay");

    ok(ot_session_remove_by(pool, store, ISSUER, "s3", "dave", &count) == OT_OK
           && count == 1 && !alive(store, b1) && alive(store, d1),
       "remove_by: sid wins over sub when both are given");
    ok(ot_session_remove_by(pool, store, ISSUER, NULL, "dave", &count) == OT_OK
           && count == 1 && !alive(store, d1),
       "remove_by sub: a session without sid");
    ok(ot_session_remove_by(pool, store, ISSUER, "nobody", NULL, &count)
               == OT_OK
           && count == 0,
       "remove_by: unknown sid: none, OK");
    is_int(ot_session_remove_by(pool, store, ISSUER, NULL, NULL, &count),
           OT_ERR_INTERNAL, "remove_by: neither sid nor sub refused");
    is_int(ot_session_remove_by(pool, store, NULL, "s1", NULL, &count),
           OT_ERR_INTERNAL, "remove_by: no issuer refused");

    c1 = saved(store, ISSUER, "erin", "s9");
    spy_state.down = 1;
    is_int(ot_session_remove_by(pool, store, ISSUER, "s9", NULL, &count),
           OT_ERR_UNAVAILABLE, "remove_by: store down is UNAVAILABLE");
    spy_state.down = 0;
    ok(alive(store, c1), "remove_by: ... and nothing was pretended");
}

static void test_index_cap(void)
{
    const ot_store_t *store = spy_store_reset(pool, NOW);
    ot_session_t *s[20], *out;
    int i, count = -1, oldest_alive = 1, newest_gone = 1;

    for (i = 0; i < 20; i++) {
        s[i] = saved(store, ISSUER, "carol", "sid-c");
    }
    ok(ot_session_remove_by(pool, store, ISSUER, NULL, "carol", &count) == OT_OK
           && count == 16,
       "cap: 20 sessions, the index holds 16");
    for (i = 0; i < 4; i++) {
        oldest_alive &= alive(store, s[i]);
    }
    for (i = 4; i < 20; i++) {
        newest_gone &= !alive(store, s[i]);
    }
    ok(oldest_alive, "cap: the 4 oldest were dropped from the index");
    ok(newest_gone, "cap: the 16 newest were ended");
    ok(ot_session_remove_by(pool, store, ISSUER, "sid-c", NULL, &count) == OT_OK
           && count == 0,
       "cap: the sid index pointed at the same (ended) 16");

    /* Saving one session again and again (touches) does not fill the
     * index with copies of it. */
    store = spy_store_reset(pool, NOW);
    s[0] = saved(store, ISSUER, "dora", NULL);
    for (i = 0; i < 20; i++) {
        load(store, s[0]->id, NOW + 60 * (i + 1), &out, NULL);
        ot_session_save(pool, store, out, MAX);
    }
    for (i = 1; i < 16; i++) {
        s[i] = make(ISSUER, "dora", NULL, NOW + 1200);
        ot_session_save(pool, store, s[i], MAX);
    }
    ok(ot_session_remove_by(pool, store, ISSUER, NULL, "dora", &count) == OT_OK
           && count == 16 && !alive(store, s[0]),
       "cap: a session saved 21 times takes one place");
}

/* Entries of sessions past their lifetime are dropped when the index is
 * written, so they do not push live sessions out; and the index lives as
 * long as its longest session, not its last one. */
static void test_index_prunes(void)
{
    const ot_store_t *store = spy_store_reset(pool, NOW);
    ot_session_t *s;
    int i, count = -1;

    for (i = 0; i < 10; i++) {
        s = make(ISSUER, "frank", NULL, NOW);
        ot_session_save(pool, store, s, MAX);
    }
    for (i = 0; i < 5; i++) {
        s = make(ISSUER, "frank", NULL, NOW);
        ot_session_save(pool, store, s, 100);
    }
    /* The 5 short ones end; 6 more long ones make 21 entries. */
    set_now(NOW + 200);
    for (i = 0; i < 6; i++) {
        s = make(ISSUER, "frank", NULL, NOW + 200);
        ot_session_save(pool, store, s, MAX);
    }
    ok(ot_session_remove_by(pool, store, ISSUER, NULL, "frank", &count) == OT_OK
           && count == 16,
       "prune: the 5 ended entries make room, no live one is dropped");

    store = spy_store_reset(pool, NOW);
    ot_session_save(pool, store, make(ISSUER, "gina", "g", NOW), MAX);
    ot_session_save(pool, store, make(ISSUER, "gina", "g", NOW), 100);
    set_now(NOW + 200);
    ok(ot_session_remove_by(pool, store, ISSUER, "g", NULL, &count) == OT_OK
           && count == 1,
       "index expiry: the index outlives its last, shorter session");
}

/* An index that is damaged or holds nonsense entries is rebuilt around
 * them, never trusted for arithmetic. */
static void test_damaged_index(void)
{
    static const char *const indexes[] = {
        "garbage",
        "{\"v\":1,\"ids\":{}}",
        "{\"v\":1,\"ids\":[[\"AAAA\",9223372036854775807],[5,6],[\"x\"],"
        "\"y\",[\"QUFB\",-1]]}",
    };
    const ot_store_t *store;
    ot_session_t *s;
    apr_size_t i;
    int count = -1;

    for (i = 0; i < sizeof(indexes) / sizeof(indexes[0]); i++) {
        store = spy_store_reset(pool, NOW);
        ot_store_put(store, pool, "session-sub", ISSUER "\nhank",
                     (const unsigned char *)indexes[i], strlen(indexes[i]),
                     apr_time_from_sec(NOW + 60));
        s = saved(store, ISSUER, "hank", NULL);
        ok(s != NULL
               && ot_session_remove_by(pool, store, ISSUER, NULL, "hank",
                                       &count)
                      == OT_OK
               && count == 1 && !alive(store, s),
           "damaged index %d: rebuilt, the session found and ended", (int)i);
        store = spy_store_reset(pool, NOW);
        ot_store_put(store, pool, "session-sub", ISSUER "\nhank",
                     (const unsigned char *)indexes[i], strlen(indexes[i]),
                     apr_time_from_sec(NOW + 60));
        ok(ot_session_remove_by(pool, store, ISSUER, NULL, "hank", &count)
                   == OT_OK
               && count == 0,
           "damaged index %d: remove_by finds nothing, no harm", (int)i);
    }
}

int main(int argc, const char *const *argv)
{
    apr_app_initialize(&argc, &argv, NULL);
    apr_pool_create(&pool, NULL);

    test_ids();
    test_round_trip();
    test_deep_claims();
    test_save_refusals();
    test_load_refusals();
    test_idle_expiry();
    test_absolute_expiry();
    test_touch();
    test_remove();
    test_remove_by();
    test_index_cap();
    test_index_prunes();
    test_damaged_index();

    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
