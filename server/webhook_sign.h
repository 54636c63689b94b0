/* Webhook signatures as the Standard Webhooks spec defines them: the
 * secret is "whsec_" + base64 key bytes (any other string is used as the
 * key bytes themselves), and the signature header value is
 * "v1," + base64(HMAC-SHA256(key, "<msg id>.<unix seconds>.<body>")). */
#ifndef I2I_SERVER_WEBHOOK_SIGN_H
#define I2I_SERVER_WEBHOOK_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEBHOOK_KEY_MAX 256
#define WEBHOOK_SIGNATURE_MAX 64 /* "v1," + 44 base64 chars + NUL */

typedef struct webhook_key {
    uint8_t bytes[WEBHOOK_KEY_MAX];
    size_t len;
} webhook_key;

/* False for an empty secret, a bad whsec_ payload or one over the limit. */
bool webhook_key_from_secret(const char *secret, webhook_key *key);
bool webhook_sign(const webhook_key *key, const char *msg_id, long long timestamp, const char *body,
                  size_t body_len, char out[WEBHOOK_SIGNATURE_MAX]);

#endif
