/* Layer norm over one axis (channels of NCHW per pixel, or the last dim of channels-last data). */
#include <math.h>
#include <string.h>

#include "hemovk/ops_conv.h"
#include "ops/ops_conv_defs.h"
#include "ops/opsconv_util.h"

typedef struct ln_push {
    uint32_t outer, len, inner;
    float eps;
} ln_push;

/* Rows at least this long (and contiguous) get a whole workgroup with a shared-memory reduction;
 * shorter or strided ones (NCHW: stride H·W) get one invocation per normalised vector. */
#define LN_ROW_MIN 64

static hv_status ln_check(const hv_layer_norm_params *p, const hv_tensor_desc *src, uint32_t n_src, uint32_t *axis) {
    uint32_t want = 1u + (p->has_weight ? 1u : 0u) + (p->has_bias ? 1u : 0u);
    if (n_src != want)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "layer_norm: got %u inputs, expected %u (x%s%s)", (unsigned)n_src,
                        (unsigned)want, p->has_weight ? ", weight" : "", p->has_bias ? ", bias" : "");
    if (!(p->eps >= 0) || !isfinite(p->eps))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "layer_norm: eps %g must be finite and >= 0", (double)p->eps);
    hv_status st = opsconv_axis("layer_norm", p->axis, &src[0], axis);
    if (st) return st;
    int64_t c = src[0].dims[*axis];
    for (uint32_t i = 1; i < n_src; i++)
        if (hv_desc_numel(&src[i]) != c)
            return hv_error(HV_ERR_SHAPE, "layer_norm: %s %s must have %lld elements (dim %u of input %s)",
                            (i == 1 && p->has_weight) ? "weight" : "bias", opsconv_shape(&src[i]), (long long)c,
                            (unsigned)*axis, opsconv_shape(&src[0]));
    if (hv_desc_numel(&src[0]) > (int64_t)UINT32_MAX)
        return hv_error(HV_ERR_UNSUPPORTED, "layer_norm: input %s too large", opsconv_shape(&src[0]));
    return opsconv_same_dtype("layer_norm", src, n_src);
}

static hv_status ln_infer(const void *params, const hv_tensor_desc *src, uint32_t n_src, hv_tensor_desc *dst) {
    uint32_t axis;
    hv_status st = ln_check(params, src, n_src, &axis);
    if (st) return st;
    *dst = src[0];
    return HV_OK;
}

static hv_status ln_ref(const void *params, const hv_tensor_desc *src, const float *const *src_data, uint32_t n_src,
                        const hv_tensor_desc *dst, float *y) {
    const hv_layer_norm_params *p = params;
    uint32_t axis;
    hv_status st = ln_check(p, src, n_src, &axis);
    if (st) return st;
    int64_t outer, len, inner;
    opsconv_split(&src[0], axis, &outer, &len, &inner);
    const float *x = src_data[0];
    const float *wt = p->has_weight ? src_data[1] : NULL;
    const float *bs = p->has_bias ? src_data[n_src - 1] : NULL;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++) {
            const float *xv = x + o * len * inner + in;
            float *yv = y + o * len * inner + in;
            double mean = 0, var = 0;
            for (int64_t c = 0; c < len; c++) mean += xv[c * inner];
            mean /= (double)len;
            for (int64_t c = 0; c < len; c++) var += ((double)xv[c * inner] - mean) * ((double)xv[c * inner] - mean);
            var /= (double)len;
            double rstd = 1.0 / sqrt(var + (double)p->eps);
            for (int64_t c = 0; c < len; c++) {
                double v = ((double)xv[c * inner] - mean) * rstd;
                if (wt) v *= wt[c];
                if (bs) v += bs[c];
                yv[c * inner] = (float)v;
            }
        }
    (void)dst;
    return HV_OK;
}

static hv_status ln_record(hv_cmd *cmd, hv_device *dev, const void *params, const hv_tensor_desc *src,
                           const hv_binding *src_bind, uint32_t n_src, const hv_tensor_desc *dst,
                           const hv_binding *dst_bind, const hv_binding *scratch) {
    const hv_layer_norm_params *p = params;
    uint32_t axis;
    hv_status st = ln_check(p, src, n_src, &axis);
    if (st) return st;
    int64_t outer, len, inner;
    opsconv_split(&src[0], axis, &outer, &len, &inner);
    ln_push pc = {(uint32_t)outer, (uint32_t)len, (uint32_t)inner, p->eps};
    hv_binding binds[4] = {src_bind[0], p->has_weight ? src_bind[1] : src_bind[0],
                           p->has_bias ? src_bind[n_src - 1] : src_bind[0], *dst_bind};
    uint32_t gx, gy;
    (void)scratch;
    if (opsconv_cpu_kernels(dev)) {
        /* layer_norm_cpu: one invocation per vector for every shape, 64 per workgroup (4 per
         * OPSCONV_LOCAL for the grid helper). */
        uint32_t cspec[2] = {p->has_weight ? 1u : 0u, p->has_bias ? 1u : 0u};
        if ((st = opsconv_grid1d("layer_norm", (uint64_t)outer * (uint64_t)inner * 4u, &gx, &gy))) return st;
        return opsconv_dispatch(cmd, dev, "layer_norm_cpu", src[0].dtype, binds, 4, &pc, sizeof pc, cspec, 2, gx, gy,
                                1, "layer_norm");
    }
    bool row = inner == 1 && len >= LN_ROW_MIN;
    uint32_t spec[3] = {row ? 1u : 0u, p->has_weight ? 1u : 0u, p->has_bias ? 1u : 0u};
    /* Row mode: one workgroup per row, i.e. OPSCONV_LOCAL "invocations" per row for the grid helper. */
    uint64_t count = row ? (uint64_t)outer * OPSCONV_LOCAL : (uint64_t)outer * (uint64_t)inner;
    if ((st = opsconv_grid1d("layer_norm", count, &gx, &gy))) return st;
    return opsconv_dispatch(cmd, dev, "layer_norm", src[0].dtype, binds, 4, &pc, sizeof pc, spec, 3, gx, gy, 1,
                            "layer_norm");
}

const hv_op_def hv_op_layer_norm = {
    .name = "layer_norm",
    .param_size = sizeof(hv_layer_norm_params),
    .min_src = 1,
    .max_src = 3,
    .infer = ln_infer,
    .ref = ln_ref,
    .scratch_bytes = NULL,
    .record = ln_record,
};
