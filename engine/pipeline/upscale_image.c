/* Upscale pipeline image handling (see upscale_image.h). Planar float
 * buffers throughout: the bicubic and colour-fix steps are plain C loops,
 * and only the padded input crosses into a tensor. */
#include "upscale_image.h"
#include "bicubic.h"
#include "color_fix.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int round_up(int v, int m) {
    return (v + m - 1) / m * m;
}

bool upscale_frame_sizes(int w, int h, double scale, int resolution, int align, long max_pixels,
                         upscale_frame *f, char *err, size_t errlen) {
    memset(f, 0, sizeof *f);
    if (!(scale >= I2I_UPSCALE_MIN && scale <= I2I_UPSCALE_MAX))
        return snprintf(err, errlen, "scale must be in [%g, %g]", I2I_UPSCALE_MIN, I2I_UPSCALE_MAX),
               false;
    const int short_side = w < h ? w : h;
    double us = (double)resolution / short_side;
    if (us < scale) us = scale;
    *f = (upscale_frame){.in_w = w,
                         .in_h = h,
                         .up_w = (int)(w * us),
                         .up_h = (int)(h * us),
                         .out_w = (int)floor(w * scale),
                         .out_h = (int)floor(h * scale)};
    f->padded_w = round_up(f->up_w, align);
    f->padded_h = round_up(f->up_h, align);
    if ((int64_t)f->padded_w * f->padded_h > max_pixels)
        return snprintf(err, errlen,
                        "upscaling %dx%d by %g runs at %dx%d, over the bundle's %ld pixels", w, h,
                        scale, f->padded_w, f->padded_h, max_pixels),
               false;
    return true;
}

/* 8-bit RGB -> 3 planes in [-1, 1]. */
static float *to_planes(const i2i_image *in) {
    const size_t n = (size_t)in->width * in->height;
    float *p = malloc(3 * n * sizeof *p);
    for (size_t i = 0; p && i < n; i++)
        for (int c = 0; c < 3; c++)
            p[c * n + i] = in->rgb[3 * i + c] / 127.5f - 1.0f;
    return p;
}

static void clamp_all(float *v, size_t n, float lo, float hi) {
    for (size_t i = 0; i < n; i++)
        v[i] = v[i] < lo ? lo : v[i] > hi ? hi : v[i];
}

/* The upscaled planes padded right and bottom by repeating the edge. */
static float *pad_planes(const upscale_frame *f) {
    const int pw = f->padded_w, ph = f->padded_h;
    float *p = malloc((size_t)3 * pw * ph * sizeof *p);
    for (int c = 0; p && c < 3; c++)
        for (int y = 0; y < ph; y++) {
            const float *src =
                f->upscaled + ((size_t)c * f->up_h + (y < f->up_h ? y : f->up_h - 1)) * f->up_w;
            float *dst = p + ((size_t)c * ph + y) * pw;
            memcpy(dst, src, (size_t)f->up_w * sizeof *dst);
            for (int x = f->up_w; x < pw; x++)
                dst[x] = src[f->up_w - 1];
        }
    return p;
}

ts_tensor *upscale_frame_input(upscale_frame *f, const i2i_image *in) {
    float *planes = to_planes(in);
    const size_t up = (size_t)f->up_w * f->up_h;
    f->upscaled = planes ? malloc(3 * up * sizeof *f->upscaled) : NULL;
    bool ok = f->upscaled && bicubic_resize_planes(planes, 3, in->height, in->width, f->upscaled,
                                                   f->up_h, f->up_w);
    free(planes);
    if (!ok)
        return ts_error_set("upscale: out of memory for a %dx%d image", f->up_w, f->up_h), NULL;
    clamp_all(f->upscaled, 3 * up, -1.0f, 1.0f);
    float *padded = pad_planes(f);
    if (!padded) return ts_error_set("upscale: out of memory padding the image"), NULL;
    const int64_t shape[4] = {1, 3, f->padded_h, f->padded_w};
    return ts_wrap_floats(padded, shape, 4, free, padded);
}

/* The decoded tensor's top-left up_h x up_w as planes. */
static float *crop_planes(const upscale_frame *f, ts_tensor *decoded) {
    const size_t up = (size_t)f->up_w * f->up_h;
    ts_scope s = ts_scope_begin();
    ts_tensor *c = ts_narrow(ts_narrow(decoded, 2, 0, f->up_h), 3, 0, f->up_w);
    float *crop = malloc(3 * up * sizeof *crop);
    bool ok = crop && ts_to_floats(ts_contiguous(c), crop, (int64_t)(3 * up));
    ts_scope_end(s);
    if (!ok) free(crop);
    return ok ? crop : NULL;
}

static bool color_fix(const upscale_frame *f, float *planes, i2i_color_fix fix) {
    const int64_t hw = (int64_t)f->up_w * f->up_h;
    if (fix == I2I_COLOR_FIX_ADAIN) color_fix_adain(planes, f->upscaled, 3, hw);
    if (fix == I2I_COLOR_FIX_WAVELET)
        return color_fix_wavelet(planes, f->upscaled, 3, f->up_h, f->up_w);
    return true;
}

/* Planes in [-1, 1] (values outside clipped) -> 8-bit RGB, rounded. */
static bool to_rgb8(const float *p, int w, int h, i2i_image *out) {
    const size_t n = (size_t)w * h;
    *out = (i2i_image){w, h, malloc(3 * n)};
    for (size_t i = 0; out->rgb && i < n; i++)
        for (int c = 0; c < 3; c++) {
            float v = (p[c * n + i] + 1.0f) * 127.5f;
            out->rgb[3 * i + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5f);
        }
    return out->rgb != NULL;
}

i2i_status upscale_frame_finish(const upscale_frame *f, ts_tensor *decoded, i2i_color_fix fix,
                                i2i_image *out, char *err, size_t errlen) {
    float *planes = decoded ? crop_planes(f, decoded) : NULL;
    if (!planes)
        return snprintf(err, errlen, "upscale: %s",
                        ts_failed() ? ts_last_error() : "out of memory"),
               I2I_ERR_INTERNAL;
    bool ok = color_fix(f, planes, fix);
    float *result = planes;
    if (ok && (f->out_w != f->up_w || f->out_h != f->up_h)) {
        /* StableSR clamps to [0, 1] before this resize */
        clamp_all(planes, (size_t)3 * f->up_w * f->up_h, -1.0f, 1.0f);
        result = malloc((size_t)3 * f->out_w * f->out_h * sizeof *result);
        ok = result &&
             bicubic_resize_planes(planes, 3, f->up_h, f->up_w, result, f->out_h, f->out_w);
    }
    ok = ok && to_rgb8(result, f->out_w, f->out_h, out);
    if (result != planes) free(result);
    free(planes);
    if (!ok)
        return snprintf(err, errlen, "upscale: out of memory for the result"), I2I_ERR_INTERNAL;
    return I2I_OK;
}

void upscale_frame_free(upscale_frame *f) {
    free(f->upscaled);
    f->upscaled = NULL;
}
