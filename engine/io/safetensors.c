/* safetensors reader (mmap + full header validation) and F32 writer.
 * The reader trusts nothing in the file: every size, offset and product is
 * checked before a pointer into the mapping is handed out. */
#include "safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors data is little-endian; this reader maps it in place"
#endif

/* A header this large is not a tensor index but an attack or a corrupt file
 * (SD checkpoints have ~150 KB headers). */
#define ST_MAX_HEADER_BYTES (100u * 1024u * 1024u)
#define ST_METADATA_KEY "__metadata__"

struct st_file {
    char *path;
    const uint8_t *map;
    size_t map_len;
    st_entry *entries; /* sorted by name */
    int n;
    char **meta_keys, **meta_vals; /* file order */
    int n_meta;
};

/* ---- dtypes ---- */

static const struct {
    const char *name;
    size_t size;
} dtype_info[] = {
    [ST_F32] = {"F32", 4}, [ST_F16] = {"F16", 2}, [ST_BF16] = {"BF16", 2}, [ST_F64] = {"F64", 8},
    [ST_I64] = {"I64", 8}, [ST_I32] = {"I32", 4}, [ST_U8] = {"U8", 1},     [ST_BOOL] = {"BOOL", 1},
};
#define ST_N_DTYPES ((int)(sizeof dtype_info / sizeof dtype_info[0]))

const char *st_dtype_name(st_dtype d) {
    return (int)d >= 0 && (int)d < ST_N_DTYPES ? dtype_info[d].name : "?";
}
size_t st_dtype_size(st_dtype d) {
    return (int)d >= 0 && (int)d < ST_N_DTYPES ? dtype_info[d].size : 0;
}

static bool dtype_parse(const char *s, st_dtype *out) {
    for (int i = 0; i < ST_N_DTYPES; i++) {
        if (strcmp(s, dtype_info[i].name) == 0) {
            *out = (st_dtype)i;
            return true;
        }
    }
    return false;
}

/* ---- errors ---- */

static void fail(char *err, size_t errlen, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void fail(char *err, size_t errlen, const char *path, const char *fmt, ...) {
    if (!err || errlen == 0) return;
    int k = snprintf(err, errlen, "%s: ", path ? path : "(null)");
    if (k < 0 || (size_t)k >= errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
    va_end(ap);
}

/* ---- header parsing ---- */

/* Problems inside the header are reported into this buffer, then prefixed
 * with the file name by the caller. */
typedef struct parse_ctx {
    size_t data_len;
    const uint8_t *data;
    char msg[512];
} parse_ctx;

static bool bad(parse_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool bad(parse_ctx *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->msg, sizeof c->msg, fmt, ap);
    va_end(ap);
    return false;
}

static bool parse_shape(parse_ctx *c, const char *name, json_t *shape, st_entry *e) {
    if (!json_is_array(shape)) return bad(c, "tensor '%s': shape is missing or not an array", name);
    size_t nd = json_array_size(shape);
    if (nd > ST_MAX_DIMS)
        return bad(c, "tensor '%s': shape has %zu dims (limit %d)", name, nd, ST_MAX_DIMS);
    e->ndim = (int)nd;
    int64_t numel = 1;
    for (size_t i = 0; i < nd; i++) {
        json_t *d = json_array_get(shape, i);
        if (!json_is_integer(d) || json_integer_value(d) < 0)
            return bad(c, "tensor '%s': shape[%zu] is not a non-negative integer", name, i);
        e->shape[i] = (int64_t)json_integer_value(d);
        if (__builtin_mul_overflow(numel, e->shape[i], &numel))
            return bad(c, "tensor '%s': shape product overflows", name);
    }
    e->numel = numel;
    return true;
}

static bool parse_offsets(parse_ctx *c, const char *name, json_t *offs, uint64_t *begin,
                          uint64_t *end) {
    if (!json_is_array(offs) || json_array_size(offs) != 2)
        return bad(c, "tensor '%s': data_offsets is missing or not a [begin, end] pair", name);
    json_t *b = json_array_get(offs, 0), *e = json_array_get(offs, 1);
    if (!json_is_integer(b) || !json_is_integer(e) || json_integer_value(b) < 0 ||
        json_integer_value(e) < 0)
        return bad(c, "tensor '%s': data_offsets are not non-negative integers", name);
    *begin = (uint64_t)json_integer_value(b);
    *end = (uint64_t)json_integer_value(e);
    if (*begin > *end)
        return bad(c, "tensor '%s': data_offsets begin %llu > end %llu", name,
                   (unsigned long long)*begin, (unsigned long long)*end);
    if (*end > c->data_len)
        return bad(c,
                   "tensor '%s': data_offsets [%llu, %llu] run past the end of the file (data "
                   "section is %zu bytes)",
                   name, (unsigned long long)*begin, (unsigned long long)*end, c->data_len);
    return true;
}

static bool parse_entry(parse_ctx *c, const char *name, json_t *v, st_entry *e) {
    if (!json_is_object(v)) return bad(c, "tensor '%s': entry is not an object", name);
    json_t *dt = json_object_get(v, "dtype");
    if (!json_is_string(dt)) return bad(c, "tensor '%s': dtype is missing or not a string", name);
    if (!dtype_parse(json_string_value(dt), &e->dtype))
        return bad(c, "tensor '%s': unknown dtype '%s'", name, json_string_value(dt));
    if (!parse_shape(c, name, json_object_get(v, "shape"), e)) return false;
    uint64_t begin = 0, end = 0, nbytes = 0;
    if (!parse_offsets(c, name, json_object_get(v, "data_offsets"), &begin, &end)) return false;
    if (__builtin_mul_overflow((uint64_t)e->numel, (uint64_t)st_dtype_size(e->dtype), &nbytes))
        return bad(c, "tensor '%s': byte size of the shape overflows", name);
    if (nbytes != end - begin)
        return bad(c,
                   "tensor '%s': shape needs %llu bytes of %s but data_offsets [%llu, %llu] "
                   "hold %llu (shape/byte size mismatch)",
                   name, (unsigned long long)nbytes, st_dtype_name(e->dtype),
                   (unsigned long long)begin, (unsigned long long)end,
                   (unsigned long long)(end - begin));
    e->data = c->data + begin;
    e->nbytes = (size_t)nbytes;
    return true;
}

static bool parse_metadata(parse_ctx *c, json_t *meta, st_file *f) {
    if (!json_is_object(meta)) return bad(c, "__metadata__ is not an object");
    size_t n = json_object_size(meta);
    f->meta_keys = calloc(n ? n : 1, sizeof *f->meta_keys);
    f->meta_vals = calloc(n ? n : 1, sizeof *f->meta_vals);
    if (!f->meta_keys || !f->meta_vals) return bad(c, "out of memory");
    const char *key;
    json_t *val;
    json_object_foreach(meta, key, val) {
        if (!json_is_string(val)) return bad(c, "__metadata__['%s'] is not a string", key);
        f->meta_keys[f->n_meta] = strdup(key);
        f->meta_vals[f->n_meta] = strdup(json_string_value(val));
        f->n_meta++;
        if (!f->meta_keys[f->n_meta - 1] || !f->meta_vals[f->n_meta - 1])
            return bad(c, "out of memory");
    }
    return true;
}

static int cmp_entry_name(const void *a, const void *b) {
    return strcmp(((const st_entry *)a)->name, ((const st_entry *)b)->name);
}

static int cmp_entry_ptr_data(const void *a, const void *b) {
    const uint8_t *pa = (*(const st_entry *const *)a)->data;
    const uint8_t *pb = (*(const st_entry *const *)b)->data;
    return pa < pb ? -1 : pa > pb;
}

/* Two tensors sharing bytes would alias each other's storage; the format
 * does not allow it and a loader writing through one would corrupt the other. */
static bool check_overlaps(parse_ctx *c, st_file *f) {
    if (f->n < 2) return true;
    const st_entry **by_pos = malloc((size_t)f->n * sizeof *by_pos);
    if (!by_pos) return bad(c, "out of memory");
    int m = 0;
    for (int i = 0; i < f->n; i++)
        if (f->entries[i].nbytes > 0) by_pos[m++] = &f->entries[i];
    qsort(by_pos, (size_t)m, sizeof *by_pos, cmp_entry_ptr_data);
    bool ok = true;
    for (int i = 1; i < m && ok; i++) {
        const uint8_t *prev_end = (const uint8_t *)by_pos[i - 1]->data + by_pos[i - 1]->nbytes;
        if ((const uint8_t *)by_pos[i]->data < prev_end)
            ok = bad(c, "tensors '%s' and '%s' overlap in the data section", by_pos[i - 1]->name,
                     by_pos[i]->name);
    }
    free(by_pos);
    return ok;
}

static bool parse_header(parse_ctx *c, json_t *root, st_file *f) {
    if (!json_is_object(root)) return bad(c, "header is not a JSON object");
    size_t total = json_object_size(root);
    f->entries = calloc(total ? total : 1, sizeof *f->entries);
    if (!f->entries) return bad(c, "out of memory");
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val) {
        if (strcmp(key, ST_METADATA_KEY) == 0) {
            if (!parse_metadata(c, val, f)) return false;
            continue;
        }
        st_entry *e = &f->entries[f->n];
        if (!parse_entry(c, key, val, e)) return false;
        e->name = strdup(key);
        if (!e->name) return bad(c, "out of memory");
        f->n++;
    }
    qsort(f->entries, (size_t)f->n, sizeof *f->entries, cmp_entry_name);
    return check_overlaps(c, f);
}

/* ---- open / close ---- */

static bool map_file(const char *path, st_file *f, char *err, size_t errlen) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fail(err, errlen, path, "cannot open: %s", strerror(errno));
        return false;
    }
    struct stat sb;
    bool ok = false;
    if (fstat(fd, &sb) != 0) {
        fail(err, errlen, path, "cannot stat: %s", strerror(errno));
    } else if (!S_ISREG(sb.st_mode)) {
        fail(err, errlen, path, "not a regular file");
    } else if (sb.st_size < 8) {
        fail(err, errlen, path, "file is %lld bytes, too short for a safetensors header",
             (long long)sb.st_size);
    } else {
        void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            fail(err, errlen, path, "cannot mmap: %s", strerror(errno));
        } else {
            f->map = m;
            f->map_len = (size_t)sb.st_size;
            ok = true;
        }
    }
    close(fd); /* the mapping keeps the file alive */
    return ok;
}

static bool read_header(st_file *f, char *err, size_t errlen) {
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = (n << 8) | f->map[i];
    if (n > ST_MAX_HEADER_BYTES) {
        fail(err, errlen, f->path,
             "header length %llu is absurd (limit %u bytes): not a "
             "safetensors file?",
             (unsigned long long)n, ST_MAX_HEADER_BYTES);
        return false;
    }
    if (n > f->map_len - 8) {
        fail(err, errlen, f->path, "header length %llu runs past the end of the file (%zu bytes)",
             (unsigned long long)n, f->map_len);
        return false;
    }
    json_error_t jerr;
    json_t *root = json_loadb((const char *)f->map + 8, (size_t)n, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        fail(err, errlen, f->path, "invalid JSON header: %s (line %d, column %d)", jerr.text,
             jerr.line, jerr.column);
        return false;
    }
    parse_ctx c = {.data_len = f->map_len - 8 - (size_t)n, .data = f->map + 8 + n};
    bool ok = parse_header(&c, root, f);
    json_decref(root);
    if (!ok) fail(err, errlen, f->path, "%s", c.msg);
    return ok;
}

st_file *st_open(const char *path, char *err, size_t errlen) {
    if (err && errlen) err[0] = '\0';
    if (!path) {
        fail(err, errlen, path, "no path given");
        return NULL;
    }
    st_file *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path))) {
        free(f);
        fail(err, errlen, path, "out of memory");
        return NULL;
    }
    if (!map_file(path, f, err, errlen) || !read_header(f, err, errlen)) {
        st_close(f);
        return NULL;
    }
    return f;
}

void st_close(st_file *f) {
    if (!f) return;
    for (int i = 0; i < f->n; i++)
        free((char *)f->entries[i].name);
    free(f->entries);
    for (int i = 0; i < f->n_meta; i++) {
        free(f->meta_keys[i]);
        free(f->meta_vals[i]);
    }
    free(f->meta_keys);
    free(f->meta_vals);
    if (f->map) munmap((void *)f->map, f->map_len);
    free(f->path);
    free(f);
}

/* ---- queries ---- */

const char *st_path(const st_file *f) {
    return f ? f->path : NULL;
}
int st_count(const st_file *f) {
    return f ? f->n : 0;
}
const st_entry *st_entry_at(const st_file *f, int i) {
    return f && i >= 0 && i < f->n ? &f->entries[i] : NULL;
}
const st_entry *st_find(const st_file *f, const char *name) {
    if (!f || !name) return NULL;
    st_entry key = {.name = name};
    return bsearch(&key, f->entries, (size_t)f->n, sizeof *f->entries, cmp_entry_name);
}
const char *st_metadata(const st_file *f, const char *key) {
    if (!f || !key) return NULL;
    for (int i = 0; i < f->n_meta; i++)
        if (strcmp(f->meta_keys[i], key) == 0) return f->meta_vals[i];
    return NULL;
}
int st_metadata_count(const st_file *f) {
    return f ? f->n_meta : 0;
}
bool st_metadata_at(const st_file *f, int i, const char **key, const char **value) {
    if (!f || i < 0 || i >= f->n_meta) return false;
    if (key) *key = f->meta_keys[i];
    if (value) *value = f->meta_vals[i];
    return true;
}

/* ---- writer ---- */

/* Formats a problem into msg; returns false so callers can `return say(...)`. */
static bool say(char *msg, size_t msglen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool say(char *msg, size_t msglen, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, msglen, fmt, ap);
    va_end(ap);
    return false;
}

static int cmp_out_name(const void *a, const void *b) {
    return strcmp((*(const st_tensor_out *const *)a)->name,
                  (*(const st_tensor_out *const *)b)->name);
}

static bool out_numel(const st_tensor_out *t, uint64_t *bytes, char *msg, size_t msglen) {
    if (!t->name) return say(msg, msglen, "a tensor has no name");
    if (strcmp(t->name, ST_METADATA_KEY) == 0)
        return say(msg, msglen, "'%s' is reserved, not a tensor name", t->name);
    if (t->ndim < 0 || t->ndim > ST_MAX_DIMS || (t->ndim > 0 && !t->shape))
        return say(msg, msglen, "tensor '%s': bad rank %d", t->name, t->ndim);
    uint64_t n = 1;
    for (int i = 0; i < t->ndim; i++) {
        if (t->shape[i] < 0)
            return say(msg, msglen, "tensor '%s': negative dim %lld", t->name,
                       (long long)t->shape[i]);
        if (__builtin_mul_overflow(n, (uint64_t)t->shape[i], &n))
            return say(msg, msglen, "tensor '%s': shape product overflows", t->name);
    }
    if (__builtin_mul_overflow(n, (uint64_t)sizeof(float), bytes))
        return say(msg, msglen, "tensor '%s': byte size overflows", t->name);
    if (*bytes > 0 && !t->data) return say(msg, msglen, "tensor '%s': no data", t->name);
    return true;
}

static json_t *out_entry(const st_tensor_out *t, uint64_t begin, uint64_t end) {
    json_t *shape = json_array();
    for (int i = 0; i < t->ndim; i++)
        json_array_append_new(shape, json_integer(t->shape[i]));
    return json_pack("{s:s, s:o, s:[I,I]}", "dtype", "F32", "shape", shape, "data_offsets",
                     (json_int_t)begin, (json_int_t)end);
}

static bool add_metadata(json_t *root, const char *const *kv, char *msg, size_t msglen) {
    if (!kv || !kv[0]) return true;
    json_t *meta = json_object();
    json_object_set_new(root, ST_METADATA_KEY, meta);
    for (size_t i = 0; kv[i]; i += 2) {
        if (!kv[i + 1]) return say(msg, msglen, "metadata key '%s' has no value", kv[i]);
        json_t *v = json_string(kv[i + 1]);
        if (!v || json_object_set_new(meta, kv[i], v) != 0)
            return say(msg, msglen, "metadata '%s' is not valid UTF-8", kv[i]);
    }
    return true;
}

/* Builds the padded header text; *hlen gets its length. Tensors go in `order`. */
static char *build_header(const st_tensor_out *const *order, int n, const char *const *meta_kv,
                          size_t *hlen, char *msg, size_t msglen) {
    json_t *root = json_object();
    uint64_t offset = 0;
    bool ok = root != NULL;
    for (int i = 0; i < n && ok; i++) {
        uint64_t bytes = 0;
        ok = out_numel(order[i], &bytes, msg, msglen);
        if (ok && i > 0 && strcmp(order[i - 1]->name, order[i]->name) == 0)
            ok = say(msg, msglen, "tensor name '%s' given twice", order[i]->name);
        json_t *e = ok ? out_entry(order[i], offset, offset + bytes) : NULL;
        if (ok && (!e || json_object_set_new(root, order[i]->name, e) != 0))
            ok = say(msg, msglen, "tensor name '%s' is not valid UTF-8", order[i]->name);
        offset += bytes;
    }
    ok = ok && add_metadata(root, meta_kv, msg, msglen);
    char *text = ok ? json_dumps(root, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(root);
    if (!text) {
        if (ok) snprintf(msg, msglen, "cannot serialize the header");
        return NULL;
    }
    size_t len = strlen(text), padded = len + (8 - (8 + len) % 8) % 8;
    char *out = realloc(text, padded + 1);
    if (!out) {
        free(text);
        snprintf(msg, msglen, "out of memory");
        return NULL;
    }
    memset(out + len, ' ', padded - len);
    out[padded] = '\0';
    *hlen = padded;
    return out;
}

static bool write_all(int fd, const void *buf, size_t len) {
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t k = write(fd, p, len);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return false;
        p += k;
        len -= (size_t)k;
    }
    return true;
}

static bool write_body(int fd, const char *header, size_t hlen, const st_tensor_out *const *order,
                       int n) {
    uint8_t lenbuf[8];
    for (int i = 0; i < 8; i++)
        lenbuf[i] = (uint8_t)((uint64_t)hlen >> (8 * i));
    if (!write_all(fd, lenbuf, 8) || !write_all(fd, header, hlen)) return false;
    for (int i = 0; i < n; i++) {
        uint64_t bytes = 0;
        char unused[8];
        out_numel(order[i], &bytes, unused, sizeof unused); /* validated by build_header */
        if (bytes && !write_all(fd, order[i]->data, (size_t)bytes)) return false;
    }
    return true;
}

static bool write_atomically(const char *path, const char *header, size_t hlen,
                             const st_tensor_out *const *order, int n, char *err, size_t errlen) {
    size_t plen = strlen(path);
    char *tmp = malloc(plen + sizeof ".tmp-XXXXXX");
    if (!tmp) {
        fail(err, errlen, path, "out of memory");
        return false;
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp-XXXXXX", sizeof ".tmp-XXXXXX");
    int fd = mkstemp(tmp);
    if (fd < 0) {
        fail(err, errlen, path, "cannot create a temporary file: %s", strerror(errno));
        free(tmp);
        return false;
    }
    bool ok = fchmod(fd, 0644) == 0 && write_body(fd, header, hlen, order, n) && fsync(fd) == 0;
    int saved = errno;
    ok = (close(fd) == 0) && ok;
    if (ok && rename(tmp, path) != 0) {
        saved = errno;
        ok = false;
    }
    if (!ok) {
        fail(err, errlen, path, "cannot write: %s", strerror(saved));
        unlink(tmp);
    }
    free(tmp);
    return ok;
}

bool st_write(const char *path, const st_tensor_out *tensors, int n, const char *const *meta_kv,
              char *err, size_t errlen) {
    if (err && errlen) err[0] = '\0';
    if (!path || n < 0 || (n > 0 && !tensors)) {
        fail(err, errlen, path, "st_write: bad arguments");
        return false;
    }
    const st_tensor_out **order = malloc((size_t)(n ? n : 1) * sizeof *order);
    if (!order) {
        fail(err, errlen, path, "out of memory");
        return false;
    }
    for (int i = 0; i < n; i++)
        order[i] = &tensors[i];
    char msg[512] = "";
    bool named = true;
    for (int i = 0; i < n; i++)
        named = named && tensors[i].name;
    if (named) qsort(order, (size_t)n, sizeof *order, cmp_out_name);
    size_t hlen = 0;
    char *header = named ? build_header(order, n, meta_kv, &hlen, msg, sizeof msg) : NULL;
    bool ok = header != NULL;
    if (!named)
        fail(err, errlen, path, "a tensor has no name");
    else if (!ok)
        fail(err, errlen, path, "%s", msg);
    else
        ok = write_atomically(path, header, hlen, order, n, err, errlen);
    free(header);
    free(order);
    return ok;
}
