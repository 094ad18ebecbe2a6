/* Permute the dims of a rank ≤ 4 tensor (NCHW ↔ NHWC for InternImage's channels-last layers). */
#include <string.h>

#include "hemovk/ops_conv.h"
#include "ops/ops_conv_defs.h"
#include "ops/opsconv_util.h"

typedef struct permute_push {
    uint32_t od[4];      /* output dims, padded to 4 with leading 1s */
    uint32_t st[4];      /* input stride of the input dim that feeds each output dim */
    uint32_t total;
} permute_push;

static hv_status permute_check(const hv_permute_params *p, const hv_tensor_desc *src, uint32_t n_src) {
    if (n_src != 1) return hv_error(HV_ERR_INVALID_ARGUMENT, "permute: got %u inputs, expected 1", (unsigned)n_src);
    uint32_t r = src[0].rank;
    if (r < 1 || r > HV_MAX_DIMS)
        return hv_error(HV_ERR_SHAPE, "permute: bad rank %u of %s", (unsigned)r, opsconv_shape(&src[0]));
    bool seen[HV_MAX_DIMS] = {false};
    for (uint32_t i = 0; i < r; i++) {
        if (p->perm[i] < 0 || p->perm[i] >= (int32_t)r || seen[p->perm[i]])
            return hv_error(HV_ERR_INVALID_ARGUMENT,
                            "permute: perm {%d,%d,%d,%d} is not a permutation of 0..%u for input %s", p->perm[0],
                            p->perm[1], p->perm[2], p->perm[3], (unsigned)r - 1, opsconv_shape(&src[0]));
        seen[p->perm[i]] = true;
    }
    if (hv_desc_numel(&src[0]) > (int64_t)UINT32_MAX)
        return hv_error(HV_ERR_UNSUPPORTED, "permute: input %s too large", opsconv_shape(&src[0]));
    return HV_OK;
}

static hv_status permute_infer(const void *params, const hv_tensor_desc *src, uint32_t n_src, hv_tensor_desc *dst) {
    const hv_permute_params *p = params;
    hv_status st = permute_check(p, src, n_src);
    if (st) return st;
    *dst = src[0];
    for (uint32_t i = 0; i < src[0].rank; i++) dst->dims[i] = src[0].dims[p->perm[i]];
    static const int32_t to_nhwc[4] = {0, 2, 3, 1}, to_nchw[4] = {0, 3, 1, 2};
    dst->layout = HV_LAYOUT_ANY;
    if (src[0].rank == 4 && src[0].layout == HV_LAYOUT_NCHW && !memcmp(p->perm, to_nhwc, sizeof to_nhwc))
        dst->layout = HV_LAYOUT_NHWC;
    if (src[0].rank == 4 && src[0].layout == HV_LAYOUT_NHWC && !memcmp(p->perm, to_nchw, sizeof to_nchw))
        dst->layout = HV_LAYOUT_NCHW;
    /* swapping the two spatial axes (an image transpose: half of a 90° turn) keeps batch and channels in
     * place, so the layout stays what it was */
    static const int32_t hw_nchw[4] = {0, 1, 3, 2}, hw_nhwc[4] = {0, 2, 1, 3};
    if (src[0].rank == 4 && src[0].layout == HV_LAYOUT_NCHW && !memcmp(p->perm, hw_nchw, sizeof hw_nchw))
        dst->layout = HV_LAYOUT_NCHW;
    if (src[0].rank == 4 && src[0].layout == HV_LAYOUT_NHWC && !memcmp(p->perm, hw_nhwc, sizeof hw_nhwc))
        dst->layout = HV_LAYOUT_NHWC;
    return HV_OK;
}

/* Output dims and matching input strides, padded to 4-D. */
static void permute_plan(const hv_permute_params *p, const hv_tensor_desc *x, int64_t od[4], int64_t st[4]) {
    uint32_t r = x->rank;
    int64_t in_stride[HV_MAX_DIMS];
    int64_t s = 1;
    for (int32_t i = (int32_t)r - 1; i >= 0; i--) {
        in_stride[i] = s;
        s *= x->dims[i];
    }
    uint32_t pad = 4 - r;
    for (uint32_t i = 0; i < 4; i++) od[i] = 1, st[i] = 0;
    for (uint32_t i = 0; i < r; i++) {
        od[pad + i] = x->dims[p->perm[i]];
        st[pad + i] = in_stride[p->perm[i]];
    }
}

static hv_status permute_ref(const void *params, const hv_tensor_desc *src, const float *const *src_data,
                             uint32_t n_src, const hv_tensor_desc *dst, float *y) {
    hv_status st = permute_check(params, src, n_src);
    if (st) return st;
    int64_t od[4], s[4], i = 0;
    permute_plan(params, &src[0], od, s);
    for (int64_t a = 0; a < od[0]; a++)
        for (int64_t b = 0; b < od[1]; b++)
            for (int64_t c = 0; c < od[2]; c++)
                for (int64_t d = 0; d < od[3]; d++) y[i++] = src_data[0][a * s[0] + b * s[1] + c * s[2] + d * s[3]];
    (void)dst;
    return HV_OK;
}

static hv_status permute_record(hv_cmd *cmd, hv_device *dev, const void *params, const hv_tensor_desc *src,
                                const hv_binding *src_bind, uint32_t n_src, const hv_tensor_desc *dst,
                                const hv_binding *dst_bind, const hv_binding *scratch) {
    hv_status st = permute_check(params, src, n_src);
    if (st) return st;
    int64_t od[4], s[4];
    permute_plan(params, &src[0], od, s);
    permute_push pc;
    for (int i = 0; i < 4; i++) pc.od[i] = (uint32_t)od[i], pc.st[i] = (uint32_t)s[i];
    pc.total = (uint32_t)hv_desc_numel(dst);
    hv_binding binds[2] = {src_bind[0], *dst_bind};
    uint32_t gx, gy;
    if ((st = opsconv_grid1d("permute", pc.total, &gx, &gy))) return st;
    (void)scratch;
    return opsconv_dispatch(cmd, dev, "permute", src[0].dtype, binds, 2, &pc, sizeof pc, NULL, 0, gx, gy, 1, "permute");
}

const hv_op_def hv_op_permute = {
    .name = "permute",
    .param_size = sizeof(hv_permute_params),
    .min_src = 1,
    .max_src = 1,
    .infer = permute_infer,
    .ref = permute_ref,
    .scratch_bytes = NULL,
    .record = permute_record,
};
