/* VAE against the golden fixture (vae_tiny*): posterior mean and decoding on
 * square and non-square inputs, the parameter layout against the stored
 * tensors and the SD counts, and clear errors for bad weights, configs and
 * inputs. */
#include "check.h"
#include "layout_check.h"
#include "vae.h"
#include "weights.h"

#include <string.h>

#define PREFIX "first_stage_model."
#define PASS_LIMIT 3e-5 /* README: float32 lands <= ~5e-6; eps 1e-5 bug shows 1.4e-4 */

static void test_layout(const weights *w, const vae_config *tiny) {
    layout_check ctx = {w, 0, 0, 0};
    vae_params_foreach(tiny, PREFIX, layout_check_visit, &ctx);
    CHECK_MSG(ctx.mismatches == 0, "%d layout tensors differ from the file", ctx.mismatches);
    CHECK_MSG(ctx.n == weights_count(w), "layout lists %d tensors, file has %d", ctx.n,
              weights_count(w));

    vae_config sd;
    vae_config_sd(&sd);
    layout_check count = {NULL, 0, 0, 0};
    vae_params_foreach(&sd, PREFIX, layout_check_visit, &count);
    CHECK_MSG(count.n == 248, "SD VAE has %d tensors", count.n);
    CHECK_MSG(count.values == 83653863, "SD VAE has %lld values", (long long)count.values);
}

/* Runs one direction on io[input] and compares with io[expected]. */
static void check_case(const vae *m, const weights *io, const char *input, const char *expected,
                       bool encode) {
    ts_scope s = ts_scope_begin();
    ts_tensor *x = weights_get(io, input);
    ts_tensor *ref = weights_get(io, expected);
    ts_tensor *y = encode ? vae_encode_mean(m, x) : vae_decode(m, x);
    CHECK_MSG(y && ref && !ts_failed(), "%s: %s", expected, ts_last_error());
    if (y && ref) {
        bool same_shape = ts_ndim(y) == ts_ndim(ref);
        for (int d = 0; same_shape && d < ts_ndim(y); d++)
            same_shape = ts_dim(y, d) == ts_dim(ref, d);
        CHECK_MSG(same_shape, "%s: shape differs from the golden tensor", expected);
        double diff = same_shape ? ts_max_abs_diff(y, ref) : 1e30;
        printf("%-10s max|diff| %.3g\n", expected, diff);
        CHECK_MSG(diff <= PASS_LIMIT, "%s: max|diff| %.3g > %.1g", expected, diff, PASS_LIMIT);
    }
    ts_scope_end(s);
    ts_error_clear();
}

/* A config that does not match the weights must name the offending tensor. */
static void expect_create_error(const weights *w, const vae_config *c, const char *needle) {
    char err[512] = "";
    vae *m = vae_create(w, PREFIX, c, err, sizeof err);
    CHECK_MSG(!m && strstr(err, needle), "expected an error naming '%s', got '%s'", needle, err);
    CHECK_MSG(!ts_failed(), "create left a pending error: %s", ts_last_error());
    vae_free(m);
}

static void test_bad_weights(const weights *w, const vae_config *tiny) {
    vae_config c = *tiny;
    c.num_res_blocks = 2; /* the file has one block per level */
    expect_create_error(w, &c, "missing tensor '" PREFIX "encoder.down.0.block.1.norm1.weight'");
    c = *tiny;
    c.ch = 64;
    expect_create_error(w, &c, PREFIX "encoder.conv_in.weight");
    char err[512] = "";
    vae *m = vae_create(w, "model.", tiny, err, sizeof err);
    CHECK_MSG(!m && strstr(err, "model.encoder.conv_in.weight"), "wrong prefix: '%s'", err);
    vae_free(m);
}

static void expect_input_error(const vae *m, const int64_t *shape, bool encode) {
    ts_scope s = ts_scope_begin();
    ts_tensor *x = ts_zeros(shape, 4);
    ts_tensor *y = encode ? vae_encode_mean(m, x) : vae_decode(m, x);
    CHECK_MSG(!y && ts_failed() && strstr(ts_last_error(), "vae:"), "bad input accepted: '%s'",
              ts_last_error());
    ts_scope_end(s);
    ts_error_clear();
}

static void test_bad_inputs(const vae *m) {
    const int64_t four_channels[4] = {1, 4, 32, 32};
    const int64_t odd_height[4] = {1, 3, 31, 32};
    const int64_t wrong_latent[4] = {1, 3, 8, 8};
    expect_input_error(m, four_channels, true);
    expect_input_error(m, odd_height, true);
    expect_input_error(m, wrong_latent, false);
    CHECK(vae_encode_mean(m, NULL) == NULL);
    ts_error_clear();
}

static void expect_json_error(const char *json, const char *needle) {
    vae_config c;
    char err[512] = "";
    CHECK_MSG(!vae_config_from_json(json, &c, err, sizeof err) && strstr(err, needle),
              "config %s: expected error with '%s', got '%s'", json, needle, err);
}

static void test_config_json(const weights *w, vae_config *tiny) {
    const char *json = weights_metadata(w, "config");
    char err[512] = "";
    CHECK_MSG(json && vae_config_from_json(json, tiny, err, sizeof err), "config: %s", err);
    CHECK(tiny->ch == 32 && tiny->n_levels == 2 && tiny->ch_mult[0] == 1 && tiny->ch_mult[1] == 2 &&
          tiny->num_res_blocks == 1 && tiny->z_channels == 4 && tiny->embed_dim == 4 &&
          tiny->in_channels == 3 && tiny->out_ch == 3);
    CHECK(vae_config_factor(tiny) == 2);
    expect_json_error("not json", "not a JSON object");
    expect_json_error("{\"ch\": 32}", "ch_mult");
    expect_json_error("{\"ch\":32,\"ch_mult\":[1],\"num_res_blocks\":1,\"z_channels\":4}",
                      "embed_dim");
    expect_json_error("{\"ch\":32,\"ch_mult\":[1],\"num_res_blocks\":1,\"z_channels\":4,"
                      "\"embed_dim\":4,\"attn_resolutions\":[16]}",
                      "attn_resolutions");
    expect_json_error("{\"ch\":32,\"ch_mult\":[1],\"num_res_blocks\":1,\"z_channels\":4,"
                      "\"embed_dim\":4,\"norm_eps\":1e-5}",
                      "norm_eps");
    expect_json_error("{\"ch\":20,\"ch_mult\":[1],\"num_res_blocks\":1,\"z_channels\":4,"
                      "\"embed_dim\":4}",
                      "GroupNorm");
}

int main(void) {
    char err[512] = "";
    weights *w = weights_open(golden_path("vae_tiny.safetensors"), err, sizeof err);
    CHECK_MSG(w, "%s", err);
    weights *io = weights_open(golden_path("vae_tiny_io.safetensors"), err, sizeof err);
    CHECK_MSG(io, "%s", err);
    if (!w || !io) return CHECK_DONE();

    vae_config tiny;
    vae_config_sd(&tiny);
    test_config_json(w, &tiny);
    test_layout(w, &tiny);
    test_bad_weights(w, &tiny);

    vae *m = vae_create(w, PREFIX, &tiny, err, sizeof err);
    CHECK_MSG(m, "create: %s", err);
    if (m) {
        check_case(m, io, "image", "mean", true);
        check_case(m, io, "image_ns", "mean_ns", true);
        check_case(m, io, "latent", "decoded", false);
        check_case(m, io, "latent_ns", "decoded_ns", false);
        test_bad_inputs(m);
    }
    vae_free(m);
    weights_close(io);
    weights_close(w);
    return CHECK_DONE();
}
