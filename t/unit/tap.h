/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* A minimal TAP producer for the C unit tests: one "ok N - ..." line per
 * check, the plan "1..N" at the end, and an exit status that says whether
 * any check failed. Each test program includes it once. */

#ifndef OT_TAP_H
#define OT_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count;
static int tap_failures;

#define TAP_PRINTF(f, a) __attribute__((format(printf, f, a)))

static inline void tap_vline(int pass, const char *fmt, va_list ap)
{
    tap_count++;
    if (!pass) {
        tap_failures++;
    }
    printf("%sok %d - ", pass ? "" : "not ", tap_count);
    vprintf(fmt, ap);
    printf("\n");
}

/* Records one check; returns cond so callers can stop a dependent chain. */
static inline TAP_PRINTF(2, 3) int ok(int cond, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    tap_vline(cond != 0, fmt, ap);
    va_end(ap);
    return cond != 0;
}

/* A comment line, ignored by TAP consumers and shown by prove -v. */
static inline TAP_PRINTF(1, 2) void diag(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    printf("# ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

static inline TAP_PRINTF(3, 4) int is_int(long got, long expected,
                                          const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    tap_vline(got == expected, fmt, ap);
    va_end(ap);
    if (got != expected) {
        diag("  got %ld, expected %ld", got, expected);
    }
    return got == expected;
}

/* Two strings equal, or both NULL; used wherever a test reads back a
 * claim, header or request the code under test produced. */
static inline int is_str(const char *got, const char *want, const char *name)
{
    int pass = (got == NULL && want == NULL)
               || (got != NULL && want != NULL && strcmp(got, want) == 0);

    ok(pass, "%s", name);
    if (!pass) {
        diag("  got \"%s\", expected \"%s\"", got ? got : "(null)",
             want ? want : "(null)");
    }
    return pass;
}

/* Prints the plan; the program's exit status. */
static inline int done_testing(void)
{
    printf("1..%d\n", tap_count);
    if (tap_failures) {
        diag("%d of %d checks failed", tap_failures, tap_count);
    }
    fflush(stdout);
    return tap_failures == 0 && tap_count > 0 ? 0 : 1;
}

#endif
