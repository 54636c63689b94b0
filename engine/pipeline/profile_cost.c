/* Per-job cost of each profile from the U-Net's own accounting
 * (unet_params.h, unet_cost.h) -- plus what a task's own networks add to
 * every U-Net call: the ControlNet branch as the engine runs it
 * (controlnet_cost.h), or StableSR's SPADEs and time-aware encoder
 * (stablesr_cost.h) -- and the speed-up against its baseline. */
#include "profile.h"
#include "bundle.h"
#include "controlnet_cost.h"
#include "stablesr_cost.h"
#include "unet_cost.h"
#include "unet_params.h"

#include <stdio.h>
#include <string.h>

#define CLIP_CONTEXT_LEN 77

/* MACs a task's own networks add to one U-Net call at depth D ([D]). */
typedef struct extra_macs {
    double at[UNET_MAX_DEPTH_LEVELS + 1];
} extra_macs;

static int profile_cost_fill(profile *p, const unet_param_profile *params,
                             const unet_cost_profile *macs, const extra_macs *extra, char *err,
                             size_t errlen) {
    memset(&p->cost, 0, sizeof p->cost);
    int evals = i2i_task_unet_evals_per_step(p->task);
    if (evals == 0) return 0; /* a task without a cost model: cost stays unknown */
    if (p->depth > params->n_depths) {
        snprintf(err, errlen, "profile '%s': depth %d, but the model has depths 1..%d", p->name,
                 p->depth, params->n_depths);
        return -1;
    }
    profile_cost *c = &p->cost;
    c->params_total = params->total;
    c->params_kept = unet_param_profile_kept(params, p->depth);
    c->macs_per_unet_call = (double)unet_macs_total(unet_cost_at_depth(macs, p->depth));
    if (extra) c->macs_per_unet_call += extra->at[p->depth];
    c->unet_evals_per_job = p->steps * evals;
    c->macs_per_job = c->macs_per_unet_call * c->unet_evals_per_job;
    c->latent_width = macs->width;
    c->latent_height = macs->height;
    c->known = true;
    return 0;
}

/* Fills the profiles of `task` (NULL: all). cfg is the plain U-Net: its
 * parameters are the profile's; the task's networks come in extra. */
static int compute_cost(profile_set *set, const unet_config *cfg, const extra_macs *extra,
                        const char *task, int latent_w, int latent_h, char *err, size_t errlen) {
    unet_param_profile params;
    unet_cost_profile macs;
    if (!unet_param_profile_compute(cfg, &params, err, errlen) ||
        !unet_cost_profile_compute(cfg, latent_h, latent_w, CLIP_CONTEXT_LEN, &macs, err, errlen))
        return -1;
    for (int i = 0; i < set->count; i++)
        if ((!task || !strcmp(set->items[i].task, task)) &&
            profile_cost_fill(&set->items[i], &params, &macs, extra, err, errlen))
            return -1;
    for (int i = 0; i < set->count; i++) {
        profile *p = &set->items[i];
        if (task && strcmp(p->task, task)) continue;
        const profile *base = profile_set_find(set, p->baseline);
        if (base && base->cost.macs_per_job > 0 && p->cost.macs_per_job > 0)
            p->cost.speedup_vs_baseline = base->cost.macs_per_job / p->cost.macs_per_job;
    }
    return 0;
}

/* The ControlNet branch as run: stopped after block D-1. */
static bool control_extra(const i2i_bundle *b, int lw, int lh, extra_macs *extra, char *err,
                          size_t errlen) {
    controlnet_cost cn;
    if (!controlnet_cost_compute(&b->cn_cfg, lh, lw, CLIP_CONTEXT_LEN, &cn, err, errlen))
        return false;
    for (int d = 1; d <= cn.n_depths; d++)
        extra->at[d] = (double)unet_macs_total(cn.run[d]);
    return true;
}

/* The SPADEs of the kept ResBlocks and the whole encoder; *plain gets the
 * U-Net without SPADE, whose parameters the profiles quote (as the paper's
 * "U-Net parameters" do). */
static bool sr_extra(const i2i_bundle *b, int lw, int lh, extra_macs *extra, unet_config *plain,
                     char *err, size_t errlen) {
    stablesr_config cfg;
    stablesr_get_config(b->sr, &cfg); /* spade_hidden as read from the weights */
    stablesr_cost sc;
    if (!stablesr_cost_compute(&cfg, lh, lw, CLIP_CONTEXT_LEN, &sc, err, errlen)) return false;
    for (int d = 1; d <= sc.n_depths; d++)
        extra->at[d] = (double)unet_macs_total(stablesr_cost_extra(&sc, d));
    *plain = cfg.unet;
    plain->spade_channels = 0;
    plain->spade_hidden = 0;
    return true;
}

int profile_set_compute_cost_for_bundle(profile_set *set, const i2i_bundle *b, int image_w,
                                        int image_h, char *err, size_t errlen) {
    int align = 8 << (b->unet_cfg.n_levels - 1); /* VAE factor x U-Net downsampling */
    if (image_w < 1 || image_h < 1) return snprintf(err, errlen, "bad image size"), -1;
    int lw = (image_w + align - 1) / align * align / 8,
        lh = (image_h + align - 1) / align * align / 8;
    extra_macs extra = {{0}};
    unet_config cfg = b->unet_cfg;
    if (b->controlnet && !control_extra(b, lw, lh, &extra, err, errlen)) return -1;
    if (b->sr && !sr_extra(b, lw, lh, &extra, &cfg, err, errlen)) return -1;
    return compute_cost(set, &cfg, &extra, b->task, lw, lh, err, errlen);
}

int profile_set_compute_cost(profile_set *set, const unet_config *cfg, int latent_w, int latent_h,
                             char *err, size_t errlen) {
    return compute_cost(set, cfg, NULL, NULL, latent_w, latent_h, err, errlen);
}
