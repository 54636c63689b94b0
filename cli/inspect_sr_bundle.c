/* `i2i inspect` of an upscale bundle: StableSR's config as the upscale
 * pipeline reads it from the manifest, without loading the networks; the
 * one value the manifest lacks, the SPADE width, comes from a weight file's
 * header. */
#include "inspect.h"

#include "bundle.h"
#include "safetensors.h"

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The SPADE hidden width is only in the weights (mlp_shared.0.weight's
 * rows): read it from the header of the file that holds the tensor. */
static bool spade_hidden_of(const char *dir, json_t *root, int *hidden, char *err, size_t n) {
    static const char probe[] = STABLESR_UNET_PREFIX "input_blocks.1.0.spade.mlp_shared.0.weight";
    json_t *files = json_object_get(root, "weights"), *f;
    size_t i;
    if (json_is_string(files))
        files = json_pack("[O]", files);
    else
        json_incref(files);
    bool found = false;
    json_array_foreach(files, i, f) {
        const char *name = json_is_string(f) ? json_string_value(f) : NULL;
        if (!name || name[0] == '/' || strstr(name, "..")) continue; /* may leave the bundle */
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        st_file *st = st_open(path, err, n);
        const st_entry *e = st ? st_find(st, probe) : NULL;
        if (e && e->ndim == 4) {
            *hidden = (int)e->shape[0];
            found = true;
        }
        st_close(st);
        if (found) break;
    }
    json_decref(files);
    if (!found) snprintf(err, n, "%s: no weight file of the bundle holds %s", dir, probe);
    return found;
}

/* As the upscale pipeline reads it, plus the SPADE width from the header. */
static bool sr_config_of(const char *dir, json_t *root, stablesr_config *cfg, char *err, size_t n) {
    if (!bundle_stablesr_config_of(root, cfg, err, n)) return false;
    return cfg->unet.spade_hidden > 0 ||
           spade_hidden_of(dir, root, &cfg->unet.spade_hidden, err, n);
}

bool inspect_stablesr_bundle_config(const char *dir, stablesr_config *out, bool *present, char *err,
                                    size_t errlen) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!json_is_object(root)) {
        snprintf(err, errlen, "%s: %s", path, root ? "not a JSON object" : jerr.text);
        json_decref(root);
        return false;
    }
    json_t *task = json_object_get(root, "task");
    *present = json_is_string(task) && !strcmp(json_string_value(task), "upscale");
    bool ok = !*present || sr_config_of(dir, root, out, err, errlen);
    json_decref(root);
    return ok;
}
