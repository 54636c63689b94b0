/* PNG/JPEG decoding and PNG encoding on top of stb (libstb). Header probing
 * is our own code: stb's own info call refuses some large-but-valid headers
 * with a generic message, and we need the dimensions exactly to tell "too
 * large" (a client limit) from "corrupt". */
#include "image_codec.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb_image.h>
#include <stb_image_write.h>

static image_codec_status fail(image_codec_status st, char *err, size_t errlen, const char *fmt,
                               ...) __attribute__((format(printf, 4, 5)));

static image_codec_status fail(image_codec_status st, char *err, size_t errlen, const char *fmt,
                               ...) {
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return st;
}

static uint32_t be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static unsigned be16(const uint8_t *p) {
    return ((unsigned)p[0] << 8) | p[1];
}

static const uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};

static image_codec_status probe_png(const uint8_t *d, size_t len, image_info *info, char *err,
                                    size_t errlen) {
    /* signature, then the IHDR chunk: length 13, "IHDR", width, height */
    if (len < 8 + 8 + 8)
        return fail(IMAGE_ERR_CORRUPT, err, errlen, "PNG truncated before its IHDR header");
    if (be32(d + 8) != 13 || memcmp(d + 12, "IHDR", 4) != 0)
        return fail(IMAGE_ERR_CORRUPT, err, errlen, "PNG does not start with an IHDR chunk");
    uint32_t w = be32(d + 16), h = be32(d + 20);
    if (w == 0 || h == 0 || w > INT_MAX || h > INT_MAX)
        return fail(IMAGE_ERR_CORRUPT, err, errlen, "PNG has invalid dimensions %ux%u", w, h);
    info->format = IMAGE_FORMAT_PNG;
    info->width = (int)w;
    info->height = (int)h;
    return IMAGE_OK;
}

/* Start-of-frame markers carry the dimensions: C0..CF except DHT (C4),
 * JPG (C8) and DAC (CC). */
static int is_sof_marker(uint8_t m) {
    return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
}

static image_codec_status probe_jpeg(const uint8_t *d, size_t len, image_info *info, char *err,
                                     size_t errlen) {
    size_t pos = 2; /* after SOI */
    while (pos + 4 <= len) {
        if (d[pos] != 0xff)
            return fail(IMAGE_ERR_CORRUPT, err, errlen, "JPEG marker expected at byte %zu", pos);
        uint8_t m = d[pos + 1];
        if (m == 0xff) { /* fill byte */
            pos++;
            continue;
        }
        if (m == 0x01 || (m >= 0xd0 && m <= 0xd8)) { /* markers without a length */
            pos += 2;
            continue;
        }
        if (m == 0xda || m == 0xd9) break; /* scan data or end before any frame header */
        unsigned seglen = be16(d + pos + 2);
        if (seglen < 2)
            return fail(IMAGE_ERR_CORRUPT, err, errlen, "JPEG segment with length %u", seglen);
        if (is_sof_marker(m)) {
            if (pos + 2 + 7 > len || seglen < 7)
                return fail(IMAGE_ERR_CORRUPT, err, errlen, "JPEG frame header truncated");
            unsigned h = be16(d + pos + 5), w = be16(d + pos + 7);
            if (w == 0 || h == 0)
                return fail(IMAGE_ERR_CORRUPT, err, errlen, "JPEG has invalid dimensions %ux%u", w,
                            h);
            info->format = IMAGE_FORMAT_JPEG;
            info->width = (int)w;
            info->height = (int)h;
            return IMAGE_OK;
        }
        pos += 2 + seglen;
    }
    return fail(IMAGE_ERR_CORRUPT, err, errlen, "JPEG has no frame header");
}

image_codec_status image_probe(const uint8_t *data, size_t len, image_info *info, char *err,
                               size_t errlen) {
    memset(info, 0, sizeof *info);
    if (!data || len == 0) return fail(IMAGE_ERR_FORMAT, err, errlen, "empty image");
    if (len >= 8 && memcmp(data, png_signature, 8) == 0)
        return probe_png(data, len, info, err, errlen);
    if (len >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff)
        return probe_jpeg(data, len, info, err, errlen);
    return fail(IMAGE_ERR_FORMAT, err, errlen, "image is neither PNG nor JPEG");
}

/* Composites one channel over white: c*a + 255*(1-a), rounded. */
static uint8_t over_white(uint8_t c, uint8_t a) {
    return (uint8_t)(((unsigned)c * a + 255u * (255u - a) + 127u) / 255u);
}

static void to_rgb(const uint8_t *src, int channels, size_t npix, uint8_t *dst) {
    for (size_t i = 0; i < npix; i++, src += channels, dst += 3) {
        switch (channels) {
        case 1:
            dst[0] = dst[1] = dst[2] = src[0];
            break;
        case 2:
            dst[0] = dst[1] = dst[2] = over_white(src[0], src[1]);
            break;
        case 3:
            dst[0] = src[0], dst[1] = src[1], dst[2] = src[2];
            break;
        default:
            for (int c = 0; c < 3; c++)
                dst[c] = over_white(src[c], src[3]);
        }
    }
}

image_codec_status image_decode_rgb(const uint8_t *data, size_t len, int64_t max_pixels,
                                    i2i_image *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    image_info info;
    image_codec_status st = image_probe(data, len, &info, err, errlen);
    if (st != IMAGE_OK) return st;
    int64_t pixels = (int64_t)info.width * info.height;
    if (max_pixels > 0 && pixels > max_pixels)
        return fail(IMAGE_ERR_TOO_LARGE, err, errlen,
                    "image is %dx%d = %lld pixels, over the limit of %lld", info.width, info.height,
                    (long long)pixels, (long long)max_pixels);
    if (len > INT_MAX) return fail(IMAGE_ERR_TOO_LARGE, err, errlen, "image file over 2 GiB");
    int w = 0, h = 0, channels = 0;
    uint8_t *pix = stbi_load_from_memory(data, (int)len, &w, &h, &channels, 0);
    if (!pix)
        return fail(IMAGE_ERR_CORRUPT, err, errlen, "cannot decode image: %s",
                    stbi_failure_reason() ? stbi_failure_reason() : "unknown error");
    if (w != info.width || h != info.height || channels < 1 || channels > 4) {
        stbi_image_free(pix);
        return fail(IMAGE_ERR_CORRUPT, err, errlen, "image header and data disagree");
    }
    out->rgb = malloc((size_t)pixels * 3);
    if (!out->rgb) {
        stbi_image_free(pix);
        return fail(IMAGE_ERR_NOMEM, err, errlen, "out of memory for a %dx%d image", w, h);
    }
    to_rgb(pix, channels, (size_t)pixels, out->rgb);
    stbi_image_free(pix);
    out->width = w;
    out->height = h;
    return IMAGE_OK;
}

typedef struct mem_sink {
    uint8_t *buf;
    size_t len, cap;
    int failed;
} mem_sink;

static void sink_write(void *ctx, void *data, int size) {
    mem_sink *s = ctx;
    if (s->failed || size <= 0) return;
    if (s->len + (size_t)size > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + (size_t)size)
            cap *= 2;
        uint8_t *nb = realloc(s->buf, cap);
        if (!nb) {
            s->failed = 1;
            return;
        }
        s->buf = nb;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, data, (size_t)size);
    s->len += (size_t)size;
}

image_codec_status image_encode_png(const i2i_image *img, uint8_t **png, size_t *png_len, char *err,
                                    size_t errlen) {
    *png = NULL;
    *png_len = 0;
    if (!img || !img->rgb || img->width <= 0 || img->height <= 0 || img->width > INT_MAX / 3)
        return fail(IMAGE_ERR_INVALID, err, errlen, "no image to encode");
    mem_sink s = {0};
    int ok = stbi_write_png_to_func(sink_write, &s, img->width, img->height, 3, img->rgb,
                                    img->width * 3);
    if (!ok || s.failed) {
        free(s.buf);
        return fail(IMAGE_ERR_NOMEM, err, errlen, "PNG encoding failed");
    }
    *png = s.buf;
    *png_len = s.len;
    return IMAGE_OK;
}

const char *image_codec_status_name(image_codec_status s) {
    switch (s) {
    case IMAGE_OK:
        return "ok";
    case IMAGE_ERR_FORMAT:
        return "unsupported_format";
    case IMAGE_ERR_CORRUPT:
        return "corrupt_image";
    case IMAGE_ERR_TOO_LARGE:
        return "image_too_large";
    case IMAGE_ERR_NOMEM:
        return "out_of_memory";
    case IMAGE_ERR_INVALID:
        return "invalid_argument";
    }
    return "unknown";
}
