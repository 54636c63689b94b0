/* The service's task table: what each job route accepts and reports. The
 * router, job service, job JSON, metrics labels, /v1/profiles and readiness
 * all go through it. A new task is its own api/task_<name>.c (a const
 * api_task) plus one line in api/api_task.c; the engine side is its
 * pipeline (engine/pipeline/pipeline.h). */
#ifndef I2I_API_TASK_H
#define I2I_API_TASK_H

#include "api_error.h"
#include "i2i_engine.h"
#include "job_request.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define API_MAX_TASKS 8

struct api_task {
    const char *name;  /* the engine task, the profiles' "task" and the metrics label */
    const char *route; /* "/v1/edit" */
    unsigned fields;   /* REQ_* bits the route accepts */
    unsigned required; /* REQ_* bits it needs */
    /* The task's own request fields onto the resolved parameters. */
    void (*apply)(const job_request *r, i2i_params *p);
    /* Cross-field checks after resolution (NULL: none); false with e set. */
    bool (*check)(const i2i_params *p, api_error *e);
    /* Adds the task's own keys to the parameters JSON. */
    void (*params_json)(const i2i_params *p, json_t *o);
};

size_t api_task_count(void);
const api_task *api_task_at(size_t i); /* NULL past the end */
const api_task *api_task_find(const char *name);
const api_task *api_task_by_route(const char *path);
/* Index of t in the table (stable for the process: metrics labels). */
int api_task_index(const api_task *t);

#endif
