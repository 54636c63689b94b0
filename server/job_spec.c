/* The run spec blob: JSON for the parameters (doubles print with 17
 * significant digits, so they come back bit-exact), raw bytes for the
 * pixels (base64 would add a third to the largest part). */
#include "job_spec.h"
#include "api_task.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define SPEC_MAGIC "I2J1"

static json_t *params_json(const i2i_params *p) {
    char seed[24];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)p->seed); /* past 2^53 */
    return json_pack(
        "{s:s?,s:s?,s:i,s:i,s:f,s:i,s:f,s:f,s:s,s:i,s:i,s:i,s:i,s:f,s:f,s:i,s:i,s:i,s:f,s:i,s:f}",
        "prompt", p->prompt, "negative_prompt", p->negative_prompt, "depth", p->depth, "steps",
        p->steps, "gamma", p->gamma, "sampler", (int)p->sampler, "eta", p->eta, "guidance",
        p->guidance_scale, "seed", seed, "resolution", p->resolution, "output_size",
        (int)p->output_size, "output_width", p->output_width, "output_height", p->output_height,
        "image_guidance", p->image_guidance_scale, "control_scale", p->control_scale,
        "control_type", (int)p->control_type, "low", p->low_threshold, "high", p->high_threshold,
        "scale", p->scale, "color_fix", (int)p->color_fix, "cfw_weight", p->cfw_weight);
}

static json_t *spec_json(const job *j) {
    const job_resolved *r = &j->resolved;
    return json_pack("{s:s,s:s,s:i,s:f,s:i,s:i,s:i,s:b,s:s?,s:i,s:i,s:i,s:o}", "task", j->task,
                     "profile", r->profile, "gamma_origin", (int)r->gamma_origin, "timeout",
                     j->timeout_s, "num_images", r->num_images, "format", (int)r->result.format,
                     "quality", r->result.quality, "b64", r->result.inline_b64, "webhook",
                     r->webhook, "webhook_events", (int)r->webhook_events, "width", j->input.width,
                     "height", j->input.height, "params", params_json(&r->params));
}

bool job_spec_encode(const job *j, store_blob *out) {
    memset(out, 0, sizeof *out);
    json_t *o = spec_json(j);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    size_t tlen = text ? strlen(text) : 0;
    size_t pixels = (size_t)j->input.width * (size_t)j->input.height * 3;
    out->len = 8 + tlen + pixels;
    out->bytes = text ? malloc(out->len) : NULL;
    if (!out->bytes) {
        free(text);
        out->len = 0;
        return false;
    }
    memcpy(out->bytes, SPEC_MAGIC, 4);
    for (int i = 0; i < 4; i++)
        out->bytes[4 + i] = (uint8_t)(tlen >> (8 * i));
    memcpy(out->bytes + 8, text, tlen);
    if (pixels) memcpy(out->bytes + 8 + tlen, j->input.rgb, pixels);
    free(text);
    return true;
}

/* A copy of an optional string member; false only when out of memory. */
static bool dup_member(json_t *o, const char *key, char **out) {
    const char *v = json_string_value(json_object_get(o, key));
    *out = v ? strdup(v) : NULL;
    return !v || *out;
}

static bool read_params(json_t *p, job *j) {
    i2i_params *x = &j->resolved.params;
    const char *seed = NULL;
    int sampler, osize, ctype, cfix;
    if (json_unpack(p,
                    "{s:i,s:i,s:F,s:i,s:F,s:F,s:s,s:i,s:i,s:i,s:i,s:F,s:F,s:i,s:i,s:i,s:F,s:i,s:F}",
                    "depth", &x->depth, "steps", &x->steps, "gamma", &x->gamma, "sampler", &sampler,
                    "eta", &x->eta, "guidance", &x->guidance_scale, "seed", &seed, "resolution",
                    &x->resolution, "output_size", &osize, "output_width", &x->output_width,
                    "output_height", &x->output_height, "image_guidance", &x->image_guidance_scale,
                    "control_scale", &x->control_scale, "control_type", &ctype, "low",
                    &x->low_threshold, "high", &x->high_threshold, "scale", &x->scale, "color_fix",
                    &cfix, "cfw_weight", &x->cfw_weight) != 0)
        return false;
    x->seed = strtoull(seed, NULL, 10);
    x->sampler = (i2i_sampler)sampler;
    x->output_size = (i2i_output_size)osize;
    x->control_type = (i2i_control_type)ctype;
    x->color_fix = (i2i_color_fix)cfix;
    if (!dup_member(p, "prompt", &j->req.prompt) ||
        !dup_member(p, "negative_prompt", &j->req.negative_prompt))
        return false;
    x->prompt = j->req.prompt; /* the texts live in the record, as at submit */
    x->negative_prompt = j->req.negative_prompt;
    return true;
}

static bool read_spec(json_t *o, job *j) {
    const char *task = NULL, *profile = NULL;
    int origin, format, events, b64;
    job_resolved *r = &j->resolved;
    if (json_unpack(o, "{s:s,s:s,s:i,s:F,s:i,s:i,s:i,s:b,s:i,s:i,s:i}", "task", &task, "profile",
                    &profile, "gamma_origin", &origin, "timeout", &j->timeout_s, "num_images",
                    &r->num_images, "format", &format, "quality", &r->result.quality, "b64", &b64,
                    "webhook_events", &events, "width", &j->input.width, "height",
                    &j->input.height) != 0)
        return false;
    r->task = api_task_find(task);
    if (!r->task || j->input.width <= 0 || j->input.height <= 0) return false;
    snprintf(j->task, sizeof j->task, "%s", task);
    snprintf(r->profile, sizeof r->profile, "%s", profile);
    r->gamma_origin = (profile_gamma_origin)origin;
    r->result.format = (result_format)format;
    r->result.inline_b64 = b64;
    r->webhook_events = (unsigned)events;
    r->timeout_s = j->timeout_s;
    if (!dup_member(o, "webhook", &j->req.webhook)) return false;
    r->webhook = j->req.webhook;
    return read_params(json_object_get(o, "params"), j);
}

static bool read_pixels(job *j, const uint8_t *px, size_t len) {
    size_t want = (size_t)j->input.width * (size_t)j->input.height * 3;
    if (len != want) return false;
    j->input.rgb = malloc(want);
    if (!j->input.rgb) return false;
    memcpy(j->input.rgb, px, want);
    return true;
}

job *job_spec_decode(const job_meta *m, const store_blob *blob) {
    if (!blob->bytes || blob->len < 8 || memcmp(blob->bytes, SPEC_MAGIC, 4) != 0) return NULL;
    size_t tlen = 0;
    for (int i = 0; i < 4; i++)
        tlen |= (size_t)blob->bytes[4 + i] << (8 * i);
    if (tlen > blob->len - 8) return NULL;
    json_t *o = json_loadb((const char *)blob->bytes + 8, tlen, 0, NULL);
    job *j = o ? job_new() : NULL;
    bool ok = j && read_spec(o, j) && read_pixels(j, blob->bytes + 8 + tlen, blob->len - 8 - tlen);
    json_decref(o);
    if (!ok) {
        job_unref(j);
        return NULL;
    }
    memcpy(j->id, m->id, sizeof j->id); /* job_new made a fresh id: the stored one wins */
    memcpy(j->owner, m->owner, sizeof j->owner);
    j->status = JOB_RUNNING;
    j->steps = m->steps;
    j->created_at = m->created_at;
    j->started_at = m->started_at;
    j->attempt = m->attempt;
    return j;
}
