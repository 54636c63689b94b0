/* i2i inspect --config sd15|sd21|ip2p|cldm_v15|stablesr|FILE|BUNDLE_DIR | --bundle DIR
 * [--json] [--size HxW] [--steps N]: the U-Net's parameters per depth level
 * (Table S7 of the paper's supplement) and the parameters and MACs of one
 * U-Net call at every depth-skip depth; for a ControlNet or StableSR config
 * also that network's part (inspect_control.c, inspect_stablesr.c). For
 * StableSR the tables above it are of the plain SD U-Net, without SPADE.
 *
 * --json prints one object:
 *   {"config": {...the LDM config keys...},
 *    "total_params": N,             all U-Net parameters
 *    "shared_params": N,            time_embed + out: run at every depth, in no level
 *    "levels": [{"level": d, "params": N,
 *                "share": %,        of the sum over the levels (Table S7's base)
 *                "cumulative": %}], levels 1..d, same base; d = 1..n+1
 *    "latent": {"h": H, "w": W}, "context_len": 77, "batch": 1,
 *    "depths": [{"depth": D,        n+1 (full) down to 1
 *                "params_kept": N,  shared + levels 1..D
 *                "kept_share": %,   of total_params
 *                "macs_conv_linear": N, "macs_attention": N, "macs_total": N}]}
 * Percentages are plain numbers (0.69 means 0.69 %); MACs are per call for
 * one sample, counted as in engine/cost/unet_cost.h. */
#include "bundle.h"
#include "commands.h"
#include "file_util.h"
#include "inspect.h"
#include "safetensors.h"
#include "unet_config.h"
#include "unet_cost.h"
#include "unet_params.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#define INSPECT_MAX_JSON (1u << 20)

typedef struct inspect_args {
    const char *config;
    bool bundle; /* given as --bundle: must be a directory */
    bool json;
    int height, width;
    int steps; /* job cost: denoising steps; 0 = the section's default */
} inspect_args;

#define CONTROL_DEFAULT_STEPS 20 /* the control profiles' */
#define SR_DEFAULT_STEPS 50      /* Table S8's StableSR column */

/* The config to inspect: the U-Net's, plus the ControlNet's or StableSR's
 * when present (then unet is StableSR's U-Net without its SPADEs). */
typedef struct inspect_config {
    unet_config unet;
    bool has_controlnet;
    controlnet_config cn;
    bool has_sr;
    stablesr_config sr;
} inspect_config;

static int inspect_usage(FILE *f) {
    fprintf(f,
            "usage: i2i inspect --config sd15|sd21|ip2p|cldm_v15|stablesr|FILE|BUNDLE_DIR\n"
            "                   | --bundle DIR  [--json] [--size HxW] [--steps N]\n"
            "  cldm_v15 (or a control bundle): the SD-1.5 U-Net and its ControlNet\n"
            "  stablesr (or an upscale bundle): StableSR v2-512: the SD-2.1 U-Net, its\n"
            "        SPADEs and the time-aware encoder\n"
            "  --steps: the job's denoising steps for the per-job MACs (default 20 for\n"
            "        ControlNet, 50 for StableSR as in Table S8)\n"
            "  --bundle DIR: a model bundle (the same as --config DIR)\n"
            "  FILE: a JSON file with the LDM U-Net config keys, or a .safetensors file\n"
            "        whose __metadata__[\"config\"] holds them\n"
            "  --size: latent height x width for the MAC counts (default 64x64)\n"
            "  prints parameters per depth level and, for each depth, the parameters\n"
            "  kept and the MACs of one U-Net call (batch 1, %d context tokens)\n",
            INSPECT_CONTEXT_LEN);
    return f == stdout ? 0 : 2;
}

static bool parse_size(const char *s, int *h, int *w) {
    char *end = NULL;
    errno = 0;
    long a = strtol(s, &end, 10);
    if (errno || end == s || (*end != 'x' && *end != 'X')) return false;
    const char *rest = end + 1;
    long b = strtol(rest, &end, 10);
    if (errno || end == rest || *end || a < 1 || b < 1 || a > UNET_COST_MAX_SIDE ||
        b > UNET_COST_MAX_SIDE)
        return false;
    *h = (int)a;
    *w = (int)b;
    return true;
}

/* Returns 0 to go on, 2 for a usage error, -1 after printing --help. */
static int parse_inspect_args(int argc, char **argv, inspect_args *a) {
    *a = (inspect_args){.height = 64, .width = 64};
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        if (!strcmp(opt, "--help") || !strcmp(opt, "-h")) return inspect_usage(stdout) - 1;
        if (!strcmp(opt, "--json")) {
            a->json = true;
            continue;
        }
        if (strcmp(opt, "--config") && strcmp(opt, "--bundle") && strcmp(opt, "--size") &&
            strcmp(opt, "--steps")) {
            fprintf(stderr, "i2i inspect: unknown option '%s'\n", opt);
            return inspect_usage(stderr);
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "i2i inspect: option %s needs a value\n", opt);
            return 2;
        }
        const char *val = argv[++i];
        if (!strcmp(opt, "--config") || !strcmp(opt, "--bundle")) {
            a->config = val;
            a->bundle = !strcmp(opt, "--bundle");
        } else if (!strcmp(opt, "--steps")) {
            char *end;
            long n = strtol(val, &end, 10);
            if (*end || end == val || n < 1 || n > 1000) {
                fprintf(stderr, "i2i inspect: --steps must be 1..1000, got '%s'\n", val);
                return 2;
            }
            a->steps = (int)n;
        } else if (!parse_size(val, &a->height, &a->width)) {
            fprintf(stderr, "i2i inspect: --size must be HxW with sides 1..%d, got '%s'\n",
                    UNET_COST_MAX_SIDE, val);
            return 2;
        }
    }
    if (!a->config) {
        fprintf(stderr, "i2i inspect: --config or --bundle is required\n");
        return inspect_usage(stderr);
    }
    return 0;
}

static bool has_suffix(const char *s, const char *suffix) {
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && !strcmp(s + ls - lx, suffix);
}

static bool config_from_safetensors(const char *path, unet_config *cfg, char *err, size_t n) {
    st_file *f = st_open(path, err, n);
    if (!f) return false;
    const char *json = st_metadata(f, "config");
    bool ok = json != NULL;
    if (!ok)
        snprintf(err, n, "%s: no __metadata__[\"config\"] with the U-Net config", path);
    else
        ok = unet_config_from_json(json, cfg, err, n);
    st_close(f);
    return ok;
}

static bool config_from_json_file(const char *path, unet_config *cfg, char *err, size_t n) {
    size_t len = 0;
    uint8_t *data = file_read_all(path, INSPECT_MAX_JSON, &len, err, n);
    if (!data) return false;
    char *text = malloc(len + 1); /* NUL-terminated copy for the JSON parser */
    bool ok = text != NULL;
    if (!ok) {
        snprintf(err, n, "%s: out of memory", path);
    } else {
        memcpy(text, data, len);
        text[len] = '\0';
        ok = unet_config_from_json(text, cfg, err, n);
    }
    free(text);
    free(data);
    return ok;
}

/* StableSR: the tables above its section are of the U-Net without SPADE. */
static void use_stablesr(inspect_config *ic) {
    ic->has_sr = true;
    ic->unet = ic->sr.unet;
    ic->unet.spade_channels = 0;
    ic->unet.spade_hidden = 0;
}

/* A bundle directory: StableSR's parts for an upscale bundle, else the
 * U-Net and, for a control bundle, the ControlNet. */
static bool load_bundle_config(const char *dir, inspect_config *ic, char *err, size_t errlen) {
    if (!inspect_stablesr_bundle_config(dir, &ic->sr, &ic->has_sr, err, errlen)) return false;
    if (ic->has_sr) return use_stablesr(ic), true;
    return bundle_read_unet_config(dir, &ic->unet, err, errlen) &&
           bundle_read_controlnet_config(dir, &ic->cn, &ic->has_controlnet, err, errlen);
}

/* The U-Net config named by --config: a preset, a bundle directory, a
 * .safetensors weight file with the config in its metadata, or a JSON
 * config file (presets first, as before bundles). --bundle takes a
 * directory only. */
static bool inspect_load_config(const char *arg, bool bundle_only, inspect_config *ic, char *err,
                                size_t errlen) {
    unet_config *cfg = &ic->unet;
    memset(ic, 0, sizeof *ic);
    struct stat st;
    const bool is_dir = stat(arg, &st) == 0 && S_ISDIR(st.st_mode);
    if (bundle_only) {
        if (is_dir) return load_bundle_config(arg, ic, err, errlen);
        return snprintf(err, errlen, "--bundle: '%s' is not a bundle directory", arg), false;
    }
    if (!strcmp(arg, "cldm_v15")) {
        controlnet_config_cldm_v15(&ic->cn);
        ic->has_controlnet = true;
        *cfg = ic->cn.unet;
        return true;
    }
    if (!strcmp(arg, "stablesr")) {
        stablesr_config_v2_512(&ic->sr);
        return use_stablesr(ic), true;
    }
    if (unet_config_preset(arg, cfg)) return true;
    if (is_dir) return load_bundle_config(arg, ic, err, errlen);
    if (has_suffix(arg, ".safetensors")) return config_from_safetensors(arg, cfg, err, errlen);
    /* The file's own error goes after a line saying what was tried. */
    int k = snprintf(err, errlen,
                     "'%s' is not a preset (sd15, sd21, ip2p, cldm_v15, stablesr) nor a usable "
                     "config file: ",
                     arg);
    if (k < 0 || (size_t)k >= errlen) k = 0;
    return config_from_json_file(arg, cfg, err + k, errlen - (size_t)k);
}

static double percent(int64_t part, int64_t whole) {
    return whole > 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

static void print_config_json(const unet_config *c) {
    printf("{\"in_channels\":%d,\"out_channels\":%d,\"model_channels\":%d,\"channel_mult\":[",
           c->in_channels, c->out_channels, c->model_channels);
    for (int i = 0; i < c->n_levels; i++)
        printf("%s%d", i ? "," : "", c->channel_mult[i]);
    printf("],\"num_res_blocks\":%d,\"attention_resolutions\":[", c->num_res_blocks);
    for (int i = 0; i < c->n_attention_resolutions; i++)
        printf("%s%d", i ? "," : "", c->attention_resolutions[i]);
    printf("],\"num_heads\":%d,\"num_head_channels\":%d,\"context_dim\":%d,"
           "\"transformer_depth\":%d,\"use_linear_in_transformer\":%s}",
           c->num_heads, c->num_head_channels, c->context_dim, c->transformer_depth,
           c->use_linear_in_transformer ? "true" : "false");
}

static void print_json(const unet_config *cfg, const unet_param_profile *pp,
                       const unet_cost_profile *cp) {
    const int64_t base = unet_param_profile_levels_sum(pp);
    printf("{\"config\":");
    print_config_json(cfg);
    printf(",\"total_params\":%" PRId64 ",\"shared_params\":%" PRId64 ",\"levels\":[", pp->total,
           pp->shared);
    int64_t cum = 0;
    for (int d = 1; d <= pp->n_depths; d++) {
        cum += pp->level[d];
        printf("%s{\"level\":%d,\"params\":%" PRId64 ",\"share\":%.6f,\"cumulative\":%.6f}",
               d > 1 ? "," : "", d, pp->level[d], percent(pp->level[d], base), percent(cum, base));
    }
    printf("],\"latent\":{\"h\":%d,\"w\":%d},\"context_len\":%d,\"batch\":1,\"depths\":[",
           cp->height, cp->width, cp->context_len);
    for (int d = pp->n_depths; d >= 1; d--) {
        const unet_macs m = unet_cost_at_depth(cp, d);
        const int64_t kept = unet_param_profile_kept(pp, d);
        printf("%s{\"depth\":%d,\"params_kept\":%" PRId64 ",\"kept_share\":%.6f,"
               "\"macs_conv_linear\":%" PRId64 ",\"macs_attention\":%" PRId64
               ",\"macs_total\":%" PRId64 "}",
               d < pp->n_depths ? "," : "", d, kept, percent(kept, pp->total),
               unet_macs_conv_linear(m), m.attn, unet_macs_total(m));
    }
    printf("]");
}

static void print_levels_table(const unet_param_profile *pp) {
    const int64_t base = unet_param_profile_levels_sum(pp);
    printf("parameters: %" PRId64 " (depth levels %" PRId64 ", time_embed + out %" PRId64
           " run at every depth)\n\n",
           pp->total, base, pp->shared);
    printf("level  parameters   share %%  cumulative %%\n");
    int64_t cum = 0;
    for (int d = 1; d <= pp->n_depths; d++) {
        cum += pp->level[d];
        printf("D%02d   %11" PRId64 "  %7.2f  %12.2f\n", d, pp->level[d],
               percent(pp->level[d], base), percent(cum, base));
    }
    printf("(shares of the sum over the levels, as in Table S7)\n\n");
}

static void print_depths_table(const unet_param_profile *pp, const unet_cost_profile *cp) {
    printf("per U-Net call, latent %dx%d, batch 1, %d context tokens (GMACs = 1e9 MACs):\n",
           cp->height, cp->width, cp->context_len);
    printf("depth  params kept  kept %%  conv+linear GMACs  attention GMACs  total GMACs\n");
    for (int d = pp->n_depths; d >= 1; d--) {
        const unet_macs m = unet_cost_at_depth(cp, d);
        const int64_t kept = unet_param_profile_kept(pp, d);
        printf("D%02d   %11" PRId64 "  %6.2f  %17.3f  %15.3f  %11.3f\n", d, kept,
               percent(kept, pp->total), (double)unet_macs_conv_linear(m) / 1e9,
               (double)m.attn / 1e9, (double)unet_macs_total(m) / 1e9);
    }
}

/* The costs of the task's own network, when the config has one. */
static bool compute_extra(const inspect_args *a, const inspect_config *ic, controlnet_cost *cc,
                          stablesr_cost *sc, char *err, size_t errlen) {
    if (ic->has_controlnet)
        return controlnet_cost_compute(&ic->cn, a->height, a->width, INSPECT_CONTEXT_LEN, cc, err,
                                       errlen);
    if (ic->has_sr)
        return stablesr_cost_compute(&ic->sr, a->height, a->width, INSPECT_CONTEXT_LEN, sc, err,
                                     errlen);
    return true;
}

static void print_extra(const inspect_args *a, const inspect_config *ic, const controlnet_cost *cc,
                        const stablesr_cost *sc, const unet_cost_profile *cp) {
    if (ic->has_controlnet)
        inspect_print_control(cc, cp, a->steps ? a->steps : CONTROL_DEFAULT_STEPS, a->json);
    if (ic->has_sr) inspect_print_stablesr(sc, a->steps ? a->steps : SR_DEFAULT_STEPS, a->json);
}

int cmd_inspect(int argc, char **argv) {
    inspect_args a;
    int rc = parse_inspect_args(argc, argv, &a);
    if (rc) return rc < 0 ? 0 : rc;
    inspect_config ic;
    unet_param_profile pp;
    unet_cost_profile cp;
    controlnet_cost cc;
    stablesr_cost sc;
    char err[512];
    if (!inspect_load_config(a.config, a.bundle, &ic, err, sizeof err) ||
        !unet_param_profile_compute(&ic.unet, &pp, err, sizeof err) ||
        !unet_cost_profile_compute(&ic.unet, a.height, a.width, INSPECT_CONTEXT_LEN, &cp, err,
                                   sizeof err) ||
        !compute_extra(&a, &ic, &cc, &sc, err, sizeof err)) {
        fprintf(stderr, "i2i inspect: %s\n", err);
        return 2;
    }
    if (a.json) {
        print_json(&ic.unet, &pp, &cp);
        print_extra(&a, &ic, &cc, &sc, &cp);
    } else {
        print_levels_table(&pp);
        print_depths_table(&pp, &cp);
        print_extra(&a, &ic, &cc, &sc, &cp);
    }
    if (a.bundle && !inspect_print_memory(a.config, a.json, err, sizeof err)) {
        fprintf(stderr, "i2i inspect: %s\n", err);
        return 2;
    }
    if (a.json) printf("}\n");
    return fflush(stdout) == 0 ? 0 : 1;
}
