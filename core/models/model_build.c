/* core/models/model_build.c — the model builders' build context: every weight is read with its exact
 * expected shape through hv_weights (whose messages name the file, the tensor and, for a missing one,
 * close names), and the first problem is recorded on the graph so a builder can simply stop. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/models_internal.h"

#define NAME_CAP 512

static void vname(const hv_mb *m, char *buf, const char *fmt, va_list ap) {
    size_t n = (size_t)snprintf(buf, NAME_CAP, "%s", m->prefix ? m->prefix : "");
    if (n < NAME_CAP) vsnprintf(buf + n, NAME_CAP - n, fmt, ap);
}

int hv_mb_has(const hv_mb *m, const char *fmt, ...) {
    char name[NAME_CAP];
    va_list ap;
    va_start(ap, fmt);
    vname(m, name, fmt, ap);
    va_end(ap);
    return hv_weights_has(m->w, name);
}

int64_t hv_mb_dim0(const hv_mb *m, const char *fmt, ...) {
    char name[NAME_CAP];
    va_list ap;
    va_start(ap, fmt);
    vname(m, name, fmt, ap);
    va_end(ap);
    if (!hv_weights_has(m->w, name)) return -1;
    hv_weight_info info;
    if (hv_weights_find(m->w, name, &info) != HV_OK || info.rank == 0) return -1;
    return info.dims[0];
}

static float *read_named(hv_mb *m, const char *name, uint32_t rank, const int64_t *dims) {
    if (hv_graph_status(m->g) != HV_OK) return NULL;
    int64_t numel = 1;
    for (uint32_t i = 0; i < rank; i++) numel *= dims[i];
    float *data = malloc((size_t)(numel > 0 ? numel : 1) * sizeof(float));
    if (!data) {
        hv_graph_fail(m->g, HV_ERR_OUT_OF_MEMORY, "reading weight '%s': out of host memory", name);
        return NULL;
    }
    hv_status st = hv_weights_read_f32_shape(m->w, name, rank, dims, data);
    if (st != HV_OK) {
        hv_graph_fail(m->g, st, "%s", hv_last_error());
        free(data);
        return NULL;
    }
    return data;
}

float *hv_mb_read(hv_mb *m, uint32_t rank, const int64_t *dims, const char *fmt, ...) {
    char name[NAME_CAP];
    va_list ap;
    va_start(ap, fmt);
    vname(m, name, fmt, ap);
    va_end(ap);
    return read_named(m, name, rank, dims);
}

hv_tensor *hv_mb_const(hv_mb *m, const char *name, uint32_t rank, const int64_t *dims, const float *data) {
    if (!data) return NULL;
    hv_tensor_desc d = hv_desc_make(m->dtype, HV_LAYOUT_ANY, rank, dims);
    return hv_graph_weight(m->g, name, &d, data, HV_F32);
}

hv_tensor *hv_mb_param(hv_mb *m, uint32_t rank, const int64_t *dims, const char *fmt, ...) {
    char name[NAME_CAP];
    va_list ap;
    va_start(ap, fmt);
    vname(m, name, fmt, ap);
    va_end(ap);
    float *data = read_named(m, name, rank, dims);
    hv_tensor *t = hv_mb_const(m, name, rank, dims, data);
    free(data);
    return t;
}

void hv_mb_add_out(hv_mb *m, hv_backbone_outputs *o, hv_tensor *t, int32_t index, int32_t channels, int32_t stride) {
    if (o->count >= HV_BACKBONE_MAX_OUTS) {
        hv_graph_fail(m->g, HV_ERR_INVALID_ARGUMENT, "backbone: more than %d outputs", HV_BACKBONE_MAX_OUTS);
        return;
    }
    o->feats[o->count] = t;
    o->index[o->count] = index;
    o->channels[o->count] = channels;
    o->stride[o->count] = stride;
    o->count++;
}

hv_status hv_mb_out_indices(const char *model, uint32_t num_out, const int32_t *in, int32_t n_layers,
                            const int32_t *def, uint32_t n_def, uint32_t *n, int32_t *idx) {
    if (num_out > HV_BACKBONE_MAX_OUTS)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "%s: num_out %u exceeds %d", model, num_out, HV_BACKBONE_MAX_OUTS);
    const int32_t *src = num_out ? in : def;
    uint32_t cnt = num_out ? num_out : n_def;
    for (uint32_t i = 0; i < cnt; i++) {
        if (src[i] < 0 || src[i] >= n_layers)
            return hv_error(HV_ERR_INVALID_ARGUMENT, "%s: out_indices[%u] = %d is outside 0..%d", model, i, src[i],
                            n_layers - 1);
        for (uint32_t j = 0; j < i; j++)
            if (src[j] == src[i])
                return hv_error(HV_ERR_INVALID_ARGUMENT, "%s: out_indices lists %d twice", model, src[i]);
        idx[i] = src[i];
    }
    *n = cnt;
    return HV_OK;
}

int hv_mb_is_out(const int32_t *idx, uint32_t n, int32_t i) {
    for (uint32_t k = 0; k < n; k++)
        if (idx[k] == i) return 1;
    return 0;
}

hv_status hv_mb_fail(hv_graph *g, hv_status status, const char *fmt, ...) {
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    hv_graph_fail(g, status, "%s", msg);
    return hv_graph_status(g);
}
