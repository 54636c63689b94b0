/* POST /v1/edit: one request struct whatever the body format.
 *
 * multipart/form-data (an `image` file part + text fields) and JSON (`image`
 * as base64 or a data URL) both fill an edit_request; fields use diffusers
 * names (prompt, num_inference_steps, guidance_scale, image_guidance_scale,
 * seed, scheduler, eta) plus ours (profile, depth, gamma). Unknown fields
 * are rejected by name. Parsing checks types and the ranges that do not
 * depend on the profile (400 invalid_parameter for a wrong type, 422
 * parameter_out_of_range for a value outside a fixed range);
 * edit_request_resolve() then merges the request over its profile through
 * profile_resolve(), which owns the depth / steps / gamma ranges and the γ
 * table. */
#ifndef I2I_API_EDIT_REQUEST_H
#define I2I_API_EDIT_REQUEST_H

#include "api_error.h"
#include "i2i_engine.h"
#include "multipart.h"
#include "profiles.h"
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* Bits of edit_request.given: which optional fields the client set. */
enum {
    EDIT_GIVEN_STEPS = 1 << 0,
    EDIT_GIVEN_GUIDANCE = 1 << 1,
    EDIT_GIVEN_IMAGE_GUIDANCE = 1 << 2,
    EDIT_GIVEN_SEED = 1 << 3,
    EDIT_GIVEN_SCHEDULER = 1 << 4,
    EDIT_GIVEN_ETA = 1 << 5,
    EDIT_GIVEN_DEPTH = 1 << 6,
    EDIT_GIVEN_GAMMA = 1 << 7,
    EDIT_GIVEN_PROFILE = 1 << 8,
    EDIT_GIVEN_PROMPT = 1 << 9,
    EDIT_GIVEN_IMAGE = 1 << 10
};

typedef struct edit_request {
    unsigned given;
    char *prompt; /* owned, UTF-8 */
    char profile[64];
    uint8_t *image; /* owned copy of the encoded image file */
    size_t image_len;
    int steps;
    double guidance_scale;
    double image_guidance_scale;
    uint64_t seed;
    i2i_sampler sampler;
    double eta;
    int depth;
    double gamma;
} edit_request;

/* The parameters a job actually runs with (reported back in job JSON). */
typedef struct edit_resolved {
    char profile[64];
    i2i_edit_params params;            /* params.prompt borrows the request's prompt */
    profile_gamma_origin gamma_origin; /* request, the profile's γ table, or its γ */
} edit_resolved;

void edit_request_init(edit_request *r);
void edit_request_free(edit_request *r);
/* Frees only the image bytes (once decoded, the job no longer needs them). */
void edit_request_drop_image(edit_request *r);

bool edit_request_from_json(const char *body, size_t len, edit_request *r, api_error *e);
bool edit_request_from_multipart(const multipart_form *form, edit_request *r, api_error *e);

/* Hash of the request's content (fields and image bytes, not the body's
 * encoding), so a retried multipart upload with a new boundary still counts
 * as the same request for Idempotency-Key. FNV-1a 64. */
uint64_t edit_request_hash(const edit_request *r);

/* Applies the request over its profile (or the edit default profile).
 * random_seed is used when the request gave none. Fails with 422
 * unknown_profile (message lists the edit profiles) or 422
 * parameter_out_of_range (message names the profile's range). */
bool edit_request_resolve(const edit_request *r, const profile_set *profiles, uint64_t random_seed,
                          edit_resolved *out, api_error *e);

/* {"prompt":..., "num_inference_steps":..., ..., "gamma":...,
 *  "gamma_source": "request"|"gamma_table"|"profile"} of the resolved values. */
json_t *edit_resolved_json(const edit_resolved *res);

#endif
