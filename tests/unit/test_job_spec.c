/* The run spec blob (job_spec.h): what one replica stores at submit comes
 * back, field for field and pixel for pixel, on the replica that claims
 * it; a damaged blob is refused, never half-read. */
#include "check.h"
#include "api_task.h"
#include "job_spec.h"

#include <stdlib.h>
#include <string.h>

static job *sample_job(void) {
    job *j = job_new();
    snprintf(j->task, sizeof j->task, "edit");
    j->req.prompt = strdup("make it \"autumn\" — ü");
    j->req.negative_prompt = strdup("blurry");
    j->req.webhook = strdup("https://hooks.example.com/i2i");
    job_resolved *r = &j->resolved;
    r->task = api_task_find("edit");
    snprintf(r->profile, sizeof r->profile, "edit-fast");
    i2i_params_default("edit", &r->params);
    r->params.prompt = j->req.prompt;
    r->params.negative_prompt = j->req.negative_prompt;
    r->params.seed = 18446744073709551615ULL; /* past a double's integers */
    r->params.gamma = 1.0 / 1.8;
    r->params.image_guidance_scale = 1.2345678901234567;
    r->params.output_width = 641;
    r->params.output_height = 479;
    r->params.sampler = I2I_SAMPLER_DPMPP_2M;
    r->num_images = 3;
    r->result = (result_spec){.format = RESULT_WEBP, .quality = 80, .inline_b64 = true};
    r->webhook = j->req.webhook;
    r->webhook_events = 5;
    j->timeout_s = 12.5;
    j->input.width = 4;
    j->input.height = 3;
    j->input.rgb = malloc(36);
    for (int i = 0; i < 36; i++)
        j->input.rgb[i] = (uint8_t)(i * 7);
    return j;
}

static void check_round_trip(void) {
    job *j = sample_job();
    store_blob b;
    CHECK(job_spec_encode(j, &b) && b.len > 36);
    job_meta m;
    job_meta_init(&m);
    snprintf(m.id, sizeof m.id, "00000000-0000-4000-8000-000000000001");
    snprintf(m.owner, sizeof m.owner, "alice");
    m.steps = 5;
    m.attempt = 2;
    m.started_at = 100.5;
    job *k = job_spec_decode(&m, &b);
    CHECK(k != NULL);
    if (k) {
        const i2i_params *p = &j->resolved.params, *q = &k->resolved.params;
        CHECK(strcmp(k->id, m.id) == 0 && strcmp(k->owner, "alice") == 0);
        CHECK(strcmp(k->task, "edit") == 0 && k->resolved.task == j->resolved.task);
        CHECK(k->status == JOB_RUNNING && k->attempt == 2 && k->started_at == 100.5);
        CHECK(k->steps == 5 && k->timeout_s == 12.5 && k->resolved.timeout_s == 12.5);
        CHECK(strcmp(q->prompt, p->prompt) == 0 && q->prompt == k->req.prompt);
        CHECK(strcmp(q->negative_prompt, "blurry") == 0);
        CHECK(q->seed == p->seed && q->gamma == p->gamma);
        CHECK(q->image_guidance_scale == p->image_guidance_scale);
        CHECK(q->depth == p->depth && q->steps == p->steps && q->sampler == p->sampler);
        CHECK(q->output_width == 641 && q->output_height == 479);
        CHECK(q->guidance_scale == p->guidance_scale && q->eta == p->eta);
        CHECK(strcmp(k->resolved.profile, "edit-fast") == 0 && k->resolved.num_images == 3);
        CHECK(k->resolved.result.format == RESULT_WEBP && k->resolved.result.quality == 80);
        CHECK(k->resolved.result.inline_b64);
        CHECK(strcmp(k->resolved.webhook, "https://hooks.example.com/i2i") == 0);
        CHECK(k->resolved.webhook_events == 5);
        CHECK(k->input.width == 4 && k->input.height == 3);
        CHECK(memcmp(k->input.rgb, j->input.rgb, 36) == 0);
    }
    job_unref(k);
    /* damaged: a byte short, a wrong magic, a length past the end */
    b.len--;
    CHECK(job_spec_decode(&m, &b) == NULL);
    b.len++;
    b.bytes[0] = 'X';
    CHECK(job_spec_decode(&m, &b) == NULL);
    b.bytes[0] = 'I';
    b.bytes[7] = 0x7f;
    CHECK(job_spec_decode(&m, &b) == NULL);
    store_blob_free(&b);
    job_meta_clear(&m);
    job_unref(j);
}

int main(void) {
    check_round_trip();
    return CHECK_DONE();
}
