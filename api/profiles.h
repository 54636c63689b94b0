/* The server's profiles: which directory they come from, the built-in
 * fallback, and the GET /v1/profiles listing. Parsing, validation, γ tables,
 * override ranges and cost accounting are the engine's profile module
 * (engine/pipeline/profile.h); this file only decides what the server loads
 * and how it is shown. */
#ifndef I2I_API_PROFILES_H
#define I2I_API_PROFILES_H

#include "i2i_engine.h"
#include "profile.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define API_PROFILES_BUILTIN "built-in"

/* Loads the server's profile set.
 * - dir given (--profiles / I2I_PROFILES): that directory must load.
 * - else the first directory of fallback_dirs (NULL-terminated, may be NULL)
 *   that exists is loaded; a broken file there is still an error.
 * - else the built-in set (api_profiles_builtin).
 * The set must hold a profile of required_task (NULL: no check).
 * loaded_from gets the directory used or API_PROFILES_BUILTIN.
 * Returns 0, or -1 with a message naming the file or directory. */
int api_profiles_load(profile_set *set, const char *dir, const char *const *fallback_dirs,
                      const char *required_task, char *loaded_from, size_t loaded_from_len,
                      char *err, size_t errlen);

/* The shipped edit, edit-fast and edit-full profiles (the same values as
 * the files in profiles/), for a server started where no profile directory exists. */
int api_profiles_builtin(profile_set *set, char *err, size_t errlen);

/* {"profiles": [profile_to_json + "default": bool, ...]}; "default" marks
 * the profile a request of its task without `profile` runs with. */
json_t *api_profiles_json(const profile_set *set);

/* "edit, edit-fast, edit-full": the names of task's profiles (all profiles
 * when task is NULL), for error messages. */
void api_profiles_names(const profile_set *set, const char *task, char *out, size_t outlen);

bool api_sampler_parse(const char *name, i2i_sampler *out);

#endif
