/* Job routes: thin glue from HTTP to api/ (parsing) and the job service. */
#include "app.h"
#include "api_task.h"
#include "job_request.h"
#include "http_parse.h"
#include "image_codec.h"
#include "image_encode.h"
#include "job_present.h"
#include "webhook_jobs.h"
#include "multipart.h"
#include "param_limits.h"
#include "routes_submit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

static void lookup_error(http_response *resp, lookup_result lr, const char *id) {
    if (lr == LOOKUP_EXPIRED)
        http_response_error(resp, API_ERR_EXPIRED, "job %s has expired", id);
    else if (lr == LOOKUP_EVICTED)
        http_response_error(resp, API_ERR_EVICTED,
                            "job %s was removed to make room for newer jobs (the server keeps at "
                            "most --max-jobs); fetch results sooner",
                            id);
    else if (lr == LOOKUP_UNAVAILABLE) {
        http_response_header(resp, "Retry-After", "1");
        http_response_error(resp, API_ERR_UNAVAILABLE, "the job store did not answer");
    } else
        http_response_error(resp, API_ERR_NOT_FOUND, "no job %s", id);
}

static uint64_t random_seed(void) {
    uuid_t u; /* libuuid's random source, already a dependency */
    uuid_generate_random(u);
    uint64_t s;
    memcpy(&s, u, sizeof s);
    return s;
}

/* The owner filter for lookups: NULL sees every owner's jobs. */
static const char *viewer(const http_request *req) {
    return req->sees_all ? NULL : req->owner;
}

/* Fills req from the body; false with the error response set. */
static bool parse_body(const api_task *t, http_request *req, job_request *er, http_response *resp) {
    char boundary[128];
    api_error e = {0};
    bool ok;
    switch (api_parse_content_type(http_request_header(req, "Content-Type"), boundary,
                                   sizeof boundary)) {
    case API_MEDIA_JSON:
        ok = job_request_from_json(t, (const char *)req->body, req->body_len, er, &e);
        break;
    case API_MEDIA_MULTIPART: {
        multipart_form form;
        if (!multipart_parse(req->body, req->body_len, boundary, &form, e.message,
                             sizeof e.message)) {
            e.code = API_ERR_INVALID_REQUEST;
            ok = false;
            break;
        }
        ok = job_request_from_multipart(t, &form, er, &e);
        multipart_form_free(&form);
        break;
    }
    default:
        http_response_error(resp, API_ERR_UNSUPPORTED_MEDIA_TYPE,
                            "Content-Type must be multipart/form-data or application/json");
        return false;
    }
    if (!ok) http_response_error(resp, e.code, "%s", e.message);
    return ok;
}

/* A codec failure as the client's error. */
static void image_error(http_response *resp, image_codec_status st, const char *err) {
    if (st == IMAGE_ERR_TOO_LARGE)
        http_response_error(resp, API_ERR_IMAGE_TOO_LARGE, "%s", err);
    else if (st == IMAGE_ERR_NOMEM)
        http_response_error(resp, API_ERR_INTERNAL, "%s", err);
    else
        http_response_error(resp, API_ERR_INVALID_IMAGE, "%s", err);
}

/* The result's size (upscale: input x scale) against the output limit. */
static bool check_result_size(app *a, const job_resolved *res, const image_info *info,
                              http_response *resp) {
    char err[256];
    int ow, oh;
    if (!i2i_result_size(res->task->name, info->width, info->height, &res->params, &ow, &oh, err,
                         sizeof err)) {
        http_response_error(resp, API_ERR_OUT_OF_RANGE, "%s", err);
        return false;
    }
    if ((int64_t)ow * oh > a->cfg->max_output_pixels) {
        http_response_error(resp, API_ERR_IMAGE_TOO_LARGE,
                            "the result would be %dx%d, over the server's %lld output pixels", ow,
                            oh, (long long)a->cfg->max_output_pixels);
        return false;
    }
    if (res->result.format == RESULT_WEBP &&
        (ow > IMAGE_ENCODE_WEBP_MAX_SIDE || oh > IMAGE_ENCODE_WEBP_MAX_SIDE)) {
        http_response_error(resp, API_ERR_IMAGE_TOO_LARGE,
                            "the result would be %dx%d; WebP holds at most %d px per side (use "
                            "output_format png or jpeg)",
                            ow, oh, IMAGE_ENCODE_WEBP_MAX_SIDE);
        return false;
    }
    return true;
}

/* From the header alone: the decode limit, the minimum side, and the
 * working size against the compute limit (resolving the bundle's default
 * resolution into res), so nothing is decoded for a job that cannot run. */
static bool check_header(app *a, const job_request *er, job_resolved *res, int *ww, int *wh,
                         http_response *resp) {
    char err[256];
    image_info info;
    image_codec_status st = image_probe(er->image, er->image_len, &info, err, sizeof err);
    if (st == IMAGE_OK && (int64_t)info.width * info.height > a->cfg->max_pixels) {
        snprintf(err, sizeof err, "image is %dx%d, over the server's %lld-pixel limit", info.width,
                 info.height, (long long)a->cfg->max_pixels);
        st = IMAGE_ERR_TOO_LARGE;
    }
    if (st != IMAGE_OK) return image_error(resp, st, err), false;
    if (info.width < I2I_MIN_IMAGE_SIDE || info.height < I2I_MIN_IMAGE_SIDE) {
        http_response_error(resp, API_ERR_INVALID_IMAGE,
                            "image is %dx%d; both sides must be at least %d pixels", info.width,
                            info.height, I2I_MIN_IMAGE_SIDE);
        return false;
    }
    if (!engine_runner_working_size(atomic_load(&a->engine), res->task->name, info.width,
                                    info.height, &res->params, ww, wh, err, sizeof err)) {
        http_response_error(resp, API_ERR_INVALID_IMAGE, "%s", err);
        return false;
    }
    if ((int64_t)*ww * *wh > a->cfg->max_working_pixels) {
        http_response_error(resp, API_ERR_IMAGE_TOO_LARGE,
                            "the job would run at %dx%d, over the server's %lld working pixels",
                            *ww, *wh, (long long)a->cfg->max_working_pixels);
        return false;
    }
    return check_result_size(a, res, &info, resp);
}

/* Decodes the image and resamples it to its working size right away: a
 * queued job then holds at most max_working_pixels of pixels, however large
 * the upload was. res->params.output_width/height get the decoded size. */
static bool decode_image(app *a, const job_request *er, job_resolved *res, int ww, int wh,
                         i2i_image *img, http_response *resp) {
    char err[256];
    i2i_image full = {0};
    image_codec_status st =
        image_decode_rgb(er->image, er->image_len, a->cfg->max_pixels, &full, err, sizeof err);
    if (st != IMAGE_OK) return image_error(resp, st, err), false;
    res->params.output_width = full.width;
    res->params.output_height = full.height;
    if (full.width == ww && full.height == wh) return *img = full, true;
    i2i_status rs = i2i_image_resize(&full, ww, wh, img);
    i2i_image_free(&full);
    if (rs != I2I_OK)
        http_response_error(resp, API_ERR_INTERNAL, "out of memory resampling the image");
    return rs == I2I_OK;
}

/* The answer for a submitted job: the image itself when the job succeeded
 * and Accept names its format (or image/star), else the job JSON (200 once
 * final). */
static void answer_job(app *a, http_request *req, const char *id, http_response *resp) {
    lookup_result lr;
    const char *accept = http_request_header(req, "Accept");
    if (accept) {
        job_status st;
        job_result_copy r;
        job_service_result(a->jobs, id, viewer(req), 0, &st, &r);
        if (r.bytes && api_accepts_media(accept, r.content_type, false)) {
            http_response_bytes(resp, 200, r.content_type, r.bytes, r.len);
            return;
        }
        free(r.bytes);
    }
    json_t *o = job_service_job_json(a->jobs, id, viewer(req), &lr);
    if (!o) {
        lookup_error(resp, lr, id);
        return;
    }
    job_present(a, o, true);
    job_status st = JOB_QUEUED;
    job_status_parse(json_string_value(json_object_get(o, "status")), &st);
    http_response_json(resp, job_status_is_final(st) ? 200 : 202, o);
}

void route_submitted_headers(app *a, const char *id, bool replayed, http_response *resp) {
    char path[64], location[RESULT_URL_MAX];
    snprintf(path, sizeof path, "/v1/jobs/%s", id);
    result_urls_absolute(&a->urls, path, location, sizeof location);
    http_response_header(resp, "Location", location);
    if (replayed) http_response_header(resp, "Idempotent-Replayed", "true");
}

/* Prefer: wait=N waits on the queued job (it never bypasses the queue); the
 * front end parks the connection rather than a thread. */
static void answer_submitted(app *a, http_request *req, const char *id, bool replayed,
                             http_response *resp) {
    route_submitted_headers(a, id, replayed, resp);
    int wait = api_parse_prefer_wait(http_request_header(req, "Prefer"), a->cfg->wait_max_s);
    if (wait <= 0) { /* 202 whatever its state, as a plain submission */
        lookup_result lr;
        json_t *o = job_service_job_json(a->jobs, id, viewer(req), &lr);
        if (!o) return lookup_error(resp, lr, id);
        job_present(a, o, true);
        http_response_json(resp, 202, o);
        return;
    }
    char applied[32];
    snprintf(applied, sizeof applied, "wait=%d", wait);
    http_response_header(resp, "Preference-Applied", applied);
    resp->defer.then = answer_job;
    snprintf(resp->defer.job_id, sizeof resp->defer.job_id, "%s", id);
    resp->defer.wait_s = wait;
}

static void submit(app *a, http_request *req, job_request *er, const job_resolved *res,
                   i2i_image *img, uint64_t hash, job_submitted_fn answer, http_response *resp) {
    char id[37] = "";
    int retry_after = 1;
    const char *key = http_request_header(req, "Idempotency-Key");
    if (key && (strlen(key) == 0 || strlen(key) > 255)) {
        http_response_error(resp, API_ERR_INVALID_REQUEST,
                            "Idempotency-Key must be 1 to 255 characters");
        return;
    }
    submit_result sr =
        job_service_submit(a->jobs, er, res, img, req->owner, key, hash, id, &retry_after);
    char ra[16];
    switch (sr) {
    case SUBMIT_CREATED:
    case SUBMIT_REPLAYED:
        snprintf(req->job_id, sizeof req->job_id, "%s", id);
        answer(a, req, id, sr == SUBMIT_REPLAYED, resp);
        return;
    case SUBMIT_QUEUE_FULL:
        snprintf(ra, sizeof ra, "%d", retry_after);
        http_response_header(resp, "Retry-After", ra);
        http_response_error(resp, API_ERR_QUEUE_FULL, "the job queue is full (%d jobs)",
                            a->cfg->queue_max);
        return;
    case SUBMIT_QUOTA_EXCEEDED:
        snprintf(ra, sizeof ra, "%d", retry_after);
        http_response_header(resp, "Retry-After", ra);
        http_response_error(resp, API_ERR_QUOTA_EXCEEDED,
                            "this API key already has %d queued jobs, its most; retry when one "
                            "has started",
                            a->cfg->max_queued_per_key);
        return;
    case SUBMIT_DRAINING:
        http_response_header(resp, "Retry-After", "5");
        http_response_error(resp, API_ERR_UNAVAILABLE, "the server is shutting down");
        return;
    case SUBMIT_IDEMPOTENCY_CONFLICT:
        http_response_error(resp, API_ERR_IDEMPOTENCY_CONFLICT,
                            "Idempotency-Key was already used with a different request");
        return;
    case SUBMIT_STORE_UNAVAILABLE:
        http_response_header(resp, "Retry-After", "1");
        http_response_error(resp, API_ERR_UNAVAILABLE, "the job store did not answer");
        return;
    default:
        http_response_error(resp, API_ERR_INTERNAL, "out of memory");
    }
}

bool route_task_accepts(app *a, const api_task *t, http_response *resp) {
    const int state = atomic_load(&a->state);
    if (state == APP_DRAINING) {
        metrics_job_rejected(a->metrics, t->name, "draining");
        http_response_header(resp, "Retry-After", "5");
        http_response_error(resp, API_ERR_UNAVAILABLE, "the server is shutting down");
        return false;
    }
    if (state == APP_LOADING || state == APP_FAILED) {
        /* jobs queued now would wait on a load that may still fail */
        http_response_header(resp, "Retry-After", "5");
        http_response_error(resp, API_ERR_UNAVAILABLE, "%s",
                            state == APP_LOADING ? "loading the model bundles"
                                                 : "the model bundles failed to load");
        return false;
    }
    if (atomic_load(&a->state) == APP_READY && !app_serves_task(a, t->name)) {
        http_response_error(resp, API_ERR_TASK_UNAVAILABLE,
                            "this server has no %s bundle (see /readyz for the tasks it serves)",
                            t->name);
        return false;
    }
    return true;
}

void route_submit(app *a, http_request *req, const char *id, http_response *resp) {
    (void)id;
    const api_task *t = api_task_by_route(req->path);
    if (!t) {
        http_response_error(resp, API_ERR_NOT_FOUND, "no such route");
        return;
    }
    if (!route_task_accepts(a, t, resp)) return;
    job_request er;
    job_request_init(&er);
    if (parse_body(t, req, &er, resp)) route_submit_request(a, req, t, &er, answer_submitted, resp);
    job_request_free(&er);
}

void route_submit_request(app *a, http_request *req, const api_task *t, job_request *er,
                          job_submitted_fn answer, http_response *resp) {
    job_resolved res;
    api_error e = {0};
    i2i_image img = {0};
    if (!job_request_resolve(t, er, atomic_load(&a->profiles), random_seed(), &res, &e)) {
        http_response_error(resp, e.code, "%s", e.message);
        return;
    }
    char werr[300];
    if (res.webhook &&
        !webhook_url_acceptable(webhook_jobs_policy(a->webhooks), res.webhook, werr, sizeof werr)) {
        http_response_error(resp, API_ERR_WEBHOOK_NOT_ALLOWED, "%s", werr);
        return;
    }
    const double cap = a->cfg->job_timeout_max_s;
    if (cap > 0 && (res.timeout_s <= 0 || res.timeout_s > cap)) res.timeout_s = cap;
    int ww, wh;
    if (!check_header(a, er, &res, &ww, &wh, resp) ||
        !decode_image(a, er, &res, ww, wh, &img, resp))
        return;
    uint64_t hash = job_request_hash(t, er);
    job_request_drop_image(er); /* the decoded pixels are all the job needs */
    submit(a, req, er, &res, &img, hash, answer, resp);
    free(img.rgb);
}

void route_job_get(app *a, http_request *req, const char *id, http_response *resp) {
    lookup_result lr;
    snprintf(req->job_id, sizeof req->job_id, "%s", id);
    json_t *o = job_service_job_json(a->jobs, id, viewer(req), &lr);
    if (!o) return lookup_error(resp, lr, id);
    job_present(a, o, true);
    http_response_json(resp, 200, o);
}

/* The stored result, when Accept allows its format (absent, or naming it,
 * image/star or star/star); it is encoded once, so nothing else is on offer. */
static void send_result(http_request *req, job_result_copy *r, http_response *resp) {
    const char *accept = http_request_header(req, "Accept");
    if (accept && !api_accepts_media(accept, r->content_type, true)) {
        http_response_error(resp, API_ERR_NOT_ACCEPTABLE,
                            "the result is %s (its job's output_format); Accept does not "
                            "allow it",
                            r->content_type);
        free(r->bytes);
        return;
    }
    http_response_bytes(resp, 200, r->content_type, r->bytes, r->len);
}

/* The stream itself is the front end's (http_server.c, event_streams.c);
 * this checks the job is the caller's and where to resume. */
void route_job_events(app *a, http_request *req, const char *id, http_response *resp) {
    lookup_result lr;
    snprintf(req->job_id, sizeof req->job_id, "%s", id);
    json_t *o = job_service_job_json(a->jobs, id, viewer(req), &lr);
    if (!o) {
        lookup_error(resp, lr, id);
        return;
    }
    json_decref(o);
    const char *last = http_request_header(req, "Last-Event-ID");
    if (!last) last = http_request_query(req, "last_event_id");
    long long n = 0;
    if (last && !api_parse_int(last, 0, 1000000, &n)) {
        http_response_error(resp, API_ERR_INVALID_REQUEST,
                            "Last-Event-ID must be an event id from this stream (an integer)");
        return;
    }
    resp->status = 200;
    resp->content_type = "text/event-stream";
    http_response_header(resp, "X-Accel-Buffering", "no"); /* nginx: pass events through */
    snprintf(resp->stream_job_id, sizeof resp->stream_job_id, "%s", id);
    resp->stream_last_id = (long)n;
}

/* ?index=N: which of the job's images (num_images_per_prompt); 0 without. */
static bool result_index(http_request *req, int *index, http_response *resp) {
    const char *s = http_request_query(req, "index");
    long long n = 0;
    if (s && !api_parse_int(s, 0, API_NUM_IMAGES_MAX - 1, &n)) {
        http_response_error(resp, API_ERR_INVALID_PARAMETER,
                            "index must be an integer in [0, %d]: which of the job's images",
                            API_NUM_IMAGES_MAX - 1);
        return false;
    }
    *index = (int)n;
    return true;
}

void route_job_result(app *a, http_request *req, const char *id, http_response *resp) {
    job_status st = JOB_QUEUED;
    job_result_copy r;
    int index;
    snprintf(req->job_id, sizeof req->job_id, "%s", id);
    if (!result_index(req, &index, resp)) return;
    lookup_result lr = job_service_result(a->jobs, id, viewer(req), index, &st, &r);
    if (lr != LOOKUP_FOUND)
        lookup_error(resp, lr, id);
    else if (r.bytes)
        send_result(req, &r, resp);
    else if (st == JOB_SUCCEEDED && index >= r.count)
        http_response_error(resp, API_ERR_NOT_FOUND, "job %s has %d image%s; index %d is not one",
                            id, r.count, r.count == 1 ? "" : "s", index);
    else if (!job_status_is_final(st))
        http_response_error(resp, API_ERR_NOT_FINISHED, "job %s is %s; poll /v1/jobs/%s", id,
                            job_status_name(st), id);
    else if (st == JOB_SUCCEEDED)
        http_response_error(resp, API_ERR_INTERNAL, "out of memory copying the result");
    else
        http_response_error(resp, API_ERR_NO_RESULT, "job %s is %s and has no result", id,
                            job_status_name(st));
}

void route_job_cancel(app *a, http_request *req, const char *id, http_response *resp) {
    lookup_result lr;
    bool was_running;
    snprintf(req->job_id, sizeof req->job_id, "%s", id);
    json_t *o = job_service_cancel(a->jobs, id, viewer(req), &lr, &was_running);
    if (!o) return lookup_error(resp, lr, id);
    job_present(a, o, true);
    /* 202: a running job stops at its next denoising step */
    http_response_json(resp, was_running ? 202 : 200, o);
}

void route_jobs_list(app *a, http_request *req, const char *id, http_response *resp) {
    (void)id;
    int filter = -1;
    const char *status = http_request_query(req, "status");
    if (status) {
        job_status st;
        if (!job_status_parse(status, &st)) {
            http_response_error(resp, API_ERR_INVALID_PARAMETER,
                                "status must be queued, running, succeeded, failed or canceled");
            return;
        }
        filter = (int)st;
    }
    long long limit = 20;
    const char *lim = http_request_query(req, "limit");
    if (lim && !api_parse_int(lim, 1, 1000, &limit)) {
        http_response_error(resp, API_ERR_INVALID_PARAMETER,
                            "limit must be an integer in [1, 1000]");
        return;
    }
    json_t *list = job_service_list(a->jobs, viewer(req), filter, (size_t)limit);
    if (list) job_present_list(a, list);
    http_response_json(resp, 200, list);
}
