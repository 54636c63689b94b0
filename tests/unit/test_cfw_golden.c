/* CFW VAE (StableSR's AutoencoderKLResi) against the golden fixture
 * (cfw_tiny*): moments and the level-1/2 encoder features, the posterior
 * sample, Decoder_Mix at w = 0, 0.5, 1, the parameter layout against the
 * stored tensors, and clear errors for bad weights and inputs. */
#include "cfw_vae.h"
#include "check.h"
#include "layout_check.h"
#include "weights.h"

#include <string.h>

/* The README gives no CFW limit; its StableSR rule (max|diff| <= 2e-5 *
 * max|ref| per tensor) is used, as the fixture comes from the same script. */
#define PASS_REL 2e-5
#define LATENT_SCALE 0.18215f /* only to compare with the fixture's lr_latent */

static void expect_close(ts_tensor *y, ts_tensor *ref, const char *name) {
    CHECK_MSG(y && ref && !ts_failed(), "%s: %s", name, ts_last_error());
    if (!y || !ref) return;
    bool same_shape = ts_ndim(y) == ts_ndim(ref);
    for (int d = 0; same_shape && d < ts_ndim(y); d++)
        same_shape = ts_dim(y, d) == ts_dim(ref, d);
    CHECK_MSG(same_shape, "%s: shape differs from the golden tensor", name);
    double diff = same_shape ? ts_max_abs_diff(y, ref) : 1e30;
    double limit = PASS_REL * ts_max_abs(ref);
    printf("%-12s max|diff| %.3g (limit %.3g, max|ref| %.3g)\n", name, diff, limit,
           ts_max_abs(ref));
    CHECK_MSG(diff <= limit, "%s: max|diff| %.3g > %.3g", name, diff, limit);
}

static void test_config(const weights *w, cfw_vae_config *c) {
    const char *json = weights_metadata(w, "config");
    char err[512] = "";
    CHECK_MSG(json && cfw_vae_config_from_json(json, c, err, sizeof err), "config: %s", err);
    CHECK(c->vae.ch == 32 && c->vae.n_levels == 4 && c->vae.num_res_blocks == 2 &&
          c->num_fuse_block == 1 && c->grow == 32 && c->vae.embed_dim == 4);
    CHECK(cfw_vae_num_feats(c) == 2);
    cfw_vae_config bad;
    CHECK(!cfw_vae_config_from_json("{\"ch\":32,\"ch_mult\":[1],\"num_res_blocks\":1,"
                                    "\"z_channels\":4,\"embed_dim\":4,\"num_fuse_block\":0}",
                                    &bad, err, sizeof err) &&
          strstr(err, "num_fuse_block"));
}

static void test_layout(const weights *w, const cfw_vae_config *c) {
    layout_check ctx = {w, 0, 0, 0};
    cfw_vae_params_foreach(c, "", layout_check_visit, &ctx);
    CHECK_MSG(ctx.mismatches == 0, "%d layout tensors differ from the file", ctx.mismatches);
    CHECK_MSG(ctx.n == weights_count(w), "layout lists %d tensors, file has %d", ctx.n,
              weights_count(w));
}

static void test_bad_weights(const weights *w, const cfw_vae_config *tiny) {
    cfw_vae_config c = *tiny;
    c.num_fuse_block = 2; /* the file has one RRDB per fusion layer; layer 1 is walked first */
    char err[512] = "";
    cfw_vae *m = cfw_vae_create(w, "", &c, err, sizeof err);
    CHECK_MSG(!m && strstr(err, "decoder.fusion_layer_1.encode_enc_2.1.rdb1.conv1.weight"),
              "expected a missing RRDB tensor, got '%s'", err);
    CHECK(!ts_failed());
    cfw_vae_free(m);
}

/* Encode, sample and decode with the fixture's inputs. */
static void test_forward(const cfw_vae *m, const weights *io) {
    ts_scope s = ts_scope_begin();
    ts_tensor *moments = NULL, *feats[CFW_MAX_FEATS] = {NULL};
    CHECK_MSG(cfw_vae_encode(m, weights_get(io, "lr_image"), &moments, feats), "encode: %s",
              ts_last_error());
    expect_close(moments, weights_get(io, "moments"), "moments");
    expect_close(feats[0], weights_get(io, "enc_feat_0"), "enc_feat_0");
    expect_close(feats[1], weights_get(io, "enc_feat_1"), "enc_feat_1");
    ts_tensor *sample = cfw_vae_sample(m, moments, weights_get(io, "noise"));
    expect_close(ts_mul_scalar(sample, LATENT_SCALE), weights_get(io, "lr_latent"), "lr_latent");

    /* The golden decodes used the float64 features: decode from the stored
     * ones so each decode is checked on its own, then once from ours. */
    ts_tensor *gold[2] = {weights_get(io, "enc_feat_0"), weights_get(io, "enc_feat_1")};
    ts_tensor *z = weights_get(io, "z");
    expect_close(cfw_vae_decode(m, z, gold, 0.0f), weights_get(io, "decoded_w00"), "decoded_w00");
    expect_close(cfw_vae_decode(m, z, NULL, 0.0f), weights_get(io, "decoded_w00"), "w00 no feats");
    expect_close(cfw_vae_decode(m, z, gold, 0.5f), weights_get(io, "decoded_w05"), "decoded_w05");
    expect_close(cfw_vae_decode(m, z, gold, 1.0f), weights_get(io, "decoded_w10"), "decoded_w10");
    expect_close(cfw_vae_decode(m, z, feats, 0.5f), weights_get(io, "decoded_w05"),
                 "w05 own feats");
    ts_scope_end(s);
    ts_error_clear();
}

static void expect_input_error(ts_tensor *y, const char *needle) {
    CHECK_MSG(!y && ts_failed() && strstr(ts_last_error(), needle), "expected '%s', got '%s'",
              needle, ts_last_error());
    ts_error_clear();
}

static void test_bad_inputs(const cfw_vae *m, const weights *io) {
    ts_scope s = ts_scope_begin();
    ts_tensor *z = weights_get(io, "z");
    ts_tensor *swapped[2] = {weights_get(io, "enc_feat_1"), weights_get(io, "enc_feat_0")};
    expect_input_error(cfw_vae_decode(m, z, swapped, 0.5f), "enc_feats[0]");
    expect_input_error(cfw_vae_decode(m, z, NULL, 0.5f), "encoder features");
    expect_input_error(cfw_vae_decode(m, weights_get(io, "moments"), NULL, 0.0f), "latent");
    const int64_t odd[4] = {1, 3, 60, 96};
    ts_tensor *moments = NULL, *feats[CFW_MAX_FEATS];
    CHECK(!cfw_vae_encode(m, ts_zeros(odd, 4), &moments, feats) &&
          strstr(ts_last_error(), "multiples of 8"));
    ts_error_clear();
    ts_scope_end(s);
}

int main(void) {
    char err[512] = "";
    weights *w = weights_open(golden_path("cfw_tiny_weights.safetensors"), err, sizeof err);
    CHECK_MSG(w, "%s", err);
    weights *io = weights_open(golden_path("cfw_tiny_io.safetensors"), err, sizeof err);
    CHECK_MSG(io, "%s", err);
    if (!w || !io) return CHECK_DONE();

    cfw_vae_config tiny;
    test_config(w, &tiny);
    test_layout(w, &tiny);
    test_bad_weights(w, &tiny);
    cfw_vae *m = cfw_vae_create(w, "", &tiny, err, sizeof err);
    CHECK_MSG(m, "create: %s", err);
    if (m) {
        test_forward(m, io);
        test_bad_inputs(m, io);
    }
    cfw_vae_free(m);
    weights_close(io);
    weights_close(w);
    return CHECK_DONE();
}
