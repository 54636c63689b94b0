/* The task table and the task-neutral entry points of i2i_engine.h. */
#include "pipeline.h"
#include "resample.h"
#include "ts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const pipeline_def edit_pipeline;
extern const pipeline_def control_pipeline;
extern const pipeline_def upscale_pipeline;

/* One line per task. */
static const pipeline_def *const PIPELINES[] = {&edit_pipeline, &control_pipeline,
                                                &upscale_pipeline};
#define N_PIPELINES (sizeof PIPELINES / sizeof PIPELINES[0])

const pipeline_def *pipeline_find(const char *task) {
    for (size_t i = 0; task && i < N_PIPELINES; i++)
        if (!strcmp(PIPELINES[i]->task, task)) return PIPELINES[i];
    return NULL;
}

const char *const *i2i_tasks(void) {
    static const char *names[N_PIPELINES + 1];
    for (size_t i = 0; i < N_PIPELINES; i++)
        names[i] = PIPELINES[i]->task; /* constant data: racing writers store the same */
    return names;
}

int i2i_task_unet_evals_per_step(const char *task) {
    const pipeline_def *d = pipeline_find(task);
    return d ? d->unet_evals_per_step : 0;
}

/* Fields common to every task; the task's own defaults come on top. */
void i2i_params_default(const char *task, i2i_params *p) {
    memset(p, 0, sizeof *p);
    p->prompt = "";
    p->negative_prompt = "";
    p->depth = 13;
    p->steps = 20;
    p->gamma = 1.0;
    p->sampler = I2I_SAMPLER_DDIM;
    p->guidance_scale = 7.5;
    p->image_guidance_scale = 1.0;
    p->control_scale = 1.0;
    p->control_type = I2I_CONTROL_CANNY;
    p->low_threshold = 100;
    p->high_threshold = 200;
    p->resolution = I2I_RESOLUTION_BUNDLE;
    p->output_size = I2I_OUTPUT_INPUT;
    p->scale = 4.0;
    p->color_fix = I2I_COLOR_FIX_ADAIN;
    p->cfw_weight = 0.5;
    const pipeline_def *d = pipeline_find(task);
    if (d && d->defaults) d->defaults(p);
}

bool i2i_working_size(const char *task, int w, int h, const i2i_params *p, int *ow, int *oh,
                      char *err, size_t errlen) {
    const pipeline_def *d = pipeline_find(task);
    if (!d) return snprintf(err, errlen, "unknown task"), false;
    if (p->resolution == I2I_RESOLUTION_BUNDLE)
        return snprintf(err, errlen, "resolution: the bundle's default is not resolved"), false;
    if (d->working_size) return d->working_size(w, h, p, ow, oh, err, errlen);
    *ow = w, *oh = h;
    return true;
}

bool i2i_result_size(const char *task, int w, int h, const i2i_params *p, int *ow, int *oh,
                     char *err, size_t errlen) {
    const pipeline_def *d = pipeline_find(task);
    if (!d) return snprintf(err, errlen, "unknown task"), false;
    if (d->result_size) return d->result_size(w, h, p, ow, oh, err, errlen);
    if (p->output_size == I2I_OUTPUT_WORKING)
        return i2i_working_size(task, w, h, p, ow, oh, err, errlen);
    *ow = p->output_width > 0 ? p->output_width : w;
    *oh = p->output_height > 0 ? p->output_height : h;
    return true;
}

i2i_status i2i_image_resize(const i2i_image *in, int w, int h, i2i_image *out) {
    memset(out, 0, sizeof *out);
    if (!in || !in->rgb || w < 1 || h < 1 || (int64_t)w * h > ((int64_t)1 << 31))
        return I2I_ERR_INVALID;
    *out = (i2i_image){w, h, malloc((size_t)w * (size_t)h * 3)};
    if (out->rgb && image_resize_rgb8(in->rgb, in->width, in->height, out->rgb, w, h) == 0)
        return I2I_OK;
    i2i_image_free(out);
    return I2I_ERR_INTERNAL;
}

/* The result at the input's size (or the caller's output size) unless the
 * job asked for the working size. */
static i2i_status size_output(const i2i_image *in, const i2i_params *p, i2i_image *out, char *err,
                              size_t errlen) {
    const int w = p->output_width > 0 ? p->output_width : in->width;
    const int h = p->output_height > 0 ? p->output_height : in->height;
    if (p->output_size == I2I_OUTPUT_WORKING || (out->width == w && out->height == h))
        return I2I_OK;
    i2i_image back;
    if (i2i_image_resize(out, w, h, &back) != I2I_OK)
        return snprintf(err, errlen, "cannot resample the result to %dx%d", w, h), I2I_ERR_INTERNAL;
    i2i_image_free(out);
    *out = back;
    return I2I_OK;
}

i2i_status i2i_run(const i2i_bundle *b, const i2i_image *in, const i2i_params *p,
                   i2i_progress_fn progress, void *user, i2i_image *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    const pipeline_def *d = b ? pipeline_find(b->task) : NULL;
    if (!d) return snprintf(err, errlen, "no bundle or unknown task"), I2I_ERR_MODEL;
    if (!in || !in->rgb || !p)
        return snprintf(err, errlen, "no image or parameters"), I2I_ERR_INVALID;
    /* checked on the input, not the working size: a thumbnail-sized input
     * carries nothing to edit however far it is upsampled */
    if (in->width < I2I_MIN_IMAGE_SIDE || in->height < I2I_MIN_IMAGE_SIDE)
        return snprintf(err, errlen, "image is %dx%d; both sides must be at least %d pixels",
                        in->width, in->height, I2I_MIN_IMAGE_SIDE),
               I2I_ERR_IMAGE;
    i2i_params q = *p;
    if (q.resolution == I2I_RESOLUTION_BUNDLE) q.resolution = b->resolution;
    ts_error_clear();
    ts_scope s = ts_scope_begin();
    i2i_status st = d->run(b, in, &q, progress, user, out, err, errlen);
    ts_scope_end(s);
    ts_error_clear();
    if (st == I2I_OK) st = size_output(in, &q, out, err, errlen);
    if (st != I2I_OK) i2i_image_free(out);
    return st;
}

void i2i_set_threads(int n) {
    ts_set_num_threads(n);
}

void i2i_runtime_init(void) {
    ts_runtime_init();
}

void i2i_image_free(i2i_image *img) {
    if (!img) return;
    free(img->rgb);
    img->rgb = NULL;
}
