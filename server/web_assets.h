/* The web page's files, embedded at build time (server/web/embed.cmake). */
#ifndef I2I_SERVER_WEB_ASSETS_H
#define I2I_SERVER_WEB_ASSETS_H

#include <stddef.h>

typedef struct web_asset {
    const char *path; /* "/index.html", "/app.js", ... */
    const char *content_type;
    const unsigned char *data;
    size_t len;
} web_asset;

extern const web_asset web_assets[];
extern const size_t web_assets_count;

#endif
