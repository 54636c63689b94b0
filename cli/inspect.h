/* Pieces of `i2i inspect` shared between its files. */
#ifndef I2I_CLI_INSPECT_H
#define I2I_CLI_INSPECT_H

#include "controlnet_cost.h"
#include "unet_cost.h"
#include <stdbool.h>

/* Prints the ControlNet section (text, or a ",\"controlnet\":{...}" member
 * for the JSON object being printed). */
void inspect_print_control(const controlnet_cost *cc, const unet_cost_profile *cp, int steps,
                           bool json);

#endif
