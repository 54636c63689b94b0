/* Profile files: parsing, validation and loading a directory of them. */
#include "profile.h"
#include "schedule.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROFILE_FILE_MAX_BYTES (1 << 20)
#define PROFILE_GAMMA_MAX 20.0 /* the schedule is degenerate far beyond this */

typedef struct parse_ctx {
    const char *origin;
    char *err;
    size_t errlen;
} parse_ctx;

static int fail(parse_ctx *c, const char *fmt, const char *field) {
    char what[200];
    snprintf(what, sizeof what, fmt, field);
    snprintf(c->err, c->errlen, "profile %s: %s", c->origin, what);
    return -1;
}

static int get_string(parse_ctx *c, json_t *o, const char *key, bool required, char *dst,
                      size_t cap) {
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) return required ? fail(c, "\"%s\" is required", key) : 0;
    if (!json_is_string(v)) return fail(c, "\"%s\" must be a string", key);
    if (json_string_length(v) >= cap) return fail(c, "\"%s\" is too long", key);
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

static int get_number(parse_ctx *c, json_t *o, const char *key, double *dst) {
    json_t *v = json_object_get(o, key);
    if (!v) return fail(c, "\"%s\" is required", key);
    if (!json_is_number(v) || !isfinite(json_number_value(v)))
        return fail(c, "\"%s\" must be a number", key);
    *dst = json_number_value(v);
    return 0;
}

static int get_int(parse_ctx *c, json_t *o, const char *key, int lo, int hi, int *dst) {
    json_t *v = json_object_get(o, key);
    if (!v) return fail(c, "\"%s\" is required", key);
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        char what[64];
        snprintf(what, sizeof what, "\"%s\" must be an integer in %d..%d", key, lo, hi);
        return fail(c, "%s", what);
    }
    *dst = (int)json_integer_value(v);
    return 0;
}

/* A γ is a number or a string "1.42" / "1/3.11" (the paper's notation, which
 * keeps the published reciprocals exact). */
static int parse_gamma_value(parse_ctx *c, json_t *v, const char *what, double *dst) {
    char msg[160];
    if (json_is_number(v))
        *dst = json_number_value(v);
    else if (!json_is_string(v) || gamma_parse(json_string_value(v), dst, msg, sizeof msg) != 0)
        return fail(c, "%s must be a number or a string like \"1/1.8\"", what);
    if (!(*dst > 0) || *dst > PROFILE_GAMMA_MAX) {
        snprintf(msg, sizeof msg, "%s must be in (0, %g]", what, PROFILE_GAMMA_MAX);
        return fail(c, "%s", msg);
    }
    return 0;
}

static int parse_table_row(parse_ctx *c, json_t *row, int n_cols, profile_gamma_row *out) {
    if (!json_is_object(row)) return fail(c, "%s", "gamma_table rows must be objects");
    if (get_int(c, row, "steps", 1, SCHEDULE_MAX_STEPS, &out->steps)) return -1;
    json_t *g = json_object_get(row, "gamma");
    if (!json_is_array(g) || (int)json_array_size(g) != n_cols)
        return fail(c, "%s", "each gamma_table row needs one gamma per image_guidance_scale");
    for (int i = 0; i < n_cols; i++)
        if (parse_gamma_value(c, json_array_get(g, (size_t)i), "a gamma_table entry",
                              &out->gamma[i]))
            return -1;
    return 0;
}

static int parse_gamma_table(parse_ctx *c, json_t *t, profile_gamma_table *out) {
    json_t *s = json_object_get(t, "image_guidance_scale"), *rows = json_object_get(t, "rows");
    if (!json_is_object(t) || !json_is_array(s) || !json_is_array(rows))
        return fail(c, "%s", "gamma_table needs \"image_guidance_scale\" and \"rows\" arrays");
    out->n_cols = (int)json_array_size(s);
    out->n_rows = (int)json_array_size(rows);
    if (out->n_cols < 1 || out->n_cols > PROFILE_TABLE_MAX_COLS || out->n_rows < 1 ||
        out->n_rows > PROFILE_TABLE_MAX_ROWS)
        return fail(c, "%s", "gamma_table has no entries or too many");
    for (int i = 0; i < out->n_cols; i++) {
        json_t *v = json_array_get(s, (size_t)i);
        out->image_guidance_scale[i] = json_is_number(v) ? json_number_value(v) : NAN;
        if (!isfinite(out->image_guidance_scale[i]) ||
            (i > 0 && out->image_guidance_scale[i] <= out->image_guidance_scale[i - 1]))
            return fail(c, "%s", "gamma_table image_guidance_scale must increase strictly");
    }
    for (int r = 0; r < out->n_rows; r++) {
        if (parse_table_row(c, json_array_get(rows, (size_t)r), out->n_cols, &out->rows[r]))
            return -1;
        for (int q = 0; q < r; q++)
            if (out->rows[q].steps == out->rows[r].steps)
                return fail(c, "%s", "gamma_table has two rows for one step count");
    }
    return get_string(c, t, "source", false, out->source, sizeof out->source);
}

/* "key": [min, max]; absent = fixed at the default. */
static int parse_range(parse_ctx *c, json_t *overrides, const char *key, double def, double lo,
                       double hi, profile_range *out) {
    *out = (profile_range){def, def, false};
    json_t *r = json_object_get(overrides, key);
    if (!r) return 0;
    json_t *a = json_array_get(r, 0), *b = json_array_get(r, 1);
    if (!json_is_array(r) || json_array_size(r) != 2 || !json_is_number(a) || !json_is_number(b))
        return fail(c, "overrides.%s must be [min, max]", key);
    *out = (profile_range){json_number_value(a), json_number_value(b), true};
    char msg[160];
    if (!(out->min >= lo && out->max <= hi && out->min <= out->max)) {
        snprintf(msg, sizeof msg, "overrides.%s must lie within %g..%g with min <= max", key, lo,
                 hi);
        return fail(c, "%s", msg);
    }
    if (def < out->min || def > out->max)
        return fail(c, "the default %s lies outside its own override range", key);
    return 0;
}

static int parse_sampler(parse_ctx *c, json_t *o, i2i_sampler *out) {
    char name[32] = "ddim";
    if (get_string(c, o, "sampler", false, name, sizeof name)) return -1;
    if (!strcmp(name, "ddim"))
        *out = I2I_SAMPLER_DDIM;
    else if (!strcmp(name, "dpmpp_2m"))
        *out = I2I_SAMPLER_DPMPP_2M;
    else
        return fail(c, "%s", "\"sampler\" must be \"ddim\" or \"dpmpp_2m\"");
    return 0;
}

static int parse_identity(parse_ctx *c, json_t *o, profile *p) {
    char format[32] = "";
    if (get_string(c, o, "format", true, format, sizeof format)) return -1;
    if (strcmp(format, PROFILE_FORMAT) != 0)
        return fail(c, "\"format\" must be \"%s\"", PROFILE_FORMAT);
    if (get_string(c, o, "name", true, p->name, sizeof p->name) ||
        get_string(c, o, "task", true, p->task, sizeof p->task) ||
        get_string(c, o, "description", false, p->description, sizeof p->description) ||
        get_string(c, o, "bundle", false, p->bundle, sizeof p->bundle) ||
        get_string(c, o, "source", true, p->source, sizeof p->source) ||
        get_string(c, o, "baseline", false, p->baseline, sizeof p->baseline))
        return -1;
    for (const char *s = p->name; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
            return fail(c, "%s", "\"name\" may hold only a-z, 0-9, '-' and '_'");
    if (!p->name[0]) return fail(c, "%s", "\"name\" must not be empty");
    if (!p->baseline[0]) snprintf(p->baseline, sizeof p->baseline, "%.40s-full", p->task);
    json_t *def = json_object_get(o, "default");
    if (def && !json_is_boolean(def)) return fail(c, "%s", "\"default\" must be true or false");
    p->is_default = json_is_true(def);
    return 0;
}

static int parse_defaults(parse_ctx *c, json_t *o, profile *p) {
    if (get_int(c, o, "depth", 1, 13, &p->depth) ||
        get_int(c, o, "steps", 1, SCHEDULE_MAX_STEPS, &p->steps))
        return -1;
    json_t *g = json_object_get(o, "gamma");
    if (!g) return fail(c, "%s", "\"gamma\" is required");
    if (parse_gamma_value(c, g, "\"gamma\"", &p->gamma)) return -1;
    json_t *t = json_object_get(o, "gamma_table");
    p->has_gamma_table = t && !json_is_null(t);
    if (p->has_gamma_table && parse_gamma_table(c, t, &p->gamma_table)) return -1;
    if (parse_sampler(c, o, &p->sampler) || get_number(c, o, "eta", &p->eta) ||
        get_number(c, o, "guidance_scale", &p->guidance_scale))
        return -1;
    /* Only the edit task has an image guidance scale; elsewhere it may be left out. */
    p->image_guidance_scale = 1.0;
    if ((!strcmp(p->task, "edit") || json_object_get(o, "image_guidance_scale")) &&
        get_number(c, o, "image_guidance_scale", &p->image_guidance_scale))
        return -1;
    json_t *res = json_object_get(o, "resolution");
    if (res && get_int(c, o, "resolution", 64, 4096, &p->resolution)) return -1;
    if (p->eta < 0 || p->eta > 1) return fail(c, "%s", "\"eta\" must be in [0, 1]");
    if (fabs(p->guidance_scale) > 100 || fabs(p->image_guidance_scale) > 100)
        return fail(c, "%s", "guidance scales must be within [-100, 100]");
    return 0;
}

static int parse_overrides(parse_ctx *c, json_t *o, profile *p) {
    json_t *ov = json_object_get(o, "overrides");
    if (ov && !json_is_object(ov)) return fail(c, "%s", "\"overrides\" must be an object");
    if (parse_range(c, ov, "depth", p->depth, 1, 13, &p->depth_range) ||
        parse_range(c, ov, "steps", p->steps, 1, SCHEDULE_MAX_STEPS, &p->steps_range) ||
        parse_range(c, ov, "gamma", p->gamma, 1e-3, PROFILE_GAMMA_MAX, &p->gamma_range))
        return -1;
    if (p->depth_range.min != floor(p->depth_range.min) ||
        p->depth_range.max != floor(p->depth_range.max) ||
        p->steps_range.min != floor(p->steps_range.min) ||
        p->steps_range.max != floor(p->steps_range.max))
        return fail(c, "%s", "depth and steps ranges must be whole numbers");
    return 0;
}

int profile_parse(const char *json, size_t len, const char *origin, profile *out, char *err,
                  size_t errlen) {
    memset(out, 0, sizeof *out);
    parse_ctx c = {origin ? origin : "(text)", err, errlen};
    json_error_t je;
    json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!o) {
        snprintf(err, errlen, "profile %s: invalid JSON at line %d: %s", c.origin, je.line,
                 je.text);
        return -1;
    }
    int rc = -1;
    if (!json_is_object(o))
        fail(&c, "%s", "must be a JSON object");
    else if (!parse_identity(&c, o, out) && !parse_defaults(&c, o, out) &&
             !parse_overrides(&c, o, out))
        rc = 0;
    json_decref(o);
    if (rc == 0 && origin) snprintf(out->path, sizeof out->path, "%s", origin);
    return rc;
}

int profile_load_file(const char *path, profile *out, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) return snprintf(err, errlen, "profile %s: cannot open", path), -1;
    char *buf = malloc(PROFILE_FILE_MAX_BYTES);
    size_t n = buf ? fread(buf, 1, PROFILE_FILE_MAX_BYTES, f) : 0;
    bool too_big = buf && n == PROFILE_FILE_MAX_BYTES;
    fclose(f);
    int rc = -1;
    if (!buf)
        snprintf(err, errlen, "profile %s: out of memory", path);
    else if (too_big)
        snprintf(err, errlen, "profile %s: larger than %d bytes", path, PROFILE_FILE_MAX_BYTES);
    else
        rc = profile_parse(buf, n, path, out, err, errlen);
    free(buf);
    return rc;
}

static bool is_json_name(const char *name) {
    size_t n = strlen(name);
    return name[0] != '.' && n > 5 && !strcmp(name + n - 5, ".json");
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.json names in dir, sorted (so the listing order is stable). */
static int list_json(const char *dir, char ***names, int *n, char *err, size_t errlen) {
    DIR *d = opendir(dir);
    if (!d) return snprintf(err, errlen, "profiles: cannot open directory %s", dir), -1;
    *names = NULL;
    *n = 0;
    int cap = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (!is_json_name(e->d_name)) continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            char **grown = realloc(*names, sizeof(char *) * (size_t)cap);
            if (!grown) break;
            *names = grown;
        }
        (*names)[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    if (*n > 0) qsort(*names, (size_t)*n, sizeof(char *), cmp_str); /* names is NULL when empty */
    return 0;
}

static int add_file(profile_set *set, const char *dir, const char *name, char *err, size_t errlen) {
    if (set->count == PROFILE_MAX) {
        snprintf(err, errlen, "profiles: more than %d files in %s", PROFILE_MAX, dir);
        return -1;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    profile *p = &set->items[set->count];
    if (profile_load_file(path, p, err, errlen)) return -1;
    const profile *dup = profile_set_find(set, p->name);
    if (dup) {
        snprintf(err, errlen, "profiles: %s and %s both define '%s'", dup->path, path, p->name);
        return -1;
    }
    set->count++;
    return 0;
}

int profile_set_load_dir(profile_set *set, const char *dir, char *err, size_t errlen) {
    memset(set, 0, sizeof *set);
    char **names;
    int n, rc = 0;
    if (list_json(dir, &names, &n, err, errlen)) return -1;
    for (int i = 0; i < n; i++) {
        if (rc == 0 && (!names[i] || add_file(set, dir, names[i], err, errlen))) {
            if (!names[i]) snprintf(err, errlen, "profiles: out of memory");
            rc = -1;
        }
        free(names[i]);
    }
    free(names);
    if (rc == 0 && set->count == 0) {
        snprintf(err, errlen, "profiles: no *.json profile in %s", dir);
        rc = -1;
    }
    return rc;
}

const profile *profile_set_find(const profile_set *set, const char *name) {
    for (int i = 0; name && i < set->count; i++)
        if (!strcmp(set->items[i].name, name)) return &set->items[i];
    return NULL;
}

const profile *profile_set_default(const profile_set *set, const char *task) {
    if (!task) return NULL;
    const profile *named = profile_set_find(set, task);
    if (named && !strcmp(named->task, task)) return named;
    for (int i = 0; i < set->count; i++)
        if (set->items[i].is_default && !strcmp(set->items[i].task, task)) return &set->items[i];
    for (int i = 0; i < set->count; i++)
        if (!strcmp(set->items[i].task, task)) return &set->items[i];
    return NULL;
}
