/* Image codec: header probing (a 20000x20000 PNG is refused from its
 * header alone), decoding with alpha/grey conversion, round trips, and
 * corrupt or unsupported input; then real files made by ImageMagick,
 * exiftool and Pillow (tests/data/images, see its README.md): EXIF
 * orientation, PNG colour types and bit depths, JPEG variants, other
 * formats, truncation, and hostile EXIF and marker data. */
#include "check.h"
#include "image_codec.h"

#include <stb_image_write.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

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

/* ---- real files ---------------------------------------------------------- */

static buf load_file(const char *name) {
    const char *dir = getenv("I2I_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/data/images/%s", dir ? dir : ".", name);
    buf b = {0};
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return b;
    }
    uint8_t chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_write(&b, chunk, (int)n);
    fclose(f);
    return b;
}

static image_codec_status decode_file(const char *name, i2i_image *out, char *err, size_t errlen) {
    buf b = load_file(name);
    image_codec_status st = image_decode_rgb(b.data, b.len, 0, out, err, errlen);
    free(b.data);
    return st;
}

/* Largest per-sample difference, or -1 when the sizes differ. */
static int image_diff(const i2i_image *a, const i2i_image *b) {
    if (a->width != b->width || a->height != b->height) return -1;
    int m = 0;
    for (size_t i = 0; i < (size_t)a->width * a->height * 3; i++) {
        int d = abs(a->rgb[i] - b->rgb[i]);
        if (d > m) m = d;
    }
    return m;
}

/* Decodes `name` and its reference PNG `ref` (made by another tool) and
 * checks they agree to within tol per sample. */
static void check_like_reference(const char *name, const char *ref, int tol) {
    i2i_image got, want;
    char err[256] = "";
    image_codec_status st = decode_file(name, &got, err, sizeof err);
    CHECK_MSG(st == IMAGE_OK, "%s: %s: %s", name, image_codec_status_name(st), err);
    st = decode_file(ref, &want, err, sizeof err);
    CHECK_MSG(st == IMAGE_OK, "%s: %s: %s", ref, image_codec_status_name(st), err);
    if (got.rgb && want.rgb) {
        int d = image_diff(&got, &want);
        if (getenv("VERBOSE")) printf("%-24s vs %-24s max diff %d\n", name, ref, d);
        CHECK_MSG(d >= 0 && d <= tol, "%s (%dx%d) vs %s (%dx%d): max diff %d > %d", name, got.width,
                  got.height, ref, want.width, want.height, d, tol);
    }
    free(got.rgb);
    free(want.rgb);
}

/* orient_N.jpg holds the same pixels with EXIF orientation N; the references
 * are ImageMagick's -auto-orient (which make_images.sh checks against
 * exiftran -a). The pattern has no symmetry, so a wrong turn or mirror is
 * off by up to 255, far past the JPEG decoder tolerance. */
static void test_exif_orientation_files(void) {
    for (int n = 1; n <= 8; n++) {
        char name[64], ref[64], err[256];
        snprintf(name, sizeof name, "orient_%d.jpg", n);
        snprintf(ref, sizeof ref, "orient_%d.ref.png", n);
        buf b = load_file(name);
        image_info info;
        CHECK(image_probe(b.data, b.len, &info, err, sizeof err) == IMAGE_OK);
        int quarter = n >= 5;
        CHECK_MSG(info.orientation == n && info.width == (quarter ? 32 : 48) &&
                      info.height == (quarter ? 48 : 32),
                  "%s: orientation %d, %dx%d", name, info.orientation, info.width, info.height);
        free(b.data);
        check_like_reference(name, ref, 3);
    }
    check_like_reference("orient_6_ii.jpg", "orient_6.ref.png", 3);
    /* a camera-like Exif block with an embedded JPEG thumbnail */
    check_like_reference("orient_6_thumb.jpg", "orient_6.ref.png", 3);
    /* PNG eXIf: lossless, so exact against Pillow's exif_transpose */
    check_like_reference("orient_6.png", "orient_6_png.ref.png", 0);

    /* the comparison does tell orientations apart */
    i2i_image a, b;
    char err[256];
    CHECK(decode_file("orient_2.jpg", &a, err, sizeof err) == IMAGE_OK);
    CHECK(decode_file("orient_4.ref.png", &b, err, sizeof err) == IMAGE_OK);
    CHECK(image_diff(&a, &b) > 200);
    free(a.rgb);
    free(b.rgb);
}

/* The pixel limit is judged from the header, and the message gives the
 * upright size. */
static void test_orientation_and_limit(void) {
    buf b = load_file("orient_6.jpg");
    i2i_image out;
    char err[256];
    CHECK(image_decode_rgb(b.data, b.len, 32 * 48 - 1, &out, err, sizeof err) ==
          IMAGE_ERR_TOO_LARGE);
    CHECK_MSG(strstr(err, "32x48") != NULL, "%s", err);
    CHECK(out.rgb == NULL);
    CHECK(image_decode_rgb(b.data, b.len, 32 * 48, &out, err, sizeof err) == IMAGE_OK);
    CHECK(out.width == 32 && out.height == 48);
    free(out.rgb);
    free(b.data);
}

/* Every PNG colour type and depth against ImageMagick's flatten on white.
 * 8-bit files agree exactly or to the compositing rounding; 16-bit ones
 * differ by our v >> 8 against its round(v / 257), at most 1 per step, so 2
 * where alpha and colour both lose their low byte. */
static void test_png_colour_types(void) {
    static const struct {
        const char *name;
        int tol;
    } files[] = {{"grey.png", 0},         {"grey_alpha.png", 1},   {"palette.png", 0},
                 {"palette_trns.png", 0}, {"rgba.png", 1},         {"interlaced.png", 0},
                 {"grey16.png", 1},       {"grey_alpha16.png", 2}, {"rgb16.png", 1},
                 {"rgba16.png", 2}};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char ref[64];
        snprintf(ref, sizeof ref, "%.*s.ref.png", (int)(strlen(files[i].name) - 4), files[i].name);
        check_like_reference(files[i].name, ref, files[i].tol);
    }
}

static void put_chunk(buf *b, const char *type, const uint8_t *data, uint32_t n) {
    uint8_t hdr[8];
    put_be32(hdr, n);
    memcpy(hdr + 4, type, 4);
    buf_write(b, hdr, 8);
    if (n) buf_write(b, (void *)data, (int)n);
    uLong crc = crc32(crc32(0, hdr + 4, 4), data, n);
    uint8_t c[4];
    put_be32(c, (uint32_t)crc);
    buf_write(b, c, 4);
}

/* A 16-bit grey PNG with chosen samples: the 8-bit value is the high byte. */
static void test_16bit_rounding(void) {
    static const uint16_t v[] = {0, 255, 256, 32767, 32768, 65279, 65280, 65535};
    enum { N = sizeof v / sizeof v[0] };
    uint8_t raw[1 + 2 * N] = {0}; /* filter byte 0, then big-endian samples */
    for (int i = 0; i < N; i++)
        raw[1 + 2 * i] = (uint8_t)(v[i] >> 8), raw[2 + 2 * i] = (uint8_t)v[i];
    uint8_t z[64];
    uLongf zlen = sizeof z;
    CHECK(compress(z, &zlen, raw, sizeof raw) == Z_OK);
    uint8_t ihdr[13] = {0};
    put_be32(ihdr, N);
    put_be32(ihdr + 4, 1);
    ihdr[8] = 16; /* bit depth; colour type 0 = grey */
    buf b = {0};
    buf_write(&b, (void *)"\x89PNG\r\n\x1a\n", 8);
    put_chunk(&b, "IHDR", ihdr, 13);
    put_chunk(&b, "IDAT", z, (uint32_t)zlen);
    put_chunk(&b, "IEND", NULL, 0);
    i2i_image out;
    char err[256];
    CHECK_MSG(image_decode_rgb(b.data, b.len, 0, &out, err, sizeof err) == IMAGE_OK, "%s", err);
    for (int i = 0; out.rgb && i < N; i++)
        CHECK_MSG(out.rgb[3 * i] == v[i] >> 8 && out.rgb[3 * i + 2] == v[i] >> 8, "16-bit %u -> %u",
                  v[i], out.rgb[3 * i]);
    free(out.rgb);
    free(b.data);
}

static void test_jpeg_variants(void) {
    /* stb and libjpeg (behind ImageMagick) differ by IDCT and upsampling
     * rounding only */
    check_like_reference("jpeg_progressive.jpg", "jpeg_progressive.ref.png", 3);
    check_like_reference("jpeg_grey.jpg", "jpeg_grey.ref.png", 3);
    check_like_reference("jpeg_yuv420.jpg", "jpeg_yuv420.ref.png", 3);
    /* CMYK with an Adobe marker: YCCK (ImageMagick) and plain (Pillow) */
    check_like_reference("jpeg_cmyk.jpg", "jpeg_cmyk.ref.png", 3);
    check_like_reference("jpeg_cmyk_plain.jpg", "jpeg_cmyk_plain.ref.png", 3);
    buf b = load_file("jpeg_cmyk_no_adobe.jpg");
    image_info info;
    i2i_image out;
    char err[256];
    CHECK(image_probe(b.data, b.len, &info, err, sizeof err) == IMAGE_ERR_FORMAT);
    CHECK(image_decode_rgb(b.data, b.len, 0, &out, err, sizeof err) == IMAGE_ERR_FORMAT);
    CHECK_MSG(strstr(err, "CMYK JPEG is not supported") && strstr(err, "convert to RGB"), "%s",
              err);
    CHECK(out.rgb == NULL);
    free(b.data);
}

static void test_other_formats_refused(void) {
    static const struct {
        const char *file, *name;
    } files[] = {{"small.gif", "GIF"},  {"anim.gif", "GIF"},           {"small.bmp", "BMP"},
                 {"small.tif", "TIFF"}, {"small.webp", "WebP"},        {"small.psd", "PSD"},
                 {"small.ppm", "PNM"},  {"small.hdr", "Radiance HDR"}, {"small.tga", NULL}};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        buf b = load_file(files[i].file);
        CHECK_MSG(b.len > 0, "%s missing", files[i].file);
        image_info info;
        i2i_image out;
        char err[256] = "";
        CHECK(image_probe(b.data, b.len, &info, err, sizeof err) == IMAGE_ERR_FORMAT);
        image_codec_status st = image_decode_rgb(b.data, b.len, 0, &out, err, sizeof err);
        CHECK_MSG(st == IMAGE_ERR_FORMAT && strstr(err, "only PNG and JPEG"), "%s: %s: %s",
                  files[i].file, image_codec_status_name(st), err);
        CHECK_MSG(!files[i].name || strstr(err, files[i].name), "%s: %s", files[i].file, err);
        CHECK(out.rgb == NULL);
        free(b.data);
    }
}

/* Every prefix of a file is refused, as corrupt once it is recognisably a
 * PNG or JPEG (for a PNG even one cut only in its final IEND CRC). */
static void check_prefixes_refused(const char *name) {
    buf b = load_file(name);
    int bad = 0;
    size_t first_bad = 0;
    for (size_t n = 0; n < b.len; n++) {
        uint8_t *copy = malloc(n ? n : 1); /* exact size: ASan sees any over-read */
        memcpy(copy, b.data, n);
        i2i_image out;
        char err[256];
        image_codec_status st = image_decode_rgb(copy, n, 0, &out, err, sizeof err);
        image_codec_status want = n >= 8 ? IMAGE_ERR_CORRUPT : st;
        if (st == IMAGE_OK || st != want || out.rgb) bad++, first_bad = bad == 1 ? n : first_bad;
        free(out.rgb);
        free(copy);
    }
    CHECK_MSG(bad == 0, "%s: %d prefixes not refused as corrupt (first at %zu bytes)", name, bad,
              first_bad);
    free(b.data);
}

static void test_truncated_files(void) {
    check_prefixes_refused("orient_6.jpg");
    check_prefixes_refused("jpeg_progressive.jpg");
    check_prefixes_refused("jpeg_yuv420.jpg");
    check_prefixes_refused("rgba.png");
    check_prefixes_refused("interlaced.png");
    check_prefixes_refused("palette_trns.png");
    /* the message for a JPEG cut in half */
    buf b = load_file("jpeg_progressive.jpg");
    i2i_image out;
    char err[256];
    CHECK(image_decode_rgb(b.data, b.len / 2, 0, &out, err, sizeof err) == IMAGE_ERR_CORRUPT);
    CHECK_MSG(strstr(err, "truncated") != NULL, "%s", err);
    free(b.data);
    b = load_file("rgba16.png");
    CHECK(image_decode_rgb(b.data, b.len / 2, 0, &out, err, sizeof err) == IMAGE_ERR_CORRUPT);
    CHECK_MSG(strstr(err, "truncated") != NULL, "%s", err);
    free(b.data);
}

static const uint8_t sof0_16x16[] = {0xff, 0xc0, 0, 17, 8,    0, 16, 0,    16, 3,
                                     1,    0x11, 0, 2,  0x11, 1, 3,  0x11, 1};

/* SOI, APP0, SOF0, EOI: a valid header and nothing to decode. stb "decodes"
 * this into uninitialised pixels. */
static void test_header_only_jpeg(void) {
    static const uint8_t app0[] = {0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0,
                                   1,    1,    0, 0,  1,   0,   1,   0,   0};
    buf b = {0};
    buf_write(&b, (void *)"\xff\xd8", 2);
    buf_write(&b, (void *)app0, sizeof app0);
    buf_write(&b, (void *)sof0_16x16, sizeof sof0_16x16);
    buf_write(&b, (void *)"\xff\xd9", 2);
    image_info info;
    i2i_image out;
    char err[256];
    CHECK(image_probe(b.data, b.len, &info, err, sizeof err) == IMAGE_OK);
    CHECK(info.width == 16 && info.height == 16 && info.orientation == 1);
    CHECK(image_decode_rgb(b.data, b.len, 0, &out, err, sizeof err) == IMAGE_ERR_CORRUPT);
    CHECK_MSG(strstr(err, "no scan") != NULL, "%s", err);
    CHECK(out.rgb == NULL);
    free(b.data);
}

/* Offset of the first marker m in a JPEG (after its SOI), by walking the
 * segments; for tests on files we made, so little checking. */
static size_t find_marker(const buf *b, uint8_t m) {
    size_t pos = 2;
    while (pos + 4 <= b->len && b->data[pos] == 0xff && b->data[pos + 1] != m)
        pos += 2 + ((size_t)b->data[pos + 2] << 8 | b->data[pos + 3]);
    return pos + 4 <= b->len ? pos : 0;
}

static image_codec_status decode_status(const buf *b, char *err, size_t errlen) {
    i2i_image out;
    image_codec_status st = image_decode_rgb(b->data, b->len, 0, &out, err, errlen);
    free(out.rgb);
    return st;
}

/* Valid but unsupported JPEG variants are format errors, from the header. */
static void test_jpeg_unsupported_variants(void) {
    static const struct {
        uint8_t sof;
        const char *what;
    } kinds[] = {
        {0xc3, "lossless"}, {0xc5, "hierarchical"}, {0xc9, "arithmetic"}, {0xca, "arithmetic"}};
    char err[256];
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        buf b = load_file("base.jpg");
        size_t sof = find_marker(&b, 0xc0);
        CHECK(sof > 0);
        b.data[sof + 1] = kinds[i].sof;
        CHECK(decode_status(&b, err, sizeof err) == IMAGE_ERR_FORMAT);
        CHECK_MSG(strstr(err, kinds[i].what) && strstr(err, "baseline and progressive"), "%s", err);
        free(b.data);
    }
    buf b = load_file("base.jpg");
    size_t sof = find_marker(&b, 0xc0);
    b.data[sof + 4] = 12; /* sample precision */
    CHECK(decode_status(&b, err, sizeof err) == IMAGE_ERR_FORMAT && strstr(err, "12-bit"));
    b.data[sof + 4] = 8;
    b.data[sof + 9] = 2; /* two components (the length no longer fits: still refused) */
    CHECK(decode_status(&b, err, sizeof err) != IMAGE_OK);
    free(b.data);
}

/* Structure problems a hostile file might use to get stale memory out. */
static void test_jpeg_bad_structure(void) {
    char err[256];
    /* a scan naming a component the frame lacks */
    buf b = load_file("base.jpg");
    size_t sos = find_marker(&b, 0xda);
    CHECK(sos > 0);
    b.data[sos + 5] = 77;
    CHECK(decode_status(&b, err, sizeof err) == IMAGE_ERR_CORRUPT);
    CHECK_MSG(strstr(err, "component") != NULL, "%s", err);
    free(b.data);

    /* a progressive JPEG without its DC-first scan: the first SOS segment
     * and its entropy data are cut out */
    b = load_file("jpeg_progressive.jpg");
    sos = find_marker(&b, 0xda);
    size_t end = sos + 2 + ((size_t)b.data[sos + 2] << 8 | b.data[sos + 3]);
    while (end + 1 < b.len && !(b.data[end] == 0xff && b.data[end + 1] != 0 &&
                                (b.data[end + 1] < 0xd0 || b.data[end + 1] > 0xd7)))
        end++;
    memmove(b.data + sos, b.data + end, b.len - end);
    b.len -= end - sos;
    CHECK(decode_status(&b, err, sizeof err) == IMAGE_ERR_CORRUPT);
    CHECK_MSG(strstr(err, "no scan") != NULL, "%s", err);
    free(b.data);

    /* a second frame header, and a scan before any frame */
    b = (buf){0};
    buf_write(&b, (void *)"\xff\xd8", 2);
    buf_write(&b, (void *)sof0_16x16, sizeof sof0_16x16);
    buf_write(&b, (void *)sof0_16x16, sizeof sof0_16x16);
    buf_write(&b, (void *)"\xff\xd9", 2);
    CHECK(decode_status(&b, err, sizeof err) == IMAGE_ERR_CORRUPT);
    free(b.data);
    static const uint8_t sos_first[] = {0xff, 0xd8, 0xff, 0xda, 0, 8,    1,
                                        1,    0,    0,    63,   0, 0xff, 0xd9};
    b = (buf){0};
    buf_write(&b, (void *)sos_first, sizeof sos_first);
    CHECK(decode_status(&b, err, sizeof err) == IMAGE_ERR_CORRUPT);
    free(b.data);
    /* a segment length running past the end, and one below 2 */
    static const uint8_t long_seg[] = {0xff, 0xd8, 0xff, 0xe0, 0xff, 0xff, 'J', 'F'};
    b = (buf){0};
    buf_write(&b, (void *)long_seg, sizeof long_seg);
    CHECK(decode_status(&b, err, sizeof err) == IMAGE_ERR_CORRUPT);
    b.data[4] = 0, b.data[5] = 1;
    CHECK(decode_status(&b, err, sizeof err) == IMAGE_ERR_CORRUPT);
    free(b.data);
    /* a scan with no tables before it */
    b = (buf){0};
    buf_write(&b, (void *)"\xff\xd8", 2);
    buf_write(&b, (void *)sof0_16x16, sizeof sof0_16x16);
    static const uint8_t sos_y[] = {0xff, 0xda, 0, 8, 1, 1, 0, 0, 63, 0, 0x12, 0x34, 0xff, 0xd9};
    buf_write(&b, (void *)sos_y, sizeof sos_y);
    CHECK(decode_status(&b, err, sizeof err) == IMAGE_ERR_CORRUPT);
    CHECK_MSG(strstr(err, "tables") != NULL, "%s", err);
    free(b.data);
    /* RST markers, stuffed bytes and fill bytes inside scan data are not the
     * end of the scan: the structure passes and stb is the one to object
     * (the RST comes where base.jpg has no restart interval) */
    b = load_file("base.jpg");
    size_t data = find_marker(&b, 0xda);
    data += 2 + ((size_t)b.data[data + 2] << 8 | b.data[data + 3]) + 10;
    static const uint8_t junk[] = {0xff, 0x00, 0xff, 0xd3, 0xff, 0x00};
    buf spliced = {0};
    buf_write(&spliced, b.data, (int)data);
    buf_write(&spliced, (void *)junk, sizeof junk);
    buf_write(&spliced, b.data + data, (int)(b.len - data));
    CHECK(decode_status(&spliced, err, sizeof err) == IMAGE_ERR_CORRUPT);
    CHECK_MSG(strncmp(err, "cannot decode image", 19) == 0, "%s", err);
    free(spliced.data);
    free(b.data);
    /* a Huffman table claiming more than 256 symbols: stb 2.27 would write
     * past its tables (ASan/UBSan see it without our check) */
    b = load_file("base.jpg");
    size_t dht = find_marker(&b, 0xc4);
    CHECK(dht > 0);
    memset(b.data + dht + 5, 0xff, 16);
    CHECK(decode_status(&b, err, sizeof err) == IMAGE_ERR_CORRUPT);
    CHECK_MSG(strstr(err, "Huffman table") != NULL, "%s", err);
    free(b.data);
    /* JPEG-LS */
    b = load_file("base.jpg");
    b.data[find_marker(&b, 0xc0) + 1] = 0xf7;
    CHECK(decode_status(&b, err, sizeof err) == IMAGE_ERR_FORMAT && strstr(err, "JPEG-LS"));
    free(b.data);
}

/* base.jpg (no EXIF) with an APP1 Exif segment holding `tiff` put right
 * after the SOI. */
static buf jpeg_with_exif(const uint8_t *tiff, size_t n) {
    buf src = load_file("base.jpg"), b = {0};
    uint8_t hdr[10] = {0xff, 0xd8, 0xff, 0xe1, (uint8_t)((n + 8) >> 8), (uint8_t)(n + 8),
                       'E',  'x',  'i',  'f'};
    buf_write(&b, hdr, 10);
    buf_write(&b, (void *)"\0\0", 2);
    if (n) buf_write(&b, (void *)tiff, (int)n);
    buf_write(&b, src.data + 2, (int)src.len - 2);
    free(src.data);
    return b;
}

static int probe_orientation(const uint8_t *tiff, size_t n) {
    buf b = jpeg_with_exif(tiff, n);
    image_info info;
    char err[256];
    int o = image_probe(b.data, b.len, &info, err, sizeof err) == IMAGE_OK ? info.orientation : -1;
    free(b.data);
    return o;
}

/* A big-endian TIFF header, IFD0 at 8 with one entry (tag, type, count,
 * value): 26 bytes. */
static void make_tiff(uint8_t t[26], unsigned tag, unsigned type, uint32_t count, unsigned value) {
    memset(t, 0, 26);
    memcpy(t, "MM\0*", 4);
    put_be32(t + 4, 8);
    t[9] = 1; /* one entry */
    t[10] = (uint8_t)(tag >> 8), t[11] = (uint8_t)tag;
    t[12] = (uint8_t)(type >> 8), t[13] = (uint8_t)type;
    put_be32(t + 14, count);
    t[18] = (uint8_t)(value >> 8), t[19] = (uint8_t)value;
}

static void test_hostile_exif(void) {
    uint8_t t[26];
    make_tiff(t, 0x0112, 3, 1, 8);
    CHECK(probe_orientation(t, 26) == 8);
    /* little-endian spelling of the same */
    uint8_t le[26] = {'I', 'I', '*', 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 3, 0};
    CHECK(probe_orientation(le, 26) == 3);
    /* every cut of the structure: in bounds, and the tag only when whole */
    for (size_t n = 0; n < 26; n++)
        CHECK_MSG(probe_orientation(t, n) == (n >= 22 ? 8 : 1), "cut at %zu: %d", n,
                  probe_orientation(t, n));
    make_tiff(t, 0x0112, 4, 1, 8); /* LONG, not SHORT */
    CHECK(probe_orientation(t, 26) == 1);
    make_tiff(t, 0x0112, 3, 2, 8); /* two values */
    CHECK(probe_orientation(t, 26) == 1);
    make_tiff(t, 0x0112, 3, 1, 0);
    CHECK(probe_orientation(t, 26) == 1);
    make_tiff(t, 0x0112, 3, 1, 9);
    CHECK(probe_orientation(t, 26) == 1);
    make_tiff(t, 0x0110, 3, 1, 6); /* another tag */
    CHECK(probe_orientation(t, 26) == 1);
    make_tiff(t, 0x0112, 3, 1, 6);
    put_be32(t + 4, 0xfffffff0u); /* IFD offset far outside */
    CHECK(probe_orientation(t, 26) == 1);
    put_be32(t + 4, 25); /* IFD count straddling the end */
    CHECK(probe_orientation(t, 26) == 1);
    put_be32(t + 4, 4); /* IFD inside the header */
    CHECK(probe_orientation(t, 26) == 1);
    make_tiff(t, 0x0112, 3, 1, 6);
    t[8] = 0xff, t[9] = 0xff; /* 65535 entries claimed, one present */
    CHECK(probe_orientation(t, 26) == 6);
    make_tiff(t, 0x0112, 3, 1, 6);
    memcpy(t, "MX\0*", 4); /* no byte order */
    CHECK(probe_orientation(t, 26) == 1);
    /* a synthetic tag decodes like exiftool's, also with bytes after the EOI
     * (here a whole second JPEG, as some phones append), which are ignored */
    make_tiff(t, 0x0112, 3, 1, 6);
    buf b = jpeg_with_exif(t, 26), tail = load_file("orient_3.jpg");
    buf_write(&b, tail.data, (int)tail.len);
    image_info info;
    i2i_image out;
    char err[256];
    CHECK(image_probe(b.data, b.len, &info, err, sizeof err) == IMAGE_OK && info.orientation == 6);
    CHECK(image_decode_rgb(b.data, b.len, 0, &out, err, sizeof err) == IMAGE_OK);
    CHECK(out.width == 32 && out.height == 48);
    i2i_image ref;
    CHECK(decode_file("orient_6.ref.png", &ref, err, sizeof err) == IMAGE_OK);
    CHECK(image_diff(&out, &ref) >= 0 && image_diff(&out, &ref) <= 3);
    free(ref.rgb);
    free(out.rgb);
    free(tail.data);
    free(b.data);
}

/* Two APP1 Exif segments: Pillow and stb-based viewers read the first. */
static void test_first_exif_wins(void) {
    uint8_t t6[26], t3[26];
    make_tiff(t6, 0x0112, 3, 1, 6);
    make_tiff(t3, 0x0112, 3, 1, 3);
    buf inner = jpeg_with_exif(t3, 26), b = {0};
    uint8_t hdr[12] = {0xff, 0xd8, 0xff, 0xe1, 0, 26 + 8, 'E', 'x', 'i', 'f', 0, 0};
    buf_write(&b, hdr, 12);
    buf_write(&b, t6, 26);
    buf_write(&b, inner.data + 2, (int)(inner.len - 2));
    image_info info;
    char err[256];
    CHECK(image_probe(b.data, b.len, &info, err, sizeof err) == IMAGE_OK && info.orientation == 6);
    free(inner.data);
    free(b.data);
}

int main(void) {
    test_huge_header_refused();
    test_round_trip_rgb();
    test_alpha_and_grey();
    test_jpeg();
    test_bad_input();
    test_exif_orientation_files();
    test_orientation_and_limit();
    test_png_colour_types();
    test_16bit_rounding();
    test_jpeg_variants();
    test_other_formats_refused();
    test_truncated_files();
    test_header_only_jpeg();
    test_jpeg_unsupported_variants();
    test_jpeg_bad_structure();
    test_hostile_exif();
    test_first_exif_wins();
    return CHECK_DONE();
}
