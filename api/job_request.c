/* Job request parsing and validation. One field table drives both body
 * formats and every task, so a field's name, type and range are stated once;
 * a task only says which fields it takes. */
#include "job_request.h"
#include "webhook_fields.h"
#include "api_task.h"
#include "canny.h"
#include "base64.h"
#include "http_parse.h"
#include "param_limits.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum field_kind { F_INT, F_DOUBLE, F_STRING, F_IMAGE } field_kind;

#define API_RESOLUTION_MIN 64
#define API_RESOLUTION_MAX 2048
#define API_EDIT_RESOLUTION_MAX 4096 /* large working sizes stay possible on request */
#define API_TIMEOUT_MAX_S 86400.0
#define API_CONTROL_SCALE_MAX 10.0

typedef struct field_spec {
    const char *name;
    field_kind kind;
    unsigned given_bit;
    double min, max;
} field_spec;

static const field_spec fields[] = {
    {"image", F_IMAGE, REQ_IMAGE, 0, 0},
    {"prompt", F_STRING, REQ_PROMPT, 0, 0},
    {"negative_prompt", F_STRING, REQ_NEGATIVE_PROMPT, 0, 0},
    {"profile", F_STRING, REQ_PROFILE, 0, 0},
    {"scheduler", F_STRING, REQ_SCHEDULER, 0, 0},
    {"control_type", F_STRING, REQ_CONTROL_TYPE, 0, 0},
    {"color_fix", F_STRING, REQ_COLOR_FIX, 0, 0},
    /* depth, steps and gamma: representable here, ranged by the profile */
    {"num_inference_steps", F_INT, REQ_STEPS, -API_PROFILE_INT_ABS_MAX, API_PROFILE_INT_ABS_MAX},
    {"depth", F_INT, REQ_DEPTH, -API_PROFILE_INT_ABS_MAX, API_PROFILE_INT_ABS_MAX},
    {"seed", F_INT, REQ_SEED, 0, (double)API_SEED_MAX},
    {"guidance_scale", F_DOUBLE, REQ_GUIDANCE, API_GUIDANCE_MIN, API_GUIDANCE_MAX},
    {"image_guidance_scale", F_DOUBLE, REQ_IMAGE_GUIDANCE, API_GUIDANCE_MIN, API_GUIDANCE_MAX},
    {"eta", F_DOUBLE, REQ_ETA, API_ETA_MIN, API_ETA_MAX},
    {"gamma", F_DOUBLE, REQ_GAMMA, -API_GAMMA_ABS_MAX, API_GAMMA_ABS_MAX},
    {"controlnet_conditioning_scale", F_DOUBLE, REQ_CONTROL_SCALE, 0, API_CONTROL_SCALE_MAX},
    {"low_threshold", F_INT, REQ_LOW_THRESHOLD, 0, CANNY_THRESHOLD_MAX},
    {"high_threshold", F_INT, REQ_HIGH_THRESHOLD, 0, CANNY_THRESHOLD_MAX},
    {"image_resolution", F_INT, REQ_IMAGE_RESOLUTION, API_RESOLUTION_MIN, API_RESOLUTION_MAX},
    /* 0 = the input's own size; else the long side, 64..4096 (checked below) */
    {"resolution", F_INT, REQ_RESOLUTION, 0, API_EDIT_RESOLUTION_MAX},
    {"output_size", F_STRING, REQ_OUTPUT_SIZE, 0, 0},
    {"timeout", F_DOUBLE, REQ_TIMEOUT, 0, API_TIMEOUT_MAX_S},
    {"scale", F_DOUBLE, REQ_SCALE, I2I_UPSCALE_MIN, I2I_UPSCALE_MAX},
    {"cfw_weight", F_DOUBLE, REQ_CFW_WEIGHT, 0, 1},
    {"output_format", F_STRING, REQ_OUTPUT_FORMAT, 0, 0},
    {"output_quality", F_INT, REQ_OUTPUT_QUALITY, RESULT_QUALITY_MIN, RESULT_QUALITY_MAX},
    {"response_format", F_STRING, REQ_RESPONSE_FORMAT, 0, 0},
    {"webhook", F_STRING, REQ_WEBHOOK, 0, 0},
    {"webhook_events_filter", F_STRING, REQ_WEBHOOK_EVENTS, 0, 0},
    {"num_images_per_prompt", F_INT, REQ_NUM_IMAGES, 1, API_NUM_IMAGES_MAX},
};
#define N_FIELDS (sizeof fields / sizeof fields[0])

void job_request_init(job_request *r) {
    memset(r, 0, sizeof *r);
}

void job_request_free(job_request *r) {
    free(r->prompt);
    free(r->negative_prompt);
    free(r->image);
    free(r->webhook);
    memset(r, 0, sizeof *r);
}

void job_request_drop_image(job_request *r) {
    free(r->image);
    r->image = NULL;
    r->image_len = 0;
}

/* The field `name` if task t takes it (NULL: unknown to this route). */
static const field_spec *find_field(const api_task *t, const char *name) {
    for (size_t i = 0; i < N_FIELDS; i++)
        if (strcmp(fields[i].name, name) == 0)
            return (t->fields & fields[i].given_bit) ? &fields[i] : NULL;
    return NULL;
}

/* A text field's value, owned; NULL with e set. */
static char *copy_text(const char *v, size_t len, api_error *e) {
    char *s = malloc(len + 1);
    if (!s) return api_error_set(e, API_ERR_INTERNAL, "out of memory"), NULL;
    memcpy(s, v, len);
    s[len] = '\0';
    return s;
}

/* Strict UTF-8 check (no overlongs, no surrogates). */
static bool utf8_valid(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len;
        unsigned min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0)
            len = 2, min = 0x80, c &= 0x1f;
        else if ((c & 0xf0) == 0xe0)
            len = 3, min = 0x800, c &= 0x0f;
        else if ((c & 0xf8) == 0xf0)
            len = 4, min = 0x10000, c &= 0x07;
        else
            return false;
        if (i + len > n) return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80) return false;
            c = (c << 6) | (s[i + k] & 0x3f);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return false;
        i += len;
    }
    return true;
}

/* Copies a field name for an error message, replacing anything that is not
 * printable ASCII so the message stays valid JSON text. */
static void safe_name(const char *name, char *out, size_t outlen) {
    size_t n = 0;
    for (; *name && n + 1 < outlen; name++)
        out[n++] = (*name >= 0x20 && *name < 0x7f && *name != '"') ? *name : '?';
    out[n] = '\0';
}

static bool set_prompt(char **dst, const field_spec *f, const char *v, size_t len, api_error *e) {
    if (len == 0 && f->given_bit == REQ_PROMPT)
        return api_error_set(e, API_ERR_INVALID_PARAMETER, "prompt must not be empty");
    if (len > API_PROMPT_MAX_BYTES)
        return api_error_set(e, API_ERR_INVALID_PARAMETER, "%s is over %d bytes", f->name,
                             API_PROMPT_MAX_BYTES);
    return (*dst = copy_text(v, len, e)) != NULL;
}

/* A short keyword value into name (NUL-terminated); false when too long. */
static bool keyword(const char *v, size_t len, char *name, size_t cap) {
    if (len >= cap) return false;
    memcpy(name, v, len);
    name[len] = '\0';
    return true;
}

/* A keyword field: one of names[] -> the matching value; else 400 naming them. */
typedef struct choice {
    const char *name;
    int value;
} choice;

static bool set_choice(const char *field, const choice *c, size_t n, const char *v, size_t len,
                       int *out, api_error *e) {
    char name[16], list[96] = "";
    bool ok = keyword(v, len, name, sizeof name);
    for (size_t i = 0; i < n; i++) {
        if (ok && !strcmp(name, c[i].name)) return *out = c[i].value, true;
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s\"%s\"",
                 i == 0       ? ""
                 : i + 1 == n ? " or "
                              : ", ",
                 c[i].name);
    }
    return api_error_set(e, API_ERR_INVALID_PARAMETER, "%s must be %s", field, list);
}

static const choice CONTROL_TYPES[] = {{"canny", I2I_CONTROL_CANNY}, {"raw", I2I_CONTROL_RAW}};
static const choice OUTPUT_SIZES[] = {{"input", I2I_OUTPUT_INPUT}, {"working", I2I_OUTPUT_WORKING}};
static const choice COLOR_FIXES[] = {{"adain", I2I_COLOR_FIX_ADAIN},
                                     {"wavelet", I2I_COLOR_FIX_WAVELET},
                                     {"none", I2I_COLOR_FIX_NONE}};
static const choice OUTPUT_FORMATS[] = {
    {"png", RESULT_PNG}, {"jpeg", RESULT_JPEG}, {"webp", RESULT_WEBP}};
static const choice RESPONSE_FORMATS[] = {{"url", 0}, {"b64_json", 1}};
#define N_CHOICES(a) (sizeof a / sizeof a[0])

static bool set_keyword(job_request *r, unsigned bit, const char *v, size_t len, api_error *e) {
    int x;
    bool ok;
    if (bit == REQ_CONTROL_TYPE) {
        ok = set_choice("control_type", CONTROL_TYPES, N_CHOICES(CONTROL_TYPES), v, len, &x, e);
        if (ok) r->control_type = (i2i_control_type)x;
    } else if (bit == REQ_OUTPUT_SIZE) {
        ok = set_choice("output_size", OUTPUT_SIZES, N_CHOICES(OUTPUT_SIZES), v, len, &x, e);
        if (ok) r->output_size = (i2i_output_size)x;
    } else if (bit == REQ_OUTPUT_FORMAT) {
        ok = set_choice("output_format", OUTPUT_FORMATS, N_CHOICES(OUTPUT_FORMATS), v, len, &x, e);
        if (ok) r->output_format = (result_format)x;
    } else if (bit == REQ_RESPONSE_FORMAT) {
        ok = set_choice("response_format", RESPONSE_FORMATS, N_CHOICES(RESPONSE_FORMATS), v, len,
                        &x, e);
        if (ok) r->response_b64 = x == 1;
    } else {
        ok = set_choice("color_fix", COLOR_FIXES, N_CHOICES(COLOR_FIXES), v, len, &x, e);
        if (ok) r->color_fix = (i2i_color_fix)x;
    }
    return ok;
}

static bool set_string(job_request *r, const field_spec *f, const char *v, size_t len,
                       api_error *e) {
    if (!utf8_valid((const unsigned char *)v, len) || memchr(v, '\0', len))
        return api_error_set(e, API_ERR_INVALID_PARAMETER, "%s must be UTF-8 text", f->name);
    char name[32];
    switch (f->given_bit) {
    case REQ_PROMPT:
        return set_prompt(&r->prompt, f, v, len, e);
    case REQ_NEGATIVE_PROMPT:
        return set_prompt(&r->negative_prompt, f, v, len, e);
    case REQ_WEBHOOK:
        if (len == 0 || len > API_WEBHOOK_URL_MAX)
            return api_error_set(e, API_ERR_INVALID_PARAMETER,
                                 "webhook must be a URL of 1 to %d bytes", API_WEBHOOK_URL_MAX);
        return (r->webhook = copy_text(v, len, e)) != NULL;
    case REQ_WEBHOOK_EVENTS:
        return api_webhook_events_parse(v, len, &r->webhook_events, e);
    case REQ_CONTROL_TYPE:
    case REQ_OUTPUT_SIZE:
    case REQ_COLOR_FIX:
    case REQ_OUTPUT_FORMAT:
    case REQ_RESPONSE_FORMAT:
        return set_keyword(r, f->given_bit, v, len, e);
    case REQ_PROFILE:
        if (len == 0 || !keyword(v, len, r->profile, sizeof r->profile))
            return api_error_set(e, API_ERR_INVALID_PARAMETER,
                                 "profile must be a name of 1 to %zu bytes", sizeof r->profile - 1);
        return true;
    default: /* scheduler */
        if (!keyword(v, len, name, sizeof name) || !api_sampler_parse(name, &r->sampler))
            return api_error_set(e, API_ERR_INVALID_PARAMETER,
                                 "scheduler must be \"ddim\" or \"dpmpp_2m\"");
        return true;
    }
}

/* A well-formed number outside the field's fixed range: 422, like the
 * profile's range errors. */
static bool range_error(const field_spec *f, api_error *e) {
    if (f->kind == F_INT)
        return api_error_set(e, API_ERR_OUT_OF_RANGE, "%s must be an integer in [%.0f, %.0f]",
                             f->name, f->min, f->max);
    return api_error_set(e, API_ERR_OUT_OF_RANGE, "%s must be a number in [%g, %g]", f->name,
                         f->min, f->max);
}

static bool set_number(job_request *r, const field_spec *f, double v, api_error *e) {
    if (!isfinite(v))
        return api_error_set(e, API_ERR_INVALID_PARAMETER, "%s must be a finite number", f->name);
    if (v < f->min || v > f->max) return range_error(f, e);
    if (f->kind == F_INT && v != floor(v))
        return api_error_set(e, API_ERR_INVALID_PARAMETER, "%s must be an integer", f->name);
    switch (f->given_bit) {
    case REQ_STEPS:
        r->steps = (int)v;
        break;
    case REQ_DEPTH:
        r->depth = (int)v;
        break;
    case REQ_SEED:
        r->seed = (uint64_t)v;
        break;
    case REQ_GUIDANCE:
        r->guidance_scale = v;
        break;
    case REQ_IMAGE_GUIDANCE:
        r->image_guidance_scale = v;
        break;
    case REQ_ETA:
        r->eta = v;
        break;
    case REQ_CONTROL_SCALE:
        r->control_scale = v;
        break;
    case REQ_LOW_THRESHOLD:
        r->low_threshold = (int)v;
        break;
    case REQ_HIGH_THRESHOLD:
        r->high_threshold = (int)v;
        break;
    case REQ_IMAGE_RESOLUTION:
        r->image_resolution = (int)v;
        break;
    case REQ_RESOLUTION:
        if (v > 0 && v < API_RESOLUTION_MIN)
            return api_error_set(e, API_ERR_OUT_OF_RANGE,
                                 "resolution must be 0 (the input's size) or in [%d, %d]",
                                 API_RESOLUTION_MIN, API_EDIT_RESOLUTION_MAX);
        r->resolution = (int)v;
        break;
    case REQ_TIMEOUT:
        if (!(v > 0)) return api_error_set(e, API_ERR_OUT_OF_RANGE, "timeout must be > 0 seconds");
        r->timeout_s = v;
        break;
    case REQ_SCALE:
        r->scale = v;
        break;
    case REQ_CFW_WEIGHT:
        r->cfw_weight = v;
        break;
    case REQ_OUTPUT_QUALITY:
        r->output_quality = (int)v;
        break;
    case REQ_NUM_IMAGES:
        r->num_images = (int)v;
        break;
    default:
        r->gamma = v;
    }
    return true;
}

/* Marks f as given; a second occurrence is an error. */
static bool mark_given(job_request *r, const field_spec *f, api_error *e) {
    if (r->given & f->given_bit)
        return api_error_set(e, API_ERR_INVALID_REQUEST, "field %s given more than once", f->name);
    r->given |= f->given_bit;
    return true;
}

/* Appends `name` to the unknown-field list for the error message. */
static void note_unknown(char *list, size_t cap, const char *name) {
    char safe[64];
    safe_name(name, safe, sizeof safe);
    size_t n = strlen(list);
    snprintf(list + n, cap - n, "%s%s", n ? ", " : "", safe);
}

static bool check_required(const api_task *t, const job_request *r, api_error *e) {
    for (size_t i = 0; i < N_FIELDS; i++)
        if ((t->required & fields[i].given_bit) && !(r->given & fields[i].given_bit))
            return api_error_set(e, API_ERR_MISSING_FIELD, "field %s is required", fields[i].name);
    return true;
}

static bool unknown_fields_error(const char *unknown, api_error *e) {
    return api_error_set(e, API_ERR_UNKNOWN_FIELD, "unknown field(s): %s", unknown);
}

/* ---- JSON body ---- */

static bool json_image(job_request *r, json_t *v, api_error *e) {
    if (!json_is_string(v))
        return api_error_set(e, API_ERR_INVALID_PARAMETER,
                             "image must be a base64 string or a data URL");
    const char *b64 = base64_strip_data_url(json_string_value(v));
    if (!b64) return api_error_set(e, API_ERR_INVALID_IMAGE, "image data URL is not base64");
    if (!base64_decode(b64, strlen(b64), &r->image, &r->image_len))
        return api_error_set(e, API_ERR_INVALID_IMAGE, "image is not valid base64");
    if (r->image_len == 0) return api_error_set(e, API_ERR_INVALID_IMAGE, "image is empty");
    return true;
}

static bool json_field(job_request *r, const field_spec *f, json_t *v, api_error *e) {
    switch (f->kind) {
    case F_IMAGE:
        return json_image(r, v, e);
    case F_STRING:
        if (f->given_bit == REQ_WEBHOOK_EVENTS && json_is_array(v))
            return api_webhook_events_from_json(v, &r->webhook_events, e);
        if (!json_is_string(v))
            return api_error_set(e, API_ERR_INVALID_PARAMETER, "%s must be a string", f->name);
        return set_string(r, f, json_string_value(v), json_string_length(v), e);
    default:
        if (!json_is_number(v) || (f->kind == F_INT && json_is_real(v) &&
                                   json_real_value(v) != floor(json_real_value(v))))
            return api_error_set(e, API_ERR_INVALID_PARAMETER, "%s must be %s", f->name,
                                 f->kind == F_INT ? "an integer" : "a number");
        if (json_is_integer(v) && f->kind == F_INT &&
            (json_integer_value(v) < (json_int_t)f->min ||
             json_integer_value(v) > (json_int_t)f->max))
            return range_error(f, e); /* exact, also for integers beyond 2^53 */
        return set_number(r, f, json_number_value(v), e);
    }
}

bool job_request_from_json(const api_task *t, const char *body, size_t len, job_request *r,
                           api_error *e) {
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return api_error_set(e, API_ERR_INVALID_REQUEST, "invalid JSON at line %d: %s", jerr.line,
                             jerr.text);
    if (!json_is_object(root)) {
        json_decref(root);
        return api_error_set(e, API_ERR_INVALID_REQUEST, "JSON body must be an object");
    }
    char unknown[400] = "";
    bool ok = true;
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        const field_spec *f = find_field(t, key);
        if (!f) {
            note_unknown(unknown, sizeof unknown, key);
            continue;
        }
        if (json_is_null(v)) /* null means "use the default" */
            continue;
        if (!(ok = mark_given(r, f, e) && json_field(r, f, v, e))) break;
    }
    json_decref(root);
    if (ok && unknown[0]) ok = unknown_fields_error(unknown, e);
    return ok && check_required(t, r, e);
}

/* ---- multipart body ---- */

static bool multipart_field(job_request *r, const field_spec *f, const multipart_part *part,
                            api_error *e) {
    if (f->kind == F_IMAGE) {
        if (part->len == 0) return api_error_set(e, API_ERR_INVALID_IMAGE, "image is empty");
        r->image = malloc(part->len);
        if (!r->image) return api_error_set(e, API_ERR_INTERNAL, "out of memory");
        memcpy(r->image, part->data, part->len);
        r->image_len = part->len;
        return true;
    }
    if (f->kind == F_STRING) return set_string(r, f, (const char *)part->data, part->len, e);
    char text[64];
    if (part->len >= sizeof text)
        return api_error_set(e, API_ERR_INVALID_PARAMETER, "%s is not a number", f->name);
    memcpy(text, part->data, part->len);
    text[part->len] = '\0';
    /* the JSON number grammar, as for a JSON body: strtod alone would take
     * 0x9, 0x1p4, inf and nan */
    double v;
    if (!api_parse_json_number(text, &v))
        return api_error_set(e, API_ERR_INVALID_PARAMETER, "%s must be %s", f->name,
                             f->kind == F_INT ? "an integer" : "a number");
    long long iv; /* an integer literal is range-checked exactly, also beyond 2^53 */
    if (f->kind == F_INT && api_is_json_integer(text) &&
        !api_parse_int(text, (long long)f->min, (long long)f->max, &iv))
        return range_error(f, e);
    return set_number(r, f, v, e);
}

bool job_request_from_multipart(const api_task *t, const multipart_form *form, job_request *r,
                                api_error *e) {
    char unknown[400] = "";
    for (size_t i = 0; i < form->count; i++) {
        const multipart_part *part = &form->parts[i];
        const field_spec *f = find_field(t, part->name);
        if (!f) {
            note_unknown(unknown, sizeof unknown, part->name);
            continue;
        }
        if (!mark_given(r, f, e) || !multipart_field(r, f, part, e)) return false;
    }
    if (unknown[0]) return unknown_fields_error(unknown, e);
    return check_required(t, r, e);
}

/* ---- identity for idempotency ---- */

static uint64_t fnv1a(uint64_t h, const void *data, size_t n) {
    const uint8_t *p = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

uint64_t job_request_hash(const api_task *t, const job_request *r) {
    uint64_t h = 0xcbf29ce484222325ULL;
    h = fnv1a(h, t->name, strlen(t->name) + 1);
    h = fnv1a(h, &r->given, sizeof r->given);
    if (r->prompt) h = fnv1a(h, r->prompt, strlen(r->prompt) + 1);
    if (r->negative_prompt) h = fnv1a(h, r->negative_prompt, strlen(r->negative_prompt) + 1);
    h = fnv1a(h, r->profile, strlen(r->profile) + 1);
    if (r->image) h = fnv1a(h, r->image, r->image_len);
    /* numeric fields one by one: struct padding must not enter the hash */
    h = fnv1a(h, &r->steps, sizeof r->steps);
    h = fnv1a(h, &r->guidance_scale, sizeof r->guidance_scale);
    h = fnv1a(h, &r->image_guidance_scale, sizeof r->image_guidance_scale);
    h = fnv1a(h, &r->seed, sizeof r->seed);
    h = fnv1a(h, &r->sampler, sizeof r->sampler);
    h = fnv1a(h, &r->eta, sizeof r->eta);
    h = fnv1a(h, &r->depth, sizeof r->depth);
    h = fnv1a(h, &r->gamma, sizeof r->gamma);
    h = fnv1a(h, &r->control_scale, sizeof r->control_scale);
    h = fnv1a(h, &r->control_type, sizeof r->control_type);
    h = fnv1a(h, &r->low_threshold, sizeof r->low_threshold);
    h = fnv1a(h, &r->high_threshold, sizeof r->high_threshold);
    h = fnv1a(h, &r->image_resolution, sizeof r->image_resolution);
    h = fnv1a(h, &r->resolution, sizeof r->resolution);
    h = fnv1a(h, &r->output_size, sizeof r->output_size);
    h = fnv1a(h, &r->scale, sizeof r->scale);
    h = fnv1a(h, &r->color_fix, sizeof r->color_fix);
    h = fnv1a(h, &r->cfw_weight, sizeof r->cfw_weight);
    h = fnv1a(h, &r->output_format, sizeof r->output_format);
    h = fnv1a(h, &r->output_quality, sizeof r->output_quality);
    h = fnv1a(h, &r->response_b64, sizeof r->response_b64);
    if (r->webhook) h = fnv1a(h, r->webhook, strlen(r->webhook));
    h = fnv1a(h, &r->webhook_events, sizeof r->webhook_events);
    h = fnv1a(h, &r->num_images, sizeof r->num_images);
    return fnv1a(h, &r->timeout_s, sizeof r->timeout_s);
}

/* ---- resolution over a profile ---- */

static const profile *pick_profile(const api_task *t, const job_request *r, const profile_set *set,
                                   api_error *e) {
    const profile *p = (r->given & REQ_PROFILE) ? profile_set_find(set, r->profile)
                                                : profile_set_default(set, t->name);
    if (p && strcmp(p->task, t->name) == 0) return p;
    char names[400];
    api_profiles_names(set, t->name, names, sizeof names);
    if (p)
        api_error_set(e, API_ERR_UNKNOWN_PROFILE,
                      "profile '%s' is for task %s, not %s; %s profiles: %s", p->name, p->task,
                      t->name, t->name, names);
    else if (r->given & REQ_PROFILE)
        api_error_set(e, API_ERR_UNKNOWN_PROFILE, "unknown profile '%s'; %s profiles: %s",
                      r->profile, t->name, names[0] ? names : "(none)");
    else
        api_error_set(e, API_ERR_UNKNOWN_PROFILE, "the server has no %s profile", t->name);
    return NULL;
}

/* The request's fields in the engine profile module's terms. */
static void to_profile_request(const job_request *r, uint64_t seed, profile_request *q) {
    static const struct {
        unsigned req_bit, profile_bit;
    } bits[] = {{REQ_DEPTH, PROFILE_GIVEN_DEPTH},
                {REQ_STEPS, PROFILE_GIVEN_STEPS},
                {REQ_GAMMA, PROFILE_GIVEN_GAMMA},
                {REQ_SCHEDULER, PROFILE_GIVEN_SAMPLER},
                {REQ_ETA, PROFILE_GIVEN_ETA},
                {REQ_GUIDANCE, PROFILE_GIVEN_GUIDANCE},
                {REQ_IMAGE_GUIDANCE, PROFILE_GIVEN_IMAGE_GUIDANCE}};
    memset(q, 0, sizeof *q);
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
        if (r->given & bits[i].req_bit) q->given |= bits[i].profile_bit;
    q->given |= PROFILE_GIVEN_SEED; /* profiles have no seed: always the request's or random */
    q->prompt = r->prompt;
    q->depth = r->depth;
    q->steps = r->steps;
    q->gamma = r->gamma;
    q->sampler = r->sampler;
    q->eta = r->eta;
    q->guidance_scale = r->guidance_scale;
    q->image_guidance_scale = r->image_guidance_scale;
    q->seed = (r->given & REQ_SEED) ? r->seed : seed;
}

/* The result's encoding: PNG unless asked; the lossy formats' quality. */
static bool resolve_result(const job_request *r, result_spec *out, api_error *e) {
    out->format = (r->given & REQ_OUTPUT_FORMAT) ? r->output_format : RESULT_PNG;
    out->inline_b64 = r->response_b64;
    out->quality = out->format == RESULT_PNG ? 0 : RESULT_QUALITY_DEFAULT;
    if (!(r->given & REQ_OUTPUT_QUALITY)) return true;
    if (out->format == RESULT_PNG)
        return api_error_set(e, API_ERR_INVALID_PARAMETER,
                             "output_quality applies to output_format jpeg or webp; png is "
                             "lossless");
    out->quality = r->output_quality;
    return true;
}

bool job_request_resolve(const api_task *t, const job_request *r, const profile_set *profiles,
                         uint64_t random_seed, job_resolved *out, api_error *e) {
    memset(out, 0, sizeof *out);
    const profile *p = pick_profile(t, r, profiles, e);
    if (!p) return false;
    profile_request q;
    to_profile_request(r, random_seed & (uint64_t)API_SEED_MAX, &q);
    profile_resolved pr;
    char err[sizeof e->message];
    if (profile_resolve(p, &q, &pr, err, sizeof err) != 0)
        return api_error_set(e, API_ERR_OUT_OF_RANGE, "%s", err);
    out->task = t;
    snprintf(out->profile, sizeof out->profile, "%s", p->name);
    out->params = pr.params;
    out->gamma_origin = pr.gamma_origin;
    if (r->given & REQ_OUTPUT_SIZE) out->params.output_size = r->output_size;
    if (r->given & REQ_TIMEOUT) out->timeout_s = r->timeout_s;
    out->num_images = (r->given & REQ_NUM_IMAGES) ? r->num_images : 1;
    if (!resolve_result(r, &out->result, e)) return false;
    if ((r->given & REQ_WEBHOOK_EVENTS) && !r->webhook)
        return api_error_set(e, API_ERR_INVALID_PARAMETER,
                             "webhook_events_filter is given without a webhook");
    out->webhook = r->webhook;
    out->webhook_events = !r->webhook                       ? 0
                          : (r->given & REQ_WEBHOOK_EVENTS) ? r->webhook_events
                                                            : API_WEBHOOK_ALL;
    if (t->apply) t->apply(r, &out->params);
    return !t->check || t->check(&out->params, e);
}

uint64_t job_image_seed(uint64_t seed, int i) {
    return (seed + (uint64_t)i) & (uint64_t)API_SEED_MAX; /* API_SEED_MAX is 2^53 - 1 */
}

json_t *job_resolved_json(const job_resolved *res) {
    const i2i_params *q = &res->params;
    json_t *o = json_pack(
        "{s:s?,s:i,s:f,s:I,s:s,s:f,s:i,s:f,s:s}", "prompt", q->prompt, "num_inference_steps",
        q->steps, "guidance_scale", q->guidance_scale, "seed", (json_int_t)q->seed, "scheduler",
        profile_sampler_name(q->sampler), "eta", q->eta, "depth", q->depth, "gamma", q->gamma,
        "gamma_source", profile_gamma_origin_name(res->gamma_origin));
    if (!o) return NULL;
    json_object_set_new(o, "output_size",
                        json_string(q->output_size == I2I_OUTPUT_WORKING ? "working" : "input"));
    json_object_set_new(o, "timeout", res->timeout_s > 0 ? json_real(res->timeout_s) : json_null());
    json_object_set_new(o, "output_format", json_string(result_format_name(res->result.format)));
    json_object_set_new(o, "output_quality",
                        res->result.quality > 0 ? json_integer(res->result.quality) : json_null());
    json_object_set_new(o, "response_format",
                        json_string(res->result.inline_b64 ? "b64_json" : "url"));
    json_object_set_new(o, "num_images_per_prompt", json_integer(res->num_images));
    json_object_set_new(o, "webhook", res->webhook ? json_string(res->webhook) : json_null());
    json_object_set_new(o, "webhook_events_filter",
                        res->webhook ? api_webhook_events_json(res->webhook_events) : json_null());
    if (res->task && res->task->params_json) res->task->params_json(q, o);
    return o;
}
