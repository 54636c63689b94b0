/* Engine calls, the task -> bundle map and the mapping of engine statuses
 * to job error codes. */
#include "engine_runner.h"
#include "image_encode.h"
#include "job_request.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct loaded_bundle {
    i2i_bundle *bundle;
    char dir[PATH_MAX];
} loaded_bundle;

struct engine_runner {
    loaded_bundle b[ENGINE_RUNNER_MAX_BUNDLES];
    size_t n;
};

static const i2i_bundle *bundle_for(const engine_runner *r, const char *task) {
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(i2i_bundle_task(r->b[i].bundle), task)) return r->b[i].bundle;
    return NULL;
}

static bool add_bundle(engine_runner *r, const char *dir, char *err, size_t errlen) {
    if (r->n == ENGINE_RUNNER_MAX_BUNDLES)
        return snprintf(err, errlen, "more than %d bundles", ENGINE_RUNNER_MAX_BUNDLES), false;
    char why[400];
    i2i_bundle *b = i2i_bundle_load(dir, why, sizeof why);
    if (!b) return snprintf(err, errlen, "bundle %s: %s", dir, why), false;
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(i2i_bundle_task(r->b[i].bundle), i2i_bundle_task(b))) {
            snprintf(err, errlen, "bundles %s and %s both serve task %s", r->b[i].dir, dir,
                     i2i_bundle_task(b));
            i2i_bundle_free(b);
            return false;
        }
    r->b[r->n].bundle = b;
    snprintf(r->b[r->n].dir, sizeof r->b[r->n].dir, "%s", dir);
    r->n++;
    return true;
}

static bool add_list(engine_runner *r, const char *dirs, char *err, size_t errlen) {
    char *copy = strdup(dirs), *save = NULL;
    if (!copy) return snprintf(err, errlen, "out of memory"), false;
    bool ok = true;
    for (char *d = strtok_r(copy, ",", &save); ok && d; d = strtok_r(NULL, ",", &save))
        if (*d) ok = add_bundle(r, d, err, errlen);
    free(copy);
    return ok;
}

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Subdirectories with a manifest.json, in name order (a stable load order). */
static bool add_models_dir(engine_runner *r, const char *models, char *err, size_t errlen) {
    DIR *d = opendir(models);
    if (!d) return snprintf(err, errlen, "models directory %s cannot be opened", models), false;
    char *names[ENGINE_RUNNER_MAX_BUNDLES * 4];
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) && n < sizeof names / sizeof names[0];) {
        char path[PATH_MAX];
        struct stat st;
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s/manifest.json", models, e->d_name);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && (names[n] = strdup(e->d_name))) n++;
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_names);
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", models, names[i]);
        ok = ok && add_bundle(r, path, err, errlen);
        free(names[i]);
    }
    return ok;
}

engine_runner *engine_runner_load(const char *dirs, const char *models_dir, char *err,
                                  size_t errlen) {
    engine_runner *r = calloc(1, sizeof *r);
    if (!r) return snprintf(err, errlen, "out of memory"), NULL;
    bool ok = (!dirs || !*dirs || add_list(r, dirs, err, errlen)) &&
              (!models_dir || !*models_dir || add_models_dir(r, models_dir, err, errlen));
    if (ok && r->n == 0) ok = (snprintf(err, errlen, "no model bundle found"), false);
    if (!ok) {
        engine_runner_free(r);
        return NULL;
    }
    return r;
}

void engine_runner_free(engine_runner *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n; i++)
        i2i_bundle_free(r->b[i].bundle);
    free(r);
}

size_t engine_runner_count(const engine_runner *r) {
    return r ? r->n : 0;
}

bool engine_runner_info(const engine_runner *r, size_t i, engine_bundle_info *out) {
    if (!r || i >= r->n) return false;
    out->task = i2i_bundle_task(r->b[i].bundle);
    out->dir = r->b[i].dir;
    out->resident_bytes = i2i_bundle_resident_bytes(r->b[i].bundle);
    out->mem = i2i_bundle_memory(r->b[i].bundle, &out->n_mem);
    out->dtype = i2i_bundle_weight_dtype(r->b[i].bundle);
    return true;
}

bool engine_runner_has_task(const engine_runner *r, const char *task) {
    return r && task && bundle_for(r, task) != NULL;
}

/* The cost listing is quoted at SD's native size, whatever the job sizes. */
#define COST_IMAGE_SIDE 512

int engine_runner_profile_cost(const engine_runner *r, profile_set *set, char *err, size_t errlen) {
    for (size_t i = 0; i < r->n; i++)
        if (profile_set_compute_cost_for_bundle(set, r->b[i].bundle, COST_IMAGE_SIDE,
                                                COST_IMAGE_SIDE, err, errlen) != 0)
            return -1;
    return 0;
}

bool engine_runner_working_size(const engine_runner *r, const char *task, int w, int h,
                                i2i_params *p, int *ow, int *oh, char *err, size_t errlen) {
    const i2i_bundle *b = r ? bundle_for(r, task) : NULL;
    if (!b) return snprintf(err, errlen, "no bundle serves task %s", task), false;
    if (p->resolution == I2I_RESOLUTION_BUNDLE) p->resolution = i2i_bundle_resolution(b);
    return i2i_working_size(task, w, h, p, ow, oh, err, errlen);
}

void engine_runner_set_threads(int n) {
    if (n > 0) i2i_set_threads(n);
}

static const char *status_code(i2i_status st) {
    switch (st) {
    case I2I_ERR_INVALID:
        return "invalid_parameter";
    case I2I_ERR_IMAGE:
        return "invalid_image";
    case I2I_ERR_MODEL:
        return "model_error";
    case I2I_ERR_CANCELED:
        return "canceled";
    default:
        return "internal";
    }
}

static void fail(engine_result *out, i2i_status st, const char *msg) {
    out->canceled = st == I2I_ERR_CANCELED;
    out->error_code = status_code(st);
    snprintf(out->error_message, sizeof out->error_message, "%s", msg[0] ? msg : "engine failure");
}

/* Progress of image `index` of `count`, as steps of the whole job. */
typedef struct image_progress {
    i2i_progress_fn fn;
    void *user;
    int index, count;
} image_progress;

static bool on_image_step(void *user, int step, int steps) {
    image_progress *ip = user;
    return !ip->fn || ip->fn(ip->user, ip->index * steps + step, ip->count * steps);
}

/* One image of the job, encoded; false with out's error set. */
static bool run_one(const i2i_bundle *b, const i2i_image *in, const i2i_params *p,
                    const result_spec *enc, image_progress *ip, engine_result *out) {
    i2i_image result = {0};
    char err[256] = "";
    i2i_status st = i2i_run(b, in, p, on_image_step, ip, &result, err, sizeof err);
    if (st != I2I_OK) {
        i2i_image_free(&result);
        return fail(out, st, err), false;
    }
    engine_image *img = &out->images[out->n_images];
    bool encoded = image_encode(&result, enc, &img->bytes, &img->len, err, sizeof err);
    out->width = result.width;
    out->height = result.height;
    i2i_image_free(&result);
    if (!encoded) {
        out->error_code = "internal";
        snprintf(out->error_message, sizeof out->error_message, "%s", err);
        return false;
    }
    img->seed = p->seed;
    out->n_images++;
    return true;
}

void engine_runner_run(const engine_runner *r, const char *task, const i2i_image *in,
                       const i2i_params *p, int count, const result_spec *enc,
                       i2i_progress_fn progress, void *user, engine_result *out) {
    memset(out, 0, sizeof *out);
    const i2i_bundle *b = bundle_for(r, task);
    if (!b) return fail(out, I2I_ERR_MODEL, "no bundle serves this task");
    if (count < 1 || count > ENGINE_RUNNER_MAX_IMAGES)
        return fail(out, I2I_ERR_INVALID, "images per job out of range");
    out->content_type = result_format_content_type(enc->format);
    for (int i = 0; i < count; i++) {
        i2i_params one = *p;
        one.seed = job_image_seed(p->seed, i);
        image_progress ip = {progress, user, i, count};
        if (!run_one(b, in, &one, enc, &ip, out)) return engine_result_free(out);
    }
    out->ok = true;
}

/* Frees the images; the error fields stay for the caller to report. */
void engine_result_free(engine_result *out) {
    for (int i = 0; i < out->n_images; i++)
        free(out->images[i].bytes);
    memset(out->images, 0, sizeof out->images);
    out->n_images = 0;
}
