/* The job store contract: one suite every backend must pass. A test
 * program supplies a factory that makes a fresh, empty store for a config
 * (a backend shared between runs, like Redis, gives each store its own key
 * prefix) and calls store_contract_run(). Times are logical: the suite
 * passes finished_at and expire()'s now, so no case sleeps. */
#ifndef I2I_TEST_STORE_CONTRACT_H
#define I2I_TEST_STORE_CONTRACT_H

#include "check.h"
#include "job_store.h"

#include <stdio.h>
#include <string.h>

typedef job_store *(*store_factory)(const job_store_config *c, void *ctx);

typedef struct contract {
    store_factory make;
    void *ctx;
    int serial; /* ids stay unique across cases */
} contract;

static job_store *contract_store(contract *k, size_t cap, double ttl_s) {
    job_store_config c;
    job_store_config_defaults(&c);
    c.cap = cap;
    c.ttl_s = ttl_s;
    c.tombstones = 1000;
    c.timeout_s = 1.0;
    job_store *s = k->make(&c, k->ctx);
    CHECK(s != NULL);
    return s;
}

/* A queued job of owner with every field set, so round trips see them all. */
static void contract_meta(contract *k, job_meta *m, const char *owner) {
    job_meta_init(m);
    snprintf(m->id, sizeof m->id, "00000000-0000-4000-8000-%012d", ++k->serial);
    snprintf(m->task, sizeof m->task, "edit");
    snprintf(m->owner, sizeof m->owner, "%s", owner);
    snprintf(m->profile, sizeof m->profile, "edit-fast");
    m->status = JOB_QUEUED;
    m->steps = 20;
    m->created_at = 1700000000.125 + k->serial;
    job_meta_set_params(m, "{\"prompt\":\"a \\\"red\\\" fox\",\"steps\":20,\"guidance\":7.5}");
    m->request_hash = 0xfedcba9876543210ULL;
    m->input_width = 641;
    m->input_height = 479;
    m->working_width = 512;
    m->working_height = 384;
}

static store_rc contract_put(job_store *s, job_meta *m) {
    char first[37] = "";
    return s->ops->put(s, m, NULL, first);
}

static store_rc contract_start(job_store *s, const char *id) {
    job_update u = {.from = JOB_QUEUED, .to = JOB_RUNNING, .at = 1700000100.5, .attempt = 1};
    return s->ops->update_status(s, id, &u);
}

static store_rc contract_fail(job_store *s, const char *id, job_status from, double at) {
    job_update u = {.from = from,
                    .to = JOB_FAILED,
                    .at = at,
                    .error_code = "internal",
                    .error_message = "the engine said \"no\""};
    return s->ops->update_status(s, id, &u);
}

static void contract_round_trip(contract *k) {
    job_store *s = contract_store(k, 10, 3600);
    job_meta m, got;
    contract_meta(k, &m, "alice");
    snprintf(m.idempotency_key, sizeof m.idempotency_key, "key with spaces:and:colons");
    m.step = 3;
    m.attempt = 2;
    m.started_at = 5.5;
    m.finished_at = 6.25;
    snprintf(m.error_code, sizeof m.error_code, "timeout");
    snprintf(m.error_message, sizeof m.error_message, "über its budget");
    m.result_count = 2;
    snprintf(m.result_type, sizeof m.result_type, "image/webp");
    m.result_width = 1024;
    m.result_height = 768;
    m.result_seeds[0] = 18446744073709551615ULL;
    m.result_seeds[1] = 42;
    CHECK(contract_put(s, &m) == STORE_OK);
    CHECK(m.seq > 0);
    job_meta_init(&got);
    CHECK(s->ops->get(s, m.id, "alice", &got) == STORE_OK);
    CHECK(strcmp(got.id, m.id) == 0 && strcmp(got.task, "edit") == 0);
    CHECK(strcmp(got.owner, "alice") == 0 && strcmp(got.profile, "edit-fast") == 0);
    CHECK(got.status == JOB_QUEUED && got.step == 3 && got.steps == 20);
    CHECK(got.created_at == m.created_at && got.started_at == 5.5 && got.finished_at == 6.25);
    CHECK(got.params_json && strcmp(got.params_json, m.params_json) == 0);
    CHECK(strcmp(got.error_code, "timeout") == 0);
    CHECK(strcmp(got.error_message, "über its budget") == 0);
    CHECK(got.attempt == 2 && got.request_hash == m.request_hash);
    CHECK(strcmp(got.idempotency_key, m.idempotency_key) == 0);
    CHECK(got.input_width == 641 && got.input_height == 479);
    CHECK(got.working_width == 512 && got.working_height == 384);
    CHECK(got.result_count == 2 && strcmp(got.result_type, "image/webp") == 0);
    CHECK(got.result_width == 1024 && got.result_height == 768);
    CHECK(got.result_seeds[0] == 18446744073709551615ULL && got.result_seeds[1] == 42);
    CHECK(got.seq == m.seq && !got.cancel_requested);
    job_meta_clear(&got);
    CHECK(s->ops->get(s, "00000000-0000-4000-8000-999999999999", NULL, &got) == STORE_NOT_FOUND);
    size_t n = 0;
    CHECK(s->ops->count(s, &n) == STORE_OK && n == 1);
    job_meta_clear(&m);
    s->ops->destroy(s);
}

static void contract_status_and_progress(contract *k) {
    job_store *s = contract_store(k, 10, 3600);
    job_meta m, got;
    bool cancel = true;
    contract_meta(k, &m, "");
    CHECK(contract_put(s, &m) == STORE_OK);
    CHECK(s->ops->update_progress(s, m.id, 1, 20, &cancel) == STORE_CONFLICT); /* queued */
    CHECK(contract_start(s, m.id) == STORE_OK);
    CHECK(contract_start(s, m.id) == STORE_CONFLICT); /* compare-and-set: not queued now */
    CHECK(s->ops->update_progress(s, m.id, 7, 25, &cancel) == STORE_OK && !cancel);
    job_meta_init(&got);
    CHECK(s->ops->get(s, m.id, NULL, &got) == STORE_OK);
    CHECK(got.status == JOB_RUNNING && got.step == 7 && got.steps == 25);
    CHECK(got.started_at == 1700000100.5 && got.attempt == 1);
    job_meta_clear(&got);
    CHECK(contract_fail(s, m.id, JOB_RUNNING, 1700000200.0) == STORE_OK);
    CHECK(contract_fail(s, m.id, JOB_RUNNING, 1700000300.0) == STORE_CONFLICT); /* final */
    CHECK(s->ops->update_progress(s, m.id, 8, 25, &cancel) == STORE_CONFLICT);
    CHECK(s->ops->get(s, m.id, NULL, &got) == STORE_OK);
    CHECK(got.status == JOB_FAILED && got.finished_at == 1700000200.0);
    CHECK(strcmp(got.error_code, "internal") == 0);
    CHECK(strcmp(got.error_message, "the engine said \"no\"") == 0);
    CHECK(got.result_count == 0);
    job_meta_clear(&got);
    job_meta_clear(&m);
    s->ops->destroy(s);
}

static void contract_cancel_flag(contract *k) {
    job_store *s = contract_store(k, 10, 3600);
    job_meta m;
    bool cancel = false;
    contract_meta(k, &m, "alice");
    CHECK(contract_put(s, &m) == STORE_OK);
    CHECK(s->ops->request_cancel(s, m.id, "alice") == STORE_CONFLICT); /* queued: not a flag */
    CHECK(contract_start(s, m.id) == STORE_OK);
    CHECK(s->ops->request_cancel(s, m.id, "bob") == STORE_NOT_FOUND);
    CHECK(s->ops->update_progress(s, m.id, 1, 20, &cancel) == STORE_OK && !cancel);
    CHECK(s->ops->request_cancel(s, m.id, "alice") == STORE_OK);
    CHECK(s->ops->request_cancel(s, m.id, NULL) == STORE_OK); /* idempotent, admin */
    CHECK(s->ops->update_progress(s, m.id, 2, 20, &cancel) == STORE_OK && cancel);
    CHECK(s->ops->request_cancel(s, "00000000-0000-4000-8000-999999999999", NULL) ==
          STORE_NOT_FOUND);
    job_meta_clear(&m);
    s->ops->destroy(s);
}

/* Puts n jobs; owners alternate a, b, a, ... (ids in m[i]). */
static void contract_put_many(contract *k, job_store *s, job_meta *m, int n) {
    for (int i = 0; i < n; i++) {
        contract_meta(k, &m[i], i % 2 ? "b" : "a");
        CHECK(contract_put(s, &m[i]) == STORE_OK);
    }
}

static size_t contract_list(job_store *s, const char *owner, int status, uint64_t before,
                            size_t limit, job_meta *out, uint64_t *next) {
    store_query q = {.owner = owner, .status = status, .before_seq = before, .limit = limit};
    size_t n = 99;
    CHECK(s->ops->list(s, &q, out, &n, next) == STORE_OK);
    return n;
}

static void contract_clear_all(job_meta *m, size_t n) {
    for (size_t i = 0; i < n; i++)
        job_meta_clear(&m[i]);
}

static void contract_list_order_and_filters(contract *k) {
    job_store *s = contract_store(k, 100, 3600);
    job_meta m[5], got[8];
    uint64_t next = 1;
    contract_put_many(k, s, m, 5); /* a0 b1 a2 b3 a4 */
    CHECK(contract_start(s, m[1].id) == STORE_OK);
    CHECK(contract_start(s, m[2].id) == STORE_OK);
    size_t n = contract_list(s, NULL, -1, 0, 8, got, &next);
    CHECK(n == 5 && next == 0);
    for (size_t i = 0; i < n; i++)
        CHECK_MSG(strcmp(got[i].id, m[4 - i].id) == 0, "newest first at %zu", i);
    CHECK(got[0].seq > got[1].seq);
    contract_clear_all(got, n);
    n = contract_list(s, "a", -1, 0, 8, got, &next);
    CHECK(n == 3 && strcmp(got[0].id, m[4].id) == 0 && strcmp(got[2].id, m[0].id) == 0);
    contract_clear_all(got, n);
    n = contract_list(s, NULL, JOB_RUNNING, 0, 8, got, &next);
    CHECK(n == 2 && strcmp(got[0].id, m[2].id) == 0 && strcmp(got[1].id, m[1].id) == 0);
    contract_clear_all(got, n);
    n = contract_list(s, "b", JOB_RUNNING, 0, 8, got, &next);
    CHECK(n == 1 && strcmp(got[0].id, m[1].id) == 0 && next == 0);
    contract_clear_all(got, n);
    n = contract_list(s, "nobody", -1, 0, 8, got, &next);
    CHECK(n == 0 && next == 0);
    contract_clear_all(m, 5);
    s->ops->destroy(s);
}

static void contract_paging(contract *k) {
    job_store *s = contract_store(k, 100, 3600);
    job_meta m[5], got[2];
    uint64_t next = 0;
    contract_put_many(k, s, m, 5);
    size_t n = contract_list(s, NULL, -1, 0, 2, got, &next);
    CHECK(n == 2 && strcmp(got[0].id, m[4].id) == 0 && strcmp(got[1].id, m[3].id) == 0);
    CHECK(next == got[1].seq);
    contract_clear_all(got, n);
    n = contract_list(s, NULL, -1, next, 2, got, &next);
    CHECK(n == 2 && strcmp(got[0].id, m[2].id) == 0 && strcmp(got[1].id, m[1].id) == 0);
    contract_clear_all(got, n);
    n = contract_list(s, NULL, -1, next, 2, got, &next);
    CHECK(n == 1 && strcmp(got[0].id, m[0].id) == 0 && next == 0); /* the last page */
    contract_clear_all(got, n);
    n = contract_list(s, "a", -1, 0, 2, got, &next); /* a4 a2 | a0 */
    CHECK(n == 2 && next == got[1].seq);
    contract_clear_all(got, n);
    n = contract_list(s, "a", -1, next, 2, got, &next);
    CHECK(n == 1 && strcmp(got[0].id, m[0].id) == 0 && next == 0);
    contract_clear_all(got, n);
    job_meta all[5];
    n = contract_list(s, NULL, -1, 0, 5, all, &next);
    CHECK(n == 5 && next == 0); /* the page holds exactly all: no next page */
    contract_clear_all(all, n);
    contract_clear_all(m, 5);
    s->ops->destroy(s);
}

static void contract_owner_isolation(contract *k) {
    job_store *s = contract_store(k, 10, 3600);
    job_meta m, got;
    contract_meta(k, &m, "alice");
    CHECK(contract_put(s, &m) == STORE_OK);
    job_meta_init(&got);
    CHECK(s->ops->get(s, m.id, "bob", &got) == STORE_NOT_FOUND);
    CHECK(s->ops->get(s, m.id, NULL, &got) == STORE_OK); /* the admin sees it */
    job_meta_clear(&got);
    CHECK(contract_start(s, m.id) == STORE_OK);
    CHECK(s->ops->request_cancel(s, m.id, "bob") == STORE_NOT_FOUND);
    job_meta list[2];
    uint64_t next;
    CHECK(contract_list(s, "bob", -1, 0, 2, list, &next) == 0);
    CHECK(contract_fail(s, m.id, JOB_RUNNING, 1000.0) == STORE_OK);
    CHECK(s->ops->expire(s, 1000.0 + 3600.0) == 1);
    CHECK(s->ops->get(s, m.id, "bob", &got) == STORE_NOT_FOUND); /* not even its 410 */
    CHECK(s->ops->get(s, m.id, "alice", &got) == STORE_EXPIRED);
    job_meta_clear(&m);
    s->ops->destroy(s);
}

static void contract_idempotency(contract *k) {
    job_store *s = contract_store(k, 10, 3600);
    job_meta a1, a2, b1;
    char first[37] = "", found[37] = "";
    contract_meta(k, &a1, "alice");
    contract_meta(k, &a2, "alice");
    contract_meta(k, &b1, "bob");
    snprintf(a1.idempotency_key, sizeof a1.idempotency_key, "K");
    snprintf(a2.idempotency_key, sizeof a2.idempotency_key, "K");
    snprintf(b1.idempotency_key, sizeof b1.idempotency_key, "K");
    CHECK(s->ops->find_idempotent(s, "alice", "K", found) == STORE_NOT_FOUND);
    CHECK(s->ops->put(s, &a1, NULL, first) == STORE_OK);
    CHECK(s->ops->put(s, &a2, NULL, first) == STORE_EXISTS && strcmp(first, a1.id) == 0);
    CHECK(s->ops->find_idempotent(s, "alice", "K", found) == STORE_OK);
    CHECK(strcmp(found, a1.id) == 0);
    CHECK(s->ops->put(s, &b1, NULL, first) == STORE_OK); /* another owner's key */
    CHECK(s->ops->find_idempotent(s, "bob", "K", found) == STORE_OK);
    CHECK(strcmp(found, b1.id) == 0);
    size_t n = 0;
    CHECK(s->ops->count(s, &n) == STORE_OK && n == 2);
    job_meta got;
    job_meta_init(&got);
    CHECK(s->ops->get(s, a2.id, NULL, &got) == STORE_NOT_FOUND); /* never stored */
    /* once the first job is let go, the key is free again */
    CHECK(contract_fail(s, a1.id, JOB_QUEUED, 1000.0) == STORE_OK);
    CHECK(s->ops->expire(s, 5000.0) == 1);
    CHECK(s->ops->find_idempotent(s, "alice", "K", found) == STORE_NOT_FOUND);
    CHECK(s->ops->put(s, &a2, NULL, first) == STORE_OK);
    CHECK(s->ops->find_idempotent(s, "alice", "K", found) == STORE_OK);
    CHECK(strcmp(found, a2.id) == 0);
    job_meta_clear(&a1);
    job_meta_clear(&a2);
    job_meta_clear(&b1);
    s->ops->destroy(s);
}

static void contract_expiry(contract *k) {
    job_store *s = contract_store(k, 10, 100);
    job_meta m[3], got;
    contract_put_many(k, s, m, 3);
    CHECK(contract_fail(s, m[0].id, JOB_QUEUED, 1000.0) == STORE_OK);
    CHECK(contract_fail(s, m[1].id, JOB_QUEUED, 1050.0) == STORE_OK);
    CHECK(s->ops->expire(s, 1099.0) == 0); /* m[0] has 1 s to go */
    CHECK(s->ops->expire(s, 1100.0) == 1);
    job_meta_init(&got);
    CHECK(s->ops->get(s, m[0].id, NULL, &got) == STORE_EXPIRED);
    CHECK(s->ops->get(s, m[1].id, NULL, &got) == STORE_OK);
    job_meta_clear(&got);
    CHECK(s->ops->expire(s, 1e12) == 1); /* unfinished m[2] stays */
    CHECK(s->ops->get(s, m[1].id, "b", &got) == STORE_EXPIRED);
    CHECK(s->ops->get(s, m[2].id, NULL, &got) == STORE_OK);
    job_meta_clear(&got);
    size_t n = 0;
    CHECK(s->ops->count(s, &n) == STORE_OK && n == 1);
    contract_clear_all(m, 3);
    s->ops->destroy(s);
}

static void contract_cap_eviction(contract *k) {
    job_store *s = contract_store(k, 3, 3600);
    job_meta m[6], got;
    contract_put_many(k, s, m, 3);
    contract_meta(k, &m[3], "a");
    CHECK(contract_put(s, &m[3]) == STORE_FULL); /* nothing finished to let go */
    CHECK(contract_fail(s, m[1].id, JOB_QUEUED, 10.0) == STORE_OK);
    CHECK(contract_fail(s, m[0].id, JOB_QUEUED, 20.0) == STORE_OK);
    CHECK(contract_put(s, &m[3]) == STORE_OK); /* evicts m[1], finished first */
    job_meta_init(&got);
    CHECK(s->ops->get(s, m[1].id, NULL, &got) == STORE_EVICTED);
    CHECK(s->ops->get(s, m[1].id, "a", &got) == STORE_NOT_FOUND); /* m[1] is b's */
    CHECK(s->ops->get(s, m[0].id, NULL, &got) == STORE_OK);
    job_meta_clear(&got);
    contract_meta(k, &m[4], "a");
    CHECK(contract_put(s, &m[4]) == STORE_OK); /* evicts m[0] */
    CHECK(s->ops->get(s, m[0].id, "a", &got) == STORE_EVICTED);
    contract_meta(k, &m[5], "a");
    CHECK(contract_put(s, &m[5]) == STORE_FULL);
    size_t n = 0;
    CHECK(s->ops->count(s, &n) == STORE_OK && n == 3);
    contract_clear_all(m, 6);
    s->ops->destroy(s);
}

static bool contract_blob_is(const store_blob *b, const void *bytes, size_t len) {
    return b->len == len && (len == 0 || memcmp(b->bytes, bytes, len) == 0);
}

static void contract_blobs(contract *k) {
    job_store *s = contract_store(k, 10, 100);
    job_meta m;
    static const uint8_t input[] = {0, 1, 2, 0, 255, 'x', 0};
    static const uint8_t r0[] = {0x89, 'P', 'N', 'G', 0, 0, 7}, r1[] = {0, 0, 0, 1};
    store_blob in = {(uint8_t *)input, sizeof input}, b;
    store_blob results[2] = {{(uint8_t *)r0, sizeof r0}, {(uint8_t *)r1, sizeof r1}};
    uint64_t seeds[2] = {7, 8};
    char first[37];
    contract_meta(k, &m, "a");
    CHECK(s->ops->put(s, &m, &in, first) == STORE_OK);
    CHECK(s->ops->get_input(s, m.id, &b) == STORE_OK && contract_blob_is(&b, input, sizeof input));
    store_blob_free(&b);
    CHECK(s->ops->get_result(s, m.id, 0, &b) == STORE_NOT_FOUND); /* not yet */
    CHECK(contract_start(s, m.id) == STORE_OK);
    job_update u = {.from = JOB_RUNNING,
                    .to = JOB_SUCCEEDED,
                    .at = 1000.0,
                    .result_count = 2,
                    .result_type = "image/png",
                    .result_width = 64,
                    .result_height = 48,
                    .result_seeds = seeds,
                    .results = results};
    CHECK(s->ops->update_status(s, m.id, &u) == STORE_OK);
    CHECK(s->ops->get_input(s, m.id, &b) == STORE_NOT_FOUND); /* dropped once final */
    CHECK(s->ops->get_result(s, m.id, 0, &b) == STORE_OK && contract_blob_is(&b, r0, sizeof r0));
    store_blob_free(&b);
    CHECK(s->ops->get_result(s, m.id, 1, &b) == STORE_OK && contract_blob_is(&b, r1, sizeof r1));
    store_blob_free(&b);
    CHECK(s->ops->get_result(s, m.id, 2, &b) == STORE_NOT_FOUND);
    CHECK(s->ops->get_result(s, m.id, -1, &b) == STORE_NOT_FOUND);
    job_meta got;
    job_meta_init(&got);
    CHECK(s->ops->get(s, m.id, NULL, &got) == STORE_OK);
    CHECK(got.status == JOB_SUCCEEDED && got.result_count == 2);
    CHECK(strcmp(got.result_type, "image/png") == 0 && got.result_width == 64);
    CHECK(got.result_height == 48 && got.result_seeds[0] == 7 && got.result_seeds[1] == 8);
    CHECK(got.error_code[0] == '\0');
    job_meta_clear(&got);
    CHECK(s->ops->expire(s, 1100.0) == 1);
    CHECK(s->ops->get_result(s, m.id, 0, &b) == STORE_NOT_FOUND); /* deleted with its job */
    job_meta_clear(&m);
    s->ops->destroy(s);
}

/* The shared queue (stores with claim_next; the memory store's queue is
 * the job service's own). Lease expiry and reclaim need real time: the
 * backend's own test covers them. */
static job_store *contract_queue_store(contract *k, size_t queue_max) {
    job_store_config c;
    job_store_config_defaults(&c);
    c.cap = 100;
    c.timeout_s = 1.0;
    c.queue_max = queue_max;
    c.lease_s = 60;
    job_store *s = k->make(&c, k->ctx);
    CHECK(s != NULL);
    return s;
}

static void contract_put_input(contract *k, job_store *s, job_meta *m, const char *bytes) {
    char first[37];
    store_blob in = {(uint8_t *)bytes, strlen(bytes)};
    contract_meta(k, m, "a");
    CHECK(s->ops->put(s, m, &in, first) == STORE_OK);
}

static void contract_claim_order(contract *k) {
    job_store *s = contract_queue_store(k, 0);
    job_meta m[3], got;
    store_blob in;
    size_t depth = 99;
    contract_put_input(k, s, &m[0], "first");
    contract_put_input(k, s, &m[1], "second");
    contract_put_input(k, s, &m[2], "third");
    CHECK(s->ops->queue_depth(s, &depth) == STORE_OK && depth == 3);
    CHECK(s->ops->claim_next(s, 1700000200.0, &got, &in) == STORE_OK);
    CHECK(strcmp(got.id, m[0].id) == 0 && got.status == JOB_RUNNING && got.attempt == 1);
    CHECK(got.started_at == 1700000200.0 && contract_blob_is(&in, "first", 5));
    job_meta_clear(&got);
    store_blob_free(&in);
    CHECK(s->ops->queue_depth(s, &depth) == STORE_OK && depth == 2);  /* running is not queued */
    CHECK(contract_fail(s, m[1].id, JOB_QUEUED, 1000.0) == STORE_OK); /* canceled while queued */
    CHECK(s->ops->claim_next(s, 1700000201.0, &got, &in) == STORE_OK);
    CHECK(strcmp(got.id, m[2].id) == 0 && contract_blob_is(&in, "third", 5)); /* m[1] skipped */
    job_meta_clear(&got);
    store_blob_free(&in);
    CHECK(s->ops->claim_next(s, 1700000202.0, &got, &in) == STORE_NOT_FOUND);
    CHECK(s->ops->queue_depth(s, &depth) == STORE_OK && depth == 0);
    contract_clear_all(m, 3);
    s->ops->destroy(s);
}

static void contract_queue_bound(contract *k) {
    job_store *s = contract_queue_store(k, 2);
    job_meta m[4], got;
    store_blob in;
    char first[37];
    contract_put_input(k, s, &m[0], "0");
    contract_put_input(k, s, &m[1], "1");
    contract_meta(k, &m[2], "a");
    CHECK(s->ops->put(s, &m[2], NULL, first) == STORE_QUEUE_FULL);
    job_meta_init(&got);
    CHECK(s->ops->get(s, m[2].id, NULL, &got) == STORE_NOT_FOUND); /* never stored */
    CHECK(s->ops->claim_next(s, 1.0, &got, &in) == STORE_OK);      /* one leaves the queue */
    job_meta_clear(&got);
    store_blob_free(&in);
    CHECK(s->ops->put(s, &m[2], NULL, first) == STORE_OK);
    contract_meta(k, &m[3], "a");
    CHECK(s->ops->put(s, &m[3], NULL, first) == STORE_QUEUE_FULL);
    contract_clear_all(m, 4);
    s->ops->destroy(s);
}

/* A run ends its job only as the attempt it is: a stale run (its job was
 * reclaimed and claimed again) gets CONFLICT. */
static void contract_attempt_guard(contract *k) {
    job_store *s = contract_queue_store(k, 0);
    job_meta m, got;
    store_blob in;
    bool cancel = true;
    contract_put_input(k, s, &m, "x");
    CHECK(s->ops->claim_next(s, 1.0, &got, &in) == STORE_OK && got.attempt == 1);
    job_meta_clear(&got);
    store_blob_free(&in);
    CHECK(s->ops->update_progress(s, m.id, 1, 20, &cancel) == STORE_OK && !cancel);
    job_update u = {.from = JOB_RUNNING, .to = JOB_FAILED, .at = 2.0, .attempt = 2};
    CHECK(s->ops->update_status(s, m.id, &u) == STORE_CONFLICT);
    u.attempt = 1;
    CHECK(s->ops->update_status(s, m.id, &u) == STORE_OK);
    CHECK(s->ops->claim_next(s, 3.0, &got, &in) == STORE_NOT_FOUND); /* acknowledged */
    size_t requeued = 9, failed = 9;
    CHECK(s->ops->reclaim(s, 4.0, &requeued, &failed) == STORE_OK);
    CHECK(requeued == 0 && failed == 0);
    job_meta_clear(&m);
    s->ops->destroy(s);
}

static void contract_queue(contract *k) {
    contract_claim_order(k);
    contract_queue_bound(k);
    contract_attempt_guard(k);
}

static void store_contract_run(contract *k) {
    contract_round_trip(k);
    contract_status_and_progress(k);
    contract_cancel_flag(k);
    contract_list_order_and_filters(k);
    contract_paging(k);
    contract_owner_isolation(k);
    contract_idempotency(k);
    contract_expiry(k);
    contract_cap_eviction(k);
    contract_blobs(k);
    job_store *probe = contract_store(k, 1, 1);
    bool queue = probe && probe->ops->claim_next;
    if (probe) probe->ops->destroy(probe);
    if (queue) contract_queue(k);
}

#endif
