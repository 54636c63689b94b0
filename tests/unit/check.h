/* Minimal test helpers: each failed check prints where and why and counts;
 * CHECK_DONE() prints the summary line and returns the exit code. */
#ifndef I2I_TEST_CHECK_H
#define I2I_TEST_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int check_failures_;
static int check_count_;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        check_count_++;                                                                            \
        if (!(cond)) {                                                                             \
            check_failures_++;                                                                     \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                       \
    do {                                                                                           \
        check_count_++;                                                                            \
        if (!(cond)) {                                                                             \
            check_failures_++;                                                                     \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);               \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

#define CHECK_DONE()                                                                               \
    (printf("%d passed, %d failed\n", check_count_ - check_failures_, check_failures_),            \
     check_failures_ ? 1 : 0)

/* Path of a golden fixture: $I2I_GOLDEN/name (default tests/golden). */
static inline const char *golden_path(const char *name) {
    static char buf[4096];
    const char *dir = getenv("I2I_GOLDEN");
    snprintf(buf, sizeof buf, "%s/%s", dir ? dir : "tests/golden", name);
    return buf;
}

#endif
