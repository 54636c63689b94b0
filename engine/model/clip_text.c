/* CLIP text transformer forward on the tensor shim; the layout comes from
 * clip_params.c. */
#include "clip_text.h"
#include "weight_binding.h"

#include <stdio.h>
#include <stdlib.h>

#define CLIP_LN_EPS 1e-5

struct clip_text {
    clip_text_config cfg;
    clip_text_tensors t;
};

clip_text *clip_text_create(const weights *w, const char *prefix, const clip_text_config *c,
                            char *err, size_t errlen) {
    if (!w || !c) {
        snprintf(err, errlen, "clip: no weights or config");
        return NULL;
    }
    if (!clip_text_config_check(c, err, errlen)) return NULL;
    if (ts_failed()) { /* the walk stops at the first error; don't blame an old one on it */
        snprintf(err, errlen, "clip: earlier tensor error pending: %s", ts_last_error());
        return NULL;
    }
    clip_text *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, errlen, "clip: out of memory");
        return NULL;
    }
    m->cfg = *c;
    clip_text_tensors_walk(c, prefix, weight_bind_load, (void *)w, &m->t);
    if (ts_failed()) {
        snprintf(err, errlen, "clip: %s", ts_last_error());
        ts_error_clear();
        free(m);
        return NULL;
    }
    return m;
}

/* The tensors belong to the weight store; only the pointer cache is ours. */
void clip_text_free(clip_text *m) {
    free(m);
}

const clip_text_config *clip_text_get_config(const clip_text *m) {
    return &m->cfg;
}

static ts_tensor *linear(ts_tensor *x, const clip_wb *p) {
    return ts_linear(x, p->w, p->b);
}

static ts_tensor *layer_norm(ts_tensor *x, const clip_wb *p) {
    return ts_layer_norm(x, p->w, p->b, CLIP_LN_EPS);
}

/* Pre-LN block: x += attn(LN1 x) with a causal mask; x += MLP(LN2 x). */
static ts_tensor *layer(ts_tensor *x, const clip_layer *p, int heads) {
    ts_scope s = ts_scope_begin();
    ts_tensor *h = layer_norm(x, &p->layer_norm1);
    ts_tensor *a = ts_attention(linear(h, &p->q_proj), linear(h, &p->k_proj), linear(h, &p->v_proj),
                                heads, true);
    x = ts_add(x, linear(a, &p->out_proj));
    h = linear(ts_quick_gelu(linear(layer_norm(x, &p->layer_norm2), &p->fc1)), &p->fc2);
    return ts_scope_end_keep(s, ts_add(x, h));
}

static bool check_ids(const clip_text *m, const int64_t *ids, int batch) {
    if (!m || !ids || batch < 1) {
        ts_error_set("clip: need a model and at least one row of %d ids", CLIP_TEXT_CONTEXT);
        return false;
    }
    for (int64_t i = 0; i < (int64_t)batch * CLIP_TEXT_CONTEXT; i++) {
        if (ids[i] < 0 || ids[i] >= m->cfg.vocab_size) {
            ts_error_set("clip: token id %lld at row %lld position %lld is outside 0..%d",
                         (long long)ids[i], (long long)(i / CLIP_TEXT_CONTEXT),
                         (long long)(i % CLIP_TEXT_CONTEXT), m->cfg.vocab_size - 1);
            return false;
        }
    }
    return true;
}

/* Embeddings, then the first n_layers layers: [batch, 77, width]. */
static ts_tensor *residual_stream(const clip_text *m, const int64_t *ids, int batch, int n_layers) {
    const int64_t n = (int64_t)batch * CLIP_TEXT_CONTEXT;
    const int64_t shape[3] = {batch, CLIP_TEXT_CONTEXT, m->cfg.width};
    ts_tensor *tok = ts_reshape(ts_embedding(m->t.token_embedding, ids, n), shape, 3);
    ts_tensor *pos = ts_narrow(m->t.position_embedding, 0, 0, CLIP_TEXT_CONTEXT);
    ts_tensor *x = ts_add(tok, pos); /* [77, width] broadcasts over the batch */
    for (int i = 0; i < n_layers; i++)
        x = layer(x, &m->t.layer[i], m->cfg.heads);
    return x;
}

ts_tensor *clip_text_hidden(const clip_text *m, const int64_t *ids, int batch, int n_layers) {
    if (!check_ids(m, ids, batch)) return NULL;
    if (n_layers < 0 || n_layers > m->cfg.layers) {
        ts_error_set("clip: hidden state %d requested, model has %d layers", n_layers,
                     m->cfg.layers);
        return NULL;
    }
    ts_scope s = ts_scope_begin();
    return ts_scope_end_keep(s, residual_stream(m, ids, batch, n_layers));
}

ts_tensor *clip_text_forward(const clip_text *m, const int64_t *ids, int batch) {
    if (!check_ids(m, ids, batch)) return NULL;
    ts_scope s = ts_scope_begin();
    ts_tensor *x = residual_stream(m, ids, batch, m->cfg.layers);
    return ts_scope_end_keep(s, layer_norm(x, &m->t.final_layer_norm));
}
