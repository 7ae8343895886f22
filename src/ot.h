/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Shared vocabulary of the core: every reason a token can be refused, and
 * the hard limits that bound the work an attacker can make us do. */

#ifndef OT_H
#define OT_H

typedef enum {
    OT_OK = 0,
    OT_ERR_MALFORMED,      /* not a compact JWS, bad base64url, bad JSON */
    OT_ERR_TOO_LARGE,      /* over a size or depth limit */
    OT_ERR_HEADER,         /* JOSE header refused (crit, missing alg, ...) */
    OT_ERR_ALG,            /* alg not allowed, "none", or wrong for the key */
    OT_ERR_NO_KEY,         /* no configured key matches kid/alg */
    OT_ERR_SIGNATURE,      /* signature does not verify */
    OT_ERR_TYP,            /* JWT typ not accepted */
    OT_ERR_ISSUER,         /* iss missing or not trusted */
    OT_ERR_AUDIENCE,       /* aud does not contain ours */
    OT_ERR_EXPIRED,        /* exp in the past (beyond skew) */
    OT_ERR_NOT_YET_VALID,  /* nbf or iat in the future (beyond skew) */
    OT_ERR_CLAIM,          /* required claim missing or of the wrong type */
    OT_ERR_ID_TOKEN,       /* an OpenID Connect ID token, not an access token */
    OT_ERR_KEY,            /* a key (JWK) is unusable */
    OT_ERR_INACTIVE,       /* introspection says the token is not active */
    OT_ERR_UNAVAILABLE,    /* the provider cannot be reached or answers
                              nonsense, and nothing usable is cached */
    OT_ERR_NOT_FOUND,      /* a store has no such record */
    OT_ERR_BUSY,           /* someone else holds a claim (refresh throttle) */
    OT_ERR_INTERNAL        /* OpenSSL or allocation failure */
} ot_status_t;

/* A short, fixed, attacker-free text for logs and error_description. */
const char *ot_status_text(ot_status_t status);

/* Hard limits. */
#define OT_MAX_TOKEN_LEN    16384     /* compact JWS, bytes */
#define OT_MAX_JSON_DEPTH   16        /* nesting of header/payload JSON */
#define OT_MAX_JWKS_LEN     (1 << 20) /* key set document, bytes */
#define OT_MAX_JWKS_KEYS    64        /* keys in one set */
#define OT_MIN_RSA_BITS     2048
#define OT_MAX_METADATA_LEN (256 * 1024) /* discovery document, bytes */
#define OT_MAX_INTROSPECTION_LEN (64 * 1024)

#endif
