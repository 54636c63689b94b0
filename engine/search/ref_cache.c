/* Reference-output cache; see ref_cache.h. */
#include "search/ref_cache.h"
#include "image_codec.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL
#define CACHE_ENTRY_MAX_BYTES (256L << 20)

static uint64_t fnv(uint64_t h, const void *data, size_t n) {
    const uint8_t *b = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * FNV_PRIME;
    return h;
}

static uint64_t fnv_str(uint64_t h, const char *s) {
    return fnv(h, s ? s : "", (s ? strlen(s) : 0) + 1); /* the NUL separates fields */
}

static uint64_t hash_weight_file(uint64_t h, const char *dir, const char *name) {
    char path[2048];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    h = fnv_str(h, name);
    if (stat(path, &st) == 0) {
        int64_t meta[3] = {(int64_t)st.st_size, (int64_t)st.st_mtim.tv_sec,
                           (int64_t)st.st_mtim.tv_nsec};
        h = fnv(h, meta, sizeof meta);
    }
    return h;
}

int ref_cache_bundle_fingerprint(const char *bundle_dir, uint64_t *fp, char *err, size_t errlen) {
    char path[2048];
    snprintf(path, sizeof path, "%s/manifest.json", bundle_dir);
    json_error_t je;
    json_t *m = json_load_file(path, 0, &je);
    if (!m) return snprintf(err, errlen, "cannot read %s: %s", path, je.text), -1;
    char *canon = json_dumps(m, JSON_SORT_KEYS | JSON_COMPACT);
    uint64_t h = fnv_str(FNV_OFFSET, canon);
    free(canon);
    json_t *weights = json_object_get(m, "weights");
    for (size_t i = 0; i < json_array_size(weights); i++) {
        const char *name = json_string_value(json_array_get(weights, i));
        if (name) h = hash_weight_file(h, bundle_dir, name);
    }
    json_decref(m);
    *fp = h;
    return 0;
}

uint64_t ref_cache_key(uint64_t bundle_fp, const i2i_image *input, const i2i_params *p) {
    uint64_t h = fnv(FNV_OFFSET, &bundle_fp, sizeof bundle_fp);
    int dims[2] = {input->width, input->height};
    h = fnv(h, dims, sizeof dims);
    h = fnv(h, input->rgb, (size_t)input->width * (size_t)input->height * 3);
    h = fnv_str(h, p->prompt);
    int ints[3] = {p->depth, p->steps, (int)p->sampler};
    double reals[4] = {p->gamma, p->eta, p->guidance_scale, p->image_guidance_scale};
    h = fnv(h, ints, sizeof ints);
    h = fnv(h, reals, sizeof reals);
    return fnv(h, &p->seed, sizeof p->seed);
}

static void entry_path(char *buf, size_t n, const char *dir, uint64_t key) {
    snprintf(buf, n, "%s/ref-%016llx.png", dir, (unsigned long long)key);
}

bool ref_cache_load(const char *dir, uint64_t key, int want_w, int want_h, i2i_image *out) {
    char path[2048], err[256];
    entry_path(path, sizeof path, dir, key);
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *data = len > 0 && len < CACHE_ENTRY_MAX_BYTES ? malloc((size_t)len) : NULL;
    bool ok = data && fread(data, 1, (size_t)len, f) == (size_t)len;
    fclose(f);
    ok = ok && image_decode_rgb(data, (size_t)len, 0, out, err, sizeof err) == IMAGE_OK;
    free(data);
    if (ok && (out->width != want_w || out->height != want_h)) {
        i2i_image_free(out);
        ok = false;
    }
    return ok;
}

static int make_dirs(const char *dir, char *err, size_t errlen) {
    char buf[2048];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *s = buf + 1;; s++) {
        bool end = *s == '\0';
        if (*s == '/' || end) {
            *s = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return snprintf(err, errlen, "cannot create %s: %s", buf, strerror(errno)), -1;
            if (end) break;
            *s = '/';
        }
    }
    return 0;
}

int ref_cache_store(const char *dir, uint64_t key, const i2i_image *img, char *err, size_t errlen) {
    if (make_dirs(dir, err, errlen)) return -1;
    uint8_t *png;
    size_t len;
    if (image_encode_png(img, &png, &len, err, errlen) != IMAGE_OK) return -1;
    char path[2048], tmp[2100];
    entry_path(path, sizeof path, dir, key);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    bool ok = f && fwrite(png, 1, len, f) == len;
    if (f && fclose(f) != 0) ok = false;
    free(png);
    if (ok && rename(tmp, path) == 0) return 0;
    remove(tmp);
    snprintf(err, errlen, "cannot write cache entry %s", path);
    return -1;
}
