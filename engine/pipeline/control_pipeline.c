/* ControlNet (canny) generation: prompt + edge hint -> image, with
 * depth-skip on the U-Net and the control branch (stopped after block D-1)
 * and a γ schedule. Classic 2-way CFG (DESIGN §1.2): two U-Net evaluations
 * per step, (prompt) and (negative prompt), the hint in both, as the canny
 * app does. It runs at the working size (short side `resolution`, sides
 * multiples of 64), which the result keeps when the job asks for it. */
#include "bundle_memory.h"
#include "control_hint.h"
#include "guidance.h"
#include "pipeline.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONTROL_SCALE_MAX 10.0
#define CONTROL_RESOLUTION_MIN 64
#define CONTROL_RESOLUTION_MAX 4096

static void control_defaults(i2i_params *p) {
    p->depth = 9;
    p->steps = 5;
    p->gamma = 1.0 / 2.21; /* the published ControlNet sequence 999 881 741 558 219 */
    p->eta = 0.0;
    p->guidance_scale = 9.0;
    p->control_scale = 1.0;
    p->low_threshold = 100;
    p->high_threshold = 200;
    p->resolution = I2I_RESOLUTION_BUNDLE;
    p->output_size = I2I_OUTPUT_WORKING; /* as the ControlNet app returns it */
}

/* The ControlNet's skips must fit the U-Net's one by one. */
static bool check_widths(const i2i_bundle *b, char *err, size_t n) {
    int ch[UNET_MAX_INPUT_BLOCKS + 1], blocks;
    if (!unet_layout_skip_channels(&b->cn_cfg.unet, ch, &blocks, err, n)) return false;
    if (blocks != unet_num_depths(b->unet) - 1)
        return snprintf(err, n, "manifest: controlnet has %d input blocks, the unet %d", blocks,
                        unet_num_depths(b->unet) - 1),
               false;
    for (int i = 0; i <= blocks; i++)
        if (ch[i] != unet_skip_channels(b->unet, i))
            return snprintf(err, n, "manifest: controlnet residual %d is %d wide, the unet skip %d",
                            i, ch[i], unet_skip_channels(b->unet, i)),
                   false;
    return true;
}

/* "controlnet" section: its config, else the U-Net's layout with cldm's hint encoder. */
static bool load_controlnet(i2i_bundle *b, json_t *root, char *err, size_t n) {
    if (!bundle_controlnet_config_of(root, &b->unet_cfg, &b->cn_cfg, err, n) ||
        !check_widths(b, err, n))
        return false;
    if (pipeline_align(b) > CONTROL_SIDE_MULTIPLE || CONTROL_SIDE_MULTIPLE % pipeline_align(b))
        return snprintf(err, n,
                        "manifest: the unet needs sides in multiples of %d, which the "
                        "control pipeline's %d-pixel rounding does not give",
                        pipeline_align(b), CONTROL_SIDE_MULTIPLE),
               false;
    const char *prefix =
        bundle_section_prefix(bundle_section(root, "controlnet"), "control_model.");
    b->controlnet = controlnet_create(b->w, prefix, &b->cn_cfg, err, n);
    if (!b->controlnet) return false;
    bundle_mem_counter m = {b->w, 0, 0};
    controlnet_params_foreach(&b->cn_cfg, prefix, bundle_mem_count, &m, NULL, 0);
    bundle_mem_record(b, "controlnet", &m);
    return true;
}

static i2i_status check_params(const i2i_bundle *b, const i2i_params *p, char *err, size_t n) {
    i2i_status st = pipeline_check_common(b, p, err, n);
    if (st != I2I_OK) return st;
    if (!isfinite(p->control_scale) || p->control_scale < 0 || p->control_scale > CONTROL_SCALE_MAX)
        snprintf(err, n, "controlnet_conditioning_scale must be in [0, %g]", CONTROL_SCALE_MAX);
    else if (p->control_type != I2I_CONTROL_CANNY && p->control_type != I2I_CONTROL_RAW)
        snprintf(err, n, "unknown control_type");
    else if (p->resolution != 0 &&
             (p->resolution < CONTROL_RESOLUTION_MIN || p->resolution > CONTROL_RESOLUTION_MAX))
        snprintf(err, n, "image_resolution must be 0 (the image as it is) or %d..%d",
                 CONTROL_RESOLUTION_MIN, CONTROL_RESOLUTION_MAX);
    else
        return I2I_OK; /* thresholds: checked by the canny step, which owns their range */
    return I2I_ERR_INVALID;
}

/* Everything one job needs while the sampler runs. */
typedef struct control_job {
    const i2i_bundle *b;
    const i2i_params *p;
    int64_t lat_shape[4]; /* 1, 4, H/8, W/8 */
    ts_tensor *hint2;     /* [2, 3, H, W]: the hint for both branches */
    ts_tensor *context;   /* [2, 77, width]: prompt, negative prompt */
    float *eps2;          /* 2 * n scratch for the two predictions */
    size_t n;
} control_job;

static bool guided_eps(void *user, const float *x, int t, float *eps_out) {
    control_job *j = user;
    ts_scope s = ts_scope_begin();
    ts_tensor *lat = ts_from_floats(x, j->lat_shape, 4);
    ts_tensor *two[2] = {lat, lat};
    ts_tensor *x2 = ts_cat(two, 2, 0);
    const float t2[2] = {(float)t, (float)t};
    ts_tensor *res[UNET_MAX_INPUT_BLOCKS + 1];
    bool ok = controlnet_forward(j->b->controlnet, x2, j->hint2, t2, j->context, j->p->depth,
                                 (float)j->p->control_scale, res);
    ts_tensor *eps = ok ? unet_forward(j->b->unet, x2, t2, j->context, j->p->depth, res) : NULL;
    ok = eps && ts_to_floats(eps, j->eps2, (int64_t)(2 * j->n));
    ts_scope_end(s);
    if (ok) cfg_guidance(j->eps2 + j->n, j->eps2, j->n, (float)j->p->guidance_scale, eps_out);
    return ok;
}

static i2i_status prepare(control_job *j, const i2i_image *in, char *err, size_t n) {
    ts_tensor *hint = control_hint_make(in, j->p, CONTROL_SIDE_MULTIPLE, err, n);
    if (!hint) return ts_failed() ? pipeline_ts_error(err, n) : I2I_ERR_IMAGE;
    const int64_t h = ts_dim(hint, 2), w = ts_dim(hint, 3);
    if (h * w > j->b->max_pixels)
        return snprintf(err, n, "working size %lldx%lld is over the bundle's %ld pixels",
                        (long long)w, (long long)h, j->b->max_pixels),
               I2I_ERR_IMAGE;
    ts_tensor *two[2] = {hint, hint};
    j->hint2 = ts_cat(two, 2, 0);
    const char *texts[2] = {j->p->prompt, j->p->negative_prompt};
    j->context = pipeline_encode_texts(j->b, texts, 2, err, n);
    if (!j->context) return ts_failed() ? pipeline_ts_error(err, n) : I2I_ERR_INVALID;
    j->lat_shape[0] = 1;
    j->lat_shape[1] = j->b->unet_cfg.out_channels;
    j->lat_shape[2] = h / 8;
    j->lat_shape[3] = w / 8;
    j->n = (size_t)(j->lat_shape[1] * j->lat_shape[2] * j->lat_shape[3]);
    return ts_failed() ? pipeline_ts_error(err, n) : I2I_OK;
}

static i2i_status control_run(const i2i_bundle *b, const i2i_image *in, const i2i_params *p,
                              i2i_progress_fn progress, void *user, i2i_image *out, char *err,
                              size_t errlen) {
    i2i_status st = check_params(b, p, err, errlen);
    if (st != I2I_OK) return st;
    control_job j = {.b = b, .p = p};
    st = prepare(&j, in, err, errlen);
    if (st != I2I_OK) return st;
    float *x = malloc(sizeof(float) * j.n);
    j.eps2 = malloc(sizeof(float) * 2 * j.n);
    st = x && j.eps2 ? pipeline_sample(p, guided_eps, &j, x, j.n, progress, user, err, errlen)
                     : (snprintf(err, errlen, "out of memory"), I2I_ERR_INTERNAL);
    const int w = (int)(8 * j.lat_shape[3]), h = (int)(8 * j.lat_shape[2]);
    const image_frame f = {
        .src = in, .width = w, .height = h, .padded_width = w, .padded_height = h};
    if (st == I2I_OK) st = pipeline_decode(b, x, j.lat_shape, &f, out, err, errlen);
    free(x);
    free(j.eps2);
    return st;
}

static bool working_size(int w, int h, const i2i_params *p, int *ow, int *oh, char *err,
                         size_t errlen) {
    return control_working_size(w, h, p, CONTROL_SIDE_MULTIPLE, ow, oh, err, errlen);
}

const pipeline_def control_pipeline = {.task = "control",
                                       .base_networks = BASE_ALL,
                                       .unet_evals_per_step = 2, /* prompt, negative prompt */
                                       .defaults = control_defaults,
                                       .load_extra = load_controlnet,
                                       .working_size = working_size,
                                       .run = control_run};
