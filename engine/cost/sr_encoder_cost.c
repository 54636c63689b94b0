/* Time-aware encoder MACs from its parameter list: each weight's element
 * count times the positions it runs at. The size halves at each stride-2
 * "op" conv; the middle block runs at the smallest size; fea_tran.k runs on
 * the last map of level k, at the latent size / 2^k. */
#include "sr_encoder_cost.h"

#include <stdio.h>
#include <string.h>

typedef struct enc_ctx {
    int height, width; /* the latent's */
    int h, w;          /* the current size along the input blocks */
    sr_encoder_cost *out;
    bool overflow;
} enc_ctx;

static int64_t mul(enc_ctx *c, int64_t a, int64_t b) {
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r)) c->overflow = true;
    return r;
}

static void add_to(enc_ctx *c, int64_t *sum, int64_t v) {
    if (__builtin_add_overflow(*sum, v, sum)) c->overflow = true;
}

static bool ends_with(const char *s, const char *suffix) {
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && !strcmp(s + ls - lx, suffix);
}

/* Positions (output pixels) the weight `name` is applied at. */
static int64_t positions(enc_ctx *c, const char *name) {
    int k;
    if (!strncmp(name, "time_embed.", 11) || strstr(name, ".emb_layers.")) return 1;
    if (sscanf(name, "fea_tran.%d.", &k) == 1) return (int64_t)(c->height >> k) * (c->width >> k);
    if (ends_with(name, ".op.weight")) {
        c->h /= 2; /* sizes were checked to divide evenly */
        c->w /= 2;
    }
    return (int64_t)c->h * c->w;
}

static void add_param(void *user, const char *name, const int64_t *shape, int ndim) {
    enc_ctx *c = user;
    int64_t numel = 1;
    for (int d = 0; d < ndim; d++)
        numel = mul(c, numel, shape[d]);
    add_to(c, &c->out->params, numel);
    if (ndim < 2 || !ends_with(name, ".weight")) return; /* norms and biases */
    const int64_t pos = positions(c, name);
    unet_macs *m = &c->out->macs;
    add_to(c, ndim == 2 ? &m->linear : &m->conv, mul(c, numel, pos));
    if (ends_with(name, ".qkv.weight")) /* [3C, C, 1] */
        add_to(c, &m->attn, mul(c, mul(c, 2 * pos, pos), shape[1]));
}

bool sr_encoder_cost_compute(const sr_encoder_config *cfg, int height, int width,
                             sr_encoder_cost *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (!cfg) return snprintf(err, errlen, "sr encoder cost: no config"), false;
    const int f =
        cfg->n_levels >= 1 && cfg->n_levels <= UNET_MAX_LEVELS ? 1 << (cfg->n_levels - 1) : 1;
    if (height < 1 || width < 1 || height > UNET_COST_MAX_SIDE || width > UNET_COST_MAX_SIDE ||
        height % f || width % f)
        return snprintf(err, errlen,
                        "sr encoder cost: latent size %dx%d must be multiples of %d, "
                        "1..%d per side",
                        height, width, f, UNET_COST_MAX_SIDE),
               false;
    enc_ctx c = {.height = height, .width = width, .h = height, .w = width, .out = out};
    if (!sr_encoder_params_foreach(cfg, "", add_param, &c, err, errlen)) return false;
    if (c.overflow)
        return snprintf(err, errlen, "sr encoder cost: counts for this size exceed 64 bits"), false;
    return true;
}
