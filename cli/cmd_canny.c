/* i2i canny --image IN --out OUT.png [--low 100] [--high 200]: the ControlNet canny hint of
 * an image, equal to OpenCV's cv2.Canny(rgb, low, high), written as an RGB PNG whose three
 * channels are equal (edges 255, elsewhere 0), which is the form ControlNet feeds its hint in. */
#include "canny.h"
#include "commands.h"
#include "file_util.h"
#include "image_codec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Largest input file read at all; the pixel limit below is checked from the header. */
#define CANNY_MAX_FILE_BYTES (256L << 20)

typedef struct canny_args {
    const char *image, *out;
    int low, high;
} canny_args;

static int canny_usage(FILE *f) {
    fprintf(f,
            "usage: i2i canny --image IN.png|jpg --out OUT.png [--low L] [--high H]\n"
            "  L, H: integer thresholds 0..%d on |dx|+|dy| of the 3x3 Sobel, L <= H\n"
            "        (default 100 and 200, ControlNet's canny defaults)\n"
            "  images over %d pixels are refused\n",
            CANNY_THRESHOLD_MAX, CANNY_MAX_PIXELS);
    return f == stdout ? 0 : 2;
}

static int parse_threshold(const char *opt, const char *val, int *out) {
    char *end = NULL;
    errno = 0;
    long v = strtol(val, &end, 10);
    if (errno || end == val || *end || v < 0 || v > CANNY_THRESHOLD_MAX) {
        fprintf(stderr, "i2i canny: %s must be an integer 0..%d, got '%s'\n", opt,
                CANNY_THRESHOLD_MAX, val);
        return 2;
    }
    *out = (int)v;
    return 0;
}

/* Returns 0 to go on, 2 for a usage error, -1 after printing --help. */
static int parse_canny_args(int argc, char **argv, canny_args *a) {
    *a = (canny_args){NULL, NULL, 100, 200};
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        if (!strcmp(opt, "--help") || !strcmp(opt, "-h")) return canny_usage(stdout) - 1;
        if (strcmp(opt, "--image") && strcmp(opt, "--out") && strcmp(opt, "--low") &&
            strcmp(opt, "--high")) {
            fprintf(stderr, "i2i canny: unknown option '%s'\n", opt);
            return canny_usage(stderr);
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "i2i canny: option %s needs a value\n", opt);
            return 2;
        }
        const char *val = argv[++i];
        if (!strcmp(opt, "--image"))
            a->image = val;
        else if (!strcmp(opt, "--out"))
            a->out = val;
        else if (parse_threshold(opt, val, !strcmp(opt, "--low") ? &a->low : &a->high))
            return 2;
    }
    if (!a->image || !a->out) {
        fprintf(stderr, "i2i canny: --image and --out are required\n");
        return canny_usage(stderr);
    }
    /* OpenCV would swap them silently; a swapped pair is more likely a typo. */
    if (a->low > a->high) {
        fprintf(stderr, "i2i canny: --low %d is above --high %d\n", a->low, a->high);
        return 2;
    }
    return 0;
}

static int load_image(const char *path, i2i_image *img) {
    size_t len;
    char err[512];
    uint8_t *data = file_read_all(path, CANNY_MAX_FILE_BYTES, &len, err, sizeof err);
    if (!data) return fprintf(stderr, "i2i canny: %s\n", err), 1;
    image_codec_status st = image_decode_rgb(data, len, CANNY_MAX_PIXELS, img, err, sizeof err);
    free(data);
    if (st != IMAGE_OK) return fprintf(stderr, "i2i canny: %s: %s\n", path, err), 1;
    return 0;
}

/* Edges into the image's own RGB buffer, each value in all three channels: the input
 * pixels are spent by then, and this saves a second 3-byte-per-pixel buffer. */
static int edges_to_png(i2i_image *img, const uint8_t *edges, const char *path) {
    size_t npix = (size_t)img->width * img->height;
    for (size_t i = 0; i < npix; i++)
        img->rgb[3 * i] = img->rgb[3 * i + 1] = img->rgb[3 * i + 2] = edges[i];
    uint8_t *png;
    size_t len;
    char err[512];
    if (image_encode_png(img, &png, &len, err, sizeof err) != IMAGE_OK)
        return fprintf(stderr, "i2i canny: %s\n", err), 1;
    bool ok = file_write_atomic(path, png, len, err, sizeof err);
    free(png);
    if (!ok) return fprintf(stderr, "i2i canny: %s\n", err), 1;
    return 0;
}

int cmd_canny(int argc, char **argv) {
    canny_args a;
    int rc = parse_canny_args(argc, argv, &a);
    if (rc) return rc < 0 ? 0 : rc;
    i2i_image img = {0};
    if (load_image(a.image, &img)) return 1;
    uint8_t *edges = malloc((size_t)img.width * img.height);
    char err[256];
    if (!edges) {
        fprintf(stderr, "i2i canny: out of memory for a %dx%d image\n", img.width, img.height);
        rc = 1;
    } else if (canny_edges_rgb(img.rgb, img.width, img.height, a.low, a.high, edges, err,
                               sizeof err)) {
        fprintf(stderr, "i2i canny: %s\n", err);
        rc = 1;
    } else {
        rc = edges_to_png(&img, edges, a.out);
    }
    free(edges);
    free(img.rgb);
    return rc;
}
