/* The accepted ranges of every request parameter, shared by request
 * validation and profile validation so both agree. */
#ifndef I2I_API_PARAM_LIMITS_H
#define I2I_API_PARAM_LIMITS_H

#define API_DEPTH_MIN 1
#define API_DEPTH_MAX 13
#define API_STEPS_MIN 1
#define API_STEPS_MAX 200
#define API_GUIDANCE_MIN 0.0
#define API_GUIDANCE_MAX 50.0
#define API_GAMMA_MIN 0.05
#define API_GAMMA_MAX 20.0
#define API_ETA_MIN 0.0
#define API_ETA_MAX 1.0
#define API_SEED_MAX 9007199254740991LL /* 2^53-1: exact in every JSON client */
#define API_PROMPT_MAX_BYTES 4096

#endif
