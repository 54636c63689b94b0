/* The URLs the service hands out for a job: absolute when a public base URL
 * is configured (--public-url; behind a proxy the server cannot know its
 * own), relative otherwise; and the short-lived signed result URL
 * (?exp=&sig=) an <img src> can fetch without the bearer token. The
 * signature is HMAC-SHA256 over the job id and the expiry, keyed with the
 * server's secret (--url-secret, else random per process, so signed URLs
 * then die with the process), in unpadded base64url. */
#ifndef I2I_API_RESULT_URL_H
#define I2I_API_RESULT_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RESULT_URL_BASE_MAX 200 /* so a Location header stays within 256 bytes */
#define RESULT_URL_SECRET_MIN 16
#define RESULT_URL_MAX 512 /* room for any URL built here */

typedef struct result_urls {
    char base[RESULT_URL_BASE_MAX + 1]; /* scheme://host[:port][/prefix], no trailing '/' */
    uint8_t secret[256];
    size_t secret_len;
    int ttl_s;
    bool sign; /* auth is on: the job JSON's result.url is signed */
} result_urls;

typedef enum result_sig {
    RESULT_SIG_VALID,
    RESULT_SIG_BAD, /* malformed, or not ours */
    RESULT_SIG_EXPIRED
} result_sig;

/* public_url: "" or http(s)://... without query or fragment; secret: "" (a
 * random one) or at least RESULT_URL_SECRET_MIN bytes. false with a message. */
bool result_urls_init(result_urls *u, const char *public_url, const char *secret, int ttl_s,
                      bool sign, char *err, size_t errlen);

/* base + path ("/v1/jobs/ID"): absolute with a base, else path itself. */
void result_urls_absolute(const result_urls *u, const char *path, char *out, size_t outlen);

/* The URL of result `index` of job `id` (?index= from 1 on): signed
 * (expiring ttl_s after now) when u->sign, else plain. The signature binds
 * the job, not the index: every result of a job is its owner's alike.
 * false only when out of memory. */
bool result_urls_result(const result_urls *u, const char *id, int index, double now, char *out,
                        size_t outlen);

/* Checks the exp and sig query values for job id at `now`. */
result_sig result_urls_verify(const result_urls *u, const char *id, const char *exp,
                              const char *sig, double now);

#endif
