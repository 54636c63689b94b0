/* Weight store on top of the safetensors reader.
 *
 * F32 tensors wrap the read-only mapping without copying. The mapping must
 * outlive every tensor that points into it -- including views the shim may
 * have made of a weight -- so each file is reference-counted: the store holds
 * one reference and every zero-copy tensor storage holds one, dropped by the
 * shim's release callback. Other float types are converted once at load.
 * Lookups go through an open-addressing hash table because model code looks
 * weights up by name on every forward. */
#include "weights.h"

#include "big_buffer.h"
#include "safetensors.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef struct wfile {
    st_file *st;
    atomic_int refs;
} wfile;

typedef struct wentry {
    const st_entry *se; /* name, dtype and shape; lives in file->st */
    ts_tensor *t;       /* detached; NULL for dtypes the store does not load */
    int file;           /* index into weights.files; MEMORY_FILE for weights_add_tensor */
} wentry;

struct weights {
    wfile **files;
    int nfiles;
    wentry *entries; /* insertion order: files in order, names sorted within a file */
    int n;
    int *slots; /* hash table of entry indices, -1 = empty; size is a power of two */
    size_t nslots;
};

/* wentry.file of a tensor added in memory; its st_entry is then owned by the store. */
#define MEMORY_FILE (-1)

/* ---- file references ---- */

static void wfile_unref(void *ctx) {
    wfile *f = ctx;
    if (atomic_fetch_sub(&f->refs, 1) == 1) {
        st_close(f->st);
        free(f);
    }
}

/* One zero-copy tensor's hold on its file: the range it maps. */
typedef struct wview {
    wfile *file;
    const void *data;
    size_t nbytes;
} wview;

/* The last reference to a mapped tensor went away while the store is still
 * open: its kernel form replaced it (a packed conv weight, a bf16 copy).
 * Its pages are dropped from the process (MADV_DONTNEED on a read-only
 * private file mapping: a later read would fault the file's bytes back), so
 * only the kernel form stays resident. Pages shared with a neighbouring
 * tensor are kept. */
static void wview_release(void *ctx) {
    wview *v = ctx;
    const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t lo = ((uintptr_t)v->data + page - 1) & ~(page - 1);
    uintptr_t hi = ((uintptr_t)v->data + v->nbytes) & ~(page - 1);
    if (hi > lo) madvise((void *)lo, hi - lo, MADV_DONTNEED);
    wfile_unref(v->file);
    free(v);
}

/* ---- hash table ---- */

static uint64_t hash_name(const char *s) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static int find_index(const weights *w, const char *name) {
    if (!w || !name || w->nslots == 0) return -1;
    size_t mask = w->nslots - 1;
    for (size_t i = hash_name(name) & mask;; i = (i + 1) & mask) {
        int k = w->slots[i];
        if (k < 0) return -1;
        if (strcmp(w->entries[k].se->name, name) == 0) return k;
    }
}

/* Rebuilds the table for all entries at load factor <= 1/2. */
static bool rehash(weights *w) {
    size_t size = 16;
    while (size < 2 * (size_t)w->n)
        size *= 2;
    int *slots = malloc(size * sizeof *slots);
    if (!slots) return false;
    for (size_t i = 0; i < size; i++)
        slots[i] = -1;
    for (int k = 0; k < w->n; k++) {
        size_t i = hash_name(w->entries[k].se->name) & (size - 1);
        while (slots[i] >= 0)
            i = (i + 1) & (size - 1);
        slots[i] = k;
    }
    free(w->slots);
    w->slots = slots;
    w->nslots = size;
    return true;
}

/* ---- tensor creation ---- */

static bool aligned_for(const void *p, size_t align) {
    return ((uintptr_t)p % align) == 0;
}

/* Float data that is not the mapping itself (converted or realigned) is
 * owned by the tensor and freed with it; it lives in a big_buffer so that a
 * conv weight replaced by its packed form at binding is really given back. */
static ts_tensor *wrap_owned(float *buf, const st_entry *e) {
    /* On failure buf is not freed here: the shim may already have run the
     * release callback, and a leak beats a double free (see make_f32). */
    return ts_wrap_floats(buf, e->shape, e->ndim, big_buffer_free, buf);
}

static ts_tensor *make_f32(const st_entry *e, wfile *f) {
    if (!aligned_for(e->data, sizeof(float))) { /* legal in the format, rare in practice */
        float *buf = big_buffer_alloc(e->nbytes);
        if (!buf) return NULL;
        memcpy(buf, e->data, e->nbytes);
        return wrap_owned(buf, e);
    }
    wview *v = malloc(sizeof *v);
    if (!v) return NULL;
    *v = (wview){.file = f, .data = e->data, .nbytes = e->nbytes};
    atomic_fetch_add(&f->refs, 1);
    /* On failure the reference is deliberately not dropped: whether the shim
     * already ran the release callback is unknown, and leaking one mapping
     * is better than unmapping it under a live tensor. */
    return ts_wrap_floats((float *)e->data, e->shape, e->ndim, wview_release, v);
}

static ts_tensor *make_f64(const st_entry *e) {
    float *buf = big_buffer_alloc((size_t)e->numel * sizeof(float));
    if (!buf) return NULL;
    const unsigned char *src = e->data;
    for (int64_t i = 0; i < e->numel; i++) {
        double d;
        memcpy(&d, src + 8 * i, sizeof d); /* the mapping need not be 8-aligned */
        buf[i] = (float)d;
    }
    return wrap_owned(buf, e);
}

static ts_tensor *make_half(const st_entry *e) {
    const void *src = e->data; /* not cast to uint16_t* until known aligned */
    uint16_t *copy = NULL;
    if (!aligned_for(src, sizeof(uint16_t))) {
        copy = malloc(e->nbytes ? e->nbytes : 1);
        if (!copy) return NULL;
        memcpy(copy, e->data, e->nbytes);
        src = copy;
    }
    /* The shim converts into a heap temporary, copied into a big_buffer
     * (see wrap_owned) and freed at once, so the temporaries reuse one hole. */
    ts_tensor *t = e->dtype == ST_F16 ? ts_from_f16(src, e->shape, e->ndim)
                                      : ts_from_bf16(src, e->shape, e->ndim);
    free(copy);
    float *buf = t ? big_buffer_alloc((size_t)e->numel * sizeof(float)) : NULL;
    if (!buf || !ts_to_floats(t, buf, e->numel)) {
        big_buffer_free(buf);
        return NULL;
    }
    return wrap_owned(buf, e);
}

static bool loadable(st_dtype d) {
    return d == ST_F32 || d == ST_F16 || d == ST_BF16 || d == ST_F64;
}

/* Detached tensor for e, or NULL (reason in ts_last_error or out of memory). */
static ts_tensor *make_tensor(const st_entry *e, wfile *f) {
    ts_scope s = ts_scope_begin();
    ts_tensor *t = NULL;
    switch (e->dtype) {
    case ST_F32:
        t = make_f32(e, f);
        break;
    case ST_F64:
        t = make_f64(e);
        break;
    case ST_F16:
    case ST_BF16:
        t = make_half(e);
        break;
    default:
        break;
    }
    ts_tensor *kept = ts_detach(t);
    ts_scope_end(s); /* frees the scoped handle; the detached one keeps the storage */
    return kept;
}

/* ---- loading ---- */

static void fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static const char *origin_of(const weights *w, int k) {
    int f = w->entries[k].file;
    return f == MEMORY_FILE ? "memory" : st_path(w->files[f]->st);
}

static bool check_no_duplicates(const weights *w, const st_file *st, char *err, size_t errlen) {
    for (int i = 0; i < st_count(st); i++) {
        const char *name = st_entry_at(st, i)->name;
        int k = find_index(w, name);
        if (k >= 0) {
            fail(err, errlen, "%s: tensor '%s' is already loaded from %s", st_path(st), name,
                 origin_of(w, k));
            return false;
        }
    }
    return true;
}

static void free_tensors(wentry *e, int n) {
    for (int i = 0; i < n; i++)
        ts_free(e[i].t);
}

/* Creates the tensors of file index fi into w->entries[w->n ...]; all or nothing. */
static bool load_entries(weights *w, int fi, char *err, size_t errlen) {
    wfile *f = w->files[fi];
    int n = st_count(f->st);
    wentry *grown = realloc(w->entries, ((size_t)w->n + (size_t)n + 1) * sizeof *grown);
    if (!grown) {
        fail(err, errlen, "%s: out of memory", st_path(f->st));
        return false;
    }
    w->entries = grown;
    wentry *dst = w->entries + w->n;
    for (int i = 0; i < n; i++) {
        const st_entry *e = st_entry_at(f->st, i);
        dst[i] = (wentry){.se = e, .t = NULL, .file = fi};
        if (!loadable(e->dtype)) continue; /* e.g. int64 position_ids: refused only if asked for */
        dst[i].t = make_tensor(e, f);
        if (!dst[i].t) {
            fail(err, errlen, "%s: cannot load tensor '%s': %s", st_path(f->st), e->name,
                 ts_failed() ? ts_last_error() : "out of memory");
            free_tensors(dst, i);
            return false;
        }
    }
    int old_n = w->n;
    w->n += n;
    if (!rehash(w)) {
        free_tensors(dst, n);
        w->n = old_n;
        fail(err, errlen, "%s: out of memory", st_path(f->st));
        return false;
    }
    return true;
}

bool weights_add_file(weights *w, const char *path, char *err, size_t errlen) {
    if (!w) {
        fail(err, errlen, "%s: no weight store", path ? path : "(null)");
        return false;
    }
    st_file *st = st_open(path, err, errlen);
    if (!st) return false;
    wfile **files = realloc(w->files, ((size_t)w->nfiles + 1) * sizeof *files);
    wfile *f = malloc(sizeof *f);
    if (files) w->files = files;
    if (!files || !f) {
        free(f);
        st_close(st);
        fail(err, errlen, "%s: out of memory", path);
        return false;
    }
    if (!check_no_duplicates(w, st, err, errlen)) {
        free(f);
        st_close(st);
        return false;
    }
    f->st = st;
    atomic_init(&f->refs, 1);
    w->files[w->nfiles] = f;
    if (!load_entries(w, w->nfiles, err, errlen)) {
        wfile_unref(f); /* tensors already freed; they may still hold their references */
        return false;
    }
    w->nfiles++;
    return true;
}

weights *weights_open(const char *path, char *err, size_t errlen) {
    if (err && errlen) err[0] = '\0';
    weights *w = calloc(1, sizeof *w);
    if (!w) {
        fail(err, errlen, "%s: out of memory", path ? path : "(null)");
        return NULL;
    }
    if (!weights_add_file(w, path, err, errlen)) {
        weights_close(w);
        return NULL;
    }
    return w;
}

/* The name and shape record of an in-memory tensor. */
static st_entry *memory_entry(const char *name, ts_tensor *t) {
    st_entry *e = calloc(1, sizeof *e);
    char *copy = strdup(name);
    if (!e || !copy || ts_ndim(t) > ST_MAX_DIMS) {
        free(e);
        free(copy);
        return NULL;
    }
    e->name = copy;
    e->dtype = ST_F32;
    e->ndim = ts_ndim(t);
    for (int d = 0; d < e->ndim; d++)
        e->shape[d] = ts_dim(t, d);
    e->numel = ts_numel(t);
    e->nbytes = (size_t)e->numel * sizeof(float);
    return e;
}

static void free_memory_entries(wentry *e, int n) {
    for (int i = 0; i < n; i++) {
        if (e[i].file != MEMORY_FILE) continue;
        free((char *)e[i].se->name);
        free((st_entry *)e[i].se);
    }
}

weights *weights_new_empty(void) {
    return calloc(1, sizeof(weights));
}

bool weights_add_tensor(weights *w, const char *name, ts_tensor *t, char *err, size_t errlen) {
    if (!w || !name || !t) {
        fail(err, errlen, "weights_add_tensor: no store, name or tensor%s%s",
             ts_failed() ? ": " : "", ts_last_error());
        return false;
    }
    if (find_index(w, name) >= 0) {
        fail(err, errlen, "tensor '%s' is already loaded from %s", name,
             origin_of(w, find_index(w, name)));
        return false;
    }
    wentry *grown = realloc(w->entries, ((size_t)w->n + 1) * sizeof *grown);
    if (grown) w->entries = grown;
    st_entry *se = grown ? memory_entry(name, t) : NULL;
    ts_tensor *own = se ? ts_detach(t) : NULL;
    if (!own) {
        if (se) free_memory_entries(&(wentry){.se = se, .file = MEMORY_FILE}, 1);
        fail(err, errlen, "weights_add_tensor '%s': out of memory or rank above %d", name,
             ST_MAX_DIMS);
        return false;
    }
    w->entries[w->n++] = (wentry){.se = se, .t = own, .file = MEMORY_FILE};
    /* The table grows (doubling) only when half full, so adds stay amortised O(1). */
    if (2 * (size_t)w->n > w->nslots) {
        if (!rehash(w)) {
            w->n--;
            ts_free(own);
            free_memory_entries(&(wentry){.se = se, .file = MEMORY_FILE}, 1);
            fail(err, errlen, "weights_add_tensor '%s': out of memory", name);
            return false;
        }
        return true;
    }
    size_t mask = w->nslots - 1, i = hash_name(name) & mask;
    while (w->slots[i] >= 0)
        i = (i + 1) & mask;
    w->slots[i] = w->n - 1;
    return true;
}

void weights_close(weights *w) {
    if (!w) return;
    free_tensors(w->entries, w->n);
    free_memory_entries(w->entries, w->n);
    for (int i = 0; i < w->nfiles; i++)
        wfile_unref(w->files[i]);
    free(w->files);
    free(w->entries);
    free(w->slots);
    free(w);
}

/* ---- lookups ---- */

bool weights_has(const weights *w, const char *name) {
    return find_index(w, name) >= 0;
}

ts_tensor *weights_get(const weights *w, const char *name) {
    int k = find_index(w, name);
    if (k < 0) {
        ts_error_set("missing tensor '%s'", name ? name : "(null)");
        return NULL;
    }
    const wentry *e = &w->entries[k];
    if (!e->t) {
        ts_error_set("tensor '%s' has dtype %s; the weight store loads only F32, F16, BF16 and "
                     "F64 tensors",
                     name, st_dtype_name(e->se->dtype));
    }
    return e->t;
}

ts_tensor *weights_getf(const weights *w, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (len < 0) {
        ts_error_set("weights_getf: bad format '%s'", fmt);
        return NULL;
    }
    if ((size_t)len < sizeof buf) return weights_get(w, buf);
    char *big = malloc((size_t)len + 1);
    if (!big) {
        ts_error_set("weights_getf: out of memory");
        return NULL;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)len + 1, fmt, ap);
    va_end(ap);
    ts_tensor *t = weights_get(w, big);
    free(big);
    return t;
}

static void format_shape(char *buf, size_t len, const int64_t *shape, int ndim) {
    size_t used = (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < ndim && used < len; i++)
        used +=
            (size_t)snprintf(buf + used, len - used, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (used < len) snprintf(buf + used, len - used, "]");
}

ts_tensor *weights_get_shaped(const weights *w, const char *name, const int64_t *shape, int ndim) {
    ts_tensor *t = weights_get(w, name);
    if (!t) return NULL;
    const st_entry *se = w->entries[find_index(w, name)].se;
    bool same = se->ndim == ndim && (ndim == 0 || shape);
    for (int i = 0; same && i < ndim; i++)
        same = se->shape[i] == shape[i];
    if (same) return t;
    char have[256], want[256];
    format_shape(have, sizeof have, se->shape, se->ndim);
    if (ndim < 0 || ndim > ST_MAX_DIMS || (ndim > 0 && !shape))
        snprintf(want, sizeof want, "(rank %d)", ndim);
    else
        format_shape(want, sizeof want, shape, ndim);
    ts_error_set("tensor '%s' has shape %s but %s was expected", name, have, want);
    return NULL;
}

int weights_count(const weights *w) {
    return w ? w->n : 0;
}

const char *weights_name_at(const weights *w, int i) {
    return w && i >= 0 && i < w->n ? w->entries[i].se->name : NULL;
}

const char *weights_metadata(const weights *w, const char *key) {
    for (int i = 0; w && i < w->nfiles; i++) {
        const char *v = st_metadata(w->files[i]->st, key);
        if (v) return v;
    }
    return NULL;
}

size_t weights_resident_bytes(const weights *w) {
    return weights_resident_bytes_prefix(w, "", NULL);
}

static bool starts_with(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

size_t weights_resident_bytes_prefix(const weights *w, const char *prefix, size_t *bf16_bytes) {
    size_t bytes = 0, low = 0;
    for (int i = 0; w && i < w->n; i++) {
        const wentry *e = &w->entries[i];
        if (!e->t || !starts_with(e->se->name, prefix ? prefix : "")) continue;
        size_t b = ts_resident_bytes(e->t);
        bytes += b;
        if (ts_is_bf16(e->t)) low += b;
    }
    if (bf16_bytes) *bf16_bytes = low;
    return bytes;
}
