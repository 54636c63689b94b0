/* `i2i eval controlnet`: ControlNet + U-Net on tensors named as in the
 * golden cn_tiny_io file (x_t, t, context, hint, control_scale) ->
 * control_00..control_NN (the full branch's residuals before scaling) and
 * eps_dDD (the U-Net at --depth with the scaled residuals, the branch
 * stopped after block D-1). One weight file holds both prefixes, as
 * ControlNet 1.0 checkpoints do. */
#include "controlnet.h"
#include "eval.h"
#include "safetensors.h"
#include "unet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_LEN 32 /* "control_" + any int + NUL, with room */

typedef struct cn_models {
    weights *w;
    unet *u;
    controlnet *cn;
} cn_models;

static bool open_models(const char *path, const char *config_path, cn_models *m, char *err,
                        size_t errlen) {
    memset(m, 0, sizeof *m);
    m->w = weights_open(path, err, errlen);
    char *json = m->w ? eval_config_text(m->w, path, config_path, err, errlen) : NULL;
    controlnet_config cfg;
    bool ok = json && controlnet_config_from_json(json, &cfg, err, errlen);
    free(json);
    if (ok) m->u = unet_create(m->w, "model.diffusion_model.", &cfg.unet, err, errlen);
    if (m->u) m->cn = controlnet_create(m->w, "control_model.", &cfg, err, errlen);
    return m->cn != NULL;
}

static void close_models(cn_models *m) {
    controlnet_free(m->cn);
    unet_free(m->u);
    if (m->w) weights_close(m->w);
}

/* Appends one tensor (its data copied out) to the output list. */
static bool add_output(st_tensor_out *outs, int64_t (*shapes)[4], char (*names)[NAME_LEN], int *n,
                       const char *name, ts_tensor *t) {
    if (!t) return false;
    float *data = malloc(sizeof(float) * (size_t)ts_numel(t));
    if (!data || !ts_to_floats(t, data, ts_numel(t))) {
        free(data);
        return false;
    }
    for (int d = 0; d < 4; d++)
        shapes[*n][d] = ts_dim(t, d);
    snprintf(names[*n], NAME_LEN, "%s", name);
    outs[*n] = (st_tensor_out){names[*n], shapes[*n], 4, data};
    (*n)++;
    return true;
}

static float control_scale(const weights *in) {
    float s = 1.0f;
    ts_tensor *t = weights_get(in, "control_scale");
    if (!t) ts_error_clear(); /* optional: 1 */
    return t && ts_to_floats(t, &s, 1) ? s : 1.0f;
}

static int run(const cn_models *m, const weights *in, const char *out_path, int depth) {
    enum { MAX_OUT = UNET_MAX_INPUT_BLOCKS + 2 };
    st_tensor_out outs[MAX_OUT];
    int64_t shapes[MAX_OUT][4];
    char names[MAX_OUT][NAME_LEN];
    int n = 0, full = unet_num_depths(m->u);
    ts_tensor *res[UNET_MAX_INPUT_BLOCKS + 1];
    ts_scope s = ts_scope_begin();
    ts_tensor *x = weights_get(in, "x_t"), *ctx = weights_get(in, "context");
    ts_tensor *hint = weights_get(in, "hint");
    float *t = x ? eval_read_timesteps(in, ts_dim(x, 0)) : NULL;
    bool ok = t && controlnet_forward(m->cn, x, hint, t, ctx, full, 1.0f, res);
    for (int k = 0; ok && k < full; k++) {
        char name[NAME_LEN];
        snprintf(name, sizeof name, "control_%02d", k);
        ok = add_output(outs, shapes, names, &n, name, res[k]);
    }
    ok = ok && controlnet_forward(m->cn, x, hint, t, ctx, depth, control_scale(in), res);
    char eps_name[NAME_LEN];
    snprintf(eps_name, sizeof eps_name, "eps_d%02d", depth);
    ok = ok &&
         add_output(outs, shapes, names, &n, eps_name, unet_forward(m->u, x, t, ctx, depth, res));
    char err[512] = "";
    if (!ok)
        fprintf(stderr, "i2i eval controlnet: %s\n", ts_failed() ? ts_last_error() : "failed");
    else if (!st_write(out_path, outs, n, NULL, err, sizeof err))
        fprintf(stderr, "i2i eval controlnet: %s\n", err), ok = false;
    for (int i = 0; i < n; i++)
        free((float *)outs[i].data);
    free(t);
    ts_scope_end(s);
    ts_error_clear();
    return ok ? 0 : 1;
}

int eval_controlnet(const char *weights_path, const char *inputs_path, const char *out_path,
                    int depth, const char *config_path) {
    char err[1024] = "";
    cn_models m;
    weights *in = NULL;
    int rc = 1;
    if (open_models(weights_path, config_path, &m, err, sizeof err) &&
        (in = weights_open(inputs_path, err, sizeof err)))
        rc = run(&m, in, out_path, depth > 0 ? depth : unet_num_depths(m.u));
    else
        fprintf(stderr, "i2i eval controlnet: %s\n", err);
    if (in) weights_close(in);
    close_models(&m);
    return rc;
}
