/* Padding, normalisation and cropping between 8-bit RGB and NCHW tensors. */
#include "image_prep.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* v rounded up to a multiple of align, or -1 when that does not fit an int
 * (the sum v + align - 1 itself would overflow). */
static int round_up(int v, int align) {
    if (align <= 0 || v > INT_MAX - (align - 1)) return -1;
    return (v + align - 1) / align * align;
}

bool image_frame_prepare(const i2i_image *in, int align, long max_pixels, image_frame *f, char *err,
                         size_t errlen) {
    if (!in || !in->rgb || in->width <= 0 || in->height <= 0) {
        snprintf(err, errlen, "no image data");
        return false;
    }
    if (in->width < IMAGE_MIN_SIDE || in->height < IMAGE_MIN_SIDE) {
        snprintf(err, errlen, "image is %dx%d; both sides must be at least %d pixels", in->width,
                 in->height, IMAGE_MIN_SIDE);
        return false;
    }
    if ((long)in->width * in->height > max_pixels) {
        snprintf(err, errlen, "image is %dx%d = %ld pixels; the limit is %ld", in->width,
                 in->height, (long)in->width * in->height, max_pixels);
        return false;
    }
    f->src = in;
    f->width = in->width;
    f->height = in->height;
    f->padded_width = round_up(in->width, align);
    f->padded_height = round_up(in->height, align);
    if (f->padded_width < 0 || f->padded_height < 0) {
        snprintf(err, errlen, "image is %dx%d; padded to a multiple of %d it is too large",
                 in->width, in->height, align);
        return false;
    }
    return true;
}

ts_tensor *image_frame_to_tensor(const image_frame *f) {
    const int pw = f->padded_width, ph = f->padded_height;
    const size_t plane = (size_t)pw * (size_t)ph; /* an int overflows past 46340^2 */
    float *buf = malloc(sizeof(float) * 3 * plane);
    if (!buf) {
        ts_error_set("out of memory for a %dx%d image", pw, ph);
        return NULL;
    }
    for (int y = 0; y < ph; y++) {
        const int sy = y < f->height ? y : f->height - 1; /* repeat the edge */
        for (int x = 0; x < pw; x++) {
            const int sx = x < f->width ? x : f->width - 1;
            const uint8_t *px = f->src->rgb + 3 * ((size_t)sy * f->width + sx);
            for (int c = 0; c < 3; c++)
                buf[(size_t)c * plane + (size_t)y * pw + x] = px[c] / 127.5f - 1.0f;
        }
    }
    int64_t shape[4] = {1, 3, ph, pw};
    ts_tensor *t = ts_from_floats(buf, shape, 4);
    free(buf);
    return t;
}

static uint8_t to_byte(float v) {
    float u = (v + 1.0f) * 127.5f;
    if (!(u > 0)) return 0; /* also maps NaN to 0 */
    if (u >= 255) return 255;
    return (uint8_t)lrintf(u);
}

bool image_frame_from_tensor(const image_frame *f, ts_tensor *t, i2i_image *out) {
    const int pw = f->padded_width, ph = f->padded_height;
    const size_t plane = (size_t)pw * (size_t)ph;
    if (!t) return false;
    if (ts_ndim(t) != 4 || ts_dim(t, 1) != 3 || ts_dim(t, 2) != ph || ts_dim(t, 3) != pw) {
        ts_error_set("decoder returned an image of unexpected shape");
        return false;
    }
    float *buf = malloc(sizeof(float) * 3 * plane);
    uint8_t *rgb = malloc(3 * (size_t)f->width * f->height);
    bool ok = buf && rgb && ts_to_floats(t, buf, 3 * (int64_t)plane);
    if (ok) {
        for (int y = 0; y < f->height; y++)
            for (int x = 0; x < f->width; x++)
                for (int c = 0; c < 3; c++)
                    rgb[3 * ((size_t)y * f->width + x) + c] =
                        to_byte(buf[(size_t)c * plane + (size_t)y * pw + x]);
        out->width = f->width;
        out->height = f->height;
        out->rgb = rgb;
    } else {
        free(rgb);
        if (!ts_failed()) ts_error_set("out of memory");
    }
    free(buf);
    return ok;
}
