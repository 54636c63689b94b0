/* Built-in profiles and the profile registry. */
#include "profiles.h"
#include "param_limits.h"

#include <stdio.h>
#include <string.h>

/* Headline edit profile (DESIGN §1.4): depth 9, 10 steps with the published
 * gamma 1/1.8, which Table S1 pairs with image guidance 1.0. */
static const api_profile builtin_profiles[] = {
    {.name = "edit",
     .task = "edit",
     .description = "InstructPix2Pix, depth 9, 10 steps, gamma 1/1.8 (paper headline)",
     .source = "builtin",
     .depth = 9,
     .steps = 10,
     .gamma = 1.0 / 1.8,
     .sampler = I2I_SAMPLER_DDIM,
     .eta = 0.0,
     .guidance_scale = 7.5,
     .image_guidance_scale = 1.0},
    {.name = "edit-fast",
     .task = "edit",
     .description = "InstructPix2Pix, depth 9, 5 steps, gamma 1/3.11",
     .source = "builtin",
     .depth = 9,
     .steps = 5,
     .gamma = 1.0 / 3.11,
     .sampler = I2I_SAMPLER_DDIM,
     .eta = 0.0,
     .guidance_scale = 7.5,
     .image_guidance_scale = 1.0},
    {.name = "edit-full",
     .task = "edit",
     .description = "InstructPix2Pix, full U-Net, 50 uniform steps (uncompressed baseline)",
     .source = "builtin",
     .depth = 13,
     .steps = 50,
     .gamma = 1.0,
     .sampler = I2I_SAMPLER_DDIM,
     .eta = 0.0,
     .guidance_scale = 7.5,
     .image_guidance_scale = 1.5},
};

void api_profiles_builtin(api_profile_set *set) {
    memset(set, 0, sizeof *set);
    size_t n = sizeof builtin_profiles / sizeof builtin_profiles[0];
    for (size_t i = 0; i < n; i++)
        set->items[set->count++] = builtin_profiles[i];
}

static bool in_range(double v, double lo, double hi) {
    return v >= lo && v <= hi;
}

static bool profile_valid(const api_profile *p, char *err, size_t errlen) {
    const char *bad = NULL;
    if (!p->name[0])
        bad = "name";
    else if (!p->task[0])
        bad = "task";
    else if (p->depth < API_DEPTH_MIN || p->depth > API_DEPTH_MAX)
        bad = "depth";
    else if (p->steps < API_STEPS_MIN || p->steps > API_STEPS_MAX)
        bad = "steps";
    else if (!in_range(p->gamma, API_GAMMA_MIN, API_GAMMA_MAX))
        bad = "gamma";
    else if (!in_range(p->eta, API_ETA_MIN, API_ETA_MAX))
        bad = "eta";
    else if (!in_range(p->guidance_scale, API_GUIDANCE_MIN, API_GUIDANCE_MAX))
        bad = "guidance_scale";
    else if (!in_range(p->image_guidance_scale, API_GUIDANCE_MIN, API_GUIDANCE_MAX))
        bad = "image_guidance_scale";
    else if (p->sampler != I2I_SAMPLER_DDIM && p->sampler != I2I_SAMPLER_DPMPP_2M)
        bad = "sampler";
    if (bad) snprintf(err, errlen, "profile '%s': invalid %s", p->name, bad);
    return bad == NULL;
}

bool api_profiles_add(api_profile_set *set, const api_profile *p, char *err, size_t errlen) {
    if (!profile_valid(p, err, errlen)) return false;
    for (int i = 0; i < set->count; i++) {
        if (strcmp(set->items[i].name, p->name) == 0) {
            set->items[i] = *p;
            return true;
        }
    }
    if (set->count == API_PROFILES_MAX) {
        snprintf(err, errlen, "more than %d profiles", API_PROFILES_MAX);
        return false;
    }
    set->items[set->count++] = *p;
    return true;
}

const api_profile *api_profiles_find(const api_profile_set *set, const char *name) {
    for (int i = 0; name && i < set->count; i++)
        if (strcmp(set->items[i].name, name) == 0) return &set->items[i];
    return NULL;
}

const api_profile *api_profiles_default(const api_profile_set *set, const char *task) {
    for (int i = 0; task && i < set->count; i++)
        if (strcmp(set->items[i].task, task) == 0) return &set->items[i];
    return NULL;
}

const char *api_sampler_name(i2i_sampler s) {
    return s == I2I_SAMPLER_DPMPP_2M ? "dpmpp_2m" : "ddim";
}

bool api_sampler_parse(const char *name, i2i_sampler *out) {
    if (strcmp(name, "ddim") == 0)
        *out = I2I_SAMPLER_DDIM;
    else if (strcmp(name, "dpmpp_2m") == 0)
        *out = I2I_SAMPLER_DPMPP_2M;
    else
        return false;
    return true;
}

json_t *api_profile_json(const api_profile *p) {
    return json_pack("{s:s,s:s,s:s,s:s,s:i,s:i,s:f,s:s,s:f,s:f,s:f}", "name", p->name, "task",
                     p->task, "description", p->description, "source", p->source, "depth", p->depth,
                     "num_inference_steps", p->steps, "gamma", p->gamma, "scheduler",
                     api_sampler_name(p->sampler), "eta", p->eta, "guidance_scale",
                     p->guidance_scale, "image_guidance_scale", p->image_guidance_scale);
}

json_t *api_profiles_json(const api_profile_set *set) {
    json_t *arr = json_array();
    for (int i = 0; arr && i < set->count; i++)
        json_array_append_new(arr, api_profile_json(&set->items[i]));
    return json_pack("{s:o}", "profiles", arr);
}
