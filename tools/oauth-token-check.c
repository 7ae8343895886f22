/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* oauth-token-check: what an administrator runs when a client says "my
 * token is refused". It applies the module's own validation, from the core
 * library alone (no httpd), and prints what the token says and why it is or
 * is not accepted. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_general.h>
#include <apr_getopt.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <apr_time.h>

#include "ot.h"
#include "util/b64url.h"
#include "util/json.h"
#include "jose/alg.h"
#include "jose/jwks.h"
#include "token/access.h"
#include "token/scope.h"

#define EXIT_REFUSED 1
#define EXIT_USAGE 2

/* Enough for any token the module could accept, with room to tell an
 * oversized one apart; more than this from stdin is not read at all. */
#define STDIN_CAP (4 * OT_MAX_TOKEN_LEN)

enum {
    OPT_ISSUER = 256,
    OPT_JWKS,
    OPT_AUDIENCE,
    OPT_ALG,
    OPT_ACCEPT_TYPE,
    OPT_SKEW,
    OPT_SUBJECT_CLAIM,
    OPT_SCOPE_CLAIM,
    OPT_LOGIN_CLIENT,
    OPT_NOW,
    OPT_HELP = 'h'
};

static const apr_getopt_option_t options[] = {
    {"issuer", OPT_ISSUER, 1, "trusted issuer, the exact iss value"},
    {"jwks", OPT_JWKS, 1, "JWK Set file of the preceding --issuer"},
    {"audience", OPT_AUDIENCE, 1, "an accepted aud (repeatable)"},
    {"alg", OPT_ALG, 1, "an allowed JWS alg (repeatable)"},
    {"accept-type", OPT_ACCEPT_TYPE, 1, "an accepted typ (repeatable)"},
    {"skew", OPT_SKEW, 1, "clock skew in seconds"},
    {"subject-claim", OPT_SUBJECT_CLAIM, 1, "claim naming the user"},
    {"scope-claim", OPT_SCOPE_CLAIM, 1, "claim holding the scopes"},
    {"login-client", OPT_LOGIN_CLIENT, 1, "login client id (repeatable)"},
    {"now", OPT_NOW, 1, "check as of this time (seconds since the epoch)"},
    {"help", OPT_HELP, 0, "this text"},
    {NULL, 0, 0, NULL}};

static const char *progname = "oauth-token-check";

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: %s --issuer URL --jwks FILE [--issuer URL --jwks FILE ...]\n"
        "       --audience AUD [--audience AUD2 ...] [--alg ALG ...]\n"
        "       [--accept-type TYP ...] [--skew SECONDS]\n"
        "       [--subject-claim NAME] [--scope-claim NAME]\n"
        "       [--login-client ID ...] [--now EPOCH] TOKEN|-\n"
        "\n"
        "Validates TOKEN (\"-\": read it from stdin) as mod_oauth_token "
        "would, with\nthe same settings, and prints its JOSE header, its "
        "claims and the verdict.\nDefaults: --alg RS256 PS256 ES256 EdDSA, "
        "--accept-type at+jwt, --skew 60,\n--subject-claim sub, "
        "--scope-claim scope.\n"
        "Exit status: 0 valid, 1 refused, 2 usage error.\n",
        progname);
}


static void die_usage(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void die_usage(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", progname);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(try %s --help)\n", progname);
    exit(EXIT_USAGE);
}

typedef struct {
    apr_array_header_t *issuers;       /* ot_issuer_t * */
    apr_array_header_t *audiences;     /* const char * */
    apr_array_header_t *types;         /* const char * */
    apr_array_header_t *login_clients; /* const char * */
    ot_alg_set_t algs;
    apr_int64_t skew;
    const char *subject_claim;
    const char *scope_claim;
    apr_int64_t now;
    const char *token; /* "-" for stdin */
} settings_t;

static apr_int64_t parse_seconds(const char *opt, const char *arg)
{
    char *end;
    apr_int64_t v;

    errno = 0;
    v = apr_strtoi64(arg, &end, 10);
    /* 253402300799 is 9999-12-31T23:59:59Z, the last time a JWT can name. */
    if (*arg == '\0' || *end != '\0' || errno != 0 || v < 0
        || v > APR_INT64_C(253402300799)) {
        die_usage("%s %s: not a number of seconds up to 253402300799", opt,
                  arg);
    }
    return v;
}

static void add_jwks(apr_pool_t *p, settings_t *s, const char *path)
{
    ot_issuer_t *iss;
    const char *why = NULL;
    ot_jwks_t *jwks;
    ot_status_t rv;

    if (s->issuers->nelts == 0) {
        die_usage("--jwks %s: must follow the --issuer it belongs to", path);
    }
    iss = APR_ARRAY_IDX(s->issuers, s->issuers->nelts - 1, ot_issuer_t *);
    if (iss->jwks != NULL) {
        die_usage("--jwks %s: issuer %s already has a --jwks", path,
                  iss->issuer);
    }
    rv = ot_jwks_load_file(p, path, &jwks, &why);
    if (rv != OT_OK) {
        die_usage("--jwks %s: %s", path, why ? why : ot_status_text(rv));
    }
    iss->jwks = jwks;
}

static void parse_args(apr_pool_t *p, int argc, const char *const *argv,
                       settings_t *s)
{
    apr_getopt_t *os;
    const char *arg;
    const ot_alg_t *alg;
    ot_issuer_t *iss;
    apr_status_t rv;
    int optch, i, stdin_token = 0, has_oct = 0;

    memset(s, 0, sizeof(*s));
    s->issuers = apr_array_make(p, 2, sizeof(ot_issuer_t *));
    s->audiences = apr_array_make(p, 2, sizeof(const char *));
    s->types = apr_array_make(p, 2, sizeof(const char *));
    s->login_clients = apr_array_make(p, 2, sizeof(const char *));
    s->skew = 60;
    s->now = apr_time_sec(apr_time_now());

    /* apr_getopt takes a lone "-" for a bad option; as the last argument it
     * is the token placeholder. */
    if (argc > 1 && strcmp(argv[argc - 1], "-") == 0) {
        stdin_token = 1;
        argc--;
    }
    apr_getopt_init(&os, p, argc, argv);
    os->interleave = 1;
    while ((rv = apr_getopt_long(os, options, &optch, &arg)) == APR_SUCCESS) {
        switch (optch) {
        case OPT_ISSUER:
            iss = apr_pcalloc(p, sizeof(*iss));
            iss->issuer = arg;
            APR_ARRAY_PUSH(s->issuers, ot_issuer_t *) = iss;
            break;
        case OPT_JWKS:
            add_jwks(p, s, arg);
            break;
        case OPT_AUDIENCE:
            APR_ARRAY_PUSH(s->audiences, const char *) = arg;
            break;
        case OPT_ALG:
            alg = ot_alg_by_name(arg);
            if (alg == NULL) {
                die_usage("--alg %s: %s", arg,
                          strcmp(arg, "none") == 0
                              ? "\"none\" is never allowed"
                              : "unknown JWS algorithm (names are "
                                "case-sensitive, e.g. RS256, ES256, EdDSA)");
            }
            s->algs |= alg->bit;
            break;
        case OPT_ACCEPT_TYPE:
            APR_ARRAY_PUSH(s->types, const char *) = arg;
            break;
        case OPT_SKEW:
            s->skew = parse_seconds("--skew", arg);
            break;
        case OPT_SUBJECT_CLAIM:
            s->subject_claim = arg;
            break;
        case OPT_SCOPE_CLAIM:
            s->scope_claim = arg;
            break;
        case OPT_LOGIN_CLIENT:
            APR_ARRAY_PUSH(s->login_clients, const char *) = arg;
            break;
        case OPT_NOW:
            s->now = parse_seconds("--now", arg);
            break;
        case OPT_HELP:
            usage(stdout);
            exit(0);
        }
    }
    if (rv != APR_EOF) {
        /* apr_getopt has already said what was wrong. */
        fprintf(stderr, "(try %s --help)\n", progname);
        exit(EXIT_USAGE);
    }

    if (s->issuers->nelts == 0) {
        die_usage("--issuer is required");
    }
    for (i = 0; i < s->issuers->nelts; i++) {
        iss = APR_ARRAY_IDX(s->issuers, i, ot_issuer_t *);
        if (iss->jwks == NULL) {
            die_usage("--issuer %s: needs a --jwks FILE after it", iss->issuer);
        }
        has_oct |= ot_jwks_has_oct(iss->jwks);
    }
    if (s->audiences->nelts == 0) {
        die_usage("--audience is required (the module refuses to run "
                  "without one)");
    }
    if (s->algs == 0) {
        s->algs = ot_alg_default_set();
    }
    else if (ot_alg_set_has_hmac(s->algs) && !has_oct) {
        die_usage("--alg: an HS algorithm needs an \"oct\" key in a --jwks "
                  "file");
    }

    if (stdin_token) {
        if (os->ind != argc) {
            die_usage("%s", "more than one token given (\"-\" reads stdin)");
        }
        s->token = "-";
    }
    else if (argc - os->ind != 1) {
        die_usage("%s", argc == os->ind ? "no token given (\"-\" reads stdin)"
                                        : "more than one token given");
    }
    else {
        s->token = os->argv[os->ind];
    }
}

static const char *read_stdin(apr_pool_t *p)
{
    char *buf = apr_palloc(p, STDIN_CAP + 1);
    apr_size_t len = 0, n;

    while (len < STDIN_CAP
           && (n = fread(buf + len, 1, STDIN_CAP - len, stdin)) > 0) {
        len += n;
    }
    if (ferror(stdin)) {
        die_usage("cannot read the token from stdin");
    }
    if (memchr(buf, '\0', len) != NULL) {
        die_usage("the token on stdin holds a NUL byte");
    }
    buf[len] = '\0';
    return buf;
}

/* Admins paste what they have: surrounding whitespace and a copied
 * "Bearer " scheme are not part of the token. */
static const char *trim_token(apr_pool_t *p, const char *t)
{
    const char *end;

    while (*t == ' ' || *t == '\t' || *t == '\r' || *t == '\n') {
        t++;
    }
    if (strncasecmp(t, "Bearer ", 7) == 0) {
        fprintf(stderr, "note: ignoring the leading \"Bearer \"\n");
        t += 7;
        while (*t == ' ') {
            t++;
        }
    }
    end = t + strlen(t);
    while (end > t
           && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'
               || end[-1] == '\n')) {
        end--;
    }
    return apr_pstrmemdup(p, t, end - t);
}

/* Token content is attacker input: control bytes are shown escaped so that
 * printing them cannot drive the terminal. */
static const char *printable(apr_pool_t *p, const char *s)
{
    apr_size_t len = strlen(s), i, o = 0;
    char *out = apr_palloc(p, 4 * len + 1);

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
            apr_snprintf(out + o, 5, "\\x%02x", c);
            o += 4;
        }
        else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
    return out;
}

/* Decodes one part of the compact form on its own, so that the header and
 * claims are shown even for tokens the validation refuses early (alg
 * "none", bad typ, ...). */
static json_t *decode_part(apr_pool_t *p, const char *start, apr_size_t len,
                           ot_status_t *why)
{
    unsigned char *raw;
    apr_size_t raw_len;
    json_t *j = NULL;

    *why = ot_b64url_decode(p, start, len, &raw, &raw_len);
    if (*why == OT_OK) {
        *why = ot_json_parse_object(p, (const char *)raw, raw_len,
                                    OT_MAX_TOKEN_LEN, &j);
    }
    return *why == OT_OK ? j : NULL;
}

static void show_json(const char *title, json_t *j, ot_status_t why)
{
    printf("%s:\n", title);
    if (j == NULL) {
        printf("  (cannot be decoded: %s)\n", ot_status_text(why));
        return;
    }
    /* ASCII only: non-ASCII control characters are escaped as well. */
    json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
    printf("\n");
}

static const char *iso_time(apr_int64_t t)
{
    static char buf[32];
    apr_time_exp_t tm;
    apr_size_t len;

    if (apr_time_exp_gmt(&tm, apr_time_from_sec(t)) != APR_SUCCESS
        || apr_strftime(buf, &len, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm)
               != APR_SUCCESS) {
        return "?";
    }
    return buf;
}

static void show_times(json_t *claims, const settings_t *s)
{
    static const char *const names[] = {"exp", "nbf", "iat"};
    apr_size_t i;

    printf("Times (now %" APR_INT64_T_FMT " = %s, skew %" APR_INT64_T_FMT
           "s):\n",
           s->now, iso_time(s->now), s->skew);
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        json_t *j = json_object_get(claims, names[i]);
        apr_int64_t t, d;

        if (!json_is_integer(j) && !json_is_real(j)) {
            printf("  %s: %s\n", names[i],
                   j == NULL ? "absent" : "present but not a number");
            continue;
        }
        if (json_is_integer(j)) {
            t = json_integer_value(j);
        }
        else if (json_real_value(j) >= 0.0 && json_real_value(j) < 1e15) {
            t = (apr_int64_t)json_real_value(j);
        }
        else {
            printf("  %s: out of range\n", names[i]);
            continue;
        }
        if (t < 0 || t > APR_INT64_C(253402300799)) {
            printf("  %s: %" APR_INT64_T_FMT " (out of range)\n", names[i], t);
            continue;
        }
        d = t - s->now;
        printf("  %s: %" APR_INT64_T_FMT " = %s (%" APR_INT64_T_FMT "s %s)\n",
               names[i], t, iso_time(t), d < 0 ? -d : d,
               d < 0 ? "ago" : "from now");
    }
}

static void show_token(apr_pool_t *p, const char *token, const settings_t *s)
{
    const char *dot1, *dot2;
    json_t *header = NULL, *claims = NULL;
    ot_status_t why = OT_ERR_MALFORMED, cwhy = OT_ERR_MALFORMED;

    if (strlen(token) > OT_MAX_TOKEN_LEN) {
        printf("(not decoded: over the %d-byte limit)\n", OT_MAX_TOKEN_LEN);
        return;
    }
    dot1 = strchr(token, '.');
    dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (dot1 != NULL) {
        header = decode_part(p, token, dot1 - token, &why);
    }
    if (dot2 != NULL) {
        claims = decode_part(p, dot1 + 1, dot2 - dot1 - 1, &cwhy);
    }
    show_json("JOSE header", header, why);
    show_json("Claims", claims, cwhy);
    if (claims != NULL) {
        show_times(claims, s);
    }
}

static const char *rfc6750_answer(ot_status_t rv)
{
    /* RFC 6750 3.1: a malformed, expired, revoked or otherwise invalid
     * token is invalid_token; only our own failures are not the client's. */
    return rv == OT_ERR_INTERNAL ? "500 (server error)" : "401 invalid_token";
}

int main(int argc, const char *const *argv)
{
    apr_pool_t *p;
    settings_t s;
    ot_access_policy_t policy;
    ot_access_token_t *tok = NULL;
    const char *token, *detail = NULL;
    ot_status_t rv;

    if (apr_app_initialize(&argc, &argv, NULL) != APR_SUCCESS) {
        fprintf(stderr, "%s: cannot initialize APR\n", progname);
        return EXIT_USAGE;
    }
    atexit(apr_terminate);
    if (apr_pool_create(&p, NULL) != APR_SUCCESS) {
        fprintf(stderr, "%s: out of memory\n", progname);
        return EXIT_USAGE;
    }

    parse_args(p, argc, argv, &s);
    token = strcmp(s.token, "-") == 0 ? read_stdin(p) : s.token;
    token = trim_token(p, token);
    show_token(p, token, &s);

    memset(&policy, 0, sizeof(policy));
    policy.issuers = s.issuers;
    policy.audiences = s.audiences;
    policy.algorithms = s.algs;
    policy.accept_types = s.types;
    policy.clock_skew = s.skew;
    policy.subject_claim = s.subject_claim;
    policy.scope_claim = s.scope_claim;
    policy.login_clients = s.login_clients;

    rv = ot_access_token_validate(p, token, &policy, s.now, &tok, &detail);
    if (rv != OT_OK) {
        printf("REFUSED: %s", ot_status_text(rv));
        if (detail != NULL) {
            printf(" (%s)", detail);
        }
        printf(" -> %s\n", rfc6750_answer(rv));
        fflush(stdout);
        apr_pool_destroy(p);
        return EXIT_REFUSED;
    }
    printf("VALID: sub=%s client_id=%s scope=\"%s\" exp=%" APR_INT64_T_FMT
           " (%" APR_INT64_T_FMT "s left)\n",
           printable(p, tok->subject),
           tok->client_id ? printable(p, tok->client_id) : "-",
           printable(p, ot_scope_join(p, tok->scopes)), tok->exp,
           tok->exp - s.now);
    fflush(stdout);
    apr_pool_destroy(p);
    return 0;
}
