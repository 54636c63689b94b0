/* POST /v1/upscale: StableSR super-resolution. Its own fields: scale
 * (default 4; the result is floor(w * scale) x floor(h * scale)),
 * color_fix (adain, wavelet, none; default adain) and cfw_weight (the CFW
 * decoder's fusion weight, default 0.5). No prompt and no guidance: StableSR
 * samples with the empty prompt and without CFG. The result always has the
 * upscaled size, so output_size is not a field here. */
#include "api_task.h"

static void upscale_apply(const job_request *r, i2i_params *p) {
    p->prompt = ""; /* the bundle's stored empty-prompt context */
    if (r->given & REQ_SCALE) p->scale = r->scale;
    if (r->given & REQ_COLOR_FIX) p->color_fix = r->color_fix;
    if (r->given & REQ_CFW_WEIGHT) p->cfw_weight = r->cfw_weight;
}

static const char *color_fix_name(i2i_color_fix c) {
    return c == I2I_COLOR_FIX_WAVELET ? "wavelet" : c == I2I_COLOR_FIX_NONE ? "none" : "adain";
}

static void upscale_params_json(const i2i_params *p, json_t *o) {
    json_object_del(o, "prompt");
    json_object_del(o, "guidance_scale");
    json_object_del(o, "output_size"); /* always input x scale */
    json_object_set_new(o, "scale", json_real(p->scale));
    json_object_set_new(o, "color_fix", json_string(color_fix_name(p->color_fix)));
    json_object_set_new(o, "cfw_weight", json_real(p->cfw_weight));
}

const api_task api_task_upscale = {
    .name = "upscale",
    .route = "/v1/upscale",
    .fields = (REQ_COMMON_FIELDS & ~(REQ_PROMPT | REQ_GUIDANCE | REQ_OUTPUT_SIZE)) | REQ_SCALE |
              REQ_COLOR_FIX | REQ_CFW_WEIGHT,
    .required = REQ_IMAGE,
    .apply = upscale_apply,
    .check = NULL,
    .params_json = upscale_params_json};
