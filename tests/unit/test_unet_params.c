/* U-Net parameter layout and depth-level accounting: the enumerated names and
 * shapes equal the golden tiny weight files tensor for tensor, SD-1.5's total,
 * the per-level shares of the paper's Table S7, the kept shares quoted in
 * DESIGN.md §1.1, and the level map itself (including bad names). */
#include "check.h"
#include "safetensors.h"
#include "unet_config.h"
#include "unet_params.h"

#include <string.h>

#define PREFIX "model.diffusion_model."

/* ---- layout against the golden files ---- */

typedef struct layout_ctx {
    const st_file *f;
    int listed, mismatches;
} layout_ctx;

static void visit_layout(void *user, const char *name, const int64_t *shape, int ndim) {
    layout_ctx *c = user;
    c->listed++;
    const st_entry *e = st_find(c->f, name);
    bool same = e && e->ndim == ndim;
    for (int d = 0; same && d < ndim; d++)
        same = e->shape[d] == shape[d];
    if (!same) {
        if (c->mismatches < 5) fprintf(stderr, "layout: %s missing or of another shape\n", name);
        c->mismatches++;
    }
}

static bool golden_config(const st_file *f, unet_config *cfg) {
    char err[256] = "";
    const char *json = st_metadata(f, "config");
    bool ok = json && unet_config_from_json(json, cfg, err, sizeof err);
    CHECK_MSG(ok, "golden config does not parse: %s", err);
    return ok;
}

static void test_golden_layout(const char *file) {
    char err[256] = "";
    st_file *f = st_open(golden_path(file), err, sizeof err);
    CHECK_MSG(f, "%s", err);
    unet_config cfg;
    if (!f || !golden_config(f, &cfg)) {
        st_close(f);
        return;
    }
    layout_ctx c = {f, 0, 0};
    CHECK_MSG(unet_params_foreach(&cfg, PREFIX, visit_layout, &c, err, sizeof err), "%s", err);
    /* Every listed tensor is in the file with its shape, and the counts are
     * equal, so the two sets of names are the same. */
    CHECK_MSG(c.mismatches == 0, "%s: %d tensors differ", file, c.mismatches);
    CHECK_MSG(c.listed == st_count(f), "%s: listed %d, file has %d", file, c.listed, st_count(f));
    CHECK_MSG(c.listed == 684, "%s: %d tensors, want 684", file, c.listed);
    st_close(f);
}

/* Per-level counts of the tiny v1 config from ref/sd_unet.py's
 * params_per_depth_level (UNet(config of unet_tiny_v1.safetensors)); shared =
 * its "other" (time_embed 20736 + out 1220). */
static void test_tiny_levels(void) {
    static const int64_t want[13] = {59648,  103264, 103264, 75808,  103264, 113568, 240608,
                                     368320, 384704, 201472, 209984, 209984, 252096};
    char err[256] = "";
    st_file *f = st_open(golden_path("unet_tiny_v1.safetensors"), err, sizeof err);
    CHECK_MSG(f, "%s", err);
    unet_config cfg;
    if (!f || !golden_config(f, &cfg)) {
        st_close(f);
        return;
    }
    st_close(f);
    unet_param_profile p;
    CHECK_MSG(unet_param_profile_compute(&cfg, &p, err, sizeof err), "%s", err);
    CHECK(p.n_depths == 13);
    for (int d = 1; d <= 13; d++)
        CHECK_MSG(p.level[d] == want[d - 1], "tiny v1 level %d: %lld, want %lld", d,
                  (long long)p.level[d], (long long)want[d - 1]);
    CHECK_MSG(p.shared == 20736 + 1220, "tiny v1 shared %lld", (long long)p.shared);
}

/* ---- SD-1.5 and the paper's figures ---- */

static double pct(int64_t part, int64_t whole) {
    return 100.0 * (double)part / (double)whole;
}

static void test_sd15_table_s7(void) {
    /* Supplement Table S7, as quoted in DESIGN.md §1.1, in hundredths of a
     * percent: shares of the sum over the 13 levels. */
    static const int want_centi[13] = {69,   125,  137, 285, 439, 506, 1098,
                                       1671, 1747, 917, 937, 937, 1132};
    unet_config cfg;
    CHECK(unet_config_preset("sd15", &cfg));
    unet_param_profile p;
    char err[256] = "";
    CHECK_MSG(unet_param_profile_compute(&cfg, &p, err, sizeof err), "%s", err);
    CHECK_MSG(p.total == 859520964LL, "SD-1.5 total %lld", (long long)p.total);
    CHECK(p.n_depths == 13);
    const int64_t base = unet_param_profile_levels_sum(&p);
    CHECK(base == p.total - p.shared);
    for (int d = 1; d <= 13; d++) {
        const double share = pct(p.level[d], base);
        CHECK_MSG(fabs(share * 100.0 - want_centi[d - 1]) <= 0.5 + 1e-9,
                  "D%02d share %.4f %%, Table S7 %.2f %%", d, share, want_centi[d - 1] / 100.0);
    }
    CHECK(unet_param_profile_kept(&p, 13) == p.total);
    CHECK(unet_param_profile_kept(&p, 0) == -1 && unet_param_profile_kept(&p, 14) == -1);
    /* D9 keeps 60.8 % (the paper's -39.2 %). Counting what actually runs
     * (stem and head included) gives 60.87 %, the level-only ratio 60.78 %:
     * the paper's one decimal is within 0.1 point of both. */
    const double d9 = pct(unet_param_profile_kept(&p, 9), p.total);
    CHECK_MSG(fabs(d9 - 60.8) < 0.1, "D9 keeps %.3f %%", d9);
}

static void test_sd21_d8(void) {
    unet_config cfg;
    CHECK(unet_config_preset("sd21", &cfg));
    unet_param_profile p;
    char err[256] = "";
    CHECK_MSG(unet_param_profile_compute(&cfg, &p, err, sizeof err), "%s", err);
    /* 865,910,724 from ref/sd_unet.py UNet(SD-1 config with num_head_channels
     * 64, context_dim 1024, use_linear_in_transformer). */
    CHECK_MSG(p.total == 865910724LL, "SD-2.1 total %lld", (long long)p.total);
    const double d8 = pct(unet_param_profile_kept(&p, 8), p.total);
    CHECK_MSG(fabs(d8 - 43.6) < 0.05, "SD-2.1 D8 keeps %.3f %%, want 43.6", d8);
}

static void test_ip2p_conv_in(void) {
    unet_config sd, ip;
    CHECK(unet_config_preset("sd15", &sd) && unet_config_preset("ip2p", &ip));
    unet_param_profile a, b;
    char err[256] = "";
    CHECK(unet_param_profile_compute(&sd, &a, err, sizeof err));
    CHECK(unet_param_profile_compute(&ip, &b, err, sizeof err));
    /* Only conv_in differs: 4 more input channels x 320 x 3 x 3, all in level 1. */
    CHECK(b.level[1] - a.level[1] == 4 * 320 * 9);
    CHECK(b.total - a.total == 4 * 320 * 9);
}

/* ---- the level map ---- */

static void test_depth_level_map(void) {
    static const struct {
        const char *name;
        int level;
    } cases[] = {
        {"input_blocks.0.0.weight", 1},
        {"input_blocks.1.1.transformer_blocks.0.attn1.to_q.weight", 2},
        {"input_blocks.11.0.out_layers.3.bias", 12},
        {"middle_block.1.proj_in.weight", 13},
        {"output_blocks.0.0.skip_connection.weight", 12},
        {"output_blocks.2.1.conv.weight", 10},
        {"output_blocks.11.1.proj_out.bias", 1},
        {"time_embed.0.weight", UNET_LEVEL_SHARED},
        {"out.2.bias", UNET_LEVEL_SHARED},
        {"input_blocks.12.0.weight", -1},
        {"output_blocks.12.0.weight", -1},
        {"input_blocks.1", -1},
        {"input_blocks..0.weight", -1},
        {"input_blocks.-1.0.weight", -1},
        {"input_blocks.99999999999999999999.0.weight", -1},
        {"input_blocksX.1.0.weight", -1},
        {"middle_blockX", -1},
        {"outer.weight", -1},
        {"model.diffusion_model.input_blocks.0.0.weight", -1}, /* prefix not stripped */
        {"", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = unet_param_depth_level(cases[i].name, 12);
        CHECK_MSG(got == cases[i].level, "'%s': level %d, want %d", cases[i].name, got,
                  cases[i].level);
    }
    CHECK(unet_param_depth_level(NULL, 12) == -1);
    CHECK(unet_param_depth_level("input_blocks.0.0.weight", 0) == -1);
}

static void test_bad_config(void) {
    unet_config cfg;
    CHECK(unet_config_preset("sd15", &cfg));
    cfg.n_levels = 0;
    unet_param_profile p;
    char err[256] = "";
    CHECK(!unet_param_profile_compute(&cfg, &p, err, sizeof err));
    CHECK_MSG(err[0] != '\0', "no message for a config without levels");
    CHECK(!unet_param_profile_compute(NULL, &p, err, sizeof err));
}

int main(void) {
    test_golden_layout("unet_tiny_v1.safetensors");
    test_golden_layout("unet_tiny_v2.safetensors");
    test_tiny_levels();
    test_sd15_table_s7();
    test_sd21_d8();
    test_ip2p_conv_in();
    test_depth_level_map();
    test_bad_config();
    return CHECK_DONE();
}
