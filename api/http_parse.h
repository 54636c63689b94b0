/* Pure parsers for the HTTP header and query values the service reads.
 * No HTTP-library calls: the server passes the raw header strings in. */
#ifndef I2I_API_HTTP_PARSE_H
#define I2I_API_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum api_media_type {
    API_MEDIA_NONE = 0, /* header absent */
    API_MEDIA_JSON,
    API_MEDIA_MULTIPART,
    API_MEDIA_OTHER
} api_media_type;

/* Classifies a Content-Type; for multipart copies the boundary parameter
 * (empty when missing). */
api_media_type api_parse_content_type(const char *content_type, char *boundary,
                                      size_t boundary_len);

/* "Prefer: wait=N" (RFC 7240; other preferences may surround it). Returns N
 * clamped to max_wait, or -1 when the header asks for no waiting. */
int api_parse_prefer_wait(const char *prefer, int max_wait);

/* True when Accept lists `type` ("image/webp") or its major type's range
 * (image/star) with q > 0; the catch-all range (star/star) counts only with any_type: curl and
 * browsers send it by default, so it must not turn a JSON answer into an
 * image. */
bool api_accepts_media(const char *accept, const char *type, bool any_type);
/* api_accepts_media(accept, "image/png", false). */
bool api_accepts_png(const char *accept);

/* Token of "Authorization: Bearer <token>", or NULL. */
const char *api_bearer_token(const char *authorization);

/* API key lists and who a token is: api_keys.h. */

/* Exact, case-sensitive match of origin against a comma-separated list;
 * "*" in the list allows any origin. */
bool api_origin_allowed(const char *origin_list, const char *origin);

/* A canonical lowercase UUID (8-4-4-4-12 hex). */
bool api_is_job_id(const char *s);

/* Parses a decimal integer in [min, max] with nothing after it. */
bool api_parse_int(const char *s, long long min, long long max, long long *out);
/* Parses a finite double with nothing after it. */
bool api_parse_double(const char *s, double *out);
/* Parses a number written as JSON writes one (RFC 8259: no hex, no hex
 * floats, no inf/nan, no '+', no leading zeros), blanks around it allowed:
 * form fields then accept exactly what a JSON body accepts. */
bool api_parse_json_number(const char *s, double *out);
/* True when s is a JSON integer literal (digits, optional leading '-'). */
bool api_is_json_integer(const char *s);

/* A Content-Length value: decimal digits only. Values beyond UINT64_MAX
 * saturate there, so any huge length still compares as over a limit. */
bool api_parse_content_length(const char *s, uint64_t *out);

/* Decodes %XX escapes of a URL path or query in place and returns the new
 * length. %00 stays as the three characters "%00": a decoded NUL would cut
 * the string short and route /healthz%00junk as /healthz. */
size_t api_url_unescape(char *s);

#endif
