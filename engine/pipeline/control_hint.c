/* Canny / raw hint for ControlNet (see control_hint.h). */
#include "control_hint.h"
#include "canny.h"
#include "resample.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool control_working_size(int w, int h, const i2i_params *p, int multiple, int *ow, int *oh,
                          char *err, size_t errlen) {
    if (p->control_type == I2I_CONTROL_RAW || p->resolution == 0) {
        if (w % multiple || h % multiple) {
            snprintf(err, errlen,
                     "%s is %dx%d; %s it is used without resampling, so both sides must be "
                     "multiples of %d",
                     p->control_type == I2I_CONTROL_RAW ? "edge map" : "image", w, h,
                     p->control_type == I2I_CONTROL_RAW ? "with control_type=raw"
                                                        : "at resolution 0",
                     multiple);
            return false;
        }
        *ow = w, *oh = h;
        return true;
    }
    image_working_size_short_side(w, h, p->resolution, multiple, ow, oh);
    return true;
}

/* edges (one byte per pixel, 0/255) -> [1, 3, h, w] floats in [0, 1]. */
static ts_tensor *hint_from_edges(const uint8_t *edges, int w, int h) {
    const size_t plane = (size_t)w * (size_t)h;
    float *v = malloc(sizeof(float) * 3 * plane);
    if (!v) return NULL;
    for (size_t i = 0; i < plane; i++)
        v[i] = v[plane + i] = v[2 * plane + i] = edges[i] / 255.0f;
    const int64_t shape[4] = {1, 3, h, w};
    ts_tensor *t = ts_from_floats(v, shape, 4);
    free(v);
    return t;
}

/* A raw edge map keeps its own three channels (a grey map decodes to three
 * equal ones). */
static ts_tensor *hint_from_rgb(const i2i_image *img) {
    const size_t plane = (size_t)img->width * (size_t)img->height;
    float *v = malloc(sizeof(float) * 3 * plane);
    if (!v) return NULL;
    for (size_t i = 0; i < plane; i++)
        for (int c = 0; c < 3; c++)
            v[c * plane + i] = img->rgb[3 * i + (size_t)c] / 255.0f;
    const int64_t shape[4] = {1, 3, img->height, img->width};
    ts_tensor *t = ts_from_floats(v, shape, 4);
    free(v);
    return t;
}

static ts_tensor *canny_hint(const i2i_image *in, const i2i_params *p, int w, int h, char *err,
                             size_t errlen) {
    const size_t plane = (size_t)w * (size_t)h;
    uint8_t *rgb = malloc(3 * plane), *edges = malloc(plane);
    ts_tensor *t = NULL;
    if (!rgb || !edges)
        snprintf(err, errlen, "out of memory");
    else if (image_resize_rgb8(in->rgb, in->width, in->height, rgb, w, h) != 0)
        snprintf(err, errlen, "cannot resample the image to %dx%d", w, h);
    else if (canny_edges_rgb(rgb, w, h, p->low_threshold, p->high_threshold, edges, err, errlen) ==
                 0 &&
             !(t = hint_from_edges(edges, w, h)))
        snprintf(err, errlen, "out of memory");
    free(rgb);
    free(edges);
    return t;
}

ts_tensor *control_hint_make(const i2i_image *in, const i2i_params *p, int multiple, char *err,
                             size_t errlen) {
    int w, h;
    if (!control_working_size(in->width, in->height, p, multiple, &w, &h, err, errlen)) return NULL;
    if (p->control_type == I2I_CONTROL_RAW) {
        ts_tensor *t = hint_from_rgb(in);
        if (!t) snprintf(err, errlen, "out of memory");
        return t;
    }
    return canny_hint(in, p, w, h, err, errlen);
}
