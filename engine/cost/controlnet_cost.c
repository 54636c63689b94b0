/* ControlNet cost: the encoder copy through the U-Net cost walk over its
 * encoder-only parameter list; the hint encoder and the zero convs from the
 * ControlNet's own parameter list, placed at their spatial sizes. */
#include "controlnet_cost.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct own_ctx {
    const unet_cost_profile *enc;
    int n;                               /* input blocks */
    int hint_h, hint_w;                  /* the hint's size: 8x the latent */
    int64_t hint;                        /* MACs of the hint encoder */
    int64_t zero[UNET_MAX_DEPTH_LEVELS]; /* zero_convs[k], then middle_block_out at n */
} own_ctx;

/* The hint encoder's convs 0..14 (even): stride 2 at 4, 8 and 12, so conv i
 * runs at the hint size over 2^(strided convs up to i). */
static int64_t hint_positions(const own_ctx *c, int index) {
    const int halvings = (index >= 4) + (index >= 8) + (index >= 12);
    return (int64_t)(c->hint_h >> halvings) * (c->hint_w >> halvings);
}

static void add_own(void *user, const char *name, const int64_t *shape, int ndim) {
    own_ctx *c = user;
    int64_t numel = 1;
    for (int d = 0; d < ndim; d++)
        numel *= shape[d];
    const size_t len = strlen(name);
    if (ndim != 4 || len < 7 || strcmp(name + len - 7, ".weight")) return;
    int k;
    if (sscanf(name, "zero_convs.%d.", &k) == 1 && k >= 0 && k < c->n)
        c->zero[k] = numel * c->enc->block_h[k] * c->enc->block_w[k];
    else if (!strncmp(name, "middle_block_out.", 17))
        c->zero[c->n] = numel * c->enc->block_h[c->n - 1] * c->enc->block_w[c->n - 1];
    else if (sscanf(name, "input_hint_block.%d.", &k) == 1)
        c->hint += numel * hint_positions(c, k);
}

static void count_params(void *user, const char *name, const int64_t *shape, int ndim) {
    (void)name;
    int64_t numel = 1;
    for (int d = 0; d < ndim; d++)
        numel *= shape[d];
    *(int64_t *)user += numel;
}

static unet_macs add(unet_macs a, unet_macs b) {
    return (unet_macs){a.conv + b.conv, a.linear + b.linear, a.attn + b.attn};
}

bool controlnet_cost_compute(const controlnet_config *cfg, int height, int width, int context_len,
                             controlnet_cost *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    unet_cost_profile *enc = malloc(sizeof *enc);
    if (!enc) return snprintf(err, errlen, "out of memory"), false;
    own_ctx c = {.enc = enc, .hint_h = 8 * height, .hint_w = 8 * width};
    bool ok =
        unet_cost_encoder_profile_compute(&cfg->unet, height, width, context_len, enc, err, errlen);
    if (ok) {
        c.n = enc->n_depths - 1;
        /* only the ControlNet's own layers here: the encoder copy is in enc */
        ok = controlnet_params_foreach(cfg, "", add_own, &c, err, errlen) &&
             controlnet_params_foreach(cfg, "", count_params, &out->params, err, errlen);
    }
    if (ok) {
        out->n_depths = enc->n_depths;
        unet_macs acc = add(enc->shared, (unet_macs){c.hint, 0, 0});
        for (int d = 1; d <= out->n_depths; d++) {
            acc = add(acc, add(enc->level[d], (unet_macs){c.zero[d - 1], 0, 0}));
            out->run[d] = acc;
        }
        out->full = out->run[out->n_depths];
    }
    free(enc);
    return ok;
}
