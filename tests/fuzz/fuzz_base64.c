/* base64 and data-URL payloads (the JSON body's "image"): the whole input as
 * a string (data URL stripped first), and the raw bytes with their length. */
#include "base64.h"
#include "support.h"

#include <stdlib.h>
#include <string.h>

static void decode(const char *in, size_t len) {
    uint8_t *out = NULL;
    size_t out_len = 0;
    if (base64_decode(in, len, &out, &out_len)) {
        if (out_len > len / 4 * 3 + 3) abort(); /* never more than 3 bytes per 4 characters */
        if (out_len) out[out_len - 1] ^= 1;     /* ASan: the whole length is ours */
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *s = fuzz_strndup(data, size);
    const char *payload = base64_strip_data_url(s);
    if (payload) {
        if (payload < s || payload > s + strlen(s)) abort();
        decode(payload, strlen(payload));
    }
    char *raw = malloc(size ? size : 1); /* not NUL-terminated: ASan catches a read past len */
    if (size) memcpy(raw, data, size);
    decode(raw, size);
    free(raw);
    free(s);
    return 0;
}
