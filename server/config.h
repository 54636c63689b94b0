/* Server configuration: defaults, then I2I_* environment variables, then
 * command-line flags (each flag overrides its variable). */
#ifndef I2I_SERVER_CONFIG_H
#define I2I_SERVER_CONFIG_H

#include <stdint.h>
#include <stdio.h>

typedef struct server_config {
    char host[256];
    int port;
    char bundle_dirs[4096];  /* comma-separated; --bundle may repeat */
    char models_dir[1024];   /* every subdirectory with a manifest.json is a bundle */
    char profiles_dir[1024]; /* "" = ./profiles, else the build's, else built-in */
    int workers;
    int threads_per_worker; /* 0 = cores / workers */
    int queue_max;
    int64_t max_body_bytes;
    int64_t max_pixels;         /* decode limit: largest input width*height */
    int64_t max_working_pixels; /* compute limit: largest size a job runs at */
    int64_t max_output_pixels;  /* largest result (upscale: input x scale^2) */
    int job_ttl_s;
    int job_timeout_max_s; /* 0 = none; caps a job's own `timeout` */
    int wait_max_s;
    char api_keys[4096];     /* comma-separated TOKEN or NAME:TOKEN; empty = no auth */
    char admin_key[256];     /* sees every key's jobs; set = auth on */
    int max_jobs;            /* stored jobs, finished ones evicted oldest first */
    int max_queued_per_key;  /* queued jobs one API key may have; 0 = no own limit */
    char store[512];         /* "memory" or redis://host:port/db */
    char store_prefix[64];   /* Redis: every key starts with it */
    int lease_s;             /* Redis: a running job's lease, renewed every step */
    int max_attempts;        /* Redis: runs of a job whose replica died, then worker_lost */
    char cors_origins[4096]; /* comma-separated; empty = no CORS */
    int drain_timeout_s;
    char access_log[1024];      /* "-" = stdout, "" = off */
    int max_connections;        /* all clients together */
    int max_connections_per_ip; /* one client address */
    int http_threads;           /* the HTTP event loops (epoll), not one per connection */
    int request_deadline_s;     /* most seconds to send one request's headers and body */
    int max_event_streams;      /* open GET /v1/jobs/{id}/events streams, all clients */
    int event_keepalive_s;      /* an idle stream gets a comment line this often */
    char public_url[256];       /* base of the absolute URLs handed out; "" = relative */
    char url_secret[257];       /* HMAC key of signed result URLs; "" = random per process */
    int result_url_ttl_s;       /* lifetime of a signed result URL */
    char webhook_allow[2048];   /* CIDR ranges and `public` */
    char webhook_secret[512];   /* whsec_<base64> or raw; "" = unsigned deliveries */
    int webhook_queue;          /* deliveries waiting */
    int webhook_attempts;       /* per delivery */
    int webhook_timeout_s;      /* per attempt */
    int webhook_backoff_s;      /* first retry; doubles */
} server_config;

typedef enum config_result { CONFIG_OK = 0, CONFIG_EXIT_HELP = 1, CONFIG_ERROR = 2 } config_result;

void config_defaults(server_config *c);
/* Applies the environment and argv; CONFIG_EXIT_HELP after printing --help
 * to `out`; CONFIG_ERROR with a message in err. */
config_result config_load(server_config *c, int argc, char **argv, FILE *out, char *err,
                          size_t errlen);

#endif
