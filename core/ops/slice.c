/* Slice start:end:step along one axis (Python semantics for negative and out-of-range bounds; a negative
 * step walks backwards: start −1, end INT64_MIN, step −1 reverses the axis, a flip). */
#include "hemovk/ops_conv.h"
#include "ops/ops_conv_defs.h"
#include "ops/opsconv_util.h"

static hv_status slice_plan(const hv_slice_params *p, const hv_tensor_desc *src, uint32_t n_src, uint32_t *axis,
                            opsconv_axis_copy *c) {
    if (n_src != 1) return hv_error(HV_ERR_INVALID_ARGUMENT, "slice: got %u inputs, expected 1", (unsigned)n_src);
    hv_status st = opsconv_axis("slice", p->axis, &src[0], axis);
    if (st) return st;
    int64_t step = p->step == 0 ? 1 : p->step;
    int64_t outer, len, inner;
    opsconv_split(&src[0], *axis, &outer, &len, &inner);
    /* Python's rules: negative bounds count from the end, then clamp to [0, len] for a positive step and
     * to [−1, len − 1] for a negative one (−1 = before the first element: the end of a full reverse). */
    int64_t s = p->start < 0 ? p->start + len : p->start, e = p->end < 0 ? p->end + len : p->end;
    int64_t lo = step > 0 ? 0 : -1, hi = step > 0 ? len : len - 1;
    s = s < lo ? lo : s > hi ? hi : s;
    e = e < lo ? lo : e > hi ? hi : e;
    int64_t count = step > 0 ? (e > s ? (e - s + step - 1) / step : 0) : (s > e ? (s - e - step - 1) / -step : 0);
    if (count == 0)
        return hv_error(HV_ERR_SHAPE, "slice: [%lld:%lld:%lld] on axis %u of %s is empty", (long long)p->start,
                        (long long)p->end, (long long)step, (unsigned)*axis, opsconv_shape(&src[0]));
    if (hv_desc_numel(&src[0]) > (int64_t)UINT32_MAX)
        return hv_error(HV_ERR_UNSUPPORTED, "slice: input %s too large", opsconv_shape(&src[0]));
    /* a negative step travels as its two's complement: the shader's uint index arithmetic wraps to the
     * right element, as every index it forms is in range */
    *c = (opsconv_axis_copy){(uint32_t)outer, (uint32_t)count, (uint32_t)inner, (uint32_t)len, (uint32_t)s,
                             (uint32_t)(int32_t)step, (uint32_t)count, 0};
    return HV_OK;
}

static hv_status slice_infer(const void *params, const hv_tensor_desc *src, uint32_t n_src, hv_tensor_desc *dst) {
    uint32_t axis;
    opsconv_axis_copy c;
    hv_status st = slice_plan(params, src, n_src, &axis, &c);
    if (st) return st;
    *dst = src[0];
    dst->dims[axis] = c.count;
    return HV_OK;
}

static hv_status slice_ref(const void *params, const hv_tensor_desc *src, const float *const *src_data,
                           uint32_t n_src, const hv_tensor_desc *dst, float *y) {
    uint32_t axis;
    opsconv_axis_copy c;
    hv_status st = slice_plan(params, src, n_src, &axis, &c);
    if (st) return st;
    opsconv_ref_axis_copy(src_data[0], y, &c);
    (void)dst;
    return HV_OK;
}

static hv_status slice_record(hv_cmd *cmd, hv_device *dev, const void *params, const hv_tensor_desc *src,
                              const hv_binding *src_bind, uint32_t n_src, const hv_tensor_desc *dst,
                              const hv_binding *dst_bind, const hv_binding *scratch) {
    uint32_t axis;
    opsconv_axis_copy c;
    hv_status st = slice_plan(params, src, n_src, &axis, &c);
    if (st) return st;
    (void)scratch;
    (void)dst;
    return opsconv_record_axis_copy(cmd, dev, src[0].dtype, &src_bind[0], dst_bind, &c, "slice");
}

const hv_op_def hv_op_slice = {
    .name = "slice",
    .param_size = sizeof(hv_slice_params),
    .min_src = 1,
    .max_src = 1,
    .infer = slice_infer,
    .ref = slice_ref,
    .scratch_bytes = NULL,
    .record = slice_record,
};
