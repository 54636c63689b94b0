/* Helpers shared by the libFuzzer targets. */
#define _GNU_SOURCE /* memfd_create */
#include "support.h"

#include <sys/mman.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char scratch[64];
static char written[64][128];
static int n_written;

char *fuzz_strndup(const uint8_t *data, size_t size) {
    char *s = malloc(size + 1);
    if (!s) abort();
    if (size) memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

static void remove_scratch(void) {
    char path[256];
    for (int i = 0; i < n_written; i++) {
        snprintf(path, sizeof path, "%s/%s", scratch, written[i]);
        unlink(path);
    }
    rmdir(scratch);
}

const char *fuzz_scratch_dir(void) {
    if (!scratch[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(scratch, sizeof scratch, "%s/i2i-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(scratch)) {
            perror("mkdtemp");
            abort();
        }
        atexit(remove_scratch);
    }
    return scratch;
}

const char *fuzz_write_file(const char *name, const uint8_t *data, size_t size) {
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", fuzz_scratch_dir(), name);
    int known = 0;
    for (int i = 0; i < n_written; i++)
        known |= strcmp(written[i], name) == 0;
    if (!known && n_written < 64) snprintf(written[n_written++], sizeof written[0], "%s", name);
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(path);
        abort();
    }
    return path;
}

char *fuzz_split_line(const uint8_t *data, size_t size, const uint8_t **rest, size_t *rest_len) {
    const uint8_t *nl = size ? memchr(data, '\n', size) : NULL;
    size_t head = nl ? (size_t)(nl - data) : size;
    *rest = nl ? nl + 1 : data + size;
    *rest_len = nl ? size - head - 1 : 0;
    return fuzz_strndup(data, head);
}

const char *fuzz_memfd_path(const uint8_t *data, size_t size) {
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("i2i-fuzz", MFD_CLOEXEC);
        if (fd < 0) {
            perror("memfd_create");
            abort();
        }
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size)) {
        perror("memfd write");
        abort();
    }
    return path;
}
