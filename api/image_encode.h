/* Encodes a job's result in the format the request asked for: PNG (the
 * engine's codec), baseline JPEG (stb_image_write)
 * or lossy WebP (libwebp). All in memory. stb subsamples JPEG chroma (4:2:0) at
 * quality <= 90 and keeps it full above. */
#ifndef I2I_API_IMAGE_ENCODE_H
#define I2I_API_IMAGE_ENCODE_H

#include "i2i_engine.h"
#include "result_format.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* WebP cannot hold a side longer than this (libwebp's WEBP_MAX_DIMENSION),
 * so a request whose result would be larger is refused at submit. */
#define IMAGE_ENCODE_WEBP_MAX_SIDE 16383

/* *out is malloc'd (free()); false with a message when encoding failed. */
bool image_encode(const i2i_image *img, const result_spec *spec, uint8_t **out, size_t *out_len,
                  char *err, size_t errlen);

#endif
