/* multipart/form-data (RFC 7578) over a fully received body. Parts point
 * into the body (no copies), so binary file fields are exact. */
#ifndef I2I_API_MULTIPART_H
#define I2I_API_MULTIPART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MULTIPART_MAX_PARTS 64

typedef struct multipart_part {
    char name[128];
    char filename[256];
    char content_type[128];
    bool has_filename;
    const uint8_t *data; /* into the body */
    size_t len;
} multipart_part;

typedef struct multipart_form {
    multipart_part *parts;
    size_t count;
} multipart_form;

/* false with a message in err on malformed input (the form is then empty). */
bool multipart_parse(const uint8_t *body, size_t len, const char *boundary, multipart_form *out,
                     char *err, size_t errlen);
void multipart_form_free(multipart_form *f);

#endif
