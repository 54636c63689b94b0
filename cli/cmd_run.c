/* i2i run edit|control|upscale: one job from files, with a progress bar on a terminal. */
#include "commands.h"
#include "file_util.h"
#include "i2i_engine.h"
#include "image_codec.h"
#include "schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Decoding limit for the input file (a decompression-bomb guard); the
 * bundle's own, smaller pixel limit is checked by the engine. */
#define RUN_DECODE_MAX_PIXELS (64L * 1024 * 1024)

typedef struct run_args {
    const char *task;
    const char *bundle, *image, *out;
    int threads;
    i2i_params p;
} run_args;

static int run_usage(FILE *f) {
    fprintf(f,
            "usage: i2i run edit|control|upscale --bundle DIR --image IN.png|jpg [--prompt TEXT]\n"
            "       --out OUT.png\n"
            "       [--depth D] [--steps N] [--gamma G|1/P] [--seed S] [--sampler ddim|dpmpp_2m]\n"
            "       [--eta E] [--guidance-scale S] [--threads N]\n"
            "  edit:    [--image-guidance-scale S]\n"
            "  control: [--negative-prompt TEXT] [--control-scale S] [--control-type canny|raw]\n"
            "           [--low-threshold L] [--high-threshold H] [--image-resolution R]\n"
            "  upscale: [--scale S] [--color-fix adain|wavelet|none] [--cfw-weight W] (no prompt)\n"
            "defaults, edit: depth 9, 10 steps, gamma 1/1.8, ddim, eta 0, guidance 7.5, image\n"
            "guidance 1.0; control: depth 9, 5 steps, gamma 1/2.21, guidance 9, control scale 1,\n"
            "canny 100/200, resolution 512; upscale: depth 8, 20 steps, gamma 1.42, eta 1,\n"
            "scale 4, adain, cfw weight 0.5; seed 0 (the paper's profiles).\n");
    return f == stdout ? 0 : 2;
}

static bool parse_long(const char *opt, const char *v, long lo, long hi, long *out) {
    char *end;
    long x = strtol(v, &end, 10);
    if (*v && !*end && x >= lo && x <= hi) return *out = x, true;
    fprintf(stderr, "i2i run: %s must be an integer in %ld..%ld, got '%s'\n", opt, lo, hi, v);
    return false;
}

static bool parse_double(const char *opt, const char *v, double *out) {
    char *end;
    double x = strtod(v, &end);
    if (*v && !*end) return *out = x, true;
    fprintf(stderr, "i2i run: %s must be a number, got '%s'\n", opt, v);
    return false;
}

static bool parse_task_option(run_args *a, const char *opt, const char *v);

static bool parse_option(run_args *a, const char *opt, const char *v) {
    long l;
    char err[256];
    if (!strcmp(opt, "--bundle"))
        a->bundle = v;
    else if (!strcmp(opt, "--image"))
        a->image = v;
    else if (!strcmp(opt, "--out"))
        a->out = v;
    else if (!strcmp(opt, "--prompt"))
        a->p.prompt = v;
    else if (!strcmp(opt, "--depth"))
        return parse_long(opt, v, 1, 64, &l) && (a->p.depth = (int)l);
    else if (!strcmp(opt, "--steps"))
        return parse_long(opt, v, 1, SCHEDULE_MAX_STEPS, &l) && (a->p.steps = (int)l);
    else if (!strcmp(opt, "--threads"))
        return parse_long(opt, v, 1, 1024, &l) && (a->threads = (int)l);
    else if (!strcmp(opt, "--seed")) {
        char *end;
        unsigned long long s = strtoull(v, &end, 10);
        if (!*v || *end || *v == '-') {
            fprintf(stderr, "i2i run: --seed must be a non-negative integer, got '%s'\n", v);
            return false;
        }
        a->p.seed = s;
    } else if (!strcmp(opt, "--gamma")) {
        if (gamma_parse(v, &a->p.gamma, err, sizeof err) != 0) {
            fprintf(stderr, "i2i run: --gamma: %s\n", err);
            return false;
        }
    } else if (!strcmp(opt, "--sampler")) {
        if (!strcmp(v, "ddim"))
            a->p.sampler = I2I_SAMPLER_DDIM;
        else if (!strcmp(v, "dpmpp_2m"))
            a->p.sampler = I2I_SAMPLER_DPMPP_2M;
        else {
            fprintf(stderr, "i2i run: --sampler must be ddim or dpmpp_2m, got '%s'\n", v);
            return false;
        }
    } else if (!strcmp(opt, "--eta"))
        return parse_double(opt, v, &a->p.eta);
    else if (!strcmp(opt, "--guidance-scale"))
        return parse_double(opt, v, &a->p.guidance_scale);
    else if (!strcmp(opt, "--image-guidance-scale"))
        return parse_double(opt, v, &a->p.image_guidance_scale);
    else
        return parse_task_option(a, opt, v);
    return true;
}

static bool parse_upscale_option(run_args *a, const char *opt, const char *v);

/* The control and upscale tasks' own options. */
static bool parse_task_option(run_args *a, const char *opt, const char *v) {
    long l;
    if (!strcmp(opt, "--negative-prompt"))
        a->p.negative_prompt = v;
    else if (!strcmp(opt, "--control-scale"))
        return parse_double(opt, v, &a->p.control_scale);
    else if (!strcmp(opt, "--low-threshold"))
        return parse_long(opt, v, 0, 100000, &l) && ((a->p.low_threshold = (int)l), true);
    else if (!strcmp(opt, "--high-threshold"))
        return parse_long(opt, v, 0, 100000, &l) && ((a->p.high_threshold = (int)l), true);
    else if (!strcmp(opt, "--image-resolution") || !strcmp(opt, "--resolution"))
        return parse_long(opt, v, 0, 100000, &l) && ((a->p.resolution = (int)l), true);
    else if (!strcmp(opt, "--output-size")) {
        if (strcmp(v, "input") && strcmp(v, "working")) {
            fprintf(stderr, "i2i run: --output-size must be input or working, got '%s'\n", v);
            return false;
        }
        a->p.output_size = strcmp(v, "working") ? I2I_OUTPUT_INPUT : I2I_OUTPUT_WORKING;
    } else if (!strcmp(opt, "--control-type")) {
        if (strcmp(v, "canny") && strcmp(v, "raw")) {
            fprintf(stderr, "i2i run: --control-type must be canny or raw, got '%s'\n", v);
            return false;
        }
        a->p.control_type = strcmp(v, "raw") ? I2I_CONTROL_CANNY : I2I_CONTROL_RAW;
    } else {
        return parse_upscale_option(a, opt, v);
    }
    return true;
}

static bool parse_upscale_option(run_args *a, const char *opt, const char *v) {
    if (!strcmp(opt, "--scale")) return parse_double(opt, v, &a->p.scale);
    if (!strcmp(opt, "--cfw-weight")) return parse_double(opt, v, &a->p.cfw_weight);
    if (strcmp(opt, "--color-fix") != 0) {
        fprintf(stderr, "i2i run: unknown option %s\n", opt);
        return false;
    }
    if (!strcmp(v, "adain"))
        a->p.color_fix = I2I_COLOR_FIX_ADAIN;
    else if (!strcmp(v, "wavelet"))
        a->p.color_fix = I2I_COLOR_FIX_WAVELET;
    else if (!strcmp(v, "none"))
        a->p.color_fix = I2I_COLOR_FIX_NONE;
    else
        return fprintf(stderr, "i2i run: --color-fix must be adain, wavelet or none\n"), false;
    return true;
}

/* 0 ok, 1 help shown, 2 bad usage */
static int parse_run_args(int argc, char **argv, run_args *a) {
    memset(a, 0, sizeof *a);
    a->task = argv[1];
    i2i_params_default(a->task, &a->p);
    const bool needs_prompt = strcmp(a->task, "upscale") != 0; /* StableSR: the empty prompt */
    if (needs_prompt) a->p.prompt = NULL;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--help")) return run_usage(stdout), 1;
        if (i + 1 >= argc) {
            fprintf(stderr, "i2i run: option %s needs a value\n", argv[i]);
            return 2;
        }
        if (!parse_option(a, argv[i], argv[i + 1])) return 2;
        i++;
    }
    if (!a->bundle || !a->image || !a->out || !a->p.prompt) {
        fprintf(stderr, "i2i run: --bundle, --image, --out%s are required\n",
                needs_prompt ? " and --prompt" : "");
        return 2;
    }
    return 0;
}

typedef struct progress_bar {
    bool enabled;
    struct timespec start;
} progress_bar;

static double seconds_since(const struct timespec *t0) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

static bool draw_progress(void *user, int step, int steps) {
    progress_bar *bar = user;
    if (!bar->enabled) return true;
    enum { WIDTH = 30 };
    int filled = steps ? step * WIDTH / steps : WIDTH;
    double el = seconds_since(&bar->start), eta = step ? el / step * (steps - step) : 0;
    fprintf(stderr, "\r[%.*s%*s] %d/%d  %.1fs elapsed, ~%.1fs left", filled,
            "##############################", WIDTH - filled, "", step, steps, el, eta);
    if (step == steps) fputc('\n', stderr);
    fflush(stderr);
    return true;
}

static int load_input(const char *path, i2i_image *img) {
    size_t len;
    char err[256];
    uint8_t *data = file_read_all(path, 256L << 20, &len, err, sizeof err);
    if (!data) return fprintf(stderr, "i2i run: %s\n", err), 1;
    image_codec_status st =
        image_decode_rgb(data, len, RUN_DECODE_MAX_PIXELS, img, err, sizeof err);
    free(data);
    if (st != IMAGE_OK) return fprintf(stderr, "i2i run: %s: %s\n", path, err), 1;
    return 0;
}

static int save_output(const char *path, const i2i_image *img) {
    uint8_t *png;
    size_t len;
    char err[256];
    if (image_encode_png(img, &png, &len, err, sizeof err) != IMAGE_OK)
        return fprintf(stderr, "i2i run: %s\n", err), 1;
    bool ok = file_write_atomic(path, png, len, err, sizeof err);
    free(png);
    if (!ok) return fprintf(stderr, "i2i run: %s\n", err), 1;
    return 0;
}

static int run_job(const run_args *a) {
    char err[512];
    i2i_image in = {0}, out = {0};
    if (load_input(a->image, &in)) return 1;
    if (a->threads) i2i_set_threads(a->threads);
    i2i_bundle *b = i2i_bundle_load(a->bundle, err, sizeof err);
    if (!b) {
        fprintf(stderr, "i2i run: bundle %s: %s\n", a->bundle, err);
        i2i_image_free(&in);
        return 1;
    }
    if (strcmp(i2i_bundle_task(b), a->task) != 0) {
        fprintf(stderr, "i2i run: bundle %s is a %s bundle, not %s\n", a->bundle,
                i2i_bundle_task(b), a->task);
        i2i_image_free(&in);
        i2i_bundle_free(b);
        return 1;
    }
    progress_bar bar = {.enabled = isatty(STDERR_FILENO)};
    clock_gettime(CLOCK_MONOTONIC, &bar.start);
    i2i_status st = i2i_run(b, &in, &a->p, draw_progress, &bar, &out, err, sizeof err);
    int rc = st == I2I_OK ? save_output(a->out, &out) : 1;
    if (st != I2I_OK) fprintf(stderr, "i2i run: %s\n", err);
    i2i_image_free(&in);
    i2i_image_free(&out);
    i2i_bundle_free(b);
    return rc;
}

int cmd_run(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help")) return run_usage(argc < 2 ? stderr : stdout);
    if (i2i_task_unet_evals_per_step(argv[1]) == 0) {
        fprintf(stderr, "i2i run: unknown task '%s' (this build runs: edit, control, upscale)\n",
                argv[1]);
        return 2;
    }
    run_args a;
    int rc = parse_run_args(argc, argv, &a);
    if (rc) return rc == 1 ? 0 : rc;
    return run_job(&a);
}
