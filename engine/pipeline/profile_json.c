/* Profiles as JSON: the listing GET /v1/profiles serves and the file
 * --write-profile writes (profile_parse reads it back unchanged). */
#include "profile.h"

#include <stdio.h>
#include <string.h>

const char *profile_sampler_name(i2i_sampler s) {
    return s == I2I_SAMPLER_DPMPP_2M ? "dpmpp_2m" : "ddim";
}

static json_t *table_json(const profile_gamma_table *t) {
    json_t *scales = json_array(), *rows = json_array();
    for (int i = 0; i < t->n_cols; i++)
        json_array_append_new(scales, json_real(t->image_guidance_scale[i]));
    for (int r = 0; r < t->n_rows; r++) {
        json_t *g = json_array();
        for (int i = 0; i < t->n_cols; i++)
            json_array_append_new(g, json_real(t->rows[r].gamma[i]));
        json_array_append_new(rows, json_pack("{s:i,s:o}", "steps", t->rows[r].steps, "gamma", g));
    }
    json_t *o = json_pack("{s:o,s:o}", "image_guidance_scale", scales, "rows", rows);
    if (t->source[0]) json_object_set_new(o, "source", json_string(t->source));
    return o;
}

static void add_range(json_t *ov, const char *key, const profile_range *r, bool integer) {
    if (!r->overridable) return;
    json_t *pair = integer ? json_pack("[I,I]", (json_int_t)r->min, (json_int_t)r->max)
                           : json_pack("[f,f]", r->min, r->max);
    json_object_set_new(ov, key, pair);
}

static json_t *cost_json(const profile_cost *c) {
    json_t *o = json_pack(
        "{s:I,s:I,s:f,s:f,s:i,s:f,s:[i,i]}", "unet_params_total", (json_int_t)c->params_total,
        "unet_params_kept", (json_int_t)c->params_kept, "unet_params_kept_share",
        c->params_total ? (double)c->params_kept / (double)c->params_total : 0.0,
        "macs_per_unet_call", c->macs_per_unet_call, "unet_evals_per_job", c->unet_evals_per_job,
        "macs_per_job", c->macs_per_job, "latent_size", c->latent_width, c->latent_height);
    if (c->speedup_vs_baseline > 0)
        json_object_set_new(o, "expected_speedup_vs_baseline", json_real(c->speedup_vs_baseline));
    return o;
}

json_t *profile_to_json(const profile *p) {
    json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "format", PROFILE_FORMAT, "name", p->name, "task",
                          p->task, "description", p->description);
    if (p->bundle[0]) json_object_set_new(o, "bundle", json_string(p->bundle));
    json_object_set_new(o, "depth", json_integer(p->depth));
    json_object_set_new(o, "steps", json_integer(p->steps));
    json_object_set_new(o, "gamma", json_real(p->gamma));
    if (p->has_gamma_table) json_object_set_new(o, "gamma_table", table_json(&p->gamma_table));
    json_object_set_new(o, "sampler", json_string(profile_sampler_name(p->sampler)));
    json_object_set_new(o, "eta", json_real(p->eta));
    json_object_set_new(o, "guidance_scale", json_real(p->guidance_scale));
    json_object_set_new(o, "image_guidance_scale", json_real(p->image_guidance_scale));
    if (p->resolution > 0) json_object_set_new(o, "resolution", json_integer(p->resolution));
    json_t *ov = json_object();
    add_range(ov, "depth", &p->depth_range, true);
    add_range(ov, "steps", &p->steps_range, true);
    add_range(ov, "gamma", &p->gamma_range, false);
    json_object_set_new(o, "overrides", ov);
    json_object_set_new(o, "baseline", json_string(p->baseline));
    json_object_set_new(o, "source", json_string(p->source));
    if (p->cost.known) json_object_set_new(o, "cost", cost_json(&p->cost));
    return o;
}

int profile_save(const profile *p, const char *path, char *err, size_t errlen) {
    json_t *o = profile_to_json(p);
    json_object_del(o, "cost"); /* computed at load from the bundle, never stored */
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int rc = o ? json_dump_file(o, tmp, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) : -1;
    json_decref(o);
    if (rc == 0 && rename(tmp, path) != 0) rc = -1;
    if (rc != 0) {
        remove(tmp);
        snprintf(err, errlen, "cannot write profile %s", path);
    }
    return rc;
}
