/* Image codec: PNG/JPEG in, PNG out, all in memory.
 *
 * Call order for untrusted input: image_probe() reads only the header
 * (width, height, format) so a caller can refuse a huge image before any
 * pixel memory is allocated; image_decode_rgb() repeats that check itself
 * against max_pixels before it decodes. Decoded images are always 8-bit RGB:
 * grey is expanded and alpha is composited on white. */
#ifndef I2I_IMAGE_CODEC_H
#define I2I_IMAGE_CODEC_H

#include "i2i_engine.h"
#include <stddef.h>
#include <stdint.h>

typedef enum image_codec_status {
    IMAGE_OK = 0,
    IMAGE_ERR_FORMAT = 1,    /* neither PNG nor JPEG */
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
    int width;
    int height;
} image_info;

/* Reads width and height from the PNG IHDR or the JPEG SOF marker only. */
image_codec_status image_probe(const uint8_t *data, size_t len, image_info *info, char *err,
                               size_t errlen);

/* Decodes to 8-bit RGB. max_pixels <= 0 means no limit. On success out->rgb
 * is malloc'd (free with i2i_image_free or free()). */
image_codec_status image_decode_rgb(const uint8_t *data, size_t len, int64_t max_pixels,
                                    i2i_image *out, char *err, size_t errlen);

/* Encodes 8-bit RGB to PNG in a new malloc'd buffer (*png, *png_len). */
image_codec_status image_encode_png(const i2i_image *img, uint8_t **png, size_t *png_len, char *err,
                                    size_t errlen);

const char *image_codec_status_name(image_codec_status s);

#endif
