/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* A pending login is one compact JSON record under its state. It keeps
 * the SHA-256 of the browser binding rather than the binding itself: a
 * copy of the store (a Redis dump, a memcache read) then lets nobody
 * answer for the browser that started the login. */

#include <string.h>

#include <apr_strings.h>

#include "oidc/login.h"
#include "util/urlenc.h"
#include "oidc/pkce.h"
#include "util/b64url.h"
#include "util/crypto.h"
#include "util/json.h"

#define LOGIN_NS "login"
#define LOGIN_USED_NS "login-used"
#define RECORD_VERSION 1
#define RANDOM_BYTES 32 /* 256 bits for state, nonce, verifier, binding */

/* A return path longer than this is not worth a pending login: every
 * anonymous request can create one, so each must stay small. */
#define MAX_RETURN_TO_LEN 4096
#define MAX_RECORD_LEN (MAX_RETURN_TO_LEN + 1024)

#define COOKIE_HASH_CHARS 16

/* ---- the record ------------------------------------------------------- */

static char *record_text(apr_pool_t *p, const ot_login_t *login,
                         const unsigned char *binding_hash, apr_int64_t exp)
{
    json_t *j;
    char *text;

    j = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "v",
                  RECORD_VERSION, "state", login->state, "nonce", login->nonce,
                  "code_verifier", login->code_verifier, "binding_sha256",
                  ot_b64url_encode(p, binding_hash, OT_SHA256_LEN), "return_to",
                  login->return_to, "created", (json_int_t)login->created,
                  "exp", (json_int_t)exp);
    text = ot_json_text(p, j, 0);
    json_decref(j);
    return text;
}

typedef struct login_record_t {
    ot_login_t login;
    unsigned char *binding_hash; /* OT_SHA256_LEN bytes */
    apr_int64_t exp;             /* seconds */
} login_record_t;

static int string_member(json_t *j, const char *key, const char **out)
{
    *out = ot_json_string(j, key);
    return *out != NULL && **out != '\0';
}

/* The latest NumericDate the core accepts (9999-12-31T23:59:59Z). A time
 * read back from the store is bounded by it before any arithmetic, so a
 * damaged record cannot make the expiry overflow. */
#define FAR_FUTURE APR_INT64_C(253402300799)

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

/* 1 when value is a record of this version for state. Anything else (a
 * truncated, damaged or foreign value) counts as no pending login; what it
 * holds is checked as if it came from outside, return_to included. */
static int record_parse(apr_pool_t *p, const unsigned char *value,
                        apr_size_t len, const char *state, login_record_t *rec)
{
    const char *hash_b64;
    apr_size_t hash_len;
    json_t *j;

    memset(rec, 0, sizeof(*rec));
    if (ot_json_parse_object(p, (const char *)value, len, MAX_RECORD_LEN, &j)
        != OT_OK) {
        return 0;
    }
    if (json_integer_value(json_object_get(j, "v")) != RECORD_VERSION
        || !string_member(j, "state", &rec->login.state)
        || strcmp(rec->login.state, state) != 0
        || !string_member(j, "nonce", &rec->login.nonce)
        || !string_member(j, "code_verifier", &rec->login.code_verifier)
        || !string_member(j, "return_to", &rec->login.return_to)
        || !ot_redirect_is_local(rec->login.return_to)
        || !string_member(j, "binding_sha256", &hash_b64)
        || !time_member(j, "created", &rec->login.created)
        || !time_member(j, "exp", &rec->exp)) {
        return 0;
    }
    return ot_b64url_decode(p, hash_b64, strlen(hash_b64), &rec->binding_hash,
                            &hash_len)
               == OT_OK
           && hash_len == OT_SHA256_LEN;
}

/* ---- start ------------------------------------------------------------ */

static ot_status_t new_secrets(apr_pool_t *p, ot_login_t *login)
{
    ot_status_t st;

    if ((st = ot_random_token(p, RANDOM_BYTES, &login->state)) != OT_OK
        || (st = ot_random_token(p, RANDOM_BYTES, &login->nonce)) != OT_OK
        || (st = ot_random_token(p, RANDOM_BYTES, &login->code_verifier))
               != OT_OK
        || (st = ot_random_token(p, RANDOM_BYTES, &login->binding)) != OT_OK) {
        return st;
    }
    return OT_OK;
}

ot_status_t ot_login_start(apr_pool_t *p, const ot_store_t *store,
                           const char *return_to, apr_int64_t now,
                           apr_int64_t ttl, ot_login_t **out)
{
    unsigned char binding_hash[OT_SHA256_LEN];
    ot_login_t *login;
    char *record;
    ot_status_t st;

    *out = NULL;
    if (!ot_redirect_is_local(return_to)) {
        return OT_ERR_MALFORMED;
    }
    if (strlen(return_to) > MAX_RETURN_TO_LEN) {
        return OT_ERR_TOO_LARGE;
    }
    /* A day is far beyond any sensible login; the bounds keep now + ttl
     * and its conversion to microseconds from overflowing. */
    if (store == NULL || now < 0 || now > FAR_FUTURE || ttl <= 0
        || ttl > 86400) {
        return OT_ERR_INTERNAL;
    }
    login = apr_pcalloc(p, sizeof(*login));
    login->return_to = apr_pstrdup(p, return_to);
    login->created = now;
    if ((st = new_secrets(p, login)) != OT_OK
        || (st =
                ot_sha256(login->binding, strlen(login->binding), binding_hash))
               != OT_OK) {
        return st;
    }
    record = record_text(p, login, binding_hash, now + ttl);
    if (record == NULL) {
        return OT_ERR_INTERNAL;
    }
    st = ot_store_put(store, p, LOGIN_NS, login->state,
                      (const unsigned char *)record, strlen(record),
                      apr_time_from_sec(now + ttl));
    if (st == OT_OK) {
        *out = login;
    }
    return st;
}

/* ---- take ------------------------------------------------------------- */

/* The store interface has no remove wrapper; an absent record is already
 * what we want. */
static ot_status_t remove_record(const ot_store_t *store, apr_pool_t *p,
                                 const char *ns, const char *key)
{
    unsigned char id[OT_STORE_ID_LEN];
    ot_status_t st;

    ot_store_id(ns, key, strlen(key), id);
    st = store->remove(store, p, id, sizeof(id));
    return st == OT_ERR_NOT_FOUND ? OT_OK : st;
}

/* Makes state unusable again. A replayed callback racing the real one may
 * read the record before either removes it: the claim (atomic where the
 * store can make it so, as shmcb under its mutex) lets only one through.
 * Reading first keeps unknown states from leaving markers behind, so
 * forged callbacks cannot fill the store. exp is 0 when the record did
 * not parse and so cannot be used anyway. */
static ot_status_t consume(const ot_store_t *store, apr_pool_t *p,
                           const char *state, apr_int64_t exp)
{
    ot_status_t claimed = OT_OK, removed;

    if (exp > 0) {
        claimed = ot_store_claim(store, p, LOGIN_USED_NS, state,
                                 apr_time_from_sec(exp));
    }
    removed = remove_record(store, p, LOGIN_NS, state);
    if (claimed == OT_ERR_BUSY) {
        return OT_ERR_NOT_FOUND;
    }
    return claimed != OT_OK ? claimed : removed;
}

static ot_status_t check_binding(const login_record_t *rec, const char *binding)
{
    unsigned char hash[OT_SHA256_LEN];
    ot_status_t st;

    if (binding == NULL) {
        return OT_ERR_CLAIM;
    }
    st = ot_sha256(binding, strlen(binding), hash);
    if (st != OT_OK) {
        return st;
    }
    return ot_const_time_equal(hash, sizeof(hash), rec->binding_hash,
                               OT_SHA256_LEN)
               ? OT_OK
               : OT_ERR_CLAIM;
}

ot_status_t ot_login_take(apr_pool_t *p, const ot_store_t *store,
                          const char *state, const char *binding,
                          ot_login_t **out)
{
    login_record_t rec;
    unsigned char *value;
    apr_size_t len;
    ot_status_t st;
    int parsed;

    *out = NULL;
    if (store == NULL) {
        return OT_ERR_INTERNAL;
    }
    if (state == NULL || *state == '\0') {
        return OT_ERR_NOT_FOUND;
    }
    st = ot_store_get(store, p, LOGIN_NS, state, &value, &len);
    if (st != OT_OK) {
        return st;
    }
    parsed = record_parse(p, value, len, state, &rec);
    /* Used once whatever follows: a wrong cookie burns the state too, so
     * an attacker who learnt it cannot try again. */
    st = consume(store, p, state, parsed ? rec.exp : 0);
    if (st != OT_OK) {
        return st;
    }
    if (!parsed) {
        return OT_ERR_NOT_FOUND;
    }
    st = check_binding(&rec, binding);
    if (st != OT_OK) {
        return st;
    }
    rec.login.binding = apr_pstrdup(p, binding);
    *out = apr_pmemdup(p, &rec.login, sizeof(rec.login));
    return OT_OK;
}

/* ---- cookie name ------------------------------------------------------ */

const char *ot_login_cookie_name(apr_pool_t *p, const char *prefix,
                                 const char *state)
{
    unsigned char hash[OT_SHA256_LEN];
    const char *b64;

    if (state == NULL || ot_sha256(state, strlen(state), hash) != OT_OK) {
        return NULL;
    }
    /* base64url's alphabet is all token characters (RFC 6265 4.1.1), so
     * the name needs no quoting; 96 bits keep concurrent logins apart. */
    b64 = ot_b64url_encode(p, hash, sizeof(hash));
    return apr_pstrcat(p, prefix ? prefix : "",
                       apr_pstrmemdup(p, b64, COOKIE_HASH_CHARS), NULL);
}

/* ---- authorization request -------------------------------------------- */

/* What joins the first parameter to endpoint, which may carry a query of
 * its own (RFC 6749 3.1: it must then be kept). */
static const char *query_separator(const char *endpoint)
{
    apr_size_t len = strlen(endpoint);

    if (strchr(endpoint, '?') == NULL) {
        return "?";
    }
    return endpoint[len - 1] == '?' || endpoint[len - 1] == '&' ? "" : "&";
}

const char *ot_login_authorization_url(apr_pool_t *p, const char *endpoint,
                                       const char *client_id,
                                       const char *redirect_uri,
                                       const char *scope,
                                       const ot_login_t *login)
{
    const char *challenge;

    /* RFC 6749 3.1: the endpoint has no fragment; parameters appended
     * after one would never reach the provider. */
    if (endpoint == NULL || *endpoint == '\0' || strchr(endpoint, '#')
        || client_id == NULL || redirect_uri == NULL || scope == NULL
        || login == NULL || login->state == NULL || login->nonce == NULL) {
        return NULL;
    }
    challenge = ot_pkce_challenge(p, login->code_verifier);
    if (challenge == NULL) {
        return NULL;
    }
    return apr_pstrcat(
        p, endpoint, query_separator(endpoint), "response_type=code",
        "&client_id=", ot_url_encode(p, client_id),
        "&redirect_uri=", ot_url_encode(p, redirect_uri),
        "&scope=", ot_url_encode(p, scope), "&state=", ot_url_encode(p, login->state),
        "&nonce=", ot_url_encode(p, login->nonce),
        "&code_challenge=", ot_url_encode(p, challenge),
        "&code_challenge_method=S256", NULL);
}

/* ---- the same-origin rule --------------------------------------------- */

/* Browsers drop tabs and line breaks inside URLs and read a backslash as
 * a slash, so "/\t/evil" and "/\\evil" would leave the site; spaces and
 * bytes outside ASCII have no business in a Location either. */
static int is_refused_byte(unsigned char c)
{
    return c <= 0x20 || c >= 0x7f || c == '\\';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* The byte "%XY" at s stands for, or -1 when s holds no such escape. */
static int pct_decoded(const char *s)
{
    int hi, lo;

    if (s[0] != '%' || (hi = hex_value(s[1])) < 0
        || (lo = hex_value(s[2])) < 0) {
        return -1;
    }
    return hi * 16 + lo;
}

int ot_redirect_is_local(const char *target)
{
    const char *c;
    int second;

    if (target == NULL || target[0] != '/') {
        return 0;
    }
    for (c = target; *c; c++) {
        if (is_refused_byte((unsigned char)*c)) {
            return 0;
        }
    }
    /* "//host" is scheme-relative: another origin. */
    if (target[1] == '/') {
        return 0;
    }
    /* "/%2F...", "/%5C..." or "/%09/..." are harmless to a browser, but
     * any hop that decodes the path once (a backend, a later redirect)
     * turns them into "//...". */
    second = pct_decoded(target + 1);
    return !(second == '/' || second == '\\' || (second >= 0 && second < 0x20)
             || second == 0x7f);
}
