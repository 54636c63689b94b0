/* Helpers shared by the libFuzzer targets (tests/fuzz/fuzz_*.c). */
#ifndef I2I_FUZZ_SUPPORT_H
#define I2I_FUZZ_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated malloc'd copy of data (aborts when out of memory). */
char *fuzz_strndup(const uint8_t *data, size_t size);

/* A private scratch directory for this process, made on the first call and
 * removed at exit (with the files fuzz_write_file put in it). */
const char *fuzz_scratch_dir(void);

/* Writes data to name in the scratch directory, replacing it, and returns
 * the file's full path (static storage, valid until the next call). */
const char *fuzz_write_file(const char *name, const uint8_t *data, size_t size);

/* Puts data in one memfd of this process (rewritten on each call) and
 * returns a path that opens it ("/proc/self/fd/N"). */
const char *fuzz_memfd_path(const uint8_t *data, size_t size);

/* Splits data at the first '\n': *head (NUL-terminated copy, caller frees)
 * and the bytes after it (*rest, *rest_len; empty when there is no '\n'). */
char *fuzz_split_line(const uint8_t *data, size_t size, const uint8_t **rest, size_t *rest_len);

#endif
