/* i2i mkmodel edit|control|upscale --size tiny|sd --out DIR [--seed S]: writes
 * a runnable bundle with the real SD / InstructPix2Pix / ControlNet /
 * StableSR tensor layout (original LDM / cldm / StableSR key names) and
 * seeded random weights, for tests and demos. */
#include "cfw_vae.h"
#include "clip_text.h"
#include "clip_tokenizer.h"
#include "commands.h"
#include "controlnet.h"
#include "file_util.h"
#include "mkmodel_sizes.h"
#include "rng.h"
#include "safetensors.h"
#include "stablesr.h"
#include "unet.h"
#include "unet_config.h"
#include "vae.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define EMPTY_CONTEXT "empty_context"

typedef struct param_set {
    st_tensor_out *t;
    int64_t (*shapes)[8];
    float **data;
    int n, cap;
    i2i_rng rng;
    bool oom;
} param_set;

static bool ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

/* Same scheme as the golden fixtures: weights N(0,1)/sqrt(fan_in), norm
 * scales 1 + N(0, 0.15^2), biases N(0, 0.1^2), embeddings N(0, 0.02^2); no
 * value is exactly 0 or 1, so a swapped tensor always shows. */
static void fill_random(param_set *ps, const char *name, const int64_t *shape, int ndim, float *v,
                        int64_t numel) {
    i2i_rng_normal(&ps->rng, v, (size_t)numel);
    double fan_in = 1;
    for (int d = 1; d < ndim; d++)
        fan_in *= (double)shape[d];
    double scale = 0.1, shift = 0;
    if (strstr(name, "embedding"))
        scale = 0.02;
    else if (!strcmp(name, EMPTY_CONTEXT))
        scale = 1; /* a text encoder's hidden states are O(1) */
    else if (ends_with(name, ".weight") && ndim >= 2)
        scale = 1.0 / sqrt(fan_in);
    else if (ends_with(name, ".weight"))
        scale = 0.15, shift = 1;
    for (int64_t i = 0; i < numel; i++)
        v[i] = (float)(shift + scale * v[i]);
}

static void add_param(void *user, const char *name, const int64_t *shape, int ndim) {
    param_set *ps = user;
    if (ps->oom) return;
    if (ps->n == ps->cap) {
        int cap = ps->cap ? ps->cap * 2 : 256;
        st_tensor_out *t = realloc(ps->t, sizeof *t * (size_t)cap);
        if (t) ps->t = t;
        int64_t(*sh)[8] = realloc(ps->shapes, sizeof *sh * (size_t)cap);
        if (sh) ps->shapes = sh;
        float **d = realloc(ps->data, sizeof *d * (size_t)cap);
        if (d) ps->data = d;
        if (!t || !sh || !d) return (void)(ps->oom = true);
        ps->cap = cap;
    }
    int64_t numel = 1;
    for (int d = 0; d < ndim; d++)
        numel *= shape[d];
    float *v = malloc(sizeof(float) * (size_t)numel);
    char *nm = strdup(name);
    if (!v || !nm) {
        free(v);
        free(nm);
        return (void)(ps->oom = true);
    }
    fill_random(ps, name, shape, ndim, v, numel);
    memcpy(ps->shapes[ps->n], shape, sizeof(int64_t) * (size_t)ndim);
    ps->data[ps->n] = v;
    ps->t[ps->n] = (st_tensor_out){.name = nm, .shape = ps->shapes[ps->n], .ndim = ndim, .data = v};
    ps->n++;
}

static void param_set_free(param_set *ps) {
    for (int i = 0; i < ps->n; i++) {
        free((char *)ps->t[i].name);
        free(ps->data[i]);
    }
    free(ps->t);
    free(ps->shapes);
    free(ps->data);
}

/* After add_param the shape pointers must follow reallocs of `shapes`. */
static void param_set_fix_shapes(param_set *ps) {
    for (int i = 0; i < ps->n; i++)
        ps->t[i].shape = ps->shapes[i];
}

static bool collect_params(param_set *ps, const mkmodel_size *sz, bool control, char *err,
                           size_t n) {
    unet_config uc;
    vae_config vc;
    clip_text_config cc;
    controlnet_config cn;
    if (control && (!controlnet_config_from_json(sz->controlnet, &cn, err, n) ||
                    !controlnet_params_foreach(&cn, "control_model.", add_param, ps, err, n)))
        return false;
    if (!unet_config_from_json(control ? sz->control_unet : sz->unet, &uc, err, n) ||
        !vae_config_from_json(sz->vae, &vc, err, n) ||
        !clip_text_config_from_json(sz->clip, &cc, err, n))
        return false;
    if (!unet_params_foreach(&uc, "model.diffusion_model.", add_param, ps, err, n)) return false;
    vae_params_foreach(&vc, "first_stage_model.", add_param, ps);
    clip_text_params_foreach(&cc, "cond_stage_model.transformer.text_model.", add_param, ps);
    return true;
}

/* StableSR's two checkpoints: the denoiser (with the empty prompt's context
 * that tools/sr_empty_context.py adds to a real one) and the CFW VAE. */
static bool collect_sr_params(param_set *ps, param_set *cfw, const mkmodel_size *sz, char *err,
                              size_t n) {
    stablesr_config sc;
    cfw_vae_config fc;
    if (!unet_config_from_json(sz->sr_unet, &sc.unet, err, n) ||
        !sr_encoder_config_from_json(sz->sr_encoder, &sc.encoder, err, n) ||
        !cfw_vae_config_from_json(sz->cfw, &fc, err, n))
        return false;
    sc.unet.spade_channels = sc.encoder.out_channels;
    sc.unet.spade_hidden = sz->sr_spade_hidden;
    if (!stablesr_params_foreach(&sc, add_param, ps, err, n)) return false;
    const int64_t ctx[3] = {1, 77, sc.unet.context_dim};
    add_param(ps, EMPTY_CONTEXT, ctx, 3);
    cfw_vae_params_foreach(&fc, "", add_param, cfw);
    return true;
}

static bool write_manifest_text(const char *dir, const char *text, size_t len, char *err,
                                size_t n) {
    char path[4096];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    return file_write_atomic(path, text, len, err, n);
}

static void manifest_sd(FILE *m, const mkmodel_size *sz, bool control) {
    fprintf(m,
            "{\n  \"format\": \"i2i-bundle/1\",\n  \"task\": \"%s\",\n"
            "  \"description\": \"%s %s-layout model with random weights (i2i mkmodel)\",\n"
            "  \"weights\": [\"model.safetensors\"],\n",
            control ? "control" : "edit", sz->description,
            control ? "SD-1.5 + ControlNet" : "InstructPix2Pix");
    if (control)
        fprintf(m, "  \"controlnet\": {\"prefix\": \"control_model.\", \"config\": %s},\n",
                sz->controlnet);
    fprintf(m,
            "  \"unet\": {\"prefix\": \"model.diffusion_model.\", \"config\": %s},\n"
            "  \"vae\": {\"prefix\": \"first_stage_model.\", \"scale_factor\": 0.18215, "
            "\"config\": %s},\n"
            "  \"text_encoder\": {\"prefix\": \"cond_stage_model.transformer.text_model.\", "
            "\"config\": %s},\n"
            "  \"tokenizer\": {\"vocab\": \"bpe_simple_vocab_16e6.txt.gz\"},\n"
            "  \"resolution\": %d\n}\n",
            control ? sz->control_unet : sz->unet, sz->vae, sz->clip, sz->resolution);
}

static void manifest_sr(FILE *m, const mkmodel_size *sz) {
    fprintf(m,
            "{\n  \"format\": \"i2i-bundle/1\",\n  \"task\": \"upscale\",\n"
            "  \"description\": \"%s StableSR-layout model with random weights (i2i mkmodel)\",\n"
            "  \"weights\": [\"model.safetensors\", \"cfw_vae.safetensors\"],\n"
            "  \"unet\": {\"prefix\": \"model.diffusion_model.\", \"config\": %s},\n"
            "  \"sr_encoder\": {\"prefix\": \"structcond_stage_model.\", \"config\": %s},\n"
            "  \"cfw_vae\": {\"prefix\": \"\", \"scale_factor\": 0.18215, \"config\": %s},\n"
            "  \"empty_context\": {\"tensor\": \"%s\"},\n"
            "  \"tiling\": %s,\n"
            "  \"max_pixels\": %ld,\n"
            "  \"resolution\": %d\n}\n",
            sz->description, sz->sr_unet, sz->sr_encoder, sz->cfw, EMPTY_CONTEXT, sz->sr_tiling,
            sz->sr_max_pixels, sz->resolution);
}

static bool write_manifest(const char *dir, const char *task, const mkmodel_size *sz, char *err,
                           size_t n) {
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m) return snprintf(err, n, "out of memory"), false;
    if (!strcmp(task, "upscale"))
        manifest_sr(m, sz);
    else
        manifest_sd(m, sz, !strcmp(task, "control"));
    fclose(m);
    bool ok = write_manifest_text(dir, text, len, err, n);
    free(text);
    return ok;
}

static bool copy_vocab(const char *dir, char *err, size_t n) {
    size_t len;
    uint8_t *data = file_read_all(clip_tokenizer_default_vocab(), 64 << 20, &len, err, n);
    if (!data) return false;
    char path[4096];
    snprintf(path, sizeof path, "%s/bpe_simple_vocab_16e6.txt.gz", dir);
    bool ok = file_write_atomic(path, data, len, err, n);
    free(data);
    return ok;
}

static bool write_params(const char *dir, const char *file, param_set *ps, uint64_t seed, char *err,
                         size_t n) {
    char path[4096], seed_text[32];
    if (ps->oom) return snprintf(err, n, "out of memory"), false;
    param_set_fix_shapes(ps);
    snprintf(path, sizeof path, "%s/%s", dir, file);
    snprintf(seed_text, sizeof seed_text, "%llu", (unsigned long long)seed);
    const char *meta[] = {"format", "pt", "init_seed", seed_text, "generator", "i2i mkmodel", NULL};
    return st_write(path, ps->t, ps->n, meta, err, n);
}

/* The weight files of a task's bundle (model.safetensors, and the CFW VAE's
 * own file for upscale). */
static bool write_weights(const char *dir, const char *task, const mkmodel_size *sz, uint64_t seed,
                          char *err, size_t n) {
    param_set ps = {0}, cfw = {0};
    i2i_rng_seed(&ps.rng, seed);
    i2i_rng_seed(&cfw.rng, seed + 1);
    const bool sr = !strcmp(task, "upscale");
    bool ok = sr ? collect_sr_params(&ps, &cfw, sz, err, n)
                 : collect_params(&ps, sz, !strcmp(task, "control"), err, n);
    ok = ok && write_params(dir, "model.safetensors", &ps, seed, err, n) &&
         (!sr || write_params(dir, "cfw_vae.safetensors", &cfw, seed + 1, err, n));
    param_set_free(&ps);
    param_set_free(&cfw);
    return ok;
}

static int make_bundle(const char *dir, const char *task, const mkmodel_size *sz, uint64_t seed) {
    char err[512];
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return fprintf(stderr, "i2i mkmodel: %s: %s\n", dir, strerror(errno)), 1;
    bool ok = write_weights(dir, task, sz, seed, err, sizeof err) &&
              write_manifest(dir, task, sz, err, sizeof err) &&
              (!strcmp(task, "upscale") || copy_vocab(dir, err, sizeof err));
    if (!ok) return fprintf(stderr, "i2i mkmodel: %s\n", err), 1;
    printf("wrote %s (manifest.json, weights%s)\n", dir,
           strcmp(task, "upscale") ? ", vocabulary" : "");
    return 0;
}

static int mkmodel_usage(FILE *f) {
    fprintf(f,
            "usage: i2i mkmodel edit|control|upscale (or sr) --size tiny|sd --out DIR [--seed S]\n"
            "  tiny: small layouts for tests and demos (the default); sd: SD-1.5 / "
            "InstructPix2Pix /\n  ControlNet / StableSR v2-512 sizes (4-6 GB of fp32 weights "
            "per bundle, held in memory\n  while writing)\n");
    return f == stdout ? 0 : 2;
}

int cmd_mkmodel(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help")) return mkmodel_usage(argc < 2 ? stderr : stdout);
    const char *out = NULL, *size = "tiny";
    uint64_t seed = 0;
    for (int i = 2; i < argc; i += 2) {
        if (i + 1 >= argc) return fprintf(stderr, "i2i mkmodel: %s needs a value\n", argv[i]), 2;
        if (!strcmp(argv[i], "--out"))
            out = argv[i + 1];
        else if (!strcmp(argv[i], "--size"))
            size = argv[i + 1];
        else if (!strcmp(argv[i], "--seed"))
            seed = strtoull(argv[i + 1], NULL, 10);
        else
            return fprintf(stderr, "i2i mkmodel: unknown option %s\n", argv[i]), 2;
    }
    /* "sr" is the and StableSR's own name for the upscale model */
    const char *task = strcmp(argv[1], "sr") ? argv[1] : "upscale";
    if (strcmp(task, "edit") && strcmp(task, "control") && strcmp(task, "upscale"))
        return fprintf(stderr,
                       "i2i mkmodel: unknown task '%s' (available: edit, control, upscale)\n",
                       task),
               2;
    const mkmodel_size *sz = mkmodel_size_find(size);
    if (!sz)
        return fprintf(stderr, "i2i mkmodel: unknown size '%s' (available: %s)\n", size,
                       mkmodel_size_names()),
               2;
    if (!out) return mkmodel_usage(stderr);
    return make_bundle(out, task, sz, seed);
}
