/* Parameters and MACs of a ControlNet branch (batch 1, one call), in the
 * U-Net cost convention (engine/cost/unet_cost.h: conv and linear weight
 * MACs, attention matmuls apart). Two accountings per depth D:
 *   full:  the branch in full at every depth, as the paper's code runs it and
 *          as Table S8 counts it;
 *   run:   as the engine runs it, stopped after block D-1 (the residuals the
 *          U-Net uses at D do not depend on later blocks).
 * Both include the hint encoder (on the 8x image) and the zero convs. */
#ifndef I2I_CONTROLNET_COST_H
#define I2I_CONTROLNET_COST_H

#include "controlnet.h"
#include "unet_cost.h"

typedef struct controlnet_cost {
    int n_depths;                             /* the U-Net's: n_input_blocks + 1 */
    int64_t params;                           /* every ControlNet parameter */
    unet_macs full;                           /* one call of the whole branch */
    unet_macs run[UNET_MAX_DEPTH_LEVELS + 1]; /* run[D], D in 1..n_depths */
} controlnet_cost;

/* For a latent of height x width (the hint is 8x that). false with a
 * message for a bad config or size. */
bool controlnet_cost_compute(const controlnet_config *cfg, int height, int width, int context_len,
                             controlnet_cost *out, char *err, size_t errlen);

#endif
