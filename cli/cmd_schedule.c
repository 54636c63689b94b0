/* i2i schedule --steps N --gamma G [--json]: prints the gamma time-step
 * schedule (DESIGN.md §1.3), largest t first, space-separated on one line,
 * or as {"steps":N,"gamma":G,"timesteps":[...]} with --json. */
#include "commands.h"
#include "schedule.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct schedule_args {
    int steps;
    double gamma;
    bool json;
} schedule_args;

static int schedule_usage(FILE *f) {
    fprintf(f,
            "usage: i2i schedule --steps N --gamma G [--json]\n"
            "  N: 1..%d time steps; G: > 0, e.g. 1.42 or 1/3.11 (1 = uniform,\n"
            "  < 1 packs steps near t=999, > 1 near t=0)\n",
            SCHEDULE_MAX_STEPS);
    return f == stdout ? 0 : 2;
}

static int parse_steps(const char *val, int *steps) {
    char *end = NULL;
    errno = 0;
    long v = strtol(val, &end, 10);
    if (errno || end == val || *end || v < 1 || v > SCHEDULE_MAX_STEPS) {
        fprintf(stderr, "i2i schedule: --steps must be an integer 1..%d, got '%s'\n",
                SCHEDULE_MAX_STEPS, val);
        return 2;
    }
    *steps = (int)v;
    return 0;
}

/* Returns 0 to go on, 2 for a usage error, -1 after printing --help. */
static int parse_schedule_args(int argc, char **argv, schedule_args *a) {
    bool have_steps = false, have_gamma = false;
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        if (!strcmp(opt, "--help") || !strcmp(opt, "-h")) return schedule_usage(stdout) - 1;
        if (!strcmp(opt, "--json")) {
            a->json = true;
            continue;
        }
        if (strcmp(opt, "--steps") && strcmp(opt, "--gamma")) {
            fprintf(stderr, "i2i schedule: unknown option '%s'\n", opt);
            return schedule_usage(stderr);
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "i2i schedule: option %s needs a value\n", opt);
            return 2;
        }
        const char *val = argv[++i];
        if (!strcmp(opt, "--steps")) {
            if (parse_steps(val, &a->steps)) return 2;
            have_steps = true;
        } else {
            char err[256];
            if (gamma_parse(val, &a->gamma, err, sizeof err)) {
                fprintf(stderr, "i2i schedule: %s\n", err);
                return 2;
            }
            have_gamma = true;
        }
    }
    if (!have_steps || !have_gamma) {
        fprintf(stderr, "i2i schedule: --steps and --gamma are required\n");
        return schedule_usage(stderr);
    }
    return 0;
}

/* Shortest %.Ng form that reads back as the same double. */
static void print_double(double v) {
    char buf[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break;
    }
    fputs(buf, stdout);
}

static void print_schedule(const schedule_args *a, const int *t) {
    if (a->json) {
        printf("{\"steps\":%d,\"gamma\":", a->steps);
        print_double(a->gamma);
        printf(",\"timesteps\":[");
    }
    for (int i = 0; i < a->steps; i++)
        printf("%s%d", i ? (a->json ? "," : " ") : "", t[i]);
    printf(a->json ? "]}\n" : "\n");
}

int cmd_schedule(int argc, char **argv) {
    schedule_args a;
    int rc = parse_schedule_args(argc, argv, &a);
    if (rc) return rc < 0 ? 0 : rc;
    int t[SCHEDULE_MAX_STEPS];
    char err[256];
    if (gamma_schedule(a.steps, a.gamma, t, err, sizeof err)) {
        fprintf(stderr, "i2i schedule: %s\n", err);
        return 2;
    }
    print_schedule(&a, t);
    return fflush(stdout) == 0 ? 0 : 1;
}
