/* A model bundle: a directory with manifest.json naming the task, the weight
 * files (original LDM key names) and each network's prefix and config. This
 * header is the engine-internal view; i2i_engine.h has the public one.
 *
 * manifest.json:
 *   { "format": "i2i-bundle/1", "task": "edit",
 *     "weights": ["model.safetensors"],            // one or more files
 *     "unet":  {"prefix": "model.diffusion_model.", "preset": "ip2p" | "config": {LDM keys}},
 *     "vae":   {"prefix": "first_stage_model.", "config": {...}, "scale_factor": 0.18215},
 *     "text_encoder": {"prefix": "cond_stage_model.transformer.text_model.", "config": {...}},
 *     "tokenizer": {"vocab": "bpe_simple_vocab_16e6.txt.gz"}
 *                | {"vocab_json": "vocab.json", "merges": "merges.txt"},
 *     "controlnet": {"prefix": "control_model.", "config": {...}},   // task "control"
 *     // task "upscale" (StableSR): "unet" (the SFT U-Net, LDM keys) and
 *     "sr_encoder": {"config": {...}},  // structcond_stage_model.*
 *     "cfw_vae": {"prefix": "", "config": {ddconfig + num_fuse_block}, "scale_factor": 0.18215},
 *     "empty_context": {"tensor": "empty_context"},  // [1, 77, context_dim]
 *     "tiling": {"latent_tile": 64, "latent_overlap": 32,  // the canvas, latent pixels
 *                "vae_tile": 64, "vae_overlap": 16},
 *     // and no "vae" / "text_encoder" / "tokenizer"
 *     "max_pixels": 4194304,          // the largest working size jobs may run at
 *     "resolution": 512 }             // the working resolution jobs default to
 * The task must be one of the engine's task table (pipeline.h); the task's
 * own networks (e.g. the ControlNet) are loaded by its pipeline.
 * Missing configs fall back to the SD-1.x ones (StableSR's for "upscale");
 * paths are relative to the bundle directory and must stay inside it. */
#ifndef I2I_BUNDLE_H
#define I2I_BUNDLE_H

#include "cfw_vae.h"
#include "clip_text.h"
#include "clip_tokenizer.h"
#include "controlnet.h"
#include "i2i_engine.h"
#include "stablesr.h"
#include <jansson.h>
#include "unet.h"
#include "unet_config.h"
#include "vae.h"
#include "vae_tiled.h"
#include "weights.h"

#define BUNDLE_DEFAULT_MAX_PIXELS (2048L * 2048L)
#define BUNDLE_DEFAULT_RESOLUTION 512 /* SD-1.x's training resolution */
#define BUNDLE_MIN_RESOLUTION 64
#define BUNDLE_MAX_RESOLUTION 4096

struct i2i_bundle {
    char task[32];
    weights *w;
    unet_config unet_cfg;
    unet *unet;
    vae_config vae_cfg;
    vae *vae;
    double latent_scale; /* SD: 0.18215 */
    clip_text_config clip_cfg;
    clip_text *clip;
    clip_tokenizer *tokenizer;
    long max_pixels;
    int resolution; /* the working resolution jobs default to (manifest "resolution") */
    /* task "control": the ControlNet ("controlnet" section, prefix
     * "control_model."); NULL for other tasks */
    controlnet_config cn_cfg;
    controlnet *controlnet;
    /* task "upscale": StableSR's denoiser (its U-Net config is unet_cfg;
     * unet stays NULL), the CFW VAE (vae stays NULL), the empty prompt's
     * text context (no text encoder), and the canvas tiling */
    stablesr *sr;
    cfw_vae *cfw;
    ts_tensor *sr_context; /* [1, 77, context_dim], owned by w */
    vae_tiling sr_canvas;  /* the per-step latent tiles */
    vae_tiling sr_vae;     /* the VAE's encode/decode tiles */
    /* the memory report, one entry per network as it was bound */
    i2i_network_memory mem[I2I_MAX_NETWORKS];
    int n_mem;
};

/* Manifest helpers for the pipelines' own sections: section "key" as an
 * object (NULL when absent), its "prefix" (else fallback), and its "config"
 * object serialised for a network's parser (NULL when none; caller frees). */
json_t *bundle_section(json_t *root, const char *key);
const char *bundle_section_prefix(json_t *s, const char *fallback);
char *bundle_section_config(json_t *s);

/* A VAE section's "scale_factor" (absent: SD's 0.18215); anything but a
 * number > 0 is an error, not the default. */
bool bundle_scale_factor(json_t *section, double *out, char *err, size_t errlen);

/* The U-Net config a bundle's manifest describes, without loading weights
 * (for cost accounting). */
bool bundle_read_unet_config(const char *dir, unet_config *out, char *err, size_t errlen);

/* The ControlNet config of a manifest: its "controlnet" section's config,
 * else the U-Net's layout with cldm's hint encoder. */
bool bundle_controlnet_config_of(json_t *root, const unet_config *unet_cfg, controlnet_config *out,
                                 char *err, size_t errlen);
/* The StableSR config of an upscale manifest: its "unet" and "sr_encoder"
 * sections' configs, else StableSR's v2 512 model (stablesr_config_v2_512).
 * With a "unet" config spade_hidden is 0: it comes from the weights. */
bool bundle_stablesr_config_of(json_t *root, stablesr_config *cfg, char *err, size_t errlen);

/* The same from a bundle directory, without loading weights; *present is
 * false (and out untouched) for a bundle of another task. */
bool bundle_read_controlnet_config(const char *dir, controlnet_config *out, bool *present,
                                   char *err, size_t errlen);

#endif
