/* Loading a search's images and prompts; see search_samples.h. */
#include "search/search_samples.h"
#include "image_codec.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SAMPLE_MAX_FILE_BYTES (64L << 20)
#define SAMPLE_MAX_PIXELS (4096L * 4096L)
#define SAMPLE_MAX_IMAGES 10000

static bool is_image_name(const char *n) {
    const char *dot = strrchr(n, '.');
    return n[0] != '.' && dot &&
           (!strcasecmp(dot, ".png") || !strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg"));
}

static int cmp_name(const void *a, const void *b) {
    return strcmp(((const search_sample *)a)->name, ((const search_sample *)b)->name);
}

static int list_images(const char *dir, search_samples *out, char *err, size_t errlen) {
    DIR *d = opendir(dir);
    if (!d) return snprintf(err, errlen, "cannot open image folder %s", dir), -1;
    int cap = 0;
    for (struct dirent *e; (e = readdir(d)) && out->count < SAMPLE_MAX_IMAGES;) {
        if (!is_image_name(e->d_name) || strlen(e->d_name) >= sizeof out->items[0].name) continue;
        if (out->count == cap) {
            cap = cap ? 2 * cap : 16;
            search_sample *grown = realloc(out->items, sizeof *grown * (size_t)cap);
            if (!grown) break;
            out->items = grown;
        }
        search_sample *s = &out->items[out->count++];
        memset(s, 0, sizeof *s);
        snprintf(s->name, sizeof s->name, "%s", e->d_name);
    }
    closedir(d);
    if (out->count == 0) return snprintf(err, errlen, "no PNG or JPEG image in %s", dir), -1;
    qsort(out->items, (size_t)out->count, sizeof *out->items, cmp_name);
    return 0;
}

static int decode_file(const char *path, i2i_image *img, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) return snprintf(err, errlen, "cannot open %s", path), -1;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *data = len > 0 && len <= SAMPLE_MAX_FILE_BYTES ? malloc((size_t)len) : NULL;
    bool read = data && fread(data, 1, (size_t)len, f) == (size_t)len;
    fclose(f);
    char why[256] = "empty, unreadable or too large";
    int rc = read && image_decode_rgb(data, (size_t)len, SAMPLE_MAX_PIXELS, img, why, sizeof why) ==
                         IMAGE_OK
                 ? 0
                 : -1;
    free(data);
    if (rc) snprintf(err, errlen, "%s: %s", path, why);
    return rc;
}

/* Non-empty lines of the prompts file, trailing whitespace removed. */
static int read_prompts(const char *path, search_samples *s, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) return snprintf(err, errlen, "cannot open prompts file %s", path), -1;
    char line[4096];
    int n = 0;
    while (n < s->count && fgets(line, sizeof line, f)) {
        size_t len = strlen(line);
        while (len && isspace((unsigned char)line[len - 1]))
            line[--len] = '\0';
        if (len) s->items[n++].prompt = strdup(line);
    }
    fclose(f);
    if (n < s->count)
        return snprintf(err, errlen, "prompts file %s has %d prompts for %d images", path, n,
                        s->count),
               -1;
    return 0;
}

int search_samples_load(const char *images_dir, int max_images, const char *prompts_file,
                        const char *prompt, search_samples *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (!prompts_file && !prompt)
        return snprintf(err, errlen, "a prompts file or a prompt is required"), -1;
    int rc = list_images(images_dir, out, err, errlen);
    if (rc == 0 && max_images > 0 && out->count > max_images) out->count = max_images;
    for (int i = 0; rc == 0 && i < out->count; i++) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", images_dir, out->items[i].name);
        rc = decode_file(path, &out->items[i].image, err, errlen);
    }
    if (rc == 0 && prompts_file) rc = read_prompts(prompts_file, out, err, errlen);
    for (int i = 0; rc == 0 && !prompts_file && i < out->count; i++)
        out->items[i].prompt = strdup(prompt);
    for (int i = 0; rc == 0 && i < out->count; i++)
        if (!out->items[i].prompt) rc = -1, snprintf(err, errlen, "out of memory");
    if (rc) search_samples_free(out);
    return rc;
}

void search_samples_free(search_samples *s) {
    for (int i = 0; s->items && i < s->count; i++) {
        i2i_image_free(&s->items[i].image);
        free(s->items[i].prompt);
    }
    free(s->items);
    memset(s, 0, sizeof *s);
}
