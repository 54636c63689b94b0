/* What a job JSON gets from the server's configuration before it is sent:
 * absolute links under --public-url, result.url (signed when auth is on, so
 * an <img src> needs no bearer token), and, for a job that asked for
 * response_format b64_json, the image itself as result.b64_json. Every
 * route that answers with a job JSON passes it through here. */
#ifndef I2I_SERVER_JOB_PRESENT_H
#define I2I_SERVER_JOB_PRESENT_H

#include "app.h"
#include <jansson.h>
#include <stdbool.h>

/* inline_image: add b64_json when the job asked for it (single-job answers;
 * a listing of many jobs gives URLs only). */
void job_present(app *a, json_t *job, bool inline_image);
/* job_present on every element of {"jobs": [...]}, without images. */
void job_present_list(app *a, json_t *list);

#endif
