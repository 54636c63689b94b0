/* StableSR denoiser: the SFT U-Net and the time-aware encoder together. */
#include "stablesr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STABLESR_SPADE_HIDDEN 128 /* literal in StableSR's spade.py */

struct stablesr {
    stablesr_config cfg;
    unet *u;
    sr_encoder *enc;
};

void stablesr_config_v2_512(stablesr_config *out) {
    memset(out, 0, sizeof *out);
    unet_config_preset("sd21", &out->unet);
    sr_encoder_config_stablesr(&out->encoder);
    out->unet.spade_channels = out->encoder.out_channels;
    out->unet.spade_hidden = STABLESR_SPADE_HIDDEN;
}

bool stablesr_config_from_weights(const weights *w, stablesr_config *out, char *err,
                                  size_t errlen) {
    memset(out, 0, sizeof *out);
    const char *uj = weights_metadata(w, "unet_config"),
               *ej = weights_metadata(w, "encoder_config");
    if (!uj || !ej)
        return snprintf(err, errlen, "stablesr: metadata needs unet_config and encoder_config"),
               false;
    if (!unet_config_from_json(uj, &out->unet, err, errlen) ||
        !sr_encoder_config_from_json(ej, &out->encoder, err, errlen))
        return false;
    out->unet.spade_channels = out->encoder.out_channels;
    return true;
}

bool stablesr_params_foreach(const stablesr_config *cfg, param_fn fn, void *user, char *err,
                             size_t errlen) {
    return unet_params_foreach(&cfg->unet, STABLESR_UNET_PREFIX, fn, user, err, errlen) &&
           sr_encoder_params_foreach(&cfg->encoder, STABLESR_ENCODER_PREFIX, fn, user, err, errlen);
}

stablesr *stablesr_create(const weights *w, const stablesr_config *cfg, char *err, size_t errlen) {
    if (cfg->unet.spade_channels != cfg->encoder.out_channels) {
        snprintf(err, errlen, "stablesr: U-Net spade_channels %d != encoder out_channels %d",
                 cfg->unet.spade_channels, cfg->encoder.out_channels);
        return NULL;
    }
    stablesr *s = calloc(1, sizeof *s);
    if (!s) return snprintf(err, errlen, "stablesr: out of memory"), NULL;
    s->cfg = *cfg;
    s->u = unet_create(w, STABLESR_UNET_PREFIX, &cfg->unet, err, errlen);
    s->enc =
        s->u ? sr_encoder_create(w, STABLESR_ENCODER_PREFIX, &cfg->encoder, err, errlen) : NULL;
    if (!s->enc) {
        stablesr_free(s);
        return NULL;
    }
    return s;
}

void stablesr_free(stablesr *s) {
    if (!s) return;
    unet_free(s->u);
    sr_encoder_free(s->enc);
    free(s);
}

void stablesr_get_config(const stablesr *s, stablesr_config *out) {
    *out = s->cfg;
    out->unet = *unet_get_config(s->u);
}

const unet *stablesr_unet(const stablesr *s) {
    return s->u;
}

const sr_encoder *stablesr_encoder(const stablesr *s) {
    return s->enc;
}

ts_tensor *stablesr_eps(const stablesr *s, ts_tensor *x, const float *t, ts_tensor *context,
                        ts_tensor *lr_latent, int depth) {
    ts_scope sc = ts_scope_begin();
    ts_tensor *feats[SR_ENCODER_MAX_FEATS];
    /* The encoder is never pruned: every kept SPADE needs its width's map. */
    if (!sr_encoder_forward(s->enc, lr_latent, t, feats)) {
        ts_scope_end(sc);
        return NULL;
    }
    ts_tensor *eps =
        unet_forward_sft(s->u, x, t, context, depth, feats, sr_encoder_num_feats(s->enc));
    return ts_scope_end_keep(sc, eps);
}
