/* Profiles: named parameter sets (depth, steps, gamma, sampler, eta,
 * guidance) per task that a request starts from before its own overrides.
 *
 * The set starts with built-in defaults (api_profiles_builtin). Loading
 * the files in profiles/ is a separate concern: a loader parses each file into an
 * api_profile and calls api_profiles_add(), which replaces a profile of the
 * same name, so files can refine the built-ins. */
#ifndef I2I_API_PROFILES_H
#define I2I_API_PROFILES_H

#include "i2i_engine.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define API_PROFILES_MAX 32

typedef struct api_profile {
    char name[64];
    char task[16]; /* "edit", ... */
    char description[200];
    char source[128]; /* "builtin" or the file it came from */
    int depth;
    int steps;
    double gamma;
    i2i_sampler sampler;
    double eta;
    double guidance_scale;
    double image_guidance_scale;
} api_profile;

typedef struct api_profile_set {
    api_profile items[API_PROFILES_MAX];
    int count;
} api_profile_set;

/* Fills the set with the built-in profiles (replacing its contents). */
void api_profiles_builtin(api_profile_set *set);

/* Adds p or replaces the profile of the same name; validates the values
 * against the same ranges as requests. */
bool api_profiles_add(api_profile_set *set, const api_profile *p, char *err, size_t errlen);

const api_profile *api_profiles_find(const api_profile_set *set, const char *name);
/* The first profile of the task: the one a request without `profile` uses. */
const api_profile *api_profiles_default(const api_profile_set *set, const char *task);

const char *api_sampler_name(i2i_sampler s);
bool api_sampler_parse(const char *name, i2i_sampler *out);

json_t *api_profile_json(const api_profile *p);
/* {"profiles": [...]} */
json_t *api_profiles_json(const api_profile_set *set);

#endif
