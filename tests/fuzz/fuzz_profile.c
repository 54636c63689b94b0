/* Profile JSON files (profiles/, --profiles): profile_parse on the bytes;
 * a profile it accepts is then written as the only *.json of a scratch
 * directory and must load the same through profile_set_load_dir (the
 * server's loader; only then, as the loader's 1 MiB read buffer is slow
 * under ASan), is resolved with and without overrides, and must survive a
 * round trip through profile_to_json. */
#include "profile.h"
#include "support.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static profile_set *set;

static void use(const profile *p) {
    char err[512];
    profile_resolved out;
    profile_request none = {.prompt = "a"};
    (void)profile_resolve(p, &none, &out, err, sizeof err);
    profile_request all = {.given = PROFILE_GIVEN_DEPTH | PROFILE_GIVEN_STEPS |
                                    PROFILE_GIVEN_GAMMA | PROFILE_GIVEN_SAMPLER |
                                    PROFILE_GIVEN_ETA | PROFILE_GIVEN_GUIDANCE |
                                    PROFILE_GIVEN_IMAGE_GUIDANCE | PROFILE_GIVEN_SEED,
                           .prompt = "a",
                           .depth = p->depth,
                           .steps = p->steps,
                           .gamma = 1.0,
                           .sampler = p->sampler,
                           .eta = 0.0,
                           .guidance_scale = 7.5,
                           .image_guidance_scale = 1.5,
                           .seed = 1};
    (void)profile_resolve(p, &all, &out, err, sizeof err);
    profile_gamma_origin origin;
    for (int steps = 1; steps <= 64; steps *= 2)
        (void)profile_gamma_for(p, steps, steps / 8.0, &origin);

    json_t *j = profile_to_json(p);
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    if (!s) abort();
    profile again;
    if (profile_parse(s, strlen(s), "round trip", &again, err, sizeof err) != 0) abort();
    free(s);
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static profile p;
    char err[512];
    if (profile_parse((const char *)data, size, "fuzz", &p, err, sizeof err) != 0) return 0;
    use(&p);

    if (!set && !(set = malloc(sizeof *set))) abort();
    fuzz_write_file("profile.json", data, size);
    if (profile_set_load_dir(set, fuzz_scratch_dir(), err, sizeof err) != 0 || set->count != 1)
        abort();
    const profile *q = &set->items[0];
    if (profile_set_find(set, p.name) != q || strcmp(q->task, p.task) != 0 || q->depth != p.depth ||
        q->steps != p.steps)
        abort();
    return 0;
}
