/* Internal layout of hv_weights, shared by the set code (weights.c), the safetensors reader/writer
 * (safetensors.c) and the SWA averager (swa.c). Not part of the SDK. */
#ifndef HEMOVK_WEIGHTS_INTERNAL_H
#define HEMOVK_WEIGHTS_INTERNAL_H

#include "hemovk/weights.h"

typedef struct hv_wtensor {
    char *name;
    hv_weight_dtype dtype;
    uint32_t rank;
    int64_t dims[HV_WEIGHTS_MAX_DIMS];
    int64_t numel;
    size_t nbytes;
    const uint8_t *data;   /* into the file map, or == owned */
    uint8_t *owned;        /* malloc'd copy, or NULL when data points into the map */
    uint8_t used;          /* read by a model (hv_weights_data / read_f32*) since open or the last reset;
                              set through a const set with relaxed atomic stores (several builders may read) */
} hv_wtensor;

typedef struct hv_wmeta {
    char *key;
    char *value;
} hv_wmeta;

struct hv_weights {
    char *source;
    void *map;             /* mmap of the whole file, or NULL for in-memory sets */
    size_t map_size;
    hv_wtensor *t;         /* always sorted by strcmp(name) */
    size_t count, cap;
    hv_wmeta *meta;
    size_t meta_count;
    /* SWA recalibration bookkeeping (HV_SWA_BN_RECALIBRATE). */
    int needs_bn_recalibration;
    char **bn_stats;
    size_t bn_stat_count;
    /* hv_weights_set_synthesizer: makes tensors the set lacks when read with a shape (random demos). */
    hv_weights_synth_fn synth;
    void *synth_user;
};

/** Index of `name` or -1 (binary search). */
long hv_weights_index(const hv_weights *w, const char *name);

/** Allocate an empty set with `source` copied (no error message on failure: caller reports). */
hv_weights *hv_weights_alloc(const char *source);

/** Insert a tensor whose storage is given: `data` with `owned` (may be NULL for mapped data). Takes
 *  ownership of `owned` even on failure. Keeps the array sorted; rejects duplicates. */
hv_status hv_weights_insert(hv_weights *w, const char *name, hv_weight_dtype dtype, uint32_t rank,
                            const int64_t *dims, const uint8_t *data, uint8_t *owned);

/** Convert `n` elements of `dtype` at `src` (any alignment) to f32. */
void hv_weights_convert_to_f32(hv_weight_dtype dtype, const uint8_t *src, size_t n, float *dst);

/** Convert `n` f32 values to float `dtype` at `dst` (F16 round-to-nearest-even, BF16 likewise). */
void hv_weights_convert_from_f32(hv_weight_dtype dtype, const float *src, size_t n, uint8_t *dst);

/** 1 if the name ends in ".running_mean" or ".running_var". */
int hv_weights_is_bn_stat(const char *name);

#endif
