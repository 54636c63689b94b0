/* Image codec: header probing (a 20000x20000 PNG is refused from its
 * header alone), decoding with alpha/grey conversion, round trips, and
 * corrupt or unsupported input. */
#include "check.h"
#include "image_codec.h"

#include <stb_image_write.h>
#include <stdlib.h>
#include <string.h>

typedef struct buf {
    uint8_t *data;
    size_t len;
} buf;

static void buf_write(void *ctx, void *data, int size) {
    buf *b = ctx;
    b->data = realloc(b->data, b->len + (size_t)size);
    memcpy(b->data + b->len, data, (size_t)size);
    b->len += (size_t)size;
}

static buf encode_png(int w, int h, int comp, const uint8_t *px) {
    buf b = {0};
    stbi_write_png_to_func(buf_write, &b, w, h, comp, px, w * comp);
    return b;
}

static void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8),
    p[3] = (uint8_t)v;
}

/* A PNG that is only a signature and an IHDR chunk: enough for a header
 * check, and far too small to hold 20000x20000 pixels. */
static void test_huge_header_refused(void) {
    uint8_t png[33] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
    put_be32(png + 8, 13);
    memcpy(png + 12, "IHDR", 4);
    put_be32(png + 16, 20000);
    put_be32(png + 20, 20000);
    png[24] = 8; /* bit depth */
    png[25] = 2; /* colour type RGB */
    image_info info;
    char err[256];
    CHECK(image_probe(png, sizeof png, &info, err, sizeof err) == IMAGE_OK);
    CHECK(info.format == IMAGE_FORMAT_PNG && info.width == 20000 && info.height == 20000);
    i2i_image img;
    image_codec_status st = image_decode_rgb(png, sizeof png, 4096 * 4096, &img, err, sizeof err);
    CHECK_MSG(st == IMAGE_ERR_TOO_LARGE, "status %s: %s", image_codec_status_name(st), err);
    CHECK(strstr(err, "20000x20000") != NULL);
    CHECK(img.rgb == NULL);
}

static void test_round_trip_rgb(void) {
    enum { W = 5, H = 3 };
    uint8_t px[W * H * 3];
    for (int i = 0; i < W * H * 3; i++)
        px[i] = (uint8_t)(i * 17);
    i2i_image in = {W, H, px}, out;
    uint8_t *png;
    size_t len;
    char err[256];
    CHECK(image_encode_png(&in, &png, &len, err, sizeof err) == IMAGE_OK);
    image_info info;
    CHECK(image_probe(png, len, &info, err, sizeof err) == IMAGE_OK);
    CHECK(info.width == W && info.height == H);
    CHECK(image_decode_rgb(png, len, 0, &out, err, sizeof err) == IMAGE_OK);
    CHECK(out.width == W && out.height == H && memcmp(out.rgb, px, sizeof px) == 0);
    free(out.rgb);
    /* the exact pixel count is allowed, one less is not */
    CHECK(image_decode_rgb(png, len, W * H, &out, err, sizeof err) == IMAGE_OK);
    free(out.rgb);
    CHECK(image_decode_rgb(png, len, W * H - 1, &out, err, sizeof err) == IMAGE_ERR_TOO_LARGE);
    free(png);
}

static void test_alpha_and_grey(void) {
    /* RGBA: opaque red, transparent black (-> white), half-transparent black */
    const uint8_t rgba[] = {255, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 128};
    buf b = encode_png(3, 1, 4, rgba);
    i2i_image out;
    char err[256];
    CHECK(image_decode_rgb(b.data, b.len, 0, &out, err, sizeof err) == IMAGE_OK);
    const uint8_t want[] = {255, 0, 0, 255, 255, 255, 127, 127, 127};
    CHECK_MSG(memcmp(out.rgb, want, 9) == 0, "got %u %u %u | %u %u %u | %u %u %u", out.rgb[0],
              out.rgb[1], out.rgb[2], out.rgb[3], out.rgb[4], out.rgb[5], out.rgb[6], out.rgb[7],
              out.rgb[8]);
    free(out.rgb);
    free(b.data);

    const uint8_t grey[] = {10, 200};
    b = encode_png(2, 1, 1, grey);
    CHECK(image_decode_rgb(b.data, b.len, 0, &out, err, sizeof err) == IMAGE_OK);
    const uint8_t want_g[] = {10, 10, 10, 200, 200, 200};
    CHECK(memcmp(out.rgb, want_g, 6) == 0);
    free(out.rgb);
    free(b.data);
}

static void test_jpeg(void) {
    enum { W = 16, H = 8 };
    uint8_t px[W * H * 3];
    memset(px, 90, sizeof px);
    buf b = {0};
    stbi_write_jpg_to_func(buf_write, &b, W, H, 3, px, 90);
    image_info info;
    char err[256];
    CHECK_MSG(image_probe(b.data, b.len, &info, err, sizeof err) == IMAGE_OK, "%s", err);
    CHECK(info.format == IMAGE_FORMAT_JPEG && info.width == W && info.height == H);
    i2i_image out;
    CHECK(image_decode_rgb(b.data, b.len, 0, &out, err, sizeof err) == IMAGE_OK);
    CHECK(out.width == W && out.height == H && abs(out.rgb[0] - 90) <= 3);
    free(out.rgb);
    CHECK(image_decode_rgb(b.data, b.len, W * H - 1, &out, err, sizeof err) == IMAGE_ERR_TOO_LARGE);
    free(b.data);
}

static void test_bad_input(void) {
    i2i_image out;
    char err[256];
    const uint8_t text[] = "hello, this is not an image";
    CHECK(image_decode_rgb(text, sizeof text, 0, &out, err, sizeof err) == IMAGE_ERR_FORMAT);
    CHECK(image_decode_rgb(NULL, 0, 0, &out, err, sizeof err) == IMAGE_ERR_FORMAT);

    const uint8_t px[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    buf b = encode_png(2, 2, 3, px);
    /* header intact, pixel data cut off */
    CHECK(image_decode_rgb(b.data, 40, 0, &out, err, sizeof err) == IMAGE_ERR_CORRUPT);
    CHECK(err[0] != '\0');
    /* truncated before the IHDR */
    CHECK(image_decode_rgb(b.data, 12, 0, &out, err, sizeof err) == IMAGE_ERR_CORRUPT);
    /* zero width */
    put_be32(b.data + 16, 0);
    CHECK(image_decode_rgb(b.data, b.len, 0, &out, err, sizeof err) == IMAGE_ERR_CORRUPT);
    free(b.data);
    /* a JPEG with no frame header */
    const uint8_t jpeg[] = {0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 'J', 'F', 0xff, 0xd9};
    CHECK(image_decode_rgb(jpeg, sizeof jpeg, 0, &out, err, sizeof err) == IMAGE_ERR_CORRUPT);
    i2i_image none = {0, 0, NULL};
    uint8_t *png;
    size_t len;
    CHECK(image_encode_png(&none, &png, &len, err, sizeof err) == IMAGE_ERR_INVALID);
}

int main(void) {
    test_huge_header_refused();
    test_round_trip_rgb();
    test_alpha_and_grey();
    test_jpeg();
    test_bad_input();
    return CHECK_DONE();
}
