/* Large weight buffers in their own mappings; see big_buffer.h. */
#include "big_buffer.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define BIG_MIN ((size_t)1 << 20) /* below 1 MiB a mapping's overhead is not worth it */
#define HEADER 64                 /* keeps the data 64-byte aligned */
#define KIND_HEAP 0
#define KIND_MAP 1

typedef struct header {
    size_t total; /* bytes mapped or allocated, header included */
    int kind;
} header;

void *big_buffer_alloc(size_t nbytes) {
    const size_t total = nbytes + HEADER;
    if (total < nbytes) return NULL;
    header *h;
    if (total >= BIG_MIN) {
        void *m = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) return NULL;
        h = m;
        h->kind = KIND_MAP;
    } else {
        void *p = NULL;
        if (posix_memalign(&p, HEADER, total)) return NULL;
        h = p;
        h->kind = KIND_HEAP;
    }
    h->total = total;
    return (unsigned char *)h + HEADER;
}

void big_buffer_free(void *p) {
    if (!p) return;
    header *h = (header *)((unsigned char *)p - HEADER);
    if (h->kind == KIND_MAP)
        munmap(h, h->total);
    else
        free(h);
}
