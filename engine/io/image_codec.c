/* PNG/JPEG decoding and PNG encoding on top of stb (libstb-dev). Header
 * probing and the JPEG structure check are our own code: stb's own info call
 * refuses some large-but-valid headers with a generic message, we need the
 * dimensions exactly to tell "too large" (a client limit) from "corrupt", and
 * stb "decodes" a JPEG with no scan or a cut-off one without complaint.
 *
 * stb_image itself is compiled into this file (static, PNG and JPEG loaders
 * only, every buffer zero-filled) instead of being taken from libstb.so: the
 * other formats' loaders are then unreachable whatever the input, and any
 * byte stb leaves unwritten reads as zero, never as old heap contents (the
 * 2.27 inflater can copy from output it has not written yet, e.g. with a
 * distance code of 30). Debian's stb is a 2022 snapshot of 2.27 that lacks
 * upstream's later fixes, so the structure checks below also reject what
 * those fixes were for where it is memory-unsafe (a DHT of more than 256
 * symbols). stb_image_write still comes from libstb. */
#include "image_codec.h"

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STB_IMAGE_STATIC
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_NO_GIF /* stb 2.27 declares the GIF API before ONLY_* implies this */
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_MALLOC(sz) calloc(1, sz)
#define STBI_REALLOC_SIZED(p, oldsz, newsz) stbi_zeroing_realloc(p, oldsz, newsz)
#define STBI_FREE(p) free(p)
/* Declarations here, the implementation at the end of the file. Being static,
 * the stb functions we do not call would trip -Wunused-function (and 2.27
 * declares one it never defines); clang judges that where they are declared,
 * gcc at the end of the file, hence the two places that silence it. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb_image.h>
#pragma GCC diagnostic pop
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

/* ---- EXIF orientation ---------------------------------------------------- */

static unsigned tiff16(const uint8_t *p, int big) {
    return big ? be16(p) : ((unsigned)p[1] << 8) | p[0];
}

static uint32_t tiff32(const uint8_t *p, int big) {
    if (big) return be32(p);
    return ((uint32_t)p[3] << 24) | ((uint32_t)p[2] << 16) | ((uint32_t)p[1] << 8) | p[0];
}

/* Orientation from a TIFF structure: a JPEG's Exif payload after "Exif\0\0",
 * or a PNG eXIf chunk. Every offset comes from the file, so each is checked
 * against len before it is used; anything malformed means "as stored". */
static int exif_orientation(const uint8_t *t, size_t len) {
    int big;
    if (len < 8) return 1;
    if (memcmp(t, "MM\0*", 4) == 0)
        big = 1;
    else if (memcmp(t, "II*\0", 4) == 0)
        big = 0;
    else
        return 1;
    uint32_t ifd = tiff32(t + 4, big);
    if (ifd < 8 || ifd > len - 2) return 1;
    unsigned entries = tiff16(t + ifd, big);
    size_t e = (size_t)ifd + 2; /* e <= len throughout: it only moves on by 12 when 12 are left */
    for (unsigned i = 0; i < entries && len - e >= 12; i++, e += 12) {
        if (tiff16(t + e, big) != 0x0112) continue;
        unsigned type = tiff16(t + e + 2, big), value = tiff16(t + e + 8, big);
        uint32_t count = tiff32(t + e + 4, big);
        return type == 3 && count == 1 && value >= 1 && value <= 8 ? (int)value : 1;
    }
    return 1;
}

static void apply_orientation(image_info *info, int orientation) {
    info->orientation = orientation;
    if (orientation >= 5) { /* a quarter turn: the upright image is h x w */
        int w = info->width;
        info->width = info->height;
        info->height = w;
    }
}

/* ---- PNG ----------------------------------------------------------------- */

static const uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};

/* What the chunk walk learns. A PNG is complete when every chunk up to IEND
 * lies inside the data; stb would otherwise be handed chunk lengths it
 * allocates for before finding the data is not there. */
typedef struct png_layout {
    int orientation; /* from the first eXIf chunk (Pillow reads one after IDAT too) */
    int complete;
} png_layout;

static void png_walk(const uint8_t *d, size_t len, png_layout *L) {
    int exif_seen = 0;
    L->orientation = 1;
    L->complete = 0;
    for (size_t pos = 8; len - pos >= 12;) {
        uint32_t n = be32(d + pos);
        if (n > 0x7fffffffu || n > len - pos - 12) return; /* the spec caps lengths at 2^31-1 */
        if (!exif_seen && memcmp(d + pos + 4, "eXIf", 4) == 0) {
            exif_seen = 1;
            L->orientation = exif_orientation(d + pos + 8, n);
        }
        if (memcmp(d + pos + 4, "IEND", 4) == 0) {
            L->complete = 1;
            return;
        }
        pos += 12 + (size_t)n;
    }
}

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
    png_layout L;
    png_walk(d, len, &L);
    apply_orientation(info, L.orientation);
    return IMAGE_OK;
}

/* ---- JPEG marker structure ----------------------------------------------- */

/* What the marker walk learns; the pixels are stb's business. */
typedef struct jpeg_layout {
    unsigned sof; /* frame marker (0xc0..0xcf), 0 until seen */
    int precision, width, height, ncomp;
    uint8_t comp_id[4];
    unsigned covered; /* bit i: component i is in a scan (progressive: a DC-first scan) */
    int scans;
    int dqt, dht;        /* quantisation / Huffman tables seen */
    int adobe_transform; /* APP14 colour transform, -1 without that marker */
    int orientation;
    int exif_seen;
    int eoi; /* the end-of-image marker was reached */
} jpeg_layout;

/* Start-of-frame markers carry the dimensions: C0..CF except DHT (C4),
 * JPG (C8) and DAC (CC). */
static int is_sof_marker(unsigned m) {
    return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
}

static image_codec_status jpeg_on_sof(unsigned m, const uint8_t *s, size_t n, jpeg_layout *L,
                                      char *err, size_t errlen) {
    if (L->sof) return fail(IMAGE_ERR_CORRUPT, err, errlen, "JPEG has more than one frame");
    if (n < 6 || n < 6 + 3 * (size_t)s[5])
        return fail(IMAGE_ERR_CORRUPT, err, errlen, "JPEG frame header truncated");
    L->sof = m;
    L->precision = s[0];
    L->height = (int)be16(s + 1);
    L->width = (int)be16(s + 3);
    L->ncomp = s[5];
    if (L->width == 0 || L->height == 0)
        return fail(IMAGE_ERR_CORRUPT, err, errlen, "JPEG has invalid dimensions %dx%d", L->width,
                    L->height);
    for (int i = 0; i < L->ncomp && i < 4; i++)
        L->comp_id[i] = s[6 + 3 * i];
    return IMAGE_OK;
}

static image_codec_status jpeg_on_sos(const uint8_t *s, size_t n, jpeg_layout *L, char *err,
                                      size_t errlen) {
    if (!L->sof) return fail(IMAGE_ERR_CORRUPT, err, errlen, "JPEG scan before the frame header");
    /* stb has no default tables (Motion-JPEG frames rely on some) and would
     * decode a scan with none from zeroed ones */
    if (!L->dqt || !L->dht)
        return fail(IMAGE_ERR_CORRUPT, err, errlen,
                    "JPEG scan before its quantisation and Huffman tables");
    size_t ns = n ? s[0] : 0;
    if (ns < 1 || ns > 4 || n < 1 + 2 * ns + 3)
        return fail(IMAGE_ERR_CORRUPT, err, errlen, "JPEG scan header is malformed");
    unsigned ss = s[1 + 2 * ns], ah = s[3 + 2 * ns] >> 4;
    int dc_first = L->sof != 0xc2 || (ss == 0 && ah == 0);
    for (size_t k = 0; k < ns; k++) {
        int idx = -1;
        for (int i = 0; i < L->ncomp && i < 4; i++)
            if (L->comp_id[i] == s[1 + 2 * k]) idx = i;
        if (idx < 0)
            return fail(IMAGE_ERR_CORRUPT, err, errlen,
                        "JPEG scan names a component the frame does not have");
        if (dc_first) L->covered |= 1u << idx;
    }
    L->scans++;
    return IMAGE_OK;
}

/* stb 2.27 trusts a DHT's code counts: a table of more than 256 symbols
 * overruns its fixed arrays (fixed upstream since), so every table in the
 * segment is checked here before stb sees it. */
static image_codec_status jpeg_on_dht(const uint8_t *s, size_t n, jpeg_layout *L, char *err,
                                      size_t errlen) {
    size_t pos = 0;
    while (pos < n) {
        size_t symbols = 0;
        if (n - pos < 17 || (s[pos] >> 4) > 1 || (s[pos] & 15) > 3)
            return fail(IMAGE_ERR_CORRUPT, err, errlen, "JPEG Huffman table is malformed");
        for (int i = 1; i <= 16; i++)
            symbols += s[pos + i];
        if (symbols > 256 || symbols > n - pos - 17)
            return fail(IMAGE_ERR_CORRUPT, err, errlen, "JPEG Huffman table is malformed");
        pos += 17 + symbols;
    }
    L->dht = 1;
    return IMAGE_OK;
}

static void jpeg_on_app(unsigned m, const uint8_t *s, size_t n, jpeg_layout *L) {
    if (m == 0xe1 && !L->exif_seen && n >= 6 && memcmp(s, "Exif\0\0", 6) == 0) {
        L->exif_seen = 1;
        L->orientation = exif_orientation(s + 6, n - 6);
    }
    /* same test and offset as stb, so both agree on what the marker says */
    if (m == 0xee && n >= 12 && memcmp(s, "Adobe\0", 6) == 0) L->adobe_transform = s[11];
}

static image_codec_status jpeg_on_segment(unsigned m, const uint8_t *s, size_t n, jpeg_layout *L,
                                          char *err, size_t errlen) {
    if (is_sof_marker(m)) return jpeg_on_sof(m, s, n, L, err, errlen);
    if (m == 0xf7)
        return fail(IMAGE_ERR_FORMAT, err, errlen,
                    "JPEG-LS is not supported; only baseline and progressive JPEG are accepted");
    if (m == 0xda) return jpeg_on_sos(s, n, L, err, errlen);
    if (m == 0xc4) return jpeg_on_dht(s, n, L, err, errlen);
    if (m == 0xdb) L->dqt = 1;
    jpeg_on_app(m, s, n, L);
    return IMAGE_OK;
}

/* Entropy-coded data runs to the next marker: 0xFF followed by anything but
 * 0x00 (a stuffed byte) or RST0..7. Returns the marker's offset, or len. */
static size_t jpeg_skip_entropy(const uint8_t *d, size_t len, size_t pos) {
    while (pos < len) {
        const uint8_t *ff = memchr(d + pos, 0xff, len - pos);
        if (!ff) return len;
        pos = (size_t)(ff - d);
        if (len - pos < 2) return len;
        uint8_t next = d[pos + 1];
        if (next == 0x00 || (next >= 0xd0 && next <= 0xd7))
            pos += 2;
        else if (next == 0xff)
            pos++; /* fill byte; the marker starts at the last 0xFF */
        else
            return pos;
    }
    return len;
}

/* Walks the marker segments after SOI, up to the first scan (full == 0) or
 * through every scan to the EOI (full == 1). Running out of data is not an
 * error here (L->eoi stays 0): the callers decide what a cut-off file means. */
static image_codec_status jpeg_walk(const uint8_t *d, size_t len, int full, jpeg_layout *L,
                                    char *err, size_t errlen) {
    memset(L, 0, sizeof *L);
    L->adobe_transform = -1;
    L->orientation = 1;
    size_t pos = 2;
    while (len - pos >= 2) {
        if (d[pos] != 0xff)
            return fail(IMAGE_ERR_CORRUPT, err, errlen, "JPEG marker expected at byte %zu", pos);
        unsigned m = d[pos + 1];
        if (m == 0xd9) {
            L->eoi = 1;
            return IMAGE_OK;
        }
        if (m == 0xff) { /* fill byte before a marker */
            pos++;
            continue;
        }
        if (m == 0x01 || (m >= 0xd0 && m <= 0xd8)) { /* TEM, RSTn, SOI: no length */
            pos += 2;
            continue;
        }
        if (len - pos < 4) break;
        size_t seglen = be16(d + pos + 2);
        if (seglen < 2)
            return fail(IMAGE_ERR_CORRUPT, err, errlen, "JPEG segment with length %zu", seglen);
        if (seglen > len - pos - 2) break;
        image_codec_status st = jpeg_on_segment(m, d + pos + 4, seglen - 2, L, err, errlen);
        if (st != IMAGE_OK) return st;
        pos += 2 + seglen;
        if (m == 0xda) {
            if (!full) return IMAGE_OK;
            pos = jpeg_skip_entropy(d, len, pos);
        }
    }
    return IMAGE_OK;
}

static const char *jpeg_coding_name(unsigned sof) {
    switch (sof) {
    case 0xc3:
        return "lossless";
    case 0xc5:
    case 0xc6:
    case 0xc7:
        return "hierarchical";
    default:
        return "arithmetic";
    }
}

/* Valid JPEGs that stb would refuse or (4 components, no Adobe marker)
 * decode with wrong colours. */
static image_codec_status jpeg_check_variant(const jpeg_layout *L, char *err, size_t errlen) {
    if (!L->sof) return fail(IMAGE_ERR_CORRUPT, err, errlen, "JPEG has no frame header");
    if (L->sof != 0xc0 && L->sof != 0xc1 && L->sof != 0xc2)
        return fail(IMAGE_ERR_FORMAT, err, errlen,
                    "%s JPEG (SOF%u) is not supported; only baseline and progressive JPEG are "
                    "accepted",
                    jpeg_coding_name(L->sof), L->sof - 0xc0);
    if (L->precision != 8)
        return fail(IMAGE_ERR_FORMAT, err, errlen,
                    "%d-bit JPEG is not supported; only 8-bit JPEG is accepted", L->precision);
    if (L->ncomp == 4 && L->adobe_transform != 0 && L->adobe_transform != 2)
        return fail(IMAGE_ERR_FORMAT, err, errlen,
                    "CMYK JPEG is not supported without an Adobe APP14 marker; convert to RGB");
    if (L->ncomp != 1 && L->ncomp != 3 && L->ncomp != 4)
        return fail(IMAGE_ERR_FORMAT, err, errlen,
                    "JPEG with %d colour components is not supported; convert to RGB", L->ncomp);
    return IMAGE_OK;
}

static image_codec_status probe_jpeg(const uint8_t *d, size_t len, image_info *info, char *err,
                                     size_t errlen) {
    jpeg_layout L;
    image_codec_status st = jpeg_walk(d, len, 0, &L, err, errlen);
    if (st == IMAGE_OK) st = jpeg_check_variant(&L, err, errlen);
    if (st != IMAGE_OK) return st;
    info->format = IMAGE_FORMAT_JPEG;
    info->width = L.width;
    info->height = L.height;
    apply_orientation(info, L.orientation);
    return IMAGE_OK;
}

/* stb accepts a JPEG with no scan at all and decodes missing data as if it
 * were there, so the whole marker structure is checked first. */
static image_codec_status jpeg_check_complete(const uint8_t *d, size_t len, char *err,
                                              size_t errlen) {
    jpeg_layout L;
    image_codec_status st = jpeg_walk(d, len, 1, &L, err, errlen);
    if (st == IMAGE_OK) st = jpeg_check_variant(&L, err, errlen);
    if (st != IMAGE_OK) return st;
    if (!L.eoi)
        return fail(IMAGE_ERR_CORRUPT, err, errlen,
                    "JPEG is truncated: it ends before its end-of-image marker");
    if (!L.scans) return fail(IMAGE_ERR_CORRUPT, err, errlen, "JPEG has no image data (no scan)");
    if (L.covered != (1u << L.ncomp) - 1)
        return fail(IMAGE_ERR_CORRUPT, err, errlen,
                    "JPEG is incomplete: some colour components have no scan");
    return IMAGE_OK;
}

/* ---- format detection ---------------------------------------------------- */

typedef struct magic {
    size_t offset, len;
    const char *bytes, *name;
} magic;

/* Only to name what was sent in the error message. */
static const magic other_formats[] = {
    {0, 4, "GIF8", "GIF"},
    {0, 2, "BM", "BMP"},
    {0, 4, "II*\0", "TIFF"},
    {0, 4, "MM\0*", "TIFF"},
    {8, 4, "WEBP", "WebP"},
    {0, 4, "8BPS", "PSD"},
    {0, 2, "#?", "Radiance HDR"},
    {4, 4, "ftyp", "HEIF/AVIF"},
    {0, 8, "\0\0\0\x0cjP  ", "JPEG 2000"},
    {0, 4, "\xff\x4f\xff\x51", "JPEG 2000"},
    {0, 4, "qoif", "QOI"},
    {0, 4, "\0\0\1\0", "ICO"},
    {0, 4, "%PDF", "PDF"},
};

static const char *other_format_name(const uint8_t *d, size_t len) {
    for (size_t i = 0; i < sizeof other_formats / sizeof other_formats[0]; i++) {
        const magic *m = &other_formats[i];
        if (len >= m->offset + m->len && memcmp(d + m->offset, m->bytes, m->len) == 0)
            return m->name;
    }
    if (len >= 3 && d[0] == 'P' && d[1] >= '1' && d[1] <= '7' &&
        (d[2] == '\n' || d[2] == ' ' || d[2] == '\r' || d[2] == '\t'))
        return "PNM";
    return NULL;
}

image_codec_status image_probe(const uint8_t *data, size_t len, image_info *info, char *err,
                               size_t errlen) {
    memset(info, 0, sizeof *info);
    if (!data || len == 0) return fail(IMAGE_ERR_FORMAT, err, errlen, "empty image");
    if (len >= 8 && memcmp(data, png_signature, 8) == 0)
        return probe_png(data, len, info, err, errlen);
    if (len >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff)
        return probe_jpeg(data, len, info, err, errlen);
    const char *name = other_format_name(data, len);
    if (name)
        return fail(IMAGE_ERR_FORMAT, err, errlen,
                    "unsupported image format %s; only PNG and JPEG are accepted", name);
    return fail(IMAGE_ERR_FORMAT, err, errlen,
                "unrecognised image format; only PNG and JPEG are accepted");
}

/* ---- pixels -------------------------------------------------------------- */

/* Composites one channel over white: c*a + 255*(1-a), rounded. */
static uint8_t over_white(uint8_t c, uint8_t a) {
    return (uint8_t)(((unsigned)c * a + 255u * (255u - a) + 127u) / 255u);
}

static void pixel_to_rgb(const uint8_t *s, int channels, uint8_t *d) {
    switch (channels) {
    case 1:
        d[0] = d[1] = d[2] = s[0];
        break;
    case 2:
        d[0] = d[1] = d[2] = over_white(s[0], s[1]);
        break;
    case 3:
        d[0] = s[0], d[1] = s[1], d[2] = s[2];
        break;
    default:
        for (int c = 0; c < 3; c++)
            d[c] = over_white(s[c], s[3]);
    }
}

/* Upright output pixel (x, y) is stored pixel base + x*dx + y*dy of the
 * w x h raster as decoded (EXIF orientations, see the header). */
typedef struct orient_map {
    ptrdiff_t base, dx, dy;
} orient_map;

static orient_map orient_map_for(int orientation, int w, int h) {
    ptrdiff_t W = w, last_row = (ptrdiff_t)(h - 1) * w;
    switch (orientation) {
    case 2: /* mirror left-right */
        return (orient_map){W - 1, -1, W};
    case 3: /* rotate 180 */
        return (orient_map){last_row + W - 1, -1, -W};
    case 4: /* mirror top-bottom */
        return (orient_map){last_row, 1, -W};
    case 5: /* transpose: out(x, y) = in(y, x) */
        return (orient_map){0, W, 1};
    case 6: /* rotate 90 clockwise: out(x, y) = in(y, h-1-x) */
        return (orient_map){last_row, -W, 1};
    case 7: /* transverse: out(x, y) = in(w-1-y, h-1-x) */
        return (orient_map){last_row + W - 1, -W, -1};
    case 8: /* rotate 270 clockwise: out(x, y) = in(w-1-y, x) */
        return (orient_map){W - 1, W, -1};
    default:
        return (orient_map){0, 1, W};
    }
}

/* Converts to RGB and orients in one pass, so no second full-size buffer.
 * Goes tile by tile: for a quarter turn, consecutive output pixels are a
 * source row apart, and a tile keeps the rows it touches in cache and TLB
 * (untiled, turning a 12 MP photo added about half to its decode time). */
enum { ORIENT_TILE = 32 };

static void to_rgb_oriented(const uint8_t *src, int channels, int w, int h, int orientation,
                            uint8_t *dst) {
    orient_map m = orient_map_for(orientation, w, h);
    int ow = orientation >= 5 ? h : w, oh = orientation >= 5 ? w : h;
    for (int y0 = 0; y0 < oh; y0 += ORIENT_TILE)
        for (int x0 = 0; x0 < ow; x0 += ORIENT_TILE) {
            int y1 = y0 + ORIENT_TILE < oh ? y0 + ORIENT_TILE : oh;
            int x1 = x0 + ORIENT_TILE < ow ? x0 + ORIENT_TILE : ow;
            for (int y = y0; y < y1; y++) {
                ptrdiff_t i = m.base + (ptrdiff_t)y * m.dy + (ptrdiff_t)x0 * m.dx;
                uint8_t *out = dst + ((size_t)y * ow + x0) * 3;
                for (int x = x0; x < x1; x++, i += m.dx, out += 3)
                    pixel_to_rgb(src + i * channels, channels, out);
            }
        }
}

static image_codec_status decode_pixels(const uint8_t *data, size_t len, const image_info *info,
                                        i2i_image *out, char *err, size_t errlen) {
    int quarter = info->orientation >= 5;
    int sw = quarter ? info->height : info->width, sh = quarter ? info->width : info->height;
    int w = 0, h = 0, channels = 0;
    uint8_t *pix = stbi_load_from_memory(data, (int)len, &w, &h, &channels, 0);
    if (!pix)
        return fail(IMAGE_ERR_CORRUPT, err, errlen, "cannot decode image: %s",
                    stbi_failure_reason() ? stbi_failure_reason() : "unknown error");
    if (w != sw || h != sh || channels < 1 || channels > 4) {
        stbi_image_free(pix);
        return fail(IMAGE_ERR_CORRUPT, err, errlen, "image header and data disagree");
    }
    out->rgb = malloc((size_t)w * (size_t)h * 3);
    if (!out->rgb) {
        stbi_image_free(pix);
        return fail(IMAGE_ERR_NOMEM, err, errlen, "out of memory for a %dx%d image", w, h);
    }
    to_rgb_oriented(pix, channels, w, h, info->orientation, out->rgb);
    stbi_image_free(pix);
    out->width = info->width;
    out->height = info->height;
    return IMAGE_OK;
}

/* The whole-file structure check, before stb sees the data. */
static image_codec_status check_complete(const uint8_t *data, size_t len, image_format format,
                                         char *err, size_t errlen) {
    if (format == IMAGE_FORMAT_JPEG) return jpeg_check_complete(data, len, err, errlen);
    png_layout L;
    png_walk(data, len, &L);
    if (!L.complete)
        return fail(IMAGE_ERR_CORRUPT, err, errlen,
                    "PNG is truncated: a chunk runs past the end or IEND is missing");
    return IMAGE_OK;
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
    st = check_complete(data, len, info.format, err, errlen);
    if (st != IMAGE_OK) return st;
    return decode_pixels(data, len, &info, out, err, errlen);
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

/* realloc that zero-fills the grown part, so nothing stb reads is stale. */
static void *stbi_zeroing_realloc(void *p, size_t old_size, size_t new_size) {
    uint8_t *q = realloc(p, new_size);
    if (q && new_size > old_size) memset(q + old_size, 0, new_size - old_size);
    return q;
}

/* stb_image's implementation, configured at the top of the file. GCC's -O3
 * flow analysis reports "may be used uninitialized" inside stb's own code;
 * every buffer it allocates is zero-filled above, so that is not ours to fix. */
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wpragmas"
#if defined(__GNUC__) && !defined(__clang__) /* clang has no such warning */
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>
