/* Pieces of `i2i inspect` shared between its files. */
#ifndef I2I_CLI_INSPECT_H
#define I2I_CLI_INSPECT_H

#include "controlnet_cost.h"
#include "stablesr_cost.h"
#include "unet_cost.h"
#include <stdbool.h>
#include <stddef.h>

#define INSPECT_CONTEXT_LEN 77 /* CLIP text tokens, as every SD pipeline feeds them */

/* Prints the ControlNet section (text, or a ",\"controlnet\":{...}" member
 * for the JSON object being printed). */
void inspect_print_control(const controlnet_cost *cc, const unet_cost_profile *cp, int steps,
                           bool json);

/* The StableSR config of an upscale bundle, read from its manifest (and the
 * SPADE width from a weight file's header) without loading the networks;
 * *present is false (out untouched) for a bundle of another task. */
bool inspect_stablesr_bundle_config(const char *dir, stablesr_config *out, bool *present, char *err,
                                    size_t errlen);
/* Prints the StableSR section for a job of steps x 1 evaluation (text, or
 * a ",\"stablesr\":{...}" member of the JSON object being printed). */
void inspect_print_stablesr(const stablesr_cost *sc, int steps, bool json);

/* --bundle: loads the bundle and prints its resident weight bytes per
 * network and mode (text, or a ",\"memory\":{...}" member). */
bool inspect_print_memory(const char *dir, bool json, char *err, size_t errlen);

#endif
