/* job_bench: whole jobs (text encoder, hint/VAE encode, every U-Net and
 * ControlNet call, VAE decode) through the public engine API, one row per
 * profile of the bundle's task, against each profile's baseline, measured in
 * one run.
 *
 *   job_bench --bundle DIR --profiles DIR [--size WxH ...] [--resolution R]
 *             [--profile NAME] [--runs 3] [--warmups 1] [--threads 2]
 *
 * Each (profile, image size) is timed best of --runs after --warmups jobs
 * (0 for SD-size bundles, where one edit-full job takes many minutes and
 * the weights are already in their kernel form after the load);
 * the ratio column is own / baseline at the same image size. --size may
 * repeat (e.g. per-job time against image size); --resolution sets the
 * working resolution (edit: long side, 0 = the input's own size; control:
 * short side; default: the bundle's); --profile runs only that profile
 * (and its ratio against the first size then). */
#include "i2i_engine.h"
#include "profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SIZES 8

typedef struct options {
    const char *bundle, *profiles, *only;
    int sizes[MAX_SIZES][2], n_sizes;
    int resolution, runs, warmups, threads;
    double scale; /* upscale jobs: 0 = the profile's default */
} options;

static int usage(const char *msg) {
    fprintf(stderr,
            "job_bench: %s\nusage: job_bench --bundle DIR --profiles DIR [--size WxH]... "
            "[--resolution R] [--scale S] [--runs R] [--warmups W] [--threads N]\n",
            msg);
    return 2;
}

static int parse_args(int argc, char **argv, options *o) {
    *o = (options){.runs = 3, .warmups = 1, .threads = 2, .resolution = I2I_RESOLUTION_BUNDLE};
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) return usage("option needs a value");
        if (!strcmp(a, "--bundle"))
            o->bundle = v;
        else if (!strcmp(a, "--profiles"))
            o->profiles = v;
        else if (!strcmp(a, "--profile"))
            o->only = v;
        else if (!strcmp(a, "--resolution"))
            o->resolution = atoi(v);
        else if (!strcmp(a, "--scale"))
            o->scale = atof(v);
        else if (!strcmp(a, "--runs"))
            o->runs = atoi(v);
        else if (!strcmp(a, "--warmups"))
            o->warmups = atoi(v);
        else if (!strcmp(a, "--threads"))
            o->threads = atoi(v);
        else if (!strcmp(a, "--size") && o->n_sizes < MAX_SIZES &&
                 sscanf(v, "%dx%d", &o->sizes[o->n_sizes][0], &o->sizes[o->n_sizes][1]) == 2)
            o->n_sizes++;
        else
            return usage("unknown option or bad value");
    }
    if (!o->bundle || !o->profiles) return usage("--bundle and --profiles are required");
    if (o->n_sizes == 0) o->sizes[o->n_sizes][0] = 128, o->sizes[o->n_sizes++][1] = 128;
    if (o->runs < 1 || o->runs > 50 || o->warmups < 0 || o->warmups > 10 || o->threads < 1)
        return usage("bad --runs, --warmups or --threads");
    return 0;
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* A smooth test image with some structure, so canny finds edges. */
static i2i_image make_image(int w, int h) {
    i2i_image img = {w, h, malloc((size_t)w * (size_t)h * 3)};
    for (int y = 0; img.rgb && y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = img.rgb + 3 * ((size_t)y * w + x);
            p[0] = (uint8_t)(255 * x / w);
            p[1] = (uint8_t)(255 * y / h);
            p[2] = ((x / 16 + y / 16) % 2) ? 200 : 40;
        }
    return img;
}

/* The profile's defaults as a request without overrides gets them. */
static bool params_of(const profile *p, const options *o, i2i_params *out) {
    profile_request q = {.given = PROFILE_GIVEN_SEED, .prompt = "a photo", .seed = 1};
    profile_resolved r;
    char err[256];
    if (profile_resolve(p, &q, &r, err, sizeof err) != 0) return false;
    *out = r.params;
    if (o->resolution != I2I_RESOLUTION_BUNDLE) out->resolution = o->resolution;
    if (o->scale > 0) out->scale = o->scale;
    return true;
}

/* Best wall seconds of one job over the runs (after the warm-ups); < 0 on
 * failure. */
static double time_job(const i2i_bundle *b, const i2i_image *in, const i2i_params *p, int runs,
                       int warmups) {
    double best = -1;
    for (int r = -warmups; r < runs; r++) {
        i2i_image out = {0};
        char err[256];
        double t0 = now_s();
        i2i_status st = i2i_run(b, in, p, NULL, NULL, &out, err, sizeof err);
        double dt = now_s() - t0;
        i2i_image_free(&out);
        if (st != I2I_OK) return fprintf(stderr, "job_bench: %s\n", err), -1;
        if (r >= 0 && (best < 0 || dt < best)) best = dt;
    }
    return best;
}

/* Seconds of the --profile job at the first size: the base of its ratios. */
static double first_size_s;

static void run_size(const i2i_bundle *b, const profile_set *set, const options *o, int w, int h) {
    i2i_image in = make_image(w, h);
    double secs[PROFILE_MAX] = {0};
    for (int i = 0; i < set->count; i++) {
        const profile *p = &set->items[i];
        i2i_params q;
        if (strcmp(p->task, i2i_bundle_task(b)) || (o->only && strcmp(p->name, o->only)) ||
            !params_of(p, o, &q))
            continue;
        secs[i] = time_job(b, &in, &q, o->runs, o->warmups);
    }
    for (int i = 0; i < set->count; i++) {
        const profile *p = &set->items[i];
        if (secs[i] <= 0) continue;
        const profile *base = profile_set_find(set, p->baseline);
        double bs = base && !o->only ? secs[base - set->items] : 0;
        if (o->only && first_size_s <= 0) first_size_s = secs[i];
        if (o->only) bs = first_size_s;
        printf("  %-14s %4dx%-5d D%-3d %4d steps %9.3f s", p->name, w, h, p->depth, p->steps,
               secs[i]);
        if (bs > 0)
            printf("   %6.3fx %s (%+.1f %% latency)\n", secs[i] / bs,
                   o->only ? "the first size" : p->baseline, 100.0 * (secs[i] / bs - 1));
        else
            printf("\n");
    }
    free(in.rgb);
}

int main(int argc, char **argv) {
    options o;
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc;
    i2i_runtime_init();
    i2i_set_threads(o.threads);
    char err[512] = "";
    static profile_set set;
    if (profile_set_load_dir(&set, o.profiles, err, sizeof err) != 0)
        return fprintf(stderr, "job_bench: %s\n", err), 1;
    i2i_bundle *b = i2i_bundle_load(o.bundle, err, sizeof err);
    if (!b) return fprintf(stderr, "job_bench: %s: %s\n", o.bundle, err), 1;
    printf("job_bench: bundle %s (task %s), %d thread(s), best of %d jobs after %d warm-up(s), "
           "resolution %s, weights %s\n",
           o.bundle, i2i_bundle_task(b), o.threads, o.runs, o.warmups,
           o.resolution == I2I_RESOLUTION_BUNDLE ? "the bundle's"
           : o.resolution == 0                   ? "the input's own size"
                                                 : "as given",
           i2i_bundle_weight_dtype(b));
    if (o.resolution > 0) printf("  (working resolution %d)\n", o.resolution);
    for (int s = 0; s < o.n_sizes; s++)
        run_size(b, &set, &o, o.sizes[s][0], o.sizes[s][1]);
    i2i_bundle_free(b);
    return 0;
}
