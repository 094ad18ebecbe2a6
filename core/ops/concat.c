/* Concatenate 2..6 tensors along an axis: one strided-copy dispatch per input (shaders/slice.comp),
 * each writing a disjoint slot of the output, so no barrier is needed between them. */
#include "hemovk/ops_conv.h"
#include "ops/ops_conv_defs.h"
#include "ops/opsconv_util.h"

static hv_status concat_check(const hv_concat_params *p, const hv_tensor_desc *src, uint32_t n_src, uint32_t *axis,
                              int64_t *total) {
    if (n_src < 2 || n_src > HV_OP_MAX_SRC)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "concat: got %u inputs, expected 2..%d", (unsigned)n_src,
                        HV_OP_MAX_SRC);
    hv_status st = opsconv_axis("concat", p->axis, &src[0], axis);
    if (st) return st;
    if ((st = opsconv_same_dtype("concat", src, n_src))) return st;
    *total = 0;
    for (uint32_t i = 0; i < n_src; i++) {
        bool ok = src[i].rank == src[0].rank;
        for (uint32_t d = 0; ok && d < src[0].rank; d++)
            if (d != *axis && src[i].dims[d] != src[0].dims[d]) ok = false;
        if (!ok)
            return hv_error(HV_ERR_SHAPE, "concat: input %u %s does not match input 0 %s outside axis %u",
                            (unsigned)i, opsconv_shape(&src[i]), opsconv_shape(&src[0]), (unsigned)*axis);
        *total += src[i].dims[*axis];
    }
    if (hv_desc_numel(&src[0]) / src[0].dims[*axis] * *total > (int64_t)UINT32_MAX)
        return hv_error(HV_ERR_UNSUPPORTED, "concat: output too large");
    return HV_OK;
}

static hv_status concat_infer(const void *params, const hv_tensor_desc *src, uint32_t n_src, hv_tensor_desc *dst) {
    uint32_t axis;
    int64_t total = 0;
    hv_status st = concat_check(params, src, n_src, &axis, &total);
    if (st) return st;
    *dst = src[0];
    dst->dims[axis] = total;
    return HV_OK;
}

/* The copy that puts input i into its slot. */
static opsconv_axis_copy concat_copy(const hv_tensor_desc *src, uint32_t i, uint32_t axis, int64_t total,
                                     int64_t offset) {
    int64_t outer, len, inner;
    opsconv_split(&src[i], axis, &outer, &len, &inner);
    return (opsconv_axis_copy){(uint32_t)outer, (uint32_t)len, (uint32_t)inner, (uint32_t)len, 0, 1,
                               (uint32_t)total, (uint32_t)offset};
}

static hv_status concat_ref(const void *params, const hv_tensor_desc *src, const float *const *src_data,
                            uint32_t n_src, const hv_tensor_desc *dst, float *y) {
    uint32_t axis;
    int64_t total, offset = 0;
    hv_status st = concat_check(params, src, n_src, &axis, &total);
    if (st) return st;
    for (uint32_t i = 0; i < n_src; i++) {
        opsconv_axis_copy c = concat_copy(src, i, axis, total, offset);
        opsconv_ref_axis_copy(src_data[i], y, &c);
        offset += src[i].dims[axis];
    }
    (void)dst;
    return HV_OK;
}

static hv_status concat_record(hv_cmd *cmd, hv_device *dev, const void *params, const hv_tensor_desc *src,
                               const hv_binding *src_bind, uint32_t n_src, const hv_tensor_desc *dst,
                               const hv_binding *dst_bind, const hv_binding *scratch) {
    uint32_t axis;
    int64_t total, offset = 0;
    hv_status st = concat_check(params, src, n_src, &axis, &total);
    if (st) return st;
    for (uint32_t i = 0; i < n_src; i++) {
        opsconv_axis_copy c = concat_copy(src, i, axis, total, offset);
        if ((st = opsconv_record_axis_copy(cmd, dev, src[0].dtype, &src_bind[i], dst_bind, &c, "concat"))) return st;
        offset += src[i].dims[axis];
    }
    (void)scratch;
    (void)dst;
    return HV_OK;
}

const hv_op_def hv_op_concat = {
    .name = "concat",
    .param_size = sizeof(hv_concat_params),
    .min_src = 2,
    .max_src = HV_OP_MAX_SRC,
    .infer = concat_infer,
    .ref = concat_ref,
    .scratch_bytes = NULL,
    .record = concat_record,
};
