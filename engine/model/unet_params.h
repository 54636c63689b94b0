/* Parameter bookkeeping of the LDM U-Net by depth level (DESIGN.md §1.1):
 * which level each state-dict tensor belongs to, and the parameter count per
 * level, kept at each depth, and in all.
 *
 * The tensor list itself comes from unet_params_foreach (unet.h), the one
 * place that knows the block layout; everything here is derived from the
 * names and shapes it reports, so the two cannot drift apart. */
#ifndef I2I_UNET_PARAMS_H
#define I2I_UNET_PARAMS_H

#include "unet.h"
#include "unet_config.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Level of the stem and head (time_embed.*, out.*): they run at every depth,
 * so no depth level removes them. */
#define UNET_LEVEL_SHARED 0
/* Most depth levels any accepted config can have (input blocks + middle). */
#define UNET_MAX_DEPTH_LEVELS (1 + UNET_MAX_LEVELS * 8 + (UNET_MAX_LEVELS - 1) + 1)

/* Depth level of a parameter, by its name without the prefix
 * ("input_blocks.4.1.proj_in.weight"): the level whose removal drops it.
 * Level d holds input block d-1 and its mirror, output block n-d; level n+1
 * is the middle block (n = n_input_blocks). So conv_in (input_blocks.0) is
 * level 1. time_embed.* and out.* give UNET_LEVEL_SHARED (as in the
 * reference's depth_level_of, and as the supplement's Table S7 counts them:
 * its shares only add up with the stem and head left out). -1 for a name
 * that is not a U-Net parameter or a block index out of range. */
int unet_param_depth_level(const char *name_without_prefix, int n_input_blocks);

typedef struct unet_param_profile {
    int n_depths;                             /* n_input_blocks + 1 (13 for SD) */
    int64_t level[UNET_MAX_DEPTH_LEVELS + 1]; /* level[d], d in 1..n_depths */
    int64_t shared;                           /* time_embed + out */
    int64_t total;                            /* shared + all levels */
} unet_param_profile;

/* Counts the parameters of cfg per depth level. false with a message for a
 * bad config (or a tensor the level map does not know, which would be a bug). */
bool unet_param_profile_compute(const unet_config *cfg, unet_param_profile *out, char *err,
                                size_t errlen);
/* Parameters that run at depth 1..n_depths: the shared stem and head plus
 * levels 1..depth. -1 for a depth out of range. */
int64_t unet_param_profile_kept(const unet_param_profile *p, int depth);
/* Sum over the depth levels (the total less the shared stem and head): the
 * base of Table S7's per-level shares. */
int64_t unet_param_profile_levels_sum(const unet_param_profile *p);

#endif
