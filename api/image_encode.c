/* Result encoders. */
#include "image_encode.h"
#include "image_codec.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stb_image_write.h>
#include <webp/encode.h>

typedef struct byte_sink {
    uint8_t *buf;
    size_t len, cap;
    bool failed;
} byte_sink;

static void sink_write(void *ctx, void *data, int size) {
    byte_sink *s = ctx;
    if (s->failed || size <= 0) return;
    if (s->len + (size_t)size > s->cap) {
        size_t cap = s->cap ? s->cap : 65536;
        while (cap < s->len + (size_t)size)
            cap *= 2;
        uint8_t *nb = realloc(s->buf, cap);
        if (!nb) {
            s->failed = true;
            return;
        }
        s->buf = nb;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, data, (size_t)size);
    s->len += (size_t)size;
}

static bool encode_jpeg(const i2i_image *img, int quality, uint8_t **out, size_t *out_len,
                        char *err, size_t errlen) {
    byte_sink s = {0};
    int ok = stbi_write_jpg_to_func(sink_write, &s, img->width, img->height, 3, img->rgb, quality);
    if (!ok || s.failed) {
        free(s.buf);
        return snprintf(err, errlen, "JPEG encoding failed"), false;
    }
    *out = s.buf;
    *out_len = s.len;
    return true;
}

/* libwebp allocates with its own allocator: copied into a malloc'd buffer
 * so every result is freed the same way. */
static bool encode_webp(const i2i_image *img, int quality, uint8_t **out, size_t *out_len,
                        char *err, size_t errlen) {
    if (img->width > IMAGE_ENCODE_WEBP_MAX_SIDE || img->height > IMAGE_ENCODE_WEBP_MAX_SIDE)
        return snprintf(err, errlen, "WebP holds at most %d px per side, not %dx%d",
                        IMAGE_ENCODE_WEBP_MAX_SIDE, img->width, img->height),
               false;
    uint8_t *webp = NULL;
    size_t n =
        WebPEncodeRGB(img->rgb, img->width, img->height, img->width * 3, (float)quality, &webp);
    *out = n ? malloc(n) : NULL;
    if (*out) memcpy(*out, webp, n);
    WebPFree(webp);
    if (!*out) return snprintf(err, errlen, "WebP encoding failed"), false;
    *out_len = n;
    return true;
}

bool image_encode(const i2i_image *img, const result_spec *spec, uint8_t **out, size_t *out_len,
                  char *err, size_t errlen) {
    *out = NULL;
    *out_len = 0;
    if (!img || !img->rgb || img->width <= 0 || img->height <= 0 || img->width > INT_MAX / 3)
        return snprintf(err, errlen, "no image to encode"), false;
    switch (spec->format) {
    case RESULT_JPEG:
        return encode_jpeg(img, spec->quality, out, out_len, err, errlen);
    case RESULT_WEBP:
        return encode_webp(img, spec->quality, out, out_len, err, errlen);
    default:
        return image_encode_png(img, out, out_len, err, errlen) == IMAGE_OK;
    }
}
