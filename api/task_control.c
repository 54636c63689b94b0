/* POST /v1/control: ControlNet (canny). Its own fields: negative_prompt,
 * controlnet_conditioning_scale, control_type, low_threshold,
 * high_threshold, image_resolution (defaults: the engine's, 1.0, canny,
 * 100, 200, the bundle's resolution); output_size defaults to "working", as
 * the app returns its result. */
#include "api_task.h"

static void control_apply(const job_request *r, i2i_params *p) {
    if (r->given & REQ_NEGATIVE_PROMPT) p->negative_prompt = r->negative_prompt;
    if (r->given & REQ_CONTROL_SCALE) p->control_scale = r->control_scale;
    if (r->given & REQ_CONTROL_TYPE) p->control_type = r->control_type;
    if (r->given & REQ_LOW_THRESHOLD) p->low_threshold = r->low_threshold;
    if (r->given & REQ_HIGH_THRESHOLD) p->high_threshold = r->high_threshold;
    if (r->given & REQ_IMAGE_RESOLUTION) p->resolution = r->image_resolution;
}

static bool control_check(const i2i_params *p, api_error *e) {
    if (p->control_type == I2I_CONTROL_CANNY && p->low_threshold > p->high_threshold)
        return api_error_set(e, API_ERR_OUT_OF_RANGE, "low_threshold %d is above high_threshold %d",
                             p->low_threshold, p->high_threshold);
    return true;
}

static void control_params_json(const i2i_params *p, json_t *o) {
    json_object_set_new(o, "negative_prompt",
                        json_string(p->negative_prompt ? p->negative_prompt : ""));
    json_object_set_new(o, "controlnet_conditioning_scale", json_real(p->control_scale));
    json_object_set_new(o, "control_type",
                        json_string(p->control_type == I2I_CONTROL_RAW ? "raw" : "canny"));
    json_object_set_new(o, "low_threshold", json_integer(p->low_threshold));
    json_object_set_new(o, "high_threshold", json_integer(p->high_threshold));
    json_object_set_new(o, "image_resolution", json_integer(p->resolution));
}

const api_task api_task_control = {
    .name = "control",
    .route = "/v1/control",
    .fields = REQ_COMMON_FIELDS | REQ_NEGATIVE_PROMPT | REQ_CONTROL_SCALE | REQ_CONTROL_TYPE |
              REQ_LOW_THRESHOLD | REQ_HIGH_THRESHOLD | REQ_IMAGE_RESOLUTION,
    .required = REQ_IMAGE | REQ_PROMPT,
    .apply = control_apply,
    .check = control_check,
    .params_json = control_params_json};
