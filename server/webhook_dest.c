#include "webhook_dest.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void to_mapped(const struct in_addr *a4, uint8_t out[16]) {
    memset(out, 0, 10);
    out[10] = out[11] = 0xff;
    memcpy(out + 12, &a4->s_addr, 4);
}

static bool parse_addr(const char *s, uint8_t out[16], bool *v4) {
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, s, &a4) == 1) {
        to_mapped(&a4, out);
        *v4 = true;
        return true;
    }
    if (inet_pton(AF_INET6, s, &a6) == 1) {
        memcpy(out, a6.s6_addr, 16);
        *v4 = false;
        return true;
    }
    return false;
}

static bool in_range(const uint8_t a[16], const uint8_t net[16], int prefix) {
    int full = prefix / 8, rest = prefix % 8;
    if (memcmp(a, net, (size_t)full) != 0) return false;
    if (!rest) return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[full] & mask) == (net[full] & mask);
}

static bool parse_range(const char *s, webhook_range *r) {
    char buf[64];
    snprintf(buf, sizeof buf, "%s", s);
    char *slash = strchr(buf, '/');
    if (slash) *slash = '\0';
    bool v4 = false;
    if (!parse_addr(buf, r->addr, &v4)) return false;
    int max = v4 ? 32 : 128;
    int prefix = max;
    if (slash) {
        char *end;
        long n = strtol(slash + 1, &end, 10);
        if (!slash[1] || *end || n < 0 || n > max) return false;
        prefix = (int)n;
    }
    r->prefix = v4 ? prefix + 96 : prefix;
    return true;
}

bool webhook_policy_parse(const char *spec, webhook_policy *p, char *err, size_t errlen) {
    memset(p, 0, sizeof *p);
    char buf[2048];
    snprintf(buf, sizeof buf, "%s", spec ? spec : "");
    char *save = NULL;
    for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        if (strcmp(tok, "public") == 0) {
            p->public_ok = true;
        } else if (p->n_ranges >= WEBHOOK_MAX_RANGES) {
            snprintf(err, errlen, "at most %d webhook ranges", WEBHOOK_MAX_RANGES);
            return false;
        } else if (!parse_range(tok, &p->ranges[p->n_ranges++])) {
            snprintf(err, errlen, "'%s' is not `public` or a CIDR range (10.0.0.0/8, ::1/128)",
                     tok);
            return false;
        }
    }
    return true;
}

/* Ranges that are never "public" (RFC 6890 special-purpose registries). */
static const struct {
    const char *net;
    int prefix;
} non_public[] = {
    {"0.0.0.0", 8},      {"10.0.0.0", 8},    {"100.64.0.0", 10},   {"127.0.0.0", 8},
    {"169.254.0.0", 16}, {"172.16.0.0", 12}, {"192.0.0.0", 24},    {"192.0.2.0", 24},
    {"192.168.0.0", 16}, {"198.18.0.0", 15}, {"198.51.100.0", 24}, {"203.0.113.0", 24},
    {"224.0.0.0", 4},    {"240.0.0.0", 4},   {"::", 128},          {"::1", 128},
    {"64:ff9b::", 96},   {"100::", 64},      {"2001:db8::", 32},   {"fc00::", 7},
    {"fe80::", 10},      {"fec0::", 10},     {"ff00::", 8},
};

static bool is_public(const uint8_t a[16]) {
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    bool v4 = memcmp(a, mapped, 12) == 0;
    for (size_t i = 0; i < sizeof non_public / sizeof non_public[0]; i++) {
        uint8_t net[16];
        bool net_v4 = false;
        if (!parse_addr(non_public[i].net, net, &net_v4) || net_v4 != v4) continue;
        if (in_range(a, net, net_v4 ? non_public[i].prefix + 96 : non_public[i].prefix))
            return false;
    }
    /* IPv4-compatible and other ::/96 forms are not reachable hosts */
    static const uint8_t zero[12] = {0};
    return !(memcmp(a, zero, 12) == 0);
}

static bool allowed_bytes(const webhook_policy *p, const uint8_t a[16]) {
    for (int i = 0; i < p->n_ranges; i++)
        if (in_range(a, p->ranges[i].addr, p->ranges[i].prefix)) return true;
    return p->public_ok && is_public(a);
}

bool webhook_addr_allowed(const webhook_policy *p, const struct sockaddr *sa) {
    uint8_t a[16];
    if (sa->sa_family == AF_INET)
        to_mapped(&((const struct sockaddr_in *)(const void *)sa)->sin_addr, a);
    else if (sa->sa_family == AF_INET6)
        memcpy(a, ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr, 16);
    else
        return false;
    return allowed_bytes(p, a);
}

static bool parse_port(const char *s, size_t n, int *port) {
    if (n == 0 || n > 5) return false;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) return false;
        v = v * 10 + (s[i] - '0');
    }
    *port = v;
    return v >= 1 && v <= 65535;
}

/* authority = host [":" port]; host may be "[v6]". No user info. */
static bool parse_authority(const char *a, size_t n, webhook_url *u) {
    const char *end = a + n, *host = a, *host_end, *colon = NULL;
    if (memchr(a, '@', n)) return false;
    if (n && a[0] == '[') {
        host = a + 1;
        host_end = memchr(a, ']', n);
        if (!host_end) return false;
        colon = host_end + 1 < end ? host_end + 1 : NULL;
        if (colon && *colon != ':') return false;
    } else {
        colon = memchr(a, ':', n);
        host_end = colon ? colon : end;
    }
    size_t hlen = (size_t)(host_end - host);
    if (hlen == 0 || hlen >= sizeof u->host) return false;
    memcpy(u->host, host, hlen);
    u->host[hlen] = '\0';
    for (size_t i = 0; i < hlen; i++)
        if (!isalnum((unsigned char)u->host[i]) && !strchr(".-_:", u->host[i])) return false;
    u->port = u->https ? 443 : 80;
    if (colon && !parse_port(colon + 1, (size_t)(end - colon - 1), &u->port)) return false;
    uint8_t bytes[16];
    bool v4 = false;
    u->host_is_literal = parse_addr(u->host, bytes, &v4);
    return u->host_is_literal || a[0] != '[';
}

bool webhook_url_parse(const char *url, webhook_url *u, char *err, size_t errlen) {
    memset(u, 0, sizeof *u);
    size_t n = strlen(url);
    const char *rest = NULL;
    if (n > WEBHOOK_URL_MAX) {
        snprintf(err, errlen, "webhook URL is over %d bytes", WEBHOOK_URL_MAX);
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)url[i] <= ' ' || (unsigned char)url[i] >= 0x7f) {
            snprintf(err, errlen, "webhook URL has a space or control character");
            return false;
        }
    if (strncasecmp(url, "https://", 8) == 0) {
        u->https = true;
        rest = url + 8;
    } else if (strncasecmp(url, "http://", 7) == 0) {
        rest = url + 7;
    }
    size_t alen = rest ? strcspn(rest, "/?#") : 0;
    if (!rest || !parse_authority(rest, alen, u)) {
        snprintf(err, errlen,
                 "webhook must be an http:// or https:// URL with a host "
                 "(no user info)");
        return false;
    }
    return true;
}

bool webhook_url_acceptable(const webhook_policy *p, const char *url, char *err, size_t errlen) {
    webhook_url u;
    if (!webhook_url_parse(url, &u, err, errlen)) return false;
    const char *literal = strcasecmp(u.host, "localhost") == 0 ? "127.0.0.1" : u.host;
    uint8_t a[16];
    bool v4 = false;
    if ((u.host_is_literal || literal != u.host) && parse_addr(literal, a, &v4) &&
        !allowed_bytes(p, a)) {
        snprintf(err, errlen,
                 "webhook destination %s is not allowed (--webhook-allow; private and loopback "
                 "addresses are refused unless listed)",
                 u.host);
        return false;
    }
    return true;
}
