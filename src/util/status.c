/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot.h"

/* Fixed phrases only: these reach logs and error_description, where
 * nothing from the token may appear. */
const char *ot_status_text(ot_status_t status)
{
    switch (status) {
    case OT_OK:
        return "ok";
    case OT_ERR_MALFORMED:
        return "malformed token";
    case OT_ERR_TOO_LARGE:
        return "token too large";
    case OT_ERR_HEADER:
        return "token header refused";
    case OT_ERR_ALG:
        return "signature algorithm not allowed";
    case OT_ERR_NO_KEY:
        return "no matching key";
    case OT_ERR_SIGNATURE:
        return "signature verification failed";
    case OT_ERR_TYP:
        return "token type not accepted";
    case OT_ERR_ISSUER:
        return "issuer not trusted";
    case OT_ERR_AUDIENCE:
        return "audience not accepted";
    case OT_ERR_EXPIRED:
        return "token expired";
    case OT_ERR_NOT_YET_VALID:
        return "token not yet valid";
    case OT_ERR_CLAIM:
        return "required claim missing or invalid";
    case OT_ERR_ID_TOKEN:
        return "ID token presented as access token";
    case OT_ERR_KEY:
        return "key unusable";
    case OT_ERR_INACTIVE:
        return "token not active";
    case OT_ERR_UNAVAILABLE:
        return "token issuer unavailable";
    case OT_ERR_NOT_FOUND:
        return "not found";
    case OT_ERR_BUSY:
        return "busy";
    case OT_ERR_INTERNAL:
        return "internal error";
    }
    return "unknown error";
}
