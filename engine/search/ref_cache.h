/* Cache of the searches' reference outputs (the 50-step uniform full-depth
 * edits), so a second search over the same images does not recompute them.
 *
 * One PNG per reference, named by a 64-bit FNV-1a key over everything that
 * determines the output: the bundle (its manifest bytes and the size and
 * mtime of each weight file, so a rewritten bundle misses), the input
 * pixels, the prompt and every edit parameter (seed, guidance scales, steps,
 * depth, γ, sampler, η). A missing or unreadable entry is simply a miss. */
#ifndef I2I_REF_CACHE_H
#define I2I_REF_CACHE_H

#include "i2i_engine.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Fingerprint of a bundle directory. Returns 0 or -1 with a message. */
int ref_cache_bundle_fingerprint(const char *bundle_dir, uint64_t *fp, char *err, size_t errlen);
uint64_t ref_cache_key(uint64_t bundle_fp, const i2i_image *input, const i2i_params *p);
/* Loads the entry into *out (malloc'd pixels); false on a miss or when the
 * entry's size differs from want_w x want_h. */
bool ref_cache_load(const char *dir, uint64_t key, int want_w, int want_h, i2i_image *out);
/* Stores an entry (creating dir if needed; written to a temporary file and
 * renamed, so an interrupted search leaves no half entry). */
int ref_cache_store(const char *dir, uint64_t key, const i2i_image *img, char *err, size_t errlen);

#endif
