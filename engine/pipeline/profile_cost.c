/* Per-job cost of each profile from the U-Net's own accounting
 * (unet_params.h, unet_cost.h) -- plus, for a control bundle, the ControlNet
 * branch as the engine runs it (controlnet_cost.h) -- and the speed-up
 * against its baseline. */
#include "profile.h"
#include "bundle.h"
#include "controlnet_cost.h"
#include "unet_cost.h"
#include "unet_params.h"

#include <stdio.h>
#include <string.h>

#define CLIP_CONTEXT_LEN 77

static int profile_cost_fill(profile *p, const unet_param_profile *params,
                             const unet_cost_profile *macs, const controlnet_cost *cn, char *err,
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
    if (cn) c->macs_per_unet_call += (double)unet_macs_total(cn->run[p->depth]);
    c->unet_evals_per_job = p->steps * evals;
    c->macs_per_job = c->macs_per_unet_call * c->unet_evals_per_job;
    c->latent_width = macs->width;
    c->latent_height = macs->height;
    c->known = true;
    return 0;
}

/* Fills the profiles of `task` (NULL: all). */
static int compute_cost(profile_set *set, const unet_config *cfg, const controlnet_cost *cn,
                        const char *task, int latent_w, int latent_h, char *err, size_t errlen) {
    unet_param_profile params;
    unet_cost_profile macs;
    if (!unet_param_profile_compute(cfg, &params, err, errlen) ||
        !unet_cost_profile_compute(cfg, latent_h, latent_w, CLIP_CONTEXT_LEN, &macs, err, errlen))
        return -1;
    for (int i = 0; i < set->count; i++)
        if ((!task || !strcmp(set->items[i].task, task)) &&
            profile_cost_fill(&set->items[i], &params, &macs, cn, err, errlen))
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

int profile_set_compute_cost_for_bundle(profile_set *set, const i2i_bundle *b, int image_w,
                                        int image_h, char *err, size_t errlen) {
    int align = 8 << (b->unet_cfg.n_levels - 1); /* VAE factor x U-Net downsampling */
    if (image_w < 1 || image_h < 1) return snprintf(err, errlen, "bad image size"), -1;
    int lw = (image_w + align - 1) / align * align / 8,
        lh = (image_h + align - 1) / align * align / 8;
    if (!b->controlnet) return compute_cost(set, &b->unet_cfg, NULL, b->task, lw, lh, err, errlen);
    controlnet_cost cn;
    if (!controlnet_cost_compute(&b->cn_cfg, lh, lw, CLIP_CONTEXT_LEN, &cn, err, errlen)) return -1;
    return compute_cost(set, &b->unet_cfg, &cn, b->task, lw, lh, err, errlen);
}

int profile_set_compute_cost(profile_set *set, const unet_config *cfg, int latent_w, int latent_h,
                             char *err, size_t errlen) {
    return compute_cost(set, cfg, NULL, NULL, latent_w, latent_h, err, errlen);
}
