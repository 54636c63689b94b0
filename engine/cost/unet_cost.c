/* U-Net MACs from the parameter list: each weight's MACs are its element
 * count times the positions it is applied at (output pixels of a conv,
 * tokens of a linear); the attention matmuls are read off to_q's width. The
 * only layout knowledge here is where the spatial size changes: a Downsample
 * ("op", stride 2) halves it, an Upsample ("conv" directly in an output
 * block) doubles it before its conv, and output block j runs at the size of
 * its skip, input block n-1-j. */
#include "unet_cost.h"

#include <stdio.h>
#include <string.h>

typedef struct cost_ctx {
    unet_cost_profile *p;
    int n; /* input blocks */
    int64_t ctx_len;
    int h, w; /* current size along the input side */
    int skip_h[UNET_MAX_DEPTH_LEVELS], skip_w[UNET_MAX_DEPTH_LEVELS]; /* input block outputs */
    char bad[160]; /* first tensor that could not be placed */
    bool overflow; /* a count left int64 (only for absurd configs and sizes) */
} cost_ctx;

static int64_t mul(cost_ctx *c, int64_t a, int64_t b) {
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r)) c->overflow = true;
    return r;
}

static void add_to(cost_ctx *c, int64_t *sum, int64_t v) {
    if (__builtin_add_overflow(*sum, v, sum)) c->overflow = true;
}

static bool ends_with(const char *s, const char *suffix) {
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && !strcmp(s + ls - lx, suffix);
}

/* The part of the name after "<head>.<i>.<k>." (or after "<head>." when
 * depth is 1), e.g. "conv.weight" for "output_blocks.2.2.conv.weight". */
static const char *layer_rest(const char *name, int dots) {
    for (int i = 0; i < dots && name; i++) {
        name = strchr(name, '.');
        if (name) name++;
    }
    return name ? name : "";
}

/* Spatial size a block's layers run at (before any Upsample in it). */
static void block_size(cost_ctx *c, const char *name, int level, int *h, int *w) {
    if (!strncmp(name, "output_blocks.", 14) && level >= 1 && level <= c->n) {
        int skip = level - 1; /* output block n-level pairs with input block level-1 */
        *h = c->skip_h[skip];
        *w = c->skip_w[skip];
    } else if (!strncmp(name, "out.", 4)) {
        *h = c->skip_h[0]; /* the last output block ends at conv_in's size */
        *w = c->skip_w[0];
    } else {
        *h = c->h; /* input blocks in order, then the middle at the smallest size */
        *w = c->w;
    }
}

static int64_t conv_macs(cost_ctx *c, const char *name, int64_t numel, int h, int w) {
    if (!strncmp(name, "input_blocks.", 13) && !strcmp(layer_rest(name, 3), "op.weight")) {
        c->h = h / 2; /* stride-2 Downsample; sizes were checked to divide evenly */
        c->w = w / 2;
        return mul(c, numel, (int64_t)c->h * c->w);
    }
    if (!strncmp(name, "output_blocks.", 14) && !strcmp(layer_rest(name, 3), "conv.weight"))
        return mul(c, numel, 4 * (int64_t)h * w); /* Upsample: nearest x2, then conv */
    return mul(c, numel, (int64_t)h * w);
}

static int64_t linear_tokens(const cost_ctx *c, const char *name, int h, int w) {
    if (!strncmp(name, "time_embed.", 11) || strstr(name, ".emb_layers.")) return 1;
    if (strstr(name, ".attn2.to_k.") || strstr(name, ".attn2.to_v.")) return c->ctx_len;
    return (int64_t)h * w;
}

static int64_t attention_macs(cost_ctx *c, const char *name, int64_t inner, int h, int w) {
    const int64_t tokens = (int64_t)h * w;
    if (ends_with(name, ".attn1.to_q.weight")) return mul(c, mul(c, 2 * tokens, tokens), inner);
    if (ends_with(name, ".attn2.to_q.weight")) return mul(c, mul(c, 2 * tokens, c->ctx_len), inner);
    return 0;
}

static void add_param(void *user, const char *name, const int64_t *shape, int ndim) {
    cost_ctx *c = user;
    const int level = unet_param_depth_level(name, c->n);
    if (level < 0) {
        if (!c->bad[0]) snprintf(c->bad, sizeof c->bad, "%s", name);
        return;
    }
    unet_macs *m = level == UNET_LEVEL_SHARED ? &c->p->shared : &c->p->level[level];
    int h, w;
    block_size(c, name, level, &h, &w);
    if (ends_with(name, ".weight") && (ndim == 4 || ndim == 2)) {
        int64_t numel = 1;
        for (int d = 0; d < ndim; d++)
            numel = mul(c, numel, shape[d]);
        if (ndim == 4) {
            add_to(c, &m->conv, conv_macs(c, name, numel, h, w));
        } else {
            add_to(c, &m->linear, mul(c, numel, linear_tokens(c, name, h, w)));
            add_to(c, &m->attn, attention_macs(c, name, shape[0], h, w));
        }
    }
    if (!strncmp(name, "input_blocks.", 13) && level >= 1 && level <= c->n) {
        c->skip_h[level - 1] = c->h; /* last write wins: the block's output size */
        c->skip_w[level - 1] = c->w;
    }
}

static bool check_size(const unet_config *cfg, int height, int width, int context_len, char *err,
                       size_t errlen) {
    const int f = 1 << (cfg->n_levels - 1);
    if (height < 1 || width < 1 || height > UNET_COST_MAX_SIDE || width > UNET_COST_MAX_SIDE) {
        snprintf(err, errlen, "unet cost: latent size %dx%d must be 1..%d per side", height, width,
                 UNET_COST_MAX_SIDE);
        return false;
    }
    if (height % f || width % f) {
        snprintf(err, errlen, "unet cost: latent size %dx%d must be a multiple of %d", height,
                 width, f);
        return false;
    }
    if (context_len < 1 || context_len > 65536) {
        snprintf(err, errlen, "unet cost: context length %d must be 1..65536", context_len);
        return false;
    }
    return true;
}

typedef bool (*params_lister)(const unet_config *cfg, const char *prefix, param_fn fn, void *user,
                              char *err, size_t errlen);

static bool compute_with(params_lister list, const unet_config *cfg, int height, int width,
                         int context_len, unet_cost_profile *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (!cfg) return snprintf(err, errlen, "unet cost: no config"), false;
    const int n = unet_config_n_input_blocks(cfg);
    if (cfg->n_levels < 1 || cfg->n_levels > UNET_MAX_LEVELS || n < 1 ||
        n + 1 > UNET_MAX_DEPTH_LEVELS)
        return snprintf(err, errlen, "unet cost: config has an unsupported block count"), false;
    if (!check_size(cfg, height, width, context_len, err, errlen)) return false;
    cost_ctx c = {.p = out, .n = n, .ctx_len = context_len, .h = height, .w = width};
    if (!list(cfg, "", add_param, &c, err, errlen)) return false;
    if (c.bad[0]) {
        snprintf(err, errlen, "unet cost: no depth level for tensor '%s'", c.bad);
        return false;
    }
    if (c.overflow) {
        snprintf(err, errlen, "unet cost: MAC counts for this config and size exceed 64 bits");
        return false;
    }
    out->n_depths = n + 1;
    memcpy(out->block_h, c.skip_h, sizeof c.skip_h);
    memcpy(out->block_w, c.skip_w, sizeof c.skip_w);
    out->height = height;
    out->width = width;
    out->context_len = context_len;
    return true;
}

bool unet_cost_profile_compute(const unet_config *cfg, int height, int width, int context_len,
                               unet_cost_profile *out, char *err, size_t errlen) {
    return compute_with(unet_params_foreach, cfg, height, width, context_len, out, err, errlen);
}

bool unet_cost_encoder_profile_compute(const unet_config *cfg, int height, int width,
                                       int context_len, unet_cost_profile *out, char *err,
                                       size_t errlen) {
    return compute_with(unet_encoder_params_foreach, cfg, height, width, context_len, out, err,
                        errlen);
}

unet_macs unet_cost_at_depth(const unet_cost_profile *p, int depth) {
    unet_macs m = {0, 0, 0};
    if (!p || depth < 1 || depth > p->n_depths) return m;
    m = p->shared;
    for (int d = 1; d <= depth; d++) {
        m.conv += p->level[d].conv;
        m.linear += p->level[d].linear;
        m.attn += p->level[d].attn;
    }
    return m;
}
