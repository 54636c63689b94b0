/* U-Net configuration: presets and the LDM JSON config keys. */
#include "unet_config.h"
#include "config_json.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static void set_sd1(unet_config *c) {
    memset(c, 0, sizeof *c);
    c->in_channels = 4;
    c->out_channels = 4;
    c->model_channels = 320;
    c->n_levels = 4;
    const int mult[4] = {1, 2, 4, 4};
    memcpy(c->channel_mult, mult, sizeof mult);
    c->num_res_blocks = 2;
    c->n_attention_resolutions = 3;
    const int attn[3] = {4, 2, 1};
    memcpy(c->attention_resolutions, attn, sizeof attn);
    c->num_heads = 8;
    c->num_head_channels = -1;
    c->context_dim = 768;
    c->transformer_depth = 1;
    c->use_linear_in_transformer = false;
}

bool unet_config_preset(const char *name, unet_config *out) {
    if (!name) return false;
    set_sd1(out);
    if (!strcmp(name, "sd15")) return true;
    if (!strcmp(name, "ip2p")) return out->in_channels = 8, true;
    if (!strcmp(name, "sd21")) {
        out->num_heads = -1;
        out->num_head_channels = 64;
        out->context_dim = 1024;
        out->use_linear_in_transformer = true;
        return true;
    }
    return false;
}

static bool check_config(const unet_config *c, char *err, size_t n) {
    if (c->in_channels < 1 || c->out_channels < 1 || c->model_channels < 1 ||
        c->model_channels > 4096 || c->num_res_blocks < 1 || c->num_res_blocks > 8 ||
        c->n_levels < 1 || c->context_dim < 1 || c->transformer_depth < 1)
        return snprintf(err, n, "unet config: sizes must be positive"), false;
    if ((c->num_heads < 1) == (c->num_head_channels < 1))
        return snprintf(err, n, "unet config: set exactly one of num_heads, num_head_channels"),
               false;
    for (int i = 0; i < c->n_levels; i++) {
        int ch = c->model_channels * c->channel_mult[i];
        int heads, dim;
        unet_config_heads(c, ch, &heads, &dim);
        if (ch % 32 != 0)
            return snprintf(err, n, "unet config: widths must be multiples of 32 (GroupNorm)"),
                   false;
        if (heads < 1 || heads * dim != ch)
            return snprintf(err, n, "unet config: width %d is not divisible into heads", ch), false;
    }
    return true;
}

bool unet_config_from_json(const char *text, unet_config *out, char *err, size_t n) {
    json_t *o = config_json_object(text, "unet", err, n);
    if (!o) return false;
    memset(out, 0, sizeof *out);
    out->num_heads = -1;
    out->num_head_channels = -1;
    out->transformer_depth = 1;
    json_t *lin = json_object_get(o, "use_linear_in_transformer");
    out->use_linear_in_transformer = json_is_true(lin);
    bool ok =
        config_json_int(o, "unet", "in_channels", &out->in_channels, true, err, n) &&
        config_json_int(o, "unet", "out_channels", &out->out_channels, true, err, n) &&
        config_json_int(o, "unet", "model_channels", &out->model_channels, true, err, n) &&
        config_json_int(o, "unet", "num_res_blocks", &out->num_res_blocks, true, err, n) &&
        config_json_int(o, "unet", "context_dim", &out->context_dim, true, err, n) &&
        config_json_int(o, "unet", "num_heads", &out->num_heads, false, err, n) &&
        config_json_int(o, "unet", "num_head_channels", &out->num_head_channels, false, err, n) &&
        config_json_int(o, "unet", "transformer_depth", &out->transformer_depth, false, err, n) &&
        config_json_int_list(o, "unet", "channel_mult", out->channel_mult, UNET_MAX_LEVELS,
                             &out->n_levels, err, n) &&
        config_json_int_list(o, "unet", "attention_resolutions", out->attention_resolutions,
                             UNET_MAX_LEVELS, &out->n_attention_resolutions, err, n);
    json_decref(o);
    /* LDM writes -1 for "unused"; a config may carry both, the heads count wins
     * only when head channels are unset. */
    if (ok && out->num_head_channels > 0) out->num_heads = -1;
    return ok && check_config(out, err, n);
}

int unet_config_n_input_blocks(const unet_config *c) {
    return 1 + c->n_levels * c->num_res_blocks + (c->n_levels - 1);
}

void unet_config_heads(const unet_config *c, int channels, int *heads, int *head_dim) {
    if (c->num_head_channels > 0) {
        *head_dim = c->num_head_channels;
        *heads = channels / c->num_head_channels;
    } else {
        *heads = c->num_heads;
        *head_dim = c->num_heads > 0 ? channels / c->num_heads : 0;
    }
}
