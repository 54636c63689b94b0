/* POST /v1/edit: InstructPix2Pix. Its own field is image_guidance_scale,
 * which the profile resolves (it selects the γ table column). */
#include "api_task.h"

static void edit_params_json(const i2i_params *p, json_t *o) {
    json_object_set_new(o, "image_guidance_scale", json_real(p->image_guidance_scale));
}

const api_task api_task_edit = {.name = "edit",
                                .route = "/v1/edit",
                                .fields = REQ_COMMON_FIELDS | REQ_IMAGE_GUIDANCE,
                                .required = REQ_IMAGE | REQ_PROMPT,
                                .apply = NULL,
                                .check = NULL,
                                .params_json = edit_params_json};
