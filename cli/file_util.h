/* Whole-file read and crash-safe write for the command-line tools. */
#ifndef I2I_CLI_FILE_UTIL_H
#define I2I_CLI_FILE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reads a file of at most max_bytes into a malloc'd buffer. */
uint8_t *file_read_all(const char *path, size_t max_bytes, size_t *len, char *err, size_t errlen);
/* Writes to path.tmp and renames, so readers never see half a file. */
bool file_write_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen);

#endif
