/* OpenAI images.edit fields onto the edit route's. */
#include "openai_edit.h"
#include "param_limits.h"
#include "profiles.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool part_is(const multipart_part *p, const char *text) {
    return p->len == strlen(text) && memcmp(p->data, text, p->len) == 0;
}

static bool has_prefix(const multipart_part *p, const char *prefix) {
    size_t n = strlen(prefix);
    return p->len >= n && memcmp(p->data, prefix, n) == 0;
}

/* n: 1 .. API_NUM_IMAGES_MAX, in decimal (one digit suffices). */
_Static_assert(API_NUM_IMAGES_MAX <= 9, "n is parsed as one digit");
static bool n_valid(const multipart_part *p) {
    return p->len == 1 && p->data[0] >= '1' && p->data[0] <= '0' + API_NUM_IMAGES_MAX;
}

/* model: a profile of task edit, an OpenAI model name, or an error. *keep
 * tells whether the part goes on (renamed to profile). */
static bool map_model(const multipart_part *p, const profile_set *set, bool *keep, api_error *e) {
    char name[64];
    if (p->len >= sizeof name)
        return api_error_set(e, API_ERR_INVALID_PARAMETER,
                             "model must be a name of at most %zu "
                             "bytes",
                             sizeof name - 1);
    memcpy(name, p->data, p->len);
    name[p->len] = '\0';
    const profile *pr = profile_set_find(set, name);
    if (pr && strcmp(pr->task, "edit") == 0) return *keep = true, true;
    if (has_prefix(p, "dall-e") || has_prefix(p, "gpt-image")) return *keep = false, true;
    char names[400];
    api_profiles_names(set, "edit", names, sizeof names);
    return api_error_set(e, API_ERR_UNKNOWN_PROFILE,
                         "model '%.63s' is neither an edit profile (%s) nor an OpenAI image "
                         "model name (dall-e-*, gpt-image-*: the default edit profile)",
                         name, names);
}

/* The edit-route name of one OpenAI part; NULL: dropped. false: refused. */
static bool map_part(const multipart_part *p, const profile_set *set, const char **name,
                     api_error *e) {
    bool keep = true;
    *name = p->name;
    if (!strcmp(p->name, "image[]"))
        *name = "image";
    else if (!strcmp(p->name, "n")) {
        if (!n_valid(p))
            return api_error_set(e, API_ERR_OUT_OF_RANGE,
                                 "n must be an integer in [1, %d]: images per request",
                                 API_NUM_IMAGES_MAX);
        *name = "num_images_per_prompt";
    } else if (!strcmp(p->name, "user"))
        *name = NULL;
    else if (!strcmp(p->name, "mask"))
        return api_error_set(e, API_ERR_INVALID_PARAMETER,
                             "mask is not supported: InstructPix2Pix edits the whole image");
    else if (!strcmp(p->name, "size")) {
        if (!part_is(p, "auto"))
            return api_error_set(e, API_ERR_INVALID_PARAMETER,
                                 "size must be \"auto\": the result has the input image's size");
        *name = NULL;
    } else if (!strcmp(p->name, "model")) {
        if (!map_model(p, set, &keep, e)) return false;
        *name = keep ? "profile" : NULL;
    }
    return true;
}

bool openai_edit_form(const multipart_form *in, const profile_set *profiles, multipart_form *out,
                      api_error *e) {
    out->count = 0;
    out->parts = calloc(in->count ? in->count : 1, sizeof *out->parts);
    if (!out->parts) return api_error_set(e, API_ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < in->count; i++) {
        const char *name;
        if (!map_part(&in->parts[i], profiles, &name, e)) {
            multipart_form_free(out);
            return false;
        }
        if (!name) continue;
        multipart_part *p = &out->parts[out->count++];
        *p = in->parts[i];
        snprintf(p->name, sizeof p->name, "%s", name);
    }
    return true;
}
