/* Uploaded image files: image_probe, then image_decode_rgb under a small
 * pixel limit (what the server does with --max-pixels). A decode must agree
 * with the probe, and a small decoded image must survive a PNG round trip. */
#include "image_codec.h"
#include "support.h"

#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_PIXELS (256 * 256)
#define FUZZ_ROUND_TRIP_PIXELS (64 * 64)

static void round_trip(const i2i_image *img) {
    uint8_t *png = NULL;
    size_t png_len = 0;
    char err[256];
    if (image_encode_png(img, &png, &png_len, err, sizeof err) != IMAGE_OK) abort();
    i2i_image back = {0};
    if (image_decode_rgb(png, png_len, 0, &back, err, sizeof err) != IMAGE_OK) abort();
    if (back.width != img->width || back.height != img->height ||
        memcmp(back.rgb, img->rgb, (size_t)img->width * img->height * 3) != 0)
        abort();
    free(back.rgb);
    free(png);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* An exact-size copy, so ASan sees any read past the file's end. */
    uint8_t *copy = malloc(size ? size : 1);
    if (size) memcpy(copy, data, size);
    image_info info;
    char err[256];
    image_codec_status ps = image_probe(copy, size, &info, err, sizeof err);
    i2i_image img = {0};
    image_codec_status ds = image_decode_rgb(copy, size, FUZZ_MAX_PIXELS, &img, err, sizeof err);
    if (ds == IMAGE_OK) {
        if (ps != IMAGE_OK || img.width != info.width || img.height != info.height || !img.rgb ||
            (int64_t)img.width * img.height > FUZZ_MAX_PIXELS)
            abort();
        if ((int64_t)img.width * img.height <= FUZZ_ROUND_TRIP_PIXELS) round_trip(&img);
    } else if (img.rgb) {
        abort(); /* on failure out->rgb is NULL */
    }
    free(img.rgb);
    free(copy);
    return 0;
}
