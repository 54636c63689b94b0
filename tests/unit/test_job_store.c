/* The job store contract against the in-memory store. */
#include "store_contract.h"

static job_store *make_mem(const job_store_config *c, void *ctx) {
    (void)ctx;
    return job_store_mem_create(c);
}

int main(void) {
    contract k = {.make = make_mem};
    store_contract_run(&k);
    job_store_config c;
    job_store_config_defaults(&c);
    char err[200] = "";
    CHECK(job_store_open("nonsense://x", &c, err, sizeof err) == NULL && err[0]);
    job_store *s = job_store_open("memory", &c, err, sizeof err);
    CHECK(s != NULL);
    if (s) s->ops->destroy(s);
    return CHECK_DONE();
}
