/* API keys and who a bearer token is. --api-keys is a comma-separated list
 * of entries, each a bare TOKEN or NAME:TOKEN (NAME: 1..63 of A-Z a-z 0-9
 * . _ -; an entry whose part before ':' is not such a name is one bare
 * token, as before names existed). Jobs belong to the key that created
 * them: to its NAME, else to "key#N" (its place in the list, from 1). The
 * admin key (--admin-key) is the identity "#admin" and sees every job. */
#ifndef I2I_API_API_KEYS_H
#define I2I_API_API_KEYS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct api_identity {
    char owner[64];
    bool admin;
} api_identity;

/* Whether token is one of the keys or the admin key, filling who. Every
 * key is compared whatever matched, in time independent of how much of a
 * key was right. */
bool api_key_identify(const char *key_list, const char *admin_key, const char *token,
                      api_identity *who);

/* Membership of token in a key list (api_key_identify without the admin). */
bool api_key_allowed(const char *key_list, const char *token);

#endif
