/* multipart/form-data as the server reads a job upload: the input's first
 * line is the Content-Type header (its boundary parameter), the rest is the
 * body; a parsed form then goes through every task's request reader. */
#include "api_task.h"
#include "http_parse.h"
#include "job_request.h"
#include "multipart.h"
#include "support.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *body;
    size_t body_len;
    char *ct = fuzz_split_line(data, size, &body, &body_len);
    char boundary[128]; /* as routes_jobs.c */
    if (api_parse_content_type(ct, boundary, sizeof boundary) != API_MEDIA_MULTIPART) {
        free(ct);
        return 0;
    }
    /* An exact-size copy, so ASan sees any read past the body's end. */
    uint8_t *copy = malloc(body_len ? body_len : 1);
    if (body_len) memcpy(copy, body, body_len);
    multipart_form form;
    char err[256];
    if (multipart_parse(copy, body_len, boundary, &form, err, sizeof err)) {
        if (form.count > MULTIPART_MAX_PARTS) abort();
        for (size_t i = 0; i < form.count; i++) {
            const multipart_part *p = &form.parts[i];
            if (p->len && (p->data < copy || p->data + p->len > copy + body_len)) abort();
        }
        for (size_t i = 0; i < api_task_count(); i++) {
            const api_task *t = api_task_at(i);
            job_request r;
            api_error e = {0};
            job_request_init(&r);
            if (job_request_from_multipart(t, &form, &r, &e)) (void)job_request_hash(t, &r);
            job_request_free(&r);
        }
        multipart_form_free(&form);
    }
    free(copy);
    free(ct);
    return 0;
}
