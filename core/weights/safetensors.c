/* safetensors reader (mmap + validate everything before use) and writer.
 *
 * Why cJSON parses the header: the header is untrusted input of up to 100 MB; libcjson is a small,
 * well-kept Debian library already linked into libhemovk. cJSON does not check UTF-8, so the header is
 * validated as UTF-8 here first. */
#include "weights/opened.h"
#include "weights/safetensors_mem.h"
#include "weights/weights_internal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define HV_SAFETENSORS_MAX_HEADER (100u * 1000u * 1000u)

static int parse_dtype(const char *s, hv_weight_dtype *out) {
    static const struct { const char *name; hv_weight_dtype t; } table[] = {
        {"F32", HV_WDT_F32}, {"F16", HV_WDT_F16}, {"BF16", HV_WDT_BF16}, {"F64", HV_WDT_F64},
        {"I64", HV_WDT_I64}, {"I32", HV_WDT_I32}, {"U8", HV_WDT_U8},     {"BOOL", HV_WDT_BOOL},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(s, table[i].name) == 0) {
            *out = table[i].t;
            return 1;
        }
    return 0;
}

/* Strict UTF-8 (no overlongs, no surrogates, ≤ U+10FFFF) and no NUL bytes; returns the offset of the
 * first bad byte or `n` when the whole buffer is valid. */
static size_t utf8_invalid_at(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c == 0) return i;
        if (c < 0x80) { i++; continue; }
        size_t len;
        uint32_t cp;
        if ((c & 0xe0) == 0xc0) { len = 2; cp = c & 0x1f; }
        else if ((c & 0xf0) == 0xe0) { len = 3; cp = c & 0x0f; }
        else if ((c & 0xf8) == 0xf0) { len = 4; cp = c & 0x07; }
        else return i;
        if (n - i < len) return i;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80) return i;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return i;
        i += len;
    }
    return n;
}

/* A JSON number that is an exact non-negative integer ≤ 2^53 (beyond that doubles lose integers). */
static int json_uint(const cJSON *v, uint64_t *out) {
    if (!cJSON_IsNumber(v)) return 0;
    double d = v->valuedouble;
    if (!(d >= 0.0) || d > 9007199254740992.0 || floor(d) != d) return 0;
    *out = (uint64_t)d;
    return 1;
}

typedef struct span {
    uint64_t begin, end;
    const char *name;
} span;

static int span_cmp(const void *a, const void *b) {
    const span *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return 0;
}

/* Validate one header entry and add it to `w`. `data` is the start of the data section. */
static hv_status add_entry(hv_weights *w, const char *path, const cJSON *e, const uint8_t *data, uint64_t data_size,
                           span *sp) {
    const char *name = e->string;
    if (!name || !name[0]) return hv_error(HV_ERR_PARSE, "%s: a tensor has an empty name", path);
    if (!cJSON_IsObject(e))
        return hv_error(HV_ERR_PARSE, "%s: tensor '%s': entry is not a JSON object", path, name);
    const cJSON *jd = cJSON_GetObjectItemCaseSensitive(e, "dtype");
    const cJSON *js = cJSON_GetObjectItemCaseSensitive(e, "shape");
    const cJSON *jo = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    if (!cJSON_IsString(jd) || !cJSON_IsArray(js) || !cJSON_IsArray(jo))
        return hv_error(HV_ERR_PARSE, "%s: tensor '%s': needs string \"dtype\", list \"shape\" and list "
                        "\"data_offsets\"", path, name);
    hv_weight_dtype dtype;
    if (!parse_dtype(jd->valuestring, &dtype))
        return hv_error(HV_ERR_PARSE, "%s: tensor '%s': unsupported dtype '%.32s' (supported: F32, F16, BF16, F64, "
                        "I64, I32, U8, BOOL)", path, name, jd->valuestring);
    int rank = cJSON_GetArraySize(js);
    if (rank > HV_WEIGHTS_MAX_DIMS)
        return hv_error(HV_ERR_PARSE, "%s: tensor '%s': rank %d exceeds the supported %d dims", path, name, rank,
                        HV_WEIGHTS_MAX_DIMS);
    int64_t dims[HV_WEIGHTS_MAX_DIMS];
    char shape_txt[200];
    size_t st_off = (size_t)snprintf(shape_txt, sizeof shape_txt, "[");
    uint64_t numel = 1;
    int overflow = 0, k = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, js) {
        uint64_t v;
        if (!json_uint(d, &v))
            return hv_error(HV_ERR_PARSE, "%s: tensor '%s': shape entry %d is not a non-negative integer", path,
                            name, k);
        dims[k] = (int64_t)v;
        if (__builtin_mul_overflow(numel, v, &numel)) overflow = 1;
        if (st_off < sizeof shape_txt)
            st_off += (size_t)snprintf(shape_txt + st_off, sizeof shape_txt - st_off, "%s%llu", k ? "," : "",
                                       (unsigned long long)v);
        k++;
    }
    if (st_off < sizeof shape_txt) snprintf(shape_txt + st_off, sizeof shape_txt - st_off, "]");
    uint64_t need;
    if (overflow || __builtin_mul_overflow(numel, (uint64_t)hv_weight_dtype_size(dtype), &need))
        return hv_error(HV_ERR_PARSE, "%s: tensor '%s': shape %s %s overflows 64-bit byte counts", path, name,
                        shape_txt, hv_weight_dtype_name(dtype));
    uint64_t begin, end;
    if (cJSON_GetArraySize(jo) != 2 || !json_uint(cJSON_GetArrayItem(jo, 0), &begin) ||
        !json_uint(cJSON_GetArrayItem(jo, 1), &end))
        return hv_error(HV_ERR_PARSE, "%s: tensor '%s': data_offsets must be [begin, end], non-negative integers",
                        path, name);
    if (begin > end || end > data_size)
        return hv_error(HV_ERR_PARSE, "%s: tensor '%s': data_offsets [%llu, %llu] outside the data section of %llu "
                        "bytes (truncated file?)", path, name, (unsigned long long)begin, (unsigned long long)end,
                        (unsigned long long)data_size);
    if (end - begin != need)
        return hv_error(HV_ERR_PARSE, "%s: tensor '%s': data_offsets [%llu, %llu] but shape %s %s needs %llu bytes",
                        path, name, (unsigned long long)begin, (unsigned long long)end, shape_txt,
                        hv_weight_dtype_name(dtype), (unsigned long long)need);
    const uint8_t *ptr = data + begin;
    uint8_t *owned = NULL;
    size_t esize = hv_weight_dtype_size(dtype);
    if ((uintptr_t)ptr % esize != 0) { /* writers that do not align: copy once so users get aligned data */
        owned = malloc(need ? need : 1);
        if (!owned) return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: tensor '%s': out of memory", path, name);
        memcpy(owned, ptr, need);
        ptr = owned;
    }
    hv_status st = hv_weights_insert(w, name, dtype, (uint32_t)rank, dims, ptr, owned);
    if (st == HV_ERR_INVALID_ARGUMENT) /* duplicate JSON key */
        return hv_error(HV_ERR_PARSE, "%s: tensor '%s' appears twice in the header", path, name);
    if (st) return st;
    sp->begin = begin;
    sp->end = end;
    long idx = hv_weights_index(w, name);
    sp->name = idx >= 0 ? w->t[idx].name : name;
    return HV_OK;
}

static hv_status parse_metadata(hv_weights *w, const char *path, const cJSON *m) {
    if (!cJSON_IsObject(m)) return hv_error(HV_ERR_PARSE, "%s: \"__metadata__\" must be an object of strings", path);
    const cJSON *e;
    cJSON_ArrayForEach(e, m) {
        if (!cJSON_IsString(e))
            return hv_error(HV_ERR_PARSE, "%s: \"__metadata__\" value '%s' is not a string", path,
                            e->string ? e->string : "");
        hv_status st = hv_weights_set_metadata(w, e->string ? e->string : "", e->valuestring);
        if (st) return st;
    }
    return HV_OK;
}

/* Everything after the mapping: header checks, JSON, entries, overlap. */
static hv_status parse_mapped(hv_weights *w, const char *path, const uint8_t *base, uint64_t size) {
    if (size < 8)
        return hv_error(HV_ERR_PARSE, "%s: file is %llu bytes; a safetensors file starts with an 8-byte header "
                        "length", path, (unsigned long long)size);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | base[i];
    if (hlen > HV_SAFETENSORS_MAX_HEADER)
        return hv_error(HV_ERR_PARSE, "%s: header length %llu exceeds the 100 MB limit (not a safetensors file?)",
                        path, (unsigned long long)hlen);
    if (hlen > size - 8)
        return hv_error(HV_ERR_PARSE, "%s: header length %llu but only %llu bytes follow (truncated file?)", path,
                        (unsigned long long)hlen, (unsigned long long)(size - 8));
    if (hlen < 2) return hv_error(HV_ERR_PARSE, "%s: header of %llu bytes cannot hold a JSON object", path,
                                  (unsigned long long)hlen);
    const uint8_t *hdr = base + 8;
    size_t bad = utf8_invalid_at(hdr, (size_t)hlen);
    if (bad != hlen)
        return hv_error(HV_ERR_PARSE, "%s: header byte %zu is not valid UTF-8 (or is NUL)", path, bad);
    /* cJSON needs a NUL terminator: parse a copy rather than rely on the byte after the header. */
    char *text = malloc((size_t)hlen + 1);
    if (!text) return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory for a %llu-byte header", path,
                               (unsigned long long)hlen);
    memcpy(text, hdr, (size_t)hlen);
    text[hlen] = 0;
    const char *end_at = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, (size_t)hlen + 1, &end_at, 1);
    if (!root) {
        size_t at = end_at && end_at >= text ? (size_t)(end_at - text) : 0;
        free(text);
        return hv_error(HV_ERR_PARSE, "%s: header is not valid JSON (error near byte %zu of the header)", path, at);
    }
    free(text);
    hv_status st = HV_OK;
    span *spans = NULL;
    size_t nspans = 0;
    if (!cJSON_IsObject(root)) {
        st = hv_error(HV_ERR_PARSE, "%s: header JSON is not an object", path);
        goto done;
    }
    int n = cJSON_GetArraySize(root);
    spans = calloc((size_t)n + 1, sizeof *spans);
    if (!spans) {
        st = hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
        goto done;
    }
    const uint8_t *data = base + 8 + hlen;
    uint64_t data_size = size - 8 - hlen;
    const cJSON *e;
    int seen_meta = 0;
    cJSON_ArrayForEach(e, root) {
        if (e->string && strcmp(e->string, "__metadata__") == 0) {
            if (seen_meta++) {
                st = hv_error(HV_ERR_PARSE, "%s: \"__metadata__\" appears twice", path);
                goto done;
            }
            if ((st = parse_metadata(w, path, e))) goto done;
            continue;
        }
        if ((st = add_entry(w, path, e, data, data_size, &spans[nspans]))) goto done;
        nspans++;
    }
    /* Overlap: sort non-empty spans by begin; each must start at or after the previous end. */
    size_t m = 0;
    for (size_t i = 0; i < nspans; i++)
        if (spans[i].end > spans[i].begin) spans[m++] = spans[i];
    qsort(spans, m, sizeof *spans, span_cmp);
    for (size_t i = 1; i < m; i++) {
        if (spans[i].begin < spans[i - 1].end) {
            st = hv_error(HV_ERR_PARSE, "%s: tensor '%s' data_offsets [%llu, %llu] overlap tensor '%s' [%llu, %llu]",
                          path, spans[i].name, (unsigned long long)spans[i].begin, (unsigned long long)spans[i].end,
                          spans[i - 1].name, (unsigned long long)spans[i - 1].begin,
                          (unsigned long long)spans[i - 1].end);
            goto done;
        }
    }
done:
    free(spans);
    cJSON_Delete(root);
    return st;
}

hv_status hv_weights_open(const char *path, hv_weights **out) {
    if (!path || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_weights_open: NULL argument");
    *out = NULL;
    /* O_NONBLOCK: a FIFO named as weights must not block open() forever; fstat below refuses it. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) return hv_error(HV_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int err = errno;
        close(fd);
        return hv_error(HV_ERR_IO, "%s: cannot stat: %s", path, strerror(err));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return hv_error(HV_ERR_IO, "%s: not a regular file (%s): weights must be a safetensors file", path,
                        S_ISFIFO(sb.st_mode) ? "a FIFO" : S_ISDIR(sb.st_mode) ? "a folder" : "a device or socket");
    }
    hv_weights_note_opened(path);
    hv_weights *w = hv_weights_alloc(path);
    if (!w) {
        close(fd);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    }
    uint64_t size = (uint64_t)sb.st_size;
    if (size > 0) {
        void *map = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            int err = errno;
            close(fd);
            hv_weights_free(w);
            return hv_error(HV_ERR_IO, "%s: cannot map %llu bytes: %s", path, (unsigned long long)size,
                            strerror(err));
        }
        w->map = map;
        w->map_size = (size_t)size;
    }
    close(fd); /* the mapping keeps the file alive */
    static const uint8_t empty[1];
    hv_status st = parse_mapped(w, path, w->map ? (const uint8_t *)w->map : empty, size);
    if (st) {
        hv_weights_free(w);
        return st;
    }
    *out = w;
    return HV_OK;
}

hv_status hv_safetensors_parse_memory(const char *name, const void *data, size_t size, hv_weights **out) {
    if (!name || !out || (!data && size)) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_safetensors_parse_memory: NULL argument");
    *out = NULL;
    hv_weights *w = hv_weights_alloc(name);
    if (!w) return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory", name);
    static const uint8_t empty[1];
    hv_status st = parse_mapped(w, name, size ? (const uint8_t *)data : empty, size);
    if (st) {
        hv_weights_free(w);
        return st;
    }
    *out = w;
    return HV_OK;
}

/* ---- writer ----------------------------------------------------------------------------------- */

typedef struct buf {
    char *p;
    size_t n, cap;
    int oom;
} buf;

static void buf_put(buf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->n + n + 1 > cap) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_printf(buf *b, const char *fmt, ...) {
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0) buf_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void buf_json_string(buf *b, const char *s) {
    buf_put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            buf_put(b, esc, 2);
        } else if (c < 0x20) {
            buf_printf(b, "\\u%04x", c);
        } else {
            buf_put(b, (const char *)&c, 1);
        }
    }
    buf_put(b, "\"", 1);
}

/* Data layout order: largest element size first, then by name, so every tensor begins at a multiple of
 * its element size (the header is padded to 8) and the mapped data is naturally aligned. */
typedef struct layout_key {
    size_t esize;
    const char *name;
    size_t index;
} layout_key;

static int layout_cmp(const void *a, const void *b) {
    const layout_key *x = a, *y = b;
    if (x->esize != y->esize) return x->esize > y->esize ? -1 : 1;
    return strcmp(x->name, y->name);
}

hv_status hv_weights_save(const hv_weights *w, const char *path) {
    if (!w || !path) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_weights_save: NULL argument");
    layout_key *order = malloc((w->count ? w->count : 1) * sizeof *order);
    uint64_t *begin = malloc((w->count ? w->count : 1) * sizeof *begin);
    if (!order || !begin) {
        free(order);
        free(begin);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    }
    for (size_t i = 0; i < w->count; i++)
        order[i] = (layout_key){hv_weight_dtype_size(w->t[i].dtype), w->t[i].name, i};
    qsort(order, w->count, sizeof *order, layout_cmp);
    uint64_t off = 0;
    for (size_t k = 0; k < w->count; k++) {
        begin[order[k].index] = off;
        off += w->t[order[k].index].nbytes;
    }
    buf h = {0};
    buf_put(&h, "{", 1);
    int first = 1;
    if (w->meta_count) {
        buf_put(&h, "\"__metadata__\":{", 16);
        for (size_t i = 0; i < w->meta_count; i++) {
            if (i) buf_put(&h, ",", 1);
            buf_json_string(&h, w->meta[i].key);
            buf_put(&h, ":", 1);
            buf_json_string(&h, w->meta[i].value);
        }
        buf_put(&h, "}", 1);
        first = 0;
    }
    for (size_t i = 0; i < w->count; i++) {
        const hv_wtensor *t = &w->t[i];
        if (!first) buf_put(&h, ",", 1);
        first = 0;
        buf_json_string(&h, t->name);
        buf_printf(&h, ":{\"dtype\":\"%s\",\"shape\":[", hv_weight_dtype_name(t->dtype));
        for (uint32_t d = 0; d < t->rank; d++) buf_printf(&h, "%s%lld", d ? "," : "", (long long)t->dims[d]);
        buf_printf(&h, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)begin[i],
                   (unsigned long long)(begin[i] + t->nbytes));
    }
    buf_put(&h, "}", 1);
    while (!h.oom && h.n % 8) buf_put(&h, " ", 1);
    free(begin);
    if (h.oom) {
        free(order);
        free(h.p);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory building the header", path);
    }

    size_t tmp_len = strlen(path) + 5;
    char *tmp = malloc(tmp_len);
    if (!tmp) {
        free(order);
        free(h.p);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    }
    snprintf(tmp, tmp_len, "%s.tmp", path);
    hv_status st = HV_OK;
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        st = hv_error(HV_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
        goto out;
    }
    uint8_t len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (uint8_t)((uint64_t)h.n >> (8 * i));
    int ok = fwrite(len8, 1, 8, f) == 8 && fwrite(h.p, 1, h.n, f) == h.n;
    for (size_t k = 0; ok && k < w->count; k++) {
        const hv_wtensor *t = &w->t[order[k].index];
        ok = t->nbytes == 0 || fwrite(t->data, 1, t->nbytes, f) == t->nbytes;
    }
    int err = errno;
    if (fclose(f) != 0 && ok) {
        ok = 0;
        err = errno;
    }
    if (!ok) {
        remove(tmp);
        st = hv_error(HV_ERR_IO, "%s: write failed: %s", tmp, strerror(err));
        goto out;
    }
    if (rename(tmp, path) != 0) {
        err = errno;
        remove(tmp);
        st = hv_error(HV_ERR_IO, "%s: cannot rename %s into place: %s", path, tmp, strerror(err));
    }
out:
    free(tmp);
    free(order);
    free(h.p);
    return st;
}
