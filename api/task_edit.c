/* POST /v1/edit: InstructPix2Pix. Its own fields: image_guidance_scale,
 * which the profile resolves (it selects the γ table column), resolution
 * (the working size's long side; 0 = the input's size) and negative_prompt
 * (the unconditional text of both unconditioned rows; default ""). */
#include "api_task.h"

static void edit_apply(const job_request *r, i2i_params *p) {
    if (r->given & REQ_RESOLUTION) p->resolution = r->resolution;
    if (r->given & REQ_NEGATIVE_PROMPT) p->negative_prompt = r->negative_prompt;
}

static void edit_params_json(const i2i_params *p, json_t *o) {
    json_object_set_new(o, "image_guidance_scale", json_real(p->image_guidance_scale));
    json_object_set_new(o, "resolution", json_integer(p->resolution));
    json_object_set_new(o, "negative_prompt",
                        json_string(p->negative_prompt ? p->negative_prompt : ""));
}

const api_task api_task_edit = {.name = "edit",
                                .route = "/v1/edit",
                                .fields = REQ_COMMON_FIELDS | REQ_IMAGE_GUIDANCE | REQ_RESOLUTION |
                                          REQ_NEGATIVE_PROMPT,
                                .required = REQ_IMAGE | REQ_PROMPT,
                                .apply = edit_apply,
                                .check = NULL,
                                .params_json = edit_params_json};
