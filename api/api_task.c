/* The task table (see api_task.h). */
#include "api_task.h"

#include <string.h>

extern const api_task api_task_edit;
extern const api_task api_task_control;
extern const api_task api_task_upscale;

/* One line per task; the order is the metrics label order. */
static const api_task *const TASKS[] = {&api_task_edit, &api_task_control, &api_task_upscale};
#define N_TASKS (sizeof TASKS / sizeof TASKS[0])
_Static_assert(N_TASKS <= API_MAX_TASKS, "raise API_MAX_TASKS");

size_t api_task_count(void) {
    return N_TASKS;
}

const api_task *api_task_at(size_t i) {
    return i < N_TASKS ? TASKS[i] : NULL;
}

const api_task *api_task_find(const char *name) {
    for (size_t i = 0; name && i < N_TASKS; i++)
        if (!strcmp(TASKS[i]->name, name)) return TASKS[i];
    return NULL;
}

const api_task *api_task_by_route(const char *path) {
    for (size_t i = 0; path && i < N_TASKS; i++)
        if (!strcmp(TASKS[i]->route, path)) return TASKS[i];
    return NULL;
}

int api_task_index(const api_task *t) {
    for (size_t i = 0; i < N_TASKS; i++)
        if (TASKS[i] == t) return (int)i;
    return -1;
}
