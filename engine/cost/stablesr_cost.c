/* StableSR cost: the U-Net cost walk run twice, on the SFT config and on the
 * same config without SPADE (their difference is the SPADEs, level by
 * level), plus the encoder's own walk. */
#include "stablesr_cost.h"
#include "unet_params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unet_macs sub(unet_macs a, unet_macs b) {
    return (unet_macs){a.conv - b.conv, a.linear - b.linear, a.attn - b.attn};
}

static unet_macs add(unet_macs a, unet_macs b) {
    return (unet_macs){a.conv + b.conv, a.linear + b.linear, a.attn + b.attn};
}

typedef struct unet_counts {
    unet_param_profile params;
    unet_cost_profile macs;
} unet_counts;

static bool count_unet(const unet_config *cfg, int height, int width, int context_len,
                       unet_counts *out, char *err, size_t errlen) {
    return unet_param_profile_compute(cfg, &out->params, err, errlen) &&
           unet_cost_profile_compute(cfg, height, width, context_len, &out->macs, err, errlen);
}

/* Splits the two U-Net counts into the plain part and the SPADEs. */
static void fill_parts(const unet_counts *plain, const unet_counts *sft, stablesr_cost *out) {
    out->n_depths = plain->params.n_depths;
    out->unet_params = plain->params.total;
    out->spade_params = sft->params.total - plain->params.total;
    for (int d = 1; d <= out->n_depths; d++) {
        out->unet_kept[d] = unet_param_profile_kept(&plain->params, d);
        out->spade_kept[d] = unet_param_profile_kept(&sft->params, d) - out->unet_kept[d];
        out->unet[d] = unet_cost_at_depth(&plain->macs, d);
        out->spade[d] = sub(unet_cost_at_depth(&sft->macs, d), out->unet[d]);
    }
}

bool stablesr_cost_compute(const stablesr_config *cfg, int height, int width, int context_len,
                           stablesr_cost *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (!cfg) return snprintf(err, errlen, "stablesr cost: no config"), false;
    if (cfg->unet.spade_channels < 1 || cfg->unet.spade_hidden < 1)
        return snprintf(err, errlen,
                        "stablesr cost: the U-Net config needs spade_channels and "
                        "spade_hidden (read from the weights)"),
               false;
    unet_counts *c = malloc(2 * sizeof *c); /* [0] plain, [1] SFT; too big for the stack */
    if (!c) return snprintf(err, errlen, "out of memory"), false;
    unet_config plain = cfg->unet;
    plain.spade_channels = 0;
    plain.spade_hidden = 0;
    sr_encoder_cost enc;
    bool ok = count_unet(&plain, height, width, context_len, &c[0], err, errlen) &&
              count_unet(&cfg->unet, height, width, context_len, &c[1], err, errlen) &&
              sr_encoder_cost_compute(&cfg->encoder, height, width, &enc, err, errlen);
    if (ok) {
        fill_parts(&c[0], &c[1], out);
        out->encoder_params = enc.params;
        out->encoder = enc.macs;
        out->params = out->unet_params + out->spade_params + out->encoder_params;
        out->height = height;
        out->width = width;
    }
    free(c);
    return ok;
}

unet_macs stablesr_cost_extra(const stablesr_cost *c, int depth) {
    if (!c || depth < 1 || depth > c->n_depths) return (unet_macs){0, 0, 0};
    return add(c->spade[depth], c->encoder);
}

unet_macs stablesr_cost_call(const stablesr_cost *c, int depth) {
    if (!c || depth < 1 || depth > c->n_depths) return (unet_macs){0, 0, 0};
    return add(c->unet[depth], stablesr_cost_extra(c, depth));
}
