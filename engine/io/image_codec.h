/* Image codec: PNG/JPEG in, PNG out, all in memory.
 *
 * Call order for untrusted input: image_probe() reads only the headers
 * (format, upright width and height, EXIF orientation) so a caller can
 * refuse a huge image before any pixel memory is allocated;
 * image_decode_rgb() repeats that check itself against max_pixels before it
 * decodes. Decoded images are always 8-bit RGB, upright.
 *
 * What is accepted (anything else is refused, never guessed at):
 *   PNG  all colour types and bit depths, interlaced or not: grey is
 *        expanded to RGB, palette looked up, alpha (an alpha channel or a
 *        tRNS chunk) composited on WHITE, round(c*a + 255*(1-a)) (as
 *        ControlNet's HWC3 does), 16-bit samples keep their high byte (v >> 8,
 *        as Pillow reads 16-bit RGB; within 1 of round(v / 257), 0 -> 0 and
 *        65535 -> 255). An animated PNG decodes as its default image. Gamma
 *        and ICC profiles are ignored.
 *   JPEG baseline and progressive, 8-bit, 1 (grey) or 3 components, or 4
 *        components with an Adobe APP14 marker (transform 0 = CMYK or
 *        2 = YCCK, stored inverted: the Adobe convention Photoshop,
 *        ImageMagick and Pillow follow), converted without colour management
 *        as R = C*K/255 on the stored values, which matches ImageMagick's own
 *        conversion to within a level.
 * EXIF orientation: the first Exif APP1 segment of a JPEG, or the first eXIf
 * chunk of a PNG (as Pillow's ImageOps.exif_transpose honours it; ImageMagick
 * 6 does not), is read with every offset bounds-checked; tag 0x0112 in IFD0,
 * type SHORT, count 1, value 1..8, otherwise it counts as 1. Decoding applies
 * it (the convention of exiftran -a and convert -auto-orient):
 *   1 as stored            2 mirrored left-right   3 rotated 180
 *   4 mirrored top-bottom  5 transposed            6 rotated 90 clockwise
 *   7 transversed          8 rotated 90 counter-clockwise (270 clockwise)
 * and image_probe reports the upright size (5..8 swap width and height).
 *
 * Refused with IMAGE_ERR_FORMAT and a message naming the accepted formats:
 * every other file type (GIF, BMP, TIFF, WebP, PSD, HDR, PNM, HEIF, ...;
 * stb's own loaders for them are compiled out), and JPEGs that are valid but
 * unsupported: arithmetic-coded, lossless, hierarchical or JPEG-LS, 12-bit,
 * 2 components, or 4 components without an Adobe marker ("CMYK JPEG ... is
 * not supported; convert to RGB": stb would read those as YCbCr and drop K).
 *
 * Refused with IMAGE_ERR_CORRUPT, checked before stb sees the data:
 *   PNG  a chunk that runs past the end, or no IEND (a cut-off file); then
 *        whatever stb cannot read completely (it checks the zlib stream and
 *        that every pixel is present; CRCs are not checked).
 *   JPEG no end-of-image marker (EOI) after the last scan (a cut-off file:
 *        the service does not show partial images, and Pillow refuses them
 *        too unless LOAD_TRUNCATED_IMAGES is set); no scan (SOS) at all; a
 *        scan before any quantisation and Huffman tables (stb has no default
 *        tables); a scan naming a component the frame lacks; a component no
 *        scan covers (progressive: no DC-first scan); a second frame header;
 *        a Huffman table of more than 256 symbols (stb 2.27 overruns its
 *        arrays on those). Bytes after the EOI are ignored.
 * The decoder's buffers are zero-filled, so whatever a hostile but
 * well-formed file leaves undecoded reads as zero, never as heap contents. */
#ifndef I2I_IMAGE_CODEC_H
#define I2I_IMAGE_CODEC_H

#include "i2i_engine.h"
#include <stddef.h>
#include <stdint.h>

typedef enum image_codec_status {
    IMAGE_OK = 0,
    IMAGE_ERR_FORMAT = 1,    /* not PNG/JPEG, or an unsupported JPEG variant */
    IMAGE_ERR_CORRUPT = 2,   /* header or pixel data cannot be read */
    IMAGE_ERR_TOO_LARGE = 3, /* width*height over the caller's limit */
    IMAGE_ERR_NOMEM = 4,
    IMAGE_ERR_INVALID = 5 /* bad arguments (encode) */
} image_codec_status;

typedef enum image_format {
    IMAGE_FORMAT_UNKNOWN = 0,
    IMAGE_FORMAT_PNG = 1,
    IMAGE_FORMAT_JPEG = 2
} image_format;

typedef struct image_info {
    image_format format;
    int width; /* upright: after the EXIF orientation is applied */
    int height;
    int orientation; /* EXIF orientation 1..8, 1 when absent or invalid */
} image_info;

/* Reads the PNG IHDR and chunk list, or the JPEG markers up to the first scan;
 * refuses unsupported formats and JPEG variants (see above). */
image_codec_status image_probe(const uint8_t *data, size_t len, image_info *info, char *err,
                               size_t errlen);

/* Decodes to upright 8-bit RGB (the EXIF orientation applied, so out's size
 * is what image_probe reports). max_pixels <= 0 means no limit; the limit is
 * checked from the header before any pixel memory is allocated. On success
 * out->rgb is malloc'd (free with i2i_image_free or free()); on failure it
 * is NULL. */
image_codec_status image_decode_rgb(const uint8_t *data, size_t len, int64_t max_pixels,
                                    i2i_image *out, char *err, size_t errlen);

/* Encodes 8-bit RGB to PNG in a new malloc'd buffer (*png, *png_len). */
image_codec_status image_encode_png(const i2i_image *img, uint8_t **png, size_t *png_len, char *err,
                                    size_t errlen);

const char *image_codec_status_name(image_codec_status s);

#endif
