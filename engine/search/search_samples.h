/* The sample set a search scores on: the first N images of a folder (PNG or
 * JPEG, sorted by file name) with their prompts: line i of a prompts file
 * belongs to image i, or one prompt for all. */
#ifndef I2I_SEARCH_SAMPLES_H
#define I2I_SEARCH_SAMPLES_H

#include "i2i_engine.h"
#include <stddef.h>

typedef struct search_sample {
    char name[256]; /* file name inside the folder */
    i2i_image image;
    char *prompt;
} search_sample;

typedef struct search_samples {
    search_sample *items;
    int count;
} search_samples;

/* max_images <= 0 takes every image. Exactly one of prompts_file and prompt
 * is used (prompts_file wins); a prompts file with fewer non-empty lines
 * than images is an error. Returns 0 or -1 with a message. */
int search_samples_load(const char *images_dir, int max_images, const char *prompts_file,
                        const char *prompt, search_samples *out, char *err, size_t errlen);
void search_samples_free(search_samples *s);

#endif
