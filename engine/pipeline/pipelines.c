/* The task table and the task-neutral entry points of i2i_engine.h. */
#include "pipeline.h"
#include "ts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const pipeline_def edit_pipeline;
extern const pipeline_def control_pipeline;

/* One line per task. */
static const pipeline_def *const PIPELINES[] = {&edit_pipeline, &control_pipeline};
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
    p->image_resolution = 512;
    const pipeline_def *d = pipeline_find(task);
    if (d && d->defaults) d->defaults(p);
}

bool i2i_working_size(const char *task, int w, int h, const i2i_params *p, int *ow, int *oh,
                      char *err, size_t errlen) {
    const pipeline_def *d = pipeline_find(task);
    if (!d) return snprintf(err, errlen, "unknown task"), false;
    if (d->working_size) return d->working_size(w, h, p, ow, oh, err, errlen);
    *ow = w, *oh = h;
    return true;
}

i2i_status i2i_run(const i2i_bundle *b, const i2i_image *in, const i2i_params *p,
                   i2i_progress_fn progress, void *user, i2i_image *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    const pipeline_def *d = b ? pipeline_find(b->task) : NULL;
    if (!d) return snprintf(err, errlen, "no bundle or unknown task"), I2I_ERR_MODEL;
    if (!in || !in->rgb || !p)
        return snprintf(err, errlen, "no image or parameters"), I2I_ERR_INVALID;
    ts_error_clear();
    ts_scope s = ts_scope_begin();
    i2i_status st = d->run(b, in, p, progress, user, out, err, errlen);
    ts_scope_end(s);
    ts_error_clear();
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
