/* Element-wise add / sub / mul with NumPy broadcasting, and an optional fused activation. */
#include <math.h>
#include <string.h>

#include "ops/ops_basic_defs.h"
#include "ops/ops_conv_defs.h"
#include "ops/opsconv_util.h"

/* Broadcast geometry in 4-D (dims right-aligned, leading 1s): output dims and per-input strides. */
typedef struct bcast {
    int64_t dims[4];
    int64_t sa[4], sb[4];
    uint32_t rank;
    hv_layout layout;
} bcast;

static void strides4(const hv_tensor_desc *d, const int64_t *out, int64_t *s) {
    int64_t dd[4] = {1, 1, 1, 1};
    for (uint32_t i = 0; i < d->rank; i++) dd[4 - d->rank + i] = d->dims[i];
    int64_t acc = 1;
    for (int i = 3; i >= 0; i--) {
        s[i] = (dd[i] == 1 && out[i] != 1) ? 0 : acc;
        acc *= dd[i];
    }
}

static hv_status binary_check(const hv_binary_params *p, const hv_tensor_desc *src, uint32_t n_src, bcast *g) {
    if (n_src != 2) return hv_error(HV_ERR_INVALID_ARGUMENT, "binary: got %u inputs, expected 2", n_src);
    hv_status st = opsbasic_check_sources("binary", src, 2);
    if (!st) st = opsconv_same_dtype("binary", src, 2);
    if (st) return st;
    if (p->kind < HV_BINARY_ADD || p->kind > HV_BINARY_MUL || p->act < HV_ACT_NONE || p->act > HV_ACT_SIGMOID)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "binary: unknown kind %d or activation %d", (int)p->kind, (int)p->act);
    const hv_tensor_desc *a = &src[0], *b = &src[1];
    g->rank = a->rank >= b->rank ? a->rank : b->rank;
    g->layout = a->rank >= b->rank ? a->layout : b->layout;
    for (int i = 0; i < 4; i++) {
        int ia = i - (4 - (int)a->rank), ib = i - (4 - (int)b->rank);
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return hv_error(HV_ERR_SHAPE,
                            "binary: shapes %s and %s do not broadcast (dim %d from the right: %lld vs %lld)",
                            opsconv_shape(a), opsconv_shape(b), 4 - i, (long long)da, (long long)db);
        g->dims[i] = da > db ? da : db;
    }
    int64_t n = g->dims[0] * g->dims[1] * g->dims[2] * g->dims[3];
    if (n > UINT32_MAX) return hv_error(HV_ERR_UNSUPPORTED, "binary: output of %lld elements is too large", (long long)n);
    strides4(a, g->dims, g->sa);
    strides4(b, g->dims, g->sb);
    return HV_OK;
}

static hv_status binary_infer(const void *params, const hv_tensor_desc *src, uint32_t n_src, hv_tensor_desc *dst) {
    bcast g;
    hv_status st = binary_check(params, src, n_src, &g);
    if (st) return st;
    memset(dst, 0, sizeof *dst);
    dst->dtype = src[0].dtype;
    dst->layout = g.layout;
    dst->rank = g.rank;
    for (uint32_t i = 0; i < HV_MAX_DIMS; i++) dst->dims[i] = i < g.rank ? g.dims[4 - g.rank + i] : 1;
    return HV_OK;
}

static hv_status binary_ref(const void *params, const hv_tensor_desc *src, const float *const *d, uint32_t n_src,
                            const hv_tensor_desc *dst, float *y) {
    const hv_binary_params *p = params;
    bcast g;
    hv_status st = binary_check(p, src, n_src, &g);
    if (st) return st;
    int64_t i = 0;
    for (int64_t c0 = 0; c0 < g.dims[0]; c0++)
        for (int64_t c1 = 0; c1 < g.dims[1]; c1++)
            for (int64_t c2 = 0; c2 < g.dims[2]; c2++)
                for (int64_t c3 = 0; c3 < g.dims[3]; c3++, i++) {
                    double a = d[0][c0 * g.sa[0] + c1 * g.sa[1] + c2 * g.sa[2] + c3 * g.sa[3]];
                    double b = d[1][c0 * g.sb[0] + c1 * g.sb[1] + c2 * g.sb[2] + c3 * g.sb[3]];
                    double v = p->kind == HV_BINARY_ADD ? a + b : p->kind == HV_BINARY_SUB ? a - b : a * b;
                    y[i] = (float)hv_opsconv_act(p->act, v);
                }
    (void)dst;
    return HV_OK;
}

/* float form of an activation, for the host backend's rows */
static float act_f(hv_activation act, float v) {
    switch (act) {
    case HV_ACT_RELU: return v > 0 ? v : 0;
    case HV_ACT_SILU: return v / (1.0f + expf(-v));
    case HV_ACT_GELU: return 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
    case HV_ACT_SIGMOID: return 1.0f / (1.0f + expf(-v));
    default: return v;
    }
}

/* The host backend's binary (core/cpu/rows_host.c): output rows [r0, r1) of the dims[0]·dims[1]·dims[2]
 * rows of dims[3] values, in float, with the innermost loop specialised for the strides broadcasting
 * gives (0 or 1) so it vectorises. */
hv_status opsbasic_binary_rows(const void *params, const hv_tensor_desc *src, const float *const *d, float *y,
                               int64_t r0, int64_t r1) {
    const hv_binary_params *p = params;
    bcast g;
    hv_status st = binary_check(p, src, 2, &g);
    if (st) return st;
    const int64_t w = g.dims[3];
    for (int64_t r = r0; r < r1; r++) {
        const int64_t c0 = r / (g.dims[1] * g.dims[2]), c1 = (r / g.dims[2]) % g.dims[1], c2 = r % g.dims[2];
        const float *a = d[0] + c0 * g.sa[0] + c1 * g.sa[1] + c2 * g.sa[2];
        const float *b = d[1] + c0 * g.sb[0] + c1 * g.sb[1] + c2 * g.sb[2];
        float *o = y + r * w;
        const int64_t xa = g.sa[3], xb = g.sb[3];
        if (p->kind == HV_BINARY_ADD) {
            if (xa && xb) for (int64_t i = 0; i < w; i++) o[i] = a[i] + b[i];
            else if (xa) for (int64_t i = 0; i < w; i++) o[i] = a[i] + b[0];
            else if (xb) for (int64_t i = 0; i < w; i++) o[i] = a[0] + b[i];
            else for (int64_t i = 0; i < w; i++) o[i] = a[0] + b[0];
        } else if (p->kind == HV_BINARY_SUB) {
            if (xa && xb) for (int64_t i = 0; i < w; i++) o[i] = a[i] - b[i];
            else if (xa) for (int64_t i = 0; i < w; i++) o[i] = a[i] - b[0];
            else if (xb) for (int64_t i = 0; i < w; i++) o[i] = a[0] - b[i];
            else for (int64_t i = 0; i < w; i++) o[i] = a[0] - b[0];
        } else {
            if (xa && xb) for (int64_t i = 0; i < w; i++) o[i] = a[i] * b[i];
            else if (xa) for (int64_t i = 0; i < w; i++) o[i] = a[i] * b[0];
            else if (xb) for (int64_t i = 0; i < w; i++) o[i] = a[0] * b[i];
            else for (int64_t i = 0; i < w; i++) o[i] = a[0] * b[0];
        }
        if (p->act != HV_ACT_NONE)
            for (int64_t i = 0; i < w; i++) o[i] = act_f(p->act, o[i]);
    }
    return HV_OK;
}

/* Rows opsbasic_binary_rows splits, and values per row. */
int64_t opsbasic_binary_row_count(const void *params, const hv_tensor_desc *src, int64_t *row_len) {
    bcast g;
    if (binary_check(params, src, 2, &g)) return 0;
    if (row_len) *row_len = g.dims[3];
    return g.dims[0] * g.dims[1] * g.dims[2];
}

typedef struct elt_push {
    uint32_t dims[4], sa[4], sb[4], n;
} elt_push;

static hv_status binary_record(hv_cmd *cmd, hv_device *dev, const void *params, const hv_tensor_desc *src,
                               const hv_binding *b, uint32_t n_src, const hv_tensor_desc *dst, const hv_binding *db,
                               const hv_binding *scratch) {
    const hv_binary_params *p = params;
    bcast g;
    hv_status st = binary_check(p, src, n_src, &g);
    if (st) return st;
    elt_push pc;
    for (int i = 0; i < 4; i++) {
        pc.dims[i] = (uint32_t)g.dims[i];
        pc.sa[i] = (uint32_t)g.sa[i];
        pc.sb[i] = (uint32_t)g.sb[i];
    }
    pc.n = (uint32_t)hv_desc_numel(dst);
    uint32_t spec[3] = {1u, (uint32_t)p->kind, (uint32_t)p->act};
    hv_binding binds[3] = {b[0], b[1], *db};
    uint32_t gx, gy;
    if ((st = opsconv_grid1d("binary", pc.n, &gx, &gy))) return st;
    (void)scratch;
    static const char *const labels[] = {"add", "sub", "mul"};
    return opsconv_dispatch(cmd, dev, "eltwise", dst->dtype, binds, 3, &pc, sizeof pc, spec, 3, gx, gy, 1,
                            labels[p->kind]);
}

static int binary_is_plain_add(const void *params, const hv_tensor_desc *src, uint32_t n_src) {
    const hv_binary_params *p = params;
    return n_src == 2 && p->kind == HV_BINARY_ADD && p->act == HV_ACT_NONE && src[0].rank == src[1].rank &&
           !memcmp(src[0].dims, src[1].dims, sizeof src[0].dims) && src[0].dtype == src[1].dtype;
}

const hv_op_def hv_op_binary = {
    .name = "binary",
    .param_size = sizeof(hv_binary_params),
    .min_src = 2,
    .max_src = 2,
    .infer = binary_infer,
    .ref = binary_ref,
    .record = binary_record,
    .is_plain_add = binary_is_plain_add,
};
