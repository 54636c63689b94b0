/* Where webhooks may go, so the service is no tool for reaching the
 * network behind it (SSRF). The policy is a list of CIDR ranges plus the
 * keyword `public`: an address is allowed when it lies in a listed range,
 * or when `public` is listed and it is a globally routable unicast address
 * (not loopback, private, link-local, CGNAT, multicast, reserved, or an
 * IPv4-mapped form of those). Default: "public". URLs are http(s) with no
 * user info; a host name is checked again on every delivery against every
 * address it resolves to, and the connection is pinned to the checked
 * address. */
#ifndef I2I_SERVER_WEBHOOK_DEST_H
#define I2I_SERVER_WEBHOOK_DEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define WEBHOOK_MAX_RANGES 32
#define WEBHOOK_URL_MAX 2048

typedef struct webhook_range {
    uint8_t addr[16]; /* IPv4 as IPv4-mapped IPv6 */
    int prefix;       /* over the 128 bits */
} webhook_range;

typedef struct webhook_policy {
    bool public_ok;
    webhook_range ranges[WEBHOOK_MAX_RANGES];
    int n_ranges;
} webhook_policy;

bool webhook_policy_parse(const char *spec, webhook_policy *p, char *err, size_t errlen);

typedef struct webhook_url {
    bool https;
    char host[256]; /* without brackets */
    int port;
    bool host_is_literal;
} webhook_url;

bool webhook_url_parse(const char *url, webhook_url *u, char *err, size_t errlen);
bool webhook_addr_allowed(const webhook_policy *p, const struct sockaddr *sa);
/* At submit: the URL's form, and for an IP literal (or "localhost") the
 * address itself. Names are checked at delivery. */
bool webhook_url_acceptable(const webhook_policy *p, const char *url, char *err, size_t errlen);

#endif
