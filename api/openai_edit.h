/* POST /v1/images/edits: OpenAI's images.edit request (multipart: image,
 * prompt, n, response_format, output_format, model, size, user) rewritten
 * onto the edit route's own form, so one parser validates both:
 *   image[] (the SDKs' array form, one image) -> image
 *   n: 1 only (dropped)
 *   model: an edit profile's name -> profile; an OpenAI model name
 *          (dall-e-*, gpt-image-*) -> dropped (the default edit profile);
 *          anything else -> 422 unknown_profile
 *   size: "auto" -> dropped (the result has the input's size); else 400
 *   user: dropped (OpenAI's end-user id; nothing here uses it)
 *   mask: 400 (InstructPix2Pix edits the whole image)
 * Every other part keeps its name, so the edit route's own fields
 * (num_inference_steps, seed, negative_prompt, ...) work as extensions and
 * unknown ones are still 400 unknown_field. */
#ifndef I2I_API_OPENAI_EDIT_H
#define I2I_API_OPENAI_EDIT_H

#include "api_error.h"
#include "multipart.h"
#include "profile.h"
#include <stdbool.h>

/* out->parts is malloc'd and points into in's parts' data (free it with
 * multipart_form_free); false with e set. */
bool openai_edit_form(const multipart_form *in, const profile_set *profiles, multipart_form *out,
                      api_error *e);

#endif
