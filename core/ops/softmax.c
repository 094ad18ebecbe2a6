/* Softmax along an axis, over consecutive groups of that axis (DCNv3's per-group mask softmax). */
#include <math.h>

#include "hemovk/ops_conv.h"
#include "ops/ops_conv_defs.h"
#include "ops/opsconv_util.h"

typedef struct sm_push {
    uint32_t groups, gs, inner, len;
} sm_push;

/* Contiguous groups at least this long get one workgroup each (shared-memory reductions). */
#define SM_ROW_MIN 256

static hv_status sm_check(const hv_softmax_params *p, const hv_tensor_desc *src, uint32_t n_src, uint32_t *axis,
                          int64_t *gs) {
    if (n_src != 1) return hv_error(HV_ERR_INVALID_ARGUMENT, "softmax: got %u inputs, expected 1", (unsigned)n_src);
    hv_status st = opsconv_axis("softmax", p->axis, &src[0], axis);
    if (st) return st;
    int64_t len = src[0].dims[*axis];
    *gs = p->group_size == 0 ? len : p->group_size;
    if (*gs < 1 || len % *gs)
        return hv_error(HV_ERR_SHAPE, "softmax: group_size %d must divide dim %u (%lld) of input %s",
                        (int)p->group_size, (unsigned)*axis, (long long)len, opsconv_shape(&src[0]));
    if (hv_desc_numel(&src[0]) > (int64_t)UINT32_MAX)
        return hv_error(HV_ERR_UNSUPPORTED, "softmax: input %s too large", opsconv_shape(&src[0]));
    return HV_OK;
}

static hv_status sm_infer(const void *params, const hv_tensor_desc *src, uint32_t n_src, hv_tensor_desc *dst) {
    uint32_t axis;
    int64_t gs = 1;
    hv_status st = sm_check(params, src, n_src, &axis, &gs);
    if (st) return st;
    *dst = src[0];
    return HV_OK;
}

static hv_status sm_ref(const void *params, const hv_tensor_desc *src, const float *const *src_data, uint32_t n_src,
                        const hv_tensor_desc *dst, float *y) {
    uint32_t axis;
    int64_t gs = 1;
    hv_status st = sm_check(params, src, n_src, &axis, &gs);
    if (st) return st;
    int64_t outer, len, inner;
    opsconv_split(&src[0], axis, &outer, &len, &inner);
    const float *x = src_data[0];
    for (int64_t o = 0; o < outer; o++)
        for (int64_t g = 0; g < len / gs; g++)
            for (int64_t in = 0; in < inner; in++) {
                int64_t base = (o * len + g * gs) * inner + in;
                double m = -INFINITY, s = 0;
                for (int64_t j = 0; j < gs; j++) m = fmax(m, x[base + j * inner]);
                for (int64_t j = 0; j < gs; j++) s += exp((double)x[base + j * inner] - m);
                for (int64_t j = 0; j < gs; j++) y[base + j * inner] = (float)(exp((double)x[base + j * inner] - m) / s);
            }
    (void)dst;
    return HV_OK;
}

static hv_status sm_record(hv_cmd *cmd, hv_device *dev, const void *params, const hv_tensor_desc *src,
                           const hv_binding *src_bind, uint32_t n_src, const hv_tensor_desc *dst,
                           const hv_binding *dst_bind, const hv_binding *scratch) {
    uint32_t axis;
    int64_t gs = 1;
    hv_status st = sm_check(params, src, n_src, &axis, &gs);
    if (st) return st;
    int64_t outer, len, inner;
    opsconv_split(&src[0], axis, &outer, &len, &inner);
    uint64_t groups = (uint64_t)outer * (uint64_t)(len / gs) * (uint64_t)inner;
    sm_push pc = {(uint32_t)groups, (uint32_t)gs, (uint32_t)inner, (uint32_t)len};
    bool row = inner == 1 && gs >= SM_ROW_MIN;
    uint32_t spec[1] = {row ? 1u : 0u};
    hv_binding binds[2] = {src_bind[0], *dst_bind};
    uint32_t gx, gy;
    if ((st = opsconv_grid1d("softmax", row ? groups * OPSCONV_LOCAL : groups, &gx, &gy))) return st;
    (void)scratch;
    return opsconv_dispatch(cmd, dev, "softmax", src[0].dtype, binds, 2, &pc, sizeof pc, spec, 1, gx, gy, 1, "softmax");
}

const hv_op_def hv_op_softmax = {
    .name = "softmax",
    .param_size = sizeof(hv_softmax_params),
    .min_src = 1,
    .max_src = 1,
    .infer = sm_infer,
    .ref = sm_ref,
    .scratch_bytes = NULL,
    .record = sm_record,
};
