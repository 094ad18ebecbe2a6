/* Transposed conv with kernel == stride and no padding (Mask R-CNN's 2×2 s2 mask upsampler, MODEL_SPEC
 * §5.10): every output pixel gets exactly one kernel tap, so it is a per-pixel matrix-vector product. */
#include <string.h>

#include "hemovk/ops_conv.h"
#include "ops/ops_conv_defs.h"
#include "ops/opsconv_util.h"

typedef struct deconv_push {
    uint32_t n, c, h, w, k, ks;
} deconv_push;

static hv_status deconv_check(const hv_deconv_params *p, const hv_tensor_desc *src, uint32_t n_src) {
    uint32_t want = p->has_bias ? 3u : 2u;
    if (n_src != want)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "deconv: got %u inputs, expected %u (x, w%s)", (unsigned)n_src,
                        (unsigned)want, p->has_bias ? ", bias" : "");
    const hv_tensor_desc *x = &src[0], *w = &src[1];
    if (x->rank != 4 || x->layout == HV_LAYOUT_NHWC)
        return hv_error(HV_ERR_SHAPE, "deconv: input must be a rank-4 NCHW tensor, got %s", opsconv_shape(x));
    if (w->rank != 4 || w->dims[0] != x->dims[1] || w->dims[2] != w->dims[3] || w->dims[2] < 1 || w->dims[1] < 1)
        return hv_error(HV_ERR_SHAPE, "deconv: weight %s must be {C_in=%lld, C_out, k, k} (ConvTranspose2d layout)",
                        opsconv_shape(w), (long long)x->dims[1]);
    if (p->has_bias && hv_desc_numel(&src[2]) != w->dims[1])
        return hv_error(HV_ERR_SHAPE, "deconv: bias %s must have C_out = %lld elements", opsconv_shape(&src[2]),
                        (long long)w->dims[1]);
    if (p->act < HV_ACT_NONE || p->act > HV_ACT_SIGMOID)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "deconv: unknown fused activation %d", (int)p->act);
    return opsconv_same_dtype("deconv", src, n_src);
}

static hv_status deconv_infer(const void *params, const hv_tensor_desc *src, uint32_t n_src, hv_tensor_desc *dst) {
    hv_status st = deconv_check(params, src, n_src);
    if (st) return st;
    int64_t k = src[1].dims[2];
    *dst = (hv_tensor_desc){.dtype = src[0].dtype, .layout = HV_LAYOUT_NCHW, .rank = 4,
                            .dims = {src[0].dims[0], src[1].dims[1], src[0].dims[2] * k, src[0].dims[3] * k}};
    if (hv_desc_numel(dst) > (int64_t)UINT32_MAX)
        return hv_error(HV_ERR_UNSUPPORTED, "deconv: output %s is too large for one dispatch", opsconv_shape(dst));
    return HV_OK;
}

static hv_status deconv_ref(const void *params, const hv_tensor_desc *src, const float *const *src_data,
                            uint32_t n_src, const hv_tensor_desc *dst, float *y) {
    const hv_deconv_params *p = params;
    hv_status st = deconv_check(p, src, n_src);
    if (st) return st;
    int64_t n = src[0].dims[0], c = src[0].dims[1], h = src[0].dims[2], w = src[0].dims[3];
    int64_t k = src[1].dims[1], ks = src[1].dims[2];
    const float *x = src_data[0], *wt = src_data[1], *b = p->has_bias ? src_data[2] : NULL;
    for (int64_t b_ = 0; b_ < n; b_++)
        for (int64_t o = 0; o < k; o++)
            for (int64_t oy = 0; oy < h * ks; oy++)
                for (int64_t ox = 0; ox < w * ks; ox++) {
                    int64_t iy = oy / ks, ix = ox / ks, ky = oy % ks, kx = ox % ks;
                    double acc = b ? b[o] : 0.0;
                    for (int64_t i = 0; i < c; i++)
                        acc += (double)x[((b_ * c + i) * h + iy) * w + ix] * (double)wt[((i * k + o) * ks + ky) * ks + kx];
                    y[((b_ * k + o) * h * ks + oy) * w * ks + ox] = (float)hv_opsconv_act(p->act, acc);
                }
    (void)dst;
    return HV_OK;
}

static hv_status deconv_record(hv_cmd *cmd, hv_device *dev, const void *params, const hv_tensor_desc *src,
                               const hv_binding *src_bind, uint32_t n_src, const hv_tensor_desc *dst,
                               const hv_binding *dst_bind, const hv_binding *scratch) {
    const hv_deconv_params *p = params;
    hv_status st = deconv_check(p, src, n_src);
    if (st) return st;
    deconv_push pc = {(uint32_t)src[0].dims[0], (uint32_t)src[0].dims[1], (uint32_t)src[0].dims[2],
                      (uint32_t)src[0].dims[3], (uint32_t)src[1].dims[1], (uint32_t)src[1].dims[2]};
    hv_binding binds[4] = {src_bind[0], src_bind[1], p->has_bias ? src_bind[2] : src_bind[0], *dst_bind};
    uint32_t spec[2] = {(uint32_t)p->act, p->has_bias ? 1u : 0u};
    uint32_t gx, gy;
    if ((st = opsconv_grid1d("deconv", (uint64_t)hv_desc_numel(dst), &gx, &gy))) return st;
    (void)scratch;
    return opsconv_dispatch(cmd, dev, "deconv", src[0].dtype, binds, 4, &pc, sizeof pc, spec, 2, gx, gy, 1, "deconv");
}

const hv_op_def hv_op_deconv = {
    .name = "deconv",
    .param_size = sizeof(hv_deconv_params),
    .min_src = 2,
    .max_src = 3,
    .infer = deconv_infer,
    .ref = deconv_ref,
    .scratch_bytes = NULL,
    .record = deconv_record,
};
