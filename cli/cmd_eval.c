/* i2i eval NET --weights W --inputs I --out O [--depth D] [--w W] [--config C]:
 * runs one network on tensors from a file, for checks against fixtures. */
#include "commands.h"
#include "eval.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct eval_args {
    const char *weights, *inputs, *out, *config;
    int depth;
    bool has_w;
    float w; /* cfw-decode's fusion weight */
} eval_args;

static int eval_usage(FILE *f) {
    fprintf(f, "usage: i2i eval unet|controlnet|stablesr|vae-encode|vae-decode|cfw-decode|\n"
               "                clip-text --weights W.safetensors\n"
               "                --inputs IN.safetensors --out OUT.safetensors [--depth D]\n"
               "                [--w W] [--config C.json]\n"
               "outputs: unet -> eps, controlnet -> control_00..NN and eps_dDD,\n"
               "         stablesr -> struct_0..N and eps_dDD (every depth without --depth),\n"
               "         vae-encode -> mean, vae-decode -> decoded,\n"
               "         cfw-decode -> moments, enc_feat_*, lr_latent (from lr_image, noise)\n"
               "                       and decoded_wNN from z (w 0, 0.5, 1 without --w),\n"
               "         clip-text -> last_hidden_state\n");
    return f == stdout ? 0 : 2;
}

static int parse_eval_args(int argc, char **argv, eval_args *a) {
    memset(a, 0, sizeof *a);
    a->depth = 0; /* 0 = full depth */
    for (int i = 2; i < argc; i++) {
        const char *opt = argv[i];
        if (!strcmp(opt, "--help")) return eval_usage(stdout) - 1;
        if (i + 1 >= argc) {
            fprintf(stderr, "i2i eval: option %s needs a value\n", opt);
            return 2;
        }
        const char *val = argv[++i];
        if (!strcmp(opt, "--weights"))
            a->weights = val;
        else if (!strcmp(opt, "--inputs"))
            a->inputs = val;
        else if (!strcmp(opt, "--out"))
            a->out = val;
        else if (!strcmp(opt, "--config"))
            a->config = val;
        else if (!strcmp(opt, "--depth")) {
            char *end;
            long d = strtol(val, &end, 10);
            if (*end || d < 1 || d > 64) {
                fprintf(stderr, "i2i eval: --depth must be a positive integer, got '%s'\n", val);
                return 2;
            }
            a->depth = (int)d;
        } else if (!strcmp(opt, "--w")) {
            char *end;
            double w = strtod(val, &end);
            if (*end || end == val || !(w >= 0 && w <= 1)) {
                fprintf(stderr, "i2i eval: --w must be a number in [0, 1], got '%s'\n", val);
                return 2;
            }
            a->w = (float)w;
            a->has_w = true;
        } else {
            fprintf(stderr, "i2i eval: unknown option %s\n", opt);
            return 2;
        }
    }
    if (!a->weights || !a->inputs || !a->out) {
        fprintf(stderr, "i2i eval: --weights, --inputs and --out are required\n");
        return 2;
    }
    return 0;
}

int cmd_eval(int argc, char **argv) {
    if (argc < 2) return eval_usage(stderr);
    if (!strcmp(argv[1], "--help")) return eval_usage(stdout);
    eval_args a;
    int rc = parse_eval_args(argc, argv, &a);
    if (rc) return rc < 0 ? 0 : rc;
    const char *net = argv[1];
    if (!strcmp(net, "unet")) return eval_unet(a.weights, a.inputs, a.out, a.depth, a.config);
    if (!strcmp(net, "controlnet"))
        return eval_controlnet(a.weights, a.inputs, a.out, a.depth, a.config);
    if (!strcmp(net, "stablesr"))
        return eval_stablesr(a.weights, a.inputs, a.out, a.depth, a.config);
    if (!strcmp(net, "cfw-decode"))
        return eval_cfw_decode(a.weights, a.inputs, a.out, a.has_w ? &a.w : NULL, a.config);
    if (!strcmp(net, "vae-encode")) return eval_vae_encode(a.weights, a.inputs, a.out, a.config);
    if (!strcmp(net, "vae-decode")) return eval_vae_decode(a.weights, a.inputs, a.out, a.config);
    if (!strcmp(net, "clip-text")) return eval_clip_text(a.weights, a.inputs, a.out, a.config);
    fprintf(stderr, "i2i eval: unknown network '%s'\n", net);
    return eval_usage(stderr);
}
