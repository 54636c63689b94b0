/* CFW VAE (AutoencoderKLResi) on the tensor shim. The VAE part reuses
 * vae.c's layout walk and blocks; this file adds the fusion layers' layout,
 * the feature-returning encoder and Decoder_Mix. */
#include "cfw_vae.h"
#include "config_json.h"
#include "weight_binding.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CFW_RDB_CONVS 5
#define CFW_LEAKY_SLOPE 0.2f /* ESRGAN's LeakyReLU */
#define CFW_RES_SCALE 0.2f   /* ESRGAN's residual scaling, in RDB and RRDB */

typedef struct cfw_rdb {
    vae_wb conv[CFW_RDB_CONVS];
} cfw_rdb;

typedef struct cfw_rrdb {
    cfw_rdb rdb[3];
} cfw_rrdb;

/* Fuse_sft_block_RRDB; the ResBlocks' 1x1 shortcut is called conv_out in
 * the checkpoint but computes what vae_resblock's nin_shortcut does. */
typedef struct cfw_fuse {
    vae_resblock enc1;
    cfw_rrdb rrdb[CFW_MAX_FUSE_BLOCKS];
    vae_resblock enc3;
} cfw_fuse;

typedef struct cfw_tensors {
    vae_tensors vae;
    cfw_fuse fuse[VAE_MAX_LEVELS]; /* used at levels 1 .. n_levels-2 */
} cfw_tensors;

struct cfw_vae {
    cfw_vae_config cfg;
    cfw_tensors t;
};

/* ---- configuration ---- */

void cfw_vae_config_stablesr(cfw_vae_config *c) {
    memset(c, 0, sizeof *c);
    vae_config_sd(&c->vae);
    c->num_fuse_block = 2;
    c->grow = 32;
}

bool cfw_vae_config_check(const cfw_vae_config *c, char *err, size_t errlen) {
    if (!vae_config_check(&c->vae, err, errlen)) return false;
    if (c->num_fuse_block < 1 || c->num_fuse_block > CFW_MAX_FUSE_BLOCKS) {
        snprintf(err, errlen, "cfw config: num_fuse_block must be 1..%d, got %d",
                 CFW_MAX_FUSE_BLOCKS, c->num_fuse_block);
        return false;
    }
    if (c->grow < 1 || c->grow > 4096) {
        snprintf(err, errlen, "cfw config: grow must be 1..4096, got %d", c->grow);
        return false;
    }
    return true;
}

bool cfw_vae_config_from_json(const char *json, cfw_vae_config *c, char *err, size_t errlen) {
    cfw_vae_config_stablesr(c);
    if (!vae_config_from_json(json, &c->vae, err, errlen)) return false;
    json_t *root = config_json_object(json, "cfw", err, errlen);
    if (!root) return false;
    json_t *v = json_object_get(root, "num_fuse_block"), *g = json_object_get(root, "grow");
    bool ok = (!v || json_is_integer(v)) && (!g || json_is_integer(g));
    if (ok && v) c->num_fuse_block = (int)json_integer_value(v);
    if (ok && g) c->grow = (int)json_integer_value(g);
    json_decref(root);
    if (!ok) {
        snprintf(err, errlen, "cfw config: \"num_fuse_block\" and \"grow\" must be integers");
        return false;
    }
    return cfw_vae_config_check(c, err, errlen);
}

/* The original encoder returns levels 1 and 2 and Decoder_Mix fuses levels
 * 1 .. n-2: the same set for SD's 4 levels; n-2 keeps both sides agreeing. */
int cfw_vae_num_feats(const cfw_vae_config *c) {
    return c->vae.n_levels > 2 ? c->vae.n_levels - 2 : 0;
}

/* ---- layout walk of the fusion layers ---- */

typedef struct walker {
    const char *prefix;
    vae_bind_fn bind;
    void *user;
} walker;

static void bind_conv(const walker *wk, vae_wb *out, const char *base, int cout, int cin, int k) {
    char name[512];
    const int64_t wshape[4] = {cout, cin, k, k};
    const int64_t bshape[1] = {cout};
    snprintf(name, sizeof name, "%s%s.weight", wk->prefix, base);
    out->w = wk->bind(wk->user, name, wshape, 4);
    snprintf(name, sizeof name, "%s%s.bias", wk->prefix, base);
    out->b = wk->bind(wk->user, name, bshape, 1);
}

static void bind_norm(const walker *wk, vae_wb *out, const char *base, int c) {
    char name[512];
    const int64_t shape[1] = {c};
    snprintf(name, sizeof name, "%s%s.weight", wk->prefix, base);
    out->w = wk->bind(wk->user, name, shape, 1);
    snprintf(name, sizeof name, "%s%s.bias", wk->prefix, base);
    out->b = wk->bind(wk->user, name, shape, 1);
}

static void bind_resblock(const walker *wk, vae_resblock *out, const char *base, int cin,
                          int cout) {
    char n[480];
    snprintf(n, sizeof n, "%s.norm1", base);
    bind_norm(wk, &out->norm1, n, cin);
    snprintf(n, sizeof n, "%s.conv1", base);
    bind_conv(wk, &out->conv1, n, cout, cin, 3);
    snprintf(n, sizeof n, "%s.norm2", base);
    bind_norm(wk, &out->norm2, n, cout);
    snprintf(n, sizeof n, "%s.conv2", base);
    bind_conv(wk, &out->conv2, n, cout, cout, 3);
    out->nin_shortcut = (vae_wb){NULL, NULL};
    if (cin != cout) {
        snprintf(n, sizeof n, "%s.conv_out", base);
        bind_conv(wk, &out->nin_shortcut, n, cout, cin, 1);
    }
}

/* Dense block: conv i sees x and the i-1 outputs before it. */
static void bind_rdb(const walker *wk, cfw_rdb *out, const char *base, int feat, int grow) {
    char n[480];
    for (int i = 0; i < CFW_RDB_CONVS; i++) {
        snprintf(n, sizeof n, "%s.conv%d", base, i + 1);
        int cout = i + 1 < CFW_RDB_CONVS ? grow : feat;
        bind_conv(wk, &out->conv[i], n, cout, feat + i * grow, 3);
    }
}

static void bind_fuse(const walker *wk, const cfw_vae_config *c, int level, cfw_fuse *out) {
    char n[400];
    int ch = c->vae.ch * c->vae.ch_mult[level];
    snprintf(n, sizeof n, "decoder.fusion_layer_%d.encode_enc_1", level);
    bind_resblock(wk, &out->enc1, n, 2 * ch, ch);
    for (int k = 0; k < c->num_fuse_block; k++) {
        for (int r = 0; r < 3; r++) {
            snprintf(n, sizeof n, "decoder.fusion_layer_%d.encode_enc_2.%d.rdb%d", level, k, r + 1);
            bind_rdb(wk, &out->rrdb[k].rdb[r], n, ch, c->grow);
        }
    }
    snprintf(n, sizeof n, "decoder.fusion_layer_%d.encode_enc_3", level);
    bind_resblock(wk, &out->enc3, n, ch, ch);
}

static void cfw_walk(const cfw_vae_config *c, const char *prefix, vae_bind_fn bind, void *user,
                     cfw_tensors *out) {
    memset(out, 0, sizeof *out);
    char err[256];
    if (!cfw_vae_config_check(c, err, sizeof err)) return; /* the arrays are sized by the check */
    const walker wk = {prefix ? prefix : "", bind, user};
    vae_tensors_walk(&c->vae, wk.prefix, bind, user, &out->vae);
    for (int l = 1; l <= cfw_vae_num_feats(c); l++)
        bind_fuse(&wk, c, l, &out->fuse[l]);
}

void cfw_vae_params_foreach(const cfw_vae_config *c, const char *prefix, param_fn fn, void *user) {
    weight_lister ctx = {fn, user};
    static _Thread_local cfw_tensors scratch; /* ~30 kB: kept off the stack; nothing is bound */
    cfw_walk(c, prefix, weight_bind_list, &ctx, &scratch);
}

/* ---- loading ---- */

cfw_vae *cfw_vae_create(const weights *w, const char *prefix, const cfw_vae_config *c, char *err,
                        size_t errlen) {
    if (!w || !c) {
        snprintf(err, errlen, "cfw: no weights or config");
        return NULL;
    }
    if (!cfw_vae_config_check(c, err, errlen)) return NULL;
    if (ts_failed()) { /* the walk stops at the first error; don't blame an old one on it */
        snprintf(err, errlen, "cfw: earlier tensor error pending: %s", ts_last_error());
        return NULL;
    }
    cfw_vae *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, errlen, "cfw: out of memory");
        return NULL;
    }
    m->cfg = *c;
    cfw_walk(c, prefix, weight_bind_load, (void *)w, &m->t);
    if (ts_failed()) {
        snprintf(err, errlen, "cfw: %s", ts_last_error());
        ts_error_clear();
        free(m);
        return NULL;
    }
    return m;
}

/* The tensors belong to the weight store; only the pointer cache is ours. */
void cfw_vae_free(cfw_vae *m) {
    free(m);
}

const cfw_vae_config *cfw_vae_get_config(const cfw_vae *m) {
    return &m->cfg;
}

/* ---- fusion blocks ---- */

static ts_tensor *conv(ts_tensor *x, const vae_wb *p, int stride, int padding) {
    return ts_conv2d(x, p->w, p->b, stride, padding);
}

/* LeakyReLU(0.2) from the shim's ops: relu(x) - 0.2 relu(-x) is x or 0.2x
 * with a single rounding, as torch computes it. */
static ts_tensor *leaky_relu(ts_tensor *x) {
    return ts_add_scaled(ts_relu(x), ts_relu(ts_mul_scalar(x, -1.0f)), -CFW_LEAKY_SLOPE);
}

static ts_tensor *rdb(ts_tensor *x, const cfw_rdb *p) {
    ts_scope s = ts_scope_begin();
    ts_tensor *dense[CFW_RDB_CONVS + 1] = {x};
    for (int i = 0; i + 1 < CFW_RDB_CONVS; i++)
        dense[i + 1] = leaky_relu(conv(ts_cat(dense, i + 1, 1), &p->conv[i], 1, 1));
    ts_tensor *out = conv(ts_cat(dense, CFW_RDB_CONVS, 1), &p->conv[CFW_RDB_CONVS - 1], 1, 1);
    return ts_scope_end_keep(s, ts_add_scaled(x, out, CFW_RES_SCALE));
}

static ts_tensor *rrdb(ts_tensor *x, const cfw_rrdb *p) {
    ts_scope s = ts_scope_begin();
    ts_tensor *h = rdb(rdb(rdb(x, &p->rdb[0]), &p->rdb[1]), &p->rdb[2]);
    return ts_scope_end_keep(s, ts_add_scaled(x, h, CFW_RES_SCALE));
}

/* dec + w * fuse(cat(enc, dec)). */
static ts_tensor *fuse(const cfw_fuse *p, int n_rrdb, ts_tensor *enc, ts_tensor *dec, float w) {
    ts_scope s = ts_scope_begin();
    ts_tensor *parts[2] = {enc, dec};
    ts_tensor *f = vae_resblock_forward(ts_cat(parts, 2, 1), &p->enc1);
    for (int k = 0; k < n_rrdb; k++)
        f = rrdb(f, &p->rrdb[k]);
    f = vae_resblock_forward(f, &p->enc3);
    return ts_scope_end_keep(s, ts_add_scaled(dec, f, w));
}

/* ---- coders ---- */

static ts_tensor *run_encoder(const cfw_vae *m, ts_tensor *x, ts_tensor **feats) {
    const vae_coder *e = &m->t.vae.encoder;
    const int n = m->cfg.vae.n_levels;
    ts_tensor *h = conv(x, &e->conv_in, 1, 1);
    for (int l = 0; l < n; l++) {
        const vae_level *lv = &e->level[l];
        for (int j = 0; j < lv->n_blocks; j++)
            h = vae_resblock_forward(h, &lv->block[j]);
        if (l >= 1 && l <= n - 2) feats[l - 1] = h; /* before the level's Downsample */
        if (lv->resample.w) h = vae_downsample_forward(h, &lv->resample);
    }
    return vae_head_out_forward(vae_mid_forward(h, &e->mid), e);
}

/* w == 0 skips the fusion layers: h + 0*f is h for any finite f. */
static ts_tensor *run_decoder(const cfw_vae *m, ts_tensor *z, ts_tensor *const *feats, float w) {
    const vae_coder *d = &m->t.vae.decoder;
    const int n = m->cfg.vae.n_levels;
    ts_tensor *h = vae_mid_forward(conv(z, &d->conv_in, 1, 1), &d->mid);
    for (int l = n - 1; l >= 0; l--) {
        const vae_level *lv = &d->level[l];
        for (int j = 0; j < lv->n_blocks; j++)
            h = vae_resblock_forward(h, &lv->block[j]);
        if (w != 0.0f && l >= 1 && l <= n - 2)
            h = fuse(&m->t.fuse[l], m->cfg.num_fuse_block, feats[l - 1], h, w);
        if (lv->resample.w) h = vae_upsample_forward(h, &lv->resample);
    }
    return vae_head_out_forward(h, d);
}

/* ---- input checks ---- */

static bool check_shape(ts_tensor *x, const int64_t *want, const char *what) {
    if (!x) {
        if (!ts_failed()) ts_error_set("cfw: no %s", what);
        return false;
    }
    bool ok = ts_ndim(x) == 4;
    for (int d = 0; ok && d < 4; d++)
        ok = want[d] < 0 ? ts_dim(x, d) >= 1 : ts_dim(x, d) == want[d];
    if (!ok)
        ts_error_set("cfw: %s must be [%lld, %lld, %lld, %lld] (-1: any)", what, (long long)want[0],
                     (long long)want[1], (long long)want[2], (long long)want[3]);
    return ok;
}

static bool check_image(const cfw_vae *m, ts_tensor *image) {
    const int64_t want[4] = {-1, m->cfg.vae.in_channels, -1, -1};
    if (!check_shape(image, want, "image")) return false;
    const int f = vae_config_factor(&m->cfg.vae);
    if (ts_dim(image, 2) % f != 0 || ts_dim(image, 3) % f != 0) {
        ts_error_set("cfw: image height and width (%lld x %lld) must be multiples of %d",
                     (long long)ts_dim(image, 2), (long long)ts_dim(image, 3), f);
        return false;
    }
    return true;
}

/* Feature k comes from encoder level k+1 of the image this latent encodes. */
static bool check_feats(const cfw_vae *m, ts_tensor *latent, ts_tensor *const *feats) {
    const int nf = cfw_vae_num_feats(&m->cfg);
    if (nf > 0 && !feats) {
        ts_error_set("cfw: decoding with w != 0 needs the encoder features");
        return false;
    }
    const int64_t f = vae_config_factor(&m->cfg.vae);
    for (int k = 0; k < nf; k++) {
        const int l = k + 1;
        const int64_t want[4] = {ts_dim(latent, 0), m->cfg.vae.ch * m->cfg.vae.ch_mult[l],
                                 ts_dim(latent, 2) * f >> l, ts_dim(latent, 3) * f >> l};
        char what[32];
        snprintf(what, sizeof what, "enc_feats[%d]", k);
        if (!check_shape(feats[k], want, what)) return false;
    }
    return true;
}

/* ---- public forward ---- */

/* ts_scope_end_keep keeps one tensor; to keep several they leave the scope
 * as detached handles and come back as new handles in the caller's scope
 * (contiguous() of a contiguous tensor shares its storage: no copy). */
static void scope_end_keep_all(ts_scope s, ts_tensor **t, int n) {
    ts_tensor *held[1 + CFW_MAX_FEATS];
    for (int i = 0; i < n; i++)
        held[i] = ts_detach(t[i]);
    ts_scope_end(s);
    for (int i = 0; i < n; i++) {
        t[i] = ts_contiguous(held[i]);
        ts_free(held[i]);
    }
}

bool cfw_vae_encode(const cfw_vae *m, ts_tensor *image, ts_tensor **moments,
                    ts_tensor **enc_feats) {
    if (!m || !moments || !enc_feats) {
        ts_error_set("cfw: no model or output");
        return false;
    }
    if (!check_image(m, image)) return false;
    const int nf = cfw_vae_num_feats(&m->cfg);
    ts_tensor *out[1 + CFW_MAX_FEATS] = {NULL};
    ts_scope s = ts_scope_begin();
    out[0] = conv(run_encoder(m, image, out + 1), &m->t.vae.quant_conv, 1, 0);
    if (ts_failed()) {
        ts_scope_end(s);
        return false;
    }
    scope_end_keep_all(s, out, 1 + nf);
    if (ts_failed()) return false;
    *moments = out[0];
    memcpy(enc_feats, out + 1, (size_t)nf * sizeof *enc_feats);
    return true;
}

ts_tensor *cfw_vae_sample(const cfw_vae *m, ts_tensor *moments, ts_tensor *noise) {
    if (!m) {
        ts_error_set("cfw: no model");
        return NULL;
    }
    const int e = m->cfg.vae.embed_dim;
    const int64_t want_m[4] = {-1, 2 * e, -1, -1};
    if (!check_shape(moments, want_m, "moments")) return NULL;
    const int64_t want_n[4] = {ts_dim(moments, 0), e, ts_dim(moments, 2), ts_dim(moments, 3)};
    if (!check_shape(noise, want_n, "noise")) return NULL;
    ts_scope s = ts_scope_begin();
    ts_tensor *mean = ts_narrow(moments, 1, 0, e);
    ts_tensor *logvar = ts_clamp(ts_narrow(moments, 1, e, e), -30.0f, 20.0f);
    ts_tensor *std = ts_exp(ts_mul_scalar(logvar, 0.5f));
    return ts_scope_end_keep(s, ts_add(mean, ts_mul(std, noise)));
}

ts_tensor *cfw_vae_decode(const cfw_vae *m, ts_tensor *latent, ts_tensor *const *enc_feats,
                          float w) {
    if (!m) {
        ts_error_set("cfw: no model");
        return NULL;
    }
    const int64_t want[4] = {-1, m->cfg.vae.embed_dim, -1, -1};
    if (!check_shape(latent, want, "latent")) return NULL;
    if (w != 0.0f && !check_feats(m, latent, enc_feats)) return NULL;
    ts_scope s = ts_scope_begin();
    ts_tensor *z = conv(latent, &m->t.vae.post_quant_conv, 1, 0);
    return ts_scope_end_keep(s, run_decoder(m, z, enc_feats, w));
}
