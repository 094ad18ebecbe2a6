/* hv_weights: a sorted set of named tensors, lookup with "did you mean" suggestions, dtype conversion,
 * and in-memory editing. The file format lives in safetensors.c, averaging in swa.c. */
#include "weights/weights_internal.h"

#include <fnmatch.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "hemovk weights assume a little-endian host (safetensors data is little-endian)"
#endif

const char *hv_weight_dtype_name(hv_weight_dtype t) {
    switch (t) {
    case HV_WDT_F32: return "F32";
    case HV_WDT_F16: return "F16";
    case HV_WDT_BF16: return "BF16";
    case HV_WDT_F64: return "F64";
    case HV_WDT_I64: return "I64";
    case HV_WDT_I32: return "I32";
    case HV_WDT_U8: return "U8";
    case HV_WDT_BOOL: return "BOOL";
    }
    return "?";
}

size_t hv_weight_dtype_size(hv_weight_dtype t) {
    switch (t) {
    case HV_WDT_F64: case HV_WDT_I64: return 8;
    case HV_WDT_F32: case HV_WDT_I32: return 4;
    case HV_WDT_F16: case HV_WDT_BF16: return 2;
    case HV_WDT_U8: case HV_WDT_BOOL: return 1;
    }
    return 0;
}

int hv_weight_dtype_is_float(hv_weight_dtype t) {
    return t == HV_WDT_F32 || t == HV_WDT_F16 || t == HV_WDT_BF16 || t == HV_WDT_F64;
}

/* ---- half / bfloat16 conversion (local so the weights module has no link-time dependency) ---- */

static float half_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ffu, bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: renormalise */
            int e = -1;
            do { e++; man <<= 1; } while (!(man & 0x400u));
            bits = sign | (uint32_t)(127 - 15 - e) << 23 | (man & 0x3ffu) << 13;
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | man << 13;
    } else {
        bits = sign | (exp + 112) << 23 | man << 13;
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static uint16_t f32_to_half(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) /* Inf or NaN (keep NaN quiet and non-zero) */
        return (uint16_t)(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u : 0));
    if (ax >= 0x477ff000u) /* rounds to ≥ 65520 → Inf */
        return (uint16_t)(sign | 0x7c00u);
    if (ax < 0x38800000u) { /* below the smallest normal half: subnormal or zero */
        if (ax < 0x33000000u) return (uint16_t)sign; /* < 2^-25 rounds to 0 */
        uint32_t e = ax >> 23, m = (ax & 0x7fffffu) | 0x800000u;
        uint32_t shift = 126 - e; /* 14..24 */
        uint32_t half = m >> shift, rem = m & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1))) half++;
        return (uint16_t)(sign | half);
    }
    uint32_t r = ax + 0x0fffu + ((ax >> 13) & 1); /* round to nearest even on the dropped 13 bits */
    return (uint16_t)(sign | ((r - 0x38000000u) >> 13));
}

static float bf16_to_f32(uint16_t b) {
    uint32_t bits = (uint32_t)b << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static uint16_t f32_to_bf16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40u); /* quiet NaN */
    x += 0x7fffu + ((x >> 16) & 1);
    return (uint16_t)(x >> 16);
}

void hv_weights_convert_to_f32(hv_weight_dtype dtype, const uint8_t *src, size_t n, float *dst) {
    for (size_t i = 0; i < n; i++) {
        switch (dtype) {
        case HV_WDT_F32: memcpy(&dst[i], src + 4 * i, 4); break;
        case HV_WDT_F16: { uint16_t h; memcpy(&h, src + 2 * i, 2); dst[i] = half_to_f32(h); } break;
        case HV_WDT_BF16: { uint16_t h; memcpy(&h, src + 2 * i, 2); dst[i] = bf16_to_f32(h); } break;
        case HV_WDT_F64: { double d; memcpy(&d, src + 8 * i, 8); dst[i] = (float)d; } break;
        case HV_WDT_I64: { int64_t v; memcpy(&v, src + 8 * i, 8); dst[i] = (float)v; } break;
        case HV_WDT_I32: { int32_t v; memcpy(&v, src + 4 * i, 4); dst[i] = (float)v; } break;
        case HV_WDT_U8: case HV_WDT_BOOL: dst[i] = (float)src[i]; break;
        }
    }
}

void hv_weights_convert_from_f32(hv_weight_dtype dtype, const float *src, size_t n, uint8_t *dst) {
    for (size_t i = 0; i < n; i++) {
        switch (dtype) {
        case HV_WDT_F32: memcpy(dst + 4 * i, &src[i], 4); break;
        case HV_WDT_F16: { uint16_t h = f32_to_half(src[i]); memcpy(dst + 2 * i, &h, 2); } break;
        case HV_WDT_BF16: { uint16_t h = f32_to_bf16(src[i]); memcpy(dst + 2 * i, &h, 2); } break;
        case HV_WDT_F64: { double d = src[i]; memcpy(dst + 8 * i, &d, 8); } break;
        default: break; /* integer targets are refused by the callers */
        }
    }
}

int hv_weights_is_bn_stat(const char *name) {
    size_t n = strlen(name);
    static const char *const suffixes[] = {".running_mean", ".running_var"};
    for (size_t i = 0; i < 2; i++) {
        size_t k = strlen(suffixes[i]);
        if (n > k && strcmp(name + n - k, suffixes[i]) == 0) return 1;
    }
    return 0;
}

/* ---- the set ---------------------------------------------------------------------------------- */

hv_weights *hv_weights_alloc(const char *source) {
    hv_weights *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->source = strdup(source ? source : "(memory)");
    if (!w->source) {
        free(w);
        return NULL;
    }
    return w;
}

hv_status hv_weights_create(const char *source, hv_weights **out) {
    if (!out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_weights_create: out is NULL");
    *out = hv_weights_alloc(source);
    return *out ? HV_OK : hv_error(HV_ERR_OUT_OF_MEMORY, "hv_weights_create: out of memory");
}

void hv_weights_free(hv_weights *w) {
    if (!w) return;
    for (size_t i = 0; i < w->count; i++) {
        free(w->t[i].name);
        free(w->t[i].owned);
    }
    free(w->t);
    for (size_t i = 0; i < w->meta_count; i++) {
        free(w->meta[i].key);
        free(w->meta[i].value);
    }
    free(w->meta);
    for (size_t i = 0; i < w->bn_stat_count; i++) free(w->bn_stats[i]);
    free(w->bn_stats);
    if (w->map) munmap(w->map, w->map_size);
    free(w->source);
    free(w);
}

const char *hv_weights_source(const hv_weights *w) { return w ? w->source : "(null)"; }

size_t hv_weights_count(const hv_weights *w) { return w ? w->count : 0; }

long hv_weights_index(const hv_weights *w, const char *name) {
    size_t lo = 0, hi = w->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(w->t[mid].name, name);
        if (c == 0) return (long)mid;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

static void fill_info(const hv_wtensor *t, hv_weight_info *info) {
    if (!info) return;
    info->name = t->name;
    info->dtype = t->dtype;
    info->rank = t->rank;
    memcpy(info->dims, t->dims, sizeof info->dims);
    info->numel = t->numel;
    info->nbytes = t->nbytes;
}

hv_status hv_weights_info_at(const hv_weights *w, size_t index, hv_weight_info *info) {
    if (!w || !info) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_weights_info_at: NULL argument");
    if (index >= w->count)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "%s: tensor index %zu out of range (%zu tensors)", w->source,
                        index, w->count);
    fill_info(&w->t[index], info);
    return HV_OK;
}

int hv_weights_has(const hv_weights *w, const char *name) {
    return w && name && hv_weights_index(w, name) >= 0;
}

/* Levenshtein distance, capped: returns cap+1 as soon as it must exceed cap. Error path only. */
static size_t edit_distance(const char *a, const char *b, size_t cap) {
    size_t na = strlen(a), nb = strlen(b);
    if ((na > nb ? na - nb : nb - na) > cap) return cap + 1;
    size_t *row = malloc((nb + 1) * sizeof *row);
    if (!row) return cap + 1;
    for (size_t j = 0; j <= nb; j++) row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0], best = i;
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t v = diag + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < v) v = row[j] + 1;
            if (row[j - 1] + 1 < v) v = row[j - 1] + 1;
            row[j] = v;
            diag = up;
            if (v < best) best = v;
        }
        if (best > cap) {
            free(row);
            return cap + 1;
        }
    }
    size_t d = row[nb];
    free(row);
    return d;
}

/* 1 if one name is the other with a dotted prefix added ("backbone." missing or "module." extra). */
static int is_prefix_variant(const char *have, const char *want) {
    size_t nh = strlen(have), nw = strlen(want);
    if (nh > nw) return have[nh - nw - 1] == '.' && strcmp(have + nh - nw, want) == 0;
    if (nw > nh) return want[nw - nh - 1] == '.' && strcmp(want + nw - nh, have) == 0;
    return 0;
}

static hv_status not_found(const hv_weights *w, const char *name) {
    enum { MAX_SUGGEST = 3 };
    const char *best[MAX_SUGGEST];
    size_t best_d[MAX_SUGGEST], nbest = 0;
    size_t cap = strlen(name) / 4 + 2;
    for (size_t i = 0; i < w->count; i++) {
        const char *cand = w->t[i].name;
        size_t d = is_prefix_variant(cand, name) ? 0 : edit_distance(cand, name, cap);
        if (d > cap) continue;
        size_t pos = nbest;
        while (pos > 0 && best_d[pos - 1] > d) pos--;
        if (pos >= MAX_SUGGEST) continue;
        size_t last = nbest < MAX_SUGGEST ? nbest : MAX_SUGGEST - 1;
        for (size_t k = last; k > pos; k--) {
            best[k] = best[k - 1];
            best_d[k] = best_d[k - 1];
        }
        best[pos] = cand;
        best_d[pos] = d;
        if (nbest < MAX_SUGGEST) nbest++;
    }
    if (nbest == 0)
        return hv_error(HV_ERR_NOT_FOUND, "%s: no tensor '%s' (%zu tensors; list them with "
                        "tools/convert_checkpoint.py --list)", w->source, name, w->count);
    char hint[1024];
    size_t off = 0;
    for (size_t k = 0; k < nbest && off < sizeof hint; k++) {
        int n = snprintf(hint + off, sizeof hint - off, "%s'%s'", k ? ", " : "", best[k]);
        if (n < 0) break;
        off += (size_t)n;
    }
    return hv_error(HV_ERR_NOT_FOUND, "%s: no tensor '%s' (did you mean %s?)", w->source, name, hint);
}

static hv_status lookup(const hv_weights *w, const char *name, const hv_wtensor **t) {
    if (!w || !name) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_weights: NULL set or tensor name");
    long i = hv_weights_index(w, name);
    if (i < 0) return not_found(w, name);
    *t = &w->t[i];
    return HV_OK;
}

hv_status hv_weights_find(const hv_weights *w, const char *name, hv_weight_info *info) {
    const hv_wtensor *t = NULL;
    hv_status st = lookup(w, name, &t);
    if (st) return st;
    fill_info(t, info);
    return HV_OK;
}

/* Usage bookkeeping is not part of a set's value: readers of a const set mark what they read. The set
 * is always heap-allocated, so writing through the cast is defined; the store is atomic because several
 * threads may read one set. */
static void mark_used(const hv_wtensor *t) {
    if (!t) return; /* never on a successful lookup; tells GCC -O3 (-Wstringop-overflow) the same */
    __atomic_store_n(&((hv_wtensor *)t)->used, (uint8_t)1, __ATOMIC_RELAXED);
}

hv_status hv_weights_data(const hv_weights *w, const char *name, const void **data, hv_weight_info *info) {
    const hv_wtensor *t = NULL;
    if (!data) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_weights_data: data is NULL");
    hv_status st = lookup(w, name, &t);
    if (st) return st;
    mark_used(t);
    *data = t->data;
    fill_info(t, info);
    return HV_OK;
}

hv_status hv_weights_read_f32(const hv_weights *w, const char *name, float *dst, size_t dst_count) {
    const hv_wtensor *t = NULL;
    hv_status st = lookup(w, name, &t);
    if (st) return st;
    if ((uint64_t)t->numel != (uint64_t)dst_count)
        return hv_error(HV_ERR_SHAPE, "%s: tensor '%s' has %lld elements but the caller expects %zu",
                        w->source, name, (long long)t->numel, dst_count);
    if (dst_count && !dst) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_weights_read_f32: dst is NULL");
    mark_used(t);
    hv_weights_convert_to_f32(t->dtype, t->data, dst_count, dst);
    return HV_OK;
}

static void dims_str(uint32_t rank, const int64_t *dims, char *buf, size_t cap) {
    size_t off = 0;
    buf[0] = 0;
    off += (size_t)snprintf(buf, cap, "[");
    for (uint32_t i = 0; i < rank && off < cap; i++)
        off += (size_t)snprintf(buf + off, cap - off, "%s%lld", i ? ", " : "", (long long)dims[i]);
    if (off < cap) snprintf(buf + off, cap - off, "]");
}

hv_status hv_weights_read_f32_shape(const hv_weights *w, const char *name, uint32_t rank,
                                    const int64_t *dims, float *dst) {
    const hv_wtensor *t = NULL;
    if (w && w->synth && name && hv_weights_index(w, name) < 0) /* a synthetic set makes what is asked for */
        return w->synth(w->synth_user, name, rank, dims, dst);
    hv_status st = lookup(w, name, &t);
    if (st) return st;
    int same = t->rank == rank;
    for (uint32_t i = 0; same && i < rank; i++) same = t->dims[i] == dims[i];
    if (!same) {
        char want[160], have[160];
        dims_str(rank > HV_WEIGHTS_MAX_DIMS ? HV_WEIGHTS_MAX_DIMS : rank, dims, want, sizeof want);
        dims_str(t->rank, t->dims, have, sizeof have);
        return hv_error(HV_ERR_SHAPE, "%s: tensor '%s': expected %s, file has %s", w->source, name, want, have);
    }
    /* A model parameter is a float. An integer tensor where one is expected is a broken file (an F32
     * tensor relabelled I32 has the same size and would convert to huge garbage values), never a value to
     * convert: every frame would come out as the same confident answer. */
    if (!hv_weight_dtype_is_float(t->dtype))
        return hv_error(HV_ERR_SCHEMA,
                        "%s: tensor '%s' is stored as %s, but the model reads it as a floating-point weight (F32, "
                        "F16, BF16 or F64): the file does not fit the model (a tensor written with the wrong dtype?); "
                        "convert the checkpoint again with tools/convert_checkpoint.py",
                        w->source, name, hv_weight_dtype_name(t->dtype));
    return hv_weights_read_f32(w, name, dst, (size_t)t->numel);
}

void hv_weights_reset_used(hv_weights *w) {
    if (!w) return;
    for (size_t i = 0; i < w->count; i++) w->t[i].used = 0;
}

int hv_weights_was_used(const hv_weights *w, const char *name) {
    long i = w && name ? hv_weights_index(w, name) : -1;
    return i >= 0 && __atomic_load_n(&w->t[i].used, __ATOMIC_RELAXED);
}

/* BatchNorm's step counter: PyTorch saves it, no inference reads it. */
static int always_ignored(const hv_wtensor *t) {
    const char *suffix = ".num_batches_tracked";
    size_t n = strlen(t->name), k = strlen(suffix);
    return !hv_weight_dtype_is_float(t->dtype) && (n >= k ? !strcmp(t->name + n - k, suffix) : !strcmp(t->name, suffix + 1));
}

hv_status hv_weights_check_used(const hv_weights *w, const char *const *ignore, size_t n_ignore, const char *who) {
    if (!w) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_weights_check_used: NULL set");
    if (!who) who = "model";
    size_t unused = 0;
    char list[1024] = "";
    size_t off = 0;
    enum { SHOWN = 8 };
    for (size_t i = 0; i < w->count; i++) {
        const hv_wtensor *t = &w->t[i];
        if (__atomic_load_n(&t->used, __ATOMIC_RELAXED) || always_ignored(t)) continue;
        int skip = 0;
        for (size_t k = 0; k < n_ignore && !skip; k++) skip = ignore[k] && fnmatch(ignore[k], t->name, 0) == 0;
        if (skip) continue;
        if (unused < SHOWN && off < sizeof list) {
            int n = snprintf(list + off, sizeof list - off, "%s'%s'", unused ? ", " : "", t->name);
            if (n > 0) off += (size_t)n;
        }
        unused++;
    }
    if (unused == 0) return HV_OK;
    char more[64] = "";
    if (unused > SHOWN) snprintf(more, sizeof more, " and %zu more", unused - SHOWN);
    return hv_error(HV_ERR_SCHEMA,
                    "%s: %zu tensor%s of %s %s not used by the model: %s%s. The weights do not fit this configuration "
                    "(another architecture or variant: check the backbone/head params); to load them anyway, list "
                    "the names (glob patterns) under the weights' `ignore:`",
                    who, unused, unused == 1 ? "" : "s", w->source, unused == 1 ? "is" : "are", list, more);
}

const char *hv_weights_metadata(const hv_weights *w, const char *key) {
    if (!w || !key) return NULL;
    for (size_t i = 0; i < w->meta_count; i++)
        if (strcmp(w->meta[i].key, key) == 0) return w->meta[i].value;
    return NULL;
}

hv_status hv_weights_set_metadata(hv_weights *w, const char *key, const char *value) {
    if (!w || !key || !value) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_weights_set_metadata: NULL argument");
    char *v = strdup(value);
    if (!v) return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory for metadata", w->source);
    for (size_t i = 0; i < w->meta_count; i++) {
        if (strcmp(w->meta[i].key, key) == 0) {
            free(w->meta[i].value);
            w->meta[i].value = v;
            return HV_OK;
        }
    }
    char *k = strdup(key);
    hv_wmeta *m = realloc(w->meta, (w->meta_count + 1) * sizeof *m);
    if (!k || !m) {
        free(k);
        free(v);
        if (m) w->meta = m;
        return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory for metadata", w->source);
    }
    w->meta = m;
    w->meta[w->meta_count].key = k;
    w->meta[w->meta_count].value = v;
    w->meta_count++;
    return HV_OK;
}

/* numel and bytes with overflow checks; 0 on overflow. */
static int shape_size(hv_weight_dtype dtype, uint32_t rank, const int64_t *dims, int64_t *numel, size_t *nbytes) {
    uint64_t n = 1;
    for (uint32_t i = 0; i < rank; i++) {
        if (dims[i] < 0 || __builtin_mul_overflow(n, (uint64_t)dims[i], &n)) return 0;
    }
    uint64_t b;
    if (__builtin_mul_overflow(n, (uint64_t)hv_weight_dtype_size(dtype), &b)) return 0;
    if (n > (uint64_t)INT64_MAX || b > (uint64_t)SIZE_MAX) return 0;
    *numel = (int64_t)n;
    *nbytes = (size_t)b;
    return 1;
}

hv_status hv_weights_insert(hv_weights *w, const char *name, hv_weight_dtype dtype, uint32_t rank,
                            const int64_t *dims, const uint8_t *data, uint8_t *owned) {
    hv_wtensor t = {0};
    if (!name || !name[0]) {
        free(owned);
        return hv_error(HV_ERR_INVALID_ARGUMENT, "%s: empty tensor name", w->source);
    }
    if (rank > HV_WEIGHTS_MAX_DIMS || hv_weight_dtype_size(dtype) == 0 || (rank && !dims) ||
        !shape_size(dtype, rank, dims, &t.numel, &t.nbytes)) {
        free(owned);
        return hv_error(HV_ERR_INVALID_ARGUMENT, "%s: tensor '%s': bad dtype, rank %u or shape", w->source, name,
                        rank);
    }
    /* Find the sorted position; appending in order (the common case) costs no memmove. */
    size_t pos = w->count;
    if (pos > 0 && strcmp(w->t[pos - 1].name, name) >= 0) {
        size_t lo = 0, hi = w->count;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (strcmp(w->t[mid].name, name) < 0) lo = mid + 1;
            else hi = mid;
        }
        pos = lo;
        if (pos < w->count && strcmp(w->t[pos].name, name) == 0) {
            free(owned);
            return hv_error(HV_ERR_INVALID_ARGUMENT, "%s: tensor '%s' appears twice", w->source, name);
        }
    }
    if (w->count == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        hv_wtensor *nt = realloc(w->t, cap * sizeof *nt);
        if (!nt) {
            free(owned);
            return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory adding tensor '%s'", w->source, name);
        }
        w->t = nt;
        w->cap = cap;
    }
    t.name = strdup(name);
    if (!t.name) {
        free(owned);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory adding tensor '%s'", w->source, name);
    }
    t.dtype = dtype;
    t.rank = rank;
    for (uint32_t i = 0; i < HV_WEIGHTS_MAX_DIMS; i++) t.dims[i] = i < rank ? dims[i] : 1;
    t.data = data;
    t.owned = owned;
    memmove(&w->t[pos + 1], &w->t[pos], (w->count - pos) * sizeof *w->t);
    w->t[pos] = t;
    w->count++;
    return HV_OK;
}

hv_status hv_weights_add(hv_weights *w, const char *name, hv_weight_dtype dtype, uint32_t rank,
                         const int64_t *dims, const void *data) {
    if (!w) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_weights_add: set is NULL");
    int64_t numel;
    size_t nbytes;
    if (rank > HV_WEIGHTS_MAX_DIMS || hv_weight_dtype_size(dtype) == 0 || (rank && !dims) ||
        !shape_size(dtype, rank, dims, &numel, &nbytes))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "%s: tensor '%s': bad dtype, rank %u or shape", w->source,
                        name ? name : "(null)", rank);
    /* malloc(0) may return NULL: allocate at least one byte so `owned` marks ownership. */
    uint8_t *copy = calloc(1, nbytes ? nbytes : 1);
    if (!copy) return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory for tensor '%s' (%zu bytes)", w->source,
                               name ? name : "(null)", nbytes);
    if (data && nbytes) memcpy(copy, data, nbytes);
    return hv_weights_insert(w, name, dtype, rank, dims, copy, copy);
}

hv_status hv_weights_set_tensor_f32(hv_weights *w, const char *name, const float *src, size_t count) {
    if (!w || !name) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_weights_set_tensor_f32: NULL argument");
    long i = hv_weights_index(w, name);
    if (i < 0) return not_found(w, name);
    hv_wtensor *t = &w->t[i];
    if (!hv_weight_dtype_is_float(t->dtype))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "%s: tensor '%s' is %s; only float tensors can be set from f32",
                        w->source, name, hv_weight_dtype_name(t->dtype));
    if ((uint64_t)t->numel != (uint64_t)count)
        return hv_error(HV_ERR_SHAPE, "%s: tensor '%s' has %lld elements, %zu given", w->source, name,
                        (long long)t->numel, count);
    if (count && !src) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_weights_set_tensor_f32: src is NULL");
    if (!t->owned) { /* mapped read-only: switch this tensor to an owned buffer */
        uint8_t *copy = malloc(t->nbytes ? t->nbytes : 1);
        if (!copy) return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory for tensor '%s'", w->source, name);
        t->owned = copy;
        t->data = copy;
    }
    hv_weights_convert_from_f32(t->dtype, src, count, t->owned);
    return HV_OK;
}

/* ---- recalibration bookkeeping ---------------------------------------------------------------- */

int hv_weights_needs_bn_recalibration(const hv_weights *w) { return w ? w->needs_bn_recalibration : 0; }

size_t hv_weights_bn_stat_count(const hv_weights *w) { return w ? w->bn_stat_count : 0; }

const char *hv_weights_bn_stat_name(const hv_weights *w, size_t index) {
    return w && index < w->bn_stat_count ? w->bn_stats[index] : NULL;
}

void hv_weights_mark_bn_recalibrated(hv_weights *w) {
    if (w) w->needs_bn_recalibration = 0;
}

hv_status hv_weights_set_synthesizer(hv_weights *w, hv_weights_synth_fn fn, void *user) {
    if (!w) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_weights_set_synthesizer: w is NULL");
    w->synth = fn;
    w->synth_user = fn ? user : NULL;
    return HV_OK;
}

int hv_weights_is_synthetic(const hv_weights *w) { return w && w->synth; }
