/* Depth-level map and per-level parameter counts of the LDM U-Net. */
#include "unet_params.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* If name is "<head>.<index>.<rest>", stores index and returns true. */
static bool block_index(const char *name, const char *head, int *index) {
    size_t len = strlen(head);
    if (strncmp(name, head, len) || name[len] != '.') return false;
    const char *p = name + len + 1;
    if (!isdigit((unsigned char)*p)) return false;
    long v = 0;
    for (; isdigit((unsigned char)*p); p++) {
        v = v * 10 + (*p - '0');
        if (v > 100000) return false;
    }
    if (*p != '.') return false;
    *index = (int)v;
    return true;
}

static bool has_head(const char *name, const char *head) {
    size_t len = strlen(head);
    return !strncmp(name, head, len) && name[len] == '.';
}

int unet_param_depth_level(const char *name, int n) {
    if (!name || n < 1) return -1;
    int i;
    if (block_index(name, "input_blocks", &i)) return i < n ? i + 1 : -1;
    if (block_index(name, "output_blocks", &i)) return i < n ? n - i : -1;
    if (has_head(name, "middle_block")) return n + 1;
    if (has_head(name, "time_embed") || has_head(name, "out")) return UNET_LEVEL_SHARED;
    return -1;
}

typedef struct count_ctx {
    unet_param_profile *p;
    int n_input_blocks;
    char bad[160]; /* first name without a level; empty when all were known */
} count_ctx;

static void count_param(void *user, const char *name, const int64_t *shape, int ndim) {
    count_ctx *c = user;
    int64_t numel = 1;
    for (int d = 0; d < ndim; d++)
        numel *= shape[d];
    int level = unet_param_depth_level(name, c->n_input_blocks);
    if (level < 0) {
        if (!c->bad[0]) snprintf(c->bad, sizeof c->bad, "%s", name);
        return;
    }
    if (level == UNET_LEVEL_SHARED)
        c->p->shared += numel;
    else
        c->p->level[level] += numel;
    c->p->total += numel;
}

bool unet_param_profile_compute(const unet_config *cfg, unet_param_profile *out, char *err,
                                size_t errlen) {
    memset(out, 0, sizeof *out);
    if (!cfg) return snprintf(err, errlen, "unet params: no config"), false;
    const int n = unet_config_n_input_blocks(cfg);
    if (n < 1 || n + 1 > UNET_MAX_DEPTH_LEVELS)
        return snprintf(err, errlen, "unet params: %d input blocks is out of range", n), false;
    count_ctx c = {.p = out, .n_input_blocks = n};
    if (!unet_params_foreach(cfg, "", count_param, &c, err, errlen)) return false;
    if (c.bad[0]) {
        snprintf(err, errlen, "unet params: no depth level for tensor '%s'", c.bad);
        return false;
    }
    out->n_depths = n + 1;
    return true;
}

int64_t unet_param_profile_kept(const unet_param_profile *p, int depth) {
    if (!p || depth < 1 || depth > p->n_depths) return -1;
    int64_t kept = p->shared;
    for (int d = 1; d <= depth; d++)
        kept += p->level[d];
    return kept;
}

int64_t unet_param_profile_levels_sum(const unet_param_profile *p) {
    return p->total - p->shared;
}
