/* Bounds of the request parameters that are checked before the profile is
 * known. depth, num_inference_steps and gamma are only checked to be
 * representable here: the range a request may use is its profile's
 * (profile_resolve), so the error can name that profile's range. */
#ifndef I2I_API_PARAM_LIMITS_H
#define I2I_API_PARAM_LIMITS_H

#define API_PROFILE_INT_ABS_MAX 1000000 /* depth, num_inference_steps */
#define API_GAMMA_ABS_MAX 1e6
#define API_GUIDANCE_MIN 0.0
#define API_GUIDANCE_MAX 50.0
#define API_ETA_MIN 0.0
#define API_ETA_MAX 1.0
#define API_SEED_MAX 9007199254740991LL /* 2^53-1: exact in every JSON client */
#define API_PROMPT_MAX_BYTES 4096
/* num_images_per_prompt: one job runs its images one after the other, so a
 * job of N costs N single ones; the bound keeps one job's results small. */
#define API_NUM_IMAGES_MAX 4

#endif
