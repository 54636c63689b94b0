/* A bundle's manifest.json: the input is written into a scratch bundle
 * directory that holds nothing else, so i2i_bundle_load parses the header
 * and fails at the (missing) weights; the config readers that need no
 * weights (U-Net, ControlNet, StableSR, VAE scale) then read it fully. */
#include "bundle.h"
#include "support.h"

#include <jansson.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_write_file("manifest.json", data, size);
    const char *dir = fuzz_scratch_dir();
    char err[512];
    i2i_bundle *b = i2i_bundle_load(dir, err, sizeof err);
    if (b) abort(); /* no weights here: loading must fail */

    unet_config u;
    (void)bundle_read_unet_config(dir, &u, err, sizeof err);
    controlnet_config cn;
    bool present;
    (void)bundle_read_controlnet_config(dir, &cn, &present, err, sizeof err);

    json_error_t jerr;
    json_t *root = json_loadb((const char *)data, size, 0, &jerr);
    if (json_is_object(root)) {
        stablesr_config sr;
        (void)bundle_stablesr_config_of(root, &sr, err, sizeof err);
        double scale;
        (void)bundle_scale_factor(bundle_section(root, "vae"), &scale, err, sizeof err);
        (void)bundle_scale_factor(bundle_section(root, "cfw_vae"), &scale, err, sizeof err);
        free(bundle_section_config(bundle_section(root, "text_encoder")));
    }
    json_decref(root);
    return 0;
}
