/* Loads a model bundle directory: manifest, weights, networks, tokenizer. */
#include "bundle.h"
#include "bundle_memory.h"
#include "pipeline.h"

#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void join_path(char *out, size_t n, const char *dir, const char *file) {
    snprintf(out, n, "%s/%s", dir, file);
}

/* A file the manifest names, which must resolve (symlinks and ".." included)
 * to a place inside the bundle directory: a manifest must not be able to
 * make the server read any file it can reach. */
static bool bundle_path(char *out, size_t n, const char *dir, const char *file, char *err,
                        size_t errlen) {
    char root[PATH_MAX], joined[PATH_MAX];
    if (file[0] == '/' || !file[0])
        return snprintf(err, errlen, "manifest: '%s' must be a path relative to the bundle", file),
               false;
    join_path(joined, sizeof joined, dir, file);
    if (!realpath(dir, root) || !realpath(joined, out))
        return snprintf(err, errlen, "manifest: cannot open '%s' in the bundle", file), false;
    const size_t len = strlen(root);
    if (strncmp(out, root, len) != 0 || out[len] != '/')
        return snprintf(err, errlen, "manifest: '%s' is outside the bundle directory", file), false;
    (void)n;
    return true;
}

bool bundle_scale_factor(json_t *section, double *out, char *err, size_t errlen) {
    json_t *scale = section ? json_object_get(section, "scale_factor") : NULL;
    *out = json_is_number(scale) ? json_number_value(scale) : 0.18215;
    if ((scale && !json_is_number(scale)) || !(*out > 0) || !isfinite(*out))
        return snprintf(err, errlen, "manifest: scale_factor must be a number > 0"), false;
    return true;
}

json_t *bundle_section(json_t *root, const char *key) {
    json_t *s = json_object_get(root, key);
    return json_is_object(s) ? s : NULL;
}

const char *bundle_section_prefix(json_t *s, const char *fallback) {
    json_t *p = s ? json_object_get(s, "prefix") : NULL;
    return json_is_string(p) ? json_string_value(p) : fallback;
}

char *bundle_section_config(json_t *s) {
    json_t *c = s ? json_object_get(s, "config") : NULL;
    return json_is_object(c) ? json_dumps(c, JSON_COMPACT) : NULL;
}

static bool load_weights(i2i_bundle *b, const char *dir, json_t *root, char *err, size_t n) {
    json_t *files = json_object_get(root, "weights");
    if (json_is_string(files)) {
        json_t *one = json_array();
        json_array_append(one, files);
        files = one;
    } else if (json_is_array(files) && json_array_size(files) > 0) {
        json_incref(files);
    } else {
        snprintf(err, n, "manifest: \"weights\" must name one or more safetensors files");
        return false;
    }
    bool ok = true;
    size_t i;
    json_t *f;
    json_array_foreach(files, i, f) {
        char path[PATH_MAX];
        if (!json_is_string(f)) {
            snprintf(err, n, "manifest: \"weights\" entries must be strings");
            ok = false;
            break;
        }
        ok = bundle_path(path, sizeof path, dir, json_string_value(f), err, n);
        ok = ok && i == 0 ? (b->w = weights_open(path, err, n)) != NULL
                          : weights_add_file(b->w, path, err, n);
        if (!ok) break;
    }
    json_decref(files);
    return ok;
}

/* The "unet" section's config: a "config" object, else a "preset" name,
 * else InstructPix2Pix's. */
static bool unet_config_of(json_t *root, unet_config *out, char *err, size_t n) {
    json_t *s = bundle_section(root, "unet");
    json_t *preset = s ? json_object_get(s, "preset") : NULL;
    char *cfg = bundle_section_config(s);
    bool ok;
    if (cfg) {
        ok = unet_config_from_json(cfg, out, err, n);
    } else {
        const char *name = json_is_string(preset) ? json_string_value(preset) : "ip2p";
        ok = unet_config_preset(name, out);
        if (!ok) snprintf(err, n, "manifest: unknown unet preset '%s'", name);
    }
    free(cfg);
    return ok;
}

static bool load_unet(i2i_bundle *b, json_t *root, char *err, size_t n) {
    if (!unet_config_of(root, &b->unet_cfg, err, n)) return false;
    const char *prefix =
        bundle_section_prefix(bundle_section(root, "unet"), "model.diffusion_model.");
    b->unet = unet_create(b->w, prefix, &b->unet_cfg, err, n);
    if (!b->unet) return false;
    bundle_mem_counter m = {b->w, 0, 0};
    unet_params_foreach(&b->unet_cfg, prefix, bundle_mem_count, &m, NULL, 0);
    bundle_mem_record(b, "unet", &m);
    return true;
}

static bool load_vae(i2i_bundle *b, json_t *root, char *err, size_t n) {
    json_t *s = bundle_section(root, "vae");
    char *cfg = bundle_section_config(s);
    bool ok = true;
    if (cfg)
        ok = vae_config_from_json(cfg, &b->vae_cfg, err, n);
    else
        vae_config_sd(&b->vae_cfg);
    free(cfg);
    if (!ok) return false;
    if (!bundle_scale_factor(s, &b->latent_scale, err, n)) return false;
    const char *prefix = bundle_section_prefix(s, "first_stage_model.");
    b->vae = vae_create(b->w, prefix, &b->vae_cfg, err, n);
    if (!b->vae) return false;
    bundle_mem_counter m = {b->w, 0, 0};
    vae_params_foreach(&b->vae_cfg, prefix, bundle_mem_count, &m);
    bundle_mem_record(b, "vae", &m);
    return true;
}

static bool load_text_encoder(i2i_bundle *b, json_t *root, char *err, size_t n) {
    json_t *s = bundle_section(root, "text_encoder");
    char *cfg = bundle_section_config(s);
    bool ok = true;
    if (cfg)
        ok = clip_text_config_from_json(cfg, &b->clip_cfg, err, n);
    else
        clip_text_config_sd1(&b->clip_cfg);
    free(cfg);
    if (!ok) return false;
    if (b->clip_cfg.width != b->unet_cfg.context_dim) {
        snprintf(err, n, "manifest: text encoder width %d differs from unet context_dim %d",
                 b->clip_cfg.width, b->unet_cfg.context_dim);
        return false;
    }
    const char *prefix = bundle_section_prefix(s, "cond_stage_model.transformer.text_model.");
    b->clip = clip_text_create(b->w, prefix, &b->clip_cfg, err, n);
    if (!b->clip) return false;
    bundle_mem_counter m = {b->w, 0, 0};
    clip_text_params_foreach(&b->clip_cfg, prefix, bundle_mem_count, &m);
    bundle_mem_record(b, "text_encoder", &m);
    return true;
}

static bool load_tokenizer(i2i_bundle *b, const char *dir, json_t *root, char *err, size_t n) {
    json_t *s = bundle_section(root, "tokenizer");
    json_t *vocab = s ? json_object_get(s, "vocab") : NULL;
    json_t *vjson = s ? json_object_get(s, "vocab_json") : NULL;
    json_t *merges = s ? json_object_get(s, "merges") : NULL;
    char p1[PATH_MAX], p2[PATH_MAX];
    if (json_is_string(vjson) && json_is_string(merges)) {
        if (!bundle_path(p1, sizeof p1, dir, json_string_value(vjson), err, n) ||
            !bundle_path(p2, sizeof p2, dir, json_string_value(merges), err, n))
            return false;
        b->tokenizer = clip_tokenizer_load_hf(p1, p2, err, n);
    } else {
        if (json_is_string(vocab)) {
            if (!bundle_path(p1, sizeof p1, dir, json_string_value(vocab), err, n)) return false;
        } else {
            snprintf(p1, sizeof p1, "%s", clip_tokenizer_default_vocab());
        }
        b->tokenizer = clip_tokenizer_load_bpe_gz(p1, err, n);
    }
    return b->tokenizer != NULL;
}

/* The shared networks the task lists, then its own. */
static bool load_networks(i2i_bundle *b, const char *dir, json_t *root, char *err, size_t n) {
    const pipeline_def *d = pipeline_find(b->task);
    const unsigned base = d->base_networks;
    if (base & BASE_UNET && !load_unet(b, root, err, n)) return false;
    if (base & BASE_VAE && !load_vae(b, root, err, n)) return false;
    if (base & BASE_TEXT &&
        (!load_text_encoder(b, root, err, n) || !load_tokenizer(b, dir, root, err, n)))
        return false;
    return !d->load_extra || d->load_extra(b, root, err, n);
}

static bool read_header(i2i_bundle *b, json_t *root, char *err, size_t n) {
    json_t *task = json_object_get(root, "task");
    if (!json_is_string(task)) {
        snprintf(err, n, "manifest: \"task\" is required (e.g. \"edit\")");
        return false;
    }
    if (!pipeline_find(json_string_value(task))) {
        char names[128] = "";
        for (const char *const *t = i2i_tasks(); *t; t++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                     names[0] ? ", " : "", *t);
        snprintf(err, n, "manifest: task '%s' is not supported by this build (supported: %s)",
                 json_string_value(task), names);
        return false;
    }
    snprintf(b->task, sizeof b->task, "%s", json_string_value(task));
    json_t *mp = json_object_get(root, "max_pixels");
    b->max_pixels = json_is_integer(mp) ? (long)json_integer_value(mp) : BUNDLE_DEFAULT_MAX_PIXELS;
    if (b->max_pixels < 64 * 64) {
        snprintf(err, n, "manifest: max_pixels must be at least 4096");
        return false;
    }
    json_t *res = json_object_get(root, "resolution");
    b->resolution = json_is_integer(res) ? (int)json_integer_value(res) : BUNDLE_DEFAULT_RESOLUTION;
    if ((res && !json_is_integer(res)) || b->resolution < BUNDLE_MIN_RESOLUTION ||
        b->resolution > BUNDLE_MAX_RESOLUTION) {
        snprintf(err, n, "manifest: resolution must be an integer in %d..%d", BUNDLE_MIN_RESOLUTION,
                 BUNDLE_MAX_RESOLUTION);
        return false;
    }
    return true;
}

static json_t *load_manifest(const char *dir, char *err, size_t errlen) {
    char path[PATH_MAX];
    join_path(path, sizeof path, dir, "manifest.json");
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root || !json_is_object(root)) {
        snprintf(err, errlen, "%s: %s (line %d)", path, root ? "not a JSON object" : jerr.text,
                 jerr.line);
        json_decref(root);
        return NULL;
    }
    return root;
}

bool bundle_read_unet_config(const char *dir, unet_config *out, char *err, size_t errlen) {
    json_t *root = load_manifest(dir, err, errlen);
    bool ok = root && unet_config_of(root, out, err, errlen);
    json_decref(root);
    return ok;
}

bool bundle_controlnet_config_of(json_t *root, const unet_config *unet_cfg, controlnet_config *out,
                                 char *err, size_t errlen) {
    char *cfg = bundle_section_config(bundle_section(root, "controlnet"));
    bool ok = true;
    if (cfg) {
        ok = controlnet_config_from_json(cfg, out, err, errlen);
    } else {
        controlnet_config_cldm_v15(out);
        out->unet = *unet_cfg;
    }
    free(cfg);
    return ok;
}

bool bundle_stablesr_config_of(json_t *root, stablesr_config *cfg, char *err, size_t errlen) {
    stablesr_config_v2_512(cfg);
    char *uj = bundle_section_config(bundle_section(root, "unet"));
    char *ej = bundle_section_config(bundle_section(root, "sr_encoder"));
    bool ok = (!uj || unet_config_from_json(uj, &cfg->unet, err, errlen)) &&
              (!ej || sr_encoder_config_from_json(ej, &cfg->encoder, err, errlen));
    cfg->unet.spade_channels = cfg->encoder.out_channels;
    if (uj) cfg->unet.spade_hidden = 0; /* from mlp_shared.0.weight */
    free(uj);
    free(ej);
    return ok;
}

bool bundle_read_controlnet_config(const char *dir, controlnet_config *out, bool *present,
                                   char *err, size_t errlen) {
    json_t *root = load_manifest(dir, err, errlen);
    unet_config u;
    json_t *task = root ? json_object_get(root, "task") : NULL;
    *present = json_is_string(task) && !strcmp(json_string_value(task), "control");
    bool ok = root && unet_config_of(root, &u, err, errlen) &&
              (!*present || bundle_controlnet_config_of(root, &u, out, err, errlen));
    json_decref(root);
    return ok;
}

i2i_bundle *i2i_bundle_load(const char *dir, char *err, size_t errlen) {
    json_t *root = load_manifest(dir, err, errlen);
    if (!root) return NULL;
    i2i_bundle *b = calloc(1, sizeof *b);
    bool ok = b && read_header(b, root, err, errlen) && load_weights(b, dir, root, err, errlen) &&
              load_networks(b, dir, root, err, errlen);
    json_decref(root);
    if (!ok) {
        if (!b) snprintf(err, errlen, "out of memory");
        i2i_bundle_free(b);
        return NULL;
    }
    return b;
}

void i2i_bundle_free(i2i_bundle *b) {
    if (!b) return;
    unet_free(b->unet);
    controlnet_free(b->controlnet);
    stablesr_free(b->sr);
    cfw_vae_free(b->cfw);
    vae_free(b->vae);
    clip_text_free(b->clip);
    clip_tokenizer_free(b->tokenizer);
    weights_close(b->w);
    free(b);
}

const char *i2i_bundle_task(const i2i_bundle *b) {
    return b ? b->task : "";
}

int i2i_bundle_resolution(const i2i_bundle *b) {
    return b ? b->resolution : BUNDLE_DEFAULT_RESOLUTION;
}

size_t i2i_bundle_resident_bytes(const i2i_bundle *b) {
    return b ? weights_resident_bytes(b->w) : 0;
}
