/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <string.h>

#include <apr_file_io.h>
#include <apr_strings.h>

#include "jose/jwks.h"
#include "util/json.h"

static int jwks_printable(const char *s)
{
    apr_size_t i;

    for (i = 0; s[i] != '\0'; i++) {
        if (i >= 64 || s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '"') {
            return 0;
        }
    }
    return i > 0;
}

/* A kid goes into a start-up or log message only when it is short and
 * printable; anything else is named by its position. */
static const char *jwks_key_name(apr_pool_t *p, json_t *jwk, apr_size_t i)
{
    const char *kid = json_string_value(json_object_get(jwk, "kid"));

    if (kid != NULL && jwks_printable(kid)) {
        return apr_psprintf(p, "key \"%s\"", kid);
    }
    return apr_psprintf(p, "key #%" APR_SIZE_T_FMT, i);
}

/* RFC 7517 4.2: a key meant for encryption is not a verification key,
 * whatever else it looks like. */
static int jwks_for_signatures(json_t *jwk)
{
    json_t *use = json_object_get(jwk, "use");

    return use == NULL
           || (json_is_string(use)
               && strcmp(json_string_value(use), "sig") == 0);
}

static ot_status_t jwks_add_keys(apr_pool_t *p, json_t *keys, ot_jwks_t *jwks,
                                 const char **why)
{
    const char *reason;
    ot_jwk_t *key;
    json_t *jwk;
    size_t i;

    json_array_foreach(keys, i, jwk) {
        if (!json_is_object(jwk)) {
            *why =
                apr_psprintf(p, "key #%" APR_SIZE_T_FMT " is not a JSON object",
                             (apr_size_t)i);
            return OT_ERR_KEY;
        }
        if (!jwks_for_signatures(jwk) || !ot_jwk_kty_supported(jwk)) {
            continue;
        }
        if (ot_jwk_parse(p, jwk, &key, &reason) != OT_OK) {
            *why = apr_pstrcat(p, jwks_key_name(p, jwk, i), ": ", reason, NULL);
            return OT_ERR_KEY;
        }
        APR_ARRAY_PUSH(jwks->keys, ot_jwk_t *) = key;
    }
    return OT_OK;
}

ot_status_t ot_jwks_parse(apr_pool_t *p, const char *text, apr_size_t len,
                          ot_jwks_t **out, const char **why)
{
    const char *ignored;
    ot_jwks_t *jwks;
    json_t *root, *keys;
    ot_status_t st;

    *out = NULL;
    if (why == NULL) {
        why = &ignored;
    }
    *why = NULL;
    st = ot_json_parse_object(p, text, len, OT_MAX_JWKS_LEN, &root);
    if (st != OT_OK) {
        *why = st == OT_ERR_TOO_LARGE ? "key set too large or too deep"
                                      : "key set is not a JSON object";
        return st;
    }
    keys = json_object_get(root, "keys");
    if (!json_is_array(keys)) {
        *why = "key set has no \"keys\" array";
        return OT_ERR_MALFORMED;
    }
    if (json_array_size(keys) > OT_MAX_JWKS_KEYS) {
        *why = "key set has more than 64 keys";
        return OT_ERR_TOO_LARGE;
    }
    jwks = apr_pcalloc(p, sizeof(*jwks));
    jwks->keys =
        apr_array_make(p, (int)json_array_size(keys) + 1, sizeof(ot_jwk_t *));
    st = jwks_add_keys(p, keys, jwks, why);
    if (st != OT_OK) {
        return st;
    }
    if (jwks->keys->nelts == 0) {
        *why = "key set has no usable signature key";
        return OT_ERR_KEY;
    }
    *out = jwks;
    return OT_OK;
}

/* Reads at most OT_MAX_JWKS_LEN bytes of an open file into *text. */
static ot_status_t jwks_read(apr_pool_t *p, apr_file_t *f, const char *path,
                             char **text, apr_size_t *len, const char **why)
{
    apr_finfo_t finfo;
    apr_size_t want, got = 0;
    apr_status_t rv;
    char *buf;
    char err[128];

    rv = apr_file_info_get(&finfo, APR_FINFO_SIZE, f);
    if (rv != APR_SUCCESS) {
        *why = apr_psprintf(p, "cannot stat %s: %s", path,
                            apr_strerror(rv, err, sizeof(err)));
        return OT_ERR_KEY;
    }
    if (finfo.size > OT_MAX_JWKS_LEN) {
        *why = apr_psprintf(p, "%s is larger than %d bytes", path,
                            OT_MAX_JWKS_LEN);
        return OT_ERR_TOO_LARGE;
    }
    /* One byte more than the size tells a file that grew meanwhile. */
    want = (apr_size_t)finfo.size + 1;
    buf = apr_palloc(p, want + 1);
    rv = apr_file_read_full(f, buf, want, &got);
    if (rv != APR_SUCCESS && rv != APR_EOF) {
        *why = apr_psprintf(p, "cannot read %s: %s", path,
                            apr_strerror(rv, err, sizeof(err)));
        return OT_ERR_KEY;
    }
    if (got == want) {
        *why = apr_psprintf(p, "%s changed while it was read", path);
        return OT_ERR_KEY;
    }
    buf[got] = '\0';
    *text = buf;
    *len = got;
    return OT_OK;
}

ot_status_t ot_jwks_load_file(apr_pool_t *p, const char *path, ot_jwks_t **out,
                              const char **why)
{
    const char *ignored, *reason;
    apr_file_t *f;
    apr_status_t rv;
    apr_size_t len = 0;
    char *text = NULL;
    char err[128];
    ot_status_t st;

    *out = NULL;
    if (why == NULL) {
        why = &ignored;
    }
    *why = NULL;
    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY,
                       APR_FPROT_OS_DEFAULT, p);
    if (rv != APR_SUCCESS) {
        *why = apr_psprintf(p, "cannot open %s: %s", path,
                            apr_strerror(rv, err, sizeof(err)));
        return OT_ERR_KEY;
    }
    st = jwks_read(p, f, path, &text, &len, why);
    apr_file_close(f);
    if (st != OT_OK) {
        return st;
    }
    st = ot_jwks_parse(p, text, len, out, &reason);
    if (st != OT_OK) {
        *why = apr_pstrcat(p, path, ": ", reason, NULL);
    }
    return st;
}

int ot_jwks_has_oct(const ot_jwks_t *jwks)
{
    int i;

    for (i = 0; jwks != NULL && i < jwks->keys->nelts; i++) {
        if (APR_ARRAY_IDX(jwks->keys, i, const ot_jwk_t *)->kty == OT_KTY_OCT) {
            return 1;
        }
    }
    return 0;
}
