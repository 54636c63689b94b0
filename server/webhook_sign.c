#include "webhook_sign.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool decode_base64(const char *in, webhook_key *key) {
    size_t n = strlen(in);
    if (n == 0 || n % 4 != 0 || n / 4 * 3 > WEBHOOK_KEY_MAX) return false;
    int len = EVP_DecodeBlock(key->bytes, (const unsigned char *)in, (int)n);
    if (len < 0) return false;
    /* EVP_DecodeBlock counts the padding as zero bytes */
    len -= (in[n - 1] == '=') + (in[n - 2] == '=');
    key->len = (size_t)len;
    return len > 0;
}

bool webhook_key_from_secret(const char *secret, webhook_key *key) {
    memset(key, 0, sizeof *key);
    if (!secret || !*secret) return false;
    if (strncmp(secret, "whsec_", 6) == 0) return decode_base64(secret + 6, key);
    size_t n = strlen(secret);
    if (n > WEBHOOK_KEY_MAX) return false;
    memcpy(key->bytes, secret, n);
    key->len = n;
    return true;
}

bool webhook_sign(const webhook_key *key, const char *msg_id, long long timestamp, const char *body,
                  size_t body_len, char out[WEBHOOK_SIGNATURE_MAX]) {
    char prefix[160];
    int plen = snprintf(prefix, sizeof prefix, "%s.%lld.", msg_id, timestamp);
    if (plen < 0 || (size_t)plen >= sizeof prefix) return false;
    unsigned char *msg = malloc((size_t)plen + body_len);
    if (!msg) return false;
    memcpy(msg, prefix, (size_t)plen);
    memcpy(msg + plen, body, body_len);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    /* the one-shot HMAC(): OpenSSL 3 deprecates only the HMAC_CTX calls */
    bool ok = HMAC(EVP_sha256(), key->bytes, (int)key->len, msg, (size_t)plen + body_len, mac,
                   &mac_len) != NULL;
    free(msg);
    if (!ok || mac_len != 32) return false;
    memcpy(out, "v1,", 3);
    EVP_EncodeBlock((unsigned char *)out + 3, mac, (int)mac_len);
    return true;
}
