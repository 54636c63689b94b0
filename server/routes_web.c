/* GET / and /static/<file>: the page (server/web, embedded in the binary).
 * It needs no authentication itself; it asks for the API key and sends it
 * with its own API calls. The Content-Security-Policy allows scripts,
 * styles and connections to this origin only (images also from blob: for
 * the results it fetches with the key). */
#include "app.h"
#include "web_assets.h"

#include <stdlib.h>
#include <string.h>

#define PAGE_CSP                                                                                   \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "        \
    "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"

static const web_asset *find_asset(const char *path) {
    const char *name = strcmp(path, "/") == 0              ? "/index.html"
                       : strncmp(path, "/static/", 8) == 0 ? path + strlen("/static")
                                                           : NULL;
    if (!name) return NULL;
    for (size_t i = 0; i < web_assets_count; i++)
        if (strcmp(web_assets[i].path, name) == 0) return &web_assets[i];
    return NULL;
}

void route_web(app *a, http_request *req, const char *id, http_response *resp) {
    (void)a;
    (void)id;
    const web_asset *f = find_asset(req->path);
    if (!f) {
        http_response_error(resp, API_ERR_NOT_FOUND, "no such file");
        return;
    }
    uint8_t *body = malloc(f->len);
    if (!body) {
        http_response_error(resp, API_ERR_INTERNAL, "out of memory");
        return;
    }
    memcpy(body, f->data, f->len);
    http_response_bytes(resp, 200, f->content_type, body, f->len);
    http_response_header(resp, "Content-Security-Policy", PAGE_CSP);
    http_response_header(resp, "X-Content-Type-Options", "nosniff");
    http_response_header(resp, "Referrer-Policy", "no-referrer");
}
