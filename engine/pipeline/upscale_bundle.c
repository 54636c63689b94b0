/* Loading an upscale bundle (see upscale_bundle.h). */
#include "upscale_bundle.h"
#include "bundle_memory.h"
#include "pipeline.h"

#include <stdio.h>
#include <stdlib.h>

#define SR_CONTEXT_TOKENS 77
#define SR_DEFAULT_TILE 64
#define SR_DEFAULT_OVERLAP 32 /* StableSR's tile_overlap */
#define SR_MAX_TILE 1024      /* 8192 px: above any tile that fits in memory */

static bool load_cfw(i2i_bundle *b, json_t *root, char *err, size_t n) {
    json_t *s = bundle_section(root, "cfw_vae");
    char *cfg = bundle_section_config(s);
    cfw_vae_config c;
    bool ok = true;
    if (cfg)
        ok = cfw_vae_config_from_json(cfg, &c, err, n);
    else
        cfw_vae_config_stablesr(&c);
    free(cfg);
    if (!ok || !bundle_scale_factor(s, &b->latent_scale, err, n)) return false;
    b->vae_cfg = c.vae;
    const char *prefix = bundle_section_prefix(s, "");
    b->cfw = cfw_vae_create(b->w, prefix, &c, err, n);
    if (!b->cfw) return false;
    bundle_mem_counter m = {b->w, 0, 0};
    cfw_vae_params_foreach(&c, prefix, bundle_mem_count, &m);
    bundle_mem_record(b, "cfw_vae", &m);
    return true;
}

/* The empty prompt's context, stored by tools/sr_empty_context.py. */
static bool load_context(i2i_bundle *b, json_t *root, char *err, size_t n) {
    json_t *s = bundle_section(root, "empty_context");
    json_t *name = s ? json_object_get(s, "tensor") : NULL;
    const char *key = json_is_string(name) ? json_string_value(name) : "empty_context";
    const int64_t shape[3] = {1, SR_CONTEXT_TOKENS, b->unet_cfg.context_dim};
    b->sr_context = weights_get_shaped(b->w, key, shape, 3);
    if (!b->sr_context) snprintf(err, n, "manifest: empty_context: %s", ts_last_error());
    return b->sr_context != NULL;
}

/* tiling.<key>: an integer in lo..hi, else def. */
static bool tiling_int(json_t *s, const char *key, int def, int lo, int hi, int *out, char *err,
                       size_t n) {
    json_t *v = s ? json_object_get(s, key) : NULL;
    *out = json_is_integer(v) ? (int)json_integer_value(v) : def;
    if ((v && !json_is_integer(v)) ||
        (json_is_integer(v) && (json_integer_value(v) < lo || json_integer_value(v) > hi)))
        return snprintf(err, n, "manifest: tiling.%s must be an integer in %d..%d", key, lo, hi),
               false;
    return true;
}

/* A canvas tile must be a whole U-Net input (a multiple of its downsampling). */
static bool read_tiling(i2i_bundle *b, json_t *root, char *err, size_t n) {
    json_t *s = bundle_section(root, "tiling");
    vae_tiling *c = &b->sr_canvas, *v = &b->sr_vae;
    const vae_tiling vd = vae_tiling_default();
    const int m = pipeline_align(b) / 8;
    if (!tiling_int(s, "latent_tile", SR_DEFAULT_TILE, m, SR_MAX_TILE, &c->tile, err, n) ||
        !tiling_int(s, "latent_overlap", SR_DEFAULT_OVERLAP, 0, c->tile - 1, &c->overlap, err, n) ||
        !tiling_int(s, "vae_tile", vd.tile, 1, SR_MAX_TILE, &v->tile, err, n) ||
        !tiling_int(s, "vae_overlap", vd.overlap, 0, v->tile - 1, &v->overlap, err, n))
        return false;
    if (c->tile % m)
        return snprintf(err, n, "manifest: tiling.latent_tile must be a multiple of %d", m), false;
    return true;
}

bool upscale_load_networks(i2i_bundle *b, json_t *root, char *err, size_t n) {
    stablesr_config cfg;
    if (!bundle_stablesr_config_of(root, &cfg, err, n)) return false;
    b->sr = stablesr_create(b->w, &cfg, err, n);
    if (!b->sr) return false;
    b->unet_cfg = *unet_get_config(stablesr_unet(b->sr)); /* spade_hidden resolved */
    /* Counted with the resolved layout: the manifest's leaves spade_hidden
     * to the weights, and the unresolved one lists no tensor at all. */
    cfg.unet = b->unet_cfg;
    bundle_mem_counter m = {b->w, 0, 0};
    stablesr_params_foreach(&cfg, bundle_mem_count, &m, NULL, 0);
    bundle_mem_record(b, "stablesr", &m);
    return load_cfw(b, root, err, n) && load_context(b, root, err, n) &&
           read_tiling(b, root, err, n);
}
