/* Where the server's profiles come from, and their listing. */
#include "profiles.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Table S1 rows (IP2P), shared by the two compressed built-ins. */
#define BUILTIN_GAMMA_TABLE                                                                        \
    "\"gamma_table\":{\"image_guidance_scale\":[1.0,1.2,1.4,1.6],\"rows\":["                       \
    "{\"steps\":5,\"gamma\":[\"1/3.11\",0.333,0.377,0.435]},"                                      \
    "{\"steps\":10,\"gamma\":[\"1/1.8\",0.581,0.617,0.704]},"                                      \
    "{\"steps\":15,\"gamma\":[0.709,0.714,0.833,0.833]}],"                                         \
    "\"source\":\"paper supplement Table S1 (IP2P)\"},"
#define BUILTIN_COMMON                                                                             \
    "\"format\":\"i2i-profile/1\",\"task\":\"edit\",\"sampler\":\"ddim\",\"eta\":0.0,"             \
    "\"guidance_scale\":7.5,\"image_guidance_scale\":1.0,\"baseline\":\"edit-full\","

#define BUILTIN_CONTROL                                                                            \
    "\"format\":\"i2i-profile/1\",\"task\":\"control\",\"sampler\":\"ddim\",\"eta\":0.0,"          \
    "\"guidance_scale\":9.0,\"baseline\":\"control-full\","

/* The fallback is JSON text read by the engine's own parser, so it obeys
 * exactly the rules of a profile file; a unit test checks it still matches
 * the files in profiles/. */
static const char *const builtin_profiles[] = {
    "{" BUILTIN_COMMON BUILTIN_GAMMA_TABLE
    "\"name\":\"edit\",\"depth\":9,\"steps\":10,\"gamma\":\"1/1.8\","
    "\"overrides\":{\"depth\":[1,13],\"steps\":[1,50],\"gamma\":[0.1,10.0]},"
    "\"description\":\"InstructPix2Pix, depth 9, 10 steps, gamma from Table S1\","
    "\"source\":\"built-in copy of profiles/edit.json (paper headline D9 + 10 steps)\"}",

    "{" BUILTIN_COMMON BUILTIN_GAMMA_TABLE
    "\"name\":\"edit-fast\",\"depth\":9,\"steps\":5,\"gamma\":\"1/3.11\","
    "\"overrides\":{\"depth\":[1,13],\"steps\":[1,50],\"gamma\":[0.1,10.0]},"
    "\"description\":\"InstructPix2Pix, depth 9, 5 steps, gamma from Table S1\","
    "\"source\":\"built-in copy of profiles/edit-fast.json (paper 5-step gamma 1/3.11)\"}",

    "{" BUILTIN_COMMON "\"name\":\"edit-full\",\"depth\":13,\"steps\":50,\"gamma\":1.0,"
    "\"overrides\":{\"steps\":[1,100]},"
    "\"description\":\"InstructPix2Pix, full U-Net, 50 uniform DDIM steps (reference)\","
    "\"source\":\"built-in copy of profiles/edit-full.json (the uncompressed reference)\"}",

    "{" BUILTIN_CONTROL "\"name\":\"control\",\"depth\":9,\"steps\":5,\"gamma\":\"1/2.21\","
    "\"overrides\":{\"depth\":[1,13],\"steps\":[1,50],\"gamma\":[0.1,10.0]},"
    "\"description\":\"ControlNet canny, depth 9, 5 steps, the published gamma 1/2.21\","
    "\"source\":\"built-in copy of profiles/control.json (paper: 999 881 741 558 219)\"}",

    "{" BUILTIN_CONTROL "\"name\":\"control-full\",\"depth\":13,\"steps\":20,\"gamma\":1.0,"
    "\"overrides\":{\"steps\":[1,100]},"
    "\"description\":\"ControlNet canny, full U-Net, 20 uniform DDIM steps (reference)\","
    "\"source\":\"built-in copy of profiles/control-full.json (Table S8's reference)\"}",
};
#define N_BUILTIN (sizeof builtin_profiles / sizeof builtin_profiles[0])

int api_profiles_builtin(profile_set *set, char *err, size_t errlen) {
    memset(set, 0, sizeof *set);
    for (size_t i = 0; i < N_BUILTIN; i++) {
        if (profile_parse(builtin_profiles[i], strlen(builtin_profiles[i]), NULL,
                          &set->items[set->count], err, errlen))
            return -1;
        set->count++;
    }
    return 0;
}

static bool is_directory(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The directory to load: the explicit one, else the first existing
 * fallback; NULL means "use the built-ins". */
static const char *pick_dir(const char *dir, const char *const *fallback_dirs) {
    if (dir && dir[0]) return dir;
    for (size_t i = 0; fallback_dirs && fallback_dirs[i]; i++)
        if (fallback_dirs[i][0] && is_directory(fallback_dirs[i])) return fallback_dirs[i];
    return NULL;
}

int api_profiles_load(profile_set *set, const char *dir, const char *const *fallback_dirs,
                      const char *required_task, char *loaded_from, size_t loaded_from_len,
                      char *err, size_t errlen) {
    const char *use = pick_dir(dir, fallback_dirs);
    snprintf(loaded_from, loaded_from_len, "%s", use ? use : API_PROFILES_BUILTIN);
    int rc =
        use ? profile_set_load_dir(set, use, err, errlen) : api_profiles_builtin(set, err, errlen);
    if (rc) return -1;
    if (required_task && !profile_set_default(set, required_task)) {
        snprintf(err, errlen, "profiles: no profile of task '%s' in %s", required_task,
                 use ? use : API_PROFILES_BUILTIN);
        return -1;
    }
    return 0;
}

json_t *api_profiles_json(const profile_set *set) {
    json_t *arr = json_array();
    for (int i = 0; arr && i < set->count; i++) {
        const profile *p = &set->items[i];
        json_t *o = profile_to_json(p);
        if (!o) continue;
        json_object_set_new(o, "default", json_boolean(profile_set_default(set, p->task) == p));
        json_array_append_new(arr, o);
    }
    return arr ? json_pack("{s:o}", "profiles", arr) : NULL;
}

void api_profiles_names(const profile_set *set, const char *task, char *out, size_t outlen) {
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < set->count && n + 1 < outlen; i++) {
        const profile *p = &set->items[i];
        if (task && strcmp(p->task, task) != 0) continue;
        int w = snprintf(out + n, outlen - n, "%s%s", n ? ", " : "", p->name);
        if (w < 0) break;
        n += (size_t)w;
    }
}

bool api_sampler_parse(const char *name, i2i_sampler *out) {
    if (strcmp(name, "ddim") == 0)
        *out = I2I_SAMPLER_DDIM;
    else if (strcmp(name, "dpmpp_2m") == 0)
        *out = I2I_SAMPLER_DPMPP_2M;
    else
        return false;
    return true;
}
