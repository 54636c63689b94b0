/* The JSON body of POST /v1/<task>, for every task of the task table: parse,
 * hash, then resolve over the shipped profiles (profiles/) and report the
 * parameters as job JSON, as the server does for an accepted job. */
#include "api_task.h"
#include "job_request.h"
#include "profiles.h"
#include "support.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

static profile_set *profiles;

static void load_profiles(void) {
    char from[256], err[512];
    profiles = calloc(1, sizeof *profiles);
    if (!profiles || api_profiles_load(profiles, I2I_SOURCE_DIR "/profiles", NULL, NULL, from,
                                       sizeof from, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_job_request: %s\n", err);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!profiles) load_profiles();
    for (size_t i = 0; i < api_task_count(); i++) {
        const api_task *t = api_task_at(i);
        job_request r;
        api_error e = {0};
        job_request_init(&r);
        if (job_request_from_json(t, (const char *)data, size, &r, &e)) {
            (void)job_request_hash(t, &r);
            job_resolved res;
            api_error e2 = {0};
            if (job_request_resolve(t, &r, profiles, 42, &res, &e2)) {
                json_t *j = job_resolved_json(&res);
                char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
                free(s);
                json_decref(j);
            } else if (e2.code == API_OK) {
                abort(); /* a failure must say why */
            }
        } else if (e.code == API_OK) {
            abort();
        }
        job_request_free(&r);
    }
    return 0;
}
